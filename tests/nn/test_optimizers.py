"""Optimisers: each update against its formula written out by hand; the protocol
(hyper-parameters on the object, state apart) and the pickles of skfcnn 0.1.0."""

import copy
import pickle

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose, assert_array_equal

from skfcnn.nn import SGD, Adam, Network, _blocks
from skfcnn.nn.optimizers import (
    BLOCK_BYTES,
    OPTIMIZERS,
    Adagrad,
    AdamW,
    Optimizer,
    OptimizerState,
    RMSprop,
    block_length,
    blocks,
    take_legacy_state,
)

BLOCK_SIZE = block_length(np.float64)  # elements per block in float64

THETA0 = np.array([0.5, -1.0, 2.0, 0.0, 3.0])
GRAD1 = np.array([0.1, -0.2, 0.0, 1.5, -3.0])
GRAD2 = np.array([-0.3, 0.4, 0.25, 1.0, 2.0])
LR = 0.05


def _step(optimizer, params, grad, learning_rate):
    """One update of ``params`` from a fresh state; returns the state."""
    state = optimizer.init(params)
    optimizer.update(params, grad, learning_rate, state)
    return state


def test_plain_sgd_step():
    params = THETA0.copy()
    opt = SGD(momentum=0.0, nesterov=False)
    state = opt.init(params)
    result = opt.update(params, GRAD1, LR, state)
    assert result is params
    assert_allclose(params, THETA0 - LR * GRAD1, rtol=1e-15, atol=1e-17)
    opt.update(params, GRAD2, LR, state)
    assert_allclose(params, THETA0 - LR * GRAD1 - LR * GRAD2, rtol=1e-15, atol=1e-17)


def test_plain_sgd_nesterov_flag_is_irrelevant_without_momentum():
    a, b = THETA0.copy(), THETA0.copy()
    _step(SGD(momentum=0.0, nesterov=True), a, GRAD1, LR)
    _step(SGD(momentum=0.0, nesterov=False), b, GRAD1, LR)
    assert_allclose(a, b, rtol=1e-15, atol=0)


def test_classical_momentum_two_steps():
    mu = 0.9
    params = THETA0.copy()
    opt = SGD(momentum=mu, nesterov=False)
    state = opt.init(params)
    opt.update(params, GRAD1, LR, state)
    v1 = mu * 0.0 - LR * GRAD1
    theta1 = THETA0 + v1
    assert_allclose(params, theta1, rtol=1e-15, atol=1e-17)
    assert_allclose(state.velocity, v1, rtol=1e-15, atol=1e-17)
    opt.update(params, GRAD2, LR, state)
    v2 = mu * v1 - LR * GRAD2
    assert_allclose(state.velocity, v2, rtol=1e-15, atol=1e-17)
    assert_allclose(params, theta1 + v2, rtol=1e-15, atol=1e-16)


def test_nesterov_momentum_two_steps():
    mu = 0.9
    params = THETA0.copy()
    opt = SGD(momentum=mu, nesterov=True)
    state = opt.init(params)
    opt.update(params, GRAD1, LR, state)
    v1 = -LR * GRAD1
    theta1 = THETA0 + mu * v1 - LR * GRAD1
    assert_allclose(params, theta1, rtol=1e-15, atol=1e-17)
    opt.update(params, GRAD2, LR, state)
    v2 = mu * v1 - LR * GRAD2
    theta2 = theta1 + mu * v2 - LR * GRAD2
    assert_allclose(state.velocity, v2, rtol=1e-15, atol=1e-17)
    assert_allclose(params, theta2, rtol=1e-14, atol=1e-16)
    # and it differs from classical momentum (the test can tell them apart)
    assert not np.allclose(theta2, THETA0 + v1 + v2)


def test_sgd_defaults_match_scikit_learn():
    opt = SGD()
    assert opt.momentum == 0.9 and opt.nesterov is True


