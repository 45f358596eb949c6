"""State verification and object consensus, table-driven; saving rules and the cap."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from roost.classify.attempt_saving import attempt_name, keep_state_attempt, save_attempt
from roost.classify.consensus import add_attempt, consensus
from roost.classify.verification import StateVerification, verify_state

T = 0.8


def run_states(results: list[tuple[str, float]], start: StateVerification | None = None) -> tuple[list[str], StateVerification]:
    state, published = start or StateVerification(), []
    for label, score in results:
        state, changed = verify_state(state, label, score, T)
        if changed:
            published.append(label)
    return published, state


@pytest.mark.parametrize(("results", "published", "current"), [
    ([("open", 0.9)] * 3, ["open"], "open"),                                   # 3 in a row publishes
    ([("open", 0.9)] * 2, [], None),                                           # 2 do not
    ([("open", 0.9), ("closed", 0.9)] * 4, [], None),                          # flip-flop never publishes
    ([("open", 0.9), ("closed", 0.5), ("open", 0.9), ("open", 0.95)], ["open"], "open"),  # low score neither counts nor resets
    ([("open", 0.9), ("open", 0.7), ("open", 0.6)], [], None),                 # below threshold does not count
    ([("open", 0.9)] * 3 + [("closed", 0.9)] * 2 + [("open", 0.9)] + [("closed", 0.9)] * 2, ["open"], "open"),  # return to current clears pending
    ([("open", 0.9)] * 3 + [("closed", 0.9)] * 3, ["open", "closed"], "closed"),
    ([("open", 0.9)] * 6, ["open"], "open"),                                   # published once, not on every result
])
def test_state_verification(results: list[tuple[str, float]], published: list[str], current: str | None) -> None:
    got, state = run_states(results)
    assert got == published and state.current == current


def test_return_to_current_clears_pending() -> None:
    _, state = run_states([("closed", 0.9)] * 2, StateVerification("open"))
    assert state.pending == "closed" and state.pending_count == 2
    _, state = run_states([("open", 0.99)], state)
    assert state == StateVerification("open")


def history_of(attempts: list[tuple[str, float]]) -> tuple[tuple[str, float], ...]:
    history: tuple[tuple[str, float], ...] = ()
    for label, score in attempts:
        history = add_attempt(history, label, score, T)
    return history


@pytest.mark.parametrize(("attempts", "expected"), [
    ([("leo", 0.9), ("leo", 0.9)], None),                                       # 2 attempts never assign
    ([("leo", 0.9), ("leo", 0.8), ("charlie", 0.9), ("leo", 1.0), ("charlie", 0.85)], ("leo", 0.9)),  # 3 of 5 = 60 %
    ([("leo", 0.9), ("charlie", 0.9), ("leo", 0.9), ("charlie", 0.9)], None),   # 50 % is not enough
    ([("none", 0.9)] * 3 + [("leo", 0.9)], None),                               # none majority assigns nothing
    ([("leo", 0.5), ("leo", 0.6), ("leo", 0.7), ("leo", 0.9)], None),           # below threshold not counted
    ([("leo", 0.85)] * 3, ("leo", 0.85)),
])
def test_object_consensus(attempts: list[tuple[str, float]], expected: tuple[str, float] | None) -> None:
    result = consensus(history_of(attempts))
    if expected is None:
        assert result is None
    else:
        assert result is not None and result[0] == expected[0] and result[1] == pytest.approx(expected[1])


def test_at_most_16_counted_attempts() -> None:
    assert len(history_of([("leo", 0.9)] * 30)) == 16


@pytest.mark.parametrize(("first", "label", "score", "before", "kept"), [
    (True, "open", 1.0, StateVerification("open"), True),           # first attempt for the camera
    (False, "open", 1.0, StateVerification("open"), False),         # stable and certain: never
    (False, "open", 0.97, StateVerification("open"), True),         # below 100 %
    (False, "closed", 1.0, StateVerification("open"), True),        # differs from the current state
    (False, "open", 1.0, StateVerification("open", "closed", 1), True),  # pending verification
])
def test_state_attempt_saving_rules(first: bool, label: str, score: float, before: StateVerification, kept: bool) -> None:
    assert keep_state_attempt(first, label, score, before) is kept


def test_attempt_cap_deletes_oldest_first(tmp_path: Path) -> None:
    image = np.full((32, 32, 3), 128, np.uint8)
    for index in range(5):
        path = save_attempt(tmp_path, attempt_name("none-none", 1700000000.0 + index, "open", 0.9), image, cap=3)
        assert path is not None
        os.utime(path, (1700000000 + index, 1700000000 + index))
    names = sorted(p.name for p in tmp_path.glob("*.webp"))
    assert names == [attempt_name("none-none", 1700000000.0 + i, "open", 0.9) for i in (2, 3, 4)]
    assert names[0] == "none-none-1700000002.000000-open-0.90.webp"
