"""Recorded media for the browser tests of Review, Explore, Recordings and Exports.

A generated scene (scikit-image's astronaut photograph walking across a noisy background,
or the cat photograph the other way, H.264 by ffmpeg) becomes 10 s recording segments laid
over the last hours; events and review items are made from frames of that scene with the
animal's true box, so the snapshot's box toggle draws around it and every clip, preview and
HLS playlist is cut from real segments. `bulk_events` adds plain rows (100 000 for the
paging test) that share one small real thumbnail.
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt
from skimage import data
from sqlalchemy import insert

from roost.events.snapshots import (
    SnapshotOptions, clean_png, snapshot_jpeg, thumbnail_base64, thumbnail_jpeg, write_snapshot,
)
from roost.ffmpeg import ffmpeg_binary
from roost.record.segments import recording_path
from roost.store import Database
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


def _event(camera: str, label: str, start: float, index: int, clips: Path) -> EventRow:
    offset = start % SEGMENT_S
    box = sprite_box(label, offset + 1)
    region = _region(box)
    frame = scene_frame(label, offset + 1)
    score = round(0.72 + (index % 7) * 0.035, 3)
    event_id = f"{start:.6f}-seed{index:02d}"
    jpeg = snapshot_jpeg(frame, box, region, label, score, start + 1, SnapshotOptions(bounding_box=False))
    write_snapshot(clips, camera, event_id, jpeg, clean_png(frame))
    zones = ["path"] if label == "cat" else (["lawn", "path"] if index % 2 else ["lawn"])
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


def seed_media(media: Path, database: Database, camera: str, now: float, work: Path) -> MediaSeed:
    """Recordings of `camera` over SPANS_MIN before `now` (segment files hard-linked from two
    generated ones), an event with snapshot, thumbnail and clip-able recordings every
    EVENT_EVERY_S inside them (persons and cats in turn), and a review item per event."""
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
            seed.events.append(_event(camera, label, float(moment), len(seed.events), clips))
    seed.reviews = [_review(event, index) for index, event in enumerate(seed.events)]

    def store(session: Any) -> None:
        session.add_all([*seed.recordings, *seed.events, *seed.reviews])

    database.write(store)
    return seed


def bulk_events(database: Database, cameras: list[str], count: int, newest: float, every_s: float = 6.0) -> float:
    """`count` ended events, newest first from `newest`, `every_s` apart (unique start times,
    so `before` cursor paging never skips one), with a small real thumbnail; returns the
    oldest start time. Inserted in batches through the single writer."""
    frame = scene_frame("person", 3.0)
    thumb = thumbnail_base64(cv2.imencode(".jpg", cv2.resize(frame, (64, 36)), [int(cv2.IMWRITE_JPEG_QUALITY), 40])[1]
                             .tobytes())
    labels = ("person", "car", "dog", "cat")
    batch: list[dict[str, Any]] = []
    start = newest
    for index in range(count):
        start = newest - index * every_s
        label = labels[index % len(labels)]
        batch.append({"id": f"{start:.6f}-b{index:06d}"[:30], "camera": cameras[index % len(cameras)], "label": label,
                      "sub_label": None, "start_time": start, "end_time": start + 4, "top_score": 0.8, "score": 0.78,
                      "false_positive": False, "zones": [], "thumbnail": thumb, "has_clip": False,
                      "has_snapshot": False, "retain_indefinitely": False, "box": [0, 0, 10, 10],
                      "region": [0, 0, 10, 10], "area": 100, "ratio": 1.0,
                      "data": {"type": "object", "top_score": 0.8, "score": 0.78, "box": [0, 0, 10, 10],
                               "region": [0, 0, 10, 10], "attributes": []}})
        if len(batch) == 5_000 or index == count - 1:
            rows, batch = batch, []
            database.write(lambda session, rows=rows: session.execute(insert(EventRow), rows))
    return start
