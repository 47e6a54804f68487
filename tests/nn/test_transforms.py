"""Gradient transforms and chain: each against its formula, the order of the steps,
AdamW as Adam behind the decay (bit for bit), the protocol and pickling."""

import copy
import doctest
import pickle

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose, assert_array_equal

from skfcnn.nn import _blocks, transforms
from skfcnn.nn.optimizers import SGD, Adam, AdamW, OptimizerState, RMSprop
from skfcnn.nn.transforms import (
    Chain,
    ClipByGlobalNorm,
    DecoupledWeightDecay,
    Transform,
    chain,
    clip_gradient,
)

THETA0 = np.array([0.5, -1.0, 2.0, 0.0, 3.0])
GRAD1 = np.array([0.1, -0.2, 0.0, 1.5, -3.0])
GRAD2 = np.array([-0.3, 0.4, 0.25, 1.0, 2.0])
MASK = np.array([1, 0, 1, 1, 0])
LR = 0.05


# -- ClipByGlobalNorm ------------------------------------------------------------------------
def test_clip_by_global_norm_rescales_the_gradient_only():
    params, grad = THETA0.copy(), GRAD1.copy()
    clip = ClipByGlobalNorm(1.0)
    assert clip.init(params) is None
    clip.apply(params, grad, LR, None)
    assert_array_equal(params, THETA0)
    assert_allclose(grad, GRAD1 / np.linalg.norm(GRAD1), rtol=1e-15)
    assert np.linalg.norm(grad) == pytest.approx(1.0, rel=1e-15)
    small = np.array([0.3, 0.4])
    ClipByGlobalNorm(1.0).apply(np.zeros(2), small, LR, None)
    assert_array_equal(small, [0.3, 0.4])  # below the norm: unchanged


def test_clip_gradient_is_the_transforms_maths():
    grad = np.array([3.0, 4.0])
    assert clip_gradient(grad, 1.0) is grad
    assert_allclose(grad, [0.6, 0.8], rtol=1e-15)


# -- DecoupledWeightDecay --------------------------------------------------------------------
def test_decoupled_weight_decay_against_its_formula():
    wd, lr = 0.2, 0.3
    params, grad = THETA0.copy(), GRAD1.copy()
    step = DecoupledWeightDecay(wd)
    state = step.init(params, decay_mask=MASK)
    assert isinstance(state, OptimizerState) and state.decay_mask.dtype == params.dtype
    step.apply(params, grad, lr, state)
    assert_allclose(params, THETA0 - lr * wd * MASK * THETA0, rtol=1e-15)
    assert_array_equal(grad, GRAD1)  # the gradient is left alone
    assert_array_equal(params[MASK == 0], THETA0[MASK == 0])
    unmasked = THETA0.copy()
    step.apply(unmasked, grad, lr, step.init(unmasked))
    assert_allclose(unmasked, THETA0 * (1 - lr * wd), rtol=1e-15)


def test_decoupled_weight_decay_uses_the_scheduled_rate_and_zero_is_a_no_op():
    a, b, c = np.ones(3), np.ones(3), np.array([1.0, -0.0, 2.0])
    DecoupledWeightDecay(0.5).apply(a, np.zeros(3), 0.1, DecoupledWeightDecay(0.5).init(a))
    DecoupledWeightDecay(0.5).apply(b, np.zeros(3), 0.2, DecoupledWeightDecay(0.5).init(b))
    assert_allclose(a, 1 - 0.1 * 0.5, rtol=1e-15)
    assert_allclose(b, 1 - 0.2 * 0.5, rtol=1e-15)
    DecoupledWeightDecay(0.0).apply(c, np.zeros(3), 0.1, DecoupledWeightDecay(0.0).init(c))
    assert_array_equal(c, [1.0, -0.0, 2.0])
    assert np.signbit(c[1])


