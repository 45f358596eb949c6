"""Event clips cut from indexed segments with concat + stream copy, on request; the
maintainer only sets `has_clip` (no clip is stored per event)."""

from __future__ import annotations

from pathlib import Path

import pytest
from record_streams import FPS, GOP, camera_config, index_split_source, packet_hashes, probe_video
from sqlalchemy import select

from roost.events.clips import clip_for_event
from roost.record.maintainer import CLIP_WAIT_S, RecordingMaintainer
from roost.store import Database
from roost.store.models import EventRow

START0 = 1_700_000_000.0


def add_event(database: Database, event_id: str, start: float, end: float | None, label: str = "person") -> None:
    database.write(lambda s: s.add(EventRow(id=event_id, label=label, camera="front", start_time=start,
                                            end_time=end, zones=[], data={})))


def event_row(database: Database, event_id: str) -> EventRow:
    with database.read() as session:
        row = session.scalars(select(EventRow).where(EventRow.id == event_id)).one()
    return row


def same_packets(clip: list[str], source: list[str], first: int) -> bool:
    """The clip's packets are the source's from packet `first` on. Key frames are skipped:
    the concat demuxer repeats the parameter sets in them (no re-encode, but new bytes)."""
    return len(clip) > GOP and all(h == source[first + i] for i, h in enumerate(clip) if i % GOP)


def duration_of(path: Path) -> float:
    return float(probe_video(path)["format"]["duration"])


def test_clip_covers_pre_and_post_capture(tmp_path: Path, h264_source: Path, database: Database) -> None:
    camera = camera_config(h264_source, {"record": {"enabled": True, "events": {"pre_capture": 2, "post_capture": 2}}})
    index_split_source(database, tmp_path, h264_source, "front", START0)
    add_event(database, "e1", START0 + 5, START0 + 7)
    clip = clip_for_event(database, "e1", camera, tmp_path, tmp_path / "cut" / "e1.mp4")
    assert clip == tmp_path / "cut" / "e1.mp4" and clip.exists()
    # span START0+3 .. START0+9: six seconds, starting on the key frame at 3 s
    assert duration_of(clip) == pytest.approx(6.0, abs=0.25)
    got = packet_hashes(clip)
    assert same_packets(got, packet_hashes(h264_source), first=3 * FPS)
    assert abs(len(got) - 6 * FPS) <= 1
    assert event_row(database, "e1").has_clip


def test_clip_keeps_the_last_max_seconds(tmp_path: Path, h264_source: Path, database: Database) -> None:
    camera = camera_config(h264_source, {"record": {"enabled": True, "events": {"pre_capture": 2, "post_capture": 2}},
                                         "save_clips": {"max_seconds": 4}})
    index_split_source(database, tmp_path, h264_source, "front", START0)
    add_event(database, "long", START0 + 2, START0 + 9)
    clip = clip_for_event(database, "long", camera, tmp_path, tmp_path / "long.mp4")
    assert clip is not None
    assert duration_of(clip) == pytest.approx(4.0, abs=0.25)
    assert same_packets(packet_hashes(clip), packet_hashes(h264_source), first=7 * FPS)  # 11 s - 4 s


def test_legacy_save_clips_capture_settings_apply(tmp_path: Path, h264_source: Path, database: Database) -> None:
    camera = camera_config(h264_source, {"record": {"enabled": False},
                                         "save_clips": {"enabled": True, "pre_capture": 1, "post_capture": 1}})
    index_split_source(database, tmp_path, h264_source, "front", START0)
    add_event(database, "old", START0 + 4, START0 + 6)
    clip = clip_for_event(database, "old", camera, tmp_path, tmp_path / "old.mp4")
    assert clip is not None and duration_of(clip) == pytest.approx(4.0, abs=0.25)


