"""Event snapshots: pure functions from a BGR frame to the images people get in
notifications, plus their files `clips/<camera>-<event id>.jpg` and `-clean.webp` (the unannotated frame,
from the decoded pixels, encoded once; `-clean.png` of older versions is still read).

Frames are BGR `(height, width, 3)` uint8 arrays at detect resolution; boxes and regions
are `(x1, y1, x2, y2)` in that frame's pixels (x2/y2 exclusive). Order of drawing, as in
Frigate: bounding box on the full frame, crop to the region, resize to the height, and
the timestamp last so it stays readable at any size.
"""

from __future__ import annotations

import base64
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt

from roost.box import Box
from roost.config.media import SnapshotsConfig
from roost.detect.region_input import chroma_planes, converted_planes
from roost.events.clips import media_file

Image = npt.NDArray[np.uint8]

#: Height of the UI thumbnail (Frigate's: fits Home Assistant's media browser).
THUMBNAIL_HEIGHT = 175
THUMBNAIL_QUALITY = 70
#: WebP quality of clean copies: about a seventh of a PNG's bytes on vtest.avi (92 vs 673 kB
#: per 768x576 frame) at the fidelity of a quality-90 JPEG (PSNR ~40 dB), enough for
#: classifier training crops.
CLEAN_WEBP_QUALITY = 90
BOX_THICKNESS = 2
#: Label colours (BGR), picked per label by a stable hash so a label keeps its colour.
PALETTE: tuple[tuple[int, int, int], ...] = (
    (0, 0, 255), (0, 255, 0), (255, 0, 0), (0, 255, 255), (255, 0, 255), (255, 255, 0),
    (0, 128, 255), (255, 0, 128), (128, 255, 0), (0, 165, 255),
)
TIMESTAMP_FORMAT = "%m/%d/%Y %H:%M:%S"


@dataclass(frozen=True)
class SnapshotOptions:
    """Resolved `snapshots:` options (or an API request's `bbox`, `timestamp`, `crop`, `h`)."""

    bounding_box: bool = True
    timestamp: bool = False
    crop: bool = False
    height: int | None = None
    quality: int = 70
    draw_zones: bool = False

    @classmethod
    def from_config(cls, config: SnapshotsConfig) -> "SnapshotOptions":
        return cls(bounding_box=config.bounding_box_resolved, timestamp=config.timestamp_resolved,
                   crop=config.crop_resolved, height=config.height, quality=config.quality,
                   draw_zones=config.draw_zones)

    def with_request(self, **changes: object) -> "SnapshotOptions":
        """These options with the query parameters a request gave (None values ignored)."""
        return replace(self, **{k: v for k, v in changes.items() if v is not None})  # type: ignore[arg-type]


@dataclass(frozen=True)
class SnapshotFiles:
    jpeg: Path
    clean_webp: Path
    clean_png: Path  # written by older versions; read, never written

    @property
    def clean(self) -> Path | None:
        """The clean copy that exists (WebP first), or None."""
        return next((p for p in (self.clean_webp, self.clean_png) if p.is_file()), None)


def label_color(label: str) -> tuple[int, int, int]:
    """The BGR colour boxes of `label` are drawn in."""
    return PALETTE[zlib.crc32(label.encode()) % len(PALETTE)]


def draw_box(frame: Image, box: Box, label: str, score: float | None,
             color: tuple[int, int, int] | None = None, thickness: int = BOX_THICKNESS) -> None:
    """Draw `box` and a `label: score%` tag above it, in place (in the label's colour unless
    `color` is given; the tag's text black, or white on a dark colour)."""
    color = label_color(label) if color is None else color
    x1, y1, x2, y2 = box
    cv2.rectangle(frame, (x1, y1), (x2 - 1, y2 - 1), color, thickness)
    text = label if score is None else f"{label}: {int(round(score * 100))}%"
    (tw, th), base = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, 0.5, 1)
    top = y1 - th - base - 2 if y1 - th - base - 2 >= 0 else y2
    cv2.rectangle(frame, (x1, top), (x1 + tw + 4, top + th + base + 2), color, cv2.FILLED)
    ink = (0, 0, 0) if 0.114 * color[0] + 0.587 * color[1] + 0.299 * color[2] >= 100 else (255, 255, 255)  # BGR luma
    cv2.putText(frame, text, (x1 + 2, top + th + 1), cv2.FONT_HERSHEY_SIMPLEX, 0.5, ink, 1, cv2.LINE_AA)


def draw_zones(frame: Image, zones: Mapping[str, Sequence[tuple[float, float]]]) -> None:
    """Zone outlines (pixel polygons) in their own colours, in place."""
    for name, points in zones.items():
        polygon = np.array(points, dtype=np.int32).reshape(-1, 1, 2)
        cv2.polylines(frame, [polygon], True, label_color(name), BOX_THICKNESS)


