"""Score history of a tracked object and the false-positive decision (Frigate's rules).

A detection below the label's `min_score` enters the history as 0.0 (the filters drop such
detections, and a tracked object looked for but not found records 0.0). The *computed
score* is the median of the history padded with 0.0 to at least 3 values, and an object is
a true positive once its computed score reaches the label's `threshold`; from then on it
stays one ("once a true positive, always a true positive", as in Frigate).
"""

from __future__ import annotations

from statistics import median

#: Scores kept per object (Frigate keeps the last 10).
SCORE_HISTORY_LENGTH = 10
#: The history is padded with 0.0 to this many values before taking the median.
PADDED_LENGTH = 3

ScoreHistory = tuple[float, ...]


def record_score(history: ScoreHistory, score: float, min_score: float) -> ScoreHistory:
    """`history` with `score` appended (0.0 when below `min_score`), keeping the last
    `SCORE_HISTORY_LENGTH` values.

    >>> record_score((0.7,), 0.55, min_score=0.6)
    (0.7, 0.0)
    """
    kept = score if score >= min_score else 0.0
    return (*history, kept)[-SCORE_HISTORY_LENGTH:]


def missed(history: ScoreHistory) -> ScoreHistory:
    """`history` after a frame in which the object was looked for and not detected."""
    return (*history, 0.0)[-SCORE_HISTORY_LENGTH:]


def padded(history: ScoreHistory) -> ScoreHistory:
    """`history` padded with 0.0 at the end to at least `PADDED_LENGTH` values.

    >>> padded((0.7,))
    (0.7, 0.0, 0.0)
    """
    return (*history, *([0.0] * (PADDED_LENGTH - len(history))))


def computed_score(history: ScoreHistory) -> float:
    """Median of the padded history (the mean of the two middle values for an even count).

    >>> computed_score((0.7, 0.0, 0.85))
    0.7
    """
    return float(median(padded(history)))


def is_false_positive(was_false_positive: bool, computed: float, threshold: float) -> bool:
    """False positive while the computed score stays below `threshold`; once it has reached
    it, the object is a true positive for good.

    >>> is_false_positive(True, 0.85, 0.85), is_false_positive(False, 0.1, 0.85)
    (False, False)
    """
    return was_false_positive and computed < threshold
