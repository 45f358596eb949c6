"""`end_open_rows`: what a previous run left open ends at its last sighting, for this
node's cameras only (nodes sharing a database do not end each other's events)."""

from __future__ import annotations

from pathlib import Path

from roost.events.open_rows import end_open_rows
from roost.record.expiry import reconcile_event_media
from roost.store import Database, database_url
from roost.store.models import EventRow, RecordingRow, ReviewSegmentRow


def test_open_rows_end_at_last_seen_and_other_nodes_rows_stay_open(tmp_path: Path) -> None:
    database = Database(database_url(None, None, tmp_path))
    database.migrate()
    database.write(lambda s: s.add_all([
        EventRow(id="seen", label="person", camera="front", start_time=100.0, end_time=None, last_seen=130.5,
                 zones=[], data={}),
        EventRow(id="never", label="person", camera="front", start_time=200.0, end_time=None, zones=[], data={}),
        EventRow(id="done", label="person", camera="front", start_time=50.0, end_time=60.0, last_seen=59.0,
                 zones=[], data={}),
        EventRow(id="other", label="person", camera="elsewhere", start_time=100.0, end_time=None, zones=[], data={}),
        ReviewSegmentRow(id="r1", camera="front", start_time=100.0, end_time=None, last_seen=131.0,
                         severity="alert", data={}),
        ReviewSegmentRow(id="r2", camera="elsewhere", start_time=100.0, end_time=None, severity="alert", data={}),
    ]))
    ended = end_open_rows(database, ["front"])
    assert (ended.events, ended.review_segments) == (2, 1)
    with database.read() as session:
        events = {r.id: r.end_time for r in session.query(EventRow)}
        reviews = {r.id: r.end_time for r in session.query(ReviewSegmentRow)}
    assert events == {"seen": 130.5, "never": 200.0, "done": 60.0, "other": None}
    assert reviews == {"r1": 131.0, "r2": None}
    assert end_open_rows(database, ["front"]).events == 0  # nothing left to do
    database.close()


def test_has_clip_stays_while_recordings_cover_the_event(tmp_path: Path) -> None:
    database = Database(database_url(None, None, tmp_path))
    database.migrate()
    segment = tmp_path / "recordings" / "seg.mp4"
    segment.parent.mkdir(parents=True)
    segment.write_bytes(b"x")
    database.write(lambda s: s.add_all([
        EventRow(id="covered", label="person", camera="front", start_time=105.0, end_time=108.0, has_clip=True,
                 zones=[], data={}),
        EventRow(id="gone", label="person", camera="front", start_time=500.0, end_time=505.0, has_clip=True,
                 zones=[], data={}),
        RecordingRow(id="r", camera="front", path=str(segment), start_time=100.0, end_time=110.0, duration=10.0),
    ]))
    assert reconcile_event_media(database, tmp_path) == 1
    with database.read() as session:
        assert {r.id: r.has_clip for r in session.query(EventRow)} == {"covered": True, "gone": False}
    database.close()
