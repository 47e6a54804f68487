"""Optimisers: each update against its formula written out by hand."""

import pickle

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose, assert_array_equal

from skfcnn.nn import _blocks
from skfcnn.nn import SGD, Adam, Network
from skfcnn.nn import optimizers
from skfcnn.nn.optimizers import (BLOCK_BYTES, OPTIMIZERS, Adagrad, AdamW, RMSprop, block_length,
                                  blocks)

BLOCK_SIZE = block_length(np.float64)  # elements per block in float64

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
        lambda: RMSprop(rho=0.8),
        lambda: Adagrad(initial_accumulator=0.1),
        lambda: AdamW(beta_1=0.8, beta_2=0.99, weight_decay=0.1),
    ],
    ids=["sgd-nesterov", "sgd-classical", "adam", "rmsprop", "adagrad", "adamw"],
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


@pytest.mark.parametrize("optimizer", [SGD(), SGD(momentum=0.0), Adam(), RMSprop(), Adagrad(),
                                       AdamW()])
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
    for opt in (SGD(), Adam(), RMSprop(), Adagrad(), AdamW()):
        params = THETA0.astype(np.float32)
        opt.init(params)
        opt.update(params, GRAD1.astype(np.float32), LR)
        assert params.dtype == np.float32
        for value in vars(opt).values():
            if isinstance(value, np.ndarray):
                assert value.dtype == np.float32


def test_float32_adamw_with_mask_stays_float32():
    params = THETA0.astype(np.float32)
    opt = AdamW().init(params, decay_mask=np.array([True, False, True, False, True]))
    opt.update(params, GRAD1.astype(np.float32), LR)
    assert params.dtype == np.float32 and opt.decay_mask.dtype == np.float32


# -- RMSprop ---------------------------------------------------------------------------------
def test_rmsprop_two_steps():
    rho, eps = 0.9, 1e-8
    params = THETA0.copy()
    opt = RMSprop().init(params)
    assert (opt.rho, opt.epsilon) == (rho, eps)
    assert opt.update(params, GRAD1, LR) is params
    v1 = (1 - rho) * GRAD1**2
    theta1 = THETA0 - LR * GRAD1 / (np.sqrt(v1) + eps)
    assert_allclose(opt.square_average, v1, rtol=1e-15)
    assert_allclose(params, theta1, rtol=1e-14, atol=1e-16)
    opt.update(params, GRAD2, LR)
    v2 = rho * v1 + (1 - rho) * GRAD2**2
    theta2 = theta1 - LR * GRAD2 / (np.sqrt(v2) + eps)
    assert_allclose(opt.square_average, v2, rtol=1e-14)
    assert_allclose(params, theta2, rtol=1e-14, atol=1e-16)


def test_rmsprop_epsilon_outside_square_root():
    params = np.zeros(1)
    RMSprop(rho=0.0, epsilon=0.5).init(params).update(params, np.array([1e-4]), 1.0)
    assert_allclose(params, [-1e-4 / (1e-4 + 0.5)], rtol=1e-14)


# -- Adagrad ---------------------------------------------------------------------------------
def test_adagrad_two_steps_from_initial_accumulator():
    eps, s0 = 1e-10, 0.1
    params = THETA0.copy()
    opt = Adagrad(initial_accumulator=s0).init(params)
    assert_array_equal(opt.sum_of_squares, np.full(5, s0))
    assert opt.update(params, GRAD1, LR) is params
    s1 = s0 + GRAD1**2
    theta1 = THETA0 - LR * GRAD1 / (np.sqrt(s1) + eps)
    assert_allclose(opt.sum_of_squares, s1, rtol=1e-15)
    assert_allclose(params, theta1, rtol=1e-14, atol=1e-16)
    opt.update(params, GRAD2, LR)
    s2 = s1 + GRAD2**2
    theta2 = theta1 - LR * GRAD2 / (np.sqrt(s2) + eps)
    assert_allclose(opt.sum_of_squares, s2, rtol=1e-14)
    assert_allclose(params, theta2, rtol=1e-14, atol=1e-16)


