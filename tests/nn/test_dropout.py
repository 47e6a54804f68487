"""Inverted dropout: masks, training vs prediction, determinism, validation."""

import pickle

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from skfcnn.nn import Network
from skfcnn.nn.dropout import check_dropout, draw_mask


def make_net(dropout, layer_sizes=(6, 50, 40, 3), activation="relu", dtype=np.float64, seed=0):
    net = Network(layer_sizes, activation, "softmax", dtype=dtype, dropout=dropout)
    net.initialize(np.random.RandomState(seed))
    rng = np.random.RandomState(seed + 1)
    X = rng.normal(size=(30, layer_sizes[0])).astype(dtype)
    Y = np.eye(layer_sizes[-1])[rng.randint(layer_sizes[-1], size=30)].astype(dtype)
    return net, X, Y


# ---------------------------------------------------------------- the masks


@pytest.mark.parametrize("rate", [0.1, 0.5, 0.9])
def test_mask_values_and_mean(rate):
    mask = draw_mask(np.random.RandomState(0), rate, np.empty((400, 500)))
    scale = 1 / (1 - rate)
    assert set(np.unique(mask)) == {0.0, scale}
    kept = np.mean(mask > 0)
    assert kept == pytest.approx(1 - rate, abs=4 * np.sqrt(rate * (1 - rate) / mask.size))
    # E[mask] = 1: the expected activation is unchanged
    assert mask.mean() == pytest.approx(1.0, abs=4 * np.sqrt(rate / (1 - rate) / mask.size))


def test_mask_is_u_greater_equal_rate_over_keep_probability():
    rate = 0.3
    mask = draw_mask(np.random.RandomState(5), rate, np.empty((4, 7)))
    u = np.random.RandomState(5).random_sample((4, 7))
    assert_array_equal(mask, (u >= rate) / (1 - rate))


def test_mask_with_a_generator_and_in_float32():
    rate = 0.25
    out = np.empty((8, 9), dtype=np.float32)
    mask = draw_mask(np.random.default_rng(3), rate, out)
    assert mask is out and mask.dtype == np.float32
    u = np.random.default_rng(3).random((8, 9), dtype=np.float32)  # drawn in float32
    assert_array_equal(mask, ((u >= rate) / (1 - rate)).astype(np.float32))
    mask64 = draw_mask(np.random.default_rng(3), rate, np.empty((8, 9)))
    assert mask64.dtype == np.float64
    assert_array_equal(mask64 > 0, mask > 0)  # the same draws in either dtype
    assert_array_equal(mask64, (u >= np.float32(rate)) / (1 - rate))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_generator_masks_keep_the_right_share_in_expectation(dtype):
    rate = 0.3
    mask = draw_mask(np.random.default_rng(0), rate, np.empty((400, 500), dtype))
    assert set(np.unique(mask).tolist()) == {0.0, np.float32(1 / 0.7).item()
                                             if dtype == np.float32 else 1 / 0.7}
    kept = np.mean(mask > 0)
    assert abs(kept - 0.7) < 4 * np.sqrt(0.21 / mask.size)  # within 4 standard errors
    assert abs(mask.mean() - 1.0) < 4 * np.sqrt(0.21 / mask.size) / 0.7


def test_mask_needs_a_generator():
    with pytest.raises(ValueError, match="needs a random generator: pass rng="):
        draw_mask(None, 0.5, np.empty((2, 2)))


# ---------------------------------------------------- training vs prediction


def test_forward_applies_the_mask_to_hidden_outputs_only():
    net, X, _ = make_net(0.5)
    plain = [a.copy() for a in net.forward(X)]
    dropped = net.forward(X, training=True, rng=np.random.RandomState(0))
    masks = net.dropout_masks
    assert len(masks) == 2 and all(m.shape == (30, n) for m, n in zip(masks, (50, 40)))
    # layer 1: exactly the plain activations times the mask
    assert_allclose(dropped[1], plain[1] * masks[0], rtol=1e-15)
    # layer 2: recomputed from the dropped layer 1, then masked
    hidden = np.maximum(dropped[1] @ net.coefs[1] + net.intercepts[1], 0) * masks[1]
    assert_allclose(dropped[2], hidden, rtol=1e-13)
    logits = dropped[2] @ net.coefs[2] + net.intercepts[2]
    probs = np.exp(logits - logits.max(axis=1, keepdims=True))
    assert_allclose(dropped[3], probs / probs.sum(axis=1, keepdims=True), rtol=1e-13)


