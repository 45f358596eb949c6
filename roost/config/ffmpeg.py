"""`ffmpeg:` sections: "ffmpeg" + global_args + hwaccel_args + input_args + "-i" + input + output_args."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from roost.config.base import ArgList, RoostModel

Role = Literal["detect", "record", "clips", "rtmp", "audio"]

DEFAULT_GLOBAL_ARGS = ["-hide_banner", "-loglevel", "warning"]
DEFAULT_INPUT_ARGS = [
    "-avoid_negative_ts", "make_zero", "-fflags", "+genpts+discardcorrupt",
    "-rtsp_transport", "tcp", "-timeout", "5000000", "-use_wallclock_as_timestamps", "1",
]
DEFAULT_DETECT_OUTPUT = ["-f", "rawvideo", "-pix_fmt", "yuv420p"]
DEFAULT_RECORD_OUTPUT = [
    "-f", "segment", "-segment_time", "10", "-segment_format", "mp4",
    "-reset_timestamps", "1", "-strftime", "1", "-c", "copy", "-an",
]
DEFAULT_CLIPS_OUTPUT = DEFAULT_RECORD_OUTPUT
DEFAULT_RTMP_OUTPUT = ["-c", "copy", "-f", "flv"]


class FfmpegOutputArgs(RoostModel):
    detect: ArgList = Field(default_factory=lambda: list(DEFAULT_DETECT_OUTPUT))
    record: ArgList = Field(default_factory=lambda: list(DEFAULT_RECORD_OUTPUT))
    clips: ArgList = Field(default_factory=lambda: list(DEFAULT_CLIPS_OUTPUT))
    rtmp: ArgList = Field(default_factory=lambda: list(DEFAULT_RTMP_OUTPUT))


class FfmpegInput(RoostModel):
    """One stream of a camera. Its args, when set, replace the camera's (Frigate: "inherit")."""

    path: str
    roles: list[Role] = Field(min_length=1)
    global_args: ArgList | None = None
    hwaccel_args: ArgList | None = None
    input_args: ArgList | None = None


class FfmpegConfig(RoostModel):
    """Global and per-camera ffmpeg settings; `inputs` only means something per camera."""

    path: str = "default"  # "default": system ffmpeg, else the imageio-ffmpeg wheel's
    global_args: ArgList = Field(default_factory=lambda: list(DEFAULT_GLOBAL_ARGS))
    hwaccel_args: ArgList = Field(default_factory=list)
    input_args: ArgList = Field(default_factory=lambda: list(DEFAULT_INPUT_ARGS))
    output_args: FfmpegOutputArgs = Field(default_factory=FfmpegOutputArgs)
    retry_interval: float = Field(default=10.0, gt=0)
    inputs: list[FfmpegInput] = Field(default_factory=list)

    def input_with_role(self, role: Role) -> FfmpegInput | None:
        return next((i for i in self.inputs if role in i.roles), None)

    def command_args(self, stream: FfmpegInput) -> tuple[list[str], list[str], list[str]]:
        """(global, hwaccel, input) args for `stream`, inherited from the camera when unset.

        The default input args carry RTSP-only options, which make ffmpeg refuse files and
        other protocols; for a non-RTSP path they are left out of the defaults (args the
        user wrote are passed as written)."""
        input_args = self.input_args if stream.input_args is None else stream.input_args
        if not stream.path.lower().startswith(("rtsp://", "rtsps://")):
            input_args = without_rtsp_options(input_args)
        return (
            self.global_args if stream.global_args is None else stream.global_args,
            self.hwaccel_args if stream.hwaccel_args is None else stream.hwaccel_args,
            input_args,
        )


#: ffmpeg options (each with one value) that only the RTSP demuxer accepts.
RTSP_ONLY_OPTIONS = ("-rtsp_transport", "-timeout", "-stimeout", "-rtsp_flags")


def without_rtsp_options(args: list[str]) -> list[str]:
    """`args` minus RTSP-only options and their values."""
    kept: list[str] = []
    skip_next = False
    for arg in args:
        if skip_next:
            skip_next = False
        elif arg in RTSP_ONLY_OPTIONS:
            skip_next = True
        else:
            kept.append(arg)
    return kept