def test_adam_two_steps_with_bias_correction():
    b1, b2, eps = 0.9, 0.999, 1e-8
    params = THETA0.copy()
    opt = Adam()
    state = opt.init(params)
    assert (opt.beta_1, opt.beta_2, opt.epsilon) == (b1, b2, eps)
    assert state.t == 0

    result = opt.update(params, GRAD1, LR, state)
    assert result is params
    m1 = (1 - b1) * GRAD1
    v1 = (1 - b2) * GRAD1**2
    lr1 = LR * np.sqrt(1 - b2**1) / (1 - b1**1)
    theta1 = THETA0 - lr1 * m1 / (np.sqrt(v1) + eps)
    assert state.t == 1
    assert_allclose(state.first_moment, m1, rtol=1e-15)
    assert_allclose(state.second_moment, v1, rtol=1e-15)
    assert_allclose(params, theta1, rtol=1e-14, atol=1e-16)
    # the bias-corrected first step has size ~LR along every non-zero gradient
    moved = GRAD1 != 0
    assert_allclose(np.abs(params - THETA0)[moved], LR, rtol=1e-5)
    assert params[~moved] == THETA0[~moved]

    opt.update(params, GRAD2, LR, state)
    m2 = b1 * m1 + (1 - b1) * GRAD2
    v2 = b2 * v1 + (1 - b2) * GRAD2**2
    lr2 = LR * np.sqrt(1 - b2**2) / (1 - b1**2)
    theta2 = theta1 - lr2 * m2 / (np.sqrt(v2) + eps)
    assert state.t == 2
    assert_allclose(state.first_moment, m2, rtol=1e-14)
    assert_allclose(state.second_moment, v2, rtol=1e-14)
    assert_allclose(params, theta2, rtol=1e-14, atol=1e-16)


def test_adam_epsilon_outside_square_root():
    params = np.zeros(1)
    _step(Adam(epsilon=0.5), params, np.array([1e-4]), 1.0)
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
    opt = Adam(beta_1=beta_1, beta_2=beta_2)
    state = opt.init(params)
    for t in range(1, n_steps + 1):
        grad = rng.normal(size=7)
        opt.update(params, grad, lr, state)
        m = beta_1 * m + (1 - beta_1) * grad
        v = beta_2 * v + (1 - beta_2) * grad**2
        lr_t = lr * np.sqrt(1 - beta_2**t) / (1 - beta_1**t)
        reference -= lr_t * m / (np.sqrt(v) + 1e-8)
    assert_allclose(params, reference, rtol=1e-12, atol=1e-14)


MAKERS = {
    "sgd-nesterov": lambda: SGD(momentum=0.9, nesterov=True),
    "sgd-classical": lambda: SGD(momentum=0.5, nesterov=False),
    "adam": lambda: Adam(beta_1=0.8, beta_2=0.99),
    "rmsprop": lambda: RMSprop(rho=0.8),
    "adagrad": lambda: Adagrad(initial_accumulator=0.1),
    "adamw": lambda: AdamW(beta_1=0.8, beta_2=0.99, weight_decay=0.1),
}


def _arrays(state):
    return {k: v for k, v in vars(state).items() if isinstance(v, np.ndarray) and k != "scratch"}


@pytest.mark.parametrize("make", list(MAKERS.values()), ids=list(MAKERS))
def test_optimizer_state_survives_pickling(make):
    params = THETA0.copy()
    opt = make()
    state = opt.init(params)
    opt.update(params, GRAD1, LR, state)
    copy_params = params.copy()
    restored = pickle.loads(pickle.dumps(state))
    assert type(restored) is OptimizerState
    assert vars(restored).keys() == vars(state).keys()
    for key, value in vars(state).items():
        if key == "scratch":  # rebuilt, not pickled
            assert restored.scratch.shape == value.shape
            assert restored.scratch.dtype == value.dtype
        elif isinstance(value, np.ndarray):
            assert_array_equal(getattr(restored, key), value)
            assert not np.shares_memory(getattr(restored, key), value)
        else:
            assert getattr(restored, key) == value
    # the next step from the restored state equals the next step of the original
    opt.update(params, GRAD2, LR, state)
    pickle.loads(pickle.dumps(opt)).update(copy_params, GRAD2, LR, restored)
    assert_array_equal(copy_params, params)
    # and differs from the step of a fresh state: the state mattered
    fresh_params = THETA0.copy()
    _step(make(), fresh_params, GRAD1, LR)  # same theta_1
    _step(make(), fresh_params, GRAD2, LR)
    assert not np.allclose(fresh_params, params)


