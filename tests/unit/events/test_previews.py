"""The span of an event's preview GIF: from its start, at most 20 s, never past its end."""

from __future__ import annotations

import pytest

from roost.events.clips import ClipSource, concat_span
from roost.events.previews import PREVIEW_SECONDS, preview_span


@pytest.mark.parametrize(("end", "now", "expected_end"), [
    (104.5, 999.0, 104.5),             # short ended event: all of it
    (500.0, 999.0, 100.0 + PREVIEW_SECONDS),  # long event: first 20 s
    (None, 107.0, 107.0),              # in progress: up to now
    (None, 999.0, 100.0 + PREVIEW_SECONDS),
])
def test_preview_span(end: float | None, now: float, expected_end: float) -> None:
    assert preview_span(100.0, end, now) == (100.0, expected_end)


def test_concat_span_picks_overlapping_segments_and_offsets_into_the_first() -> None:
    segments = [ClipSource(f"/r/{i}.mp4", 100.0 + 10 * i, 110.0 + 10 * i) for i in range(4)]  # type: ignore[arg-type]
    chosen, offset, duration = concat_span(segments, 113.0, 127.5) or ([], 0.0, 0.0)
    assert [s.start_time for s in chosen] == [110.0, 120.0]
    assert (offset, duration) == (3.0, 14.5)
    # past the newest segment: only what exists is given
    chosen, offset, duration = concat_span(segments, 135.0, 150.0) or ([], 0.0, 0.0)
    assert [s.start_time for s in chosen] == [130.0] and (offset, duration) == (5.0, 5.0)
    assert concat_span(segments, 200.0, 210.0) is None
