"""Wizard step 3: collect example images for a new classifier to label.

State models: ~100 timestamps from finished review segments, balanced over cameras and
6-hour blocks (when there are none, e.g. a scene so busy that its one review item never
ends, timestamps spread evenly over the last hours of recordings instead), one frame each
extracted from the recordings with ffmpeg, cropped to the camera's crop; the 24 most
distinct are saved. When nothing can be sampled the collection fails with the reason. Object models: ~100 events of the label,
balanced the same way (higher scores first), their snapshots cropped square around the
object; the 24 most distinct are saved. Output: `clips/<model>/train/example_NNN.jpg`.

The database side (which segments, which events, which recording file holds a timestamp)
is the caller's: this module takes plain samples so it can be tested on a generated video.
"""

from __future__ import annotations

import logging
import subprocess
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import cv2
import numpy as np

from roost.classify.model_files import NONE_CLASS, validate_class_name
from roost.ffmpeg import ffmpeg_binary
from roost.train.dataset import DATASET_DIR, TRAIN_DIR, model_clips_dir
from roost.train.distinct import select_by_embedding, select_by_histogram
from roost.train.embed import Backbone

logger = logging.getLogger(__name__)

EXAMPLE_COUNT = 24
CANDIDATE_COUNT = 100
TIME_BLOCK_SECONDS = 6 * 3600
EXAMPLE_NAME = "example_{:03d}.jpg"
JPEG_QUALITY = 90
#: Square object crops: side = longest box side × (1 + margin). Small boxes (under
#: SMALL_BOX_FRACTION of the frame area) get the tighter margin so the object, not the
#: background, fills the example.
SMALL_BOX_FRACTION = 0.02
SMALL_BOX_MARGIN = 0.1
LARGE_BOX_MARGIN = 0.3
FFMPEG_TIMEOUT_S = 30
#: How far back state examples are sampled from recordings when no review segment has ended.
RECORDING_FALLBACK_HOURS = 24
#: Recording samples closer than this are near-duplicates; a short recording gets fewer.
RECORDING_SAMPLE_GAP_S = 4.0


class NoExamplesError(RuntimeError):
    """Nothing could be sampled; the message says why (the collection ends `failed`)."""

T = TypeVar("T")
Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class ReviewSpan:
    """A finished review segment: camera and [start, end] in epoch seconds."""

    camera: str
    start: float
    end: float


@dataclass(frozen=True)
class FrameSample:
    """Where to take one state example: `offset` seconds into `recording`, cropped to
    `crop` = (x1, y1, x2, y2) in frame pixels."""

    camera: str
    recording: Path
    offset: float
    crop: tuple[int, int, int, int]


@dataclass(frozen=True)
class EventSample:
    """An event of the label: its snapshot file and the object box (x1, y1, x2, y2) in
    snapshot pixels; `start_time` epoch seconds; `score` the detection score."""

    event_id: str
    camera: str
    start_time: float
    score: float
    snapshot: Path
    box: tuple[int, int, int, int]


def balanced_round_robin(items: Sequence[T], bucket: Callable[[T], tuple[str, int]], count: int) -> list[T]:
    """Take up to `count` items, one from each bucket in turn (items keep their order inside
    a bucket), so no camera or time block crowds out the others."""
    buckets: dict[tuple[str, int], list[T]] = defaultdict(list)
    for item in items:
        buckets[bucket(item)].append(item)
    queues = [buckets[key] for key in sorted(buckets)]
    picked: list[T] = []
    depth = 0
    while len(picked) < count and any(depth < len(q) for q in queues):
        for q in queues:
            if depth < len(q) and len(picked) < count:
                picked.append(q[depth])
        depth += 1
    return picked


