"""`ffmpeg:` sections: "ffmpeg" + global_args + hwaccel_args + input_args + "-i" + input + output_args."""

from __future__ import annotations

import functools
from typing import Annotated, ClassVar, Literal

from pydantic import AfterValidator, Field

from roost.config.base import ArgList, RoostModel
from roost.config.ffmpeg_presets import (
    check_preset, expand_hwaccel, expand_input, expand_record_output,
)

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


def _hwaccel_alias(args: list[str]) -> list[str]:
    """`hwaccel_args: auto` (newer Frigate's default): let ffmpeg pick a decoder, falling
    back to software; frames come back to system memory, so the software scaler works."""
    return ["-hwaccel", "auto"] if args == ["auto"] else check_preset("hwaccel_args", args)


#: Argument lists that may name one of Frigate's presets (`preset-vaapi`, ...); an
#: unknown `preset-*` is a validation error at the key's own path.
HwaccelArgs = Annotated[ArgList, AfterValidator(_hwaccel_alias)]
InputArgs = Annotated[ArgList, AfterValidator(functools.partial(check_preset, "input_args"))]
RecordOutputArgs = Annotated[ArgList, AfterValidator(functools.partial(check_preset, "record"))]


class FfmpegOutputArgs(RoostModel):
    detect: ArgList = Field(default_factory=lambda: list(DEFAULT_DETECT_OUTPUT))
    record: RecordOutputArgs = Field(default_factory=lambda: list(DEFAULT_RECORD_OUTPUT))
    clips: RecordOutputArgs = Field(default_factory=lambda: list(DEFAULT_CLIPS_OUTPUT))
    rtmp: ArgList = Field(default_factory=lambda: list(DEFAULT_RTMP_OUTPUT))


class FfmpegInput(RoostModel):
    """One stream of a camera. Its args, when set, replace the camera's (Frigate: "inherit")."""

    path: str
    roles: list[Role] = Field(min_length=1)
    global_args: ArgList | None = None
    hwaccel_args: HwaccelArgs | None = None
    input_args: InputArgs | None = None


class FfmpegConfig(RoostModel):
    """Global and per-camera ffmpeg settings; `inputs` only means something per camera."""

    path: str = "default"  # "default": system ffmpeg, else the imageio-ffmpeg wheel's
    global_args: ArgList = Field(default_factory=lambda: list(DEFAULT_GLOBAL_ARGS))
    hwaccel_args: HwaccelArgs = Field(default_factory=list)
    input_args: InputArgs = Field(default_factory=lambda: list(DEFAULT_INPUT_ARGS))
    output_args: FfmpegOutputArgs = Field(default_factory=FfmpegOutputArgs)
    retry_interval: float = Field(default=10.0, gt=0)
    inputs: list[FfmpegInput] = Field(default_factory=list)
    apple_compatibility: bool = False
    gpu: int = Field(default=0, ge=0)

    ignored_keys: ClassVar[dict[str, str]] = {
        "apple_compatibility": "recordings are stream copies; Roost does not retag H.265 for Apple players",
        "gpu": "Roost picks no GPU for ffmpeg; use hwaccel_args",
    }

    def input_with_role(self, role: Role) -> FfmpegInput | None:
        return next((i for i in self.inputs if role in i.roles), None)

    def hwaccel_for(self, stream: FfmpegInput) -> list[str]:
        """The stream's hwaccel args as written (a preset name stays a name)."""
        return self.hwaccel_args if stream.hwaccel_args is None else stream.hwaccel_args

    def command_args(self, stream: FfmpegInput, *, fps: int = 5, width: int = 0, height: int = 0
                     ) -> tuple[list[str], list[str], list[str]]:
        """(global, hwaccel, input) args for `stream`, inherited from the camera when unset,
        with presets expanded for the camera's detect `fps` and size (command builders pass
        them; only the jpeg input and Jetson presets use them).

        The default input args carry RTSP-only options, which make ffmpeg refuse files and
        other protocols; for a non-RTSP path they are left out of the defaults (args the
        user wrote are passed as written)."""
        input_args = expand_input(self.input_args if stream.input_args is None else stream.input_args, fps)
        if not stream.path.lower().startswith(("rtsp://", "rtsps://")):
            input_args = without_rtsp_options(input_args)
        return (
            self.global_args if stream.global_args is None else stream.global_args,
            expand_hwaccel(self.hwaccel_for(stream), width, height),
            input_args,
        )

    def record_output_args(self, role: Role) -> list[str]:
        """`output_args.record` (or `.clips`), presets expanded."""
        return expand_record_output(self.output_args.clips if role == "clips" else self.output_args.record)


def lacks_segment_muxer(args: list[str]) -> bool:
    """True when record output args do not write segments (`-f segment`): without them there
    are no segments to index and retention could not work. Checked at load time (so
    `check-config` reports it) and again when the recorder's command is built."""
    return ("-f", "segment") not in list(zip(args, args[1:]))


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
