"""Classification pages against a real Roost: the wizard makes a state model from a crop
drawn with the mouse, examples are assigned, training completes and the model shows its
figure and confusion matrix; a recent attempt filed with one click moves its file; a bulk
selection of near-duplicates is called out; a non-image upload is refused with a message."""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import cv2
import httpx
import numpy as np
import pytest
import yaml
from conftest import DESKTOP, PHONE, RoostServer, UiFactory, camera_config, start_roost

from sqlalchemy.orm import Session

from roost.store import Database
from roost.store.models import RecordingRow, ReviewSegmentRow

T0 = float(int(time.time()) - 3600)
SCENE_SECONDS = 18.0
REVIEWS = 30
MODEL = "door"
RECENT = [f"none-none-{T0 + 100 + i:.6f}-open-0.{60 + i}.webp" for i in range(5)]


def recording_path(media: Path) -> Path:
    stamp = time.gmtime(T0)
    return media / "recordings" / time.strftime("%Y-%m-%d/%H", stamp) / "yard" / time.strftime("%M.%S.mp4", stamp)


def seed(media: Path, scene_video: Path) -> None:
    """One recording (the scene video) with 30 finished review segments in it, and recent
    attempts of the configured state model `door`: four near-copies of one frame and one
    different picture."""
    recordings = recording_path(media).parent
    recordings.mkdir(parents=True)
    shutil.copyfile(scene_video, recording_path(media))
    train = media / "clips" / MODEL / "train"
    train.mkdir(parents=True)
    for cls in ("closed", "open"):
        (media / "clips" / MODEL / "dataset" / cls).mkdir(parents=True)
    rng = np.random.default_rng(0)
    base = cv2.resize(cv2.imread(str(Path("/usr/share/darknet/data/dog.jpg"))), (160, 160))
    other = cv2.resize(cv2.imread(str(Path("/usr/share/darknet/data/eagle.jpg"))), (160, 160))
    for i, name in enumerate(RECENT):
        image = other if i == 4 else np.clip(base + rng.normal(0, 2, base.shape), 0, 255).astype(np.uint8)
        cv2.imwrite(str(train / name), image)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, scene_video: Path) -> Iterator[RoostServer]:
    work = tmp_path_factory.mktemp("classification")
    media = work / "media"
    seed(media, scene_video)

    def prepare(database: Database) -> None:
        database.write(add_rows)

    def add_rows(session: Session) -> None:
        session.add(RecordingRow(id="rec-0", camera="yard", path=str(recording_path(media)),
                                 start_time=T0, end_time=T0 + SCENE_SECONDS, duration=SCENE_SECONDS))
        for i in range(REVIEWS):
            start = T0 + 0.2 + i * (SCENE_SECONDS - 1) / REVIEWS
            session.add(ReviewSegmentRow(id=f"review-{i}", camera="yard", start_time=start, end_time=start + 0.3,
                                         severity="detection", data={}))

    extra = {"classification": {"custom": {MODEL: {"state_config": {"cameras": {"yard": {"crop": [0, 0, 0.5, 0.5]}}}}}}}
    camera = camera_config(scene_video)
    camera["record"] = {"enabled": False, "retain": {"days": 30, "mode": "all"}}  # keep the seeded recording
    running = start_roost(work, {"yard": camera}, extra=extra, media_dir=media, prepare=prepare)
    try:
        running.wait_frames(["yard"])
        yield running
    finally:
        running.stop()


def open_page(open_ui: UiFactory, server: RoostServer, path: str, viewport: tuple[int, int] = DESKTOP):  # type: ignore[no-untyped-def]
    ui = open_ui(viewport=viewport, server=server)
    ui.goto(path)
    return ui


