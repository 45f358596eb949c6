"""The calls of Home Assistant's Frigate integration that used to fail against Roost, over
real HTTP: `utc` and any-case time zones, `/api/review` without `reviewed`, PTZ info of a
camera without PTZ, review thumbnails and previews, `vod/event/<id>/master.m3u8`, the
config in use in `/api/config`, and `/api/docs` with no asset from outside."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import cv2
import httpx
import numpy as np
import pytest
from api_seed import BASE, REGION_BOX, Seeded, served


@pytest.fixture(scope="module")
def ha(seeded: Seeded) -> Iterator[httpx.Client]:
    with served(seeded.context) as (local, _auth), httpx.Client(base_url=local, timeout=60) as client:
        yield client


@pytest.mark.parametrize("zone", ["utc", "UTC", "Utc", "etc/utc"])
def test_utc_in_any_case_is_accepted(ha: httpx.Client, zone: str) -> None:
    assert ha.get("/api/events/summary").json() == ha.get("/api/events/summary", params={"timezone": zone}).json()
    recordings = ha.get("/api/front/recordings/summary", params={"timezone": zone})
    assert recordings.status_code == 200 and recordings.json()[0]["day"] == "2024-03-10"


def test_iana_names_in_any_case_shift_the_day(ha: httpx.Client) -> None:
    for zone in ("Asia/Tokyo", "asia/tokyo", "ASIA/TOKYO"):
        days = {s["day"] for s in ha.get("/api/events/summary", params={"timezone": zone}).json()}
        assert "2024-03-11" in days and "2024-03-10" not in days, (zone, days)  # 23:30 UTC is the 11th in Tokyo
        assert ha.get("/api/front/recordings/summary", params={"timezone": zone}).json()[0]["day"] == "2024-03-11"
    bad = ha.get("/api/events/summary", params={"timezone": "Mars/Olympus"})
    assert bad.status_code == 400 and "Mars/Olympus" in bad.json()["message"]


def test_review_reviewed_filter_has_frigates_semantics(ha: httpx.Client) -> None:
    everything = {r["id"] for r in ha.get("/api/review").json()}
    unreviewed = {r["id"] for r in ha.get("/api/review", params={"reviewed": 0}).json()}
    reviewed = {r["id"] for r in ha.get("/api/review", params={"reviewed": 1}).json()}
    assert everything == {f"{BASE:.6f}-rev001", f"{BASE + 100:.6f}-rev002"}
    assert unreviewed == {f"{BASE:.6f}-rev001"} and reviewed == {f"{BASE + 100:.6f}-rev002"}


def test_ptz_info_of_a_camera_without_ptz_is_empty(ha: httpx.Client) -> None:
    for camera in ("front", "back"):
        answer = ha.get(f"/api/{camera}/ptz/info")
        assert answer.status_code == 200 and answer.json() == {}
    assert ha.get("/api/garage/ptz/info").status_code == 404


def test_review_items_have_thumbnails_previews_and_audio(ha: httpx.Client, seeded: Seeded) -> None:
    [item] = [r for r in ha.get("/api/review").json() if r["camera"] == "front"]
    assert item["data"]["audio"] == []
    assert item["thumb_path"] == f"/media/frigate/clips/review/thumb-front-{item['id']}.webp"
    # Home Assistant strips Frigate's /media/frigate/ and asks the server for the rest.
    relative = item["thumb_path"].removeprefix("/media/frigate/")
    thumb = ha.get(f"/{relative}")
    assert thumb.status_code == 200 and thumb.headers["content-type"] == "image/webp"
    image = cv2.imdecode(np.frombuffer(thumb.content, np.uint8), cv2.IMREAD_COLOR)
    assert image is not None and image.shape[0] == 180
    region_w, region_h = REGION_BOX[2] - REGION_BOX[0], REGION_BOX[3] - REGION_BOX[1]
    assert abs(image.shape[1] / image.shape[0] - region_w / region_h) < 0.05  # the event's crop, not the frame
    assert (seeded.media / "clips" / "review" / f"thumb-front-{item['id']}.webp").is_file()
    assert ha.get(f"/api/{relative}").status_code == 200
    assert ha.get("/clips/review/thumb-back-nope.webp").status_code == 404

    gif = ha.get(f"/api/review/{item['id']}/preview")
    assert gif.status_code == 200 and gif.headers["content-type"] == "image/gif" and gif.content[:6] == b"GIF89a"
    mp4 = ha.get(f"/api/review/{item['id']}/preview", params={"format": "mp4"})
    assert mp4.status_code == 200 and mp4.headers["content-type"] == "video/mp4" and b"ftyp" in mp4.content[:16]
    # The back camera records nothing: a clear 404, not an error page.
    other = ha.get(f"/api/review/{BASE + 100:.6f}-rev002/preview")
    assert other.status_code == 404 and "no preview" in other.json()["message"]


def test_vod_master_playlist_answers_like_index(ha: httpx.Client, seeded: Seeded) -> None:
    event_id = seeded.events["with_media"].id
    index = ha.get(f"/vod/event/{event_id}/index.m3u8", params={"sig": "abc"})
    master = ha.get(f"/vod/event/{event_id}/master.m3u8", params={"sig": "abc"})
    assert master.status_code == 200 and master.text == index.text
    assert master.headers["content-type"] == index.headers["content-type"]
    segment = re.search(r"^(seg-[^\s]+\.ts\?sig=abc)$", master.text, re.M)
    assert segment is not None
    played = ha.get(f"/vod/event/{event_id}/{segment[1]}")  # relative to the master playlist too
    assert played.status_code == 200 and played.content[:1] == b"\x47"  # MPEG-TS sync byte
    span = ha.get(f"/vod/front/start/{BASE}/end/{BASE + 6}/master.m3u8")
    assert span.status_code == 200 and span.text.count("#EXTINF") == 3


def test_config_says_which_file_is_in_use(ha: httpx.Client) -> None:
    assert ha.get("/api/config").json()["config_file"] == "built-in demo"  # the seed validates a dict


def test_docs_page_loads_swagger_ui_from_roost_itself(ha: httpx.Client) -> None:
    page = ha.get("/api/docs")
    assert page.status_code == 200
    assets: list[Any] = re.findall(r"""(?:src|href)=["']([^"']+)["']""", page.text)
    assert assets and all(a.startswith("/api/") for a in assets), assets  # nothing from a CDN
    for asset in assets:
        answer = ha.get(asset)
        assert answer.status_code == 200 and len(answer.content) > 500, asset
    assert "SwaggerUIBundle" in ha.get("/api/docs/assets/swagger-ui-bundle.js").text


CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]


def test_docs_render_in_a_browser_without_the_internet(ha: httpx.Client, playwright: Any) -> None:
    outside: list[str] = []
    browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
    try:
        page = browser.new_page()

        def only_local(route: Any) -> None:
            if route.request.url.startswith(str(ha.base_url)):
                route.continue_()
            else:
                outside.append(route.request.url)
                route.abort()

        page.route("**/*", only_local)
        page.goto(f"{ha.base_url}/api/docs")
        page.wait_for_selector(".opblock", timeout=30_000)
        operations = page.locator(".opblock").count()
        title = page.locator(".info .title").inner_text()
    finally:
        browser.close()
    assert outside == []
    assert operations > 30 and "Roost" in title
