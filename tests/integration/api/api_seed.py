"""A seeded Roost for API tests: config with two cameras, a migrated SQLite with events,
recordings and review items, real media files (cv2 images, ffmpeg testsrc segments), and an
`ApiContext` with a synthetic latest frame."""

from __future__ import annotations

import dataclasses
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from roost.api import ApiContext, LatestFrame, OverlayObject, serve_api
from roost.config import validate_raw
from roost.controls import CameraControls
from roost.events.clips import clip_path
from roost.events.snapshots import SnapshotOptions, clean_webp, snapshot_jpeg, thumbnail_base64, thumbnail_jpeg, write_snapshot
from roost.ffmpeg import ffmpeg_binary
from roost.hub import Hub
from roost.record.segments import recording_path
from roost.stats import CameraStats, DetectorStats, build_stats
from roost.store import Database, database_url
from roost.store.models import EventRow, RecordingRow, ReviewSegmentRow

WIDTH, HEIGHT = 640, 480
#: 2024-03-10 23:30:00 UTC: late evening in UTC, already the 11th in Asia/Tokyo (+9).
BASE = 1710113400.0
SEGMENT_S = 2
SEGMENTS = 4
MOTION_BOX = (100, 100, 200, 180)
REGION_BOX = (300, 200, 460, 360)
OBJECT_BOX = (320, 220, 420, 340)

CONFIG: dict[str, Any] = {
    "mqtt": {"host": "mqtt.local", "user": "u", "password": "secret-pass"},
    "objects": {"track": ["person", "car", "dog"]},
    "snapshots": {"enabled": True},
    "cameras": {
        "front": {
            "ffmpeg": {"inputs": [{"path": "rtsp://admin:hunter2@10.0.0.2/stream", "roles": ["detect", "record"]}]},
            "detect": {"width": WIDTH, "height": HEIGHT},
            "record": {"enabled": True, "events": {"pre_capture": 1, "post_capture": 1}},
            "zones": {"yard": {"coordinates": "0,240,640,240,640,480,0,480"},
                      "porch": {"coordinates": "0,0,320,0,320,240,0,240"}},
            "motion": {"mask": "0,0,80,0,80,60,0,60"},
        },
        "back": {
            "ffmpeg": {"inputs": [{"path": "rtsp://10.0.0.3/stream", "roles": ["detect"]}]},
            "detect": {"width": WIDTH, "height": HEIGHT},
        },
    },
}


@dataclass
class Seeded:
    context: ApiContext
    media: Path
    events: dict[str, EventRow]
    recordings: list[RecordingRow]


def frame_image() -> np.ndarray:
    image = np.full((HEIGHT, WIDTH, 3), 90, np.uint8)
    cv2.rectangle(image, OBJECT_BOX[:2], OBJECT_BOX[2:], (30, 160, 220), cv2.FILLED)
    return image


def latest_frame(camera: str) -> LatestFrame | None:
    if camera != "front":
        return None
    return LatestFrame(frame_image(), BASE, motion_boxes=[MOTION_BOX], regions=[REGION_BOX],
                       objects=[OverlayObject("person", 0.91, OBJECT_BOX)])


def stats() -> dict[str, Any]:
    cameras = {"front": CameraStats(5.0, 5.0, 0.0, 1.2, 11, 12, 13, True),
               "back": CameraStats(0.0, 0.0, 0.0, 0.0, None, None, None, True)}
    return build_stats(cameras, {"cpu": DetectorStats(12.5, 0.0, 14)}, time.time() - 60, [])


def make_segment(path: Path, seconds: int = SEGMENT_S) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run([ffmpeg_binary(), "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi",
                    "-i", "testsrc=size=320x240:rate=10", "-t", str(seconds), "-c:v", "libx264",
                    "-preset", "ultrafast", "-g", "10", "-pix_fmt", "yuv420p", str(path)],
                   check=True, capture_output=True)


def event_row(event_id: str, camera: str = "front", label: str = "person", start: float = BASE,
              end: float | None = BASE + 5, **values: Any) -> EventRow:
    defaults: dict[str, Any] = dict(
        sub_label=None, top_score=0.9, score=0.85, false_positive=False, zones=["yard"], has_clip=False,
        has_snapshot=False, retain_indefinitely=False, box=list(OBJECT_BOX), region=list(REGION_BOX),
        area=12000, ratio=0.83, thumbnail=None,
        data={"type": "object", "top_score": 0.9, "score": 0.85, "box": list(OBJECT_BOX),
              "region": list(REGION_BOX), "attributes": []})
    defaults.update(values)
    return EventRow(id=event_id, camera=camera, label=label, start_time=start, end_time=end, **defaults)


