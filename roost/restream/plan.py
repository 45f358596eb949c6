"""What the restream serves, from the config (pure): one stream per camera with a
network source, one per `go2rtc.streams` entry, and which camera inputs read from the
restream instead of the camera, so the camera sees a single client.

Stream names follow Frigate: a camera's stream is named after the camera (Home
Assistant plays `rtsp://<host>:8554/<camera>`), a second distinct camera URL (a sub
stream) is `<camera>_sub`, and `go2rtc.streams` keys are used as written. An input that
already points at the local restream (Frigate's `preset-rtsp-restream` pattern) is left
alone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import urlsplit

from roost.config.effective import mask_secrets
from roost.config.root import RoostConfig

DEFAULT_PORT = 8554
#: Inputs rewritten to read from the restream use these instead of the camera's args:
#: the local server speaks RTSP over TCP, and a 5 s socket timeout notices an outage.
#: No `-use_wallclock_as_timestamps`: the restream's RTP clock carries the camera's own
#: frame timing, which stays even when a busy machine delivers frames in bursts (arrival
#: times would then collide and give recordings duplicate timestamps).
RESTREAM_INPUT_ARGS = ["-avoid_negative_ts", "make_zero", "-fflags", "+genpts+discardcorrupt",
                       "-rtsp_transport", "tcp", "-timeout", "5000000"]
NETWORK_SCHEMES = ("rtsp", "rtsps", "rtmp", "rtmps", "http", "https", "srt", "udp", "tcp")
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")
STREAM_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")

SourceKind = Literal["rtsp", "ffmpeg"]


@dataclass(frozen=True)
class StreamSource:
    """One restreamed stream. `url` may hold credentials: it goes to the child on stdin
    and nowhere else (not argv, not logs, not the API)."""

    name: str
    kind: SourceKind
    url: str
    input_args: tuple[str, ...] = ()


@dataclass(frozen=True)
class RestreamPlan:
    host: str
    port: int
    streams: tuple[StreamSource, ...]
    #: (camera, input index) → stream name the input reads instead of the camera.
    rewrites: dict[tuple[str, int], str] = field(default_factory=dict)
    #: Why a configured stream is not served, one line each, for the log.
    skipped: tuple[str, ...] = ()
    #: camera → the stream of its main (record, else detect) input.
    camera_streams: dict[str, str] = field(default_factory=dict)

    def local_url(self, stream: str) -> str:
        return f"rtsp://127.0.0.1:{self.port}/{stream}"

    def camera_stream(self, camera: str) -> str | None:
        """The stream a person or Home Assistant watches for `camera`."""
        return self.camera_streams.get(camera)


def listen_address(config: RoostConfig) -> tuple[str, int] | None:
    """`go2rtc.rtsp.listen` as go2rtc reads it (`":8554"`, `"0.0.0.0:8554"`); an empty
    value switches the RTSP server off, as in go2rtc. None: off."""
    rtsp = (config.go2rtc.model_extra or {}).get("rtsp") or {}
    listen = rtsp.get("listen", f":{DEFAULT_PORT}") if isinstance(rtsp, dict) else f":{DEFAULT_PORT}"
    if listen in ("", None, False):
        return None
    host, _, port = str(listen).rpartition(":")
    if not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"go2rtc.rtsp.listen: expected ':PORT' or 'HOST:PORT', got {listen!r}")
    return (host.strip("[]") or "0.0.0.0", int(port))


def is_network_url(path: str) -> bool:
    return urlsplit(path).scheme.lower() in NETWORK_SCHEMES


def local_stream_name(path: str, port: int) -> str | None:
    """The stream name when `path` is this machine's restream on `port`, else None."""
    parts = urlsplit(path)
    if parts.scheme.lower() != "rtsp" or parts.hostname not in LOOPBACK_HOSTS or (parts.port or 554) != port:
        return None
    return parts.path.strip("/") or None


