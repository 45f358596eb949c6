"""Annotate page on a real Roost in Chromium: send the live frame from the camera page, draw a
box with the mouse, label it, move and resize it, verify, reload and find it stored; the
keyboard; desktop and phone layouts."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from conftest import PHONE, RoostServer, Ui, UiFactory


def api(roost: RoostServer, method: str, path: str, **kwargs: Any) -> Any:
    response = httpx.request(method, f"{roost.local}/api/{path}", timeout=30, **kwargs)
    response.raise_for_status()
    return response.json()


@pytest.fixture
def clean_store(roost: RoostServer) -> Iterator[None]:
    yield
    for frame in api(roost, "GET", "annotations", params={"limit": 200})["frames"]:
        api(roost, "DELETE", f"annotations/{frame['id']}")


def canvas_point(ui: Ui, x: float, y: float, width: int) -> tuple[float, float]:
    """Screen coordinates of image pixel (x, y) on the editor's canvas."""
    box = ui.page.get_by_test_id("annotation-canvas").bounding_box()
    assert box is not None
    scale = box["width"] / width
    return box["x"] + x * scale, box["y"] + y * scale


def free_corner(boxes: list[dict[str, Any]], width: int, height: int, w: int, h: int) -> tuple[int, int]:
    """A top-left corner where a w x h area overlaps none of `boxes` (the detector's)."""
    for y in range(10, height - h, 10):
        for x in range(10, width - w, 10):
            if all(x + w <= b["box"][0] or b["box"][2] <= x or y + h <= b["box"][1] or b["box"][3] <= y for b in boxes):
                return x, y
    raise AssertionError(f"no free {w}x{h} area among {boxes}")


def drag(ui: Ui, start: tuple[float, float], end: tuple[float, float]) -> None:
    ui.page.mouse.move(*start)
    ui.page.mouse.down()
    ui.page.mouse.move((start[0] + end[0]) / 2, (start[1] + end[1]) / 2, steps=4)
    ui.page.mouse.move(*end, steps=4)
    ui.page.mouse.up()


def test_draw_label_verify_and_find_it_after_a_reload(roost: RoostServer, open_ui: UiFactory,
                                                      clean_store: None) -> None:
    ui = open_ui()
    ui.goto("#/camera/yard")
    ui.page.get_by_role("button", name="Send to annotation").click()
    ui.page.get_by_role("link", name="Open in Annotate").click()
    canvas = ui.page.get_by_test_id("annotation-canvas")
    canvas.wait_for()
    ui.page.wait_for_function("() => document.querySelector('.an-image').complete")
    (frame,) = api(roost, "GET", "annotations")["frames"]
    assert frame["source"] == "live" and frame["camera"] == "yard"
    width, height = frame["width"], frame["height"]
    suggested = frame["box_count"]  # the detector's boxes on that frame (the walking person, the cat)
    rows = ui.page.locator(".an-box-list li")
    assert rows.count() == suggested
    # Where to draw: an area clear of the detector's boxes, room to move and resize included.
    ox, oy = free_corner(api(roost, "GET", f"annotations/{frame['id']}")["boxes"], width, height, 240, 180)

    # Draw a box with the mouse from (ox, oy) to (ox + 160, oy + 140) image pixels, label it "package".
    drag(ui, canvas_point(ui, ox, oy, width), canvas_point(ui, ox + 160, oy + 140, width))
    assert rows.count() == suggested + 1
    ui.page.get_by_label(f"Label of box {suggested + 1}").select_option("package")
    ui.shot("drawn")
    # Move it right by about 40 px, then pull its bottom-right corner out by about 30 px.
    drag(ui, canvas_point(ui, ox + 80, oy + 70, width), canvas_point(ui, ox + 120, oy + 70, width))
    handle = ui.page.locator('.an-handle[data-handle="se"]')
    handle_box = handle.bounding_box()
    assert handle_box is not None
    centre = (handle_box["x"] + handle_box["width"] / 2, handle_box["y"] + handle_box["height"] / 2)
    scale = canvas.bounding_box()["width"] / width  # type: ignore[index]
    drag(ui, centre, (centre[0] + 30 * scale, centre[1] + 30 * scale))
    # The keyboard: one pixel left.
    ui.page.keyboard.press("ArrowLeft")
    ui.page.get_by_role("button", name="Save and verify").click()
    ui.page.get_by_test_id("verified-badge").wait_for()

    stored = api(roost, "GET", f"annotations/{frame['id']}")
    assert stored["verified"] is True
    package = [b for b in stored["boxes"] if b["label"] == "package"]
    assert len(package) == 1 and package[0]["source"] == "user"
    x1, y1, x2, y2 = package[0]["box"]
    tolerance = 3 / scale + 1  # a few screen pixels of rounding, in image pixels
    # drawn (ox, oy)-(ox+160, oy+140), moved +40, corner pulled +30, one pixel left
    assert abs(x1 - (ox + 39)) <= tolerance and abs(y1 - oy) <= tolerance, package
    assert abs(x2 - (ox + 229)) <= tolerance and abs(y2 - (oy + 170)) <= tolerance, package
    assert 0 <= x1 < x2 <= width and 0 <= y1 < y2 <= height

    ui.page.reload()
    ui.page.get_by_test_id("verified-badge").wait_for()
    assert ui.page.get_by_label(f"Label of box {suggested + 1}").input_value() == "package"
    assert rows.count() == suggested + 1
    ui.shot("after-reload")

    # The list shows it among the verified frames.
    ui.goto("#/annotate?show=verified")
    card = ui.page.locator(f'.an-card[data-frame-id="{frame["id"]}"]')
    card.wait_for()
    assert "package" in card.inner_text()
    assert "1" in ui.page.get_by_test_id("annotate-counts").inner_text()
    ui.shot("verified-list")


