"""Model/class name validation and the shared image → tensor step."""

from __future__ import annotations

import numpy as np
import pytest

from roost.classify.model_files import (
    InvalidNameError,
    Preprocessing,
    model_dir,
    preprocess,
    validate_class_name,
    validate_model_name,
)


@pytest.mark.parametrize("name", ["garage_door", "front-gate", "Dog2", "a"])
def test_valid_model_names_are_accepted(name: str) -> None:
    assert validate_model_name(name) == name


@pytest.mark.parametrize("name", ["..", "../etc", "a/b", "a b", "", "dog.v2", "x" * 65, "backbone", "détente"])
def test_unsafe_model_names_are_rejected_with_the_name_in_the_error(name: str) -> None:
    with pytest.raises(InvalidNameError, match="model name"):
        validate_model_name(name)


def test_model_dir_refuses_traversal(tmp_path) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InvalidNameError):
        model_dir("..", tmp_path)
    assert model_dir("door", tmp_path) == tmp_path / "door"


@pytest.mark.parametrize("name", ["open", "not open", "delivery_person", "car-2"])
def test_valid_class_names_are_accepted(name: str) -> None:
    assert validate_class_name(name) == name


@pytest.mark.parametrize("name", ["", " open", "open ", "a/b", "..", "a.b", "naïve"])
def test_invalid_class_names_are_rejected(name: str) -> None:
    with pytest.raises(InvalidNameError, match="class name"):
        validate_class_name(name)


def test_preprocess_normalises_to_efficientnet_lite_range() -> None:
    image = np.zeros((10, 20, 3), np.uint8)
    image[..., 0] = 255  # red
    image[..., 1] = 127
    tensor = preprocess(image)
    assert tensor.shape == (1, 3, 224, 224) and tensor.dtype == np.float32
    assert np.allclose(tensor[0, 0], (255 - 127) / 128)   # channel 0 is R
    assert np.allclose(tensor[0, 1], 0.0)
    assert np.allclose(tensor[0, 2], -127 / 128)


def test_preprocess_follows_the_metadata_channel_order_and_layout() -> None:
    image = np.zeros((8, 8, 3), np.uint8)
    image[..., 0] = 255
    prep = Preprocessing(size=16, channel_order="BGR", layout="NHWC")
    tensor = preprocess([image, image], prep)
    assert tensor.shape == (2, 16, 16, 3)
    assert np.allclose(tensor[..., 2], (255 - 127) / 128)  # R moved to the last channel


def test_preprocessing_round_trips_through_metadata_and_rejects_bad_specs() -> None:
    prep = Preprocessing(size=160, mean=(1.0, 2.0, 3.0), scale=0.5)
    assert Preprocessing.from_dict(prep.to_dict()) == prep
    with pytest.raises(ValueError, match="preprocessing"):
        Preprocessing.from_dict({"size": 224})
    with pytest.raises(ValueError, match="channel_order"):
        Preprocessing.from_dict({**prep.to_dict(), "channel_order": "YUV"})


def test_preprocess_rejects_non_rgb_input() -> None:
    with pytest.raises(ValueError, match="RGB uint8"):
        preprocess(np.zeros((8, 8), np.uint8)[..., None].repeat(4, axis=2))