def test_decoupled_weight_decay_in_float32_stays_float32():
    params = THETA0.astype(np.float32)
    step = DecoupledWeightDecay(0.1)
    state = step.init(params, decay_mask=MASK.astype(bool))
    step.apply(params, GRAD1.astype(np.float32), LR, state)
    assert params.dtype == state.decay_mask.dtype == state.scratch.dtype == np.float32


@pytest.mark.parametrize("mask, message", [(np.ones(4), "shape"),
                                           (np.array([0, 1, 2, 0, 1]), "0 and 1")])
def test_decoupled_weight_decay_rejects_bad_masks(mask, message):
    with pytest.raises(ValueError, match=message):
        DecoupledWeightDecay(0.1).init(THETA0.copy(), decay_mask=mask)


@pytest.mark.parametrize("make, name, value", [
    (lambda: ClipByGlobalNorm(0.0), "max_norm", "0.0"),
    (lambda: ClipByGlobalNorm(-1), "max_norm", "-1"),
    (lambda: ClipByGlobalNorm(float("inf")), "max_norm", "inf"),
    (lambda: ClipByGlobalNorm("1"), "max_norm", "'1'"),
    (lambda: DecoupledWeightDecay(-0.01), "weight_decay", "-0.01"),
    (lambda: DecoupledWeightDecay(float("nan")), "weight_decay", "nan"),
    (lambda: DecoupledWeightDecay(True), "weight_decay", "True"),
])
def test_bad_hyper_parameters_raise_naming_them(make, name, value):
    with pytest.raises(ValueError, match=rf"'{name}'.*got {value}\."):
        make()


# -- AdamW = decay, then Adam, bit for bit ---------------------------------------------------
@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n_steps=st.integers(1, 5), lr=st.floats(1e-4, 1.0),
       weight_decay=st.floats(0.0, 2.0), masked=st.booleans())
def test_decay_then_adam_is_adamw_bit_for_bit(seed, n_steps, lr, weight_decay, masked):
    rng = np.random.RandomState(seed)
    a = rng.normal(size=9)
    b = a.copy()
    mask = (rng.rand(9) > 0.5) if masked else None
    adamw = AdamW(beta_1=0.8, beta_2=0.99, weight_decay=weight_decay)
    chained = chain(DecoupledWeightDecay(weight_decay), Adam(beta_1=0.8, beta_2=0.99))
    state_w, state_c = adamw.init(a, decay_mask=mask), chained.init(b, decay_mask=mask)
    for _ in range(n_steps):
        grad = rng.normal(size=9)
        adamw.update(a, grad, lr, state_w)
        chained.update(b, grad, lr, state_c)
    assert_array_equal(a, b)


def test_decay_then_adam_is_adamw_by_blocks(monkeypatch):
    monkeypatch.setattr(_blocks, "BLOCK_BYTES", 1000 * 8)
    rng = np.random.default_rng(0)
    a = rng.standard_normal(3017)
    b = a.copy()
    mask = rng.random(3017) > 0.3
    adamw, chained = AdamW(weight_decay=0.3), chain(DecoupledWeightDecay(0.3), Adam())
    state_w, state_c = adamw.init(a, decay_mask=mask), chained.init(b, decay_mask=mask)
    for _ in range(3):
        grad = rng.standard_normal(3017)
        adamw.update(a, grad, 0.01, state_w)
        chained.update(b, grad, 0.01, state_c)
    assert_array_equal(a, b)


# -- chain -----------------------------------------------------------------------------------
def test_chain_clips_then_decays_then_steps():
    wd, lr, c = 0.1, 0.5, 1.0
    params, grad = THETA0.copy(), GRAD1.copy()
    chained = chain(ClipByGlobalNorm(c), DecoupledWeightDecay(wd), SGD(momentum=0.0))
    state = chained.init(params)
    assert chained.update(params, grad, lr, state) is params
    clipped = GRAD1 * c / np.linalg.norm(GRAD1)
    expected = THETA0 - lr * wd * THETA0 - lr * clipped  # decay from theta before the step
    assert_allclose(params, expected, rtol=1e-14, atol=1e-16)
    assert_allclose(grad, clipped, rtol=1e-15)  # the optimiser saw the clipped gradient
    step_first = (THETA0 - lr * clipped) * (1 - lr * wd)
    assert not np.allclose(params, step_first)


