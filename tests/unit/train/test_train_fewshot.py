"""What makes few-shot object models generalise: the whitened head, the zoomed-out view and
the centre-column features of block 7 (roost.train.head / embed / features)."""

from __future__ import annotations

import numpy as np
import onnx
import onnxruntime as ort  # type: ignore[import-untyped]
import pytest
from onnx import TensorProto, helper, numpy_helper

from roost.classify.model_files import FEATURES_OUTPUT, INPUT_NAME
from roost.train.embed import AUGMENTATIONS, augmented_views, zoomed_out
from roost.train.features import TAPS, band_edges, column_edges, head_feature_dim, head_feature_graph
from roost.train.head import fit_whitening, train_head


def correlated(n: int, dim: int, seed: int = 0) -> np.ndarray:
    """(n, dim) features with strongly unequal, correlated dimensions (like a backbone's)."""
    rng = np.random.default_rng(seed)
    mixing = rng.normal(0, 1, (dim, dim)) * rng.uniform(0.01, 10, dim)
    return (rng.normal(0, 1, (n, dim)) @ mixing + rng.uniform(0, 5, dim)).astype(np.float32)


@pytest.mark.parametrize(("n", "dim"), [(40, 64), (300, 16)], ids=["fewer images than values", "more images"])
def test_whitened_training_features_have_zero_mean_and_identity_covariance(n: int, dim: int) -> None:
    x = correlated(n, dim)
    white = fit_whitening(x)
    z = white.transform(x)
    assert z.shape[1] <= min(n - 1, dim)  # n centred rows span at most n − 1 directions
    assert np.abs(z.mean(axis=0)).max() < 1e-3
    assert np.allclose(z.T @ z / n, np.eye(z.shape[1]), atol=2e-3)


def test_a_head_on_whitened_features_folds_into_raw_feature_weights() -> None:
    x = correlated(30, 48, seed=1)
    white = fit_whitening(x)
    rng = np.random.default_rng(2)
    weight = rng.normal(0, 1, (white.transform(x[:1]).shape[1], 3)).astype(np.float32)
    bias = rng.normal(0, 1, 3).astype(np.float32)
    raw_weight, raw_bias = white.fold(weight, bias)
    assert raw_weight.shape == (48, 3)
    fresh = correlated(5, 48, seed=3)  # images the whitening never saw
    assert np.allclose(fresh @ raw_weight + raw_bias, white.transform(fresh) @ weight + bias, rtol=1e-3, atol=1e-3)


def test_scaling_a_block_of_features_does_not_change_the_head() -> None:
    """Why block 7 may be scaled down for similarity's sake: the head standardises first."""
    rng = np.random.default_rng(4)
    x = np.concatenate([rng.normal(c, 1.0, (12, 20)) for c in (0.0, 0.8, 1.6)]).astype(np.float32)
    y = np.repeat([0, 1, 2], 12)
    scaled = x.copy()
    scaled[:, 12:] *= 0.1
    test = rng.normal(0.8, 1.2, (10, 20)).astype(np.float32)
    test_scaled = test.copy()
    test_scaled[:, 12:] *= 0.1
    p = train_head(x, y, 3).probabilities(test)
    q = train_head(scaled, y, 3).probabilities(test_scaled)
    assert np.abs(p - q).max() < 1e-3


def test_whitened_head_trains_on_a_handful_of_images_with_constant_values() -> None:
    rng = np.random.default_rng(5)
    x = rng.uniform(0, 6, (6, 200)).astype(np.float32)
    x[:, :50] = 3.0  # constant: zero variance
    y = np.array([0, 0, 1, 1, 2, 2])
    head = train_head(x, y, 3)
    assert np.isfinite(head.weight).all() and np.isfinite(head.bias).all()
    assert (head.probabilities(x).argmax(1) == y).all()


def test_whitening_drops_directions_without_variance() -> None:
    rng = np.random.default_rng(6)
    base = rng.normal(0, 1, (50, 3)).astype(np.float32)
    x = np.concatenate([base, base @ rng.normal(0, 1, (3, 7)).astype(np.float32)], axis=1)  # rank 3 of 10
    assert fit_whitening(x).transform(x).shape == (50, 3)


def test_zoomed_out_view_keeps_the_image_in_the_middle_and_repeats_its_edges() -> None:
    image = np.random.default_rng(7).integers(0, 256, (40, 24, 3), dtype=np.uint8)
    out = zoomed_out(image, 0.8)
    assert out.shape == (50, 30, 3)  # 5 rows and 3 columns added on each side
    assert (out[5:45, 3:27] == image).all()
    assert (out[:5, 3:27] == image[0]).all() and (out[45:, 3:27] == image[-1]).all()
    assert (out[5:45, :3] == image[:, :1]).all() and (out[5:45, 27:] == image[:, -1:]).all()
    views = augmented_views(image)
    assert len(views) == len(AUGMENTATIONS) and views[0] is image


