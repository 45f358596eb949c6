"""The shell: served on both ports, login on the authenticated one, navigation, no overflow."""

from __future__ import annotations

from conftest import Ui


def test_trusted_port_opens_the_dashboard_without_login(ui: Ui) -> None:
    ui.goto("#/")
    ui.page.locator(".cam-tile").first.wait_for()
    assert ui.page.locator(".user-name").inner_text() == "anonymous"
    assert ui.page.get_by_role("button", name="Log out").count() == 0  # nothing to log out of
    nav = ui.page.locator(".app-nav a")
    assert "Live" in nav.all_inner_texts() and "System" in nav.all_inner_texts()
