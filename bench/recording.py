"""Benchmark: what recording costs over bare ffmpeg, and how fast an event clip is cut.

Run: `.venv/bin/python bench/recording.py`. Prints as it goes; the last line is one JSON
object:

- `cpu_ratio_vs_ffmpeg_copy`: CPU time of recording one 1080p H.264 camera with Roost
  (the recorder's ffmpeg child + everything in this Python process: the recorder and
  maintainer threads, moving and indexing segments in SQLite) divided by the CPU time of
  a plain `ffmpeg -c copy` segmenting the same input for the same wall time. Both read a
  generated 1080p/15 fps/4 Mbit/s stream replayed live (`-re -stream_loop -1`) and write
  10 s segments; CPU is counted with getrusage (self + reaped children). Goal ≤ 1.2.
- `clip_cut_s_30s`: wall seconds of `clip_for_event` for a 30 s clip (event + pre/post
  capture) from indexed 10 s segments: database lookups, concat + stream copy, has_clip.
- `clip_cut_ratio_vs_ffmpeg`: that time over a plain `ffmpeg -ss -t -i source -c copy`
  of the same 30 s from the continuous source file. Medians of `CUT_REPEATS` runs.
- `clip_bytes_per_event`: bytes of event clip files the running demo keeps in `clips/`
  per event that ended, measured as the growth over `DEMO_MEASURE_S` after a warm-up.
- `media_bytes_per_hour_demo`: `{"recordings", "other", "clips", "snapshots", "clean_copies"}`,
  the growth of each over the same span scaled to one hour: recordings vs everything else
  Roost writes into the media folder (clips, snapshots, clean copies, the database).

The demo part runs the real `Supervisor` (capture, motion, detection, tracker, events,
recorder, maintainer) on Debian's vtest.avi transcoded to H.264, 5 fps detect, recording
on, snapshots with clean copies on (the demo's defaults plus `record`). `DEMO_MEASURE_S`
and `DEMO_WARMUP_S` can be set in the environment.
"""

from __future__ import annotations

import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from roost.config import CameraConfig, validate_raw  # noqa: E402
from roost.events.clips import clip_for_event  # noqa: E402
from roost.ffmpeg import ffmpeg_binary  # noqa: E402
from roost.record.maintainer import RecordingMaintainer  # noqa: E402
from roost.record.recorder import Recorder  # noqa: E402
from roost.record.segments import recording_path  # noqa: E402
from roost.store import Database, database_url  # noqa: E402
from roost.store.models import EventRow, RecordingRow  # noqa: E402

SOURCE_SECONDS = 40
FPS = 15
BITRATE = "4M"
RECORD_S = 30.0
SEGMENT_S = 10
CUT_REPEATS = 5
START0 = 1_700_000_000.0
VTEST_AVI = Path("/usr/share/doc/opencv-doc/examples/data/vtest.avi")
DEMO_WARMUP_S = float(os.environ.get("DEMO_WARMUP_S", "45"))
DEMO_MEASURE_S = float(os.environ.get("DEMO_MEASURE_S", "180"))
HOUR_S = 3600.0


def cpu_seconds(who: int) -> float:
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def make_source(path: Path) -> Path:
    if path.exists():
        return path
    print(f"generating {SOURCE_SECONDS} s of 1080p H.264 at {FPS} fps, {BITRATE}bit/s ...", flush=True)
    subprocess.run([ffmpeg_binary(), "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi",
                    "-i", f"testsrc2=size=1920x1080:rate={FPS}", "-t", str(SOURCE_SECONDS),
                    "-c:v", "libx264", "-preset", "ultrafast", "-g", str(2 * FPS), "-b:v", BITRATE,
                    "-maxrate", BITRATE, "-bufsize", BITRATE, "-pix_fmt", "yuv420p", str(path)], check=True)
    return path


def camera(source: Path) -> CameraConfig:
    raw = {"mqtt": {"enabled": False}, "cameras": {"bench": {
        "ffmpeg": {"input_args": "-re -stream_loop -1",
                   "inputs": [{"path": str(source), "roles": ["detect", "record"]}]},
        "detect": {"width": 1920, "height": 1080, "fps": FPS},
        "record": {"enabled": True, "retain": {"days": 1},
                   "events": {"pre_capture": 5, "post_capture": 5}}}}}
    return validate_raw(raw).config.cameras["bench"]


def plain_ffmpeg_cpu(source: Path, work: Path) -> tuple[float, float]:
    """(CPU s, wall s) of bare ffmpeg doing the recorder's job for RECORD_S."""
    out = work / "plain"
    out.mkdir()
    before = cpu_seconds(resource.RUSAGE_CHILDREN)
    started = time.monotonic()
    process = subprocess.Popen([ffmpeg_binary(), "-hide_banner", "-loglevel", "error", "-re", "-stream_loop", "-1",
                                "-i", str(source), "-f", "segment", "-segment_time", str(SEGMENT_S),
                                "-segment_format", "mp4", "-reset_timestamps", "1", "-strftime", "1",
                                "-c", "copy", "-an", str(out / "%Y%m%d%H%M%S.mp4")], stdin=subprocess.DEVNULL)
    time.sleep(RECORD_S)
    process.terminate()
    process.wait()
    return cpu_seconds(resource.RUSAGE_CHILDREN) - before, time.monotonic() - started


