"""The preview sampler's small frames: planes scaled before the colour conversion must give
the picture the full conversion gives, at the preview's size."""

from __future__ import annotations

import cv2
import numpy as np
import numpy.typing as npt
import pytest

from roost.events.recent_frames import RecentFrames
from roost.events.snapshots import resize_to_height, shrink, small_bgr_from_i420


def scene(height: int, width: int) -> npt.NDArray[np.uint8]:
    """A BGR test card: colour bars over a gradient, a white disc (edges to keep sharp)."""
    bars = np.array([[0, 0, 255], [0, 255, 0], [255, 0, 0], [0, 255, 255], [255, 255, 255], [40, 40, 40]], np.uint8)
    image = bars[(np.arange(width) * len(bars) // width)][None].repeat(height, axis=0)
    image[height // 2:] = (np.linspace(0, 255, width, dtype=np.uint8)[None, :, None]).repeat(3, axis=2)
    cv2.circle(image, (width // 3, height // 4), height // 8, (255, 255, 255), -1)
    return image


@pytest.mark.parametrize("shape", [(576, 768), (720, 1280), (1080, 1920), (360, 640)])
def test_scaled_planes_match_converting_the_whole_frame(shape: tuple[int, int]) -> None:
    bgr = scene(*shape)
    yuv = np.asarray(cv2.cvtColor(bgr, cv2.COLOR_BGR2YUV_I420), np.uint8)
    full = resize_to_height(np.asarray(cv2.cvtColor(yuv, cv2.COLOR_YUV2BGR_I420), np.uint8), 180)
    small = small_bgr_from_i420(yuv, 180)
    assert small.shape[0] == 180 and small.shape[1] % 2 == 0
    assert abs(small.shape[1] - full.shape[1]) <= 1
    width = min(small.shape[1], full.shape[1])
    difference = np.abs(small[:, :width].astype(int) - full[:, :width].astype(int))
    assert difference.mean() < 3.0  # the same picture; chroma edges may differ by a pixel
    # the bars keep their colours (BGR of the first, red, bar and the fifth, white)
    assert small[10, 5].tolist() == pytest.approx([0, 0, 255], abs=12)
    assert small[10, int(small.shape[1] * 4.5 / 6)].tolist() == pytest.approx([255, 255, 255], abs=12)


@pytest.mark.parametrize(("shape", "size"), [((576, 768), (240, 180)), ((1080, 1920), (320, 180)),
                                             ((575, 767), (239, 179)), ((300, 400), (250, 175)),
                                             ((576, 768), (96, 72))])
@pytest.mark.parametrize("channels", [1, 3])
def test_shrink_gives_what_area_resampling_gives(shape: tuple[int, int], size: tuple[int, int],
                                                 channels: int) -> None:
    """`shrink` stands in for INTER_AREA (snapshots, thumbnails, previews): the same size,
    and the same picture on a card with sharp edges and fine noise."""
    noise = np.random.default_rng(3).integers(0, 40, (*shape, 3))
    image = np.clip(scene(*shape).astype(int) + noise, 0, 255).astype(np.uint8)
    if channels == 1:
        image = np.asarray(cv2.cvtColor(image, cv2.COLOR_BGR2GRAY), np.uint8)
    small = shrink(image, size)
    area = cv2.resize(image, size, interpolation=cv2.INTER_AREA)
    assert small.shape == area.shape and small.dtype == np.uint8
    assert np.abs(small.astype(int) - area.astype(int)).mean() < 3.0


def test_a_frame_smaller_than_the_preview_is_converted_then_scaled_up() -> None:
    bgr = scene(120, 160)
    yuv = np.asarray(cv2.cvtColor(bgr, cv2.COLOR_BGR2YUV_I420), np.uint8)
    expected = resize_to_height(np.asarray(cv2.cvtColor(yuv, cv2.COLOR_YUV2BGR_I420), np.uint8), 180)
    assert np.array_equal(small_bgr_from_i420(yuv, 180), expected)


def test_recent_frames_keep_small_jpegs_of_the_last_seconds() -> None:
    frames = RecentFrames(seconds=2.0)
    yuv = np.asarray(cv2.cvtColor(scene(576, 768), cv2.COLOR_BGR2YUV_I420), np.uint8)
    for step in range(30):
        frames.add("yard", 1000.0 + step * 0.2, yuv)
    kept = frames.between("yard", 0.0, 2000.0)
    assert [round(t, 1) for t, _ in kept] == [round(1000.0 + s * 0.2, 1) for s in range(19, 30)]
    image = cv2.imdecode(np.frombuffer(kept[-1][1], np.uint8), cv2.IMREAD_COLOR)
    assert image.shape == (180, 240, 3)
