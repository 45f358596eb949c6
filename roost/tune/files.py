"""Where tuned detectors live: `model_cache/detector-tuned/<name>/` with `model.onnx` (int8,
what `model.path` names), `labelmap.txt` (the base model's labels, then the new ones) and
`report.json` (what it was tuned on and how it scores, `roost.tune.report`). Names are the
tune's start time, `YYYYmmdd-HHMMSS`, so they sort oldest first."""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

TUNED_DIR = "detector-tuned"
MODEL_FILE = "model.onnx"
LABELMAP_FILE = "labelmap.txt"
REPORT_FILE = "report.json"
NAME = re.compile(r"^[0-9]{8}-[0-9]{6}$")


@dataclass(frozen=True)
class TunedModel:
    name: str
    folder: Path

    @property
    def model(self) -> Path:
        return self.folder / MODEL_FILE

    @property
    def labelmap(self) -> Path:
        return self.folder / LABELMAP_FILE

    @property
    def report_path(self) -> Path:
        return self.folder / REPORT_FILE

    def report(self) -> dict[str, Any] | None:
        try:
            data = json.loads(self.report_path.read_text())
        except (OSError, ValueError) as error:
            logger.warning("tuned model %s: no readable report (%s)", self.name, error)
            return None
        return data if isinstance(data, dict) else None


def tuned_root(model_cache: Path) -> Path:
    return model_cache / TUNED_DIR


def tuned_model(model_cache: Path, name: str) -> TunedModel:
    if not NAME.match(name):
        raise ValueError(f"'{name[:40]}' is not a tuned model name (YYYYmmdd-HHMMSS)")
    return TunedModel(name, tuned_root(model_cache) / name)


def tuned_models(model_cache: Path) -> list[TunedModel]:
    """Complete tuned models (model, labelmap and report present), oldest first."""
    root = tuned_root(model_cache)
    if not root.is_dir():
        return []
    found = [TunedModel(p.name, p) for p in sorted(root.iterdir()) if p.is_dir() and NAME.match(p.name)]
    return [m for m in found if m.model.is_file() and m.labelmap.is_file() and m.report_path.is_file()]


def last_model_frame_ids(model_cache: Path) -> list[str] | None:
    """The frames (train and held out) the newest tuned model used; None when there is none."""
    for model in reversed(tuned_models(model_cache)):
        report = model.report()
        if report is not None:
            return [*report.get("train_ids", []), *report.get("held_out_ids", [])]
    return None
