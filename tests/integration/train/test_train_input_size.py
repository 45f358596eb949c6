"""The backbone's input size is a training parameter: models record theirs and keep running
at it, the feature cache is tied to it, and the fused model computes at its size exactly
what training computed (roost.train.embed INPUT_SIZE, TrainingRequest.input_size)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from train_photos import build_dataset, photo_crops

from roost.classify.model_files import Preprocessing, backbone_path, load_model
from roost.train.embed import INPUT_SIZE, Backbone
from roost.train.pipeline import TrainingRequest, train_model

#: Largest |fused model − Backbone.embed| feature difference accepted (float32, one graph).
FEATURE_TOLERANCE = 1e-4


@pytest.mark.parametrize("size", [224, INPUT_SIZE], ids=["previous default 224", "INPUT_SIZE"])
def test_model_records_its_input_size_and_its_features_equal_trainings(media: tuple[Path, Path], size: int) -> None:
    clips, cache = media
    build_dataset(clips, "sized", 4, {"cat": "chelsea", "coffee": "coffee"})
    summary = train_model(TrainingRequest("sized", clips, cache, input_size=size))
    assert summary["preprocessing"]["size"] == size
    model = load_model("sized", cache)
    assert model.preprocessing.size == size
    assert model.session.get_inputs()[0].shape[1:] == [3, size, size]
    crops = photo_crops("chelsea", 3, seed=55) + photo_crops("coffee", 3, seed=56)
    probabilities, features = model.run(crops)
    backbone = Backbone(backbone_path(cache), threads=1, preprocessing=Preprocessing(size=size))
    assert np.abs(features - backbone.embed(crops)).max() <= FEATURE_TOLERANCE
    assert (probabilities.argmax(1) == np.array([0, 0, 0, 1, 1, 1])).all()


def test_feature_cache_is_rebuilt_when_the_input_size_changes(media: tuple[Path, Path]) -> None:
    clips, cache = media
    build_dataset(clips, "resized", 4, {"cat": "chelsea", "coffee": "coffee"})
    assert train_model(TrainingRequest("resized", clips, cache, input_size=224))["embedded_this_run"] == 8
    assert train_model(TrainingRequest("resized", clips, cache, input_size=224))["embedded_this_run"] == 0
    again = train_model(TrainingRequest("resized", clips, cache, input_size=INPUT_SIZE))
    assert again["embedded_this_run"] == 8
    assert again["preprocessing"]["size"] == INPUT_SIZE