def test_keyboard_adds_labels_and_deletes_boxes(roost: RoostServer, open_ui: UiFactory, clean_store: None) -> None:
    sent = api(roost, "POST", "yard/plus", json={})
    frame_id = sent["plus_id"]
    api(roost, "PUT", f"annotations/{frame_id}", json={"boxes": []})
    ui = open_ui()
    ui.goto(f"#/annotate/{frame_id}")
    ui.page.get_by_test_id("annotation-canvas").wait_for()
    ui.page.locator("body").click(position={"x": 5, "y": 5})  # focus the page, not a control
    ui.page.keyboard.press("a")  # a box in the middle
    ui.page.keyboard.press("3")  # the third Frigate+ label: car
    ui.page.keyboard.press("Shift+ArrowDown")
    ui.page.keyboard.press("a")
    ui.page.keyboard.press("2")  # face
    ui.page.keyboard.press("Delete")  # deletes the face again
    ui.page.keyboard.press("s")
    # Saved: the button is "Verify" again, not "Save and verify" (a name match would find both).
    ui.page.locator(".an-actions").get_by_role("button", name="Verify", exact=True).wait_for()
    assert ui.page.get_by_text("unsaved changes").count() == 0
    stored = api(roost, "GET", f"annotations/{frame_id}")
    (car,) = stored["boxes"]
    w, h = stored["width"], stored["height"]
    assert car["label"] == "car"
    assert car["box"] == [round((w - round(w / 4)) / 2), round((h - round(h / 4)) / 2) + 10,
                          round((w - round(w / 4)) / 2) + round(w / 4), round((h - round(h / 4)) / 2) + 10 + round(h / 4)]
    ui.page.keyboard.press("v")
    ui.page.get_by_test_id("verified-badge").wait_for()
    assert api(roost, "GET", f"annotations/{frame_id}")["verified"] is True


def test_phone_layout_of_the_list_and_the_editor(roost: RoostServer, open_ui: UiFactory, clean_store: None) -> None:
    frame_id = api(roost, "POST", "yard/plus", json={})["plus_id"]
    api(roost, "POST", "drive/plus", json={})
    ui = open_ui(viewport=PHONE)
    ui.goto("#/annotate")
    ui.page.locator(".an-card").first.wait_for()
    assert ui.horizontal_overflow() == 0
    ui.shot("phone-list")
    ui.goto(f"#/annotate/{frame_id}")
    canvas = ui.page.get_by_test_id("annotation-canvas")
    canvas.wait_for()
    box = canvas.bounding_box()
    assert box is not None and box["width"] <= PHONE[0] and box["width"] > PHONE[0] * 0.8
    assert ui.horizontal_overflow() == 0
    ui.shot("phone-editor")
    desktop = open_ui()
    desktop.goto("#/annotate?show=all")
    desktop.page.locator(".an-card").nth(1).wait_for()
    desktop.shot("desktop-list")