def go2rtc_source(name: str, value: Any) -> StreamSource | str:
    """The first source of a `go2rtc.streams` entry Roost can ingest, or why none is."""
    candidates = value if isinstance(value, list) else [value]
    for candidate in candidates:
        if not isinstance(candidate, str):
            continue
        url = candidate.strip()
        if url.startswith("ffmpeg:"):
            url = url[len("ffmpeg:"):].split("#", 1)[0]
            if is_network_url(url) or url.startswith("/"):
                return StreamSource(name, "ffmpeg", url)
        elif urlsplit(url).scheme.lower() in ("rtsp", "rtsps"):
            return StreamSource(name, "rtsp", url.split("#", 1)[0])
        elif is_network_url(url):
            return StreamSource(name, "ffmpeg", url.split("#", 1)[0])
    shown = mask_secrets(candidates, set())
    return f"go2rtc.streams.{name}: no source Roost can restream (rtsp://, ffmpeg:<url>, rtmp/http URLs) in {shown}"


def restream_plan(config: RoostConfig) -> RestreamPlan | None:
    """None when the RTSP server is switched off (`go2rtc.rtsp.listen: ""`)."""
    address = listen_address(config)
    if address is None:
        return None
    host, port = address
    streams: dict[str, StreamSource] = {}
    skipped: list[str] = []
    for name, value in config.go2rtc.streams.items():
        source = go2rtc_source(name, value) if STREAM_NAME.match(name) else f"go2rtc.streams.{name}: bad name"
        if isinstance(source, str):
            skipped.append(source)
        else:
            streams[name] = source
    by_url = {s.url: s.name for s in streams.values()}
    rewrites: dict[tuple[str, int], str] = {}
    camera_streams: dict[str, str] = {}
    for camera_name, camera in config.cameras.items():
        if not camera.enabled:
            continue
        inputs = camera.ffmpeg.inputs
        ordered = sorted(range(len(inputs)), key=lambda i: "record" not in inputs[i].roles)
        for index in ordered:
            stream = inputs[index]
            local = local_stream_name(stream.path, port)
            if local is not None:
                camera_streams.setdefault(camera_name, local)
                continue
            if not is_network_url(stream.path):
                continue
            if stream.path not in by_url:
                name = _free_name(camera_name, streams)
                _global, _hw, input_args = camera.ffmpeg.command_args(stream)
                kind: SourceKind = "rtsp" if urlsplit(stream.path).scheme.lower() in ("rtsp", "rtsps") else "ffmpeg"
                streams[name] = StreamSource(name, kind, stream.path, tuple(input_args))
                by_url[stream.path] = name
            rewrites[(camera_name, index)] = by_url[stream.path]
            camera_streams.setdefault(camera_name, by_url[stream.path])
    return RestreamPlan(host, port, tuple(streams.values()), rewrites, tuple(skipped), camera_streams)


def _free_name(camera: str, taken: dict[str, StreamSource]) -> str:
    for candidate in (camera, f"{camera}_sub"):
        if candidate not in taken:
            return candidate
    index = 2
    while f"{camera}_{index}" in taken:
        index += 1
    return f"{camera}_{index}"


def reading_from_restream(config: RoostConfig, plan: RestreamPlan) -> RoostConfig:
    """A copy of `config` whose rewritten inputs read the local restream (the config the
    recorder and the pipeline run on; `/api/config` keeps showing the user's)."""
    copy = config.model_copy(deep=True)
    for (camera, index), stream in plan.rewrites.items():
        target = copy.cameras[camera].ffmpeg.inputs[index]
        target.path = plan.local_url(stream)
        target.input_args = list(RESTREAM_INPUT_ARGS)
    return copy


def with_restreamed_streams(effective: dict[str, Any], config: RoostConfig,
                            secrets: set[str] | None = None) -> dict[str, Any]:
    """`/api/config` with every restreamed camera listed in `go2rtc.streams` (credentials
    masked), as Frigate lists go2rtc's streams: Home Assistant's camera entity looks its
    camera up there and then plays `rtsp://<host>:8554/<camera>`."""
    try:
        plan = restream_plan(config)
    except ValueError:
        return effective
    if plan is None:
        return effective
    streams = effective.setdefault("go2rtc", {}).setdefault("streams", {})
    for source in plan.streams:
        streams.setdefault(source.name, mask_secrets([source.url], secrets or set()))
    return effective