def test_the_scratch_rows_are_not_pickled():
    params = np.zeros(10**5)
    state = Adam().init(params)
    state.scratch[...] = 7.0
    size = len(pickle.dumps(state))
    assert size < 2 * params.nbytes + 10**4  # two moments, no scratch
    restored = copy.deepcopy(state)
    assert restored.scratch.shape == state.scratch.shape
    assert not np.shares_memory(restored.scratch, state.scratch)


@pytest.mark.parametrize("make", list(MAKERS.values()), ids=list(MAKERS))
def test_init_and_update_never_change_the_optimizer(make):
    opt = make()
    before = copy.deepcopy(vars(opt))
    params = THETA0.copy()
    state = opt.init(params)
    for grad in (GRAD1, GRAD2):
        opt.update(params, grad, LR, state)
    assert vars(opt) == before
    # one optimiser, two independent states: each takes the steps of a lone one
    a, b = THETA0.copy(), 2 * THETA0
    state_a, state_b = opt.init(a), opt.init(b)
    opt.update(a, GRAD1, LR, state_a)
    opt.update(b, GRAD2, LR, state_b)
    opt.update(a, GRAD2, LR, state_a)
    alone = THETA0.copy()
    alone_state = make().init(alone)
    for grad in (GRAD1, GRAD2):
        make().update(alone, grad, LR, alone_state)
    assert_array_equal(a, alone)


@pytest.mark.parametrize("make", list(MAKERS.values()), ids=list(MAKERS))
def test_equal_after_deepcopy_pickle_and_clone(make):
    from sklearn.base import clone

    opt = make()
    for other in (copy.deepcopy(opt), pickle.loads(pickle.dumps(opt)), clone(opt, safe=False)):
        assert other == opt and hash(other) == hash(opt) and repr(other) == repr(opt)
    assert opt != SGD(momentum=0.1) and opt != "sgd"
    assert SGD(momentum=0.1) != SGD(momentum=0.2)
    assert Adam() != AdamW(weight_decay=0.0)  # another class, even with the same steps


def test_an_optimizer_as_an_estimator_parameter_clones():
    from sklearn.base import BaseEstimator, clone

    class Holder(BaseEstimator):
        def __init__(self, solver=None):
            self.solver = solver

    holder = Holder(solver=Adam(beta_1=0.8))
    cloned = clone(holder)
    assert cloned.solver == holder.solver and cloned.solver is not holder.solver


@pytest.mark.parametrize("optimizer", [SGD(), SGD(momentum=0.0), Adam(), RMSprop(), Adagrad(),
                                       AdamW()])
def test_update_in_place_through_network_views(optimizer):
    net = Network((3, 4, 2), "relu", "softmax").initialize(np.random.RandomState(0))
    params = net.params
    before = params.copy()
    coef_view = net.coefs[0]
    state = optimizer.init(params)
    grad = np.random.RandomState(1).normal(size=params.size)
    assert optimizer.update(params, grad, 0.01, state) is params
    assert net.params is params
    assert np.shares_memory(coef_view, net.params)
    assert not np.array_equal(params, before)
    # the per-layer views see the new values
    assert_array_equal(net.coefs[0].ravel(), params[: 3 * 4])
    assert not np.array_equal(coef_view.ravel(), before[: 3 * 4])


def test_float32_state_and_params_stay_float32():
    for opt in (SGD(), Adam(), RMSprop(), Adagrad(), AdamW()):
        params = THETA0.astype(np.float32)
        state = opt.init(params)
        opt.update(params, GRAD1.astype(np.float32), LR, state)
        assert params.dtype == np.float32
        for value in vars(state).values():
            if isinstance(value, np.ndarray):
                assert value.dtype == np.float32


def test_float32_adamw_with_mask_stays_float32():
    params = THETA0.astype(np.float32)
    opt = AdamW()
    state = opt.init(params, decay_mask=np.array([True, False, True, False, True]))
    opt.update(params, GRAD1.astype(np.float32), LR, state)
    assert params.dtype == np.float32 and state.decay_mask.dtype == np.float32