def draw_timestamp(frame: Image, frame_time: float) -> None:
    """Local time in the top-left corner, white on a black outline, scaled to the image."""
    text = datetime.fromtimestamp(frame_time).strftime(TIMESTAMP_FORMAT)
    scale = max(0.4, frame.shape[0] / 400)
    thickness = max(1, round(scale * 2))
    origin = (max(4, round(10 * scale)), max(12, round(30 * scale)))
    cv2.putText(frame, text, origin, cv2.FONT_HERSHEY_SIMPLEX, scale, (0, 0, 0), thickness + 2, cv2.LINE_AA)
    cv2.putText(frame, text, origin, cv2.FONT_HERSHEY_SIMPLEX, scale, (255, 255, 255), thickness, cv2.LINE_AA)


def crop_to(frame: Image, region: Box) -> Image:
    """`frame[y1:y2, x1:x2]` with the region clamped to the frame (a copy)."""
    height, width = frame.shape[:2]
    x1, y1 = max(0, region[0]), max(0, region[1])
    x2, y2 = min(width, region[2]), min(height, region[3])
    if x2 <= x1 or y2 <= y1:
        return frame.copy()
    return frame[y1:y2, x1:x2].copy()


def resize_to_height(image: Image, height: int | None) -> Image:
    """Scale to `height` pixels keeping the aspect ratio (unchanged when None)."""
    if height is None or height == image.shape[0]:
        return image
    width = max(1, round(image.shape[1] * height / image.shape[0]))
    if height < image.shape[0]:
        return shrink(image, (width, height))
    return np.asarray(cv2.resize(image, (width, height), interpolation=cv2.INTER_LINEAR), dtype=np.uint8)


def shrink(image: Image, size: tuple[int, int]) -> Image:
    """`image` scaled down to `size` (width, height), as OpenCV's INTER_AREA would, at a
    tenth of its cost. INTER_AREA is fast only for whole ratios: 768x576 → 240x180 costs
    0.73 ms a plane, halving it 0.016 ms. So the image is halved (exact 2x2 means) while it
    is at least twice the size, and the last step, under 2x, is bilinear: 0.055 ms, within
    1 level (mean) of INTER_AREA on a vtest frame."""
    while image.shape[1] >= 2 * size[0] and image.shape[0] >= 2 * size[1]:
        rows, columns = image.shape[0] // 2, image.shape[1] // 2  # an odd last row or column is left out
        image = np.asarray(cv2.resize(image[:rows * 2, :columns * 2], (columns, rows),
                                      interpolation=cv2.INTER_AREA), np.uint8)
    if (image.shape[1], image.shape[0]) == size:
        return image
    return np.asarray(cv2.resize(image, size, interpolation=cv2.INTER_LINEAR), np.uint8)


