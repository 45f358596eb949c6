"""The restream on simulated RTSP cameras: one camera connection shared by Roost's detect
and record inputs and an outside client, stream copy, no credentials in answers, and
recovery from a camera that drops for 20 s."""

from __future__ import annotations

import logging
import subprocess
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from roost.restream.simulated import SimulatedCameras
from roost.store.models import RecordingRow

from restream_roost import PASSWORD, api, inputs, probe, roost_on, wait_until, with_password


def test_outside_client_reads_the_restream_while_roost_detects_and_records_one_camera_client(
        rtsp_cameras: SimulatedCameras, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    source = probe(rtsp_cameras.url("good"))
    supervisor = roost_on(with_password(rtsp_cameras.url("good")), tmp_path / "media")
    try:
        assert supervisor.restream.plan is not None
        restream = supervisor.restream.plan.local_url("front")
        wait_until(lambda: inputs(supervisor).get("detect", {}).get("state") == "streaming", 30, "detect frames")
        wait_until(lambda: inputs(supervisor).get("record", {}).get("state") == "streaming", 30, "recording")
        viewer = subprocess.Popen(["ffmpeg", "-v", "error", "-rtsp_transport", "tcp", "-i", restream, "-t", "12",
                                   "-c", "copy", "-f", "null", "-"], stderr=subprocess.PIPE)
        try:
            copy = probe(restream)
            for key in ("codec_name", "profile", "level", "width", "height", "pix_fmt", "has_b_frames"):
                assert copy[key] == source[key], (key, copy[key], source[key])
            # detect + record + the outside viewer on the restream, one client on the camera
            wait_until(lambda: supervisor.restream.child and
                       supervisor.restream.child.status["front"]["clients"] >= 3, 15, "three restream clients")
            time.sleep(1.5)
            assert rtsp_cameras.clients("good") == 1
            assert viewer.poll() is None
        finally:
            viewer.wait(30)
        assert viewer.returncode == 0, viewer.stderr.read().decode() if viewer.stderr else ""

        health = inputs(supervisor)
        assert health["restream"]["state"] == "streaming" and health["restream"]["codec"] == "h264"
        assert health["restream"]["url"].endswith(f":{supervisor.restream.plan.port}/front")
        assert health["detect"]["seconds_since_frame"] < 5
        for path in ("stats", "config"):
            text = api(supervisor, path).text
            assert PASSWORD not in text, path
        stats = api(supervisor, "stats").json()
        assert stats["restream"]["streams"]["front"]["url"].startswith("rtsp://")
        assert "@" not in stats["restream"]["streams"]["front"]["url"]
        assert "front" in api(supervisor, "config").json()["go2rtc"]["streams"]
    finally:
        supervisor.stop()
    assert PASSWORD not in caplog.text
    wait_until(lambda: rtsp_cameras.clients("good") == 0, 10, "the camera connection to close with Roost")


@pytest.mark.slow
def test_camera_that_drops_for_20_s_resumes_capture_recording_and_restream_within_10_s(
        rtsp_cameras: SimulatedCameras, tmp_path: Path) -> None:
    supervisor = roost_on(rtsp_cameras.url("flaky"), tmp_path / "media")
    assert supervisor.database is not None and supervisor.pipeline is not None
    try:
        for part in ("detect", "record", "restream"):
            wait_until(lambda: inputs(supervisor).get(part, {}).get("state") == "streaming", 30, f"{part} streaming")
        wait_until(lambda: _segments(supervisor), 30, "a first indexed segment")
        capture = supervisor.pipeline.cameras["front"].capture_stats
        rtsp_cameras.drop("flaky", 20)
        dropped = time.monotonic()
        wait_until(lambda: inputs(supervisor)["detect"]["state"] != "streaming" and
                   inputs(supervisor)["detect"]["last_error"], 15, "detect to notice the drop and say why")
        during = inputs(supervisor)
        assert during["restream"]["state"] == "reconnecting" and during["restream"]["last_error"]
        assert during["detect"]["last_error"]
        assert during["detect"]["seconds_since_frame"] > 5
        back = dropped + 20
        time.sleep(max(0.0, back - time.monotonic()))
        frames = capture.frames.value
        wait_until(lambda: capture.frames.value > frames + 5, 12, "frames again")
        detect_after = time.monotonic() - back
        wait_until(lambda: inputs(supervisor)["restream"]["state"] == "streaming", 10, "the restream again")
        restream_after = time.monotonic() - back
        wall_back = time.time() - (time.monotonic() - back)
        wait_until(lambda: any(r.start_time > wall_back for r in _segments(supervisor)) or
                   _cache_newer_than(supervisor, wall_back), 12, "a recording segment after the return")
        record_after = time.monotonic() - back
        print(f"resumed after the camera's return: detect {detect_after:.1f} s, restream {restream_after:.1f} s, "
              f"recording {record_after:.1f} s")
        assert max(detect_after, restream_after, record_after) < 10, (detect_after, restream_after, record_after)
        time.sleep(5)  # let the segment after the return close and be indexed
        rows = wait_until(lambda: [r for r in _segments(supervisor) if r.start_time > wall_back], 20,
                          "an indexed segment after the return")
    finally:
        supervisor.stop()
    before = [r for r in _segments(supervisor, all_rows=True) if r.end_time < wall_back - 15]
    assert before and rows
    gap = min(r.start_time for r in rows) - max(r.end_time for r in before)
    assert gap >= 12, f"expected a gap of about 20 s in the recordings, got {gap:.1f} s"
    for row in _segments(supervisor, all_rows=True):
        check = subprocess.run(["ffmpeg", "-v", "error", "-i", row.path, "-f", "null", "-"], capture_output=True)
        # ffmpeg's RTSP client leaves the second packet after connecting unstamped (it gets
        # the first's time + 1), which the null muxer reports; any other message is damage.
        errors = [line for line in check.stderr.decode().splitlines()
                  if "non monotonically increasing dts" not in line and "Last message repeated" not in line]
        assert check.returncode == 0 and not errors, (row.path, errors)
        assert 0 < row.duration <= 4, (row.path, row.duration)
        frames = subprocess.run(["ffprobe", "-v", "error", "-count_frames", "-select_streams", "v:0", "-show_entries",
                                 "stream=nb_read_frames", "-of", "csv=p=0", row.path], capture_output=True, text=True)
        assert int(frames.stdout.strip()) >= 1, (row.path, frames.stdout)


def _segments(supervisor: object, all_rows: bool = False) -> list[RecordingRow]:
    database = supervisor.database  # type: ignore[attr-defined]
    with database.read() as session:
        return list(session.scalars(select(RecordingRow).where(RecordingRow.camera == "front")
                                    .order_by(RecordingRow.start_time)).all())


def _cache_newer_than(supervisor: object, wall: float) -> bool:
    cache = supervisor.media_dir / "cache"  # type: ignore[attr-defined]
    return any(p.stat().st_mtime > wall + 1 and p.stat().st_size > 0 for p in cache.glob("*.mp4"))


def test_camera_without_video_reads_failed_and_one_with_another_size_is_scaled_and_reported(
        rtsp_cameras: SimulatedCameras, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING)
    supervisor = roost_on(rtsp_cameras.url("good"), tmp_path / "media", record=False, more_cameras={
        "mute": rtsp_cameras.url("no_video"), "wide": rtsp_cameras.url("wrong_resolution")})
    try:
        wait_until(lambda: inputs(supervisor, "mute").get("restream", {}).get("state") == "failed", 30,
                   "the camera without video to read failed")
        mute = inputs(supervisor, "mute")
        assert "no video track" in mute["restream"]["last_error"]
        wait_until(lambda: inputs(supervisor, "mute")["detect"]["last_error"], 30, "detect to say why it has no frames")
        assert inputs(supervisor, "mute")["detect"]["state"] != "streaming"
        assert inputs(supervisor, "mute")["detect"]["seconds_since_frame"] is None

        wait_until(lambda: inputs(supervisor, "wide").get("detect", {}).get("state") == "streaming", 30, "wide frames")
        wide = supervisor.stats()["restream"]["streams"]["wide"]
        assert (wide["width"], wide["height"]) == (640, 360)
        frame = supervisor.pipeline.latest_frame("wide") if supervisor.pipeline else None
        assert frame is not None and frame.image.shape == (240, 320, 3)
        wait_until(lambda: "cameras.wide.detect: the camera sends 640x360" in caplog.text, 10, "the size warning")
        # The others are unaffected: the good camera streams (a busy machine may catch its
        # capture in a reconnect of its own, which the dropping-camera test covers).
        wait_until(lambda: inputs(supervisor, "front")["detect"]["state"] == "streaming", 15, "front frames")
    finally:
        supervisor.stop()


def test_restream_server_that_dies_is_restarted_and_roost_reads_through_it_again(
        rtsp_cameras: SimulatedCameras, tmp_path: Path) -> None:
    import os
    import signal

    supervisor = roost_on(rtsp_cameras.url("good"), tmp_path / "media", record=False)
    try:
        child = supervisor.restream.child
        assert child is not None and child.pid is not None
        wait_until(lambda: inputs(supervisor).get("detect", {}).get("state") == "streaming", 30, "detect frames")
        first = child.pid
        os.kill(first, signal.SIGKILL)
        wait_until(lambda: child.pid not in (None, first) and child.restarts == 1, 15, "a new restream server")
        assert supervisor.pipeline is not None
        capture = supervisor.pipeline.cameras["front"].capture_stats
        frames = capture.frames.value
        wait_until(lambda: capture.frames.value > frames + 5, 20, "frames through the new server")
        assert supervisor.stats()["restream"]["restarts"] == 1
        restarted = child.pid
    finally:
        supervisor.stop()
    assert restarted is not None and not _alive(restarted), "the restream server outlived Roost"


def _alive(pid: int) -> bool:
    import psutil

    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False
