"""Optimisers: each update against its formula written out by hand."""

import pickle

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose, assert_array_equal

from skfcnn.nn import SGD, Adam, Network

THETA0 = np.array([0.5, -1.0, 2.0, 0.0, 3.0])
GRAD1 = np.array([0.1, -0.2, 0.0, 1.5, -3.0])
GRAD2 = np.array([-0.3, 0.4, 0.25, 1.0, 2.0])
LR = 0.05


def test_plain_sgd_step():
    params = THETA0.copy()
    opt = SGD(momentum=0.0, nesterov=False).init(params)
    result = opt.update(params, GRAD1, LR)
    assert result is params
    assert_allclose(params, THETA0 - LR * GRAD1, rtol=1e-15, atol=1e-17)
    opt.update(params, GRAD2, LR)
    assert_allclose(params, THETA0 - LR * GRAD1 - LR * GRAD2, rtol=1e-15, atol=1e-17)


def test_plain_sgd_nesterov_flag_is_irrelevant_without_momentum():
    a, b = THETA0.copy(), THETA0.copy()
    SGD(momentum=0.0, nesterov=True).init(a).update(a, GRAD1, LR)
    SGD(momentum=0.0, nesterov=False).init(b).update(b, GRAD1, LR)
    assert_allclose(a, b, rtol=1e-15, atol=0)


def test_classical_momentum_two_steps():
    mu = 0.9
    params = THETA0.copy()
    opt = SGD(momentum=mu, nesterov=False).init(params)
    opt.update(params, GRAD1, LR)
    v1 = mu * 0.0 - LR * GRAD1
    theta1 = THETA0 + v1
    assert_allclose(params, theta1, rtol=1e-15, atol=1e-17)
    assert_allclose(opt.velocity, v1, rtol=1e-15, atol=1e-17)
    opt.update(params, GRAD2, LR)
    v2 = mu * v1 - LR * GRAD2
    assert_allclose(opt.velocity, v2, rtol=1e-15, atol=1e-17)
    assert_allclose(params, theta1 + v2, rtol=1e-15, atol=1e-16)


def test_nesterov_momentum_two_steps():
    mu = 0.9
    params = THETA0.copy()
    opt = SGD(momentum=mu, nesterov=True).init(params)
    opt.update(params, GRAD1, LR)
    v1 = -LR * GRAD1
    theta1 = THETA0 + mu * v1 - LR * GRAD1
    assert_allclose(params, theta1, rtol=1e-15, atol=1e-17)
    opt.update(params, GRAD2, LR)
    v2 = mu * v1 - LR * GRAD2
    theta2 = theta1 + mu * v2 - LR * GRAD2
    assert_allclose(opt.velocity, v2, rtol=1e-15, atol=1e-17)
    assert_allclose(params, theta2, rtol=1e-14, atol=1e-16)
    # and it differs from classical momentum (the test can tell them apart)
    assert not np.allclose(theta2, THETA0 + v1 + v2)


def test_sgd_defaults_match_scikit_learn():
    opt = SGD()
    assert opt.momentum == 0.9 and opt.nesterov is True


def test_adam_two_steps_with_bias_correction():
    b1, b2, eps = 0.9, 0.999, 1e-8
    params = THETA0.copy()
    opt = Adam().init(params)
    assert (opt.beta_1, opt.beta_2, opt.epsilon) == (b1, b2, eps)

    result = opt.update(params, GRAD1, LR)
    assert result is params
    m1 = (1 - b1) * GRAD1
    v1 = (1 - b2) * GRAD1**2
    lr1 = LR * np.sqrt(1 - b2**1) / (1 - b1**1)
    theta1 = THETA0 - lr1 * m1 / (np.sqrt(v1) + eps)
    assert opt.t == 1
    assert_allclose(opt.first_moment, m1, rtol=1e-15)
    assert_allclose(opt.second_moment, v1, rtol=1e-15)
    assert_allclose(params, theta1, rtol=1e-14, atol=1e-16)
    # the bias-corrected first step has size ~LR along every non-zero gradient
    moved = GRAD1 != 0
    assert_allclose(np.abs(params - THETA0)[moved], LR, rtol=1e-5)
    assert params[~moved] == THETA0[~moved]

    opt.update(params, GRAD2, LR)
    m2 = b1 * m1 + (1 - b1) * GRAD2
    v2 = b2 * v1 + (1 - b2) * GRAD2**2
    lr2 = LR * np.sqrt(1 - b2**2) / (1 - b1**2)
    theta2 = theta1 - lr2 * m2 / (np.sqrt(v2) + eps)
    assert opt.t == 2
    assert_allclose(opt.first_moment, m2, rtol=1e-14)
    assert_allclose(opt.second_moment, v2, rtol=1e-14)
    assert_allclose(params, theta2, rtol=1e-14, atol=1e-16)


