"""Retention and disk pressure on real rows and files, with a clock the test controls."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from record_streams import camera_config
from sqlalchemy import select

from roost.events.clips import clip_path
from roost.events.snapshots import snapshot_files, write_snapshot
from roost.record.expiry import reconcile_event_media, relieve_disk_pressure, run_retention
from roost.record.maintainer import RecordingMaintainer
from roost.record.retention import DAY_S
from roost.record.segments import recording_path
from roost.store import Database
from roost.store.models import EventRow, RecordingRow

NOW = 1_800_000_000.0
MB = 2**20


def add_segment(database: Database, media: Path, seg_id: str, start: float, size: int = 1024,
                duration: float = 10.0) -> Path:
    path = recording_path(media / "recordings", "front", start)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"\0" * size)
    database.write(lambda s: s.add(RecordingRow(
        id=seg_id, camera="front", path=str(path.resolve()), start_time=start, end_time=start + duration,
        duration=duration, motion=0, objects=0, segment_size=size / MB)))
    return path


def add_event(database: Database, media: Path, event_id: str, label: str, start: float, end: float,
              retain: bool = False, clip: bool = False, snapshot: bool = False) -> None:
    if clip:
        target = clip_path(media / "clips", "front", event_id)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(b"clip")
    if snapshot:
        write_snapshot(media / "clips", "front", event_id, b"jpeg", b"png")
    database.write(lambda s: s.add(EventRow(
        id=event_id, label=label, camera="front", start_time=start, end_time=end, zones=[], data={},
        retain_indefinitely=retain, has_clip=clip, has_snapshot=snapshot)))


def recording_ids(database: Database) -> set[str]:
    with database.read() as session:
        return set(session.scalars(select(RecordingRow.id)))


def events(database: Database) -> dict[str, EventRow]:
    with database.read() as session:
        return {e.id: e for e in session.scalars(select(EventRow))}


def days_ago(days: float) -> float:
    return NOW - days * DAY_S


def test_retention_deletes_exactly_the_expired_unretained_rows_and_files(
        tmp_path: Path, h264_source: Path, database: Database) -> None:
    camera = camera_config(h264_source, {
        "record": {"enabled": True, "retain": {"days": 2, "mode": "all"},
                   "events": {"retain": {"default": 5, "mode": "all", "objects": {"person": 10}}}},
        "snapshots": {"enabled": True, "retain": {"default": 10}}})
    files = {
        "recent": add_segment(database, tmp_path, "recent", days_ago(1)),
        "old": add_segment(database, tmp_path, "old", days_ago(3)),
        "car3": add_segment(database, tmp_path, "car3", days_ago(3) + 600),
        "car7": add_segment(database, tmp_path, "car7", days_ago(7)),
        "person7": add_segment(database, tmp_path, "person7", days_ago(7) + 600),
        "kept": add_segment(database, tmp_path, "kept", days_ago(20)),
        "ancient": add_segment(database, tmp_path, "ancient", days_ago(20) + 600),
    }
    add_event(database, tmp_path, "ev-car3", "car", days_ago(3) + 602, days_ago(3) + 605, clip=True, snapshot=True)
    add_event(database, tmp_path, "ev-car7", "car", days_ago(7) + 2, days_ago(7) + 5, clip=True, snapshot=True)
    add_event(database, tmp_path, "ev-person7", "person", days_ago(7) + 602, days_ago(7) + 605, clip=True)
    add_event(database, tmp_path, "ev-kept", "car", days_ago(20) + 2, days_ago(20) + 5, retain=True, clip=True)
    add_event(database, tmp_path, "ev-gone", "person", days_ago(30), days_ago(30) + 5, clip=True, snapshot=True)

    report = run_retention(database, {"front": camera}, tmp_path, NOW)

    kept = {"recent", "car3", "person7", "kept"}
    assert recording_ids(database) == kept
    assert {name for name, path in files.items() if path.exists()} == kept
    assert (report.segments, report.clips, report.snapshots, report.events) == (3, 2, 1, 1)
    rows = events(database)
    assert "ev-gone" not in rows and not clip_path(tmp_path / "clips", "front", "ev-gone").exists()
    assert not snapshot_files(tmp_path / "clips", "front", "ev-gone").jpeg.exists()
    assert not rows["ev-car7"].has_clip and not clip_path(tmp_path / "clips", "front", "ev-car7").exists()
    assert rows["ev-car7"].has_snapshot and snapshot_files(tmp_path / "clips", "front", "ev-car7").jpeg.exists()
    assert rows["ev-car3"].has_clip and rows["ev-person7"].has_clip and rows["ev-kept"].has_clip
    # a second sweep at the same time finds nothing more
    assert run_retention(database, {"front": camera}, tmp_path, NOW).segments == 0


def test_disk_pressure_deletes_oldest_first_and_keeps_retained_events(
        tmp_path: Path, h264_source: Path, database: Database, caplog: pytest.LogCaptureFixture) -> None:
    camera = camera_config(h264_source, {"record": {"enabled": True, "retain": {"days": 30},
                                                    "events": {"pre_capture": 0, "post_capture": 0}}})
    paths = [add_segment(database, tmp_path, f"s{i}", days_ago(1) + 10 * i, size=MB) for i in range(6)]
    add_event(database, tmp_path, "forever", "person", days_ago(1) + 12, days_ago(1) + 14, retain=True)
    caplog.set_level(logging.WARNING, logger="roost.record")
    report = relieve_disk_pressure(database, {"front": camera}, tmp_path, NOW,
                                   min_free_bytes=5 * MB, free_bytes=lambda _: 2 * MB)
    # 3 MB to free: s0, then s1 is skipped (it holds the retained event), so s2 and s3
    assert recording_ids(database) == {"s1", "s4", "s5"}
    assert [p.exists() for p in paths] == [False, True, False, False, True, True]
    assert report.bytes_freed == 3 * MB
    assert any("below the" in r.getMessage() for r in caplog.records)


def test_disk_pressure_with_nothing_deletable_keeps_everything(
        tmp_path: Path, h264_source: Path, database: Database) -> None:
    camera = camera_config(h264_source)
    add_segment(database, tmp_path, "only", days_ago(1), size=MB)
    add_event(database, tmp_path, "forever", "person", days_ago(1) + 1, days_ago(1) + 2, retain=True)
    report = relieve_disk_pressure(database, {"front": camera}, tmp_path, NOW,
                                   min_free_bytes=5 * MB, free_bytes=lambda _: 0)
    assert report.segments == 0 and recording_ids(database) == {"only"}


def test_maintainer_floor_triggers_disk_pressure(tmp_path: Path, h264_source: Path, database: Database) -> None:
    camera = camera_config(h264_source, {"record": {"enabled": True, "retain": {"days": 30}}})
    for i in range(3):
        add_segment(database, tmp_path, f"s{i}", days_ago(1) + 10 * i)
    maintainer = RecordingMaintainer(database, {"front": camera}, tmp_path, clock=lambda: NOW,
                                     min_free_bytes=2**62)  # more than any disk has free
    assert maintainer.check_disk(NOW).segments == 3
    assert recording_ids(database) == set()


def test_has_clip_and_has_snapshot_follow_the_files(tmp_path: Path, database: Database) -> None:
    add_event(database, tmp_path, "a", "person", NOW, NOW + 1, clip=True, snapshot=True)
    add_event(database, tmp_path, "b", "person", NOW, NOW + 1)
    clip_path(tmp_path / "clips", "front", "a").unlink()
    write_snapshot(tmp_path / "clips", "front", "b", b"jpeg", None)
    assert reconcile_event_media(database, tmp_path) == 2
    rows = events(database)
    assert (rows["a"].has_clip, rows["a"].has_snapshot) == (False, True)
    assert (rows["b"].has_clip, rows["b"].has_snapshot) == (False, True)
