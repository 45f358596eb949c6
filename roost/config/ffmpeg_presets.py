"""Frigate's ffmpeg presets (`hwaccel_args: preset-vaapi`, `input_args: preset-rtsp-restream`,
`output_args.record: preset-record-generic-audio-copy`): one table per kind of argument.

The names are those Frigate documents (its "FFmpeg presets" page); the argument lists follow
Frigate's own expansion. Placeholders are filled when a command is built, because they
depend on the camera: `{fps}` (detect fps), `{width}`/`{height}` (detect size) and
`{device}` (the render node for VAAPI/QSV). A hardware preset also needs its own scaling
filter for the detect output (frames stay on the GPU until `hwdownload`), so each hwaccel
preset has a matching entry in `DETECT_SCALE`.

Pure data and pure functions: validation uses `check_preset` (a ValueError names the
known presets), command builders use the `expand_*` functions.
"""

from __future__ import annotations

from roost import __version__

PREFIX = "preset-"
DEFAULT_RENDER_DEVICE = "/dev/dri/renderD128"
USER_AGENT = ["-user_agent", f"FFmpeg Roost/{__version__}"]

_VAAPI = ("-hwaccel_flags allow_profile_mismatch -hwaccel vaapi -hwaccel_device {device} "
          "-hwaccel_output_format vaapi")
_QSV = "-hwaccel qsv -qsv_device {device} -hwaccel_output_format qsv"
_NVIDIA = "-hwaccel cuda -hwaccel_output_format cuda"
_RKMPP = "-hwaccel rkmpp -hwaccel_output_format drm_prime"

#: `hwaccel_args` presets: decoder options placed before `-i`.
HWACCEL: dict[str, str] = {
    "preset-rpi-64-h264": "-c:v:1 h264_v4l2m2m",
    "preset-rpi-64-h265": "-c:v:1 hevc_v4l2m2m",
    "preset-vaapi": _VAAPI,
    "preset-intel-qsv-h264": f"{_QSV} -c:v h264_qsv",
    "preset-intel-qsv-h265": f"-load_plugin hevc_hw {_QSV} -c:v hevc_qsv",
    "preset-nvidia": _NVIDIA,
    # Older names of the NVIDIA preset, still accepted by Frigate.
    "preset-nvidia-h264": _NVIDIA,
    "preset-nvidia-h265": _NVIDIA,
    "preset-nvidia-mjpeg": _NVIDIA,
    "preset-jetson-h264": "-c:v h264_nvmpi -resize {width}x{height}",
    "preset-jetson-h265": "-c:v hevc_nvmpi -resize {width}x{height}",
    "preset-rkmpp": _RKMPP,
    "preset-rk-h264": _RKMPP,
    "preset-rk-h265": _RKMPP,
}

_SOFTWARE_SCALE = "-r {fps} -vf fps={fps},scale={width}:{height}"
_RKRGA_SCALE = ("-r {fps} -vf scale_rkrga=w={width}:h={height}:format=yuv420p:force_original_aspect_ratio=0,"
                "hwmap=mode=read,format=yuv420p")

#: The detect output's rate and scaling filter for each hwaccel preset (`None`: no preset).
DETECT_SCALE: dict[str | None, str] = {
    None: "-vf fps={fps},scale={width}:{height}",
    "preset-rpi-64-h264": _SOFTWARE_SCALE,
    "preset-rpi-64-h265": _SOFTWARE_SCALE,
    "preset-vaapi": ("-r {fps} -vf fps={fps},scale_vaapi=w={width}:h={height}:format=nv12,"
                     "hwdownload,format=nv12,format=yuv420p"),
    "preset-intel-qsv-h264": ("-r {fps} -vf vpp_qsv=framerate={fps}:w={width}:h={height}:format=nv12,"
                              "hwdownload,format=nv12,format=yuv420p"),
    "preset-intel-qsv-h265": ("-r {fps} -vf vpp_qsv=framerate={fps}:w={width}:h={height}:format=nv12,"
                              "hwdownload,format=nv12,format=yuv420p"),
    "preset-nvidia": "-r {fps} -vf fps={fps},scale_cuda=w={width}:h={height},hwdownload,format=nv12,format=yuv420p",
    "preset-nvidia-h264": "-r {fps} -vf fps={fps},scale_cuda=w={width}:h={height},hwdownload,format=nv12,format=yuv420p",
    "preset-nvidia-h265": "-r {fps} -vf fps={fps},scale_cuda=w={width}:h={height},hwdownload,format=nv12,format=yuv420p",
    "preset-nvidia-mjpeg": "-r {fps} -vf fps={fps},scale_cuda=w={width}:h={height},hwdownload,format=nv12,format=yuv420p",
    "preset-jetson-h264": "-r {fps}",  # the decoder already resizes (-resize)
    "preset-jetson-h265": "-r {fps}",
    "preset-rkmpp": _RKRGA_SCALE,
    "preset-rk-h264": _RKRGA_SCALE,
    "preset-rk-h265": _RKRGA_SCALE,
}

_RTSP = "-avoid_negative_ts make_zero -fflags +genpts+discardcorrupt -rtsp_transport {transport} -timeout 5000000 " \
        "-use_wallclock_as_timestamps 1"