def roost_cpu(source: Path, work: Path) -> tuple[float, float, int]:
    """(CPU s, wall s, segments indexed) of Roost recording + maintenance for RECORD_S."""
    media = work / "roost"
    database = Database(database_url(None, None, media))
    database.migrate()
    config = camera(source)
    recorder = Recorder("bench", config, media / "cache", None)
    maintainer = RecordingMaintainer(database, {"bench": config}, media)
    before = cpu_seconds(resource.RUSAGE_SELF) + cpu_seconds(resource.RUSAGE_CHILDREN)
    started = time.monotonic()
    maintainer.start()
    recorder.start()
    time.sleep(RECORD_S)
    recorder.stop()
    maintainer.stop()
    cpu = cpu_seconds(resource.RUSAGE_SELF) + cpu_seconds(resource.RUSAGE_CHILDREN) - before
    wall = time.monotonic() - started
    with database.read() as session:
        indexed = session.query(RecordingRow).count()
    database.close()
    return cpu, wall, indexed


def index_source(database: Database, media: Path, source: Path) -> None:
    """The source split into 10 s segments, indexed from START0 on, as recorded."""
    split = media / "split"
    split.mkdir(parents=True)
    subprocess.run([ffmpeg_binary(), "-hide_banner", "-loglevel", "error", "-i", str(source), "-c", "copy",
                    "-f", "segment", "-segment_time", str(SEGMENT_S), "-reset_timestamps", "1",
                    str(split / "%03d.mp4")], check=True)
    rows = []
    for index, part in enumerate(sorted(split.glob("*.mp4"))):
        start = START0 + index * SEGMENT_S
        target = recording_path(media / "recordings", "bench", start)
        target.parent.mkdir(parents=True, exist_ok=True)
        part.replace(target)
        rows.append(RecordingRow(id=f"{start:.6f}-bench{index}", camera="bench", path=str(target.resolve()),
                                 start_time=start, end_time=start + SEGMENT_S, duration=SEGMENT_S,
                                 motion=1, objects=1, segment_size=target.stat().st_size / 2**20))
    database.write(lambda s: s.add_all(rows))


def clip_times(source: Path, work: Path) -> tuple[float, float]:
    """Median seconds: Roost's clip of a 30 s span, and plain ffmpeg cutting it from the source."""
    media = work / "clips"
    database = Database(database_url(None, None, media))
    database.migrate()
    index_source(database, media, source)
    config = camera(source)
    # event 10 s .. 30 s, with 5 s pre and post capture: 5 s .. 35 s of the source
    database.write(lambda s: s.add(EventRow(id="bench-event", label="person", camera="bench", zones=[], data={},
                                            start_time=START0 + 10, end_time=START0 + 30)))
    roost, plain = [], []
    for _ in range(CUT_REPEATS):
        started = time.perf_counter()
        clip = clip_for_event(database, "bench-event", config, media, media / "cut" / "bench-event.mp4")
        roost.append(time.perf_counter() - started)
        assert clip is not None
        started = time.perf_counter()
        subprocess.run([ffmpeg_binary(), "-hide_banner", "-loglevel", "error", "-y", "-ss", "5", "-t", "30",
                        "-i", str(source), "-c", "copy", str(work / "plain.mp4")], check=True)
        plain.append(time.perf_counter() - started)
    database.close()
    return statistics.median(roost), statistics.median(plain)


def demo_source(cache: Path) -> Path:
    """vtest.avi (MS-MPEG4, cannot be stream-copied into MP4) as H.264, made once."""
    target = cache / "vtest-camera.mp4"
    if not target.exists():
        print("transcoding vtest.avi to H.264 ...", flush=True)
        subprocess.run([ffmpeg_binary(), "-hide_banner", "-loglevel", "error", "-y", "-i", str(VTEST_AVI),
                        "-c:v", "libx264", "-preset", "veryfast", "-g", "20", "-bf", "0", "-pix_fmt", "yuv420p",
                        str(target)], check=True)
    return target


def media_sizes(media: Path) -> dict[str, int]:
    """Bytes on disk by kind: recordings, clips (.mp4 under clips/), snapshots (.jpg),
    clean copies (-clean.*), everything else (database, previews, ...)."""
    sizes = {"recordings": 0, "clips": 0, "snapshots": 0, "clean_copies": 0, "rest": 0}
    for path in media.rglob("*"):
        if not path.is_file() or "cache" in path.relative_to(media).parts[:1]:
            continue
        size = path.stat().st_size
        top = path.relative_to(media).parts[0]
        if top == "recordings":
            sizes["recordings"] += size
        elif top == "clips" and path.suffix == ".mp4" and len(path.relative_to(media).parts) == 2:
            sizes["clips"] += size
        elif top == "clips" and "-clean." in path.name:
            sizes["clean_copies"] += size
        elif top == "clips" and path.suffix == ".jpg":
            sizes["snapshots"] += size
        else:
            sizes["rest"] += size
    return sizes


