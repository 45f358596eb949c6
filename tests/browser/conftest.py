"""Fixtures of the browser tests: a real `roost serve` (subprocess, both ports, on the
generated scene video of the pipeline tests), headless Debian Chromium through Playwright,
and `ui` pages that fail the test on any console error or failed request and leave a
screenshot per test (in the test's tmp dir and in /work/wt/shots/ when that exists).

See roost/web/README.md ("Browser tests") for how tests use them.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from roost.api.users import upsert_user
from roost.store import Database, database_url

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "integration" / "pipeline"))
from scene_video import FPS, HEIGHT, WIDTH, write_scene  # noqa: E402


def _suite_conftest() -> Any:
    """tests/conftest.py under its own name (`conftest` is ambiguous between folders)."""
    spec = importlib.util.spec_from_file_location("roost_suite_conftest", Path(__file__).resolve().parents[1] / "conftest.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


free_port = _suite_conftest().free_port

from playwright.sync_api import Browser, ConsoleMessage, Page, Playwright, Request, Response  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
DESKTOP = (1366, 850)
PHONE = (390, 844)
ADMIN_USER, ADMIN_PASSWORD = "admin", "admin-password-1"
VIEWER_USER, VIEWER_PASSWORD = "viewer", "viewer-password-1"
SHOTS_DIR = Path("/work/wt/shots")
REPO = Path(__file__).resolve().parents[2]
STARTUP_TIMEOUT_S = 90.0


@dataclass
class RoostServer:
    """A running `roost serve`: `local` is the trusted port's base URL, `auth` the login port's."""

    process: subprocess.Popen[bytes]
    media_dir: Path
    config: dict[str, Any]
    log_path: Path
    local: str
    auth: str

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stats(self) -> dict[str, Any]:
        return dict(httpx.get(f"{self.local}/api/stats", timeout=10).json())

    def wait_for(self, check: Callable[[], Any], timeout: float, what: str) -> Any:
        """Poll `check` until truthy; fails with the server log tail on timeout."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"roost serve exited ({self.process.returncode}) waiting for {what}:\n{self.log()[-4000:]}")
            value = check()
            if value:
                return value
            time.sleep(0.3)
        pytest.fail(f"timed out after {timeout:.0f}s waiting for {what}:\n{self.log()[-3000:]}")

    def wait_frames(self, cameras: list[str], timeout: float = 60) -> None:
        """Until every camera in `cameras` delivers frames (camera_fps > 0)."""
        self.wait_for(lambda: all(self.stats()["cameras"][c]["camera_fps"] > 0 for c in cameras), timeout,
                      f"frames from {', '.join(cameras)}")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)


def camera_config(video: Path, loop: bool = True, record: bool = False, **extra: Any) -> dict[str, Any]:
    """A camera reading `video` at its own pace (`-re`), forever when `loop`."""
    roles = ["detect", "record"] if record else ["detect"]
    camera: dict[str, Any] = {
        "ffmpeg": {"inputs": [{"path": str(video), "roles": roles,
                               "input_args": "-stream_loop -1 -re" if loop else "-re"}]},
        "detect": {"width": WIDTH, "height": HEIGHT, "fps": FPS},
        "zones": {"left": {"coordinates": f"0,0,{WIDTH // 2},0,{WIDTH // 2},{HEIGHT},0,{HEIGHT}"},
                  "right": {"coordinates": f"{WIDTH // 2},0,{WIDTH},0,{WIDTH},{HEIGHT},{WIDTH // 2},{HEIGHT}"}},
        "motion": {"mask": [f"0,0,{WIDTH // 5},0,{WIDTH // 5},{HEIGHT // 6},0,{HEIGHT // 6}"]},
    }
    if record:
        camera["record"] = {"enabled": True}
    camera.update(extra)
    return camera


