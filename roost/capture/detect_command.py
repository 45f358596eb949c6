"""The ffmpeg command that decodes a camera's detect stream to raw frames (pure)."""

from __future__ import annotations

from roost.config.camera import CameraConfig
from roost.config.ffmpeg import FfmpegInput
from roost.ffmpeg import ffmpeg_binary


def detect_command(camera: CameraConfig, stream: FfmpegInput) -> list[str]:
    """`ffmpeg` + global + hwaccel + input args + `-i path` + a filter to the detect size and
    rate + `output_args.detect` + `pipe:`.

    The `fps` filter (not `-r`) keeps frame timing from the source's timestamps, and the
    scale filter makes every frame exactly `detect.width x detect.height`, which the ring's
    fixed slot size relies on.
    """
    height, width = camera.frame_shape
    global_args, hwaccel_args, input_args = camera.ffmpeg.command_args(stream)
    return [
        ffmpeg_binary(camera.ffmpeg.path), *global_args, *hwaccel_args, *input_args,
        "-i", stream.path,
        "-vf", f"fps={camera.detect.fps},scale={width}:{height}",
        *camera.ffmpeg.output_args.detect,
        "pipe:",
    ]