def ended_events(media: Path) -> int:
    import sqlite3
    with sqlite3.connect(media / "roost.db", timeout=30) as connection:
        return int(connection.execute("select count(*) from event where end_time is not null").fetchone()[0])


def demo_media(cache: Path, work: Path) -> tuple[dict[str, float], float, int]:
    """(bytes per hour by kind, clip bytes per ended event, events ended) of the running demo."""
    from roost.app import Supervisor
    from roost.config import validate_raw as validate
    from roost.paths import model_cache_dir

    source = demo_source(cache)
    media = work / "demo-media"
    loaded = validate({
        "mqtt": {"enabled": False}, "api": {"enabled": False}, "auth": {"enabled": False},
        "detectors": {"cpu": {"type": "cpu", "num_threads": 1}},
        "objects": {"track": ["person", "car", "dog", "cat"]}, "snapshots": {"enabled": True},
        "record": {"enabled": True, "retain": {"days": 1}, "events": {"pre_capture": 5, "post_capture": 5}},
        "cameras": {"demo": {
            "ffmpeg": {"inputs": [{"path": str(source), "input_args": "-stream_loop -1 -re",
                                   "roles": ["detect", "record"]}]},
            "detect": {"width": 768, "height": 576, "fps": 5}}}})
    supervisor = Supervisor(loaded, media, model_cache_dir())
    supervisor.start()
    try:
        print(f"  demo warming up for {DEMO_WARMUP_S:.0f} s ...", flush=True)
        time.sleep(DEMO_WARMUP_S)
        before, events_before, started = media_sizes(media), ended_events(media), time.monotonic()
        print(f"  measuring for {DEMO_MEASURE_S:.0f} s ...", flush=True)
        time.sleep(DEMO_MEASURE_S)
        after, events_after, took = media_sizes(media), ended_events(media), time.monotonic() - started
    finally:
        supervisor.stop()
    grown = {kind: after[kind] - before[kind] for kind in after}
    ended = events_after - events_before
    per_hour = {kind: value * HOUR_S / took for kind, value in grown.items()}
    per_hour["other"] = sum(v for k, v in per_hour.items() if k not in ("recordings", "rest")) + per_hour.pop("rest")
    for kind, value in grown.items():
        print(f"  {kind}: +{value / 1e6:.2f} MB in {took:.0f} s = {per_hour.get(kind, value * HOUR_S / took) / 1e6:.1f} MB/h",
              flush=True)
    print(f"  {ended} event(s) ended; recordings {per_hour['recordings'] / 1e6:.1f} MB/h vs everything else "
          f"{per_hour['other'] / 1e6:.1f} MB/h", flush=True)
    return per_hour, grown["clips"] / max(1, ended), ended


def main() -> None:
    cache = Path(tempfile.gettempdir()) / "roost-bench"
    cache.mkdir(exist_ok=True)
    source = make_source(cache / "recording-1080p.mp4")
    with tempfile.TemporaryDirectory(prefix="roost-bench-rec-") as tmp:
        work = Path(tmp)
        print(f"plain ffmpeg -c copy for {RECORD_S:.0f} s ...", flush=True)
        plain_cpu, plain_wall = plain_ffmpeg_cpu(source, work)
        print(f"  plain ffmpeg: {plain_cpu:.2f} CPU s over {plain_wall:.1f} s = {100 * plain_cpu / plain_wall:.2f} % "
              f"of one core", flush=True)
        print(f"Roost recorder + maintainer for {RECORD_S:.0f} s ...", flush=True)
        roost, roost_wall, indexed = roost_cpu(source, work)
        print(f"  Roost: {roost:.2f} CPU s over {roost_wall:.1f} s = {100 * roost / roost_wall:.2f} % of one core, "
              f"{indexed} segments indexed", flush=True)
        ratio = (roost / roost_wall) / (plain_cpu / plain_wall)
        print(f"  CPU ratio Roost / plain ffmpeg: {ratio:.2f} (goal <= 1.2)", flush=True)
        print(f"cutting a 30 s clip ({CUT_REPEATS} times each) ...", flush=True)
        cut, plain_cut = clip_times(source, work)
        print(f"  Roost clip_for_event: {cut:.3f} s; plain ffmpeg -ss/-t copy: {plain_cut:.3f} s; "
              f"ratio {cut / plain_cut:.2f}", flush=True)
        print("the demo on vtest.avi with recording and snapshots ...", flush=True)
        per_hour, clip_bytes, ended = demo_media(cache, work)
        print(f"  clip bytes kept per ended event: {clip_bytes / 1e6:.2f} MB ({ended} events)", flush=True)
    print(json.dumps({"cpu_ratio_vs_ffmpeg_copy": round(ratio, 3), "clip_cut_s_30s": round(cut, 3),
                      "clip_cut_ratio_vs_ffmpeg": round(cut / plain_cut, 3),
                      "clip_bytes_per_event": round(clip_bytes),
                      "media_bytes_per_hour_demo": {k: round(v) for k, v in per_hour.items()}}))


if __name__ == "__main__":
    main()
