"""One camera connection of the restream child: a GStreamer pipeline that reads the
source without decoding (RTSP through `rtspsrc`, anything else through an ffmpeg
`-c copy` to MPEG-TS on a pipe) and hands every parsed H.264/H.265 access unit to the
outputs (the RTSP mounts) attached to it.

Runs inside the restream child under the system Python (stdlib + PyGObject only).
"""

from __future__ import annotations

import subprocess
import threading
import time
from collections.abc import Callable
from typing import Any, Protocol

import gi  # type: ignore[import-not-found]

gi.require_version("Gst", "1.0")
from gi.repository import GLib, Gst  # type: ignore[import-not-found]  # noqa: E402

#: RTP encodings and MPEG-TS caps the restream passes through, with their parser.
PARSERS = {"H264": ("rtph264depay", "h264parse"), "H265": ("rtph265depay", "h265parse")}
CAPS_CODEC = {"video/x-h264": "h264", "video/x-h265": "h265"}
#: No access unit for this long: the source is considered stalled and reconnected.
STALL_S = 10.0
MIN_RETRY_S = 1.0
#: Retry at least this often, so a camera that comes back is restreamed within seconds.
MAX_RETRY_S = 2.0
#: The state reads "failed" (retries go on) when a source never delivered after this many
#: tries, or delivered nothing for this long; in between it is "reconnecting".
FAILED_AFTER = 3
FAILED_AFTER_S = 60.0
REFUSE_AFTER_S = 3.0

class Output(Protocol):
    """Where an ingest delivers: `push` each access unit, `end` when the source is lost
    (the server's per-client outputs implement it)."""

    def push(self, buffer: Gst.Buffer, caps: Gst.Caps) -> None: ...

    def end(self) -> None: ...