def test_predict_and_plain_forward_never_drop():
    net, X, _ = make_net(0.7)
    expected = net.predict(X)
    net.forward(X, training=True, rng=np.random.RandomState(1))
    assert_array_equal(net.predict(X), expected)
    assert_array_equal(net.forward(X)[-1], expected)
    assert_array_equal(net.predict(X, n_layers=1), net.forward(X)[1])  # transform too
    no_dropout = Network(net.layer_sizes, "relu", "softmax")
    no_dropout.params[:] = net.params
    assert_array_equal(no_dropout.predict(X), expected)


def test_mean_over_masks_is_the_prediction_for_a_linear_network():
    """Inverted dropout keeps the expected activation: averaged over many masks,
    a network that is linear after the dropped layer predicts as without dropout."""
    net = Network((4, 30, 2), "relu", "identity", dropout=0.5)
    net.initialize(np.random.RandomState(0))
    X = np.random.RandomState(1).normal(size=(5, 4))
    rng = np.random.RandomState(2)
    runs = [net.forward(X, training=True, rng=rng)[-1].copy() for _ in range(4000)]
    spread = np.std(runs, axis=0) / np.sqrt(len(runs))
    assert np.all(np.abs(np.mean(runs, axis=0) - net.predict(X)) < 5 * spread + 1e-12)


def test_same_seed_same_masks_other_seed_other_masks():
    net, X, Y = make_net([0.3, 0.6])
    first = net.loss_gradient(X, Y, "log_loss", training=True, rng=np.random.RandomState(7))
    grad, masks = net.grad.copy(), [m.copy() for m in net.dropout_masks]
    again = net.loss_gradient(X, Y, "log_loss", training=True, rng=np.random.RandomState(7))
    assert again == first
    assert_array_equal(net.grad, grad)
    for a, b in zip(masks, net.dropout_masks):
        assert_array_equal(a, b)
    other = net.loss_gradient(X, Y, "log_loss", training=True, rng=np.random.RandomState(8))
    assert other != first
    assert all(not np.array_equal(a, b) for a, b in zip(masks, net.dropout_masks))


def test_masks_consume_the_generator_in_layer_order():
    net, X, _ = make_net([0.3, 0.6])
    rng = np.random.RandomState(4)
    net.forward(X, training=True, rng=rng)
    reference = np.random.RandomState(4)
    for mask, rate in zip(net.dropout_masks, (0.3, 0.6)):
        u = reference.random_sample(mask.shape)
        assert_array_equal(mask, (u >= rate) / (1 - rate))
    assert rng.random_sample() == reference.random_sample()  # nothing else was drawn


def test_generator_rng_is_supported():
    net, X, Y = make_net(0.4)
    a = net.loss_gradient(X, Y, "log_loss", training=True, rng=np.random.default_rng(0))
    b = net.loss_gradient(X, Y, "log_loss", training=True, rng=np.random.default_rng(0))
    assert a == b and np.isfinite(a)


def test_fixed_masks_reuse_the_last_masks():
    net, X, Y = make_net(0.5)
    net.forward(X, training=True, rng=np.random.RandomState(0))
    masks = [m.copy() for m in net.dropout_masks]
    value = net.loss_gradient(X, Y, "log_loss", training=True, fixed_masks=True)
    assert net.loss_gradient(X, Y, "log_loss", training=True, fixed_masks=True) == value
    for a, b in zip(masks, net.dropout_masks):
        assert_array_equal(a, b)
    with pytest.raises(ValueError, match=r"fixed_masks=True.*masks for 30 rows.*X has 10 rows"):
        net.loss_gradient(X[:10], Y[:10], "log_loss", training=True, fixed_masks=True)
    fresh, X, Y = make_net(0.5)
    with pytest.raises(ValueError, match=r"there are none.*forward\(X, training=True"):
        fresh.forward(X, training=True, fixed_masks=True)


