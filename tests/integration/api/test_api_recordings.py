"""Recordings, HLS playback, span clips, exports and review items over HTTP, on real
segments made by ffmpeg."""

from __future__ import annotations

import subprocess
import time
from typing import Any

from api_seed import BASE, SEGMENT_S, SEGMENTS, Seeded

from roost.ffmpeg import ffmpeg_binary

TS_PACKET = 188


def test_recordings_summary_shape_and_time_zone(client: Any) -> None:
    summary = client.get("/api/front/recordings/summary").json()
    assert summary == [{"day": "2024-03-10", "events": 4, "hours": [  # front events in that hour
        {"hour": "23", "events": 4, "motion": sum(10 * i for i in range(SEGMENTS)),
         "objects": sum(range(SEGMENTS)), "duration": SEGMENTS * SEGMENT_S}]}]
    tokyo = client.get("/api/front/recordings/summary?timezone=Asia/Tokyo").json()
    assert tokyo[0]["day"] == "2024-03-11" and tokyo[0]["hours"][0]["hour"] == "08"
    assert client.get("/api/back/recordings/summary").json() == []
    assert client.get("/api/garage/recordings/summary").status_code == 404
    assert client.get("/api/front/recordings/summary?timezone=Nowhere/Land").status_code == 400


def test_recordings_list_between(client: Any) -> None:
    rows = client.get(f"/api/front/recordings?after={BASE + 1}&before={BASE + 3}").json()
    assert [r["start_time"] for r in rows] == [BASE, BASE + 2]
    assert set(rows[0]) == {"id", "start_time", "end_time", "segment_size", "motion", "objects", "duration"}
    assert client.get("/api/front/recordings?after=x").status_code == 422


def test_span_clip_is_cut_from_segments(client: Any, tmp_path: Any) -> None:
    response = client.get(f"/api/front/start/{BASE + 1}/end/{BASE + 5}/clip.mp4")
    assert response.status_code == 200 and response.headers["content-type"] == "video/mp4"
    clip = tmp_path / "span.mp4"
    clip.write_bytes(response.content)
    probe = subprocess.run([ffmpeg_binary(), "-hide_banner", "-i", str(clip), "-f", "null", "-"],
                           capture_output=True, text=True, check=False)
    assert probe.returncode == 0, probe.stderr
    assert client.get(f"/api/front/start/{BASE + 5}/end/{BASE + 1}/clip.mp4").status_code == 400
    assert client.get(f"/api/back/start/{BASE}/end/{BASE + 5}/clip.mp4").status_code == 404


def test_hls_playlists_carry_the_query_string_and_segments_are_ts(client: Any, seeded: Seeded) -> None:
    query = "sig=abc123&exp=99"
    playlists = [f"/vod/front/start/{BASE}/end/{BASE + SEGMENTS * SEGMENT_S}/index.m3u8",
                 "/vod/2024-03/10/23/front/utc/index.m3u8",
                 f"/vod/event/{seeded.events['with_media'].id}/index.m3u8"]
    for playlist in playlists:
        response = client.get(f"{playlist}?{query}")
        assert response.status_code == 200, (playlist, response.text)
        assert response.headers["content-type"].startswith("application/vnd.apple.mpegurl")
        lines = response.text.splitlines()
        assert lines[0] == "#EXTM3U" and lines[-1] == "#EXT-X-ENDLIST"
        uris = [line for line in lines if not line.startswith("#")]
        assert uris and all(u.startswith("seg-") and u.endswith(f".ts?{query}") for u in uris)
        segment = client.get(playlist.rsplit("/", 1)[0] + "/" + uris[0])
        assert segment.status_code == 200 and segment.headers["content-type"] == "video/mp2t"
        assert len(segment.content) % TS_PACKET == 0
        assert segment.content[0] == 0x47 and segment.content[TS_PACKET] == 0x47
    assert client.get("/vod/2024-03/10/22/front/utc/index.m3u8").status_code == 404  # nothing recorded then
    assert client.get("/vod/2024-13/10/23/front/utc/index.m3u8").status_code == 400
    assert client.get("/vod/garage/start/1/end/2/index.m3u8").status_code == 404
    assert client.get(f"/vod/back/start/{BASE}/end/{BASE + 8}/seg-{seeded.recordings[0].id}.ts").status_code == 404
    assert client.get(f"/vod/front/start/{BASE}/end/{BASE + 8}/seg-nope.ts").status_code == 404


