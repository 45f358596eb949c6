"""Annotation frames over HTTP on a seeded Roost (real SQLite, real files, real ffmpeg):
sending from an event (clean copy), a review item, the live view and the recordings;
listing, editing, verifying, deleting; the COCO / YOLO round trip; hostile input; roles."""

from __future__ import annotations

import io
import json
import logging
import re
import warnings
import zipfile
from collections.abc import Iterator
from typing import Any

import cv2
import numpy as np
import pytest
from api_seed import BASE, HEIGHT, OBJECT_BOX, WIDTH, Seeded

from roost.annotate.store import verified_frames
from roost.api import create_app
from roost.api.users import upsert_user
from roost.store.models import AnnotationFrameRow, UserRow

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient


@pytest.fixture(autouse=True)
def empty_store(seeded: Seeded) -> Iterator[None]:
    yield
    client = TestClient(create_app(seeded.context, authenticated=False))
    for frame in client.get("/api/annotations", params={"limit": 200}).json()["frames"]:
        client.delete(f"/api/annotations/{frame['id']}")


def _send_event(client: TestClient, seeded: Seeded, key: str = "with_media", false_positive: bool = False) -> Any:
    path = "false_positive" if false_positive else "plus"
    method = client.put if false_positive else client.post
    response = method(f"/api/events/{seeded.events[key].id}/{path}", json={})
    assert response.status_code in (200, 201), response.text
    return response.json()