def start_roost(workdir: Path, cameras: dict[str, dict[str, Any]], extra: dict[str, Any] | None = None,
                media_dir: Path | None = None, prepare: Callable[[Database], None] | None = None,
                env: dict[str, str] | None = None) -> RoostServer:
    """Start `roost serve` on free ports with `cameras` (see `camera_config`) and wait until
    both ports answer. The media dir gets an admin and a viewer with known passwords
    (ADMIN_USER/ADMIN_PASSWORD, VIEWER_USER/VIEWER_PASSWORD); `prepare(database)` may seed
    more (events, recordings) before the server starts; `env` adds to its environment (e.g. its
    own ROOST_MODEL_CACHE)."""
    workdir.mkdir(parents=True, exist_ok=True)
    media = media_dir or workdir / "media"
    media.mkdir(parents=True, exist_ok=True)
    local_port, auth_port = free_port(), free_port()
    config: dict[str, Any] = {
        "mqtt": {"enabled": False},
        "api": {"port": local_port, "host": "127.0.0.1"},
        "auth": {"port": auth_port, "host": "127.0.0.1"},
        "detectors": {"cpu": {"type": "cpu", "num_threads": 1}},
        "objects": {"track": ["person", "cat"]},
        "snapshots": {"enabled": True},
        "cameras": cameras,
    }
    config.update(extra or {})
    config_path = workdir / "config.yml"
    config_path.write_text(yaml.safe_dump(config))
    database = Database(database_url(None, None, media))
    try:
        database.migrate()
        upsert_user(database, ADMIN_USER, ADMIN_PASSWORD, "admin")
        upsert_user(database, VIEWER_USER, VIEWER_PASSWORD, "viewer")
        if prepare is not None:
            prepare(database)
    finally:
        database.close()
    environment = {**os.environ, "PYTHONPATH": str(REPO), "ROOST_MODEL_CACHE": os.environ.get(
        "ROOST_MODEL_CACHE", str(REPO / "model_cache")), **(env or {})}
    environment.pop("CONFIG_FILE", None)
    log_path = workdir / "serve.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen([sys.executable, "-m", "roost.cli", "serve", "-c", str(config_path),
                                    "--media-dir", str(media)], cwd=workdir, env=environment, stdout=log,
                                   stderr=subprocess.STDOUT)
    server = RoostServer(process, media, config, log_path, f"http://127.0.0.1:{local_port}",
                         f"http://127.0.0.1:{auth_port}")

    def answering() -> bool:
        try:
            return all(httpx.get(f"{base}/api/version", timeout=2).status_code in (200, 401)
                       for base in (server.local, server.auth)) and "Roost started" in server.log()
        except httpx.HTTPError:
            return False

    try:
        server.wait_for(answering, STARTUP_TIMEOUT_S, "roost serve to answer on both ports")
    except BaseException:
        server.stop()
        raise
    return server


_THIS_MODULE = sys.modules[__name__]
#: Session-wide servers, stopped as soon as the last browser test is done (see below).
_SESSION_SERVERS: list[RoostServer] = []
BROWSER_TESTS = Path(__file__).resolve().parent


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> Generator[None, None, None]:
    """The session Roost (two cameras detecting) would otherwise run until the whole suite
    ends, taking half a core from every test after the browser ones; browser tests run
    together (one folder), so it stops once the next test is not one of them (after this
    test's own fixtures are torn down: their last screenshot still needs it)."""
    result = yield
    if nextitem is None or BROWSER_TESTS not in Path(str(nextitem.path)).resolve().parents:
        while _SESSION_SERVERS:
            _SESSION_SERVERS.pop().stop()
    return result


@pytest.fixture(scope="session", autouse=True)
def _conftest_is_this_one() -> None:
    """`from conftest import ...` run while a browser test runs (e.g. a helper importing
    lazily) must find this module: in the full suite `conftest` in sys.modules is whichever
    folder's conftest pytest imported last. Session scope: set before any module fixture."""
    sys.modules["conftest"] = _THIS_MODULE


