"""Login on the authenticated port: the form, a refused wrong password, roles, logout."""

from __future__ import annotations

import httpx

from conftest import ADMIN_PASSWORD, ADMIN_USER, PHONE, VIEWER_PASSWORD, VIEWER_USER, RoostServer, UiFactory


def test_unauthenticated_visit_shows_login_and_wrong_password_is_refused(open_ui: UiFactory) -> None:
    ui = open_ui(port="auth")
    ui.allow(r"/api/login$", 401)
    ui.goto("#/system")
    form = ui.page.locator("form.login-card")
    form.wait_for()
    assert ui.page.locator(".app-header").count() == 0  # nothing of the UI without a session
    ui.page.get_by_label("User name").fill(ADMIN_USER)
    ui.page.get_by_label("Password").fill("not-the-password")
    ui.page.get_by_role("button", name="Log in").click()
    alert = ui.page.get_by_role("alert")
    alert.wait_for()
    assert alert.inner_text() == "Wrong user name or password."
    assert ui.page.context.cookies() == []  # no session was handed out
    ui.shot("refused")
    ui.page.wait_for_timeout(1200)  # the default failed_login_rate_limit allows 1 try per second

    ui.page.get_by_label("Password").fill(ADMIN_PASSWORD)
    ui.page.get_by_role("button", name="Log in").click()
    ui.page.locator(".app-header").wait_for()
    assert ui.page.locator(".user-name").inner_text() == ADMIN_USER
    assert ui.page.locator(".role").inner_text().lower() == "admin"
    assert ui.page.url.endswith("#/system")  # the page asked for before logging in
    ui.page.locator(".log-box .log-line").first.wait_for()  # admins see the log


def test_logout_ends_the_session(open_ui: UiFactory, roost: RoostServer) -> None:
    ui = open_ui(port="auth")
    ui.goto()
    ui.login()
    # Requests the page still has in flight when the session ends are answered 401 (the shell
    # then shows the login): expected here, whichever of the page's calls they are.
    ui.allow(r"/api/", 401)
    ui.page.get_by_role("button", name="Log out").click()
    ui.page.locator("form.login-card").wait_for()
    cookies = {c["name"]: c["value"] for c in ui.page.context.cookies()}
    assert not cookies.get("frigate_token")
    ui.page.reload()
    ui.page.locator("form.login-card").wait_for()


def test_viewer_sees_no_admin_actions(open_ui: UiFactory, roost: RoostServer) -> None:
    ui = open_ui(port="auth", viewport=PHONE)
    ui.goto("#/camera/yard")
    ui.page.locator("form.login-card").wait_for()
    assert ui.horizontal_overflow() == 0  # the login form fits a phone
    ui.login(VIEWER_USER, VIEWER_PASSWORD)
    ui.page.locator(".role").filter(has_text="viewer").wait_for()
    ui.page.locator(".live-view img").wait_for()
    switches = ui.page.get_by_role("switch")
    switches.first.wait_for()
    assert switches.count() == 5 and all(s.is_disabled() for s in switches.all())
    assert ui.page.get_by_role("button", name="Manual event").count() == 0
    ui.page.get_by_text("Only admins can change these.").wait_for()
    ui.goto("#/system")
    ui.page.get_by_role("heading", name="Processes (CPU and memory, % of the machine)").wait_for()
    assert ui.page.locator(".system-logs").count() == 0
    assert ui.horizontal_overflow() == 0
    # and the server agrees: a viewer's token reads stats but not the log
    token = {c["name"]: c["value"] for c in ui.page.context.cookies()}["frigate_token"]
    headers = {"Authorization": f"Bearer {token}"}
    assert httpx.get(f"{roost.auth}/api/logs", headers=headers).status_code == 403
    assert httpx.get(f"{roost.auth}/api/stats", headers=headers).status_code == 200
