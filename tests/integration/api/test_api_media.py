"""Event and live images over HTTP: snapshot options, thumbnails, clips with range requests,
preview GIFs, latest.jpg overlays, best/label snapshots, and the MJPEG stream from a real uvicorn."""

from __future__ import annotations

import io
import threading
from typing import Any

import cv2
import httpx
import numpy as np
import pytest
from PIL import Image, ImageSequence
from api_seed import HEIGHT, MOTION_BOX, OBJECT_BOX, REGION_BOX, WIDTH, Seeded, served

from roost.events.event import BestSnapshot
from roost.events.previews import PREVIEW_FPS, PREVIEW_HEIGHT
from roost.events.snapshots import encode_jpeg


def image(response: Any) -> np.ndarray:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "image/jpeg"
    decoded = cv2.imdecode(np.frombuffer(response.content, np.uint8), cv2.IMREAD_COLOR)
    assert decoded is not None
    return decoded


def test_snapshot_variants(client: Any, seeded: Seeded) -> None:
    base = f"/api/events/{seeded.events['with_media'].id}/snapshot.jpg"
    full = image(client.get(base))
    assert full.shape[:2] == (HEIGHT, WIDTH)
    android = image(client.get(f"{base}?format=android"))
    assert abs(android.shape[1] / android.shape[0] - 2.0) < 0.02
    assert image(client.get(f"{base}?h=120")).shape[0] == 120
    cropped = image(client.get(f"{base}?crop=1"))
    assert cropped.shape[:2] == (REGION_BOX[3] - REGION_BOX[1], REGION_BOX[2] - REGION_BOX[0])
    plain = image(client.get(f"{base}?bbox=0"))
    boxed = image(client.get(f"{base}?bbox=1"))
    edge = (OBJECT_BOX[1] + 20, OBJECT_BOX[0])  # (row, col) on the left edge of the box
    assert not np.array_equal(plain[edge], boxed[edge])
    small = client.get(f"{base}?h=240&quality=5").content
    large = client.get(f"{base}?h=240&quality=95").content
    assert len(small) < len(large)
    for bad in ("format=ios", "h=5", "quality=0", "crop=2"):
        assert client.get(f"{base}?{bad}").status_code == 422, bad


def test_thumbnail(client: Any, seeded: Seeded) -> None:
    thumb = image(client.get(f"/api/events/{seeded.events['with_media'].id}/thumbnail.jpg"))
    assert thumb.shape[0] == 175
    android = image(client.get(f"/api/events/{seeded.events['with_media'].id}/thumbnail.jpg?format=android"))
    assert abs(android.shape[1] / android.shape[0] - 2.0) < 0.02
    made = image(client.get(f"/api/events/{seeded.events['live'].id}/thumbnail.jpg"))  # from the clean copy
    assert made.shape[0] == 175
    # No picture was ever stored: a plain placeholder tile (a list shows it, not a broken image).
    placeholder = client.get(f"/api/events/{seeded.events['car_back'].id}/thumbnail.jpg")
    assert placeholder.status_code == 200 and placeholder.headers["cache-control"] != "public, max-age=31536000"
    tile = image(placeholder)
    assert tile.shape[:2] == (175, 175) and tile.std() < 40  # one colour and the label
    assert client.get("/api/events/1.000000-nosuch/thumbnail.jpg").status_code == 404


def test_clip_supports_range_requests(client: Any, seeded: Seeded) -> None:
    url = f"/api/events/{seeded.events['with_media'].id}/clip.mp4"
    whole = client.get(url)
    assert whole.status_code == 200 and whole.headers["content-type"] == "video/mp4"
    assert whole.headers["accept-ranges"] == "bytes"
    size = len(whole.content)
    part = client.get(url, headers={"Range": "bytes=100-199"})
    assert part.status_code == 206
    assert part.headers["content-range"] == f"bytes 100-199/{size}"
    assert part.content == whole.content[100:200]
    tail = client.get(url, headers={"Range": "bytes=-50"})
    assert tail.status_code == 206 and tail.content == whole.content[-50:]
    assert client.get(url, headers={"Range": f"bytes={size + 10}-"}).status_code == 416
    download = client.get(f"{url}?download=true")
    assert "attachment" in download.headers["content-disposition"]
    legacy = client.get(f"/clips/front-{seeded.events['with_media'].id}.mp4")
    assert legacy.status_code == 200 and legacy.content == whole.content
    assert client.get(f"/clips/front-{seeded.events['with_media'].id}.jpg").status_code == 200
    assert client.get(f"/clips/garage-{seeded.events['with_media'].id}.jpg").status_code == 404
    assert client.get(f"/clips/back-{seeded.events['with_media'].id}.jpg").status_code == 404


def test_clip_is_cut_from_recordings_on_first_request(client: Any, seeded: Seeded) -> None:
    # 'old' has no clip file but ended; recordings do not cover it: 404, nothing created
    assert client.get(f"/api/events/{seeded.events['old'].id}/clip.mp4").status_code == 404


