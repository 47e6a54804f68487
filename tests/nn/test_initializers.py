"""Initialisers: the distributions they draw from, biases, dtype, symmetry, errors."""

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from skfcnn.nn import Network
from skfcnn.nn.initializers import INITIALIZERS

FAN_IN, FAN_OUT = 300, 200  # 60 000 weights: sample moments within ~1% of the truth


def draw(name, scale=None, activation="relu", rng=None, dtype=np.float64):
    rng = np.random.RandomState(0) if rng is None else rng
    return INITIALIZERS[name](FAN_IN, FAN_OUT, rng, dtype, activation, scale=scale)


def assert_moments(coef, std, uniform_bound=None):
    """Mean ~ 0 and standard deviation ~ std (4 standard errors); bounds if uniform."""
    n = coef.size
    assert abs(coef.mean()) < 4 * std / np.sqrt(n)
    assert coef.std() == pytest.approx(std, rel=4 / np.sqrt(2 * n) + 1e-3)
    if uniform_bound is not None:
        assert np.abs(coef).max() <= uniform_bound
        assert np.abs(coef).max() > 0.999 * uniform_bound  # fills its range
    else:  # normal: about 0.27% of draws beyond 3 std, none beyond 6
        beyond = np.mean(np.abs(coef) > 3 * std)
        assert 0.0015 < beyond < 0.004
        assert np.abs(coef).max() < 6 * std


def test_registry():
    assert set(INITIALIZERS) == {"glorot_uniform", "glorot_normal", "he_uniform",
                                 "he_normal", "normal", "uniform", "zeros"}


@pytest.mark.parametrize("activation, factor", [("relu", 6.0), ("logistic", 2.0)])
def test_glorot_uniform(activation, factor):
    coef, intercept = draw("glorot_uniform", activation=activation)
    bound = np.sqrt(factor / (FAN_IN + FAN_OUT))
    assert_moments(coef, bound / np.sqrt(3), uniform_bound=bound)
    assert np.abs(intercept).max() <= bound and np.any(intercept != 0)  # biases drawn too
    # unchanged draw order: weights then biases, both U(-bound, bound)
    rng = np.random.RandomState(0)
    assert_array_equal(coef, rng.uniform(-bound, bound, (FAN_IN, FAN_OUT)))
    assert_array_equal(intercept, rng.uniform(-bound, bound, FAN_OUT))


def test_glorot_normal():
    coef, intercept = draw("glorot_normal")
    assert_moments(coef, np.sqrt(2 / (FAN_IN + FAN_OUT)))
    assert_array_equal(intercept, 0.0)


def test_he_uniform():
    coef, intercept = draw("he_uniform")
    bound = np.sqrt(6 / FAN_IN)
    assert_moments(coef, bound / np.sqrt(3), uniform_bound=bound)
    assert_array_equal(intercept, 0.0)


def test_he_normal():
    coef, intercept = draw("he_normal")
    assert_moments(coef, np.sqrt(2 / FAN_IN))  # variance 2 / fan_in
    assert_array_equal(intercept, 0.0)


def test_normal_default_is_the_tutorials_weight_init_std():
    coef, intercept = draw("normal")
    assert_moments(coef, 0.01)
    assert_array_equal(intercept, 0.0)
    # exactly weight_init_std * randn (seed 1)
    assert_array_equal(coef, 0.01 * np.random.RandomState(0).randn(FAN_IN, FAN_OUT))
    coef, _ = draw("normal", scale=0.1)  # seed 3's 0.1 * randn
    assert_moments(coef, 0.1)


def test_uniform_default_is_minus_one_to_one():
    coef, intercept = draw("uniform")
    assert_moments(coef, 1 / np.sqrt(3), uniform_bound=1.0)
    assert_array_equal(intercept, 0.0)
    coef, _ = draw("uniform", scale=0.5)
    assert_moments(coef, 0.5 / np.sqrt(3), uniform_bound=0.5)


def test_zeros():
    rng = np.random.RandomState(0)
    coef, intercept = draw("zeros", rng=rng)
    assert_array_equal(coef, 0.0)
    assert_array_equal(intercept, 0.0)
    assert rng.random_sample() == np.random.RandomState(0).random_sample()  # nothing drawn


@pytest.mark.parametrize("name, std", [
    ("glorot_uniform", np.sqrt(6 / 500) / np.sqrt(3)),
    ("glorot_normal", np.sqrt(2 / 500)),
    ("he_uniform", np.sqrt(6 / 300) / np.sqrt(3)),
    ("he_normal", np.sqrt(2 / 300)),
])
def test_scale_is_a_gain_for_variance_scaling_schemes(name, std):
    coef, _ = draw(name, scale=3.0)
    assert_moments(coef, 3.0 * std, uniform_bound=3.0 * std * np.sqrt(3)
                   if name.endswith("uniform") else None)
    assert_array_equal(draw(name, scale=1.0)[0], draw(name)[0])