def test_adagrad_defaults_and_zero_gradient_leaves_params():
    opt = Adagrad()
    assert (opt.epsilon, opt.initial_accumulator) == (1e-10, 0.0)
    params = THETA0.copy()
    opt.init(params).update(params, np.zeros(5), LR)  # 0 / (0 + eps): no NaN
    assert_array_equal(params, THETA0)


# -- AdamW -----------------------------------------------------------------------------------
def _adam_reference(theta, grads, lr, b1=0.9, b2=0.999, eps=1e-8, wd=0.0, mask=1.0):
    m = np.zeros_like(theta)
    v = np.zeros_like(theta)
    theta = theta.copy()
    for t, grad in enumerate(grads, start=1):
        theta = theta - lr * wd * mask * theta  # decoupled decay first, with the scheduled lr
        m = b1 * m + (1 - b1) * grad
        v = b2 * v + (1 - b2) * grad**2
        lr_t = lr * np.sqrt(1 - b2**t) / (1 - b1**t)
        theta = theta - lr_t * m / (np.sqrt(v) + eps)
    return theta


def test_adamw_two_steps_against_formula():
    wd, lr = 0.1, 0.5  # large enough that the decay is far above rounding
    params = THETA0.copy()
    opt = AdamW(weight_decay=wd).init(params)
    assert opt.weight_decay == wd and opt.decay_mask is None
    assert opt.update(params, GRAD1, lr) is params
    m1 = 0.1 * GRAD1
    v1 = 0.001 * GRAD1**2
    decayed = THETA0 - lr * wd * THETA0
    theta1 = decayed - lr * np.sqrt(1 - 0.999) / (1 - 0.9) * m1 / (np.sqrt(v1) + 1e-8)
    assert_allclose(params, theta1, rtol=1e-14, atol=1e-15)
    # the zero-gradient entry moved by the decay alone
    assert params[2] == pytest.approx(THETA0[2] * (1 - lr * wd), rel=1e-15)
    opt.update(params, GRAD2, lr)
    expected = _adam_reference(THETA0, [GRAD1, GRAD2], lr, wd=wd)
    assert opt.t == 2
    assert_allclose(params, expected, rtol=1e-14, atol=1e-15)
    assert not np.allclose(params, _adam_reference(THETA0, [GRAD1, GRAD2], lr))


def test_adamw_decay_uses_the_scheduled_rate():
    a, b = np.ones(3), np.ones(3)
    AdamW(weight_decay=0.5).init(a).update(a, np.zeros(3), 0.1)
    AdamW(weight_decay=0.5).init(b).update(b, np.zeros(3), 0.2)
    assert_allclose(a, 1 - 0.1 * 0.5, rtol=1e-15)
    assert_allclose(b, 1 - 0.2 * 0.5, rtol=1e-15)


@pytest.mark.parametrize("mask", [np.array([True, False, True, False, True]),
                                  np.array([1, 0, 1, 0, 1])], ids=["bool", "int"])
def test_adamw_decay_mask_leaves_masked_entries_undecayed(mask):
    wd, lr = 0.2, 0.3
    params = THETA0.copy()
    opt = AdamW(weight_decay=wd).init(params, decay_mask=mask)
    for grad in (GRAD1, GRAD2):
        opt.update(params, grad, lr)
    expected = _adam_reference(THETA0, [GRAD1, GRAD2], lr, wd=wd, mask=mask.astype(float))
    assert_allclose(params, expected, rtol=1e-14, atol=1e-15)
    keep = ~mask.astype(bool)
    no_decay = _adam_reference(THETA0, [GRAD1, GRAD2], lr)
    assert_allclose(params[keep], no_decay[keep], rtol=1e-15, atol=0)
    assert not np.allclose(params[~keep], no_decay[~keep])


