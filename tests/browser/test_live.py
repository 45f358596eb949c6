"""The live dashboard: a frame from every camera, refreshed; activity live from /ws; a
camera whose input is gone marked offline with ffmpeg's error."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from conftest import PHONE, RoostServer, UiFactory, camera_config, start_roost


FRAME_SHOWN = """(tile) => { const img = tile && tile.querySelector('.live-view img');
  return img && img.complete && img.naturalWidth > 0 ? [img.naturalWidth, img.naturalHeight, img.src] : null; }"""


def test_dashboard_shows_a_frame_from_every_camera_and_refreshes_it(open_ui: UiFactory) -> None:
    ui = open_ui()
    ui.goto("#/")
    tiles = ui.page.locator(".cam-tile")
    tiles.first.wait_for()
    assert sorted(t.get_attribute("data-camera") or "" for t in tiles.all()) == ["drive", "yard"]
    for tile in tiles.all():
        ui.page.wait_for_function(f"({FRAME_SHOWN})(document.querySelector('[data-camera={tile.get_attribute('data-camera')}]'))")
        width, height, first_src = tile.evaluate(FRAME_SHOWN)
        assert (width, height) == (480, 360)  # asked for h=360 of a 640x480 camera
        assert tile.get_attribute("data-status") == "online"
        assert "fps" in tile.locator(".cam-foot .badge").inner_text()
        # the picture is fetched again (a new cache key) without a reload
        ui.page.wait_for_function(
            "([tile, src]) => tile.querySelector('.live-view img').src !== src && tile.querySelector('.live-view img').complete",
            arg=[tile.element_handle(), first_src])


def test_object_activity_appears_without_reload(open_ui: UiFactory) -> None:
    """The scene's person walks in every 18 s: the tile's object badge comes and goes by /ws."""
    ui = open_ui()
    ui.goto("#/")
    badge = ui.page.locator("[data-camera=yard] .badge-object")
    badge.wait_for(timeout=60_000)
    assert int(badge.inner_text().strip()) >= 1
    ui.shot("activity")
    badge.wait_for(state="detached", timeout=60_000)  # everyone left: the count went back to 0


def test_phone_width_dashboard_does_not_overflow(open_ui: UiFactory) -> None:
    ui = open_ui(viewport=PHONE)
    ui.goto("#/")
    ui.page.locator("[data-camera=yard] .live-view img").wait_for()
    nav = ui.page.locator(".app-nav")
    box = nav.bounding_box()
    assert box is not None and box["y"] + box["height"] == pytest.approx(844, abs=1)  # bottom bar on phones
    assert ui.horizontal_overflow() == 0


@pytest.fixture
def porch_server(tmp_path: Path, scene_video: Path) -> Iterator[tuple[RoostServer, Path]]:
    """`yard` loops the scene; `porch` plays a copy of it once, from a file the test deletes."""
    porch = tmp_path / "porch.mp4"
    shutil.copy(scene_video, porch)
    server = start_roost(tmp_path / "porch-roost", {"yard": camera_config(scene_video),
                                                    "porch": camera_config(porch, loop=False)})
    try:
        yield server, porch
    finally:
        server.stop()


def test_camera_whose_input_is_gone_is_marked_offline_with_ffmpeg_error(
        porch_server: tuple[RoostServer, Path], open_ui: UiFactory) -> None:
    # (porch_server first: it is torn down after the tab, so the tab never sees it stop)
    server, porch = porch_server
    ui = open_ui(server=server)
    ui.goto("#/")
    tile = ui.page.locator("[data-camera=porch]")
    ui.page.wait_for_function(f"({FRAME_SHOWN})(document.querySelector('[data-camera=porch]'))", timeout=30_000)
    assert tile.get_attribute("data-status") == "online"
    porch.unlink()  # the camera goes away: ffmpeg ends with the clip and cannot start again
    ui.page.wait_for_selector("[data-camera=porch][data-status=offline]", timeout=60_000)
    note = tile.locator(".cam-offline-note")
    ui.page.wait_for_function("() => document.querySelector('[data-camera=porch] .cam-offline-note')"
                              "?.textContent.includes('No such file or directory')", timeout=30_000)
    assert "Offline" in note.inner_text() and str(porch) in note.inner_text()
    assert tile.locator(".cam-foot .badge").inner_text() == "offline"
    assert tile.evaluate(FRAME_SHOWN) is not None  # its last picture stays, under the note
    yard = ui.page.locator("[data-camera=yard]")
    assert yard.get_attribute("data-status") == "online"  # the other camera is unaffected
    ui.shot("offline")
    # The camera page says which input is in trouble, since when, and ffmpeg's last words.
    ui.goto("#/camera/porch")
    detect = ui.page.locator(".camera-health [data-input=detect]")
    detect.wait_for(timeout=20_000)
    ui.page.wait_for_function("() => ['reconnecting', 'failed'].includes("
                              "document.querySelector('.camera-health [data-input=detect]')?.dataset.state)", timeout=30_000)
    assert "No such file or directory" in detect.inner_text()
    assert "last frame" in detect.inner_text() or "no frame yet" in detect.inner_text()
    ui.shot("camera-health")