@pytest.fixture(scope="session")
def scene_video(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The pipeline tests' 18 s H.264 scene: a person photograph walking left→right, a cat right→left."""
    return write_scene(tmp_path_factory.mktemp("scene") / "yard.mp4")


@pytest.fixture(scope="session")
def roost(tmp_path_factory: pytest.TempPathFactory, scene_video: Path) -> Iterator[RoostServer]:
    """One Roost for the session: cameras `yard` and `drive` loop the scene. Tests that
    flip switches put them back."""
    server = start_roost(tmp_path_factory.mktemp("roost"), {
        "yard": camera_config(scene_video), "drive": camera_config(scene_video)})
    _SESSION_SERVERS.append(server)
    try:
        server.wait_frames(["yard", "drive"])
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    """Debian's Chromium, headless (never `playwright install`)."""
    instance = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    yield instance
    instance.close()


@dataclass
class Ui:
    """A browser tab on Roost that records every console error, page error, failed request
    and HTTP error response; `assert_clean()` (run after each test) fails on any that the
    test did not `allow`."""

    page: Page
    base: str
    name: str
    shots: Path
    problems: list[str] = field(default_factory=list)
    allowed: list[tuple[re.Pattern[str], int]] = field(default_factory=list)
    shot_count: int = 0

    def allow(self, url_pattern: str, status: int) -> None:
        """Expect HTTP `status` from URLs matching `url_pattern` (e.g. a refused login's 401);
        Chromium's console line for it is then allowed too."""
        self.allowed.append((re.compile(url_pattern), status))

    def goto(self, hash_path: str = "#/") -> None:
        """Open the UI at a route, e.g. "#/camera/yard"."""
        self.page.goto(f"{self.base}/{hash_path}")

    def login(self, user: str = ADMIN_USER, password: str = ADMIN_PASSWORD) -> None:
        """Log in through the form (the page must show it)."""
        self.page.get_by_label("User name").fill(user)
        self.page.get_by_label("Password").fill(password)
        self.page.get_by_role("button", name="Log in").click()
        self.page.locator(".app-header").wait_for()

    def shot(self, label: str = "") -> Path:
        """Save a full-page screenshot now (also copied to /work/wt/shots/)."""
        self.shot_count += 1
        path = self.shots / f"{self.name}{'-' + label if label else ''}-{self.shot_count}.png"
        self.page.screenshot(path=str(path), full_page=True)
        if SHOTS_DIR.is_dir():
            shutil.copy(path, SHOTS_DIR / path.name)
        return path

    def horizontal_overflow(self) -> int:
        """How many pixels the document is wider than the viewport (0 = nothing overflows)."""
        return int(self.page.evaluate("document.documentElement.scrollWidth - window.innerWidth"))

    def _is_allowed(self, url: str, status: int) -> bool:
        return any(p.search(url) and s == status for p, s in self.allowed)

    def on_console(self, message: ConsoleMessage) -> None:
        if message.type != "error":
            return
        text = message.text
        status = re.search(r"status of (\d{3})", text)
        url = message.location.get("url", "") if message.location else ""
        if status and self._is_allowed(url, int(status.group(1))):
            return
        self.problems.append(f"console error: {text} ({url})")

    def on_failed(self, request: Request) -> None:
        failure = request.failure or ""
        if "ERR_ABORTED" in failure:  # the page dropped it (an image replaced, a page left)
            return
        self.problems.append(f"request failed: {request.method} {request.url}: {failure}")

    def on_response(self, response: Response) -> None:
        if response.status >= 400 and not self._is_allowed(response.url, response.status):
            self.problems.append(f"HTTP {response.status}: {response.request.method} {response.url}")

    def assert_clean(self) -> None:
        if self.problems:
            pytest.fail("the page had errors:\n" + "\n".join(self.problems[:30]), pytrace=False)


UiFactory = Callable[..., Ui]


@pytest.fixture
def open_ui(browser: Browser, roost: RoostServer, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[UiFactory]:
    """`open_ui(viewport=PHONE, port="auth", server=other, color_scheme="dark")` → a new
    `Ui` tab (not navigated yet). Each gets a final screenshot and the clean check."""
    opened: list[tuple[Ui, Any]] = []
    test_name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name)

    def make(viewport: tuple[int, int] = DESKTOP, port: str = "local", server: RoostServer | None = None,
             color_scheme: str = "light") -> Ui:
        target = server or roost
        context = browser.new_context(viewport={"width": viewport[0], "height": viewport[1]},
                                      color_scheme=color_scheme)  # type: ignore[arg-type]
        page = context.new_page()
        page.set_default_timeout(20_000)
        name = test_name if not opened else f"{test_name}-{len(opened) + 1}"
        ui = Ui(page, target.local if port == "local" else target.auth, name, tmp_path)
        page.on("console", ui.on_console)
        page.on("pageerror", lambda error: ui.problems.append(f"page error: {error}"))
        page.on("requestfailed", ui.on_failed)
        page.on("response", ui.on_response)
        opened.append((ui, context))
        return ui

    yield make
    failures = []
    for ui, context in opened:
        try:
            ui.shot("final")
        except Exception as error:  # a crashed page still reports its problems
            ui.problems.append(f"screenshot failed: {error}")
        context.close()
        failures += ui.problems
    if failures:
        pytest.fail("the page had errors:\n" + "\n".join(failures[:30]), pytrace=False)


@pytest.fixture
def ui(open_ui: UiFactory) -> Ui:
    """A desktop-size tab on the session Roost's trusted port (no login needed)."""
    return open_ui()
