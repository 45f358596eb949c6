"""Camera health for `/api/stats`: per input of a camera (detect, record, and the
restream's camera connection) its state — streaming / reconnecting / failed (or off) —,
the last ffmpeg error and the seconds since its last frame. Pure: the supervisor passes
in the figures each part keeps."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

#: A detect input that delivered a frame within this many seconds is streaming.
STREAMING_WITHIN_S = 5.0
#: ffmpeg runs in a row without a frame after which an input reads "failed" (it keeps retrying).
FAILED_AFTER = 3


@dataclass(frozen=True)
class InputHealth:
    state: str  # streaming | reconnecting | failed | off
    last_error: str | None
    seconds_since_frame: float | None


def detect_health(running: bool, last_frame_time: float, failures: int, last_error: str | None,
                  now: float) -> InputHealth:
    """From the capture process's shared figures (`last_frame_time` epoch s, 0: none yet)."""
    since = round(now - last_frame_time, 1) if last_frame_time else None
    if not running:
        return InputHealth("off", last_error, since)
    if since is not None and since <= STREAMING_WITHIN_S:
        state = "streaming"
    else:
        state = "failed" if failures >= FAILED_AFTER else "reconnecting"
    return InputHealth(state, last_error, since)


def restream_health(status: dict[str, Any] | None) -> InputHealth:
    """From the streaming-server child's status of the camera's stream."""
    if not status:
        return InputHealth("reconnecting", "the restream server is not running", None)
    return InputHealth(str(status.get("state", "reconnecting")), status.get("error"),
                       status.get("seconds_since_frame"))


def as_json(health: InputHealth, **extra: Any) -> dict[str, Any]:
    return {**asdict(health), **extra}