_HTTP_LOW_DELAY = "-avoid_negative_ts make_zero -fflags nobuffer -flags low_delay -strict experimental " \
                  "-fflags +genpts+discardcorrupt -use_wallclock_as_timestamps 1"

#: `input_args` presets: demuxer options placed before `-i`.
INPUT: dict[str, str] = {
    "preset-http-jpeg-generic": f"-r {{fps}} -stream_loop -1 -f image2 {_HTTP_LOW_DELAY}",
    "preset-http-mjpeg-generic": _HTTP_LOW_DELAY,
    "preset-http-reolink": ("-avoid_negative_ts make_zero -fflags +genpts+discardcorrupt -flags low_delay "
                            "-strict experimental -analyzeduration 1000M -probesize 1000M -rw_timeout 5000000"),
    "preset-rtmp-generic": ("-avoid_negative_ts make_zero -fflags nobuffer -flags low_delay -strict experimental "
                            "-fflags +genpts+discardcorrupt -rw_timeout 5000000 -use_wallclock_as_timestamps 1 "
                            "-f live_flv"),
    "preset-rtsp-generic": _RTSP.format(transport="tcp"),
    "preset-rtsp-restream": "-rtsp_transport tcp -timeout 5000000",
    "preset-rtsp-restream-low-latency": "-rtsp_transport tcp -timeout 5000000 -fflags nobuffer -flags low_delay",
    "preset-rtsp-udp": _RTSP.format(transport="udp"),
    "preset-rtsp-blue-iris": ("-avoid_negative_ts make_zero -flags low_delay -strict experimental "
                              "-fflags +genpts+discardcorrupt -rtsp_transport tcp -timeout 5000000 "
                              "-use_wallclock_as_timestamps 1"),
}
#: Input presets Frigate prefixes with a user agent (HTTP cameras and Blue Iris check it).
INPUT_WITH_USER_AGENT = ("preset-http-jpeg-generic", "preset-http-mjpeg-generic", "preset-http-reolink",
                         "preset-rtsp-blue-iris")

_SEGMENTS = "-f segment -segment_time 10 -segment_format mp4 -reset_timestamps 1 -strftime 1"

#: `output_args.record` presets: the segment muxer and what happens to audio.
RECORD_OUTPUT: dict[str, str] = {
    "preset-record-generic": f"{_SEGMENTS} -c copy -an",
    "preset-record-generic-audio-aac": f"{_SEGMENTS} -c:v copy -c:a aac",
    "preset-record-generic-audio-copy": f"{_SEGMENTS} -c copy",
    "preset-record-mjpeg": f"{_SEGMENTS} -c:v libx264 -an",
    "preset-record-jpeg": f"{_SEGMENTS} -c:v libx264 -an",
    "preset-record-ubiquiti": f"{_SEGMENTS} -c:v copy -ar 44100 -c:a aac",
}

TABLES: dict[str, dict[str, str]] = {"hwaccel_args": HWACCEL, "input_args": INPUT, "record": RECORD_OUTPUT}


def preset_name(args: list[str]) -> str | None:
    """The preset `args` names (a single `preset-*` word), else None."""
    return args[0] if len(args) == 1 and args[0].startswith(PREFIX) else None


def check_preset(kind: str, args: list[str]) -> list[str]:
    """`args` unchanged when they are plain ffmpeg args or a known preset of `kind`
    (`hwaccel_args`, `input_args`, `record`); ValueError naming the known ones otherwise.
    A `preset-*` word among other args is refused too: Frigate only expands a preset
    given alone, and ffmpeg would fail on the word."""
    table = TABLES[kind]
    for arg in args:
        if arg.startswith(PREFIX) and (len(args) != 1 or arg not in table):
            raise ValueError(f"unknown ffmpeg preset '{arg}' for {kind}" if arg not in table else
                             f"preset '{arg}' must be the whole value of {kind}, not one of several args")
    return args


def _split(template: str, **values: object) -> list[str]:
    return template.format(**values).split()


def expand_hwaccel(args: list[str], width: int, height: int, device: str = DEFAULT_RENDER_DEVICE) -> list[str]:
    name = preset_name(args)
    if name is None:
        return args
    return _split(HWACCEL[name], width=width, height=height, device=device)


def expand_input(args: list[str], fps: int) -> list[str]:
    name = preset_name(args)
    if name is None:
        return args
    expanded = _split(INPUT[name], fps=fps)
    return [*USER_AGENT, *expanded] if name in INPUT_WITH_USER_AGENT else expanded


def expand_record_output(args: list[str]) -> list[str]:
    name = preset_name(args)
    return args if name is None else _split(RECORD_OUTPUT[name])


def detect_scale_args(hwaccel_args: list[str], fps: int, width: int, height: int) -> list[str]:
    """Rate and scaling of the detect output for the camera's (unexpanded) hwaccel args:
    the preset's GPU filter chain, else software `fps` + `scale`."""
    template = DETECT_SCALE.get(preset_name(hwaccel_args), DETECT_SCALE[None])
    return _split(template, fps=fps, width=width, height=height)
