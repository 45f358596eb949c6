"""The ffmpeg command that decodes a camera's detect stream to raw frames (pure)."""

from __future__ import annotations

from roost.config.camera import CameraConfig
from roost.config.ffmpeg import FfmpegInput
from roost.config.ffmpeg_presets import detect_scale_args
from roost.ffmpeg import ffmpeg_binary


def detect_command(camera: CameraConfig, stream: FfmpegInput) -> list[str]:
    """`ffmpeg` + global + hwaccel + input args + `-i path` + a filter to the detect size and
    rate + `output_args.detect` + `pipe:`.

    The `fps` filter (not `-r`) keeps frame timing from the source's timestamps, and the
    scale filter makes every frame exactly `detect.width x detect.height`, which the ring's
    fixed slot size relies on. With a hwaccel preset the filter is the preset's GPU chain
    (scale on the GPU, then `hwdownload`), as Frigate does.
    """
    height, width = camera.frame_shape
    fps = camera.detect.fps
    global_args, hwaccel_args, input_args = camera.ffmpeg.command_args(stream, fps=fps, width=width, height=height)
    return [
        ffmpeg_binary(camera.ffmpeg.path), *global_args, *hwaccel_args, *input_args,
        "-i", stream.path,
        *detect_scale_args(camera.ffmpeg.hwaccel_for(stream), fps, width, height),
        *camera.ffmpeg.output_args.detect,
        "pipe:",
    ]
