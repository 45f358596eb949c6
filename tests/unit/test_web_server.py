"""Pure parts of the web UI's server side: the boot JSON, the log ring, stats history
samples, the ffmpeg error text shown for an offline camera."""

from __future__ import annotations

import json
import logging
import sys

from roost.api.stats_history import process_names, sample_of
from roost.api.web import BOOT_MARKER, render_index
from roost.capture.capture_process import last_error_text
from roost.log_ring import RingHandler


def test_boot_json_cannot_end_its_script_element() -> None:
    page = render_index(f"<head>{BOOT_MARKER}</head>", {"user": {"username": "</script><script>alert(1)"}})
    assert page.count("</script>") == 1
    payload = page.split('id="roost-boot">')[1].rsplit("</script>", 1)[0]
    assert json.loads(payload)["user"]["username"] == "</script><script>alert(1)"


def _record(name: str, level: int, message: str) -> logging.LogRecord:
    return logging.LogRecord(name, level, __file__, 1, message, None, None)


def test_ring_keeps_the_newest_and_filters() -> None:
    ring = RingHandler(size=3)
    for index, level in enumerate((logging.DEBUG, logging.INFO, logging.WARNING, logging.ERROR)):
        ring.emit(_record(f"roost.part{index % 2}", level, f"line {index}"))
    lines, total = ring.tail("debug", 10)
    assert [line.message for line in lines] == ["line 1", "line 2", "line 3"] and total == 3  # line 0 dropped
    warnings, total = ring.tail("warning", 10)
    assert [(line.level, line.message) for line in warnings] == [("warning", "line 2"), ("error", "line 3")]
    newest, total = ring.tail("debug", 1)
    assert [line.message for line in newest] == ["line 3"] and total == 3
    assert [line.message for line in ring.tail("debug", 10, "roost.part1")[0]] == ["line 1", "line 3"]


def test_ring_keeps_tracebacks() -> None:
    ring = RingHandler()
    try:
        raise ValueError("boom")
    except ValueError:
        record = logging.LogRecord("roost.x", logging.ERROR, __file__, 1, "failed", None, None)
        record.exc_info = sys.exc_info()
    ring.emit(record)
    line = ring.tail("error", 1)[0][0]
    assert line.message.startswith("failed\nTraceback") and "ValueError: boom" in line.message


def test_processes_are_named_by_their_job() -> None:
    stats = {"cameras": {"yard": {"capture_pid": 11, "pid": 12, "ffmpeg_pid": 13, "camera_fps": 5.0,
                                  "process_fps": 4.0, "skipped_fps": 1.0, "detection_fps": 2.0}},
             "detectors": {"cpu": {"pid": 14, "inference_speed": 9.5}},
             "cpu_usages": {"11": {"cpu": "1.0", "mem": "0.2"}, "13": {"cpu": "3.5", "mem": "0.4"},
                            "14": {"cpu": "50.0", "mem": "1.0"}, "99": {"cpu": "7.0", "mem": "2.0"}}}
    assert process_names(stats) == {"11": "capture yard", "12": "camera yard", "13": "ffmpeg yard", "14": "detector cpu"}
    sample = sample_of(stats, 1000.04)
    assert sample == {"t": 1000.0, "cameras": {"yard": [5.0, 4.0, 1.0, 2.0]}, "detectors": {"cpu": 9.5},
                      "processes": {"capture yard": [1.0, 0.2], "ffmpeg yard": [3.5, 0.4],
                                    "detector cpu": [50.0, 1.0], "roost (main)": [7.0, 2.0]}}


def test_ffmpeg_error_names_why_and_the_last_line() -> None:
    tail = ["ffmpeg version 6", "rtsp://cam/1: Connection refused", "   "]
    assert last_error_text("exited with code 1", tail) == "ffmpeg exited with code 1: rtsp://cam/1: Connection refused"
    assert last_error_text("delivered no frame for 10 s", []) == "ffmpeg delivered no frame for 10 s"
