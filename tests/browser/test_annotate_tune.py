"""The annotation page's "Tune detector" panel on a real Roost with its own model cache: the
10-frame rule refuses with 9 verified frames; with 10 a real tune starts from the button,
shows its progress and is cancelled; a tuned model's AP@0.5 table, the "new since the last
model" rule, and "Use this model" writing `model.path` to the config file; desktop and phone."""

from __future__ import annotations

import json
import re
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import cv2
import httpx
import numpy as np
import pytest
import yaml
from conftest import PHONE, REPO, RoostServer, UiFactory, camera_config, start_roost

from roost.annotate.frames import AnnotationBox
from roost.annotate.store import AnnotationStore, encode_frame
from roost.store import Database

FRAME_W, FRAME_H = 640, 360
TUNED_NAME = "20261201-120000"


def frame_image(index: int) -> bytes:
    """A plain scene with one upright 'person' block moving right."""
    image = np.full((FRAME_H, FRAME_W, 3), (90, 120, 100), np.uint8)
    x = 40 + index * 40
    cv2.rectangle(image, (x, 120), (x + 50, 300), (40, 40, 160), -1)
    return encode_frame(image)


def seed_frames(database: Database, media: Path, count: int) -> None:
    store = AnnotationStore(database, media / "clips")
    for i in range(count):
        store.add(frame_image(i), FRAME_W, FRAME_H, frame_time=1_764_000_000.0 + i, source="import", camera="yard",
                  boxes=[AnnotationBox("person", (40.0 + i * 40, 120.0, 90.0 + i * 40, 300.0))], verified=True)


@pytest.fixture(scope="module")
def tune_roost(tmp_path_factory: pytest.TempPathFactory, scene_video: Path) -> Iterator[RoostServer]:
    """A Roost whose model cache is its own (the shipped models linked in), with 9 verified frames."""
    work = tmp_path_factory.mktemp("tune-roost")
    cache = work / "model_cache"
    cache.mkdir()
    for entry in (REPO / "model_cache").iterdir():
        if entry.name != "detector-tuned":
            (cache / entry.name).symlink_to(entry.resolve())
    media = work / "media"
    server = start_roost(work, {"yard": camera_config(scene_video)}, media_dir=media,
                         prepare=lambda database: seed_frames(database, media, 9),
                         env={"ROOST_MODEL_CACHE": str(cache)})
    try:
        server.wait_frames(["yard"])
        yield server
    finally:
        server.stop()


def verify_one_more(server: RoostServer) -> None:
    """Send the live frame to annotation and verify it: the tenth verified frame."""
    sent = httpx.post(f"{server.local}/api/yard/plus", json={}, timeout=30)
    assert sent.status_code in (200, 201), sent.text
    frame_id = sent.json()["plus_id"]
    httpx.put(f"{server.local}/api/annotations/{frame_id}", timeout=30,
              json={"boxes": [{"label": "person", "box": [10, 10, 60, 120]}]}).raise_for_status()
    httpx.post(f"{server.local}/api/annotations/{frame_id}/verify", timeout=30).raise_for_status()


def write_tuned_model(server: RoostServer) -> Path:
    """A tuned model folder as a finished tune leaves it (the default int8 detector stands in
    for the weights), its report saying it used every verified frame."""
    cache = Path(server.media_dir.parent / "model_cache")
    frames = httpx.get(f"{server.local}/api/annotations", params={"verified": 1, "limit": 200}, timeout=30).json()
    ids = [f["id"] for f in frames["frames"]]
    folder = cache / "detector-tuned" / TUNED_NAME
    folder.mkdir(parents=True)
    shutil.copy(REPO / "model_cache" / "detector" / "yolov3-tiny-320-int8.onnx", folder / "model.onnx")
    shutil.copy(REPO / "model_cache" / "detector" / "labelmap.txt", folder / "labelmap.txt")
    report = {"name": TUNED_NAME, "created": time.time(), "size": 320, "labels": ["person"], "new_labels": [],
              "frames": {"train": 8, "held_out": 2}, "held_out_boxes": {"person": 2},
              "ap50": {"base": {"person": 0.61}, "tuned": {"person": 0.83}},
              "map50": {"base": 0.61, "tuned": 0.83}, "tune_seconds": 95.0,
              "train_ids": ids[2:], "held_out_ids": ids[:2]}
    (folder / "report.json").write_text(json.dumps(report))
    return folder / "model.onnx"


def test_rules_start_progress_cancel_scores_and_use_this_model(tune_roost: RoostServer, open_ui: UiFactory) -> None:
    ui = open_ui(server=tune_roost)
    ui.goto("#/annotate")
    panel = ui.page.get_by_test_id("tune-panel")
    panel.wait_for()
    # 9 verified: refused, with how many more to verify; the button is off.
    assert "9 verified" in ui.page.get_by_test_id("tune-counts").inner_text()
    refusal = ui.page.get_by_test_id("tune-refusal")
    assert "at least 10 verified frames; there are 9 (verify 1 more)" in refusal.inner_text()
    start = ui.page.get_by_role("button", name="Tune now")
    assert start.is_disabled()
    ui.shot("refused")

    verify_one_more(tune_roost)
    ui.page.get_by_role("button", name="Reload").click()
    ui.page.wait_for_function("!document.querySelector('[data-testid=tune-refusal]')")
    assert "10 verified" in ui.page.get_by_test_id("tune-counts").inner_text()
    start.click()  # a real tune, in the server's child processes
    progress = ui.page.get_by_test_id("tune-progress")
    progress.wait_for()
    assert ui.page.get_by_role("button", name="Tuning…").is_disabled()
    ui.page.wait_for_function(
        "/Reading the frames|Frames ready|Computing features|Training/.test("
        "document.querySelector('[data-testid=tune-progress]').innerText)", timeout=60_000)
    ui.shot("tuning")
    ui.page.get_by_role("button", name="Cancel").click()
    ui.page.get_by_text("The last tune was cancelled.").wait_for()
    state = httpx.get(f"{tune_roost.local}/api/annotations/tune", timeout=30).json()
    assert state["progress"]["state"] == "cancelled" and state["models"] == []

    # A finished model: its scores, and the rule for the next one.
    model_path = write_tuned_model(tune_roost)
    ui.page.get_by_role("button", name="Reload").click()
    row = ui.page.locator(f"[data-model='{TUNED_NAME}']")
    row.wait_for()
    table = row.locator(".tune-scores").inner_text()
    assert re.search(r"person\s+2 boxes\s+0\.61\s+0\.83\s+\+0\.22", table), table
    assert "8 frames trained, 2 held out" in row.inner_text()
    assert "new since the last tuned model; there are 0 (verify 10 more)" in ui.page.get_by_test_id("tune-refusal").inner_text()
    row.get_by_role("button", name="Use this model").click()
    ui.page.get_by_text("Roost needs a restart to apply this change.").wait_for()
    row.locator(".badge", has_text="in use").wait_for()
    saved = yaml.safe_load((tune_roost.media_dir.parent / "config.yml").read_text())
    assert saved["model"]["path"] == str(model_path)
    assert ui.horizontal_overflow() == 0
    ui.shot("model")

    phone = open_ui(viewport=PHONE, server=tune_roost)
    phone.goto("#/annotate")
    phone.page.locator(f"[data-model='{TUNED_NAME}'] .badge", has_text="in use").wait_for()
    assert phone.horizontal_overflow() == 0
    phone.shot("phone")
