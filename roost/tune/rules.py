"""When a tune may start (Frigate+'s rules for a new model): at least `MIN_VERIFIED` verified
frames, and at least `MIN_NEW` of them not used by the last tuned model."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

#: Frigate+: a first model needs 10 verified images; each new one 10 more.
MIN_VERIFIED = 10
MIN_NEW = 10


@dataclass(frozen=True)
class TuneCounts:
    """`verified`: verified frames with their image; `new`: those the last tuned model did not
    train or evaluate on (all of them before the first tune); `has_model`: a tuned model exists."""

    verified: int
    new: int
    has_model: bool

    def to_json(self) -> dict[str, object]:
        return {"verified": self.verified, "new_since_last_model": self.new, "has_model": self.has_model,
                "min_verified": MIN_VERIFIED, "min_new": MIN_NEW, "refusal": refusal(self)}


def tune_counts(verified_ids: Iterable[str], last_model_ids: Iterable[str] | None) -> TuneCounts:
    """Counts from the verified frame ids now and those the last model used (None: no model yet).

    >>> tune_counts(["a", "b", "c"], ["a"])
    TuneCounts(verified=3, new=2, has_model=True)
    """
    ids = set(verified_ids)
    used = set(last_model_ids or ())
    return TuneCounts(len(ids), len(ids - used), last_model_ids is not None)


def refusal(counts: TuneCounts) -> str | None:
    """Why a tune may not start now (a sentence for the user), or None when it may.

    >>> refusal(TuneCounts(9, 9, False))
    'Tuning needs at least 10 verified frames; there are 9 (verify 1 more).'
    >>> refusal(TuneCounts(25, 4, True))
    'Tuning again needs at least 10 verified frames new since the last tuned model; there are 4 (verify 6 more).'
    >>> refusal(TuneCounts(10, 10, False)) is None
    True
    """
    if counts.verified < MIN_VERIFIED:
        return (f"Tuning needs at least {MIN_VERIFIED} verified frames; there are {counts.verified} "
                f"(verify {MIN_VERIFIED - counts.verified} more).")
    if counts.has_model and counts.new < MIN_NEW:
        return (f"Tuning again needs at least {MIN_NEW} verified frames new since the last tuned model; "
                f"there are {counts.new} (verify {MIN_NEW - counts.new} more).")
    return None
