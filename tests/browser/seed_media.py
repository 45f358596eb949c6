"""Recorded media for the browser tests of Review, Explore, Recordings and Exports.

A generated scene (scikit-image's astronaut photograph walking across a noisy background,
or the cat photograph the other way, H.264 by ffmpeg) becomes 10 s recording segments laid
over the last hours; events and review items are made from frames of that scene with the
animal's true box, so the snapshot's box toggle draws around it and every clip, preview and
HLS playlist is cut from real segments. `bulk_events` adds plain rows (100 000 for the
paging test) that share one small real thumbnail.
"""

from __future__ import annotations

import json
import os
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt
from skimage import data

from roost.events.clips import ClipSource, clip_path, cut_clip
from roost.events.snapshots import (
    SnapshotOptions, clean_png, snapshot_jpeg, thumbnail_base64, thumbnail_jpeg, write_snapshot,
)
from roost.ffmpeg import ffmpeg_binary
from roost.record.segments import recording_path
from roost.store import Database, database_url
from roost.store.models import EventRow, RecordingRow, ReviewSegmentRow

Image = npt.NDArray[np.uint8]
Box = tuple[int, int, int, int]

WIDTH, HEIGHT, FPS = 640, 360, 5
SEGMENT_S = 10
#: Recorded spans as (minutes before now it starts, minutes long); events every EVENT_EVERY_S.
SPANS_MIN = ((190, 20), (95, 15), (30, 25))
EVENT_EVERY_S = 150
EVENT_S = 8
SPRITE_SIZE = {"person": (120, 180), "cat": (165, 110)}


def _sprite(label: str) -> Image:
    source = data.astronaut()[0:512, 60:400] if label == "person" else data.chelsea()
    return np.asarray(cv2.resize(cv2.cvtColor(np.asarray(source), cv2.COLOR_RGB2BGR), SPRITE_SIZE[label]), np.uint8)