def test_centre_column_is_the_middle_half_rounded_inwards() -> None:
    assert column_edges(14) == (4, 10)
    assert column_edges(8) == (2, 6)
    assert column_edges(7) == (2, 5)


def toy_backbone(size: int = 224) -> onnx.ModelProto:
    """input (N, 3, size, size) → tensors named as TAPS (average pools + 1×1 convolutions of
    random weights, at each tap's stride) and an ImageNet-style `features` output."""
    rng = np.random.default_rng(8)
    nodes, inits = [], []
    for i, tap in enumerate(TAPS):
        nodes.append(helper.make_node("AveragePool", [INPUT_NAME], [f"pool{i}"], kernel_shape=[tap.stride] * 2,
                                      strides=[tap.stride] * 2))
        inits.append(numpy_helper.from_array(rng.normal(0, 1, (tap.channels, 3, 1, 1)).astype(np.float32), f"w{i}"))
        nodes.append(helper.make_node("Conv", [f"pool{i}", f"w{i}"], [tap.tensor]))
    nodes.append(helper.make_node("ReduceMean", [TAPS[0].tensor], [FEATURES_OUTPUT], axes=[2, 3], keepdims=0))
    graph = helper.make_graph(
        nodes, "toy", [helper.make_tensor_value_info(INPUT_NAME, TensorProto.FLOAT, ["batch", 3, size, size])],
        [helper.make_tensor_value_info(FEATURES_OUTPUT, TensorProto.FLOAT, ["batch", TAPS[0].channels])], inits)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])


def expected_features(maps: list[np.ndarray]) -> np.ndarray:
    """Each tap's map (N, C, H, W), cut to its centre column if asked, times its scale, then
    averaged over the whole and over each row band: the documented layout, in numpy."""
    parts = []
    for tap, fmap in zip(TAPS, maps, strict=True):
        if tap.centre_column:
            start, end = column_edges(fmap.shape[3])
            fmap = fmap[:, :, :, start:end]
        fmap = fmap * tap.scale
        edges = band_edges(fmap.shape[2])
        parts += [fmap.mean(axis=(2, 3))] + [fmap[:, :, a:b].mean(axis=(2, 3)) for a, b in zip(edges, edges[1:])]
    return np.concatenate(parts, axis=1)


def test_head_features_are_the_documented_pooling_of_each_tap() -> None:
    toy = toy_backbone()
    x = np.random.default_rng(9).normal(0, 1, (2, 3, 224, 224)).astype(np.float32)
    taps = onnx.ModelProto()
    taps.CopyFrom(toy)
    taps.graph.output.extend([helper.make_tensor_value_info(t.tensor, TensorProto.FLOAT, None) for t in TAPS])
    maps = ort.InferenceSession(taps.SerializeToString(), providers=["CPUExecutionProvider"]).run(None, {INPUT_NAME: x})[1:]
    rewritten = head_feature_graph(toy)
    features = ort.InferenceSession(rewritten.SerializeToString(), providers=["CPUExecutionProvider"]).run(
        None, {INPUT_NAME: x})[0]
    assert features.shape == (2, head_feature_dim())
    assert np.allclose(features, expected_features(maps), rtol=1e-4, atol=1e-4)
    assert any(tap.centre_column and tap.scale != 1.0 for tap in TAPS)  # the layout this pins


@pytest.mark.parametrize("size", [128, 160, 224])
def test_backbone_exported_at_224_gives_the_documented_pooling_at_other_input_sizes(size: int) -> None:
    """The real export declares 224 px; the rewritten graph takes `size` px and pools the
    maps of that size (5×5 and 10×10 at 160 px) as documented."""
    x = np.random.default_rng(size).normal(0, 1, (2, 3, size, size)).astype(np.float32)
    taps = toy_backbone(size)
    taps.graph.output.extend([helper.make_tensor_value_info(t.tensor, TensorProto.FLOAT, None) for t in TAPS])
    maps = ort.InferenceSession(taps.SerializeToString(), providers=["CPUExecutionProvider"]).run(None, {INPUT_NAME: x})[1:]
    assert maps[0].shape[2:] == (size // 32, size // 32)
    rewritten = head_feature_graph(toy_backbone(224), size)
    assert [d.dim_value for d in rewritten.graph.input[0].type.tensor_type.shape.dim][1:] == [3, size, size]
    session = ort.InferenceSession(rewritten.SerializeToString(), providers=["CPUExecutionProvider"])
    assert np.allclose(session.run(None, {INPUT_NAME: x})[0], expected_features(maps), rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("size", [0, 100, 150, -32])
def test_input_size_that_is_not_a_multiple_of_the_backbone_stride_is_refused(size: int) -> None:
    with pytest.raises(ValueError, match="multiple of 32"):
        head_feature_graph(toy_backbone(), size)
