"""Settings → Cameras, Masks & zones, Motion tuner and Users against a real Roost of its own
(its config is edited), with a real Mosquitto: a camera added from a generated video shows
its probed frame (an unreachable one says why, without its password, and saves nothing); a
zone drawn with clicks is written as relative coordinates, served by /api/config and
entered by the walking person without a restart; a motion mask drawn over the cat's path
stops motion there; the threshold slider changes `motion_threshold/state` on MQTT; users
are added, changed and deleted. Every tab is photographed at desktop and phone width."""

from __future__ import annotations

import queue
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import cv2
import httpx
import numpy as np
import paho.mqtt.client as mqtt
import pytest
import yaml
from paho.mqtt.enums import CallbackAPIVersion

from conftest import (
    ADMIN_PASSWORD, ADMIN_USER, PHONE, RoostServer, Ui, UiFactory, _suite_conftest, free_port, start_roost,
)
from scene_video import FPS, HEIGHT, WIDTH

PASSWORD = "Cam-pass-4711"


@pytest.fixture(scope="module")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    instance = _suite_conftest().Broker(tmp_path_factory.mktemp("broker"))
    instance.start()
    yield instance
    instance.stop()


@pytest.fixture(scope="module")
def own(tmp_path_factory: pytest.TempPathFactory, scene_video: Path, broker: Any) -> Iterator[RoostServer]:
    camera = {"ffmpeg": {"inputs": [{"path": str(scene_video), "roles": ["detect"],
                                     "input_args": "-stream_loop -1 -re"}]},
              "detect": {"width": WIDTH, "height": HEIGHT, "fps": FPS}}
    server = start_roost(tmp_path_factory.mktemp("settings-tabs"), {"yard": camera},
                         extra={"mqtt": {"host": "127.0.0.1", "port": broker.port}})
    try:
        server.wait_frames(["yard"])
        yield server
    finally:
        server.stop()


def config_path(server: RoostServer) -> Path:
    return server.log_path.parent / "config.yml"


def written(server: RoostServer) -> dict[str, Any]:
    return dict(yaml.safe_load(config_path(server).read_text()))


def admin_ui(open_ui: UiFactory, server: RoostServer, tab: str, **kwargs: Any) -> Ui:
    """A tab on the authenticated port, logged in as the admin, on Settings → `tab`."""
    ui = open_ui(server=server, port="auth", **kwargs)
    ui.goto(f"#/settings/{tab}")
    ui.login(ADMIN_USER, ADMIN_PASSWORD)
    return ui


def click_at(ui: Ui, points: list[tuple[float, float]]) -> None:
    """Click the editor picture at relative (0-1) positions, each scrolled to mid-screen
    first (the picture may be taller than what the sticky header leaves visible)."""
    stage = ui.page.locator(".settings-stage svg")
    for x, y in points:
        box = stage.bounding_box()
        assert box is not None
        ui.page.evaluate("dy => window.scrollBy(0, dy)", box["y"] + y * box["height"] - ui.page.viewport_size["height"] / 2)
        box = stage.bounding_box()
        assert box is not None
        ui.page.mouse.click(box["x"] + x * box["width"], box["y"] + y * box["height"])
    ui.page.evaluate("window.scrollTo(0, 0)")  # full-page screenshots draw the sticky header where it was


