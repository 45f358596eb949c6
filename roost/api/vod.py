"""HLS playback over recorded segments (Frigate's `/vod/...` paths).

`master.m3u8` answers like `index.m3u8` (Frigate's clients, Home Assistant among them,
ask for either name). A playlist lists the camera's segments overlapping the span, each as a relative URI
`seg-<recording id>.ts` that carries the playlist request's own query string (proxies sign
requests with it). A segment is the recorded MP4 remuxed to MPEG-TS with stream copy;
its timestamps are offset by the segment's seconds since UTC midnight, so consecutive
segments play continuously (a discontinuity is marked where recordings have a gap).
"""

from __future__ import annotations

import math
import re
import subprocess
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from fastapi import APIRouter, HTTPException, Request, Response

from roost.api.context import ApiContext
from roost.api.params import Camera, Ctx, bad_request, check_times, load_event, not_found
from roost.api.recordings import segments_between
from roost.ffmpeg import ffmpeg_binary
from roost.paths import is_within
from roost.store.models import RecordingRow

router = APIRouter(tags=["playback"])

PLAYLIST_TYPE = "application/vnd.apple.mpegurl"
TS_TYPE = "video/mp2t"
REMUX_TIMEOUT_S = 60.0
#: Segments closer than this (seconds) count as continuous.
GAP_S = 0.5
DAY_S = 86_400
YEAR_MONTH = re.compile(r"^\d{4}-\d{2}$")
RECORDING_ID = re.compile(r"^[A-Za-z0-9._-]{1,40}$")
MAX_PLAYLIST_S = 24 * 3600


