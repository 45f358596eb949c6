"""Ending what a previous run left open: events and review segments whose `end_time` is
still null when Roost starts (it crashed, was killed, or lost power) end at the last time
they were seen (`last_seen`, written every few seconds while open; the start time when a
row never got one). Rows of cameras this node does not run are left alone, so nodes that
share one database do not end each other's events."""

from __future__ import annotations

import logging
from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy import func, update
from sqlalchemy.orm import Session

from roost.store import Database
from roost.store.models import EventRow, ReviewSegmentRow

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class EndedRows:
    events: int
    review_segments: int


def end_open_rows(database: Database, cameras: Collection[str]) -> EndedRows:
    """End every open event and review segment of `cameras` at its `last_seen`."""
    if not cameras:
        return EndedRows(0, 0)

    def work(session: Session) -> EndedRows:
        events = session.execute(
            update(EventRow).where(EventRow.end_time.is_(None), EventRow.camera.in_(list(cameras)))
            .values(end_time=func.coalesce(EventRow.last_seen, EventRow.start_time))
            .execution_options(synchronize_session=False))
        reviews = session.execute(
            update(ReviewSegmentRow).where(ReviewSegmentRow.end_time.is_(None),
                                           ReviewSegmentRow.camera.in_(list(cameras)))
            .values(end_time=func.coalesce(ReviewSegmentRow.last_seen, ReviewSegmentRow.start_time))
            .execution_options(synchronize_session=False))
        return EndedRows(int(events.rowcount), int(reviews.rowcount))  # type: ignore[attr-defined]

    ended = database.write(work)
    if ended.events or ended.review_segments:
        logger.warning("ended %d event(s) and %d review segment(s) left open by the previous run "
                       "(at the last time each was seen)", ended.events, ended.review_segments)
    return ended