@pytest.mark.parametrize("name", sorted(INITIALIZERS))
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dtype_and_shapes(name, dtype):
    coef, intercept = INITIALIZERS[name](3, 5, np.random.RandomState(0), dtype)
    assert coef.shape == (3, 5) and intercept.shape == (5,)
    assert coef.dtype == intercept.dtype == dtype


@pytest.mark.parametrize("name", sorted(set(INITIALIZERS) - {"zeros"}))
def test_generator_and_seed_determinism(name):
    a, _ = INITIALIZERS[name](4, 6, np.random.default_rng(1), np.float64)
    b, _ = INITIALIZERS[name](4, 6, np.random.default_rng(1), np.float64)
    c, _ = INITIALIZERS[name](4, 6, np.random.default_rng(2), np.float64)
    assert_array_equal(a, b)
    assert not np.array_equal(a, c)


# ------------------------------------------------------------ via the network


@pytest.mark.parametrize("name", sorted(INITIALIZERS))
def test_network_initialize_with_each_scheme(name):
    net = Network((5, 7, 3), "relu", "softmax", dtype=np.float32)
    assert net.initialize(np.random.RandomState(0), name) is net
    assert net.params.dtype == np.float32
    rng = np.random.RandomState(0)
    for coef, intercept in zip(net.coefs, net.intercepts):
        expected = INITIALIZERS[name](*coef.shape, rng, np.float32, "relu")
        assert_array_equal(coef, expected[0])
        assert_array_equal(intercept, expected[1])
        if name != "glorot_uniform":
            assert_array_equal(intercept, 0.0)


def test_network_initialize_scale_and_default():
    net = Network((50, 60, 2), "relu", "identity")
    net.initialize(np.random.RandomState(0), "normal", scale=0.5)
    assert net.coefs[0].std() == pytest.approx(0.5, rel=0.05)
    net.initialize(np.random.RandomState(0), "normal")
    assert net.coefs[0].std() == pytest.approx(0.01, rel=0.05)
    default = Network((50, 60, 2), "relu", "identity").initialize(np.random.RandomState(0))
    explicit = Network((50, 60, 2), "relu", "identity")
    explicit.initialize(np.random.RandomState(0), "glorot_uniform", None)
    assert_array_equal(default.params, explicit.params)


def test_unknown_initializer():
    net = Network((3, 4, 2), "relu", "softmax")
    with pytest.raises(ValueError, match=r"init 'lecun' is not supported; allowed are \[.*"
                                         r"'he_normal'.*'zeros'\]"):
        net.initialize(np.random.RandomState(0), "lecun")


@pytest.mark.parametrize("activation", ["logistic", "tanh"])
def test_zeros_never_breaks_symmetry(activation):
    """Seed 4's finding: with all-zero weights every hidden unit of a layer
    computes the same function and gets the same update, forever."""
    net = Network((6, 5, 4, 3), activation, "logistic").initialize(np.random.RandomState(0),
                                                                   "zeros")
    rng = np.random.RandomState(1)
    X = rng.normal(size=(40, 6))
    Y = np.eye(3)[rng.randint(3, size=40)]
    first_loss = net.loss_gradient(X, Y, "squared_error")
    for _ in range(50):
        net.loss_gradient(X, Y, "squared_error")
        net.params -= 0.5 * net.grad
    last_loss = net.loss_gradient(X, Y, "squared_error")
    assert last_loss < first_loss  # something was learnt (the output biases) ...
    # ... but every hidden unit is still a copy of the first (up to the rounding
    # of BLAS, which may sum the columns of one product in different orders)
    for layer in range(2):
        coef, intercept = net.coefs[layer], net.intercepts[layer]
        if activation == "logistic":  # they did move (hidden outputs are 0.5) ...
            assert np.abs(coef).max() > 1e-6
        else:  # ... while tanh(0) = 0 passes nothing on: the weights never move
            assert_array_equal(coef, 0.0)
        assert_allclose(coef, np.repeat(coef[:, :1], coef.shape[1], axis=1), rtol=1e-12)
        assert_allclose(intercept, intercept[0], rtol=1e-12)
    hidden = net.predict(X, n_layers=2)
    assert_allclose(hidden, np.repeat(hidden[:, :1], hidden.shape[1], axis=1), rtol=1e-12)
