"""Reading a stream before it becomes a camera (the web UI's "add camera"): ffprobe for the
video's size, codec and frame rate, then one decoded frame as JPEG, each under a timeout.

A stream that cannot be read raises `ProbeError` carrying ffmpeg's own words, with every
credential of the URL taken out (the text goes back to the browser and into logs)."""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

from roost.ffmpeg import ffmpeg_binary, redact_credentials

#: Each of the two steps (ffprobe, one frame) gets this long; an RTSP socket gives up sooner.
PROBE_TIMEOUT_S = 15.0
RTSP_SOCKET_TIMEOUT_US = 5_000_000
#: The test frame is scaled down to at most this width (it is a preview, not a snapshot).
FRAME_MAX_WIDTH = 960
#: Lines of ffmpeg's stderr kept in an error (the last ones say what went wrong).
ERROR_LINES = 6


class ProbeError(Exception):
    """The stream could not be read; the message is ffmpeg's, credentials removed."""


@dataclass(frozen=True)
class StreamInfo:
    """The first video stream: `width`/`height` in pixels, `fps` as the stream states it
    (0.0 when it does not), `codec` as ffprobe names it (`h264`, `hevc`, ...)."""

    width: int
    height: int
    codec: str
    fps: float
    jpeg: bytes


def _secrets_of(url: str) -> list[str]:
    parts = urlsplit(url)
    values = [parts.password or "", unquote(parts.password or ""), parts.username or ""]
    return [v for v in values if len(v) >= 2]


def scrub(text: str, url: str) -> str:
    """ffmpeg output with the URL's user and password gone, in any spelling ffmpeg prints.

    >>> scrub("rtsp://bob:pa%40ss@cam/1: 401 Unauthorized (pa@ss)", "rtsp://bob:pa%40ss@cam/1")
    'rtsp://*:*@cam/1: 401 Unauthorized (***)'
    """
    text = redact_credentials(text)
    for secret in sorted(_secrets_of(url), key=len, reverse=True):
        text = text.replace(secret, "***")
    return text


def _ffprobe(ffmpeg_path: str) -> str:
    sibling = Path(ffmpeg_binary(ffmpeg_path)).with_name("ffprobe")
    found = str(sibling) if sibling.is_file() else shutil.which("ffprobe")
    if found is None:
        raise ProbeError("ffprobe is not installed (it comes with ffmpeg)")
    return found


def _input_args(url: str) -> list[str]:
    if url.lower().startswith(("rtsp://", "rtsps://")):
        return ["-rtsp_transport", "tcp", "-timeout", str(RTSP_SOCKET_TIMEOUT_US)]
    return []


def _run(command: list[str], url: str, what: str, timeout: float) -> bytes:
    try:
        done = subprocess.run(command, capture_output=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        raise ProbeError(f"{what}: no answer from the stream within {timeout:.0f} s") from None
    except OSError as error:
        raise ProbeError(f"{what}: cannot run {command[0]}: {error}") from None
    if done.returncode != 0:
        lines = [line for line in done.stderr.decode(errors="replace").splitlines() if line.strip()]
        detail = "\n".join(lines[-ERROR_LINES:]) or f"exit code {done.returncode}"
        raise ProbeError(scrub(f"{what} failed: {detail}", url))
    return done.stdout


def _fps(rate: str) -> float:
    """ffprobe's `avg_frame_rate` ("25/1", "30000/1001", "0/0") as frames per second."""
    num, _, den = rate.partition("/")
    try:
        value = float(num) / float(den or 1)
    except (ValueError, ZeroDivisionError):
        return 0.0
    return round(value, 2) if value > 0 else 0.0


def probe_stream(url: str, ffmpeg_path: str = "default", timeout: float = PROBE_TIMEOUT_S) -> StreamInfo:
    """Size, codec, frame rate and one frame of the stream at `url` (a camera URL or a file)."""
    if not url.strip() or url.lstrip().startswith("-"):
        raise ProbeError("the stream URL is empty or starts with '-'")
    source = _input_args(url)
    out = _run([_ffprobe(ffmpeg_path), "-v", "error", *source, "-select_streams", "v:0",
                "-show_entries", "stream=codec_name,width,height,avg_frame_rate", "-of", "json", url],
               url, "ffprobe", timeout)
    try:
        stream = (json.loads(out or b"{}").get("streams") or [])[0]
        width, height = int(stream["width"]), int(stream["height"])
    except (ValueError, KeyError, IndexError, TypeError):
        raise ProbeError("ffprobe found no video stream in it (an audio-only stream, or not a video)") from None
    if width <= 0 or height <= 0:
        raise ProbeError(f"ffprobe reports an unusable video size {width}x{height}")
    scale = f"scale='min({FRAME_MAX_WIDTH},iw)':-2"
    jpeg = _run([ffmpeg_binary(ffmpeg_path), "-hide_banner", "-loglevel", "error", *source, "-i", url,
                 "-frames:v", "1", "-vf", scale, "-f", "image2", "-c:v", "mjpeg", "-q:v", "4", "pipe:1"],
                url, "reading a frame", timeout)
    if not jpeg.startswith(b"\xff\xd8"):
        raise ProbeError("ffmpeg decoded no frame from the stream")
    return StreamInfo(width, height, str(stream.get("codec_name") or "?"), _fps(str(stream.get("avg_frame_rate", ""))), jpeg)