def test_no_clip_for_event_in_progress_or_without_recordings(tmp_path: Path, h264_source: Path,
                                                              database: Database) -> None:
    camera = camera_config(h264_source)
    index_split_source(database, tmp_path, h264_source, "front", START0)
    add_event(database, "live", START0 + 4, None)
    add_event(database, "later", START0 + 1000, START0 + 1010)
    assert clip_for_event(database, "live", camera, tmp_path, tmp_path / "live.mp4") is None
    assert clip_for_event(database, "later", camera, tmp_path, tmp_path / "later.mp4") is None
    assert not event_row(database, "later").has_clip


def test_ended_event_gets_has_clip_once_recordings_are_due_and_no_file(
        tmp_path: Path, h264_source: Path, database: Database) -> None:
    camera = camera_config(h264_source, {"record": {"enabled": True, "events": {"pre_capture": 1, "post_capture": 1}}})
    now = [START0 + 9.0]
    maintainer = RecordingMaintainer(database, {"front": camera}, tmp_path, clock=lambda: now[0])
    index_split_source(database, tmp_path, h264_source, "front", START0)
    add_event(database, "e2", START0 + 3, START0 + 6)
    maintainer.request_clip("e2")
    assert maintainer.mark_ready_clips(now[0]) == []  # not indexed by this maintainer, not overdue
    assert not event_row(database, "e2").has_clip
    now[0] = START0 + 7 + CLIP_WAIT_S + 1
    assert maintainer.mark_ready_clips(now[0]) == ["e2"]
    assert maintainer.mark_ready_clips(now[0]) == []  # done once
    assert event_row(database, "e2").has_clip
    assert not (tmp_path / "clips").exists() or not list((tmp_path / "clips").iterdir())  # nothing stored


def test_has_clip_only_for_the_labels_zones_and_cameras_that_keep_them(
        tmp_path: Path, h264_source: Path, database: Database) -> None:
    events = {"pre_capture": 1, "post_capture": 1, "objects": ["person"], "required_zones": ["yard"]}
    front = camera_config(h264_source, {"record": {"enabled": True, "events": events},
                                        "zones": {"yard": {"coordinates": "0,0,320,0,320,240,0,240"}}})
    no_record_role = camera_config(h264_source, {"ffmpeg": {"inputs": [{"path": str(h264_source),
                                                                        "roles": ["detect"]}]}}, name="porch")
    maintainer = RecordingMaintainer(database, {"front": front, "porch": no_record_role}, tmp_path,
                                     clock=lambda: START0 + 100)
    index_split_source(database, tmp_path, h264_source, "front", START0)
    rows = [EventRow(id="wanted", label="person", camera="front", zones=["yard"]),
            EventRow(id="car", label="car", camera="front", zones=["yard"]),
            EventRow(id="outside", label="person", camera="front", zones=[]),
            EventRow(id="porch", label="person", camera="porch", zones=["yard"])]
    for row in rows:
        row.start_time, row.end_time, row.data = START0 + 3, START0 + 6, {}
    database.write(lambda s: s.add_all(rows))
    for row in rows:
        maintainer.request_clip(row.id)
    assert maintainer.mark_ready_clips(START0 + 100) == ["wanted"]
    assert maintainer.mark_ready_clips(START0 + 100) == []  # the others were dropped, not left pending
    assert [r.id for r in rows if event_row(database, r.id).has_clip] == ["wanted"]


def test_events_ended_by_a_stop_get_has_clip_from_the_final_pass(tmp_path: Path, h264_source: Path,
                                                                  database: Database) -> None:
    camera = camera_config(h264_source, {"record": {"enabled": True, "events": {"pre_capture": 1, "post_capture": 1}}})
    maintainer = RecordingMaintainer(database, {"front": camera}, tmp_path, clock=lambda: START0 + 8.0,
                                     interval_s=3600)
    index_split_source(database, tmp_path, h264_source, "front", START0)
    add_event(database, "stopped", START0 + 3, START0 + 6)  # ended by the stop, just now
    maintainer.start()
    maintainer.request_clip("stopped")
    maintainer.stop()
    assert event_row(database, "stopped").has_clip
