"""Dataset management over HTTP: listing, categorize, create, reclassify, rename, delete,
images under /clips/<model>/..., and names that try to leave the model's folders."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
from fastapi.testclient import TestClient

from roost.api.app import create_app
from roost.api.classification import classification_router
from roost.api.context import ApiContext
from roost.config import validate_raw
from roost.controls import CameraControls
from roost.hub import Hub
from roost.store import Database, database_url

from colour_model import write_colour_model

CONFIG = {
    "cameras": {"front": {"ffmpeg": {"inputs": [{"path": "x", "roles": ["detect"]}]},
                          "detect": {"width": 320, "height": 240}}},
    "classification": {"custom": {
        "door": {"state_config": {"cameras": {"front": {"crop": [0, 0, 0.5, 0.5]}}}},
        "helmet": {"object_config": {"objects": ["person"], "classification_type": "attribute"}}}},
}


def test_dataset_management(tmp_path: Path) -> None:
    media, cache = tmp_path / "media", tmp_path / "cache"
    clips = media / "clips"
    db = Database(database_url(None, None, tmp_path))
    db.migrate()
    hub = Hub()
    loaded = validate_raw(CONFIG)
    context = ApiContext(loaded, db, hub, {n: CameraControls.from_config(n, c) for n, c in loaded.config.cameras.items()},
                         media, model_cache=cache,
                         extra_routers=[classification_router(lambda: {"door": {"status": "complete", "states": {"front": "open"}}})])
    client = TestClient(create_app(context, authenticated=False))
    write_colour_model(cache, "helmet")
    (clips / "door" / "train").mkdir(parents=True)
    image = np.full((40, 40, 3), (0, 0, 255), np.uint8)
    for index in range(3):
        cv2.imwrite(str(clips / "door" / "train" / f"none-none-{1700000000 + index}.000000-open-0.90.webp"), image)
    try:
        listing = client.get("/api/classification").json()
        assert listing["door"] == {"type": "state", "enabled": True, "status": "complete", "states": {"front": "open"}}
        assert listing["helmet"]["type"] == "object" and listing["helmet"]["status"] == "complete"
        assert client.get("/api/classification/attributes").json() == {"helmet": ["red", "blue"]}

        recent = client.get("/api/classification/door/train").json()
        assert len(recent) == 3
        assert client.get(f"/api/clips/door/train/{recent[0]}").headers["content-type"] == "image/webp"
        done = client.post("/api/classification/door/dataset/categorize", json={"category": "open", "training_file": recent[0]})
        assert done.status_code == 200, done.text
        png = done.json()["file"]
        assert (clips / "door" / "dataset" / "open" / png).is_file() and not (clips / "door" / "train" / recent[0]).exists()
        assert client.post("/api/classification/door/dataset/closed/create").status_code == 200
        assert client.post("/api/classification/door/dataset/open/reclassify", json={"id": png, "new_category": "closed"}).status_code == 200
        assert (clips / "door" / "dataset" / "closed" / png).is_file()
        assert client.put("/api/classification/door/dataset/closed/rename", json={"new_category": "shut"}).status_code == 200
        assert client.get(f"/api/clips/door/dataset/shut/{png}").status_code == 200
        assert client.post("/api/classification/door/dataset/shut/delete", json={"ids": [png]}).json()["deleted"] == 1
        assert client.post("/api/classification/door/train/delete", json={"ids": recent[1:]}).json()["deleted"] == 2
        assert client.get("/api/classification/door/train").json() == []

        secret = tmp_path / "secret.png"
        cv2.imwrite(str(secret), image)
        for bad in (
            client.post("/api/classification/door/train/delete", json={"ids": ["../../../secret.png"]}),
            client.post("/api/classification/door/dataset/categorize", json={"category": "../x", "training_file": "a.webp"}),
            client.post("/api/classification/door/dataset/categorize", json={"category": "ok", "training_file": "..%2Fsecret.png"}),
            client.put("/api/classification/door/dataset/open/rename", json={"new_category": "../../escape"}),
            client.get("/api/clips/door/dataset/open/.hidden.png"),
            client.post("/api/classification/door/dataset/a.b/create"),
        ):
            assert bad.status_code in (400, 404, 422), bad.text
        assert secret.is_file()
        assert client.get("/api/classification/ghost/train").status_code == 404

        assert client.delete("/api/classification/helmet").status_code == 200
        assert not (cache / "helmet").exists()
    finally:
        hub.close()
        db.close()


def test_upload_stores_images_and_refuses_everything_else(tmp_path: Path) -> None:
    media = tmp_path / "media"
    clips = media / "clips"
    db = Database(database_url(None, None, tmp_path))
    db.migrate()
    loaded = validate_raw(CONFIG)
    context = ApiContext(loaded, db, Hub(), {n: CameraControls.from_config(n, c) for n, c in loaded.config.cameras.items()},
                         media, model_cache=tmp_path / "cache", extra_routers=[classification_router(lambda: {})])
    client = TestClient(create_app(context, authenticated=False))
    url = "/api/classification/door/dataset/open/upload"
    picture = np.random.default_rng(0).integers(0, 255, (48, 64, 3), dtype=np.uint8)
    jpeg = cv2.imencode(".jpg", picture)[1].tobytes()
    webp = cv2.imencode(".webp", picture[:, ::-1])[1].tobytes()
    try:
        done = client.post(url, files=[("file", ("../../evil name.jpg", jpeg, "image/jpeg")),
                                       ("file", ("b.webp", webp, "image/webp"))])
        assert done.status_code == 200, done.text
        stored = done.json()["files"]
        assert len(stored) == 2 and all(name.startswith("upload-") and name.endswith(".png") for name in stored)
        folder = clips / "door" / "dataset" / "open"
        assert sorted(p.name for p in folder.iterdir()) == sorted(stored)
        back = cv2.imread(str(folder / stored[0]))
        assert back is not None and back.shape == (48, 64, 3)
        assert client.post(url, files=[("file", ("again.jpg", jpeg, "image/jpeg"))]).json()["files"] == [stored[0]]

        refused = client.post(url, files=[("file", ("ok.jpg", jpeg, "image/jpeg")),
                                          ("file", ("notes.txt", b"hello, not a picture", "image/png"))])
        assert refused.status_code == 400 and refused.headers["content-type"] == "application/json"
        assert "'notes.txt' is not an image" in refused.json()["message"]
        tiny = cv2.imencode(".png", picture[:4, :4])[1].tobytes()
        assert "4x4 pixels" in client.post(url, files=[("file", ("t.png", tiny, "image/png"))]).json()["message"]
        huge = b"\x89PNG" + bytes(11 * 2**20)
        assert client.post(url, files=[("file", ("big.png", huge, "image/png"))]).status_code == 413
        assert client.post(url, files=[("other", ("a.jpg", jpeg, "image/jpeg"))]).status_code == 400
        not_multipart = client.post(url, json={"file": "x"})  # the request guard: wrong body type
        assert not_multipart.status_code == 415 and "multipart/form-data" in not_multipart.json()["message"]
        assert client.post("/api/classification/door/dataset/..%2Fx/upload",
                           files=[("file", ("a.jpg", jpeg, "image/jpeg"))]).status_code in (400, 404)
        assert sorted(p.name for p in folder.iterdir()) == sorted(stored)  # nothing from refused requests
    finally:
        db.close()