def playlist(rows: list[RecordingRow], query: str) -> str:
    suffix = f"?{query}" if query else ""
    target = max([math.ceil(r.duration) for r in rows] or [1])
    lines = ["#EXTM3U", "#EXT-X-VERSION:3", f"#EXT-X-TARGETDURATION:{target}", "#EXT-X-MEDIA-SEQUENCE:0",
             "#EXT-X-PLAYLIST-TYPE:VOD"]
    previous: RecordingRow | None = None
    for row in rows:
        same_day = previous is not None and int(previous.start_time // DAY_S) == int(row.start_time // DAY_S)
        if previous is not None and (row.start_time - previous.end_time > GAP_S or not same_day):
            lines.append("#EXT-X-DISCONTINUITY")
        lines += [f"#EXTINF:{row.duration:.3f},", f"seg-{row.id}.ts{suffix}"]
        previous = row
    lines.append("#EXT-X-ENDLIST")
    return "\n".join(lines) + "\n"


def _playlist_response(context: ApiContext, camera: str, start: float, end: float, request: Request) -> Response:
    if end <= start or end - start > MAX_PLAYLIST_S:
        raise bad_request(f"span {start}..{end} must be positive and at most {MAX_PLAYLIST_S} s")
    rows = segments_between(context, camera, start, end)
    if not rows:
        raise not_found(f"no recordings of '{camera}' between {start} and {end}")
    return Response(playlist(rows, request.url.query), media_type=PLAYLIST_TYPE, headers={"Cache-Control": "no-store"})


def _segment_response(context: ApiContext, camera: str, recording_id: str) -> Response:
    if not RECORDING_ID.match(recording_id):
        raise not_found(f"segment '{recording_id[:40]}' not found")
    with context.database.read() as session:
        row = session.get(RecordingRow, recording_id)
    path = Path(row.path) if row is not None else None
    if row is None or row.camera != camera or path is None or not is_within(path, context.recordings_dir) \
            or not path.is_file():
        raise not_found(f"segment '{recording_id}' of camera '{camera}' not found")
    offset = row.start_time % DAY_S
    command = [ffmpeg_binary(context.loaded.config.cameras[camera].ffmpeg.path), "-hide_banner", "-loglevel", "error",
               "-i", str(path), "-map", "0:v?", "-map", "0:a?", "-c", "copy", "-output_ts_offset", f"{offset:.3f}",
               "-f", "mpegts", "pipe:1"]
    try:
        done = subprocess.run(command, capture_output=True, timeout=REMUX_TIMEOUT_S, check=False)
    except subprocess.TimeoutExpired:
        raise HTTPException(status_code=503, detail=f"remuxing segment {recording_id} timed out") from None
    if done.returncode != 0 or not done.stdout:
        raise HTTPException(status_code=500, detail=f"segment {recording_id} could not be remuxed: "
                            f"{done.stderr.decode(errors='replace').strip()[:200]}")
    return Response(done.stdout, media_type=TS_TYPE, headers={"Cache-Control": "private, max-age=3600"})


def _hour_span(year_month: str, day: int, hour: int) -> tuple[float, float]:
    if not YEAR_MONTH.match(year_month) or not 1 <= day <= 31 or not 0 <= hour <= 23:
        raise bad_request("expected /vod/<YYYY-MM>/<DD>/<HH>/<camera>/utc/...")
    try:
        start = datetime.strptime(f"{year_month}-{day:02d} {hour:02d}", "%Y-%m-%d %H").replace(tzinfo=timezone.utc)
    except ValueError:
        raise bad_request(f"{year_month}-{day:02d} is not a date") from None
    return start.timestamp(), (start + timedelta(hours=1)).timestamp()


def _event_span(context: ApiContext, event_id: str) -> tuple[str, float, float]:
    row = load_event(context, event_id)
    camera = context.loaded.config.cameras.get(row.camera)
    if camera is None:
        raise not_found(f"camera '{row.camera}' of event {event_id} is no longer configured")
    events = camera.record.events
    return row.camera, row.start_time - events.pre_capture, (row.end_time or time.time()) + events.post_capture


@router.get("/vod/{camera}/start/{start}/end/{end}/index.m3u8", summary="HLS playlist of a span",
            response_class=Response)
@router.get("/vod/{camera}/start/{start}/end/{end}/master.m3u8", summary="HLS playlist of a span (master name)",
            response_class=Response)
def vod_span(camera: Camera, start: float, end: float, request: Request, context: Ctx) -> Response:
    check_times(start=start, end=end)
    return _playlist_response(context, camera, start, end, request)


@router.get("/vod/{camera}/start/{start}/end/{end}/seg-{recording_id}.ts", summary="HLS segment",
            response_class=Response)
def vod_span_segment(camera: Camera, start: float, end: float, recording_id: str, context: Ctx) -> Response:
    return _segment_response(context, camera, recording_id)


@router.get("/vod/{year_month}/{day}/{hour}/{camera}/utc/index.m3u8", summary="HLS playlist of one UTC hour",
            response_class=Response)
@router.get("/vod/{year_month}/{day}/{hour}/{camera}/utc/master.m3u8",
            summary="HLS playlist of one UTC hour (master name)", response_class=Response)
def vod_hour(year_month: str, day: int, hour: int, camera: Camera, request: Request, context: Ctx) -> Response:
    start, end = _hour_span(year_month, day, hour)
    return _playlist_response(context, camera, start, end, request)


@router.get("/vod/{year_month}/{day}/{hour}/{camera}/utc/seg-{recording_id}.ts", summary="HLS segment",
            response_class=Response)
def vod_hour_segment(year_month: str, day: int, hour: int, camera: Camera, recording_id: str,
                     context: Ctx) -> Response:
    _hour_span(year_month, day, hour)
    return _segment_response(context, camera, recording_id)


@router.get("/vod/event/{event_id}/index.m3u8", summary="HLS playlist of an event", response_class=Response)
@router.get("/vod/event/{event_id}/master.m3u8", summary="HLS playlist of an event (Frigate's master name)",
            response_class=Response)
def vod_event(event_id: str, request: Request, context: Ctx) -> Response:
    camera, start, end = _event_span(context, event_id)
    return _playlist_response(context, camera, start, end, request)


@router.get("/vod/event/{event_id}/seg-{recording_id}.ts", summary="HLS segment", response_class=Response)
def vod_event_segment(event_id: str, recording_id: str, context: Ctx) -> Response:
    camera, _, _ = _event_span(context, event_id)
    return _segment_response(context, camera, recording_id)