class Ingest:
    """Keeps one source connected: restarts it on error, end of stream or stall."""

    def __init__(self, name: str, source: dict[str, Any], log: Callable[[str], None]) -> None:
        self.name = name
        self.source = source
        self.log = log
        self.outputs: list[Output] = []
        self.state = "reconnecting"
        self.error: str | None = None
        self.codec: str | None = None
        self.width = 0
        self.height = 0
        self.caps: Gst.Caps | None = None
        self.last_buffer = 0.0  # monotonic
        self.started = 0.0
        self.failures = 0
        self.permanent_error = False
        self.paused = False  # simulated outage (camera simulator only)
        self._delivered = False
        self._pipeline: Gst.Pipeline | None = None
        self._ffmpeg: subprocess.Popen[bytes] | None = None
        self._retry_id = 0
        self._ffmpeg_last_line: str | None = None

    # -- lifecycle ---------------------------------------------------------------------
    def start(self) -> None:
        self._retry_id = 0
        if self.paused:
            return
        self.started = time.monotonic()
        self._delivered = False
        try:
            self._pipeline = self._build()
        except (GLib.Error, OSError, ValueError) as error:
            self._failed(f"cannot start: {error}")
            return
        bus = self._pipeline.get_bus()
        bus.add_signal_watch()
        bus.connect("message", self._on_message)
        if self._pipeline.set_state(Gst.State.PLAYING) == Gst.StateChangeReturn.FAILURE:
            self._failed("the source pipeline would not start")

    def stop(self) -> None:
        if self._retry_id:
            GLib.source_remove(self._retry_id)
            self._retry_id = 0
        pipeline, self._pipeline = self._pipeline, None
        if pipeline is not None:
            pipeline.get_bus().remove_signal_watch()
            pipeline.set_state(Gst.State.NULL)
        ffmpeg, self._ffmpeg = self._ffmpeg, None
        if ffmpeg is not None:
            if ffmpeg.poll() is None:
                ffmpeg.kill()
            ffmpeg.wait()
            time.sleep(0.05)  # let the stderr reader take ffmpeg's last words

    def check_stall(self, now: float) -> None:
        """Called about once a second from the main loop."""
        if self._pipeline is None or self.paused:
            return
        since = self.last_buffer if self._delivered else self.started
        if now - since > STALL_S:
            self._failed(f"no video for {STALL_S:.0f} s")

    def refuses_clients(self, now: float) -> bool:
        """New clients are turned away when the source is known to be gone (a permanent
        error, "failed", or no video for REFUSE_AFTER_S); while it is only starting or
        blinking, they wait for its video instead."""
        if self.permanent_error or self.state == "failed":
            return True
        return self.state != "streaming" and bool(self.last_buffer) and now - self.last_buffer > REFUSE_AFTER_S

    def seconds_since_frame(self, now: float) -> float | None:
        return round(now - self.last_buffer, 1) if self.last_buffer else None

    # -- pipeline ----------------------------------------------------------------------
    def _build(self) -> Gst.Pipeline:
        pipeline = Gst.Pipeline.new(f"ingest-{self.name}")
        pipeline.use_clock(Gst.SystemClock.obtain())
        if self.source["kind"] == "rtsp":
            src = Gst.ElementFactory.make("rtspsrc")
            src.set_property("location", self.source["url"])
            src.set_property("protocols", "tcp")
            src.set_property("latency", 0)
            src.set_property("tcp-timeout", 5_000_000)
            src.connect("pad-added", self._on_rtp_pad)
            src.connect("no-more-pads", self._on_no_more_pads)
        else:
            self._ffmpeg = subprocess.Popen(self.source["argv"], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                            stderr=subprocess.PIPE)
            assert self._ffmpeg.stdout is not None
            threading.Thread(target=self._read_stderr, args=(self._ffmpeg,), daemon=True).start()
            src = Gst.ElementFactory.make("fdsrc")
            src.set_property("fd", self._ffmpeg.stdout.fileno())
            demux = Gst.ElementFactory.make("tsdemux")
            pipeline.add(demux)
            demux.connect("pad-added", self._on_ts_pad)
            demux.connect("no-more-pads", self._on_no_more_pads)
            pipeline.add(src)
            src.link(demux)
            return pipeline
        pipeline.add(src)
        return pipeline

    def _on_rtp_pad(self, _src: Gst.Element, pad: Gst.Pad) -> None:
        caps = pad.get_current_caps() or pad.query_caps(None)
        structure = caps.get_structure(0)
        media, encoding = structure.get_string("media"), (structure.get_string("encoding-name") or "").upper()
        if media == "video" and encoding in PARSERS:
            self._link_chain(pad, [PARSERS[encoding][0], PARSERS[encoding][1]])
        else:
            if media == "video" and self.codec is None:
                self.error = f"video codec {encoding} cannot be restreamed (H.264 and H.265 can)"
            self._link_chain(pad, [], sink="fakesink")

    def _on_ts_pad(self, _demux: Gst.Element, pad: Gst.Pad) -> None:
        name = (pad.get_current_caps() or pad.query_caps(None)).get_structure(0).get_name()
        if name in CAPS_CODEC:
            self._link_chain(pad, ["h264parse" if name == "video/x-h264" else "h265parse"])
        else:
            self._link_chain(pad, [], sink="fakesink")

    def _on_no_more_pads(self, _element: Gst.Element) -> None:
        if self.codec is None and self._pipeline is not None and not self._has_video:
            GLib.idle_add(self._failed, self.error or "the stream has no video track", True)

    @property
    def _has_video(self) -> bool:
        assert self._pipeline is not None
        return self._pipeline.get_by_name("video-sink") is not None

    def _link_chain(self, pad: Gst.Pad, factories: list[str], sink: str = "appsink") -> None:
        assert self._pipeline is not None
        elements = [Gst.ElementFactory.make(f) for f in factories]
        if sink == "appsink":
            parser = elements[-1]
            parser.set_property("config-interval", -1)  # SPS/PPS before every key frame
            caps = Gst.ElementFactory.make("capsfilter")
            caps.set_property("caps", Gst.Caps.from_string(
                f"{'video/x-h264' if factories[-1] == 'h264parse' else 'video/x-h265'},"
                "stream-format=byte-stream,alignment=au"))
            end = Gst.ElementFactory.make("appsink", "video-sink")
            end.set_property("emit-signals", True)
            end.set_property("sync", False)
            end.set_property("max-buffers", 30)
            end.set_property("drop", True)
            end.connect("new-sample", self._on_sample)
            elements += [caps, end]
        else:
            end = Gst.ElementFactory.make("fakesink")
            end.set_property("sync", False)
            elements.append(end)
        for element in elements:
            self._pipeline.add(element)
        for a, b in zip(elements, elements[1:]):
            a.link(b)
        for element in elements:
            element.sync_state_with_parent()
        pad.link(elements[0].get_static_pad("sink"))

    def _on_sample(self, sink: Gst.Element) -> Gst.FlowReturn:
        sample = sink.emit("pull-sample")
        if sample is None:
            return Gst.FlowReturn.EOS
        buffer, caps = sample.get_buffer(), sample.get_caps()
        if self.caps is None or not caps.is_equal(self.caps):
            self.caps = caps
            structure = caps.get_structure(0)
            self.codec = CAPS_CODEC.get(structure.get_name())
            self.width = structure.get_value("width") or 0
            self.height = structure.get_value("height") or 0
        self.last_buffer = time.monotonic()
        if not self._delivered:
            self._delivered = True
            GLib.idle_add(self._now_streaming)
        for output in list(self.outputs):
            output.push(buffer, caps)
        return Gst.FlowReturn.OK

    def _now_streaming(self) -> bool:
        self.state, self.error, self.failures, self.permanent_error = "streaming", None, 0, False
        return False

    def _on_message(self, _bus: Gst.Bus, message: Gst.Message) -> None:
        if message.type == Gst.MessageType.ERROR:
            error, _debug = message.parse_error()
            self._failed(str(error.message))
        elif message.type == Gst.MessageType.EOS:
            self._failed("the source ended the stream")

    def _failed(self, why: str, permanent: bool = False) -> bool:
        if self._pipeline is None and self._retry_id:
            return False  # already handled
        self.stop()
        # Clients get end-of-stream now rather than silence: recorders close their segment
        # and every client reconnects (and is refused until the source is back).
        for output in list(self.outputs):
            output.end()
        ffmpeg_error, self._ffmpeg_last_line = self._ffmpeg_last_line, None
        self.error = ffmpeg_error or why
        self.permanent_error = permanent
        self.failures = 0 if self._delivered else self.failures + 1
        never = self.last_buffer == 0.0 and self.failures >= FAILED_AFTER
        long_gone = self.last_buffer and time.monotonic() - self.last_buffer > FAILED_AFTER_S
        self.state = "failed" if permanent or never or long_gone else "reconnecting"
        delay = min(MIN_RETRY_S * 2 ** max(self.failures - 1, 0), MAX_RETRY_S)
        self.log(f"{self.name}: {self.error}; reconnecting in {delay:.0f} s")
        self._retry_id = GLib.timeout_add(int(delay * 1000), self._retry)
        return False

    def _retry(self) -> bool:
        self._retry_id = 0
        self.start()
        return False

    def _read_stderr(self, ffmpeg: subprocess.Popen[bytes]) -> None:
        """Keep the last line an ffmpeg source wrote: it says why a source failed."""
        assert ffmpeg.stderr is not None
        for raw in ffmpeg.stderr:
            line = raw.decode(errors="replace").strip()
            if line:
                self._ffmpeg_last_line = line
