"""The restream child: GStreamer's RTSP server with one mount per stream, each fed by
one `Ingest` (one connection to the camera) and shared by every client, stream copy.

Run under the system Python, which has PyGObject and GStreamer from Debian:
    /usr/bin/python3 -m roost.restream.gst_server < spec.json
The first stdin line is the spec (JSON: host, port, streams); later lines are commands
(`{"cmd": "drop", "stream": name, "seconds": s}` simulates an outage, for test cameras).
Every second a status line goes to stdout (JSON, one object); nothing it prints carries a
source URL, so credentials in them cannot leak through the supervisor's logs.
"""

from __future__ import annotations

import json
import signal
import sys
import threading
import time
from typing import Any

import gi  # type: ignore[import-not-found]

gi.require_version("Gst", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import GLib, Gst, GstRtspServer  # type: ignore[import-not-found]  # noqa: E402

from roost.restream.gst_ingest import Ingest, Output  # noqa: E402

PAYLOADERS = {"h264": "h264parse ! rtph264pay", "h265": "h265parse ! rtph265pay"}
#: The least a DTS advances from one pushed buffer to the next.
MIN_STEP_NS = 1_000_000
AUDIO_ONLY_LAUNCH = "( audiotestsrc is-live=true wave=sine ! audioconvert ! alawenc ! rtppcmapay name=pay0 pt=8 )"


class _Output(Output):
    """One prepared media of a mount: buffers are re-stamped onto its clock and pushed
    into its appsrc, starting at a key frame."""

    def __init__(self, appsrc: Gst.Element) -> None:
        self.appsrc = appsrc
        self.waiting_for_key = True
        self.offset: int | None = None  # ns: media running time minus source DTS
        self.last_dts: int | None = None  # ns: the DTS last pushed

    def push(self, buffer: Gst.Buffer, caps: Gst.Caps) -> None:
        if self.waiting_for_key:
            if buffer.has_flags(Gst.BufferFlags.DELTA_UNIT):
                return
            self.waiting_for_key = False
            self.appsrc.set_property("caps", caps)
        clock = self.appsrc.get_clock()
        source_dts = buffer.dts if buffer.dts != Gst.CLOCK_TIME_NONE else buffer.pts
        if clock is None or source_dts == Gst.CLOCK_TIME_NONE:
            return
        now = clock.get_time() - self.appsrc.get_base_time()
        if self.offset is None or abs(source_dts + self.offset - now) > Gst.SECOND:
            self.offset = now - source_dts  # first buffer, the source restarted its clock, or it drifted
        if self.last_dts is not None and source_dts + self.offset <= self.last_dts:
            # Never back in time (recorders would log non-monotonous DTS): after a stall the
            # source catches up faster than real time; frames come 1 ms apart until it is level.
            self.offset = self.last_dts + MIN_STEP_NS - source_dts
        out = buffer.copy()
        out.dts = source_dts + self.offset
        self.last_dts = out.dts
        out.pts = (buffer.pts + self.offset) if buffer.pts != Gst.CLOCK_TIME_NONE else out.dts
        self.appsrc.emit("push-buffer", out)

    def end(self) -> None:
        self.appsrc.emit("end-of-stream")


class _Factory(GstRtspServer.RTSPMediaFactory):  # type: ignore[misc]
    """A mount: per client an appsrc pipeline that the stream's one ingest feeds."""

    def __init__(self, ingest: Ingest | None) -> None:
        super().__init__()
        self.ingest = ingest
        # One media per client: each starts at a key frame with its own SPS/PPS, which
        # decoders and MSE need; payloading is cheap, the camera connection stays one.
        self.set_shared(False)
        self.set_latency(0)
        self.connect("media-configure", self._configure)

    def do_create_element(self, _url: Any) -> Gst.Element | None:
        if self.ingest is None:
            return Gst.parse_launch(AUDIO_ONLY_LAUNCH)
        if self.ingest.refuses_clients(time.monotonic()):
            return None  # the client is refused at once instead of waiting for video
        payloader = PAYLOADERS.get(self.ingest.codec or "h264", PAYLOADERS["h264"])
        return Gst.parse_launch(
            f"( appsrc name=src is-live=true format=time min-latency=0 ! {payloader} name=pay0 pt=96 "
            "config-interval=-1 )")

    def _configure(self, _factory: Any, media: GstRtspServer.RTSPMedia) -> None:
        if self.ingest is None:
            return
        media.set_clock(Gst.SystemClock.obtain())
        appsrc = media.get_element().get_by_name("src")
        output = _Output(appsrc)
        ingest = self.ingest
        ingest.outputs.append(output)

        def detach(_media: Any) -> None:
            if output in ingest.outputs:
                ingest.outputs.remove(output)

        media.connect("unprepared", detach)


class RestreamServer:
    def __init__(self, spec: dict[str, Any]) -> None:
        self.server = GstRtspServer.RTSPServer()
        self.server.set_address(spec.get("host", "0.0.0.0"))
        self.server.set_service(str(spec["port"]))
        self.mounts = self.server.get_mount_points()
        self.ingests: dict[str, Ingest] = {}
        self.factories: dict[str, _Factory] = {}
        self.clients: dict[int, str] = {}  # id(client) -> stream it plays
        self._lock = threading.Lock()
        for stream in spec["streams"]:
            name = stream["name"]
            ingest = None if stream["kind"] == "audio_only" else Ingest(name, stream, _log)
            if ingest is not None:
                self.ingests[name] = ingest
            self.factories[name] = _Factory(ingest)
            self.mounts.add_factory(f"/{name}", self.factories[name])
            if stream.get("drop_every"):
                GLib.timeout_add(int(stream["drop_every"] * 1000), self._scheduled_drop, name,
                                 float(stream.get("drop_seconds", 20)))
        self.server.connect("client-connected", self._client_connected)

    def start(self) -> None:
        if self.server.attach(None) == 0:
            raise OSError(f"cannot listen on RTSP port {self.server.get_service()} (in use?)")
        for ingest in self.ingests.values():
            ingest.start()
        GLib.timeout_add(1000, self._tick)
        _emit({"type": "ready", "port": self.server.get_bound_port()})

    def _client_connected(self, _server: Any, client: GstRtspServer.RTSPClient) -> None:
        def on_play(_client: Any, context: Any) -> None:
            with self._lock:
                self.clients[id(client)] = context.uri.abspath.strip("/").split("/")[0]

        def on_closed(_client: Any) -> None:
            with self._lock:
                self.clients.pop(id(client), None)

        client.connect("play-request", on_play)
        client.connect("closed", on_closed)

    def drop(self, name: str, seconds: float) -> None:
        """Simulate a camera outage: the mount disappears, clients are cut off, the source stops."""
        factory = self.factories.get(name)
        if factory is None:
            return
        self.mounts.remove_factory(f"/{name}")
        self.server.client_filter(lambda _s, client, _u: GstRtspServer.RTSPFilterResult.REMOVE
                                  if self.clients.get(id(client)) == name else GstRtspServer.RTSPFilterResult.KEEP,
                                  None)
        ingest = self.ingests.get(name)
        if ingest is not None:
            ingest.paused = True
            ingest.stop()
            ingest.state = "reconnecting"

        def back() -> bool:
            self.mounts.add_factory(f"/{name}", factory)
            if ingest is not None:
                ingest.paused = False
                ingest.start()
            return False

        GLib.timeout_add(int(seconds * 1000), back)

    def restart(self, name: str) -> bool:
        """Start the source again from its beginning (a test camera's clip), clients staying on."""
        ingest = self.ingests.get(name)
        if ingest is not None and not ingest.paused:
            ingest.stop()
            ingest.start()
        return False

    def _scheduled_drop(self, name: str, seconds: float) -> bool:
        _log(f"{name}: simulated outage for {seconds:.0f} s")
        self.drop(name, seconds)
        return True

    def _tick(self) -> bool:
        now = time.monotonic()
        with self._lock:
            counts: dict[str, int] = {}
            for stream in self.clients.values():
                counts[stream] = counts.get(stream, 0) + 1
        streams: dict[str, dict[str, Any]] = {}
        for name in self.factories:
            ingest = self.ingests.get(name)
            streams[name] = {"clients": counts.get(name, 0)} if ingest is None else {
                "state": ingest.state, "error": ingest.error, "codec": ingest.codec,
                "width": ingest.width, "height": ingest.height,
                "seconds_since_frame": ingest.seconds_since_frame(now), "clients": counts.get(name, 0)}
            if ingest is not None:
                ingest.check_stall(now)
        _emit({"type": "status", "streams": streams})
        return True

    def stop(self) -> None:
        for ingest in self.ingests.values():
            ingest.stop()


def _emit(message: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


def _log(text: str) -> None:
    sys.stderr.write(text + "\n")
    sys.stderr.flush()


def _read_commands(server: RestreamServer, loop: GLib.MainLoop) -> None:
    for line in sys.stdin:
        try:
            command = json.loads(line)
        except ValueError:
            _log(f"ignored a command that is not JSON: {line[:80]!r}")
            continue
        if command.get("cmd") == "drop":
            GLib.idle_add(server.drop, str(command["stream"]), float(command.get("seconds", 20)))
        elif command.get("cmd") == "restart":
            GLib.idle_add(server.restart, str(command["stream"]))
    GLib.idle_add(loop.quit)  # the supervisor closed our stdin: it is gone or stopping us


def main() -> int:
    Gst.init(None)
    spec = json.loads(sys.stdin.readline())
    server = RestreamServer(spec)
    loop = GLib.MainLoop()
    try:
        server.start()
    except OSError as error:
        _log(str(error))
        return 2
    GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, signal.SIGTERM, loop.quit)
    GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, signal.SIGINT, loop.quit)
    threading.Thread(target=_read_commands, args=(server, loop), daemon=True).start()
    loop.run()
    server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
