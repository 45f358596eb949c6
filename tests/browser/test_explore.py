"""Explore: live events arrive without a reload and their clip plays; 100 000 events page by
cursor (few rows fetched); the detail panel's box toggle, retain, sub label, delete,
download; phone width."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import httpx
import pytest
from conftest import PHONE, UiFactory
from seed_media import CAMERA, MediaRoost, ensure_bulk, shared_media_roost, video_progress


@pytest.fixture(scope="module")
def media(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, scene_video: Path) -> MediaRoost:
    return shared_media_roost(request, tmp_path_factory, scene_video)


def api(media: MediaRoost, path: str, **params: Any) -> Any:
    response = httpx.get(f"{media.server.local}/api/{path}", params=params, timeout=30)
    response.raise_for_status()
    return response.json()


def live_ids(page: Any) -> set[str]:
    """Cards the websocket added (not from a page of /api/events)."""
    return set(page.eval_on_selector_all(".ex-card[data-via-feed]", "cards => cards.map(c => c.dataset.eventId)"))


def card_ids(page: Any) -> list[str]:
    return list(page.eval_on_selector_all(".ex-card", "cards => cards.map(c => c.dataset.eventId)"))


def test_new_event_appears_without_reload_and_its_clip_plays(media: MediaRoost, open_ui: UiFactory) -> None:
    """An event made while the page is open (through the API, as the camera page's button
    does, so it does not wait on the detector of a loaded machine) shows up over /ws; once
    it ended and the live recording covers it, its clip (cut from that recording) plays."""
    ui = open_ui(server=media.server)
    ui.goto(f"#/explore?camera={CAMERA}")
    ui.page.locator(".ex-card").first.wait_for()
    ui.page.evaluate("window.__sameDocument = true")
    created = httpx.post(f"{media.server.local}/api/events/{CAMERA}/person/create", json={"duration": 4}, timeout=30)
    created.raise_for_status()
    new_id = created.json()["event_id"]
    card = ui.page.locator(f'.ex-card[data-event-id="{new_id}"]')
    card.wait_for(timeout=20_000)
    assert ui.page.evaluate("window.__sameDocument") is True, "the page reloaded"
    assert card_ids(ui.page)[0] == new_id  # newest first
    ui.shot("new-event")
    # It ends after 4 s (the card loses its live badge by itself); then wait until the
    # recorder has indexed segments past its end plus post-capture, so the clip is whole.
    ui.page.wait_for_function("(id) => !document.querySelector(`.ex-card[data-event-id=\"${id}\"] .ex-live`)",
                              arg=new_id, timeout=30_000)
    event = api(media, f"events/{new_id}")
    assert event["end_time"] is not None and event["has_clip"]
    covered = event["end_time"] + 5
    media.server.wait_for(lambda: any(r["end_time"] >= covered for r in api(media, f"{CAMERA}/recordings", after=covered - 30)),
                          90, "recordings past the event's end")
    card.click()
    ui.page.get_by_role("tab", name="Clip").click()
    duration, now = video_progress(ui.page, ".ex-video")
    assert duration >= (event["end_time"] - event["start_time"]) - 0.5, (duration, event)
    assert now > 1
    ui.shot("clip-playing")


@pytest.mark.timeout(900)
def test_100k_events_page_by_cursor_fetching_few(media: MediaRoost, open_ui: UiFactory) -> None:
    ensure_bulk(media)
    stored = sum(row["count"] for row in api(media, "events/summary"))
    assert stored >= media.bulk
    ui = open_ui(server=media.server)
    pages: list[dict[str, Any]] = []

    def on_response(response: Any) -> None:
        url = urlparse(response.url)
        if url.path.endswith("/api/events") and response.request.method == "GET":
            pages.append({"query": parse_qs(url.query), "rows": json.loads(response.body())})

    ui.page.on("response", on_response)
    ui.goto("#/explore")
    ui.page.locator(".ex-card").nth(59).wait_for()
    for _ in range(3):
        count = ui.page.locator(".ex-card").count()
        ui.page.locator(".ex-card").last.scroll_into_view_if_needed()
        ui.page.wait_for_function("(n) => document.querySelectorAll('.ex-card').length > n", arg=count, timeout=20_000)
    ui.page.wait_for_timeout(500)  # (lets Playwright hand over the last responses)
    fetched = [row for p in pages for row in p["rows"]]
    unique = {row["id"]: row for row in fetched}
    shown = card_ids(ui.page)
    assert len(shown) >= 4 * 60 and len(unique) <= 6 * 60, (len(shown), len(unique))  # of > 100 000 stored
    assert set(shown) <= set(unique) | live_ids(ui.page)
    assert all(p["query"]["include_thumbnails"] == ["0"] and int(p["query"]["limit"][0]) <= 100 for p in pages)
    # Each next page asks from just after the oldest event shown (same-time events come again, once)...
    for previous, following in zip(pages, pages[1:]):
        assert 0 < float(following["query"]["before"][0]) - previous["rows"][-1]["start_time"] <= 1e-5
    starts = [row["start_time"] for row in unique.values()]
    assert starts == sorted(starts, reverse=True) and len(set(shown)) == len(shown)
    # ...so together the pages hold every stored event of their time range: none skipped.
    oldest, newest = min(starts), max(starts)
    stored_range = api(media, "events", after=oldest - 1e-6, before=newest + 1e-6, limit=1000, include_thumbnails=0)
    assert {e["id"] for e in stored_range} == set(unique)
    # A filter is applied by the server, not by loading everything.
    ui.page.get_by_label("All labels").select_option("cat")
    ui.page.wait_for_function("() => [...document.querySelectorAll('.ex-title strong')].every(s => s.textContent === 'cat')"
                              " && document.querySelectorAll('.ex-card').length > 0")
    assert pages[-1]["query"]["labels"] == ["cat"] and all(r["label"] == "cat" for r in pages[-1]["rows"])
    ui.shot("filtered")


def test_detail_box_toggle_retain_sub_label_delete_download(media: MediaRoost, open_ui: UiFactory) -> None:
    person = next(e for e in reversed(media.seed.events) if e.label == "person" and not e.retain_indefinitely
                  and e.sub_label is None)
    victim = next(e for e in media.seed.events if e.label == "cat")
    ui = open_ui(server=media.server)
    ui.goto(f"#/explore?event={person.id}")
    snapshot = ui.page.locator(".ex-snapshot")
    snapshot.wait_for()
    ui.page.wait_for_function("() => document.querySelector('.ex-snapshot').naturalWidth > 0")
    assert "bbox=1" in (snapshot.get_attribute("src") or "")
    ui.page.get_by_role("switch", name="Bounding box").click()
    ui.page.wait_for_function("() => document.querySelector('.ex-snapshot').src.includes('bbox=0')"
                              " && document.querySelector('.ex-snapshot').complete")
    boxed = httpx.get(f"{media.server.local}/api/events/{person.id}/snapshot.jpg?bbox=1").content
    clean = httpx.get(f"{media.server.local}/api/events/{person.id}/snapshot.jpg?bbox=0").content
    assert boxed != clean  # the toggle shows a different picture: with and without the box
    ui.page.get_by_role("switch", name="Retain").click()
    media.server.wait_for(lambda: api(media, f"events/{person.id}")["retain_indefinitely"], 10, "retain")
    ui.page.get_by_label("Sub label", exact=True).last.fill("alice")
    ui.page.get_by_role("button", name="Save").click()
    media.server.wait_for(lambda: api(media, f"events/{person.id}")["sub_label"] == "alice", 10, "sub label")
    ui.page.get_by_text("Recognised as").wait_for()
    with ui.page.expect_download() as download:
        ui.page.locator(".ex-actions a", has_text="Clip").click()
    saved = download.value.path()
    assert saved is not None and Path(saved).stat().st_size > 10_000
    assert Path(saved).read_bytes()[4:8] == b"ftyp"  # an MP4
    ui.shot("detail")
    ui.page.keyboard.press("Escape")
    ui.goto(f"#/explore?event={victim.id}")
    ui.page.get_by_role("button", name="Delete").click()
    ui.page.locator(".ex-confirm").get_by_role("button", name="Delete").click()
    ui.page.wait_for_function("(id) => !document.querySelector(`.ex-card[data-event-id=\"${id}\"]`)"
                              " && !document.querySelector('dialog[open]')", arg=victim.id)
    assert httpx.get(f"{media.server.local}/api/events/{victim.id}").status_code == 404


def test_phone_width_nothing_overflows(media: MediaRoost, open_ui: UiFactory) -> None:
    ui = open_ui(viewport=PHONE, server=media.server, color_scheme="dark")
    ui.goto("#/explore")
    ui.page.locator(".ex-card").nth(5).wait_for()
    ui.page.get_by_role("button", name="Filters").click()
    assert ui.horizontal_overflow() == 0
    ui.shot("grid")
    ui.page.locator(".ex-card").first.click()
    ui.page.locator(".ex-detail").wait_for()
    assert ui.horizontal_overflow() == 0
    ui.shot("detail")
