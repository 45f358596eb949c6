"""What the recorder does with ffmpeg's stderr: every line is logged (as Frigate logs ffmpeg
output, at error level), except the timestamp corrections of a stream copy. ffmpeg prints
one per corrected packet ("Non-monotonous DTS ... changing to ...") when an RTSP source's
timestamps jitter; the packet is still written, a tick later, and the segment plays. Those
are counted and summed up once a minute instead of flooding the log."""

from __future__ import annotations

import logging
import time

#: Messages of packets ffmpeg fixed up and wrote anyway.
TIMESTAMP_CORRECTIONS = ("Non-monotonous DTS", "Timestamps are unset in a packet", "pts has no value",
                         "Invalid DTS:")
SUMMARY_INTERVAL_S = 60.0


def is_timestamp_correction(line: str) -> bool:
    """Whether `line` is ffmpeg reporting a packet timestamp it corrected.

    >>> is_timestamp_correction("[segment @ 0x1] Non-monotonous DTS in output stream 0:0; previous: 5, current: 4")
    True
    >>> is_timestamp_correction("rtsp://cam/: Connection refused")
    False
    """
    return any(message in line for message in TIMESTAMP_CORRECTIONS)


class FfmpegLog:
    """One recorder's ffmpeg stderr lines into `logger` (timestamp corrections summed up)."""

    def __init__(self, logger: logging.Logger) -> None:
        self.logger = logger
        self._now = time.monotonic
        self.corrections = 0  # since the last summary
        self.total_corrections = 0
        self._since = self._now()

    def line(self, text: str) -> bool:
        """Log one line; True when it is a real message (worth keeping as the last error)."""
        if not is_timestamp_correction(text):
            self.logger.error("%s", text)
            return True
        if self.total_corrections == 0:
            self.logger.warning("%s (ffmpeg corrected the packet's timestamp and wrote it; further "
                                "corrections are counted and logged once a minute)", text)
        self.corrections += 1
        self.total_corrections += 1
        now = self._now()
        if now - self._since >= SUMMARY_INTERVAL_S:
            self.logger.info("ffmpeg corrected %d packet timestamp(s) of the stream copy in the last %.0f s",
                             self.corrections, now - self._since)
            self.corrections, self._since = 0, now
        return False
