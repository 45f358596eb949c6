"""RTSP cameras for the tests: generated H.264 clips served on 127.0.0.1 by the same
streaming-server child the restream uses (a fixture per session; each test's Roost
connects to them as it would to a user's camera).

- `good`: 320x240, 10 fps, a key frame every second;
- `flaky`: the same; `rtsp_cameras.drop("flaky", 20)` cuts it off for 20 s;
- `wrong_resolution`: 640x360, while the tests configure 320x240;
- `no_video`: an audio-only stream.
Tests needing their own footage add a camera with `SimulatedCameras` directly.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from roost.restream.simulated import SimulatedCamera, SimulatedCameras, make_clip


@pytest.fixture(scope="session")
def rtsp_cameras(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SimulatedCameras]:
    clips = tmp_path_factory.mktemp("rtsp-clips")
    good = make_clip(clips / "good.mp4", "320x240", 10, 10)
    cameras = SimulatedCameras([
        SimulatedCamera("good", clip=good),
        SimulatedCamera("flaky", clip=make_clip(clips / "flaky.mp4", "320x240", 10, 10, source="testsrc")),
        SimulatedCamera("wrong_resolution", clip=make_clip(clips / "wide.mp4", "640x360", 10, 10)),
        SimulatedCamera("no_video", kind="no_video"),
    ])
    cameras.start()
    try:
        yield cameras
    finally:
        cameras.stop()
