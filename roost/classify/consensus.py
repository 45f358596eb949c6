"""Object classification consensus (CONTRACT.md "Object rules"), pure.

Attempts below the threshold are not added; at most `MAX_COUNTED_ATTEMPTS` are kept per
object; from `MIN_ATTEMPTS` on, the most common class must hold at least
`CONSENSUS_SHARE` of them, and the reported score is that class's mean; `none` is never
assigned.
"""

from __future__ import annotations

from collections import Counter

MIN_ATTEMPTS = 3
CONSENSUS_SHARE = 0.6
MAX_COUNTED_ATTEMPTS = 16
NONE_CLASS = "none"

Attempt = tuple[str, float]  # (class, score)


def add_attempt(history: tuple[Attempt, ...], label: str, score: float,
                threshold: float) -> tuple[Attempt, ...]:
    if score < threshold or len(history) >= MAX_COUNTED_ATTEMPTS:
        return history
    return (*history, (label, score))


def consensus(history: tuple[Attempt, ...]) -> tuple[str, float] | None:
    """(class, mean score) once the attempts agree enough, else None."""
    if len(history) < MIN_ATTEMPTS:
        return None
    label, count = Counter(label for label, _ in history).most_common(1)[0]
    if count / len(history) < CONSENSUS_SHARE or label == NONE_CLASS:
        return None
    scores = [score for name, score in history if name == label]
    return label, sum(scores) / len(scores)
