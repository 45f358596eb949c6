"""The recorder's ffmpeg log: real messages at error level, timestamp corrections summed up."""

from __future__ import annotations

import logging

import pytest

from roost.record import ffmpeg_log
from roost.record.ffmpeg_log import FfmpegLog

CORRECTION = ("[segment @ 0x55] Non-monotonous DTS in output stream 0:0; previous: 20515, current: 19000; "
              "changing to 20516. This may result in incorrect timestamps in the output file.")


def test_corrections_are_counted_and_summed_up_once_a_minute(caplog: pytest.LogCaptureFixture,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    now = [100.0]
    log = FfmpegLog(logging.getLogger("test.ffmpeg"))
    monkeypatch.setattr(log, "_now", lambda: now[0])
    log._since = now[0]
    with caplog.at_level(logging.DEBUG, logger="test.ffmpeg"):
        assert log.line("rtsp://cam/: Connection refused") is True  # a real error: kept as the last error
        for _ in range(30):
            assert log.line(CORRECTION) is False
            now[0] += 2.5  # 75 s of them
    levels = [(r.levelname, r.getMessage()[:40]) for r in caplog.records]
    assert levels[0] == ("ERROR", "rtsp://cam/: Connection refused")
    assert levels[1][0] == "WARNING" and "Non-monotonous DTS" in levels[1][1]  # the first one is shown
    summaries = [r.getMessage() for r in caplog.records if r.levelname == "INFO"]
    assert summaries == [f"ffmpeg corrected 25 packet timestamp(s) of the stream copy in the last "
                         f"{ffmpeg_log.SUMMARY_INTERVAL_S:.0f} s"]
    assert len(caplog.records) == 3 and log.total_corrections == 30
