"""The browser player (roost/web/player) in Debian's Chromium: it plays the camera's own
H.264 from the restream through MSE — the video's clock advances and the picture is the
camera's, not blank — and falls back to MJPEG when the browser cannot play the codec."""

from __future__ import annotations

import functools
import http.server
import io
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image
from playwright.sync_api import Page, Playwright

from roost.app import Supervisor
from roost.restream.simulated import SimulatedCameras

from restream_roost import roost_on, wait_until

PLAYER = Path(__file__).resolve().parents[3] / "roost" / "web" / "player" / "live-player.js"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--autoplay-policy=no-user-gesture-required"]
TEST_PAGE = """<!doctype html><html><body style="margin:0;background:#000">
<video id="live" width="320" height="240"></video>
<script type="module">
  import { startLivePlayer } from './player-test-live-player.js';
  window.events = [];
  window.stopPlayer = startLivePlayer(document.getElementById('live'), 'front', {
    base: new URLSearchParams(location.search).get('roost'),
    onFallback: (reason) => { window.fallbackReason = reason; },
    onState: (state) => window.events.push(state),
  });
</script></body></html>"""


@pytest.fixture
def roost(rtsp_cameras: SimulatedCameras, site: str, tmp_path: Path) -> Iterator[Supervisor]:
    # The test page is another origin: Roost lets its pages open the live websocket only
    # when it is listed (cross-site requests are refused otherwise).
    supervisor = roost_on(rtsp_cameras.url("good"), tmp_path / "media", record=False, allowed_origins=[site])
    try:
        yield supervisor
    finally:
        supervisor.stop()


@pytest.fixture
def site(tmp_path: Path) -> Iterator[str]:
    """The test page and the player module, served by the test on 127.0.0.1."""
    root = tmp_path / "site"
    root.mkdir()
    (root / "player-test.html").write_text(TEST_PAGE)
    (root / "player-test-live-player.js").write_bytes(PLAYER.read_bytes())
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()


@pytest.fixture
def page(roost: Supervisor, site: str, playwright: Playwright) -> Iterator[Page]:
    browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
    try:
        yield browser.new_page(viewport={"width": 400, "height": 300})
    finally:
        browser.close()


def _open(page: Page, site: str, roost: Supervisor) -> None:
    page.goto(f"{site}/player-test.html?roost=http://127.0.0.1:{roost.config.api.port}/")


def _not_blank(png: bytes) -> float:
    pixels = np.asarray(Image.open(io.BytesIO(png)).convert("RGB"), np.float32)
    return float(pixels.std())


def test_player_plays_the_restream_with_a_moving_clock_and_a_picture(roost: Supervisor, page: Page, site: str) -> None:
    _open(page, site, roost)
    page.wait_for_function("document.getElementById('live').currentTime > 0.5", timeout=30_000)
    first = page.evaluate("document.getElementById('live').currentTime")
    time.sleep(3)
    later: Any = page.evaluate("document.getElementById('live').currentTime")
    assert later - first > 2.0, (first, later)
    assert page.evaluate("window.fallbackReason") is None
    assert "playing" in page.evaluate("window.events")
    shot = page.locator("#live").screenshot()
    Path(roost.media_dir, "player.png").write_bytes(shot)  # for a person to look at
    assert _not_blank(shot) > 20, "the video element shows a blank picture"
    # testsrc2's colour bars: the picture holds strongly coloured pixels, not grey
    pixels = np.asarray(Image.open(io.BytesIO(shot)).convert("RGB"), np.int32)
    assert (np.abs(pixels[..., 0] - pixels[..., 2]) > 80).mean() > 0.05
    # it plays near the live edge, not from a growing buffer
    behind = page.evaluate("(() => { const v = document.getElementById('live'); "
                           "return v.buffered.end(v.buffered.length - 1) - v.currentTime; })()")
    assert behind < 1.5, behind
    page.evaluate("window.stopPlayer()")
    wait_until(lambda: roost.restream.child is not None and roost.restream.child.status["front"]["clients"] <= 1,
               10, "the player's restream connection to close")


def test_player_falls_back_to_mjpeg_when_the_codec_cannot_be_played(roost: Supervisor, page: Page, site: str) -> None:
    page.add_init_script("MediaSource.isTypeSupported = () => false;")  # a browser without H.264
    wait_until(lambda: roost.pipeline is not None and roost.pipeline.latest_frame("front") is not None, 30,
               "a processed frame for the MJPEG stream")
    _open(page, site, roost)
    page.wait_for_function("window.fallbackReason !== undefined", timeout=30_000)
    assert "cannot play" in page.evaluate("window.fallbackReason")
    image = page.locator("img[data-roost-fallback='mjpeg']")
    assert image.get_attribute("src").endswith("/api/front?fps=5")
    page.wait_for_function("document.querySelector('img[data-roost-fallback]').naturalWidth > 0", timeout=20_000)
    assert page.evaluate("document.getElementById('live').style.display") == "none"
    assert _not_blank(image.screenshot()) > 20


def test_dashboard_and_camera_page_play_the_restream_in_a_video(roost: Supervisor, page: Page) -> None:
    """The web UI's live views switch to the player once the restream serves the camera."""
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    wait_until(lambda: roost.restream.child is not None
               and (roost.restream.child.status.get("front") or {}).get("codec") == "h264",
               30, "the restream serving the camera")
    for route in ("#/", "#/camera/front"):
        page.goto(f"http://127.0.0.1:{roost.config.api.port}/{route}")
        video = page.locator(".live-view video")
        video.wait_for(timeout=30_000)  # the stats say the restream streams the camera
        page.wait_for_function("document.querySelector('.live-view video').currentTime > 0.5", timeout=30_000)
        first = page.evaluate("document.querySelector('.live-view video').currentTime")
        time.sleep(2)
        assert page.evaluate("document.querySelector('.live-view video').currentTime") - first > 1.0, route
        assert page.locator(".live-view img").count() == 0  # no latest.jpg polling beside the video
        assert _not_blank(video.screenshot()) > 20, route
    # An overlay needs Roost's own drawing: the camera page goes back to latest.jpg.
    page.get_by_role("button", name="Boxes", exact=True).click()
    page.locator(".live-view img").wait_for(timeout=10_000)
    assert page.locator(".live-view video").count() == 0
    assert not errors, errors