def _background() -> Image:
    rng = np.random.default_rng(11)
    base = np.full((HEIGHT, WIDTH, 3), (96, 118, 104), np.uint8)
    cv2.rectangle(base, (0, 250), (WIDTH, HEIGHT), (70, 92, 84), cv2.FILLED)  # a path across the yard
    noise = rng.integers(0, 14, (HEIGHT // 8, WIDTH // 8, 3), dtype=np.uint8)
    return np.asarray(cv2.add(base, cv2.resize(noise, (WIDTH, HEIGHT), interpolation=cv2.INTER_NEAREST)), np.uint8)


def sprite_box(label: str, seconds: float) -> Box:
    """Where `label` is `seconds` into a segment: the person walks left to right, the cat
    right to left, each across the whole frame in SEGMENT_S seconds."""
    w, h = SPRITE_SIZE[label]
    travel = (WIDTH - w) * min(max(seconds / SEGMENT_S, 0.0), 1.0)
    x = int(travel) if label == "person" else int(WIDTH - w - travel)
    y = 40 if label == "person" else HEIGHT - h - 20
    return (x, y, x + w, y + h)


def scene_frame(label: str, seconds: float) -> Image:
    frame = _background()
    x1, y1, x2, y2 = sprite_box(label, seconds)
    frame[y1:y2, x1:x2] = _sprite(label)
    return frame


def write_segment(path: Path, label: str) -> Path:
    """A SEGMENT_S-second H.264 MP4 of `label` crossing the frame (keyframe every second)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    process = subprocess.Popen(
        [ffmpeg_binary(), "-v", "error", "-y", "-f", "rawvideo", "-pix_fmt", "bgr24", "-s", f"{WIDTH}x{HEIGHT}",
         "-r", str(FPS), "-i", "pipe:", "-c:v", "libx264", "-preset", "veryfast", "-g", str(FPS),
         "-pix_fmt", "yuv420p", "-movflags", "+faststart", str(path)], stdin=subprocess.PIPE)
    assert process.stdin is not None
    for index in range(SEGMENT_S * FPS):
        process.stdin.write(scene_frame(label, index / FPS).tobytes())
    process.stdin.close()
    assert process.wait(60) == 0, f"ffmpeg could not write {path}"
    return path


def _region(box: Box) -> Box:
    """A square around `box`, kept inside the frame (what the detector would have looked at)."""
    x1, y1, x2, y2 = box
    side = min(max(x2 - x1, y2 - y1) + 40, HEIGHT)
    cx, cy = (x1 + x2) // 2, (y1 + y2) // 2
    left, top = min(max(cx - side // 2, 0), WIDTH - side), min(max(cy - side // 2, 0), HEIGHT - side)
    return (left, top, left + side, top + side)


@dataclass
class MediaSeed:
    """What `seed_media` stored, for tests to check the pages against."""

    camera: str
    spans: list[tuple[float, float]]
    recordings: list[RecordingRow] = field(default_factory=list)
    events: list[EventRow] = field(default_factory=list)
    reviews: list[ReviewSegmentRow] = field(default_factory=list)


def _event(camera: str, label: str, start: float, index: int, clips: Path, zone_names: tuple[str, str]) -> EventRow:
    offset = start % SEGMENT_S
    box = sprite_box(label, offset + 1)
    region = _region(box)
    frame = scene_frame(label, offset + 1)
    score = round(0.72 + (index % 7) * 0.035, 3)
    event_id = f"{start:.6f}-seed{index:02d}"
    jpeg = snapshot_jpeg(frame, box, region, label, score, start + 1, SnapshotOptions(bounding_box=False))
    write_snapshot(clips, camera, event_id, jpeg, clean_png(frame))
    first, second = zone_names
    zones = [second] if label == "cat" else ([first, second] if index % 2 else [first])
    sub_label, sub_score = ("bob", 0.87) if label == "person" and index % 3 == 0 else (None, None)
    attributes = [{"label": "helmet: no", "score": 0.81}] if label == "person" and index % 4 == 1 else []
    area = (box[2] - box[0]) * (box[3] - box[1])
    return EventRow(
        id=event_id, camera=camera, label=label, sub_label=sub_label, sub_label_score=sub_score,
        start_time=start, end_time=start + EVENT_S, top_score=score, score=score - 0.02, false_positive=False,
        zones=zones, thumbnail=thumbnail_base64(thumbnail_jpeg(frame, region)), has_clip=True, has_snapshot=True,
        retain_indefinitely=index % 5 == 4, box=list(box), region=list(region), area=area,
        ratio=round((box[2] - box[0]) / (box[3] - box[1]), 3),
        data={"type": "object", "top_score": score, "score": score - 0.02, "box": list(box), "region": list(region),
              "attributes": attributes})


def _review(event: EventRow, index: int) -> ReviewSegmentRow:
    return ReviewSegmentRow(
        id=f"{event.start_time - 0.5:.6f}-rev{index:03d}", camera=event.camera, start_time=event.start_time - 0.5,
        end_time=(event.end_time or event.start_time) + 2, severity="alert" if event.label == "person" else "detection",
        has_been_reviewed=index % 6 == 5, thumb_path=None,
        data={"detections": [event.id], "objects": [event.label], "zones": list(event.zones),
              "sub_labels": [event.sub_label] if event.sub_label else []})


def seed_media(media: Path, database: Database, camera: str, now: float, work: Path,
               zone_names: tuple[str, str] = ("lawn", "path")) -> MediaSeed:
    """Recordings of `camera` over SPANS_MIN before `now` (segment files hard-linked from two
    generated ones), an event with snapshot, thumbnail and clip-able recordings every
    EVENT_EVERY_S inside them (persons and cats in turn, in `zone_names`), and a review item
    per event (every sixth already reviewed)."""
    sources = {label: write_segment(work / f"{label}.mp4", label) for label in ("person", "cat")}
    seed = MediaSeed(camera=camera, spans=[])
    clips = media / "clips"
    for span_index, (ago_min, length_min) in enumerate(SPANS_MIN):
        label = "person" if span_index % 2 == 0 else "cat"
        start = float(int(now - ago_min * 60) // SEGMENT_S * SEGMENT_S)
        end = start + length_min * 60
        seed.spans.append((start, end))
        for number, segment_start in enumerate(range(int(start), int(end), SEGMENT_S)):
            path = recording_path(media / "recordings", camera, segment_start)
            path.parent.mkdir(parents=True, exist_ok=True)
            os.link(sources[label], path)
            seed.recordings.append(RecordingRow(
                id=f"{segment_start:.6f}-r{span_index}{number:04d}", camera=camera, path=str(path),
                start_time=float(segment_start), end_time=float(segment_start + SEGMENT_S), duration=float(SEGMENT_S),
                motion=(number * 7) % 40 + 5, objects=SEGMENT_S * FPS, segment_size=path.stat().st_size / 1e6))
        for moment in range(int(start) + 20, int(end) - 20, EVENT_EVERY_S):
            seed.events.append(_event(camera, label, float(moment), len(seed.events), clips, zone_names))
    seed.reviews = [_review(event, index) for index, event in enumerate(seed.events)]
    sources = [ClipSource(Path(r.path), r.start_time, r.end_time) for r in seed.recordings]
    for event in seed.events:  # each clip cut from the seeded recordings, as Roost does at an event's end
        end = (event.end_time or event.start_time) + 5
        assert cut_clip(sources, event.start_time - 5, end, clip_path(clips, camera, event.id)), event.id

    def store(session: Any) -> None:
        session.add_all([*seed.recordings, *seed.events, *seed.reviews])

    database.write(store)
    return seed


def bulk_events(database: Database, cameras: list[str], count: int, newest: float, every_s: float = 6.0) -> float:
    """`count` ended events, newest first from `newest`, `every_s` apart (unique start times,
    so `before` cursor paging never skips one), sharing one small real thumbnail; returns the
    oldest start time. Plain SQL in batches through the single writer (fast, and safe while
    Roost runs on the same database)."""
    frame = scene_frame("person", 3.0)
    thumb = thumbnail_base64(cv2.imencode(".jpg", cv2.resize(frame, (64, 36)), [int(cv2.IMWRITE_JPEG_QUALITY), 40])[1]
                             .tobytes())
    labels = ("person", "car", "dog", "cat")
    box = "[0, 0, 10, 10]"
    data = json.dumps({"type": "object", "top_score": 0.8, "score": 0.78, "box": [0, 0, 10, 10],
                       "region": [0, 0, 10, 10], "attributes": []})
    columns = ("id", "camera", "label", "start_time", "end_time", "top_score", "score", "false_positive", "zones",
               "thumbnail", "has_clip", "has_snapshot", "retain_indefinitely", "box", "region", "area", "ratio", "data")
    statement = f"INSERT INTO event ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
    rows = [(f"{newest - i * every_s:.6f}-b{i:06d}", cameras[i % len(cameras)], labels[i % len(labels)],
             newest - i * every_s, newest - i * every_s + 4, 0.8, 0.78, False, "[]", thumb, False, False, False,
             box, box, 100, 1.0, data) for i in range(count)]
    for first in range(0, count, 10_000):
        batch = rows[first:first + 10_000]
        database.write(lambda session, batch=batch: session.connection().exec_driver_sql(statement, batch))
    return newest - (count - 1) * every_s


# ---- the Roost the media page tests share ------------------------------------------------

#: The camera the seeded media belongs to; it also records the looping scene live.
CAMERA = "yard"
BULK_EVENTS = 100_000


@dataclass
class MediaRoost:
    """A running Roost (conftest's `RoostServer`) with `seed` stored before it started and
    `bulk` plain events older than the seeded ones (0 until `ensure_bulk`)."""

    server: Any
    seed: MediaSeed
    bulk: int


_SHARED: dict[str, MediaRoost] = {}


def shared_media_roost(request: Any, tmp_path_factory: Any, scene_video: Path) -> MediaRoost:
    """One Roost for all the Review/Explore/Recordings/Exports tests of a session (started by
    the first module that asks, stopped at the session's end): camera `yard` loops the
    scene with detection and recording on (so live events, review items and clips happen),
    with recordings kept 7 days so the seeded hours stay, and the seeded media in its
    database."""
    if "roost" in _SHARED:
        return _SHARED["roost"]
    from conftest import camera_config, start_roost

    workdir = tmp_path_factory.mktemp("media-roost")
    media = workdir / "media"
    media.mkdir()
    camera = camera_config(scene_video, record=True)
    camera["record"] = {"enabled": True, "retain": {"days": 7}}
    zones = tuple(camera["zones"])
    made: dict[str, Any] = {}

    def prepare(database: Database) -> None:
        import time

        made["seed"] = seed_media(media, database, CAMERA, time.time(), workdir, zone_names=(zones[0], zones[1]))

    server = start_roost(workdir, {CAMERA: camera}, media_dir=media, prepare=prepare)
    request.config.add_cleanup(server.stop)
    _SHARED["roost"] = MediaRoost(server, made["seed"], 0)
    return _SHARED["roost"]


def ensure_bulk(roost: MediaRoost) -> None:
    """Add BULK_EVENTS plain events older than the seeded ones (once per session), into the
    running Roost's database: its start-up check of every event's media files would take
    tens of seconds for 100 000 events on a loaded machine."""
    if roost.bulk:
        return
    database = Database(database_url(None, None, roost.server.media_dir))
    try:
        bulk_events(database, [CAMERA], BULK_EVENTS, roost.seed.spans[0][0] - 600, every_s=5.0)
    finally:
        database.close()
    roost.bulk = BULK_EVENTS


def video_progress(page: Any, selector: str, timeout_ms: int = 30_000) -> tuple[float, float]:
    """Wait until the <video> at `selector` reports a duration and its currentTime advances
    by at least one second while playing; returns (duration, currentTime)."""
    page.wait_for_function(
        """(sel) => { const v = document.querySelector(sel); return v && v.duration > 0 && v.currentTime > 0.2; }""",
        arg=selector, timeout=timeout_ms)
    first = float(page.eval_on_selector(selector, "v => v.currentTime"))
    page.wait_for_function("([sel, t]) => { const v = document.querySelector(sel); return v.currentTime >= t + 1; }",
                           arg=[selector, first], timeout=timeout_ms)
    duration, now = page.eval_on_selector(selector, "v => [v.duration, v.currentTime]")
    return float(duration), float(now)
