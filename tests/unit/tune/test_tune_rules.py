"""Frigate+'s rules for a new tuned model, and the time split of the verified frames."""

from __future__ import annotations

from types import SimpleNamespace

from hypothesis import given
from hypothesis import strategies as st

from roost.tune.rules import MIN_NEW, MIN_VERIFIED, TuneCounts, refusal, tune_counts
from roost.tune.split import MIN_HELD_OUT, split_by_time


@given(st.sets(st.integers(0, 60)), st.one_of(st.none(), st.sets(st.integers(0, 60))))
def test_a_tune_may_start_exactly_when_both_rules_hold(verified: set[int], used: set[int] | None) -> None:
    counts = tune_counts([str(i) for i in verified], None if used is None else [str(i) for i in used])
    assert counts.verified == len(verified)
    assert counts.new == len(verified - (used or set()))
    allowed = len(verified) >= MIN_VERIFIED and (used is None or len(verified - used) >= MIN_NEW)
    assert (refusal(counts) is None) == allowed


def test_refusals_say_how_many_more_to_verify() -> None:
    assert "there are 0 (verify 10 more)" in str(refusal(TuneCounts(0, 0, False)))
    assert "new since the last tuned model; there are 9 (verify 1 more)" in str(refusal(TuneCounts(40, 9, True)))
    # Frames of the last model that were deleted since do not count against the next one.
    assert tune_counts(["a", "b"], ["a", "gone"]) == TuneCounts(2, 1, True)


@given(st.lists(st.floats(0, 1e9, allow_nan=False), min_size=2, max_size=80))
def test_held_out_frames_are_the_latest_and_never_all(times: list[float]) -> None:
    frames = [SimpleNamespace(frame_time=t) for t in times]
    train, held = split_by_time(frames)
    assert len(train) + len(held) == len(frames) and train and held
    assert len(held) >= min(MIN_HELD_OUT, len(frames) - 1)
    assert max(f.frame_time for f in train) <= min(f.frame_time for f in held)
    assert [f.frame_time for f in train] == sorted(f.frame_time for f in train)
    assert len(held) <= max(MIN_HELD_OUT, -(-len(frames) // 5))  # about a fifth


def test_one_frame_is_all_training() -> None:
    only = SimpleNamespace(frame_time=1.0)
    assert split_by_time([only]) == ([only], [])
