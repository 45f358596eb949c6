"""`scripts/setup.sh` installs what running needs, and the test-only dependencies only with
`--test` (what `make test` runs). The script runs for real in a copy of the repository's
skeleton, with `dpkg-query` reporting nothing installed and a virtualenv whose pip only
records what it is asked to install."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]
TEST_ONLY_DEBIAN = {"mosquitto", "postgresql", "chromium", "darknet"}  # darknet: its photographs are test data
RUNTIME_DEBIAN = {"ffmpeg", "opencv-doc",  # GStreamer's RTSP server runs the restream
                  "python3-gi", "gir1.2-gst-rtsp-server-1.0", "gstreamer1.0-plugins-base",
                  "gstreamer1.0-plugins-good", "gstreamer1.0-plugins-bad"}


def shim(path: Path, body: str) -> None:
    path.write_text("#!/usr/bin/env bash\n" + body + "\n")
    path.chmod(path.stat().st_mode | stat.S_IEXEC)


def run_setup(tmp: Path, *args: str) -> tuple[str, list[str]]:
    work = tmp / "repo"
    (work / "scripts").mkdir(parents=True)
    shutil.copy(REPO / "scripts" / "setup.sh", work / "scripts" / "setup.sh")
    shutil.copy(REPO / "pyproject.toml", work / "pyproject.toml")
    (work / "scripts" / "prepare-probe.sh").write_text('echo "prepare-probe: mode=$ROOST_SETUP_MODE"\n')
    bin_dir, venv = tmp / "bin", work / ".venv"
    bin_dir.mkdir()
    (venv / "bin").mkdir(parents=True)
    log = tmp / "pip.log"
    shim(bin_dir / "dpkg-query", "exit 1")  # nothing installed
    shim(bin_dir / "id", 'echo 1000')  # not root: setup only says what is missing
    shim(venv / "bin" / "python", "exit 0")
    shim(venv / "bin" / "pip", f'echo "$@" >> {log}')
    env = {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}"}
    done = subprocess.run(["bash", "scripts/setup.sh", *args], cwd=work, env=env, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout + done.stderr, log.read_text().splitlines() if log.exists() else []


def missing_packages(output: str) -> set[str]:
    line = next(text for text in output.splitlines() if "missing Debian packages" in text)
    return set(line.split("(", 1)[1].split(")", 1)[0].split())


def test_run_mode_installs_only_what_running_needs(tmp_path: Path) -> None:
    output, pip = run_setup(tmp_path)
    assert missing_packages(output) == RUNTIME_DEBIAN
    assert pip == ["install -q -e ."]
    assert "prepare-probe: mode=run" in output and "setup: done (run)" in output


def test_test_mode_adds_the_test_only_dependencies(tmp_path: Path) -> None:
    output, pip = run_setup(tmp_path, "--test")
    assert missing_packages(output) == RUNTIME_DEBIAN | TEST_ONLY_DEBIAN
    assert pip == ["install -q -e .", "install -q -e .[test]"]
    assert "prepare-probe: mode=test" in output


def test_make_targets_use_the_matching_mode() -> None:
    makefile = (REPO / "Makefile").read_text()
    assert "run: setup\n" in makefile and "test: setup-test\n" in makefile
    assert "setup:\n\tbash scripts/setup.sh\n" in makefile and "setup-test:\n\tbash scripts/setup.sh --test\n" in makefile


def test_test_only_python_packages_are_in_the_test_extra_only() -> None:
    import tomllib

    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    runtime = {d.split("==")[0].split("[")[0].lower() for d in project["dependencies"]}
    test = {d.split("==")[0].lower() for d in project["optional-dependencies"]["test"]}
    assert {"playwright", "schemathesis", "pytest"} <= test and not runtime & test
