"""Exports: a span chosen on Recordings is exported, completes, plays, downloads (an MP4 of
the span's length), is renamed and deleted; phone width."""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import PHONE, UiFactory
from seed_media import CAMERA, MediaRoost, shared_media_roost, video_progress

SPAN_S = 20


@pytest.fixture(scope="module")
def media(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, scene_video: Path) -> MediaRoost:
    return shared_media_roost(request, tmp_path_factory, scene_video)


def exports(media: MediaRoost) -> list[dict[str, Any]]:
    return list(httpx.get(f"{media.server.local}/api/exports", timeout=30).json())


def probe_duration(path: Path) -> float:
    done = subprocess.run(["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "json", str(path)],
                          capture_output=True, check=True, text=True)
    return float(json.loads(done.stdout)["format"]["duration"])


def clock(epoch: float) -> str:
    return time.strftime("%H:%M:%S", time.localtime(epoch))


def test_export_completes_plays_downloads_renames_and_deletes(media: MediaRoost, open_ui: UiFactory) -> None:
    start, end = media.seed.spans[2]
    first = float(int(start + 100))
    known = {e["id"] for e in exports(media)}
    ui = open_ui(server=media.server)
    ui.goto(f"#/recordings?camera={CAMERA}&day={time.strftime('%Y-%m-%d', time.localtime(start))}&time={int(first)}")
    video_progress(ui.page, ".rec-stage video")
    ui.page.locator(".rec-export-start").click()
    ui.page.get_by_label("From").fill(clock(first))
    ui.page.get_by_label("From").dispatch_event("change")
    ui.page.get_by_label("to", exact=True).fill(clock(first + SPAN_S))
    ui.page.get_by_label("to", exact=True).dispatch_event("change")
    ui.page.get_by_role("button", name="Export span").click()
    ui.page.get_by_label("Name").fill("Parcel at the door")
    ui.shot("export-dialog")
    ui.page.locator(".rec-export-form").get_by_role("button", name="Export").click()
    ui.page.get_by_text("Export started").wait_for()
    made = media.server.wait_for(lambda: [e for e in exports(media) if e["id"] not in known], 20, "the export row")
    export_id = made[0]["id"]
    assert made[0]["name"] == "Parcel at the door" and made[0]["camera"] == CAMERA

    ui.goto("#/exports")
    card = ui.page.locator(f'.xp-card[data-export-id="{export_id}"]')
    card.get_by_role("button", name="Play", exact=True).wait_for(timeout=60_000)  # shown once written
    assert not next(e for e in exports(media) if e["id"] == export_id)["in_progress"]
    ui.page.locator(f'.xp-card[data-export-id="{export_id}"] .xp-thumb img').wait_for()
    card.get_by_role("button", name="Play", exact=True).click()
    duration, _ = video_progress(ui.page, ".xp-video")
    assert abs(duration - SPAN_S) < 1.5, duration
    ui.shot("playing")
    ui.page.keyboard.press("Escape")

    with ui.page.expect_download() as download:
        card.get_by_role("link", name="Download").click()
    saved = download.value.path()
    assert saved is not None and abs(probe_duration(Path(saved)) - SPAN_S) < 1.5
    assert download.value.suggested_filename == f"{export_id}.mp4"

    card.get_by_role("button", name="Rename Parcel at the door").click()
    ui.page.get_by_label("New name").fill("Parcel, renamed")
    ui.page.get_by_role("button", name="Save").click()
    card.get_by_role("heading", name="Parcel, renamed").wait_for()
    assert next(e for e in exports(media) if e["id"] == export_id)["name"] == "Parcel, renamed"

    card.get_by_role("button", name="Delete Parcel, renamed").click()
    card.locator(".xp-confirm").get_by_role("button", name="Delete").click()
    card.wait_for(state="detached")
    assert export_id not in {e["id"] for e in exports(media)}
    assert httpx.get(f"{media.server.local}/api/exports/{export_id}/video.mp4").status_code == 404


def test_rename_refuses_a_blank_name(media: MediaRoost) -> None:
    start, _ = media.seed.spans[1]
    made = httpx.post(f"{media.server.local}/api/export/{CAMERA}/start/{start + 5}/end/{start + 9}", json={}).json()
    bad = httpx.patch(f"{media.server.local}/api/export/{made['export_id']}/rename", json={"name": "   "})
    assert bad.status_code == 400 and "blank" in bad.json()["message"]
    missing = httpx.patch(f"{media.server.local}/api/export/nope_123456/rename", json={"name": "x"})
    assert missing.status_code == 404 and "nope_123456" in missing.json()["message"]


def test_phone_width_nothing_overflows(media: MediaRoost, open_ui: UiFactory) -> None:
    start, _ = media.seed.spans[0]
    httpx.post(f"{media.server.local}/api/export/{CAMERA}/start/{start + 5}/end/{start + 15}",
               json={"name": "A long export name that has to fit on a phone screen somehow"}).raise_for_status()
    ui = open_ui(viewport=PHONE, server=media.server, color_scheme="dark")
    ui.goto("#/exports")
    ui.page.locator(".xp-card").first.wait_for()
    ui.page.get_by_role("button", name="Play", exact=True).first.wait_for(timeout=60_000)
    assert ui.horizontal_overflow() == 0
    ui.shot("phone")