def sample_review_timestamps(spans: Sequence[ReviewSpan], count: int = CANDIDATE_COUNT) -> list[tuple[str, float]]:
    """(camera, timestamp) pairs: the midpoint of segments, balanced over cameras × 6-h blocks."""
    ordered = sorted(spans, key=lambda s: (s.camera, s.start))
    picked = balanced_round_robin(ordered, lambda s: (s.camera, int(s.start // TIME_BLOCK_SECONDS)), count)
    return [(s.camera, (s.start + s.end) / 2) for s in picked]


def sample_events(events: Sequence[EventSample], count: int = CANDIDATE_COUNT) -> list[EventSample]:
    """Events balanced over cameras × 6-h blocks, higher scores first inside each."""
    ordered = sorted(events, key=lambda e: (-e.score, e.start_time))
    return balanced_round_robin(ordered, lambda e: (e.camera, int(e.start_time // TIME_BLOCK_SECONDS)), count)


def sample_recording_timestamps(recordings: Sequence[ReviewSpan], count: int = CANDIDATE_COUNT
                                ) -> list[tuple[str, float]]:
    """(camera, timestamp) pairs spread evenly over the recorded time of each camera
    (`recordings` are recorded spans), the cameras sharing `count` in turn. Pure."""
    by_camera: dict[str, list[ReviewSpan]] = defaultdict(list)
    for span in recordings:
        if span.end > span.start:
            by_camera[span.camera].append(span)
    per_camera: dict[str, list[tuple[str, float]]] = {}
    share = max(1, -(-count // max(1, len(by_camera))))
    for camera, spans in by_camera.items():
        spans.sort(key=lambda s: s.start)
        total = sum(s.end - s.start for s in spans)
        samples = max(1, min(share, int(total // RECORDING_SAMPLE_GAP_S)))
        step = total / samples
        picked: list[tuple[str, float]] = []
        for index in range(samples):
            target = (index + 0.5) * step  # seconds into the camera's recorded time
            for span in spans:
                length = span.end - span.start
                if target < length:
                    picked.append((camera, span.start + target))
                    break
                target -= length
        per_camera[camera] = picked
    return balanced_round_robin([p for c in sorted(per_camera) for p in per_camera[c]],
                                lambda p: (p[0], 0), count)


def extract_frame(recording: Path, offset: float, ffmpeg: str | None = None) -> np.ndarray | None:
    """One RGB uint8 frame at `offset` seconds into a recording file; None if ffmpeg cannot."""
    command = [ffmpeg or ffmpeg_binary(), "-hide_banner", "-loglevel", "error", "-ss", f"{max(offset, 0):.3f}",
               "-i", str(recording), "-frames:v", "1", "-f", "image2pipe", "-c:v", "png", "-"]
    try:
        result = subprocess.run(command, capture_output=True, timeout=FFMPEG_TIMEOUT_S, check=False)
    except (OSError, subprocess.TimeoutExpired) as error:
        logger.warning("cannot extract a frame at %.2f s from %s: %s", offset, recording, error)
        return None
    frame = cv2.imdecode(np.frombuffer(result.stdout, np.uint8), cv2.IMREAD_COLOR) if result.stdout else None
    if frame is None:
        logger.warning("no frame at %.2f s in %s: %s", offset, recording,
                       result.stderr.decode(errors="replace").strip())
        return None
    return cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)


def crop_box(frame: np.ndarray, box: tuple[int, int, int, int]) -> np.ndarray | None:
    """frame[y1:y2, x1:x2] clamped to the frame; None when nothing is left."""
    h, w = frame.shape[:2]
    x1, y1, x2, y2 = max(0, box[0]), max(0, box[1]), min(w, box[2]), min(h, box[3])
    if x2 <= x1 or y2 <= y1:
        return None
    return np.ascontiguousarray(frame[y1:y2, x1:x2])


def square_object_box(box: tuple[int, int, int, int], width: int, height: int) -> tuple[int, int, int, int]:
    """A square around an object box (pixels), tighter for small boxes, shifted to stay in frame."""
    x1, y1, x2, y2 = box
    area_fraction = (x2 - x1) * (y2 - y1) / max(1, width * height)
    margin = SMALL_BOX_MARGIN if area_fraction < SMALL_BOX_FRACTION else LARGE_BOX_MARGIN
    side = min(round(max(x2 - x1, y2 - y1) * (1 + margin)), width, height)
    cx, cy = (x1 + x2) / 2, (y1 + y2) / 2
    left = int(min(max(round(cx - side / 2), 0), width - side))
    top = int(min(max(round(cy - side / 2), 0), height - side))
    return left, top, left + side, top + side


def select_distinct(images: list[np.ndarray], count: int, backbone: Backbone | None) -> list[int]:
    """Indices of the `count` most distinct images: by embeddings when a backbone is given,
    else by HSV histograms (Frigate's way)."""
    if len(images) <= count:
        return list(range(len(images)))
    if backbone is not None:
        return select_by_embedding(backbone.embed(images), count)
    return select_by_histogram(images, count)


def save_examples(images: list[np.ndarray], clips_dir: Path, model: str) -> list[Path]:
    """Replace `clips/<model>/train/example_NNN.jpg` with `images` (RGB uint8)."""
    folder = model_clips_dir(clips_dir, model) / TRAIN_DIR
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("example_*.jpg"):
        old.unlink()
    written = []
    for i, image in enumerate(images):
        path = folder / EXAMPLE_NAME.format(i)
        if not cv2.imwrite(str(path), cv2.cvtColor(image, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY]):
            raise OSError(f"could not write {path}")
        written.append(path)
    return written


def collect_state_examples(samples: Sequence[FrameSample], clips_dir: Path, model: str,
                           backbone: Backbone | None = None, count: int = EXAMPLE_COUNT,
                           progress: Progress | None = None) -> list[Path]:
    """Extract, crop and keep the `count` most distinct frames; returns the written files.
    `progress(done, total)` counts extracted samples."""
    crops: list[np.ndarray] = []
    for done, sample in enumerate(samples, start=1):
        frame = extract_frame(sample.recording, sample.offset)
        crop = crop_box(frame, sample.crop) if frame is not None else None
        if crop is not None:
            crops.append(crop)
        if progress:
            progress(done, len(samples))
    if not crops:
        raise NoExamplesError("no frames could be sampled: no finished review segments and no recordings of the "
                              "cameras in the last hours" if not samples else
                              f"none of the {len(samples)} sampled recording frames could be read")
    chosen = select_distinct(crops, count, backbone)
    logger.info("state examples for %s: %d of %d frames kept", model, len(chosen), len(samples))
    return save_examples([crops[i] for i in chosen], clips_dir, model)


def collect_object_examples(events: Sequence[EventSample], clips_dir: Path, model: str,
                            backbone: Backbone | None = None, count: int = EXAMPLE_COUNT,
                            progress: Progress | None = None) -> list[Path]:
    """Crop each event's snapshot square around its object and keep the most distinct."""
    crops: list[np.ndarray] = []
    for done, event in enumerate(events, start=1):
        snapshot = cv2.imread(str(event.snapshot), cv2.IMREAD_COLOR)
        if snapshot is None:
            logger.warning("event %s: snapshot %s is unreadable; skipped", event.event_id, event.snapshot)
        else:
            h, w = snapshot.shape[:2]
            crop = crop_box(cv2.cvtColor(snapshot, cv2.COLOR_BGR2RGB), square_object_box(event.box, w, h))
            if crop is not None:
                crops.append(crop)
        if progress:
            progress(done, len(events))
    if not crops:
        raise NoExamplesError("no ended events of the label with a readable snapshot" if not events else
                              f"none of the {len(events)} events' snapshots could be read")
    chosen = select_distinct(crops, count, backbone)
    logger.info("object examples for %s: %d of %d events kept", model, len(chosen), len(events))
    return save_examples([crops[i] for i in chosen], clips_dir, model)


def file_examples(clips_dir: Path, model: str, assignments: dict[str, str], object_model: bool) -> dict[str, int]:
    """End of the wizard: move labelled `example_NNN.jpg` files into `dataset/<class>/`.

    `assignments` maps example file name → class. Unassigned examples go to `none` for
    object models (Frigate's rule) and are deleted for state models. Files are renamed
    `example_<unix seconds>_NNN.jpg` so a later wizard run cannot overwrite them.
    Returns images filed per class.
    """
    folder = model_clips_dir(clips_dir, model) / TRAIN_DIR
    stamp = int(time.time())
    filed: dict[str, int] = defaultdict(int)
    examples = sorted(folder.glob("example_*.jpg"))
    unknown = sorted(set(assignments) - {p.name for p in examples})
    if unknown:
        logger.warning("wizard assignments for %s name files that are not examples: %s", model, unknown)
    for path in examples:
        target_class = assignments.get(path.name, NONE_CLASS if object_model else None)
        if target_class is None:
            path.unlink()
            continue
        target = model_clips_dir(clips_dir, model) / DATASET_DIR / validate_class_name(target_class)
        target.mkdir(parents=True, exist_ok=True)
        path.replace(target / f"example_{stamp}_{path.stem.split('_')[-1]}.jpg")
        filed[target_class] += 1
    return dict(filed)
