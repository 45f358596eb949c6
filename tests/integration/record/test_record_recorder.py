"""The recorder and maintainer with real ffmpeg on a generated H.264 stream served live
as an RTSP camera."""

from __future__ import annotations

import logging
import os
import signal
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path

import pytest
from record_streams import SEGMENT_S, camera_config, probe_video, slice_hashes, wait_until
from sqlalchemy import select

from roost.controls import CameraControls
from roost.record.maintainer import RecordingMaintainer
from roost.record.recorder import Recorder
from roost.store import Database
from roost.store.models import RecordingRow


def rows(database: Database) -> list[RecordingRow]:
    with database.read() as session:
        return list(session.scalars(select(RecordingRow).order_by(RecordingRow.start_time)))


@pytest.fixture
def recording(tmp_path: Path, h264_camera: str, database: Database) -> Iterator[tuple[Recorder, RecordingMaintainer, CameraControls]]:
    camera = camera_config(h264_camera)
    controls = CameraControls.from_config("front", camera)
    recorder = Recorder("front", camera, tmp_path / "cache", controls, poll_interval=0.2)
    maintainer = RecordingMaintainer(database, {"front": camera}, tmp_path, tmp_path / "cache", interval_s=0.3)
    recorder.start()
    maintainer.start()
    try:
        yield recorder, maintainer, controls
    finally:
        recorder.stop()
        maintainer.stop()


def test_segments_land_in_utc_hour_folders_with_their_durations(recording: tuple[Recorder, RecordingMaintainer, CameraControls],
                                                                 database: Database, tmp_path: Path) -> None:
    wait_until(lambda: len(rows(database)) >= 4, 25, "four indexed segments")
    # The first segment runs from connecting to the first cut: over RTSP ffmpeg stamps the
    # camera's first frame on arrival, so it may hold up to one key-frame interval more.
    first, *found = rows(database)
    assert SEGMENT_S - 0.15 <= first.duration <= SEGMENT_S + 1.15, first.duration
    for row in found:
        moment = datetime.fromtimestamp(row.start_time, tz=timezone.utc)
        expected = tmp_path / "recordings" / moment.strftime("%Y-%m-%d/%H") / "front" / moment.strftime("%M.%S.mp4")
        assert Path(row.path) == expected.resolve() and expected.exists()
        assert row.duration == pytest.approx(SEGMENT_S, abs=0.15)
        assert row.end_time - row.start_time == pytest.approx(row.duration)
        assert row.segment_size * 2**20 == pytest.approx(expected.stat().st_size)
    starts = [r.start_time for r in found]
    assert all(1 <= b - a <= 3 for a, b in zip(starts, starts[1:]))  # whole-second names, 2 s apart
    # the segment ffmpeg is writing stays in the cache
    assert list((tmp_path / "cache").glob("front@*.mp4"))


def test_segments_are_stream_copies_of_the_input(recording: tuple[Recorder, RecordingMaintainer, CameraControls],
                                                 database: Database, h264_source: Path) -> None:
    wait_until(lambda: len(rows(database)) >= 2, 20, "two indexed segments")
    source = probe_video(h264_source)["streams"][0]
    source_packets = set(slice_hashes(h264_source))
    for row in rows(database)[:2]:
        stream = probe_video(Path(row.path))["streams"][0]
        for key in ("codec_name", "profile", "width", "height", "pix_fmt"):
            assert stream[key] == source[key], key
        assert int(stream["bit_rate"]) == pytest.approx(int(source["bit_rate"]), rel=0.2)
        assert set(slice_hashes(Path(row.path))) <= source_packets  # byte-identical coded slices


def test_segment_killed_mid_write_is_discarded_and_recording_goes_on(
        recording: tuple[Recorder, RecordingMaintainer, CameraControls], database: Database,
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    recorder, _, _ = recording
    caplog.set_level(logging.WARNING, logger="roost.record")
    wait_until(lambda: len(rows(database)) >= 1, 20, "a first segment")
    pid = recorder.pid
    assert pid is not None
    killed = sorted((tmp_path / "cache").glob("front@*.mp4"))[-1]
    os.kill(pid, signal.SIGKILL)
    wait_until(lambda: recorder.restarts >= 1 and recorder.pid not in (None, pid), 10, "ffmpeg restarted")
    wait_until(lambda: not killed.exists(), 25, "the killed segment to be handled")
    assert any("corrupt segment" in r.getMessage() and killed.name in r.getMessage() for r in caplog.records)
    before = len(rows(database))
    wait_until(lambda: len(rows(database)) >= before + 1, 20, "segments after the restart")
    assert all(Path(r.path).name != killed.name for r in rows(database))


def test_recordings_switch_stops_and_restarts_ffmpeg(
        recording: tuple[Recorder, RecordingMaintainer, CameraControls], database: Database, tmp_path: Path) -> None:
    recorder, _, controls = recording
    wait_until(lambda: recorder.pid is not None, 10, "ffmpeg running")
    wait_until(lambda: any(p.stat().st_size for p in tmp_path.joinpath("cache").glob("front@*.mp4")), 10,
               "ffmpeg writing the camera's video")
    controls.set("recordings", False)
    wait_until(lambda: recorder.pid is None, 10, "ffmpeg stopped")
    # the segment open when recording stopped was finished properly and gets indexed
    wait_until(lambda: len(rows(database)) >= 1, 20, "the last segment indexed")
    controls.set("recordings", True)
    wait_until(lambda: recorder.pid is not None, 10, "ffmpeg started again")