def test_adam_epsilon_outside_square_root():
    params = np.zeros(1)
    opt = Adam(epsilon=0.5).init(params)
    opt.update(params, np.array([1e-4]), 1.0)
    # m = 1e-5, v = 1e-11, lr_t = sqrt(0.001) / 0.1
    expected = -(np.sqrt(0.001) / 0.1) * 1e-5 / (np.sqrt(1e-11) + 0.5)
    assert_allclose(params, [expected], rtol=1e-13)


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    n_steps=st.integers(1, 6),
    lr=st.floats(1e-4, 1.0),
    beta_1=st.floats(0.0, 0.99),
    beta_2=st.floats(0.5, 0.9999),
)
def test_adam_matches_reference_over_several_steps(seed, n_steps, lr, beta_1, beta_2):
    rng = np.random.RandomState(seed)
    params = rng.normal(size=7)
    reference = params.copy()
    m = np.zeros(7)
    v = np.zeros(7)
    opt = Adam(beta_1=beta_1, beta_2=beta_2).init(params)
    for t in range(1, n_steps + 1):
        grad = rng.normal(size=7)
        opt.update(params, grad, lr)
        m = beta_1 * m + (1 - beta_1) * grad
        v = beta_2 * v + (1 - beta_2) * grad**2
        lr_t = lr * np.sqrt(1 - beta_2**t) / (1 - beta_1**t)
        reference -= lr_t * m / (np.sqrt(v) + 1e-8)
    assert_allclose(params, reference, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize(
    "make",
    [
        lambda: SGD(momentum=0.9, nesterov=True),
        lambda: SGD(momentum=0.5, nesterov=False),
        lambda: Adam(beta_1=0.8, beta_2=0.99),
    ],
    ids=["sgd-nesterov", "sgd-classical", "adam"],
)
def test_optimizer_state_survives_pickling(make):
    params = THETA0.copy()
    opt = make().init(params)
    opt.update(params, GRAD1, LR)
    copy_params = params.copy()
    restored = pickle.loads(pickle.dumps(opt))
    assert type(restored) is type(opt)
    state = {k: v for k, v in vars(opt).items() if not k.startswith("_")}
    for key, value in state.items():
        if isinstance(value, np.ndarray):
            assert_array_equal(getattr(restored, key), value)
            assert not np.shares_memory(getattr(restored, key), value)
        else:
            assert getattr(restored, key) == value
    # the next step from the restored state equals the next step of the original
    opt.update(params, GRAD2, LR)
    restored.update(copy_params, GRAD2, LR)
    assert_array_equal(copy_params, params)
    # and differs from the step of a fresh optimiser: the state mattered
    fresh_params = THETA0.copy()
    make().init(fresh_params).update(fresh_params, GRAD1, LR)  # same theta_1
    fresh = make().init(fresh_params)
    fresh.update(fresh_params, GRAD2, LR)
    assert not np.allclose(fresh_params, params)


@pytest.mark.parametrize("optimizer", [SGD(), SGD(momentum=0.0), Adam()])
def test_update_in_place_through_network_views(optimizer):
    net = Network((3, 4, 2), "relu", "softmax").initialize(np.random.RandomState(0))
    params = net.params
    before = params.copy()
    coef_view = net.coefs[0]
    optimizer.init(params)
    grad = np.random.RandomState(1).normal(size=params.size)
    assert optimizer.update(params, grad, 0.01) is params
    assert net.params is params
    assert np.shares_memory(coef_view, net.params)
    assert not np.array_equal(params, before)
    # the per-layer views see the new values
    assert_array_equal(net.coefs[0].ravel(), params[: 3 * 4])
    assert not np.array_equal(coef_view.ravel(), before[: 3 * 4])


def test_float32_state_and_params_stay_float32():
    for opt in (SGD(), Adam()):
        params = THETA0.astype(np.float32)
        opt.init(params)
        opt.update(params, GRAD1.astype(np.float32), LR)
        assert params.dtype == np.float32
        for value in vars(opt).values():
            if isinstance(value, np.ndarray):
                assert value.dtype == np.float32