def small_bgr_from_i420(yuv: npt.NDArray[np.uint8], height: int) -> Image:
    """A yuv420p frame `(h * 3 // 2, w)` as BGR `height` pixels tall (aspect kept, width
    even), scaling the planes before converting: the colour conversion then touches the
    small image only (for 768x576 to 180 px tall, a tenth of the pixels), and `shrink` scales
    them. Measured with the preview's JPEG encode: 2.2 → 1.3 ms a frame at 768x576 (scaling the
    planes first), then 1.3 → 0.29 ms (`shrink` instead of INTER_AREA; 0.41 ms at 1080p)."""
    frame_height, width = yuv.shape[0] * 2 // 3, yuv.shape[1]
    if height >= frame_height or height % 2:
        return resize_to_height(np.asarray(cv2.cvtColor(yuv, cv2.COLOR_YUV2BGR_I420), np.uint8), height)
    small_width = max(2, round(width * height / frame_height / 2) * 2)
    u, v = chroma_planes(yuv, frame_height, width)
    half = (small_width // 2, height // 2)
    return converted_planes(shrink(yuv[:frame_height], (small_width, height)), shrink(u, half), shrink(v, half),
                            cv2.COLOR_YUV2BGR_I420)


def snapshot_image(frame: Image, box: Box, region: Box, label: str, score: float | None,
                   frame_time: float, options: SnapshotOptions,
                   zones: Mapping[str, Sequence[tuple[float, float]]] | None = None) -> Image:
    """The annotated snapshot as an image (the input frame is not modified)."""
    image = frame.copy()
    if options.draw_zones and zones:
        draw_zones(image, zones)
    if options.bounding_box:
        draw_box(image, box, label, score)
    if options.crop:
        image = crop_to(image, region)
    image = resize_to_height(image, options.height)
    if options.timestamp:
        draw_timestamp(image, frame_time)
    return image


def encode_jpeg(image: Image, quality: int) -> bytes:
    ok, data = cv2.imencode(".jpg", image, [int(cv2.IMWRITE_JPEG_QUALITY), quality])
    if not ok:
        raise ValueError(f"cannot encode a {image.shape} image as JPEG")
    return bytes(data.tobytes())


def snapshot_jpeg(frame: Image, box: Box, region: Box, label: str, score: float | None,
                  frame_time: float, options: SnapshotOptions,
                  zones: Mapping[str, Sequence[tuple[float, float]]] | None = None) -> bytes:
    """JPEG bytes of the annotated snapshot, at `options.quality`."""
    return encode_jpeg(snapshot_image(frame, box, region, label, score, frame_time, options, zones),
                       options.quality)


def encode_png(image: Image) -> bytes:
    ok, data = cv2.imencode(".png", image)
    if not ok:
        raise ValueError(f"cannot encode a {image.shape} image as PNG")
    return bytes(data.tobytes())


def clean_webp(frame: Image, quality: int = CLEAN_WEBP_QUALITY) -> bytes:
    """The unannotated full frame as WebP (what classifier training crops from)."""
    ok, data = cv2.imencode(".webp", frame, [int(cv2.IMWRITE_WEBP_QUALITY), quality])
    if not ok:
        raise ValueError(f"cannot encode a {frame.shape} image as WebP")
    return bytes(data.tobytes())


def thumbnail_jpeg(frame: Image, region: Box, height: int = THUMBNAIL_HEIGHT) -> bytes:
    """The event's region, unannotated, `height` pixels high (the UI's thumbnail)."""
    return encode_jpeg(resize_to_height(crop_to(frame, region), height), THUMBNAIL_QUALITY)


def placeholder_thumbnail_jpeg(label: str, height: int = THUMBNAIL_HEIGHT) -> bytes:
    """A plain tile naming the label: the thumbnail of an event whose picture was never
    stored (its best frame's pixels were lost, e.g. dropped under load), so a list of
    events shows a tile rather than a broken image."""
    tile = np.full((height, height, 3), (62, 56, 52), np.uint8)
    text = label[:14]
    scale = 0.6
    (width, text_height), _ = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, scale, 1)
    cv2.putText(tile, text, ((height - width) // 2, (height + text_height) // 2), cv2.FONT_HERSHEY_SIMPLEX, scale,
                (200, 200, 200), 1, cv2.LINE_AA)
    return encode_jpeg(tile, THUMBNAIL_QUALITY)


def thumbnail_base64(jpeg: bytes) -> str:
    """The text stored in `EventRow.thumbnail` and sent in HTTP event JSON."""
    return base64.b64encode(jpeg).decode("ascii")


def android_jpeg(jpeg: bytes, quality: int = THUMBNAIL_QUALITY) -> bytes:
    """`?format=android`: the image padded with black to 2:1 (width:height), centred, the
    shape Android notifications show uncropped."""
    image = cv2.imdecode(np.frombuffer(jpeg, dtype=np.uint8), cv2.IMREAD_COLOR)
    if image is None:
        raise ValueError("not a JPEG image")
    height, width = image.shape[:2]
    if width < 2 * height:
        extra = 2 * height - width
        padded = cv2.copyMakeBorder(image, 0, 0, extra // 2, extra - extra // 2, cv2.BORDER_CONSTANT, value=(0, 0, 0))
    else:
        extra = (width + 1) // 2 - height
        padded = cv2.copyMakeBorder(image, extra // 2, extra - extra // 2, 0, 0, cv2.BORDER_CONSTANT, value=(0, 0, 0))
    return encode_jpeg(np.asarray(padded, dtype=np.uint8), quality)


def snapshot_files(clips_dir: Path, camera: str, event_id: str) -> SnapshotFiles:
    """`clips/<camera>-<event id>.jpg`, `-clean.webp` and the legacy `-clean.png`
    (validated to stay in `clips_dir`)."""
    return SnapshotFiles(media_file(clips_dir, camera, event_id, ".jpg"),
                         media_file(clips_dir, camera, event_id, "-clean.webp"),
                         media_file(clips_dir, camera, event_id, "-clean.png"))


def write_snapshot(clips_dir: Path, camera: str, event_id: str, jpeg: bytes, clean: bytes | None) -> SnapshotFiles:
    """Write the snapshot (and its clean WebP copy when given), each atomically (temp +
    rename), so `has_snapshot` can be set as soon as this returns."""
    files = snapshot_files(clips_dir, camera, event_id)
    clips_dir.mkdir(parents=True, exist_ok=True)
    for path, data in ((files.jpeg, jpeg), (files.clean_webp, clean)):
        if data is None:
            continue
        partial = path.with_name(f".{path.name}.part")
        partial.write_bytes(data)
        partial.replace(path)
    return files


def remove_snapshot(clips_dir: Path, camera: str, event_id: str) -> int:
    """Delete an event's snapshot files; returns how many existed."""
    files = snapshot_files(clips_dir, camera, event_id)
    removed = 0
    for path in (files.jpeg, files.clean_webp, files.clean_png):
        try:
            path.unlink()
            removed += 1
        except FileNotFoundError:
            pass
    return removed
