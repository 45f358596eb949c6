"""The maintainer on cache files placed by the test: counts, corrupt and stray segments."""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import time
from datetime import datetime, timezone
from pathlib import Path

import pytest
from record_streams import FPS, camera_config
from sqlalchemy import select

from roost.ffmpeg import ffmpeg_binary
from roost.record.maintainer import RecordingMaintainer
from roost.record.probe import probe_segment, segment_duration
from roost.store import Database
from roost.store.models import RecordingRow

START = datetime(2024, 5, 6, 7, 8, 9, tzinfo=timezone.utc)


def cached_segment(cache: Path, source: Path, camera: str, start: datetime, seconds: int = 2) -> Path:
    """A finished segment in the cache, named as the recorder's ffmpeg names them, aged so
    that it no longer looks like it is being written."""
    cache.mkdir(parents=True, exist_ok=True)
    path = cache / f"{camera}@{start.strftime('%Y%m%d%H%M%S%z')}.mp4"
    subprocess.run([ffmpeg_binary(), "-hide_banner", "-loglevel", "error", "-y", "-i", str(source),
                    "-t", str(seconds), "-c", "copy", str(path)], check=True, capture_output=True)
    old = time.time() - 60
    os.utime(path, (old, old))
    return path


def test_indexed_segment_counts_reported_motion_and_object_frames(tmp_path: Path, h264_source: Path,
                                                                   database: Database) -> None:
    maintainer = RecordingMaintainer(database, {"front": camera_config(h264_source)}, tmp_path)
    cached_segment(tmp_path / "cache", h264_source, "front", START)
    t0 = START.timestamp()
    for i in range(3 * FPS):  # 3 s of frames; the segment holds the first 2 s
        maintainer.note_activity("front", t0 + i / FPS, motion=i % 2 == 0, active_objects=1 if i < 5 else 0)
    (row,) = maintainer.process_cache(time.time())
    assert (row.motion, row.objects) == (FPS, 5)
    assert row.start_time == t0 and row.duration == pytest.approx(2.0, abs=0.1)
    assert Path(row.path) == (tmp_path / "recordings/2024-05-06/07/front/08.09.mp4").resolve()
    assert not list((tmp_path / "cache").iterdir())


def test_corrupt_and_stray_segments_are_discarded_with_a_log_line(tmp_path: Path, h264_source: Path,
                                                                   database: Database,
                                                                   caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="roost.record")
    maintainer = RecordingMaintainer(database, {"front": camera_config(h264_source)}, tmp_path)
    good = cached_segment(tmp_path / "cache", h264_source, "front", START)
    truncated = tmp_path / "cache" / "front@20240506070811+0000.mp4"
    truncated.write_bytes(good.read_bytes()[: good.stat().st_size // 2])  # no moov atom at the end
    stray = tmp_path / "cache" / "gone@20240506070811+0000.mp4"
    shutil.copy(good, stray)
    for path in (truncated, stray):
        os.utime(path, (time.time() - 60, time.time() - 60))
    added = maintainer.process_cache(time.time())
    assert len(added) == 1 and not truncated.exists() and not stray.exists()
    messages = " ".join(r.getMessage() for r in caplog.records)
    assert "corrupt segment front@20240506070811+0000.mp4" in messages and "no camera 'gone'" in messages
    with database.read() as session:
        assert len(session.scalars(select(RecordingRow)).all()) == 1


def test_newest_segment_still_growing_is_left_in_the_cache(tmp_path: Path, h264_source: Path,
                                                            database: Database) -> None:
    maintainer = RecordingMaintainer(database, {"front": camera_config(h264_source)}, tmp_path)
    older = cached_segment(tmp_path / "cache", h264_source, "front", START)
    newest = cached_segment(tmp_path / "cache", h264_source, "front", START.replace(second=11))
    os.utime(newest)  # just written to
    added = maintainer.process_cache(time.time())
    assert [Path(r.path).name for r in added] == ["08.09.mp4"]
    assert newest.exists() and not older.exists()


def test_segment_duration_from_mvhd_matches_ffprobe_and_falls_back_for_other_containers(
        tmp_path: Path, h264_source: Path) -> None:
    mp4 = cached_segment(tmp_path, h264_source, "front", START, seconds=4)
    assert segment_duration(mp4) == pytest.approx(probe_segment(mp4).duration, abs=0.01)  # type: ignore[union-attr]
    ts = tmp_path / "front.ts"
    subprocess.run([ffmpeg_binary(), "-hide_banner", "-loglevel", "error", "-i", str(h264_source), "-t", "3",
                    "-c", "copy", "-f", "mpegts", str(ts)], check=True, capture_output=True)
    assert segment_duration(ts) == pytest.approx(3.0, abs=0.2)
    truncated = tmp_path / "cut.mp4"
    truncated.write_bytes(mp4.read_bytes()[:-100])
    assert segment_duration(truncated) is None
    (tmp_path / "empty.mp4").write_bytes(b"")
    assert segment_duration(tmp_path / "empty.mp4") is None