def test_add_camera_probes_and_shows_its_frame(open_ui: UiFactory, own: RoostServer, scene_video: Path) -> None:
    ui = admin_ui(open_ui, own, "cameras")
    page = ui.page
    page.locator("tr[data-camera=yard]").wait_for()
    page.get_by_role("button", name="Add camera").click()
    page.get_by_label("Name", exact=True).fill("lawn")
    before = config_path(own).read_text()
    # An unreachable camera: ffmpeg's reason, without the password; nothing saved.
    page.get_by_label("URL or file").fill(f"rtsp://127.0.0.1:{free_port()}/live")
    page.get_by_label("User", exact=True).fill("bob")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Add camera").click()
    error = page.locator(".settings-error-box")
    error.wait_for(timeout=40_000)
    assert "Connection refused" in error.inner_text()
    assert PASSWORD not in page.content()
    assert config_path(own).read_text() == before
    ui.shot("settings-cameras-unreachable")
    # The generated video: its size and a frame, then saved.
    page.get_by_label("URL or file").fill(str(scene_video))
    page.get_by_label("User", exact=True).fill("")
    page.get_by_label("Password", exact=True).fill("")
    page.get_by_label("Input args").fill("-stream_loop -1 -re")
    page.get_by_role("button", name="Test stream").click()
    frame = page.locator(".settings-probe img")
    frame.wait_for(timeout=40_000)
    assert page.locator(".settings-probe-ok").inner_text().startswith(f"{WIDTH}×{HEIGHT}")
    assert page.get_by_label("Detect width").input_value() == str(WIDTH)
    assert page.evaluate("document.querySelector('.settings-probe img').naturalWidth") == WIDTH
    ui.shot("settings-cameras-probe")
    page.get_by_role("button", name="Add camera").click()
    page.locator(".settings-restart", has_text="needs a restart").wait_for(timeout=40_000)
    lawn = written(own)["cameras"]["lawn"]
    assert lawn["ffmpeg"]["inputs"] == [{"path": str(scene_video), "roles": ["detect"], "input_args": "-stream_loop -1 -re"}]
    assert lawn["detect"] == {"width": WIDTH, "height": HEIGHT, "fps": 5}
    assert "lawn" in httpx.get(f"{own.local}/api/config", timeout=10).json()["cameras"]
    page.locator("tr[data-camera=lawn]").wait_for()
    ui.shot("settings-cameras")
    # Disable, then delete it again.
    page.locator("tr[data-camera=lawn] [role=switch]").click()
    own.wait_for(lambda: written(own)["cameras"]["lawn"].get("enabled") is False, 20, "lawn disabled in the file")
    page.get_by_role("button", name="Delete lawn").click()
    page.get_by_role("button", name="Delete camera").click()
    own.wait_for(lambda: "lawn" not in written(own)["cameras"], 20, "lawn deleted from the file")
    page.locator("tr[data-camera=lawn]").wait_for(state="detached")


def events_in_zone(server: RoostServer, zone: str, after: float) -> list[dict[str, Any]]:
    events = httpx.get(f"{server.local}/api/events", params={"camera": "yard", "after": after, "limit": 50}, timeout=10).json()
    return [e for e in events if zone in (e.get("entered_zones") or e.get("zones") or [])]


def test_zone_drawn_with_clicks_is_saved_and_entered(open_ui: UiFactory, own: RoostServer) -> None:
    ui = admin_ui(open_ui, own, "zones")
    page = ui.page
    page.locator(".settings-stage .live-view img").wait_for()
    page.get_by_role("button", name="Zone", exact=True).click()
    # The person walks left→right with its feet at y ≈ 0.62; the cat's are at y ≈ 0.96.
    click_at(ui, [(0.55, 0.05), (0.95, 0.05), (0.95, 0.75), (0.55, 0.75)])
    page.get_by_label("Zone name").fill("porch")
    page.get_by_role("group", name="Objects of the zone").get_by_role("button", name="person").click()
    page.get_by_label("Inertia (frames)").fill("2")
    assert page.locator(".settings-list li[aria-selected=true]").inner_text().strip() == "porch · 4 points"
    ui.shot("settings-zones-drawn")
    saved_at = time.time()
    page.get_by_role("button", name="Save", exact=True).click()
    page.locator(".settings-ok", has_text="Saved and applied").wait_for()
    zone = written(own)["cameras"]["yard"]["zones"]["porch"]
    xs = [float(v) for v in zone["coordinates"].split(",")[0::2]]
    ys = [float(v) for v in zone["coordinates"].split(",")[1::2]]
    assert xs == pytest.approx([0.55, 0.95, 0.95, 0.55], abs=0.01) and ys == pytest.approx([0.05, 0.05, 0.75, 0.75], abs=0.01)
    assert zone["objects"] == ["person"] and zone["inertia"] == 2
    served = httpx.get(f"{own.local}/api/config", timeout=10).json()["cameras"]["yard"]["zones"]["porch"]
    assert served["coordinates"][0] == pytest.approx([0.55 * WIDTH, 0.05 * HEIGHT], abs=7)
    # Applied to the running camera: the person walking through enters it (the scene loops every 18 s).
    entered = own.wait_for(lambda: events_in_zone(own, "porch", saved_at - 20), 75, "an event entering porch")
    assert all(e["label"] == "person" for e in entered)
    assert own.log().count("Roost started") == 1, "applied without a restart"
    page.locator(".settings-list li", has_text="porch").wait_for()
    ui.shot("settings-zones")


