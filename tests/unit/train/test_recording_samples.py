"""State-example timestamps from recordings (the fallback when no review segment ended)."""

from __future__ import annotations

from roost.train.examples import RECORDING_SAMPLE_GAP_S, ReviewSpan, sample_recording_timestamps


def test_samples_spread_evenly_over_recorded_time_across_gaps() -> None:
    spans = [ReviewSpan("a", 0, 100), ReviewSpan("a", 1000, 1100)]  # 200 s recorded, a gap between
    stamps = sample_recording_timestamps(spans, count=4)
    assert stamps == [("a", 25.0), ("a", 75.0), ("a", 1025.0), ("a", 1075.0)]
    assert all(any(s.start <= t < s.end for s in spans) for _, t in stamps)  # never in the gap


def test_cameras_share_the_count_and_short_recordings_get_fewer() -> None:
    spans = [ReviewSpan("a", 0, 1000), ReviewSpan("b", 0, 2 * RECORDING_SAMPLE_GAP_S), ReviewSpan("c", 5, 5)]
    stamps = sample_recording_timestamps(spans, count=10)
    cameras = [c for c, _ in stamps]
    assert cameras.count("b") == 2 and cameras.count("a") == 5 and "c" not in cameras  # c recorded nothing
    assert cameras[:4] == ["a", "b", "a", "b"]  # taken in turn
    assert sample_recording_timestamps([]) == []
