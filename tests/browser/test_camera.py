"""The single camera page: overlays toggle (and are drawn), switches act through the API,
a manual event shows up as tracked at once, the recordings link, no overflow on phones."""

from __future__ import annotations

import time

import httpx

from conftest import PHONE, RoostServer, Ui, UiFactory

# Mean colour difference between the column on the zone boundary (x = WIDTH / 2 of the
# detect frame, scaled to the shown picture) and a column 6 px beside it, over the rows.
ZONE_LINE_CONTRAST = """([flag, on]) => {
  const img = document.querySelector('.camera-frame .live-view img');
  if (!img || !img.complete || !img.naturalWidth || img.src.includes(flag + '=1') !== on) return null;
  const ratio = 0.5;
  const canvas = document.createElement('canvas');
  canvas.width = img.naturalWidth; canvas.height = img.naturalHeight;
  const ctx = canvas.getContext('2d');
  ctx.drawImage(img, 0, 0);
  const x = Math.round(img.naturalWidth * ratio);
  const line = ctx.getImageData(x - 1, 0, 3, img.naturalHeight).data;
  const side = ctx.getImageData(x + 6, 0, 3, img.naturalHeight).data;
  let sum = 0;
  for (let i = 0; i < line.length; i += 4) {
    sum += Math.abs(line[i] - side[i]) + Math.abs(line[i + 1] - side[i + 1]) + Math.abs(line[i + 2] - side[i + 2]);
  }
  return sum / (line.length / 4) + 1e-6;  // never 0: a falsy result means "not ready"
}"""


def _zone_line_contrast(ui: Ui, on: bool) -> float:
    """The contrast on the zone boundary of a shown picture loaded with zones=on."""
    return float(ui.page.wait_for_function(ZONE_LINE_CONTRAST, arg=["zones", on]).json_value())


def _picture_with(ui: Ui, flag: str, on: bool) -> None:
    """Until the shown picture was loaded with (or without) the overlay flag."""
    ui.page.wait_for_function(
        "([flag, on]) => { const img = document.querySelector('.camera-frame .live-view img');"
        " return img && img.complete && img.naturalWidth > 0 && img.src.includes(flag + '=1') === on; }",
        arg=[flag, on])


def _controls(roost: RoostServer) -> dict[str, str]:
    return dict(httpx.get(f"{roost.local}/api/controls").json()["yard"])


def test_overlay_toggles_redraw_the_picture(ui: Ui) -> None:
    ui.goto("#/camera/yard")
    chip = ui.page.locator("[data-overlay=zones]")
    without = _zone_line_contrast(ui, False)
    chip.click()
    assert chip.get_attribute("aria-pressed") == "true"
    assert "zones=1" in ui.page.url  # kept in the address, so a reload keeps it
    with_zones = _zone_line_contrast(ui, True)
    assert with_zones > without + 40, (without, with_zones)  # the zones' boundary is drawn
    for flag in ("bbox", "mask", "motion", "regions"):
        ui.page.locator(f"[data-overlay={flag}]").click()
        _picture_with(ui, flag, True)
    ui.shot("overlays")
    ui.page.reload()
    _picture_with(ui, "regions", True)
    assert ui.page.locator("[data-overlay=zones]").get_attribute("aria-pressed") == "true"
    chip = ui.page.locator("[data-overlay=zones]")
    chip.click()
    assert _zone_line_contrast(ui, False) < with_zones - 40


def test_switches_act_through_the_api_and_refusals_are_shown(ui: Ui, roost: RoostServer) -> None:
    ui.goto("#/camera/yard")
    detect = ui.page.get_by_role("switch", name="Object detection")
    motion = ui.page.get_by_role("switch", name="Motion detection")
    ui.page.wait_for_function("() => document.querySelectorAll('[role=switch]:not([disabled])').length === 5")
    assert detect.get_attribute("aria-checked") == "true" and _controls(roost)["detect"] == "ON"

    ui.allow(r"/api/yard/controls/motion$", 400)
    motion.click()  # refused: detection needs motion
    toast = ui.page.locator(".toast-error")
    toast.wait_for()
    assert "motion detection cannot be turned off while object detection is on" in toast.inner_text()
    assert motion.get_attribute("aria-checked") == "true" and _controls(roost)["motion"] == "ON"

    try:
        detect.click()
        ui.page.wait_for_function("(el) => el.getAttribute('aria-checked') === 'false'", arg=detect.element_handle())
        assert _controls(roost)["detect"] == "OFF"
        roost.wait_for(lambda: roost.stats()["cameras"]["yard"]["detection_enabled"] is False, 10, "detection off")
        ui.shot("detect-off")
    finally:
        httpx.put(f"{roost.local}/api/yard/controls/detect", json={"value": "ON"})
    # the change made elsewhere arrives over /ws
    ui.page.wait_for_function("(el) => el.getAttribute('aria-checked') === 'true'", arg=detect.element_handle())


def test_manual_event_is_created_and_tracked_at_once(ui: Ui, roost: RoostServer) -> None:
    ui.goto("#/camera/yard")
    ui.page.get_by_role("button", name="Manual event").click()
    dialog = ui.page.get_by_role("dialog")
    dialog.get_by_label("Label", exact=True).fill("doorbell")
    dialog.get_by_label("Sub label (optional)").fill("parcel")
    dialog.get_by_label("Duration (seconds)").fill("20")
    started = time.time()
    dialog.get_by_role("button", name="Create event").click()
    row = ui.page.locator(".object-row[data-label=doorbell]")
    row.wait_for()
    assert "parcel" in row.inner_text()
    events = httpx.get(f"{roost.local}/api/events", params={"labels": "doorbell", "cameras": "yard"}).json()
    assert len(events) == 1 and events[0]["sub_label"] == "parcel" and events[0]["start_time"] >= started - 1
    ui.shot("manual-event")
    httpx.put(f"{roost.local}/api/events/{events[0]['id']}/end", json={})
    row.wait_for(state="detached")  # its end arrived over /ws


def test_camera_page_links_to_its_recordings_and_fits_a_phone(open_ui: UiFactory) -> None:
    ui = open_ui(viewport=PHONE)
    ui.goto("#/camera/yard")
    ui.page.locator(".camera-frame .live-view img").wait_for()
    link = ui.page.get_by_role("link", name="Recordings", exact=True).last
    assert link.get_attribute("href") == "#/recordings?camera=yard"
    assert ui.horizontal_overflow() == 0