def blue_rows(jpeg: bytes) -> np.ndarray:
    """Rows (y, detect pixels) of latest.jpg?motion=1 holding the pure blue of motion boxes."""
    image = cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR)
    blue = (image[:, :, 0] > 190) & (image[:, :, 1] < 70) & (image[:, :, 2] < 70)
    return np.nonzero(blue.sum(axis=1) >= 3)[0]


def lowest_motion(server: RoostServer, seconds: float) -> int:
    """The lowest row any motion box reached over `seconds` of frames (-1: none)."""
    lowest = -1
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        jpeg = httpx.get(f"{server.local}/api/yard/latest.jpg", params={"motion": 1, "h": HEIGHT}, timeout=10).content
        rows = blue_rows(jpeg)
        if rows.size:
            lowest = max(lowest, int(rows.max()))
        time.sleep(0.4)
    return lowest


def test_motion_mask_over_the_cat_stops_motion_there(open_ui: UiFactory, own: RoostServer) -> None:
    band_top = 0.66  # the cat walks in y 320..460 (0.67..0.96); the person stays above 0.62
    assert lowest_motion(own, 20) > band_top * HEIGHT + 20, "the cat's motion is seen before the mask"
    ui = admin_ui(open_ui, own, "zones")
    page = ui.page
    page.locator(".settings-stage .live-view img").wait_for()
    page.get_by_role("button", name="Motion mask", exact=True).click()
    click_at(ui, [(0.004, band_top), (0.996, band_top), (0.996, 0.996), (0.004, 0.996)])  # snapped to the edges
    page.get_by_role("button", name="Save", exact=True).click()
    page.locator(".settings-ok", has_text="Saved and applied").wait_for()
    assert written(own)["cameras"]["yard"]["motion"]["mask"] == ["0,0.66,1,0.66,1,1,0,1"]
    time.sleep(2)  # the camera takes the mask at its next frame; latest.jpg may still be the one before
    lowest = lowest_motion(own, 20)
    assert 0 < lowest <= band_top * HEIGHT + 6, f"motion reached row {lowest} below the mask's edge"
    ui.shot("settings-zones-mask")
    # Delete it again through the list (the other tests want the cat's motion back).
    page.get_by_role("button", name="Delete Motion mask").click()
    assert page.locator(".settings-ok").count() == 0, "the last save's notice goes once there are changes"
    page.get_by_role("button", name="Save", exact=True).click()
    page.locator(".settings-ok", has_text="Saved and applied").wait_for()
    assert written(own)["cameras"]["yard"]["motion"]["mask"] == []


class Listener:
    def __init__(self, port: int) -> None:
        self.messages: queue.Queue[tuple[str, str]] = queue.Queue()
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"settings-{time.monotonic_ns()}")
        self.client.on_connect = lambda c, *_: c.subscribe("frigate/yard/+/state")
        self.client.on_message = lambda _c, _u, m: self.messages.put((m.topic, m.payload.decode()))
        self.client.connect("127.0.0.1", port)
        self.client.loop_start()

    def wait_for(self, topic: str, payload: str, timeout: float = 15) -> None:
        deadline = time.monotonic() + timeout
        seen = []
        while time.monotonic() < deadline:
            try:
                item = self.messages.get(timeout=0.5)
            except queue.Empty:
                continue
            seen.append(item)
            if item == (topic, payload):
                return
        raise AssertionError(f"no {payload} on {topic}; seen {seen[-10:]}")

    def stop(self) -> None:
        self.client.loop_stop()
        self.client.disconnect()