def test_chain_state_is_one_state_per_step_and_the_mask_reaches_every_taker():
    chained = chain(ClipByGlobalNorm(1.0), DecoupledWeightDecay(0.1), AdamW(weight_decay=0.2))
    state = chained.init(THETA0.copy(), decay_mask=MASK)
    assert isinstance(state, tuple) and len(state) == 3 and state[0] is None
    assert_array_equal(state[1].decay_mask, MASK)
    assert_array_equal(state[2].decay_mask, MASK)
    assert state[2].t == 0
    assert chained.init(THETA0.copy())[1].decay_mask is None


def test_chain_init_rejects_an_option_no_step_takes():
    with pytest.raises(TypeError, match="decay_mask"):
        chain(ClipByGlobalNorm(1.0), SGD()).init(THETA0.copy(), decay_mask=MASK)


@pytest.mark.parametrize("steps, message", [
    ((), "at least an optimiser"),
    ((ClipByGlobalNorm(1.0),), "optimiser"),
    ((SGD(), SGD()), "transform"),
    ((0.1, SGD()), "transform"),
])
def test_chain_rejects_what_is_not_transforms_then_an_optimizer(steps, message):
    with pytest.raises(TypeError, match=message):
        chain(*steps)


def test_chain_repr_equality_hash_pickling_and_no_mutation():
    chained = chain(ClipByGlobalNorm(2.0), RMSprop(rho=0.8))
    assert isinstance(chained, Chain)
    assert repr(chained) == ("Chain(transforms=(ClipByGlobalNorm(max_norm=2.0),), "
                             "optimizer=RMSprop(rho=0.8, epsilon=1e-08))")
    for other in (copy.deepcopy(chained), pickle.loads(pickle.dumps(chained))):
        assert other == chained and hash(other) == hash(chained)
    assert chained != chain(ClipByGlobalNorm(1.0), RMSprop(rho=0.8))
    assert chained != chain(RMSprop(rho=0.8))
    before = copy.deepcopy(vars(chained))
    params = THETA0.copy()
    state = chained.init(params)
    chained.update(params, GRAD1.copy(), LR, state)
    assert vars(chained) == before
    # the state pickles and the next step from it is the same
    restored, copy_params = pickle.loads(pickle.dumps(state)), params.copy()
    chained.update(params, GRAD2.copy(), LR, state)
    chained.update(copy_params, GRAD2.copy(), LR, restored)
    assert_array_equal(params, copy_params)


def test_chain_of_no_transform_is_the_optimizer():
    a, b = THETA0.copy(), THETA0.copy()
    adam, chained = Adam(), chain(Adam())
    state_a, state_c = adam.init(a), chained.init(b)
    for grad in (GRAD1, GRAD2):
        adam.update(a, grad, LR, state_a)
        chained.update(b, grad, LR, state_c)
    assert_array_equal(a, b)


class _Scale(Transform):
    """A user's transform: the gradient times ``factor``."""

    def __init__(self, factor):
        self.factor = factor

    def apply(self, params, grad, learning_rate, state):
        grad *= self.factor


def test_a_user_transform_in_a_chain():
    params = THETA0.copy()
    chained = chain(_Scale(2.0), SGD(momentum=0.0))
    chained.update(params, GRAD1.copy(), LR, chained.init(params))
    assert_allclose(params, THETA0 - LR * 2.0 * GRAD1, rtol=1e-15)
    assert repr(_Scale(2.0)) == "_Scale(factor=2.0)" and _Scale(2.0) == _Scale(2.0)
    with pytest.raises(NotImplementedError):
        Transform().apply(params, GRAD1, LR, None)


def test_the_module_examples_run():
    failures, tried = doctest.testmod(transforms)
    assert tried > 0 and failures == 0
