"""Recordings: a click on the day's timeline plays that moment of the span (checked against
the picture: the person photograph crosses the frame once per 10 s segment, so where it is
tells the second being shown); previous/next event; the camera in the URL; phone width."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from conftest import PHONE, UiFactory
from seed_media import CAMERA, FPS, SEGMENT_S, SPRITE_SIZE, WIDTH, MediaRoost, shared_media_roost, video_progress

#: Leftmost column of the person photograph in the frame the video shows, and the
#: playhead's wall-clock time (the hour strip's data-value), read with the video paused.
READ_FRAME = """() => {
  const v = document.querySelector('.rec-stage video');
  v.pause();
  const c = document.createElement('canvas');
  c.width = v.videoWidth; c.height = v.videoHeight;
  const g = c.getContext('2d', { willReadFrequently: true });
  g.drawImage(v, 0, 0);
  const rows = [];
  for (let y = 60; y <= 200; y += 10) rows.push(g.getImageData(0, y, c.width, 1).data);
  let left = -1;
  for (let x = 0; x < c.width && left < 0; x++) {
    for (const row of rows) {
      const d = Math.abs(row[4 * x] - 104) + Math.abs(row[4 * x + 1] - 118) + Math.abs(row[4 * x + 2] - 96);
      if (d > 110) { left = x; break; }
    }
  }
  return [left, Number(document.querySelector('.rec-timelines .tb-track').dataset.value), v.currentTime];
}"""


@pytest.fixture(scope="module")
def media(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, scene_video: Path) -> MediaRoost:
    return shared_media_roost(request, tmp_path_factory, scene_video)


def day_of(epoch: float) -> str:
    return time.strftime("%Y-%m-%d", time.localtime(epoch))


def click_day_at(page: Any, epoch: float) -> None:
    """Click the whole-day bar where `epoch` is (the bar spans local midnight to midnight)."""
    local = time.localtime(epoch)
    midnight = time.mktime((local.tm_year, local.tm_mon, local.tm_mday, 0, 0, 0, 0, 0, -1))
    following = time.mktime((local.tm_year, local.tm_mon, local.tm_mday + 1, 0, 0, 0, 0, 0, -1))
    box = page.locator(".timebar-compact .tb-track").bounding_box()
    assert box is not None
    page.mouse.click(box["x"] + box["width"] * (epoch - midnight) / (following - midnight), box["y"] + box["height"] / 2)


def shown_second(page: Any) -> tuple[float, float]:
    """(seconds into its segment the frame shows, by the photograph's place; the playhead's
    seconds into the same segment)."""
    left, wall, _ = page.evaluate(READ_FRAME)
    assert left >= 0, "no person photograph in the frame"
    travel = WIDTH - SPRITE_SIZE["person"][0]
    return left / travel * SEGMENT_S, wall % SEGMENT_S


def test_timeline_click_plays_that_moment_of_the_span(media: MediaRoost, open_ui: UiFactory) -> None:
    start, end = media.seed.spans[0]  # a span of the person walking, hours ago
    target = start + (end - start) * 0.4 + 3
    ui = open_ui(server=media.server)
    ui.goto(f"#/recordings?camera={CAMERA}&day={day_of(start)}")
    ui.page.locator(".timebar-compact .tb-span").first.wait_for()
    assert ui.page.locator(".chip[aria-pressed='true']").inner_text() == CAMERA
    click_day_at(ui.page, target)
    video_progress(ui.page, ".rec-stage video")
    wall = float(ui.page.locator(".rec-timelines .tb-track").first.get_attribute("data-value") or 0)
    # The day bar is ~1000 px for 24 h (~90 s a pixel): the playhead lands near the click, in the span.
    assert start <= wall <= end and abs(wall - target) < 200, (wall, target)
    for _ in range(5):  # away from a segment's first/last half second, where the reading wraps
        pictured, playhead = shown_second(ui.page)
        if 0.6 < playhead < SEGMENT_S - 0.6:
            break
        ui.page.evaluate("document.querySelector('.rec-stage video').play()")
        ui.page.wait_for_timeout(700)
    assert abs(pictured - playhead) < 1.0 + 1 / FPS, (pictured, playhead)
    ui.shot("playing")
    # Next event: the playhead moves to just before the next event after it. Paused, so the
    # playhead is where it was read (it played on since `wall`: an event a few seconds after
    # `wall` could already be behind it, and the next one the right answer).
    ui.page.evaluate("document.querySelector('.rec-stage video').pause()")
    paused_at = float(ui.page.locator(".rec-timelines .tb-track").first.get_attribute("data-value") or 0)
    following = min((e for e in media.seed.events if e.start_time > paused_at + 2), key=lambda e: e.start_time)
    ui.page.get_by_role("button", name="Next event").click()
    ui.page.wait_for_function("(t) => Math.abs(Number(document.querySelector('.rec-timelines .tb-track').dataset.value) - t) < 3",
                              arg=following.start_time - 2, timeout=20_000)
    ui.page.get_by_role("button", name="Previous event").click()
    ui.page.wait_for_function("(t) => Number(document.querySelector('.rec-timelines .tb-track').dataset.value) < t",
                              arg=following.start_time - 3, timeout=20_000)


def test_hour_strip_scrub_and_keyboard(media: MediaRoost, open_ui: UiFactory) -> None:
    start, end = media.seed.spans[2]
    ui = open_ui(server=media.server)
    ui.goto(f"#/recordings?camera={CAMERA}&day={day_of(start)}&time={int(start + 60)}")
    video_progress(ui.page, ".rec-stage video")
    strip = ui.page.locator(".rec-timelines .tb-track").first
    before = float(strip.get_attribute("data-value") or 0)
    assert abs(before - (start + 60)) < 5, (before, start)
    strip.focus()
    ui.page.keyboard.press("PageDown")  # +10 min
    ui.page.wait_for_function("(t) => Number(document.querySelector('.rec-timelines .tb-track').dataset.value) > t",
                              arg=before + 590, timeout=20_000)


def test_recordings_fits_a_phone(media: MediaRoost, open_ui: UiFactory) -> None:
    start, _ = media.seed.spans[1]
    ui = open_ui(viewport=PHONE, server=media.server, color_scheme="dark")
    ui.goto(f"#/recordings?camera={CAMERA}&day={day_of(start)}&time={int(start + 30)}")
    video_progress(ui.page, ".rec-stage video")
    assert ui.horizontal_overflow() == 0
    ui.shot("phone")