def test_adamw_all_ones_mask_equals_no_mask_bit_for_bit():
    a, b = THETA0.copy(), THETA0.copy()
    opt_a = AdamW(weight_decay=0.3).init(a)
    opt_b = AdamW(weight_decay=0.3).init(b, decay_mask=np.ones(5, dtype=bool))
    for grad in (GRAD1, GRAD2):
        opt_a.update(a, grad, LR)
        opt_b.update(b, grad, LR)
    assert_array_equal(a, b)


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n_steps=st.integers(1, 5), lr=st.floats(1e-4, 1.0))
def test_adamw_without_decay_is_adam_bit_for_bit(seed, n_steps, lr):
    rng = np.random.RandomState(seed)
    a = rng.normal(size=7)
    a[0] = -0.0
    b = a.copy()
    adam = Adam(beta_1=0.8, beta_2=0.99, epsilon=1e-7).init(a)
    adamw = AdamW(beta_1=0.8, beta_2=0.99, epsilon=1e-7, weight_decay=0.0).init(
        b, decay_mask=rng.rand(7) > 0.5)
    for _ in range(n_steps):
        grad = rng.normal(size=7)
        adam.update(a, grad, lr)
        adamw.update(b, grad, lr)
    assert_array_equal(a, b)
    assert_array_equal(np.signbit(a), np.signbit(b))
    assert_array_equal(adam.first_moment, adamw.first_moment)
    assert_array_equal(adam.second_moment, adamw.second_moment)


def test_adamw_init_without_mask_keeps_the_one_argument_protocol():
    params = THETA0.copy()
    opt = AdamW()
    assert opt.init(params) is opt
    assert opt.init(params, decay_mask=None) is opt and opt.decay_mask is None


def test_adamw_state_and_mask_survive_pickling():
    params = THETA0.copy()
    mask = np.array([1, 0, 1, 0, 1])
    opt = AdamW(weight_decay=0.2).init(params, decay_mask=mask)
    opt.update(params, GRAD1, LR)
    restored = pickle.loads(pickle.dumps(opt))
    assert_array_equal(restored.decay_mask, mask)
    copy_params = params.copy()
    opt.update(params, GRAD2, LR)
    restored.update(copy_params, GRAD2, LR)
    assert_array_equal(copy_params, params)


@pytest.mark.parametrize("mask, message", [(np.ones(4), "shape"),
                                           (np.array([0, 1, 2, 0, 1]), "0 and 1")])
def test_adamw_rejects_bad_masks(mask, message):
    with pytest.raises(ValueError, match=message):
        AdamW().init(THETA0.copy(), decay_mask=mask)


# -- all optimisers --------------------------------------------------------------------------
def test_registry_names_the_classes():
    assert OPTIMIZERS == {"sgd": SGD, "adam": Adam, "rmsprop": RMSprop, "adagrad": Adagrad,
                          "adamw": AdamW}


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_update_allocates_no_new_state(name):
    params = THETA0.copy()
    opt = OPTIMIZERS[name]().init(params)
    arrays = {k: v for k, v in vars(opt).items() if isinstance(v, np.ndarray)}
    opt.update(params, GRAD1, LR)
    opt.update(params, GRAD2, LR)
    for key, value in arrays.items():
        assert getattr(opt, key) is value, key


@pytest.mark.parametrize("optimizer, text", [
    (SGD(), "SGD(momentum=0.9, nesterov=True)"),
    (Adam(), "Adam(beta_1=0.9, beta_2=0.999, epsilon=1e-08)"),
    (AdamW(weight_decay=0.1), "AdamW(beta_1=0.9, beta_2=0.999, epsilon=1e-08, weight_decay=0.1)"),
    (RMSprop(), "RMSprop(rho=0.9, epsilon=1e-08)"),
    (Adagrad(), "Adagrad(epsilon=1e-10, initial_accumulator=0.0)"),
])
def test_repr_shows_the_constructor_arguments(optimizer, text):
    assert repr(optimizer) == text


