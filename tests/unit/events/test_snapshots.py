"""Snapshots drawn from a known frame: box position, timestamp, crop, height, quality, files."""

from __future__ import annotations

import base64
from pathlib import Path

import cv2
import numpy as np
import pytest

from roost.config.media import SnapshotsConfig
from roost.events.snapshots import (
    SnapshotOptions, android_jpeg, clean_webp, encode_png, label_color, snapshot_files, snapshot_image, snapshot_jpeg,
    thumbnail_base64, thumbnail_jpeg, write_snapshot,
)

GREY = 128
BOX = (100, 80, 200, 180)
REGION = (50, 40, 250, 240)
FRAME_TIME = 1_700_000_000.0


def frame() -> np.ndarray:
    return np.full((240, 320, 3), GREY, dtype=np.uint8)


def decode(data: bytes) -> np.ndarray:
    image = cv2.imdecode(np.frombuffer(data, dtype=np.uint8), cv2.IMREAD_COLOR)
    assert image is not None
    return image


def test_bounding_box_is_drawn_on_the_box_edges_in_the_label_colour() -> None:
    image = snapshot_image(frame(), BOX, REGION, "person", 0.87, FRAME_TIME, SnapshotOptions(bounding_box=True))
    color = label_color("person")
    for x, y in ((100, 130), (199, 130), (150, 179), (101, 170)):  # left, right, bottom edges
        assert tuple(image[y, x]) == color, (x, y)
    assert (image[100:160, 110:190] == GREY).all()  # inside untouched
    assert (image[:, :90] == GREY).all() and (image[:, 210:] == GREY).all()  # outside untouched
    assert (image[60:79, 100:140] != GREY).any()  # the label tag above the box


def test_no_box_when_disabled() -> None:
    image = snapshot_image(frame(), BOX, REGION, "person", 0.9, FRAME_TIME, SnapshotOptions(bounding_box=False))
    assert (image == GREY).all()


def test_crop_to_region_moves_the_box_with_it() -> None:
    image = snapshot_image(frame(), BOX, REGION, "car", None, FRAME_TIME, SnapshotOptions(crop=True))
    assert image.shape == (200, 200, 3)
    assert tuple(image[90, 50]) == label_color("car")  # left edge x=100 → 100-50
    assert (image[60:120, 60:140] == GREY).all()


def test_height_scales_keeping_aspect() -> None:
    full = snapshot_image(frame(), BOX, REGION, "person", 0.9, FRAME_TIME, SnapshotOptions(height=120))
    assert full.shape == (120, 160, 3)
    cropped = snapshot_image(frame(), BOX, REGION, "person", 0.9, FRAME_TIME, SnapshotOptions(crop=True, height=100))
    assert cropped.shape == (100, 100, 3)


def test_timestamp_marks_the_top_left_corner_only() -> None:
    options = SnapshotOptions(bounding_box=False, timestamp=True)
    image = snapshot_image(frame(), BOX, REGION, "person", 0.9, FRAME_TIME, options)
    corner = image[:40, :200]
    assert (corner > 200).all(axis=2).sum() > 30  # white text
    assert (corner < 40).all(axis=2).sum() > 30  # black outline
    assert (image[60:, :] == GREY).all()


def test_timestamp_readable_after_resizing_down() -> None:
    options = SnapshotOptions(bounding_box=False, timestamp=True, height=60)
    image = snapshot_image(frame(), BOX, REGION, "person", 0.9, FRAME_TIME, options)
    assert (image[:20, :] != GREY).any()


def test_quality_changes_the_jpeg() -> None:
    noisy = np.random.default_rng(1).integers(0, 255, (240, 320, 3), dtype=np.uint8)
    low = snapshot_jpeg(noisy, BOX, REGION, "person", 0.9, FRAME_TIME, SnapshotOptions(quality=20))
    high = snapshot_jpeg(noisy, BOX, REGION, "person", 0.9, FRAME_TIME, SnapshotOptions(quality=95))
    assert len(low) < len(high)
    assert decode(high).shape == (240, 320, 3)


def test_options_from_config_resolve_legacy_names() -> None:
    legacy = SnapshotsConfig(show_timestamp=True, draw_bounding_boxes=False, crop_to_region=True, height=175)
    assert SnapshotOptions.from_config(legacy) == SnapshotOptions(
        bounding_box=False, timestamp=True, crop=True, height=175, quality=70)
    assert SnapshotOptions().with_request(height=50, crop=None).height == 50


def test_clean_copy_is_a_webp_close_to_the_frame_and_much_smaller_than_png() -> None:
    from skimage import data  # a real photograph: flat test frames compress to nothing either way
    source = np.ascontiguousarray(data.astronaut()[:, :, ::-1])
    webp = clean_webp(source)
    assert webp[:4] == b"RIFF" and webp[8:12] == b"WEBP"
    assert cv2.PSNR(decode(webp), source) > 35
    assert len(webp) * 3 < len(encode_png(source))


def test_thumbnail_is_the_region_175_high_and_base64_round_trips() -> None:
    jpeg = thumbnail_jpeg(frame(), REGION)
    assert decode(jpeg).shape == (175, 175, 3)
    assert base64.b64decode(thumbnail_base64(jpeg)) == jpeg


@pytest.mark.parametrize(("shape", "expected"), [((240, 320), (240, 480)), ((100, 600), (300, 600)),
                                                 ((175, 175), (175, 350))])
def test_android_format_pads_to_two_by_one(shape: tuple[int, int], expected: tuple[int, int]) -> None:
    image = np.full((*shape, 3), 200, dtype=np.uint8)
    padded = decode(android_jpeg(cv2.imencode(".jpg", image)[1].tobytes()))
    assert padded.shape[:2] == expected
    assert padded[expected[0] // 2, expected[1] // 2].mean() > 150  # picture centred
    assert padded[0, 0].mean() < 30 or padded.shape[:2] == shape  # black padding


def test_snapshot_files_are_named_for_camera_and_event(tmp_path: Path) -> None:
    files = write_snapshot(tmp_path, "front", "1700000000.000000-abc123", b"jpeg", b"webp")
    assert files.jpeg == tmp_path / "front-1700000000.000000-abc123.jpg" and files.jpeg.read_bytes() == b"jpeg"
    assert files.clean_webp == tmp_path / "front-1700000000.000000-abc123-clean.webp"
    assert files.clean == files.clean_webp
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([files.jpeg.name, files.clean_webp.name])
    with pytest.raises(ValueError):
        snapshot_files(tmp_path, "front", "../../etc/passwd")