def test_preview_gif_is_rendered_from_the_recordings(client: Any, seeded: Seeded) -> None:
    event = seeded.events["with_media"]  # 3 s, recorded as 10 fps testsrc at 320x240
    response = client.get(f"/api/events/{event.id}/preview.gif")
    assert response.status_code == 200 and response.headers["content-type"] == "image/gif"
    gif = Image.open(io.BytesIO(response.content))
    assert gif.format == "GIF" and gif.size[1] == PREVIEW_HEIGHT and gif.size[0] == 240
    assert gif.info.get("loop") == 0
    frames = [np.asarray(frame.convert("RGB"), np.int16) for frame in ImageSequence.Iterator(gif)]
    assert abs(len(frames) - 3 * PREVIEW_FPS) <= 2
    # testsrc's frames differ (its counter ticks): the GIF animates, not a still repeated
    assert np.abs(frames[0] - frames[-1]).mean() > 1
    # no recordings cover 'old'; unknown and malformed ids are 404s with a reason
    missing = client.get(f"/api/events/{seeded.events['old'].id}/preview.gif")
    assert missing.status_code == 404 and "no recordings" in missing.json()["message"]
    assert client.get("/api/events/1.0-nothere/preview.gif").status_code == 404
    assert client.get("/api/events/..%2F..%2Fetc%2Fpasswd/preview.gif").status_code in (400, 404)


def test_latest_jpg_draws_the_requested_overlays(client: Any) -> None:
    bare = image(client.get("/api/front/latest.jpg"))
    drawn = image(client.get("/api/front/latest.jpg?motion=1&regions=1&bbox=1&zones=1&mask=1&timestamp=1"))
    mx1, my1 = MOTION_BOX[:2]
    rx1, ry1 = REGION_BOX[:2]
    blue = drawn[my1 + 20, mx1].astype(int)
    green = drawn[ry1, rx1 + 5].astype(int)  # the region's top edge, left of the object
    assert blue[0] > 200 and blue[1] < 80 and blue[2] < 80, blue
    assert green[1] > 200 and green[0] < 80 and green[2] < 80, green
    assert abs(int(bare[my1 + 20, mx1][0]) - 90) < 15  # nothing drawn without flags
    assert abs(int(drawn[30, 40][0]) - int(bare[30, 40][0])) > 5  # the motion mask is shaded
    assert image(client.get("/api/front/latest.jpg?h=240")).shape[0] == 240
    missing = client.get("/api/back/latest.jpg")
    assert missing.status_code == 404 and "no processed frame" in missing.json()["message"]
    assert client.get("/front/latest.jpg").status_code == 200  # un-prefixed path


def test_best_and_label_snapshots(client: Any, seeded: Seeded) -> None:
    best = image(client.get("/api/front/person/best.jpg"))
    assert best.shape[:2] == (HEIGHT, WIDTH)
    cropped = image(client.get("/api/front/person/best.jpg?crop=1&h=100"))
    assert cropped.shape[0] == 100
    assert image(client.get("/api/front/person/snapshot.jpg")).shape[:2] == (HEIGHT, WIDTH)
    unknown = client.get("/api/front/unicorn/best.jpg")
    assert unknown.status_code == 404 and "unicorn" in unknown.json()["message"]
    assert client.get("/api/back/dog/best.jpg").status_code == 404  # tracked, never seen
    seeded.context.hub.publish(BestSnapshot("back", "dog", encode_jpeg(np.zeros((60, 80, 3), np.uint8), 80)))
    for _ in range(50):
        response = client.get("/api/back/dog/best.jpg")
        if response.status_code == 200:
            break
        threading.Event().wait(0.05)
    assert image(response).shape[:2] == (60, 80)


@pytest.fixture(scope="module")
def server(seeded: Seeded) -> Any:
    with served(seeded.context) as (local, _auth):
        yield local


def test_mjpeg_stream_yields_frames_with_overlays(server: str) -> None:
    frames: list[np.ndarray] = []
    with httpx.stream("GET", f"{server}/api/front?fps=10&motion=1&h=240", timeout=10) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("multipart/x-mixed-replace")
        buffer = b""
        for chunk in response.iter_bytes():
            buffer += chunk
            while (start := buffer.find(b"\xff\xd8")) >= 0 and (end := buffer.find(b"\xff\xd9", start)) >= 0:
                frames.append(cv2.imdecode(np.frombuffer(buffer[start:end + 2], np.uint8), cv2.IMREAD_COLOR))
                buffer = buffer[end + 2:]
            if len(frames) >= 3:
                break
    assert len(frames) == 3 and all(f.shape[0] == 240 for f in frames)
    x, y = MOTION_BOX[0] // 2, (MOTION_BOX[1] + 40) // 2
    blue, _green, red = (int(c) for c in frames[0][y, x])
    assert blue - red > 30, frames[0][y, x]  # the blue motion box edge, scaled to h=240
    blank = httpx.stream("GET", f"{server}/api/back?fps=5", timeout=10)
    with blank as response:
        assert response.status_code == 200  # a camera without frames streams a blank image
    assert httpx.get(f"{server}/api/garage", timeout=5).status_code == 404