def test_an_event_sent_as_true_positive_stores_its_clean_frame_with_its_box(client: TestClient,
                                                                            seeded: Seeded) -> None:
    sent = _send_event(client, seeded)
    assert re.fullmatch(r"\d+\.\d{6}-[a-z0-9]{6}", sent["plus_id"])
    frame = client.get(f"/api/annotations/{sent['plus_id']}").json()
    assert (frame["width"], frame["height"]) == (WIDTH, HEIGHT)  # the clean copy, detect resolution
    assert frame["camera"] == "front" and frame["source"] == "event" and frame["false_positive"] is False
    assert frame["frame_time"] == seeded.events["with_media"].start_time
    assert frame["boxes"] == [{"label": "person", "box": list(OBJECT_BOX), "score": 0.9, "source": "detector"}]
    assert frame["suggestions"] == frame["boxes"] and frame["verified"] is False
    image = client.get(f"/api/annotations/{sent['plus_id']}/image")
    assert image.status_code == 200 and image.headers["content-type"] == "image/webp"
    decoded = cv2.imdecode(np.frombuffer(image.content, np.uint8), cv2.IMREAD_COLOR)
    x1, y1, x2, y2 = OBJECT_BOX
    assert np.abs(decoded[(y1 + y2) // 2, (x1 + x2) // 2].astype(int) - (30, 160, 220)).max() < 30  # the object
    stored = seeded.media / "clips" / "annotations" / f"{sent['plus_id']}.webp"
    assert stored.is_file()
    again = _send_event(client, seeded)  # sending twice gives the same frame
    assert again["plus_id"] == sent["plus_id"] and again["message"] == "Already sent to annotation"


def test_a_false_positive_keeps_the_wrong_box_as_a_suggestion_only(client: TestClient, seeded: Seeded) -> None:
    sent = _send_event(client, seeded, "to_delete", false_positive=True)
    frame = client.get(f"/api/annotations/{sent['plus_id']}").json()
    assert frame["false_positive"] is True and frame["boxes"] == []
    assert [s["label"] for s in frame["suggestions"]] == ["person"]


def test_review_item_live_view_and_recordings_can_be_sent(client: TestClient, seeded: Seeded) -> None:
    review = client.post(f"/api/review/{BASE:.6f}-rev001/plus", json={}).json()
    frame = client.get(f"/api/annotations/{review['plus_id']}").json()
    assert frame["source"] == "review" and [b["label"] for b in frame["boxes"]] == ["person"]
    live = client.post("/api/front/plus", json={})
    assert live.status_code == 201, live.text
    frame = client.get(f"/api/annotations/{live.json()['plus_id']}").json()
    assert frame["source"] == "live" and frame["frame_time"] == BASE
    assert frame["boxes"] == [{"label": "person", "box": list(OBJECT_BOX), "score": 0.91, "source": "detector"}]
    recorded = client.post(f"/api/front/plus/{BASE + 3.5}", json={})
    assert recorded.status_code == 201, recorded.text
    frame = client.get(f"/api/annotations/{recorded.json()['plus_id']}").json()
    assert (frame["width"], frame["height"]) == (320, 240)  # the recording's own size (testsrc)
    assert frame["source"] == "recording"
    missing = client.post("/api/front/plus/1000.0", json={})
    assert missing.status_code == 404 and "no recording" in missing.json()["message"]
    assert client.post("/api/back/plus", json={}).status_code == 404  # no live frame
    generic = client.post("/api/annotations", json={"source": "recording", "camera": "front"})
    assert generic.status_code == 400 and "frame_time" in generic.json()["message"]


def test_boxes_are_edited_verified_listed_and_read_by_a_tuner(client: TestClient, seeded: Seeded) -> None:
    sent = _send_event(client, seeded)["plus_id"]
    face = {"label": "face", "box": [340, 230, 370.4, 262]}
    kept = {"label": "person", "box": list(OBJECT_BOX)}
    response = client.put(f"/api/annotations/{sent}", json={"boxes": [kept, face, {"label": "car",
                                                                                    "box": [600, 400, 700, 500]}]})
    assert response.status_code == 200, response.text
    boxes = response.json()["frame"]["boxes"]
    assert boxes[0] == {"label": "person", "box": list(OBJECT_BOX), "score": 0.9, "source": "detector"}  # unchanged
    assert boxes[1] == {"label": "face", "box": [340, 230, 370, 262], "score": None, "source": "user"}
    assert boxes[2]["box"] == [600, 400, 640, 480]  # clipped to the image
    listing = client.get("/api/annotations", params={"verified": 0}).json()
    assert [f["id"] for f in listing["frames"]] == [sent] and listing["counts"] == {"verified": 0, "unverified": 1}
    assert verified_frames(seeded.context.database, seeded.context.clips_dir) == []
    assert client.post(f"/api/annotations/{sent}/verify").json()["frame"]["verified"] is True
    assert client.get("/api/annotations", params={"verified": 0}).json()["frames"] == []
    assert client.get("/api/annotations", params={"verified": 1}).json()["total"] == 1
    (tuner_frame,) = verified_frames(seeded.context.database, seeded.context.clips_dir)
    assert tuner_frame.image_path.is_file() and tuner_frame.frame_time == seeded.events["with_media"].start_time
    assert [(b.label, b.box) for b in tuner_frame.boxes] == [("person", OBJECT_BOX), ("face", (340, 230, 370, 262)),
                                                              ("car", (600, 400, 640, 480))]
    assert client.delete(f"/api/annotations/{sent}/verify").json()["frame"]["verified"] is False
    assert client.delete(f"/api/annotations/{sent}").status_code == 200
    assert not tuner_frame.image_path.exists()
    assert client.get(f"/api/annotations/{sent}").status_code == 404


@pytest.mark.parametrize("body", [
    {"boxes": [{"label": "person", "box": [10, 10, 5]}]},
    {"boxes": [{"label": "person", "box": [10, 10, 10, 50]}]},  # no width
    {"boxes": [{"label": "../etc", "box": [1, 1, 9, 9]}]},
    {"boxes": [{"label": "person", "box": ["a", 1, 9, 9]}]},
    {"boxes": [{"label": "person", "box": [700, 500, 900, 600]}]},  # wholly outside
    {"boxes": [{"label": "person", "box": [1, 1, 9, 9], "score": 3}]},
    {"boxes": "nope"},
    {"boxes": [{"label": "x", "box": [1, 1, 9, 9]}] * 501},
])
def test_bad_boxes_are_refused_with_a_clear_message(client: TestClient, seeded: Seeded, body: Any) -> None:
    sent = _send_event(client, seeded)["plus_id"]
    response = client.put(f"/api/annotations/{sent}", json=body)
    assert response.status_code in (400, 422), response.text
    assert response.json()["success"] is False and response.json()["message"]
    assert client.get(f"/api/annotations/{sent}").json()["boxes"][0]["label"] == "person"  # unchanged


@pytest.mark.parametrize("frame_id", ["..%2F..%2Froost.db", "1710113400.000000-abc", "%00", "x" * 300,
                                      "1710113400.000000-ABCDEF", "..", "1710113400.000000-abcdef.webp"])
def test_hostile_frame_ids_never_reach_a_file(client: TestClient, frame_id: str) -> None:
    for method, suffix in (("get", ""), ("get", "/image"), ("delete", ""), ("post", "/verify")):
        response = getattr(client, method)(f"/api/annotations/{frame_id}{suffix}")
        assert response.status_code in (400, 404, 405), (method, frame_id, response.status_code)  # 405: ".." left the path


def _zip(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def _comparable(frames: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    return sorted((f["camera"], f["frame_time"], f["width"], f["height"], f["verified"], f["false_positive"],
                   f["source"], json.dumps(f["boxes"]), json.dumps(f["suggestions"])) for f in frames)


def _all(client: TestClient) -> list[dict[str, Any]]:
    listing = client.get("/api/annotations", params={"limit": 200}).json()["frames"]
    return [client.get(f"/api/annotations/{f['id']}").json() for f in listing]


@pytest.mark.parametrize("fmt", ["coco", "yolo"])
def test_an_export_reimports_identically(client: TestClient, seeded: Seeded, fmt: str) -> None:
    first = _send_event(client, seeded)["plus_id"]
    client.put(f"/api/annotations/{first}", json={"boxes": [{"label": "person", "box": list(OBJECT_BOX)},
                                                            {"label": "face", "box": [333, 231, 371, 269]}]})
    client.post(f"/api/annotations/{first}/verify")
    _send_event(client, seeded, "to_delete", false_positive=True)
    client.post(f"/api/front/plus/{BASE + 3.5}", json={})
    before = _all(client)
    exported = client.get("/api/annotations/export", params={"format": fmt})
    assert exported.status_code == 200 and exported.headers["content-type"] == "application/zip"
    names = zipfile.ZipFile(io.BytesIO(exported.content)).namelist()
    assert sum(n.startswith("images/") for n in names) == 3
    assert ("annotations.json" in names) if fmt == "coco" else ({"classes.txt", "data.yaml"} <= set(names))
    for frame in before:
        client.delete(f"/api/annotations/{frame['id']}")
    imported = client.post("/api/annotations/import", content=exported.content,
                           headers={"content-type": "application/zip"})
    assert imported.status_code == 201, imported.text
    assert imported.json()["imported"] == 3 and imported.json()["format"] == fmt
    after = _all(client)
    assert _comparable(after) == _comparable(before)
    for old, new in zip(sorted(before, key=lambda f: f["frame_time"]), sorted(after, key=lambda f: f["frame_time"])):
        assert client.get(f"/api/annotations/{new['id']}/image").content == \
            (seeded.media / "clips" / "annotations" / new["image"]).read_bytes()
        assert old["id"] != new["id"]


def test_a_yolo_set_from_another_tool_imports(client: TestClient, seeded: Seeded) -> None:
    ok, png = cv2.imencode(".png", np.zeros((100, 200, 3), np.uint8))
    data = _zip({"dataset/data.yaml": b"names:\n  0: person\n  1: package\n",
                 "dataset/images/train/a.png": png.tobytes(), "dataset/images/train/b.png": png.tobytes(),
                 "dataset/labels/train/a.txt": b"0 0.5 0.5 0.2 0.4\n1 0.1 0.1 0.1 0.1 0.93\n"})
    response = client.post("/api/annotations/import", params={"verified": 1}, files={"file": ("set.zip", data)})
    assert response.status_code == 201, response.text
    frames = sorted(_all(client), key=lambda f: f["frame_time"])
    assert [len(f["boxes"]) for f in frames] == [2, 0] and all(f["verified"] for f in frames)
    assert frames[0]["boxes"][0] == {"label": "person", "box": [80, 30, 120, 70], "score": None, "source": "import"}
    assert frames[0]["boxes"][1]["box"] == [10, 5, 30, 15]


@pytest.mark.parametrize(("files", "message"), [
    (None, "not a zip"),
    ({"../evil.png": b"x"}, "'..' are not allowed"),
    ({"/abs.png": b"x"}, "absolute paths"),
    ({"annotations.json": b"{not json"}, "not valid JSON"),
    ({"annotations.json": b'{"images": [{"id": 1, "file_name": "a.jpg"}], "annotations": [], "categories": []}'},
     "not in the zip"),
    ({"annotations.json": b'{"images": [{"id": 1, "file_name": "a.jpg"}], "categories": [{"id": 1, "name": "p"}],'
                          b' "annotations": [{"image_id": 1, "category_id": 1, "bbox": [0, 0, -5, 5]}]}',
      "a.jpg": b"x"}, "width and height must be positive"),
    ({"annotations.json": b'{"images": [{"id": 1, "file_name": "a.jpg"}], "annotations": [], "categories": []}',
      "a.jpg": b"not an image"}, "is not an image"),
    ({"images/a.jpg": b"x"}, "no class names"),
    ({"classes.txt": b"person\n", "images/a.png": b"x", "labels/a.txt": b"7 0.5 0.5 0.1 0.1\n"}, "class 7"),
    ({"classes.txt": b"person\n", "labels/a.txt": b"0 0.5 0.5 0.1 0.1\n"}, "no images"),
    ({"classes.txt": b"../../x\n", "images/a.png": b"x"}, "is not a label"),
])
def test_bad_archives_are_refused_and_nothing_is_stored(client: TestClient, files: dict[str, bytes] | None,
                                                        message: str) -> None:
    data = b"PK\x03\x04 truncated garbage" if files is None else _zip(files)
    response = client.post("/api/annotations/import", content=data, headers={"content-type": "application/zip"})
    assert response.status_code == 400, response.text
    assert message in response.json()["message"], response.json()["message"]
    assert client.get("/api/annotations").json()["total"] == 0


def test_a_json_alone_and_oversized_uploads_are_refused(client: TestClient) -> None:
    response = client.post("/api/annotations/import", content=b'{"images": []}',
                           headers={"content-type": "application/json"})
    assert response.status_code == 400 and "COCO JSON alone" in response.json()["message"]
    huge = client.post("/api/annotations/import", content=b"0", headers={"content-length": str(2**40)})
    assert huge.status_code == 413
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("annotations.json", b" " * (65 * 2**20))  # compresses to ~64 KB
    response = client.post("/api/annotations/import", content=bomb.getvalue())
    assert response.status_code == 400 and "at most 64 MB" in response.json()["message"]


def test_viewers_read_and_only_admins_write(seeded: Seeded, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="roost.api.users")
    with seeded.context.database.read() as session:
        if session.get(UserRow, "admin") is not None:
            seeded.context.database.write(lambda s: s.delete(s.get(UserRow, "admin")))
    app = create_app(seeded.context, authenticated=True)
    password = re.search(r"user 'admin'; password: (\S+)", caplog.text).group(1)  # type: ignore[union-attr]
    upsert_user(seeded.context.database, "viewer2", "viewer-pass", "viewer")
    with TestClient(app) as admin, TestClient(app) as viewer:
        assert admin.post("/api/login", json={"user": "admin", "password": password}).status_code == 200
        assert viewer.post("/api/login", json={"user": "viewer2", "password": "viewer-pass"}).status_code == 200
        sent = admin.post(f"/api/events/{seeded.events['with_media'].id}/plus", json={})
        assert sent.status_code == 201
        frame_id = sent.json()["plus_id"]
        assert viewer.get("/api/annotations").json()["total"] == 1
        assert viewer.get(f"/api/annotations/{frame_id}/image").status_code == 200
        for response in (viewer.post(f"/api/annotations/{frame_id}/verify"),
                         viewer.put(f"/api/annotations/{frame_id}", json={"boxes": []}),
                         viewer.delete(f"/api/annotations/{frame_id}"),
                         viewer.post(f"/api/events/{seeded.events['with_media'].id}/plus", json={}),
                         viewer.post("/api/annotations/import", content=b"PK")):
            assert response.status_code == 403, response.text
    with seeded.context.database.read() as session:
        assert session.get(AnnotationFrameRow, frame_id) is not None


def test_labels_offer_the_model_labels_and_frigate_plus_ones(client: TestClient, seeded: Seeded) -> None:
    labels = client.get("/api/annotations/labels").json()
    assert {"face", "license_plate", "package", "amazon", "ups", "fedex", "deer"} <= set(labels["plus"])
    assert labels["attributes"] == ["amazon", "face", "fedex", "license_plate", "ups"]
    config = client.get("/api/config").json()
    assert config["model"]["all_attributes"] == labels["attributes"]
    assert config["model"]["non_logo_attributes"] == ["face", "license_plate"]
    if (seeded.context.model_cache / "detector" / "labelmap.txt").is_file():  # made at setup
        assert config["model"]["labelmap"]["0"] == "person" and config["model"]["labelmap"]["2"] == "car"
        assert labels["model"][:3] == ["person", "bicycle", "car"]
