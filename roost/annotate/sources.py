"""Where a frame sent to annotation comes from, and the detector's boxes on it.

- an event: its snapshot's clean copy (`clips/<camera>-<id>-clean.webp`, the exact frame
  its snapshot box and attributes were seen in, at detect resolution), else the recorded
  frame at the snapshot's time (boxes scaled to the recording's size);
- a review item: the first of its events that gives a frame, else the recorded frame at
  the item's start (no suggestions: which boxes were where then is not stored);
- the live view: the camera's newest processed frame and its tracked objects;
- the recordings at a moment (`/api/<camera>/plus/<frame_time>`): the recorded frame, with
  the snapshot boxes of events whose snapshot is of that moment.

Suggestions are every object (and attribute: a face, a plate) known to be in that frame;
for a frame sent as a false positive, the sent object's box stays a suggestion only.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from roost.annotate.frames import AnnotationBox, AnnotationError, Box, scaled_box
from roost.annotate.store import encode_frame
from roost.config.root import RoostConfig
from roost.events.recorded_frame import recorded_frame
from roost.events.snapshots import Image, snapshot_files
from roost.ffmpeg import ffmpeg_binary
from roost.store import Database
from roost.store.models import EventRow, ReviewSegmentRow
from sqlalchemy import or_, select

logger = logging.getLogger(__name__)

#: Snapshot frame times closer than this are the same frame (they are copied, not computed).
SAME_FRAME_S = 1e-3


@dataclass(frozen=True)
class CapturedFrame:
    """An encoded frame (`image`, `width` x `height`) of `camera` at `frame_time`, with the
    detector's boxes on it in its pixels; `sent` is the box of the object it was sent
    from (one of `suggestions`), if any."""

    image: bytes
    width: int
    height: int
    camera: str
    frame_time: float
    suggestions: tuple[AnnotationBox, ...]
    label: str | None = None
    sent: AnnotationBox | None = None

    def boxes(self, false_positive: bool | None) -> tuple[AnnotationBox, ...]:
        """The boxes to start from: the suggestions, less the sent object's when the user
        called it a false positive."""
        if false_positive and self.sent is not None:
            return tuple(b for b in self.suggestions if b is not self.sent)
        return self.suggestions


def _decode(data: bytes) -> Image | None:
    image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR) if data else None
    return None if image is None else np.asarray(image, np.uint8)


def _detect_size(config: RoostConfig, camera: str, fallback: tuple[int, int]) -> tuple[int, int]:
    """(width, height) the camera's boxes are in."""
    cam = config.cameras.get(camera)
    if cam is None or cam.detect.width is None or cam.detect.height is None:
        return fallback
    return cam.detect.width, cam.detect.height


def _boxes_of_event(row: EventRow, scale: tuple[float, float], size: tuple[int, int]) -> list[AnnotationBox]:
    """The event's snapshot box and the attributes seen on it in that frame."""
    shot: dict[str, Any] = row.snapshot or {}
    found: list[AnnotationBox] = []
    items = [{"label": row.label, "box": shot.get("box") or row.box, "score": shot.get("score", row.top_score)},
             *[a for a in shot.get("attributes") or () if isinstance(a, dict) and a.get("box")]]
    for item in items:
        box = item.get("box")
        if not isinstance(box, list) or len(box) != 4:
            continue
        clipped = scaled_box([float(v) for v in box], scale[0], scale[1], size[0], size[1])
        if clipped is not None:
            score = item.get("score")
            found.append(AnnotationBox(str(item.get("label")), clipped,
                                       float(score) if isinstance(score, (int, float)) else None, "detector"))
    return found


def _events_in_frame(database: Database, camera: str, frame_time: float) -> list[EventRow]:
    """Events of `camera` whose snapshot was taken from the frame at `frame_time`."""
    with database.read() as session:
        rows = session.scalars(select(EventRow).where(
            EventRow.camera == camera, EventRow.start_time <= frame_time + SAME_FRAME_S,
            or_(EventRow.end_time.is_(None), EventRow.end_time >= frame_time - SAME_FRAME_S))).all()
    return [r for r in rows if r.snapshot and abs(float(r.snapshot.get("frame_time", -1.0)) - frame_time) < SAME_FRAME_S]


