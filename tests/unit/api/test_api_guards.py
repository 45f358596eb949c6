"""Pure guards of the API: login rate limits, traversal detection, comma-separated filters,
HLS playlist text."""

from __future__ import annotations

import pytest

from roost.api.app import is_traversal  # re-exported from roost.api.request_guard
from roost.api.params import csv_values
from roost.api.rate_limit import RateLimiter, parse_limits
from roost.api.vod import playlist
from roost.store.models import RecordingRow


def test_parse_limits() -> None:
    assert parse_limits("1/second;5/minute;20/hour") == [(1, 1.0), (5, 60.0), (20, 3600.0)]
    assert parse_limits(None) == [] and parse_limits("") == []
    with pytest.raises(ValueError, match="expected"):
        parse_limits("5/fortnight")


def test_rate_limiter_blocks_after_the_count_within_the_period() -> None:
    limiter = RateLimiter([(2, 60.0)])
    assert not limiter.blocked("a")
    limiter.hit("a")
    assert not limiter.blocked("a")
    limiter.hit("a")
    assert limiter.blocked("a") and not limiter.blocked("b")
    assert not RateLimiter([]).blocked("a")


@pytest.mark.parametrize(("text", "bad"), [
    ("../etc/passwd", True), ("a/../b", True), ("..", True), ("..\\x", True), ("a\x00b", True),
    ("...", False), ("a..b", False), ("Europe/Paris", False), ("1700000000.123456-abcdef", False),
])
def test_traversal_detection(text: str, bad: bool) -> None:
    assert is_traversal(text) is bad


def test_csv_values() -> None:
    assert csv_values("front,back", None) == ["front", "back"]
    assert csv_values("front", "back, side") == ["front", "back", "side"]
    assert csv_values("all") is None and csv_values(None, "") is None and csv_values(" , ") is None


def test_playlist_marks_gaps_and_carries_the_query() -> None:
    rows = [RecordingRow(id=f"r{i}", camera="c", path="p", start_time=s, end_time=s + 10, duration=10.0)
            for i, s in enumerate((1000.0, 1010.0, 1100.0))]
    text = playlist(rows, "token=x")
    lines = text.splitlines()
    assert lines[:3] == ["#EXTM3U", "#EXT-X-VERSION:3", "#EXT-X-TARGETDURATION:10"]
    assert [line for line in lines if line.startswith("seg-")] == ["seg-r0.ts?token=x", "seg-r1.ts?token=x",
                                                                  "seg-r2.ts?token=x"]
    assert lines.count("#EXT-X-DISCONTINUITY") == 1
    assert lines.index("#EXT-X-DISCONTINUITY") == lines.index("seg-r2.ts?token=x") - 2
    assert "?" not in playlist(rows, "")
