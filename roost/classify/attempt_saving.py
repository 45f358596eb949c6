"""Which classification attempts are kept as "recent classifications", their file names,
and the cap of `save_attempts` per model (oldest deleted first)."""

from __future__ import annotations

import logging
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt

from roost.classify.verification import StateVerification

logger = logging.getLogger(__name__)

STATE_EVENT_ID = "none-none"  # event id part of state models' attempt names
WEBP_QUALITY = 80


def keep_state_attempt(first_for_camera: bool, label: str, score: float,
                       before: StateVerification) -> bool:
    """State models keep: the first attempt per camera, state changes, attempts while a
    change is pending, and anything below 100 %; never the stable, certain ones."""
    return first_for_camera or label != before.current or before.pending is not None or score < 1.0


def attempt_name(event_id: str, timestamp: float, label: str, score: float) -> str:
    """`<event_id>-<timestamp>-<class>-<score>.webp` (CONTRACT.md)."""
    return f"{event_id}-{timestamp:.6f}-{label}-{score:.2f}.webp"


def save_attempt(folder: Path, name: str, image_bgr: npt.NDArray[np.uint8], cap: int) -> Path | None:
    """Write the attempt image and delete the oldest beyond `cap` (0: keep none)."""
    if cap <= 0:
        return None
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / name
    if not cv2.imwrite(str(target), image_bgr, [cv2.IMWRITE_WEBP_QUALITY, WEBP_QUALITY]):
        logger.warning("could not write attempt image %s", target)
        return None
    trim_attempts(folder, cap)
    return target


def trim_attempts(folder: Path, cap: int) -> int:
    attempts = sorted((p for p in folder.glob("*.webp")), key=lambda p: (p.stat().st_mtime, p.name))
    extra = attempts[:max(0, len(attempts) - cap)]
    for path in extra:
        path.unlink(missing_ok=True)
    return len(extra)
