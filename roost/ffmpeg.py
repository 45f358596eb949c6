"""Which ffmpeg binary Roost runs: the system's when on PATH, else the imageio-ffmpeg wheel's,
so `pip install` alone gives a working install."""

from __future__ import annotations

import functools
import shutil


#: `ffmpeg.path` values that pick one of the ffmpeg builds bundled with Frigate's image
#: (0.15+); Roost has none bundled, so they mean the default.
FRIGATE_BUNDLED_VERSIONS = ("5.0", "7.0")


@functools.cache
def ffmpeg_binary(configured: str = "default") -> str:
    """Path of the ffmpeg to run; `configured` is `ffmpeg.path` from the config."""
    if configured not in ("default", "", *FRIGATE_BUNDLED_VERSIONS):
        return configured
    system = shutil.which("ffmpeg")
    if system:
        return system
    import imageio_ffmpeg  # type: ignore[import-untyped]

    return str(imageio_ffmpeg.get_ffmpeg_exe())


def redact_credentials(text: str) -> str:
    """`text` with the `user:password@` of any URL in it replaced by `*:*@`, for logs of
    ffmpeg output (ffmpeg names the URL it failed on, credentials included)."""
    from roost.config.effective import URL_CREDENTIALS

    return URL_CREDENTIALS.sub(lambda m: f"{m['scheme']}*:*@", text)


def is_loopback_url(path: str) -> bool:
    """An RTSP URL on this machine (the local restream): reconnecting to it costs nothing."""
    from urllib.parse import urlsplit

    parts = urlsplit(path)
    return parts.scheme.lower() == "rtsp" and parts.hostname in ("127.0.0.1", "localhost", "::1")