def test_wizard_draws_the_crop_assigns_examples_and_trains(open_ui: UiFactory, server: RoostServer) -> None:
    ui = open_page(open_ui, server, "#/classification/new")
    page = ui.page
    page.get_by_label("Name", exact=True).fill("gate")
    for cls in ("person", "clear"):
        page.get_by_label("Class name").fill(cls)
        page.get_by_role("button", name="Add", exact=True).click()
    page.get_by_role("button", name="Next").click()
    page.get_by_role("button", name="yard").click()
    editor = page.locator('.cls-crop[data-camera="yard"]')
    editor.locator("img").wait_for()
    page.wait_for_function("() => document.querySelector('.cls-crop img').naturalWidth > 0")
    box = editor.bounding_box()
    assert box is not None
    # Draw a new box from 10 %/20 % to 45 %/70 % of the picture, then drag it right by 10 %.
    page.mouse.move(box["x"] + 0.10 * box["width"], box["y"] + 0.20 * box["height"])
    page.mouse.down()
    page.mouse.move(box["x"] + 0.30 * box["width"], box["y"] + 0.50 * box["height"], steps=5)
    page.mouse.move(box["x"] + 0.45 * box["width"], box["y"] + 0.70 * box["height"], steps=5)
    page.mouse.up()
    page.mouse.move(box["x"] + 0.25 * box["width"], box["y"] + 0.45 * box["height"])
    page.mouse.down()
    page.mouse.move(box["x"] + 0.35 * box["width"], box["y"] + 0.45 * box["height"], steps=5)
    page.mouse.up()
    ui.shot("crop")
    page.get_by_role("button", name="Create and find examples").click()

    crop = server.wait_for(lambda: httpx.get(f"{server.local}/api/config", timeout=10).json()["classification"]["custom"]
                           .get("gate", {}).get("state_config", {}).get("cameras", {}).get("yard", {}).get("crop"),
                           30, "the new model in the config")
    written = yaml.safe_load((server.media_dir.parent / "config.yml").read_text())
    assert written["classification"]["custom"]["gate"]["state_config"]["cameras"]["yard"]["crop"] == crop
    assert crop == pytest.approx([0.20, 0.20, 0.55, 0.70], abs=0.02)

    tiles = page.locator(".cls-step .cls-tiles button.cls-tile")
    tiles.first.wait_for(timeout=120_000)
    count = tiles.count()
    assert count >= 6
    for i in range(0, count // 2):
        tiles.nth(i).click()
    assert page.locator(".cls-step .cls-tile.cls-selected").count() == count // 2
    ui.shot("examples-person")
    page.get_by_role("button", name="Next: clear").click()
    for i in range(count // 2, count):
        tiles.nth(i).click()
    page.get_by_role("button", name="Finish and train").click()

    page.locator(".cls-matrix svg").wait_for(timeout=120_000)
    verdict = page.locator(".cls-step .cls-verdict").inner_text()
    assert "based on" in verdict and ("separate minute" in verdict or "distinct scene" in verdict)
    cells = page.locator(".cls-matrix [data-cell] text")
    assert sum(int(cells.nth(i).text_content() or "0") for i in range(cells.count())) == count
    ui.shot("trained")
    dataset = httpx.get(f"{server.local}/api/classification/gate/dataset", timeout=10).json()["categories"]
    assert len(dataset["person"]) == count // 2 and len(dataset["clear"]) == count - count // 2

    page.get_by_role("link", name="Open gate").click()
    page.locator(".cls-big").wait_for()
    assert page.locator(".cls-matrix svg").count() == 1 and page.locator(".cls-table tbody tr").count() == 2
    ui.shot("quality")


def test_recent_attempt_is_filed_with_one_click_and_copies_are_called_out(open_ui: UiFactory, server: RoostServer) -> None:
    train = server.media_dir / "clips" / MODEL / "train"
    ui = open_page(open_ui, server, f"#/classification/{MODEL}?tab=recent")
    page = ui.page
    page.locator(".cls-attempt").first.wait_for()
    assert page.locator(".cls-attempt").count() == 5
    # Select the four near-copies (click, then shift-click): the page says they are one image.
    page.locator(f'.cls-attempt[data-file="{RECENT[3]}"] .cls-tile-pick').click()
    page.locator(f'.cls-attempt[data-file="{RECENT[0]}"] .cls-tile-pick').click(modifiers=["Shift"])
    warning = page.locator(".cls-dup-warning")
    warning.wait_for(timeout=60_000)
    assert "4 images selected, but they hold only 1 distinct image" in " ".join(warning.inner_text().split())
    ui.shot("near-duplicates")
    page.keyboard.press("Escape")
    assert page.locator(".cls-selected").count() == 0

    odd = RECENT[4]
    page.locator(f'.cls-attempt[data-file="{odd}"]').get_by_role("button", name="closed").click()
    server.wait_for(lambda: not (train / odd).exists(), 20, "the filed attempt to leave train/")
    stored = server.media_dir / "clips" / MODEL / "dataset" / "closed" / f"{Path(odd).stem}.png"
    assert stored.is_file()
    page.locator(f'.cls-attempt[data-file="{odd}"]').wait_for(state="detached")
    assert page.locator(".cls-attempt").count() == 4


def test_upload_of_a_non_image_is_refused_with_a_message(open_ui: UiFactory, server: RoostServer, tmp_path: Path) -> None:
    ui = open_page(open_ui, server, f"#/classification/{MODEL}?tab=dataset")
    ui.allow(r"/dataset/open/upload$", 400)
    page = ui.page
    upload = page.get_by_label("Upload images to open")
    upload.wait_for(state="attached")
    notes = tmp_path / "notes.txt"
    notes.write_text("not a picture")
    upload.set_input_files(str(notes))
    toast = page.locator(".toast", has_text="Upload refused")
    toast.wait_for()
    assert "'notes.txt' is not an image" in toast.inner_text()
    folder = server.media_dir / "clips" / MODEL / "dataset" / "open"
    assert not folder.exists() or not any(folder.iterdir())
    picture = tmp_path / "door.jpg"
    cv2.imwrite(str(picture), cv2.imread("/usr/share/darknet/data/horses.jpg"))
    upload.set_input_files(str(picture))
    page.locator('.cls-class[data-class="open"] .cls-tile').first.wait_for()
    assert len(list(folder.glob("upload-*.png"))) == 1
    ui.shot("dataset")


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_models_page_lists_every_model_without_overflow(open_ui: UiFactory, server: RoostServer,
                                                        viewport: tuple[int, int]) -> None:
    ui = open_page(open_ui, server, "#/classification", viewport)
    card = ui.page.locator(f'.cls-card[data-model="{MODEL}"]')
    card.wait_for()
    assert "State" in card.inner_text()
    assert ui.horizontal_overflow() == 0
    ui.shot("models")
    ui.goto(f"#/classification/{MODEL}?tab=recent")
    ui.page.locator(".cls-toolbar").first.wait_for()
    time.sleep(0.5)
    assert ui.horizontal_overflow() == 0
    ui.shot("recent")
