"""Event media served without per-event copies: clips cut from the recordings when asked
for and cached briefly (bounded); preview.gif of an event that started seconds ago from the
camera's recent frames; `active` and the snapshot's own `snapshot` in the event JSON; the
in-progress snapshot of each of two people on one camera."""

from __future__ import annotations

import dataclasses
import io
import json
import os
import subprocess
import time
import warnings
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from api_seed import BASE, OBJECT_BOX, Seeded, event_row
from PIL import Image, ImageSequence

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

from roost.api import create_app
from roost.api.event_media import clip_cache
from roost.events.clip_cache import ClipCache, cached_clip_path
from roost.events.clips import clip_path
from roost.events.event import BestSnapshot
from roost.events.previews import PREVIEW_HEIGHT


def add(seeded: Seeded, row: Any) -> Any:
    seeded.context.database.write(lambda s: s.add(row))
    return row


def duration(path: Path) -> float:
    done = subprocess.run(["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "json", str(path)],
                          capture_output=True, text=True, check=True)
    return float(json.loads(done.stdout)["format"]["duration"])


def test_clip_is_cut_from_the_recordings_when_asked_for_cached_and_never_stored(
        client: Any, seeded: Seeded, tmp_path: Path) -> None:
    row = add(seeded, event_row(f"{BASE + 2:.6f}-cut001", start=BASE + 3, end=BASE + 5))
    cache = clip_cache(seeded.context)
    cuts = cache.cuts
    response = client.get(f"/api/events/{row.id}/clip.mp4")
    assert response.status_code == 200 and response.headers["content-type"] == "video/mp4"
    (tmp_path / "clip.mp4").write_bytes(response.content)
    # 1 s pre and post capture around 3 s..5 s of recordings that start at BASE on 1 s GOPs
    assert abs(duration(tmp_path / "clip.mp4") - 4.0) <= 0.6
    assert not clip_path(seeded.media / "clips", "front", row.id).exists()  # no copy per event
    assert cached_clip_path(seeded.media, "front", row.id).is_file() and cache.cuts == cuts + 1
    ranged = client.get(f"/api/events/{row.id}/clip.mp4", headers={"Range": "bytes=0-99"})
    assert ranged.status_code == 206 and len(ranged.content) == 100
    assert cache.cuts == cuts + 1  # served from the cache, not cut again


def test_clip_cache_expires_and_stays_bounded(tmp_path: Path) -> None:
    now = [1000.0]
    cache = ClipCache(tmp_path, ttl_s=60, max_files=2, clock=lambda: now[0])

    def cut(target: Path) -> Path:
        target.write_bytes(b"x" * 10)
        return target

    for index, name in enumerate(("e1", "e2", "e3")):  # used at 1000, 1001, 1002 (cache clock)
        made = cache.get("front", name, cut)
        assert made is not None and made.is_file()
        os.utime(made, (now[0] + index, now[0] + index))
    assert sorted(p.name for p in cache.directory.iterdir()) == ["front-e2.mp4", "front-e3.mp4"]  # LRU went
    assert cache.get("front", "e2", cut) is not None and cache.cuts == 3  # fresh: not cut again
    now[0] += 120
    assert cache.prune() == 2 and not list(cache.directory.glob("*.mp4"))  # expired


def test_preview_gif_of_an_event_that_started_seconds_ago_comes_from_recent_frames(seeded: Seeded) -> None:
    started = time.time() - 3
    row = add(seeded, event_row(f"{started:.6f}-fresh1", start=started, end=None))

    def recent(camera: str, start: float, end: float) -> list[tuple[float, bytes]]:
        frames = []
        for i in range(15):  # 3 s at 5 fps, a bright bar moving right
            image = np.full((180, 240, 3), 40, np.uint8)
            image[60:120, 10 + 12 * i:40 + 12 * i] = 230
            frames.append((started + i / 5, cv2.imencode(".jpg", image)[1].tobytes()))
        return [f for f in frames if start <= f[0] <= end] if camera == "front" else []

    context = dataclasses.replace(seeded.context, recent_frames=recent)
    with TestClient(create_app(context, authenticated=False)) as fresh:
        response = fresh.get(f"/api/events/{row.id}/preview.gif")
    assert response.status_code == 200 and response.headers["content-type"] == "image/gif"
    gif = Image.open(io.BytesIO(response.content))
    frames = [np.asarray(f.convert("L"), np.int16) for f in ImageSequence.Iterator(gif)]
    assert gif.size[1] == PREVIEW_HEIGHT and len(frames) >= 10
    # it animates the camera's frames: the bright bar moves right
    first, last = (int(np.argmax(f[90].astype(np.int32) > 150)) for f in (frames[0], frames[-1]))
    assert last - first > 100


def test_event_json_has_active_and_the_snapshots_own_box(client: Any, seeded: Seeded) -> None:
    shot = {"frame_time": BASE + 3.2, "box": [40, 50, 90, 170], "area": 6000, "region": [0, 0, 320, 320],
            "score": 0.88, "attributes": []}
    ended = add(seeded, event_row(f"{BASE + 3:.6f}-snap01", start=BASE + 3, end=BASE + 9, snapshot=shot))
    live = add(seeded, event_row(f"{BASE + 500:.6f}-act001", start=BASE + 500, end=None,
                                 data={"type": "object", "active": True, "stationary": False}))
    still = add(seeded, event_row(f"{BASE + 501:.6f}-sta001", start=BASE + 501, end=None,
                                  data={"type": "object", "active": False, "stationary": True}))
    got = client.get(f"/api/events/{ended.id}").json()
    assert got["snapshot"] == shot and got["box"] == list(OBJECT_BOX) and got["active"] is False
    assert client.get(f"/api/events/{live.id}").json()["active"] is True
    assert client.get(f"/api/events/{still.id}").json()["active"] is False  # stationary
    listed = {e["id"]: e for e in client.get("/api/events", params={"limit": 1000}).json()}
    assert listed[ended.id]["snapshot"] == shot and listed[live.id]["active"] is True


def test_two_people_on_one_camera_get_their_own_in_progress_snapshot(seeded: Seeded) -> None:
    rows = [add(seeded, event_row(f"{BASE + 600 + i:.6f}-two00{i}", start=BASE + 600 + i, end=None))
            for i in range(2)]
    pictures = {}
    for row, value in zip(rows, (60, 200)):
        image = np.full((120, 160, 3), value, np.uint8)
        pictures[row.id] = value
        seeded.context.hub.publish(BestSnapshot("front", "person", cv2.imencode(".jpg", image)[1].tobytes(), row.id))
    with TestClient(create_app(seeded.context, authenticated=False)) as fresh:
        time.sleep(0.3)
        for row in rows:
            seeded.context.hub.publish(BestSnapshot("front", "person", cv2.imencode(
                ".jpg", np.full((120, 160, 3), pictures[row.id], np.uint8))[1].tobytes(), row.id))
        time.sleep(0.5)
        for row in rows:
            response = fresh.get(f"/api/events/{row.id}/snapshot.jpg")
            assert response.status_code == 200
            image = cv2.imdecode(np.frombuffer(response.content, np.uint8), cv2.IMREAD_COLOR)
            assert abs(float(image.mean()) - pictures[row.id]) < 5, row.id