def seed(media: Path, segment_source: Path) -> Seeded:
    loaded = validate_raw(CONFIG)
    database = Database(database_url(None, None, media))
    database.migrate()
    clips = media / "clips"
    image = frame_image()
    jpeg = snapshot_jpeg(image, OBJECT_BOX, REGION_BOX, "person", 0.9, BASE, SnapshotOptions())
    thumb = thumbnail_base64(thumbnail_jpeg(image, REGION_BOX))
    events = {
        "with_media": event_row(f"{BASE:.6f}-media1", has_snapshot=True, has_clip=True, thumbnail=thumb,
                                start=BASE + 1, end=BASE + 4),
        "car_back": event_row(f"{BASE + 100:.6f}-car001", camera="back", label="car", start=BASE + 100,
                              end=BASE + 110, zones=[], sub_label="ford", sub_label_score=0.8),
        "dog_porch": event_row(f"{BASE + 200:.6f}-dog001", label="dog", start=BASE + 200, end=BASE + 210,
                               zones=["porch"], retain_indefinitely=True),
        "live": event_row(f"{BASE + 300:.6f}-live01", start=BASE + 300, end=None, has_snapshot=True),
        "old": event_row(f"{BASE - 86400 * 2:.6f}-old001", start=BASE - 86400 * 2, end=BASE - 86400 * 2 + 3),
        "to_delete": event_row(f"{BASE + 400:.6f}-del001", start=BASE + 400, end=BASE + 401, has_snapshot=True),
    }
    for key in ("with_media", "live", "to_delete"):
        row = events[key]
        write_snapshot(clips, row.camera, row.id, jpeg, clean_webp(image))
    clip = clip_path(clips, "front", events["with_media"].id)
    clip.write_bytes(segment_source.read_bytes())
    clip_path(clips, "front", events["to_delete"].id).write_bytes(b"not really a clip")
    recordings = []
    for index in range(SEGMENTS):
        start = BASE + index * SEGMENT_S
        path = recording_path(media / "recordings", "front", start)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(segment_source.read_bytes())
        recordings.append(RecordingRow(id=f"{start:.6f}-rec{index:03d}", camera="front", path=str(path),
                                       start_time=start, end_time=start + SEGMENT_S, duration=SEGMENT_S,
                                       motion=10 * index, objects=index, segment_size=0.1))
    reviews = [
        ReviewSegmentRow(id=f"{BASE:.6f}-rev001", camera="front", start_time=BASE, end_time=BASE + 6,
                         severity="alert", has_been_reviewed=False, thumb_path=None,
                         data={"detections": [events["with_media"].id], "objects": ["person"], "zones": ["yard"],
                               "sub_labels": []}),
        ReviewSegmentRow(id=f"{BASE + 100:.6f}-rev002", camera="back", start_time=BASE + 100, end_time=BASE + 110,
                         severity="detection", has_been_reviewed=True, thumb_path=None,
                         data={"detections": [events["car_back"].id], "objects": ["car"], "zones": [],
                               "sub_labels": ["ford"]}),
    ]

    def store(session: Any) -> None:
        session.add_all([*events.values(), *recordings, *reviews])

    database.write(store)
    hub = Hub()
    controls = {name: CameraControls.from_config(name, camera) for name, camera in loaded.config.cameras.items()}
    context = ApiContext(loaded=loaded, database=database, hub=hub, controls=controls, media_dir=media,
                         stats=stats, latest_frame=latest_frame)
    return Seeded(context, media, {k: v for k, v in events.items()}, recordings)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def served(context: ApiContext) -> Iterator[tuple[str, str]]:
    """Both listeners on free loopback ports via `serve_api`: (trusted URL, authenticated URL)."""
    config = context.loaded.config
    ports = free_port(), free_port()
    local = dataclasses.replace(context, loaded=dataclasses.replace(context.loaded, config=config.model_copy(update={
        "api": config.api.model_copy(update={"host": "127.0.0.1", "port": ports[0]}),
        "auth": config.auth.model_copy(update={"host": "127.0.0.1", "port": ports[1]})})))
    stop = threading.Event()
    servers = serve_api(local, stop)
    try:
        assert servers.wait_started(), "API listeners did not start"
        yield f"http://127.0.0.1:{ports[0]}", f"http://127.0.0.1:{ports[1]}"
    finally:
        stop.set()
        servers.stop()