@pytest.mark.parametrize("make, name", [
    (lambda: SGD(momentum=1.5), "momentum"),
    (lambda: Adam(beta_1=1.0), "beta_1"),
    (lambda: Adam(beta_2=-0.1), "beta_2"),
    (lambda: Adam(epsilon=0.0), "epsilon"),
    (lambda: RMSprop(rho=1.0), "rho"),
    (lambda: RMSprop(epsilon=-1e-8), "epsilon"),
    (lambda: Adagrad(epsilon=0), "epsilon"),
    (lambda: Adagrad(initial_accumulator=-1.0), "initial_accumulator"),
    (lambda: AdamW(weight_decay=-0.01), "weight_decay"),
    (lambda: AdamW(weight_decay=float("nan")), "weight_decay"),
])
def test_bad_hyper_parameters_raise_naming_them(make, name):
    with pytest.raises(ValueError, match=f"'{name}'"):
        make()


# -- updates by cache-sized blocks: the same numbers as one pass, and as scikit-learn's -----
def _sklearn_optimizer(name, param, learning_rate):
    from sklearn.neural_network._stochastic_optimizers import AdamOptimizer, SGDOptimizer

    if name == "adam":
        return AdamOptimizer([param], learning_rate_init=learning_rate)
    return SGDOptimizer([param], learning_rate_init=learning_rate, momentum=0.9,
                        nesterov=name == "nesterov")


@pytest.mark.parametrize("name", ["adam", "nesterov", "momentum"])
@pytest.mark.parametrize("size", [7, BLOCK_SIZE, 2 * BLOCK_SIZE + 5])
def test_adam_and_sgd_equal_scikit_learn_bit_for_bit(name, size):
    rng = np.random.default_rng(size)
    theirs = rng.standard_normal(size)
    ours = theirs.copy()
    peer = _sklearn_optimizer(name, theirs, 0.01)
    opt = Adam() if name == "adam" else SGD(momentum=0.9, nesterov=name == "nesterov")
    opt.init(ours)
    for _ in range(4):
        grad = rng.standard_normal(size)
        peer.update_params([theirs], [grad])
        opt.update(ours, grad, 0.01)
    assert_array_equal(ours, theirs)


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_blocks_give_the_numbers_of_a_single_pass(name, dtype, monkeypatch):
    rng = np.random.default_rng(3)
    size = 3 * 1000 + 17
    start = rng.standard_normal(size).astype(dtype)
    grads = [rng.standard_normal(size).astype(dtype) for _ in range(3)]
    results = []
    for block_size in (size, 1000):  # one block, then four (the last one short)
        monkeypatch.setattr(_blocks, "BLOCK_BYTES", block_size * np.dtype(dtype).itemsize)
        params = start.copy()
        opt = OPTIMIZERS[name]().init(params)
        assert opt._scratch.shape[1] == min(size, block_size)
        for grad in grads:
            opt.update(params, grad, np.float64(0.01))
        assert params.dtype == dtype
        results.append(params)
    assert_array_equal(*results)


def test_blocks_cover_the_vector_once():
    covered = np.zeros(10, int)
    for block in blocks(10, 4):
        covered[block] += 1
    assert_array_equal(covered, 1)
    assert [b.stop - b.start for b in blocks(10, 4)] == [4, 4, 4]
    assert blocks(0, 4) == []


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_optimizer_pickled_with_a_full_length_scratch_still_updates(name):
    params = THETA0.copy()
    opt = OPTIMIZERS[name]().init(params)
    state = dict(pickle.loads(pickle.dumps(vars(opt))), _scratch=np.empty_like(params))
    # (a full-length scratch vector: the layout before blocks)
    old = object.__new__(type(opt))
    old.__setstate__(state)
    expected = opt.update(params.copy(), GRAD1, LR)
    assert_array_equal(old.update(params.copy(), GRAD1, LR), expected)


def test_blocks_hold_the_same_bytes_in_every_dtype():
    assert block_length(np.float64) * 8 == block_length(np.float32) * 4 == BLOCK_BYTES
    for dtype in (np.float32, np.float64):
        opt = Adam().init(np.zeros(10**6, dtype))
        assert opt._scratch.shape == (2, block_length(dtype))
        assert opt._scratch.nbytes == 2 * BLOCK_BYTES
        assert Adam().init(np.zeros(5, dtype))._scratch.shape == (2, 5)  # never past the vector