# -- RMSprop ---------------------------------------------------------------------------------
def test_rmsprop_two_steps():
    rho, eps = 0.9, 1e-8
    params = THETA0.copy()
    opt = RMSprop()
    state = opt.init(params)
    assert (opt.rho, opt.epsilon) == (rho, eps)
    assert opt.update(params, GRAD1, LR, state) is params
    v1 = (1 - rho) * GRAD1**2
    theta1 = THETA0 - LR * GRAD1 / (np.sqrt(v1) + eps)
    assert_allclose(state.square_average, v1, rtol=1e-15)
    assert_allclose(params, theta1, rtol=1e-14, atol=1e-16)
    opt.update(params, GRAD2, LR, state)
    v2 = rho * v1 + (1 - rho) * GRAD2**2
    theta2 = theta1 - LR * GRAD2 / (np.sqrt(v2) + eps)
    assert_allclose(state.square_average, v2, rtol=1e-14)
    assert_allclose(params, theta2, rtol=1e-14, atol=1e-16)


def test_rmsprop_epsilon_outside_square_root():
    params = np.zeros(1)
    _step(RMSprop(rho=0.0, epsilon=0.5), params, np.array([1e-4]), 1.0)
    assert_allclose(params, [-1e-4 / (1e-4 + 0.5)], rtol=1e-14)


# -- Adagrad ---------------------------------------------------------------------------------
def test_adagrad_two_steps_from_initial_accumulator():
    eps, s0 = 1e-10, 0.1
    params = THETA0.copy()
    opt = Adagrad(initial_accumulator=s0)
    state = opt.init(params)
    assert_array_equal(state.sum_of_squares, np.full(5, s0))
    assert opt.update(params, GRAD1, LR, state) is params
    s1 = s0 + GRAD1**2
    theta1 = THETA0 - LR * GRAD1 / (np.sqrt(s1) + eps)
    assert_allclose(state.sum_of_squares, s1, rtol=1e-15)
    assert_allclose(params, theta1, rtol=1e-14, atol=1e-16)
    opt.update(params, GRAD2, LR, state)
    s2 = s1 + GRAD2**2
    theta2 = theta1 - LR * GRAD2 / (np.sqrt(s2) + eps)
    assert_allclose(state.sum_of_squares, s2, rtol=1e-14)
    assert_allclose(params, theta2, rtol=1e-14, atol=1e-16)


def test_adagrad_defaults_and_zero_gradient_leaves_params():
    opt = Adagrad()
    assert (opt.epsilon, opt.initial_accumulator) == (1e-10, 0.0)
    params = THETA0.copy()
    _step(opt, params, np.zeros(5), LR)  # 0 / (0 + eps): no NaN
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
    opt = AdamW(weight_decay=wd)
    state = opt.init(params)
    assert opt.weight_decay == wd and state.decay_mask is None
    assert opt.update(params, GRAD1, lr, state) is params
    m1 = 0.1 * GRAD1
    v1 = 0.001 * GRAD1**2
    decayed = THETA0 - lr * wd * THETA0
    theta1 = decayed - lr * np.sqrt(1 - 0.999) / (1 - 0.9) * m1 / (np.sqrt(v1) + 1e-8)
    assert_allclose(params, theta1, rtol=1e-14, atol=1e-15)
    # the zero-gradient entry moved by the decay alone
    assert params[2] == pytest.approx(THETA0[2] * (1 - lr * wd), rel=1e-15)
    opt.update(params, GRAD2, lr, state)
    expected = _adam_reference(THETA0, [GRAD1, GRAD2], lr, wd=wd)
    assert state.t == 2
    assert_allclose(params, expected, rtol=1e-14, atol=1e-15)
    assert not np.allclose(params, _adam_reference(THETA0, [GRAD1, GRAD2], lr))


def test_adamw_decay_uses_the_scheduled_rate():
    a, b = np.ones(3), np.ones(3)
    _step(AdamW(weight_decay=0.5), a, np.zeros(3), 0.1)
    _step(AdamW(weight_decay=0.5), b, np.zeros(3), 0.2)
    assert_allclose(a, 1 - 0.1 * 0.5, rtol=1e-15)
    assert_allclose(b, 1 - 0.2 * 0.5, rtol=1e-15)


@pytest.mark.parametrize("mask", [np.array([True, False, True, False, True]),
                                  np.array([1, 0, 1, 0, 1])], ids=["bool", "int"])