def test_training_without_rng_is_an_error():
    net, X, _ = make_net(0.5)
    with pytest.raises(ValueError, match="rng="):
        net.forward(X, training=True)


def test_backward_uses_the_mask():
    """Weights out of a dropped unit get no gradient from that sample."""
    net, X, Y = make_net([0.5, 0.0], layer_sizes=(3, 20, 4, 2))
    net.loss_gradient(X[:1], Y[:1], "log_loss", training=True, rng=np.random.RandomState(3))
    dropped = net.dropout_masks[0][0] == 0
    assert dropped.any() and (~dropped).any()
    assert_array_equal(net.coef_grads[1][dropped], 0.0)  # their outgoing weights
    assert_array_equal(net.coef_grads[0][:, dropped], 0.0)  # and their incoming ones
    assert_array_equal(net.intercept_grads[0][dropped], 0.0)
    assert np.any(net.coef_grads[0][:, ~dropped] != 0)


def test_layers_with_rate_zero_have_no_mask():
    net, X, _ = make_net([0.0, 0.5])
    net.forward(X, training=True, rng=np.random.RandomState(0))
    assert net.dropout_masks[0] is None and net.dropout_masks[1] is not None
    assert net.dropout_rates == (0.0, 0.5)


def test_pickle_keeps_the_rates_not_the_masks():
    net, X, Y = make_net(0.5)
    net.loss_gradient(X, Y, "log_loss", training=True, rng=np.random.RandomState(0))
    clone = pickle.loads(pickle.dumps(net))
    assert clone.dropout_rates == net.dropout_rates and clone.dropout == 0.5
    assert clone.dropout_masks == [None, None]
    assert_array_equal(clone.predict(X), net.predict(X))
    a = clone.loss_gradient(X, Y, "log_loss", training=True, rng=np.random.RandomState(1))
    b = net.loss_gradient(X, Y, "log_loss", training=True, rng=np.random.RandomState(1))
    assert a == b


def test_float32_masks():
    net, X, Y = make_net(0.5, dtype=np.float32)
    net.loss_gradient(X, Y, "log_loss", training=True, rng=np.random.RandomState(0))
    assert all(m.dtype == np.float32 for m in net.dropout_masks)
    assert net.grad.dtype == np.float32


# ---------------------------------------------------------------- validation


def test_check_dropout():
    assert check_dropout(0.25, 3) == (0.25, 0.25, 0.25)
    assert check_dropout(0, 2) == (0.0, 0.0)
    assert check_dropout([0.1, 0.0], 2) == (0.1, 0.0)
    assert check_dropout(np.array([0.1, 0.2]), 2) == (0.1, 0.2)
    assert check_dropout(0.5, 0) == ()


@pytest.mark.parametrize(
    "dropout, pattern",
    [
        (1.0, r"dropout must be a rate in \[0, 1\).*got 1.0"),
        (-0.1, r"got -0.1"),
        (float("nan"), r"got nan"),
        ([0.1, 1.5], r"got \[0.1, 1.5\]"),
        ([0.1], r"one rate per hidden layer: got \[0.1\] \(1 rate\(s\)\) for 2 hidden"),
        ([0.1, 0.2, 0.3], r"\(3 rate\(s\)\) for 2 hidden"),
        ("0.5", r"not a sequence|got '0.5'"),
        (True, r"got True"),
        (None, r"not a sequence"),
    ],
)
def test_bad_dropout(dropout, pattern):
    with pytest.raises(ValueError, match=pattern):
        Network((3, 4, 4, 2), "relu", "softmax", dropout=dropout)