def test_export_runs_in_the_background(client: Any, seeded: Seeded) -> None:
    started = client.post(f"/api/export/front/start/{BASE}/end/{BASE + 4}", json={"name": "Parcel"})
    assert started.status_code == 200 and started.json()["success"] is True
    export_id = started.json()["export_id"]
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        export = client.get(f"/api/exports/{export_id}").json()
        if not export["in_progress"]:
            break
        time.sleep(0.2)
    assert export["name"] == "Parcel" and not export["in_progress"]
    video = client.get(f"/api/exports/{export_id}/video.mp4")
    assert video.status_code == 200 and len(video.content) > 1000
    assert export_id in {e["id"] for e in client.get("/api/exports").json()}
    assert client.delete(f"/api/export/{export_id}").status_code == 200
    assert client.get(f"/api/exports/{export_id}").status_code == 404
    assert not (seeded.media / "exports" / f"{export_id}.mp4").exists()
    assert client.post(f"/api/export/garage/start/{BASE}/end/{BASE + 4}").status_code == 404
    assert client.post(f"/api/export/front/start/{BASE}/end/{BASE + 4}",
                       json={"playback": "backwards"}).status_code == 422


def test_review_list_filters_and_summary(client: Any, seeded: Seeded) -> None:
    unreviewed = client.get("/api/review?reviewed=0").json()
    assert [r["id"] for r in unreviewed] == [f"{BASE:.6f}-rev001"]
    assert set(unreviewed[0]) >= {"id", "camera", "start_time", "end_time", "has_been_reviewed", "severity", "data"}
    everything = client.get("/api/review").json()  # no `reviewed`: all items, as in Frigate
    assert len(everything) == 2
    assert [r["camera"] for r in client.get("/api/review?reviewed=1").json()] == ["back"]
    assert [r["camera"] for r in client.get("/api/review?labels=car").json()] == ["back"]
    assert [r["camera"] for r in client.get("/api/review?zones=yard&severity=alert").json()] == ["front"]
    assert client.get("/api/review?cameras=back,garage&reviewed=1").json()[0]["severity"] == "detection"
    assert client.get("/api/review?severity=urgent").status_code == 422
    summary = client.get("/api/review/summary").json()
    assert summary["2024-03-10"]["total_alert"] == 1 and summary["2024-03-10"]["reviewed_detection"] == 1
    assert set(summary["last24Hours"]) == {"reviewed_alert", "reviewed_detection", "total_alert", "total_detection"}
    assert client.get(f"/api/review/{BASE:.6f}-rev001").json()["severity"] == "alert"
    assert client.get("/api/review/nope").status_code == 404


def test_reviews_viewed(client: Any) -> None:
    item = f"{BASE:.6f}-rev001"
    assert client.post("/api/reviews/viewed", json={"ids": [item]}).json()["success"] is True
    assert client.get("/api/review?reviewed=0").json() == []
    assert item in [r["id"] for r in client.get("/api/review?reviewed=1").json()]
    assert client.post("/api/reviews/viewed", json={"ids": [item], "reviewed": False}).status_code == 200
    assert [r["id"] for r in client.get("/api/review?reviewed=0").json()] == [item]
    assert client.post("/api/reviews/viewed", json={"ids": ["nope"]}).status_code == 404
    assert client.post("/api/reviews/viewed", json={"ids": []}).status_code == 422
    assert client.post("/api/reviews/viewed", json={}).status_code == 422