def test_adamw_decay_mask_leaves_masked_entries_undecayed(mask):
    wd, lr = 0.2, 0.3
    params = THETA0.copy()
    opt = AdamW(weight_decay=wd)
    state = opt.init(params, decay_mask=mask)
    for grad in (GRAD1, GRAD2):
        opt.update(params, grad, lr, state)
    expected = _adam_reference(THETA0, [GRAD1, GRAD2], lr, wd=wd, mask=mask.astype(float))
    assert_allclose(params, expected, rtol=1e-14, atol=1e-15)
    keep = ~mask.astype(bool)
    no_decay = _adam_reference(THETA0, [GRAD1, GRAD2], lr)
    assert_allclose(params[keep], no_decay[keep], rtol=1e-15, atol=0)
    assert not np.allclose(params[~keep], no_decay[~keep])


def test_adamw_all_ones_mask_equals_no_mask_bit_for_bit():
    a, b = THETA0.copy(), THETA0.copy()
    opt = AdamW(weight_decay=0.3)
    state_a = opt.init(a)
    state_b = opt.init(b, decay_mask=np.ones(5, dtype=bool))
    for grad in (GRAD1, GRAD2):
        opt.update(a, grad, LR, state_a)
        opt.update(b, grad, LR, state_b)
    assert_array_equal(a, b)


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n_steps=st.integers(1, 5), lr=st.floats(1e-4, 1.0))
def test_adamw_without_decay_is_adam_bit_for_bit(seed, n_steps, lr):
    rng = np.random.RandomState(seed)
    a = rng.normal(size=7)
    a[0] = -0.0
    b = a.copy()
    adam = Adam(beta_1=0.8, beta_2=0.99, epsilon=1e-7)
    adamw = AdamW(beta_1=0.8, beta_2=0.99, epsilon=1e-7, weight_decay=0.0)
    state_a, state_b = adam.init(a), adamw.init(b, decay_mask=rng.rand(7) > 0.5)
    for _ in range(n_steps):
        grad = rng.normal(size=7)
        adam.update(a, grad, lr, state_a)
        adamw.update(b, grad, lr, state_b)
    assert_array_equal(a, b)
    assert_array_equal(np.signbit(a), np.signbit(b))
    assert_array_equal(state_a.first_moment, state_b.first_moment)
    assert_array_equal(state_a.second_moment, state_b.second_moment)


def test_adamw_init_without_mask_keeps_the_one_argument_protocol():
    params = THETA0.copy()
    opt = AdamW()
    assert isinstance(opt.init(params), OptimizerState)
    assert opt.init(params, decay_mask=None).decay_mask is None


def test_adamw_state_and_mask_survive_pickling():
    params = THETA0.copy()
    mask = np.array([1, 0, 1, 0, 1])
    opt = AdamW(weight_decay=0.2)
    state = opt.init(params, decay_mask=mask)
    opt.update(params, GRAD1, LR, state)
    restored = pickle.loads(pickle.dumps(state))
    assert_array_equal(restored.decay_mask, mask)
    copy_params = params.copy()
    opt.update(params, GRAD2, LR, state)
    opt.update(copy_params, GRAD2, LR, restored)
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
    assert all(issubclass(cls, Optimizer) for cls in OPTIMIZERS.values())


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_update_allocates_no_new_state(name):
    params = THETA0.copy()
    opt = OPTIMIZERS[name]()
    state = opt.init(params)
    arrays = {k: v for k, v in vars(state).items() if isinstance(v, np.ndarray)}
    assert "scratch" in arrays
    opt.update(params, GRAD1, LR, state)
    opt.update(params, GRAD2, LR, state)
    for key, value in arrays.items():
        assert getattr(state, key) is value, key


@pytest.mark.parametrize("optimizer, text", [
    (SGD(), "SGD(momentum=0.9, nesterov=True)"),
    (Adam(), "Adam(beta_1=0.9, beta_2=0.999, epsilon=1e-08)"),
    (AdamW(weight_decay=0.1), "AdamW(beta_1=0.9, beta_2=0.999, epsilon=1e-08, weight_decay=0.1)"),
    (RMSprop(), "RMSprop(rho=0.9, epsilon=1e-08)"),
    (Adagrad(), "Adagrad(epsilon=1e-10, initial_accumulator=0.0)"),
])
def test_repr_shows_the_constructor_arguments(optimizer, text):
    assert repr(optimizer) == text


