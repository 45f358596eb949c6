"""Score history and the false-positive rule, pinned to the Frigate README's table."""

from __future__ import annotations

import pytest

from roost.track.score_history import (SCORE_HISTORY_LENGTH, computed_score, is_false_positive,
                                       missed, padded, record_score)

# From ../shared/reference/frigate-readme.md, "Reducing False Positives", verbatim.
README_MIN_SCORE = 0.6
README_THRESHOLD = 0.85
README_TABLE = """
| Frame | Current Score | Score History | Computed Score | Detected Object |
| --- | --- | --- | --- | --- |
| 1 | 0.7 | 0.0, 0, 0.7 | 0.0 | No
| 2 | 0.55 | 0.0, 0.7, 0.0 | 0.0 | No
| 3 | 0.85 | 0.7, 0.0, 0.85 | 0.7 | No
| 4 | 0.90 | 0.7, 0.85, 0.95, 0.90 | 0.875 | Yes
| 5 | 0.88 | 0.7, 0.85, 0.95, 0.90, 0.88 | 0.88 | Yes
| 6 | 0.95 | 0.7, 0.85, 0.95, 0.90, 0.88, 0.95 | 0.89 | Yes
"""


def _rows() -> list[tuple[int, float, list[float], float, bool]]:
    rows = []
    for line in README_TABLE.strip().splitlines()[2:]:
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        frame, current, history, computed, detected = cells
        rows.append((int(frame), float(current), [float(v) for v in history.split(",")],
                     float(computed), {"Yes": True, "No": False}[detected]))
    return rows


ROWS = _rows()


@pytest.mark.parametrize(("frame", "current", "history", "computed", "detected"), ROWS,
                         ids=[f"frame {row[0]}" for row in ROWS])
def test_computed_score_and_detection_of_every_readme_row(
        frame: int, current: float, history: list[float], computed: float, detected: bool) -> None:
    """Each row's printed history gives the printed computed score and Yes/No."""
    score = computed_score(tuple(history))
    assert score == pytest.approx(computed)
    assert (not is_false_positive(True, score, README_THRESHOLD)) is detected


def test_running_the_readme_current_scores_follows_the_readme_text() -> None:
    """Feeding the "Current Score" column frame by frame.

    Frames 1-3 match the table exactly (history up to padding order, computed score, No).
    The table's frame 4 history (0.7, 0.85, 0.95, 0.90) is not what frames 1-4 produce: it
    has lost frame 2's 0.0 and gained a 0.95 no frame scored, and rows 5-6 carry that on.
    We pin the behaviour the README's text states (a score below `min_score` stays a 0.0
    in the history; the computed score is the padded median), which gives frame 4 a history
    of 0.7, 0.0, 0.85, 0.90 and a computed score of 0.775, still No; the object becomes a
    true positive at frame 5 (0.85 reaches the 0.85 threshold) instead of frame 4.
    """
    expected = {  # frame -> (history as recorded, computed score, detected)
        1: ((0.7,), 0.0, False),
        2: ((0.7, 0.0), 0.0, False),
        3: ((0.7, 0.0, 0.85), 0.7, False),
        4: ((0.7, 0.0, 0.85, 0.90), 0.775, False),
        5: ((0.7, 0.0, 0.85, 0.90, 0.88), 0.85, True),
        6: ((0.7, 0.0, 0.85, 0.90, 0.88, 0.95), 0.865, True),
    }
    history: tuple[float, ...] = ()
    false_positive = True
    for frame, current, readme_history, readme_computed, readme_detected in ROWS:
        history = record_score(history, current, README_MIN_SCORE)
        score = computed_score(history)
        false_positive = is_false_positive(false_positive, score, README_THRESHOLD)
        want_history, want_score, want_detected = expected[frame]
        assert history == pytest.approx(want_history)
        assert score == pytest.approx(want_score)
        assert (not false_positive) is want_detected
        if frame <= 3:  # where the README is self-consistent, it agrees with us exactly
            assert sorted(padded(history)) == pytest.approx(sorted(readme_history))
            assert score == pytest.approx(readme_computed)
            assert (not false_positive) is readme_detected


@pytest.mark.parametrize(("history", "computed"), [
    ((), 0.0),
    ((0.9,), 0.0),
    ((0.9, 0.8), 0.8),
    ((0.9, 0.8, 0.7), 0.8),
    ((0.9, 0.8, 0.7, 0.6), 0.75),
])
def test_computed_score_is_the_padded_median(history: tuple[float, ...], computed: float) -> None:
    assert computed_score(history) == pytest.approx(computed)


def test_history_keeps_the_last_ten_scores() -> None:
    history: tuple[float, ...] = ()
    for index in range(15):
        history = record_score(history, 0.5 + index / 100, min_score=0.5)
    assert len(history) == SCORE_HISTORY_LENGTH
    assert history[0] == pytest.approx(0.55)
    assert missed(history)[-1] == 0.0 and len(missed(history)) == SCORE_HISTORY_LENGTH


def test_score_equal_to_min_score_is_kept() -> None:
    assert record_score((), 0.6, min_score=0.6) == (0.6,)


def test_true_positive_is_kept_when_the_score_drops_again() -> None:
    assert is_false_positive(True, 0.84, 0.85) is True
    assert is_false_positive(True, 0.85, 0.85) is False
    assert is_false_positive(False, 0.0, 0.85) is False
