"""The System page: figures and charts from the stats and their history, the log tail with
its level filter, no overflow on phones."""

from __future__ import annotations

import re

import httpx

from conftest import PHONE, RoostServer, Ui, UiFactory


def test_system_page_shows_figures_charts_and_storage(ui: Ui, roost: RoostServer) -> None:
    ui.goto("#/system")
    version = httpx.get(f"{roost.local}/api/version").text
    ui.page.get_by_test_id("version").filter(has_text=version).wait_for()
    uptime = ui.page.get_by_test_id("uptime").inner_text()
    assert re.fullmatch(r"\d+ (s|min \d\d s|h \d\d min)", uptime), uptime
    cards = ui.page.locator(".system-camera")
    assert sorted(c.locator("h2").inner_text() for c in cards.all()) == ["drive", "yard"]
    yard = cards.filter(has=ui.page.locator("h2", has_text="yard"))
    figure = yard.locator(".sparkline", has_text="Camera fps").locator("strong")
    ui.page.wait_for_function("(el) => parseFloat(el.textContent) > 0", arg=figure.element_handle())
    assert 1.0 <= float(figure.inner_text()) <= 8.0  # the scene plays at 5 fps
    # a chart line once there are two points (history sample + live stats)
    yard.locator(".sparkline path.spark-line").first.wait_for()
    speed = ui.page.locator(".system-detectors .sparkline strong").first
    ui.page.wait_for_function("(el) => parseFloat(el.textContent) > 0", arg=speed.element_handle())
    processes = ui.page.locator(".process h3").all_inner_texts()
    assert "roost (main)" in processes and "detector cpu" in processes and "ffmpeg yard" in processes
    assert ui.page.locator(".storage-table tbody tr").count() == 2
    assert ui.page.locator(".disk").count() == 2


def test_log_tail_filters_by_level(ui: Ui, roost: RoostServer) -> None:
    # a warning of known text: a refused login
    assert httpx.post(f"{roost.auth}/api/login", json={"user": "nobody-here", "password": "x"}).status_code == 401
    ui.goto("#/system")
    lines = ui.page.locator(".log-box .log-line")
    ui.page.get_by_text("Roost started with 2 camera(s)").wait_for()
    ui.page.locator(".log-line", has_text="failed login for 'nobody-here'").wait_for()
    ui.page.get_by_label("Minimum log level").select_option("warning")
    ui.page.wait_for_function("() => ![...document.querySelectorAll('.log-line .log-lvl')].some(e => e.textContent === 'info')")
    levels = set(ui.page.locator(".log-line .log-lvl").all_text_contents())
    assert levels <= {"warning", "error", "critical"} and "warning" in levels
    ui.page.locator(".log-line", has_text="failed login for 'nobody-here'").wait_for()
    ui.page.get_by_label("Minimum log level").select_option("error")
    ui.page.wait_for_function("() => ![...document.querySelectorAll('.log-line .log-lvl')].some(e => e.textContent === 'warning')")
    assert ui.page.locator(".log-line", has_text="failed login").count() == 0
    assert lines.count() == 0 or set(ui.page.locator(".log-line .log-lvl").all_text_contents()) <= {"error", "critical"}


def test_system_page_fits_a_phone(open_ui: UiFactory) -> None:
    ui = open_ui(viewport=PHONE, color_scheme="dark")
    ui.goto("#/system")
    ui.page.locator(".log-box .log-line").first.wait_for()
    assert ui.horizontal_overflow() == 0