def test_threshold_slider_changes_the_mqtt_state(open_ui: UiFactory, own: RoostServer, broker: Any) -> None:
    listener = Listener(broker.port)
    try:
        ui = admin_ui(open_ui, own, "motion")
        page = ui.page
        slider = page.get_by_role("slider", name="Threshold")
        slider.wait_for()
        page.locator(".settings-motion-stage .live-view img").wait_for()
        start = int(slider.input_value())
        slider.focus()
        for _ in range(12):
            page.keyboard.press("ArrowRight")
        assert int(slider.input_value()) == start + 12
        listener.wait_for("frigate/yard/motion_threshold/state", str(start + 12))
        assert httpx.get(f"{own.local}/api/controls", timeout=10).json()["yard"]["motion_threshold"] == start + 12
        page.get_by_role("slider", name="Contour area").fill("25")
        listener.wait_for("frigate/yard/motion_contour_area/state", "25")
        ui.shot("settings-motion")
        page.get_by_role("button", name="Save to config").click()
        page.locator(".settings-ok", has_text="Saved and applied").wait_for()
        motion = written(own)["cameras"]["yard"]["motion"]
        assert motion["threshold"] == start + 12 and motion["contour_area"] == 25
    finally:
        listener.stop()


def test_users_add_change_and_delete(open_ui: UiFactory, own: RoostServer) -> None:
    ui = admin_ui(open_ui, own, "users")
    page = ui.page
    page.locator("tr[data-user=admin]").wait_for()
    page.get_by_label("User name").fill("carol")
    page.get_by_label("Password", exact=True).fill("carol-pass-1")
    page.get_by_role("button", name="Add user").click()
    row = page.locator("tr[data-user=carol]")
    row.wait_for()
    assert row.get_by_label("Role of carol").input_value() == "viewer"
    row.get_by_label("Role of carol").select_option("admin")
    page.locator(".toast", has_text="carol is now admin").wait_for()
    login = httpx.post(f"{own.auth}/api/login", json={"user": "carol", "password": "carol-pass-1"}, timeout=10)
    assert login.status_code == 200
    token = login.cookies.get("frigate_token")
    users = httpx.get(f"{own.auth}/api/users", cookies={"frigate_token": token}, timeout=10).json()
    assert {"username": "carol", "role": "admin"} in users
    row.get_by_role("button", name="Password").click()
    page.get_by_label("New password").fill("carol-pass-2")
    page.get_by_role("button", name="Change password").click()
    page.locator(".toast", has_text="Password of carol changed").wait_for()
    assert httpx.post(f"{own.auth}/api/login", json={"user": "carol", "password": "carol-pass-2"}, timeout=10).status_code == 200
    assert httpx.post(f"{own.auth}/api/login", json={"user": "carol", "password": "carol-pass-1"}, timeout=10).status_code == 401
    ui.shot("settings-users")
    page.get_by_role("button", name="Delete carol").click()
    page.get_by_role("button", name="Delete user").click()
    row.wait_for(state="detached")
    users = httpx.get(f"{own.auth}/api/users", cookies={"frigate_token": token}, timeout=10)
    assert users.status_code == 401  # carol's session ended with her account


@pytest.mark.parametrize("tab", ["cameras", "zones", "motion", "users"])
def test_tabs_fit_a_phone(open_ui: UiFactory, own: RoostServer, tab: str) -> None:
    ui = admin_ui(open_ui, own, tab, viewport=PHONE)
    ready = {"cameras": "tr[data-camera=yard]", "zones": ".settings-stage .live-view img",
             "motion": ".settings-motion-stage .live-view img", "users": "tr[data-user=admin]"}[tab]
    ui.page.locator(ready).wait_for()
    if tab == "zones":
        ui.page.get_by_role("button", name="Zone", exact=True).click()
        click_at(ui, [(0.1, 0.1), (0.4, 0.1), (0.3, 0.4)])
    assert ui.horizontal_overflow() == 0
    ui.shot(f"settings-{tab}-phone")
