"""State verification for state classification models (CONTRACT.md "State rules"), pure.

Results below the threshold are ignored (they neither count nor break a streak); a result
equal to the current state clears any pending state; a result equal to the pending state
counts up, and at `STATE_CHANGE_CONSECUTIVE` it becomes the current state (published);
anything else starts a new pending state at 1.
"""

from __future__ import annotations

from dataclasses import dataclass

STATE_CHANGE_CONSECUTIVE = 3


@dataclass(frozen=True)
class StateVerification:
    current: str | None = None
    pending: str | None = None
    pending_count: int = 0


def verify_state(state: StateVerification, label: str, score: float,
                 threshold: float) -> tuple[StateVerification, bool]:
    """The next verification state and whether `label` just became the current state."""
    if score < threshold:
        return state, False
    if label == state.current:
        return StateVerification(state.current), False
    if label == state.pending:
        count = state.pending_count + 1
        if count >= STATE_CHANGE_CONSECUTIVE:
            return StateVerification(label), True
        return StateVerification(state.current, label, count), False
    return StateVerification(state.current, label, 1), False