def test_state_repr_names_its_entries():
    text = repr(Adam().init(np.zeros(3)))
    assert text.startswith("OptimizerState(") and "t=0" in text
    assert "first_moment=<float64 array of shape (3,)>" in text


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


# -- a user's optimiser: the protocol as documented ------------------------------------------
class SignSGD(Optimizer):
    r"""A user's optimiser: :math:`\theta \leftarrow \theta - \eta \,\mathrm{sign}(g)`."""

    _n_scratch = 1

    def __init__(self, scale=1.0):
        self.scale = scale

    def _update_block(self, params, grad, scratch, learning_rate):
        step = np.sign(grad, out=scratch[0])
        step *= learning_rate * self.scale
        params -= step


def test_a_user_optimizer_gets_blocks_repr_and_equality(monkeypatch):
    monkeypatch.setattr(_blocks, "BLOCK_BYTES", 2 * 8)  # blocks of two elements
    params = THETA0.copy()
    opt = SignSGD(scale=2.0)
    state = opt.init(params)
    assert state.scratch.shape == (1, 2)
    opt.update(params, GRAD1, 0.1, state)
    assert_allclose(params, THETA0 - 0.2 * np.sign(GRAD1), rtol=1e-15)
    assert repr(opt) == "SignSGD(scale=2.0)" and opt == copy.deepcopy(opt)


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
    state = opt.init(ours)
    for _ in range(4):
        grad = rng.standard_normal(size)
        peer.update_params([theirs], [grad])
        opt.update(ours, grad, 0.01, state)
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
        opt = OPTIMIZERS[name]()
        state = opt.init(params)
        assert state.scratch.shape[1] == min(size, block_size)
        for grad in grads:
            opt.update(params, grad, np.float64(0.01), state)
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


def test_blocks_hold_the_same_bytes_in_every_dtype():
    assert block_length(np.float64) * 8 == block_length(np.float32) * 4 == BLOCK_BYTES
    for dtype in (np.float32, np.float64):
        state = Adam().init(np.zeros(10**6, dtype))
        assert state.scratch.shape == (2, block_length(dtype))
        assert state.scratch.nbytes == 2 * BLOCK_BYTES
        assert Adam().init(np.zeros(5, dtype)).scratch.shape == (2, 5)  # never past the vector


# -- optimisers pickled by skfcnn 0.1.0: the state on the object -----------------------------
def _legacy(opt, state, scratch_ndim=2):
    """``opt`` as skfcnn 0.1.0 pickled it after the updates that gave ``state``: its
    hyper-parameters and its state, as attributes, in one ``__dict__``."""
    entries = pickle.loads(pickle.dumps(_arrays(state)))
    entries.update({k: v for k, v in vars(state).items() if not isinstance(v, np.ndarray)})
    # before the blocks, the scratch was one full-length vector
    entries["_scratch"] = np.empty(THETA0.size) if scratch_ndim == 1 \
        else np.empty_like(state.scratch)
    old = object.__new__(type(opt))
    old.__setstate__({**vars(opt), **entries})
    return old


@pytest.mark.parametrize("scratch_ndim", [1, 2])
@pytest.mark.parametrize("make", list(MAKERS.values()), ids=list(MAKERS))
def test_a_legacy_optimizer_gives_its_state_and_goes_on(make, scratch_ndim):
    params = THETA0.copy()
    opt = make()
    mask = np.array([1, 0, 1, 1, 0]) if isinstance(opt, AdamW) else None
    state = opt.init(params, decay_mask=mask) if mask is not None else opt.init(params)
    opt.update(params, GRAD1, LR, state)
    old = _legacy(opt, state, scratch_ndim)
    assert old == opt and repr(old) == repr(opt)
    legacy_state = take_legacy_state(old)
    assert vars(old) == vars(opt)  # the hyper-parameters alone are left
    assert take_legacy_state(old) is None and take_legacy_state(make()) is None
    assert set(vars(legacy_state)) == set(vars(state))
    assert legacy_state.scratch.shape == state.scratch.shape
    copy_params = params.copy()
    opt.update(params, GRAD2, LR, state)
    old.update(copy_params, GRAD2, LR, legacy_state)
    assert_array_equal(copy_params, params)
