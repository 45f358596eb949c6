"""The recorder's ffmpeg command line, from a camera's config (pure).

"ffmpeg" + global_args + hwaccel_args + input_args + "-i" + input + output_args + target,
as Frigate builds it. The record (or legacy `clips`) output args are stream copy by
default; the target is a strftime pattern in the cache so each segment's file name
carries its start time (see roost.record.segments).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from roost.config.camera import CameraConfig
from roost.config.ffmpeg import FfmpegInput, Role, lacks_segment_muxer
from roost.ffmpeg import ffmpeg_binary
from roost.record.segments import cache_output_pattern

DEFAULT_SEGMENT_SECONDS = 10.0


@dataclass(frozen=True)
class RecorderStream:
    """The input a camera records from and the role that chose it (`record`, or `clips`
    for configs written for Frigate 0.8)."""

    stream: FfmpegInput
    role: Role


def recorder_stream(camera: CameraConfig) -> RecorderStream | None:
    """The input with the `record` role, else the one with `clips`; None: nothing to record."""
    roles: tuple[Role, ...] = ("record", "clips")
    for role in roles:
        stream = camera.ffmpeg.input_with_role(role)
        if stream is not None:
            return RecorderStream(stream, role)
    return None


def output_args(camera: CameraConfig, role: Role) -> list[str]:
    """`ffmpeg.output_args.record` (or `.clips`), made to name files by time.

    Raises ValueError naming the key when the args do not use the segment muxer: without
    it there are no segments to index and retention could not work.
    """
    args = camera.ffmpeg.record_output_args(role)
    pairs = list(zip(args, args[1:]))
    if lacks_segment_muxer(args):
        raise ValueError(f"ffmpeg.output_args.{role}: expected '-f segment' (recordings are "
                         f"written as segments), got {' '.join(args)!r}")
    if ("-strftime", "1") not in pairs:
        args += ["-strftime", "1"]
    return args


def segment_seconds(args: list[str]) -> float:
    """The `-segment_time` in `args` (seconds), or ffmpeg's default for our muxer."""
    for flag, value in zip(args, args[1:]):
        if flag == "-segment_time":
            try:
                return float(value)
            except ValueError:
                break
    return DEFAULT_SEGMENT_SECONDS


def recorder_command(camera_name: str, camera: CameraConfig, cache_dir: Path) -> list[str]:
    """The full argv of the recorder's ffmpeg. Hardware decoding args are only passed for
    inputs that are also decoded for detection (stream copy decodes nothing), as Frigate does."""
    chosen = recorder_stream(camera)
    if chosen is None:
        raise ValueError(f"cameras.{camera_name}.ffmpeg.inputs: no input has the record or clips role")
    global_args, hwaccel_args, input_args = camera.ffmpeg.command_args(
        chosen.stream, fps=camera.detect.fps, width=camera.detect.width or 0, height=camera.detect.height or 0)
    hwaccel = hwaccel_args if "detect" in chosen.stream.roles else []
    return [ffmpeg_binary(camera.ffmpeg.path), *global_args, *hwaccel, *input_args,
            "-i", chosen.stream.path, *output_args(camera, chosen.role),
            cache_output_pattern(cache_dir, camera_name)]