def _captured(image: bytes, picture: Image, camera: str, frame_time: float, config: RoostConfig,
              database: Database, sent: EventRow | None) -> CapturedFrame:
    height, width = picture.shape[:2]
    detect_w, detect_h = _detect_size(config, camera, (width, height))
    scale = (width / detect_w, height / detect_h)
    suggestions: list[AnnotationBox] = []
    sent_box: AnnotationBox | None = None
    others = _events_in_frame(database, camera, frame_time)
    if sent is not None and all(r.id != sent.id for r in others):
        others.insert(0, sent)
    for row in others:
        boxes = _boxes_of_event(row, scale, (width, height))
        if sent is not None and row.id == sent.id and boxes:
            sent_box = boxes[0]
        suggestions += boxes
    return CapturedFrame(image, width, height, camera, frame_time, tuple(suggestions),
                         sent.label if sent is not None else None, sent_box)


def frame_from_event(database: Database, config: RoostConfig, clips_dir: Path, media_dir: Path,
                     event_id: str) -> CapturedFrame:
    """The event's snapshot frame (clean copy), else its recorded frame (module doc)."""
    with database.read() as session:
        row = session.get(EventRow, event_id)
    if row is None:
        raise LookupError(f"event '{event_id}' not found")
    frame_time = float((row.snapshot or {}).get("frame_time") or row.start_time)
    try:
        clean = snapshot_files(clips_dir, row.camera, row.id).clean
    except ValueError:
        clean = None
    if clean is not None:
        data = clean.read_bytes()
        picture = _decode(data)
        if picture is not None:
            if clean.suffix == ".png":
                data = encode_frame(picture)  # PNG copies of Frigate 0.8 are large; JPEG 95 keeps detail
            return _captured(data, picture, row.camera, frame_time, config, database, row)
    picture = _recorded(database, config, row.camera, frame_time, media_dir)
    if picture is None:
        raise LookupError(f"event '{event_id}' has no clean snapshot and no recording at {frame_time:.3f}")
    return _captured(encode_frame(picture), picture, row.camera, frame_time, config, database, row)


def frame_from_review(database: Database, config: RoostConfig, clips_dir: Path, media_dir: Path,
                      review_id: str) -> tuple[CapturedFrame, str | None]:
    """A review item's frame (module doc) and the event it came from, if one."""
    with database.read() as session:
        row = session.get(ReviewSegmentRow, review_id)
    if row is None:
        raise LookupError(f"review item '{review_id}' not found")
    for event_id in [i for i in (row.data or {}).get("detections", []) if isinstance(i, str)]:
        try:
            return frame_from_event(database, config, clips_dir, media_dir, event_id), event_id
        except LookupError:
            continue
    picture = _recorded(database, config, row.camera, row.start_time, media_dir)
    if picture is None:
        raise LookupError(f"review item '{review_id}' has no event snapshot and no recording of its start")
    height, width = picture.shape[:2]
    return CapturedFrame(encode_frame(picture), width, height, row.camera, row.start_time, ()), None


def frame_from_recordings(database: Database, config: RoostConfig, media_dir: Path, camera: str,
                          frame_time: float) -> CapturedFrame:
    picture = _recorded(database, config, camera, frame_time, media_dir)
    if picture is None:
        raise LookupError(f"camera '{camera}' has no recording at {frame_time:.3f}")
    return _captured(encode_frame(picture), picture, camera, frame_time, config, database, None)


def frame_from_live(camera: str, image: Image, frame_time: float,
                    objects: Sequence[tuple[str, float, Box]]) -> CapturedFrame:
    """The newest processed frame (detect resolution) and its tracked objects
    `(label, score, box)`."""
    height, width = image.shape[:2]
    suggestions = []
    for label, score, box in objects:
        clipped = scaled_box(box, 1.0, 1.0, width, height)
        if clipped is not None:
            suggestions.append(AnnotationBox(label, clipped, float(score), "detector"))
    return CapturedFrame(encode_frame(image), width, height, camera, frame_time, tuple(suggestions))


def _recorded(database: Database, config: RoostConfig, camera: str, at: float, media_dir: Path) -> Image | None:
    cam = config.cameras.get(camera)
    if cam is None:
        raise AnnotationError(f"camera '{camera}' is not configured")
    return recorded_frame(database, camera, at, media_dir, ffmpeg_binary(cam.ffmpeg.path))
