"""Layer steps: built once from the options, the fast path kept, the numbers of the
previous implementation bit for bit, and a new step as one class plus one line."""

import pickle

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from skfcnn.nn import Network, batch_norm, check_gradient, layers
from skfcnn.nn._blocks import block_length
from skfcnn.nn.activations import ACTIVATIONS, DERIVATIVES
from skfcnn.nn.dropout import draw_mask, stored_mask
from skfcnn.nn.layers import (
    LAYER_STEPS,
    ActivationStep,
    BatchNormStep,
    DropoutStep,
    ForwardPass,
    LayerStep,
    MemberAdapterStep,
    MemberScaleStep,
)
from skfcnn.nn.losses import loss_value, output_delta
from skfcnn.nn.penalty import add_weight_decay


def make_net(activation="tanh", sizes=(3, 5, 4, 2), seed=0, dtype=np.float64, **options):
    net = Network(sizes, activation, "softmax", dtype=dtype, **options)
    rng = np.random.RandomState(seed)
    net.initialize(rng)
    net.params += rng.normal(scale=0.3, size=net.params.shape).astype(dtype)
    X = rng.normal(size=(7, sizes[0])).astype(dtype)
    Y = np.eye(sizes[-1])[rng.randint(sizes[-1], size=7)].astype(dtype)
    return net, X, Y


def kinds(net):
    return [[type(step) for step in steps] for steps in net.hidden_steps]


# ------------------------------------------------------------- built once


def test_the_steps_follow_the_options():
    assert kinds(make_net()[0]) == [[ActivationStep]] * 2
    net = make_net(["gelu", "relu"], dropout=[0.2, 0.0], batch_norm=True)[0]
    assert kinds(net) == [[BatchNormStep, ActivationStep, DropoutStep],
                          [BatchNormStep, ActivationStep]]
    assert net.hidden_steps[0][1].activation is ACTIVATIONS["gelu"]  # the registry's object
    assert net.hidden_steps[1][1].activation is ACTIVATIONS["relu"]
    assert net.hidden_steps[0][2].rate == 0.2
    bn = net.hidden_steps[1][0]
    assert bn.gamma is net.bn_gammas[1] and bn.running_var is net.running_vars[1]
    assert kinds(make_net(sizes=(3, 2))[0]) == []


def test_the_steps_are_built_once_and_rebuilt_with_the_options():
    net, X, Y = make_net("swish", dropout=0.3, batch_norm=True)
    steps = [list(s) for s in net.hidden_steps]
    rng = np.random.default_rng(0)
    for training in (True, False, True):
        net.loss_gradient(X, Y, "log_loss", 0.1, training=training, rng=rng)
        net.predict(X)
        net.loss_gradient(X[:3], Y[:3], "log_loss", training=training, rng=rng)
    assert all(a is b for old, new in zip(steps, net.hidden_steps) for a, b in zip(old, new))
    net.configure("tanh", 0.0)
    assert kinds(net) == [[BatchNormStep, ActivationStep]] * 2
    assert net.hidden_steps[0][1].activation is ACTIVATIONS["tanh"]
    clone = pickle.loads(pickle.dumps(net))
    assert kinds(clone) == kinds(net)
    assert clone.hidden_steps[0][0].gamma is clone.bn_gammas[0]  # views of its own params
    assert "hidden_steps" not in net.__getstate__()


def test_each_step_owns_its_buffers_and_its_last_pass():
    net, X, Y = make_net(["gelu", "relu"], dropout=0.5, batch_norm=True)
    net.loss_gradient(X, Y, "log_loss", training=True, rng=np.random.default_rng(1))
    (bn0, act0, drop0), (bn1, act1, drop1) = net.hidden_steps
    assert bn0.normalized.shape == (7, 5) and bn1.normalized.shape == (7, 4)
    assert bn0._scratch is bn1._scratch is net._scratch and net._scratch.size == 7 * 5
    assert act0.preactivation.shape == (7, 5) and act1.preactivation is None  # relu: no Z
    assert [drop0.mask, drop1.mask] == net.dropout_masks
    assert drop0.mask.shape == (7, 5) and set(np.unique(drop0.mask)) <= {0.0, 2.0}


def test_the_plain_network_never_runs_the_steps(monkeypatch):
    calls = []
    for cls in (ActivationStep, DropoutStep):
        for method in ("forward", "backward", "predict"):
            monkeypatch.setattr(cls, method,
                                lambda self, Z, *run, m=method: calls.append(m) or Z)
    net, X, Y = make_net("relu", dropout=0.4)
    net.loss_gradient(X, Y, "log_loss", 0.1)  # dropout acts only in training mode
    net.predict(X)
    assert calls == []
    gelu = make_net("gelu")[0]
    gelu.predict(X)  # prediction needs no Z: still the activations alone
    assert calls == []
    gelu.loss_gradient(X, Y, "log_loss")  # its derivative reads Z: the steps
    assert calls == ["forward"] * 2 + ["backward"] * 2
    calls.clear()
    net.loss_gradient(X, Y, "log_loss", training=True, rng=np.random.default_rng(0))
    assert calls == ["forward"] * 4 + ["backward"] * 4  # two steps in each of two layers


def test_the_modes():
    net = make_net("tanh", dropout=[0.3, 0.0], batch_norm=True)[0]
    evaluation, training = net._modes[False], net._modes[True]
    assert [[type(s) for s in steps] for steps in evaluation.steps] == \
        [[BatchNormStep, ActivationStep]] * 2
    assert [len(steps) for steps in training.steps] == [3, 2]
    assert evaluation.plain is evaluation.predict_plain is training.plain is None
    assert training.zero_bias == (True, True, False)
    assert evaluation.zero_bias == (False, False, False)
    plain = make_net("gelu", dropout=0.2)[0]._modes[False]
    assert plain.plain is None  # gelu's derivative reads Z
    assert plain.predict_plain == (ACTIVATIONS["gelu"],) * 2


def test_the_forward_pass_computes_the_batch_fractions_once():
    weights = np.array([1.0, 3.0, 0.0, 2.0])
    run = ForwardPass(True, sample_weight=weights)
    assert_array_equal(run.fractions, batch_norm.batch_fractions(weights))
    assert run.fractions is run.fractions
    assert ForwardPass(False, sample_weight=weights).fractions is None
    assert ForwardPass(True).fractions is None


# ------------------------------------ the numbers of the previous implementation


def _batch_norm_views(flat, hidden_sizes):
    """0.1.0's layout after the dense parameters: gamma_1, beta_1, gamma_2, beta_2, ..."""
    gammas, betas, start = [], [], 0
    for size in hidden_sizes:
        gammas.append(flat[start : start + size])
        betas.append(flat[start + size : start + 2 * size])
        start += 2 * size
    return gammas, betas


def reference_loss_gradient(net, X, Y, loss, alpha, sample_weight, training, rng,
                            fixed_masks, masks):
    """``Network.loss_gradient`` as skfcnn 0.1.0 wrote it (network.py at 48295ab):
    the same NumPy calls in the same order, in its own buffers, on a copy of the
    parameters and statistics.  Returns (value, grad, outputs, running stats, masks)."""
    params, grad = net.params.copy(), np.zeros_like(net.params)
    from skfcnn.nn._layout import _layer_views, n_parameters

    coefs, intercepts = _layer_views(params, net.layer_sizes)
    coef_grads, intercept_grads = _layer_views(grad, net.layer_sizes)
    sizes, start = net.layer_sizes[1:-1] if net.batch_norm else (), n_parameters(net.layer_sizes)
    gammas, betas = _batch_norm_views(params[start:], sizes)
    gamma_grads, beta_grads = _batch_norm_views(grad[start:], sizes)
    means, variances = [m.copy() for m in net.running_means], [v.copy() for v in net.running_vars]
    n, dtype, masks = X.shape[0], net.dtype, list(masks)
    bn_weight = sample_weight if training and net.batch_norm else None
    outputs, pre_mask, preacts, normalized, inv_std = [X], [], [], [], []
    for layer in range(net.n_layers):
        out = np.empty((n, net.layer_sizes[layer + 1]), dtype)
        np.matmul(outputs[-1], coefs[layer], out=out)
        out += intercepts[layer]
        if layer == net.n_layers - 1:
            ACTIVATIONS[net.output_activation](out)
            outputs.append(out)
            break
        name, rate = net.hidden_activations[layer], net.dropout_rates[layer]
        if net.batch_norm:
            normalized.append(np.empty_like(out))
            inv_std.append(batch_norm.forward(out, normalized[-1], gammas[layer], betas[layer],
                                              means[layer], variances[layer], training, True,
                                              bn_weight))
        preacts.append(out.copy() if ACTIVATIONS[name].needs_preactivation else None)
        ACTIVATIONS[name](out)
        pre_mask.append(out)
        if training and rate > 0:
            if fixed_masks:
                masks[layer] = stored_mask(masks[layer], n)
            else:
                masks[layer] = draw_mask(rng, rate, np.empty_like(out))
            out = np.multiply(out, masks[layer], out=np.empty_like(out))
        outputs.append(out)
    weight_sum = n if sample_weight is None else float(sample_weight.sum())
    value = loss_value(loss, Y, outputs[-1], sample_weight)
    if alpha:
        value += net.penalty(alpha, weight_sum)
    fractions = batch_norm.batch_fractions(bn_weight)
    scratch = np.empty(min(block_length(dtype), max(c.size for c in coefs)), dtype)
    delta = output_delta(Y, outputs[-1], sample_weight, out=np.empty_like(outputs[-1]),
                         loss=loss, output_activation=net.output_activation)
    for layer in range(net.n_layers - 1, -1, -1):
        np.matmul(outputs[layer].T, delta, out=coef_grads[layer])
        if alpha:
            add_weight_decay(coefs[layer], coef_grads[layer], alpha / weight_sum, scratch)
        np.matmul(np.ones(n, dtype), delta, out=intercept_grads[layer])
        if training and net.batch_norm and layer < net.n_hidden:
            intercept_grads[layer][...] = 0
        if layer == 0:
            break
        previous = np.empty_like(outputs[layer])
        np.matmul(delta, coefs[layer].T, out=previous)
        h, output = layer - 1, outputs[layer]
        if training and net.dropout_rates[h] > 0:
            previous *= masks[h]
            output = pre_mask[h]
        DERIVATIVES[net.hidden_activations[h]](preacts[h], output, previous)
        if net.batch_norm:
            batch_norm.backward(previous, normalized[h], gammas[h], inv_std[h], gamma_grads[h],
                                beta_grads[h], np.empty_like(previous), training, fractions)
        delta = previous
    return value, grad, outputs, means + variances, masks


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("options", [{}, {"dropout": [0.3, 0.5]}, {"batch_norm": True},
                                     {"dropout": 0.4, "batch_norm": True}])
@pytest.mark.parametrize("activation", ["relu", "gelu", ["swish", "tanh"]])
def test_the_steps_give_the_numbers_of_the_previous_implementation(activation, options, dtype):
    for case, (training, weighted, alpha) in enumerate(
            [(False, False, 0.0), (True, False, 0.3), (True, True, 0.0), (False, True, 0.3)]):
        net, X, Y = make_net(activation, seed=case, dtype=dtype, **options)
        w = np.random.RandomState(case).uniform(0.1, 3, 7).astype(dtype) if weighted else None
        masks = [None] * net.n_hidden
        for fixed in (False, True):
            expected = reference_loss_gradient(net, X, Y, "log_loss", alpha, w, training,
                                               np.random.default_rng(case), fixed, masks)
            value = net.loss_gradient(X, Y, "log_loss", alpha, w, training=training,
                                      rng=np.random.default_rng(case), fixed_masks=fixed)
            outputs = net.forward(X, training, fixed_masks=True, update_stats=False,
                                  sample_weight=w) if training else net.forward(X)
            assert value == expected[0]
            assert_array_equal(net.grad, expected[1])
            for ours, theirs in zip(outputs, expected[2]):
                assert_array_equal(ours, theirs)
            for ours, theirs in zip(net.running_means + net.running_vars, expected[3]):
                assert_array_equal(ours, theirs)
            for ours, theirs in zip(net.dropout_masks, expected[4]):
                assert (ours is None and theirs is None) or np.array_equal(ours, theirs)
            masks = expected[4]


# ----------------------------------------------- a new step: one class, one line


class Scale(LayerStep):
    r"""A constant scaling :math:`y = c z` before the activation (the docs' example),
    in place: the activation's derivative reads its own output, which a step after it
    must therefore leave alone (it writes into a buffer of its own, as dropout does)."""

    def __init__(self, factor):
        self.factor = factor

    @classmethod
    def build(cls, network, layer):
        return cls(2.0 if layer == 0 else 0.5)

    def forward(self, Z, run):
        Z *= self.factor
        return Z

    def backward(self, delta, run):
        delta *= self.factor
        return delta


@pytest.fixture
def with_scale(monkeypatch):
    """The one line: the new class at its place in LAYER_STEPS."""
    monkeypatch.setattr(layers, "LAYER_STEPS",
                        [BatchNormStep, Scale, ActivationStep, DropoutStep])


def test_the_registry_holds_the_built_in_steps_in_order():
    assert LAYER_STEPS == [BatchNormStep, MemberScaleStep, ActivationStep, DropoutStep,
                           MemberAdapterStep]
    assert all(issubclass(cls, LayerStep) for cls in LAYER_STEPS)


def test_a_new_step_runs_forward_predict_and_backward(with_scale):
    net, X, Y = make_net("tanh", dropout=[0.0, 0.3])
    assert kinds(net) == [[Scale, ActivationStep], [Scale, ActivationStep, DropoutStep]]
    A1 = np.tanh(2.0 * (X @ net.coefs[0] + net.intercepts[0]))
    A2 = np.tanh(0.5 * (A1 @ net.coefs[1] + net.intercepts[1]))
    logits = A2 @ net.coefs[2] + net.intercepts[2]
    assert_allclose(net.predict(X, raw_output=True), logits, rtol=1e-13)
    assert_allclose(net.predict(X, n_layers=1), A1, rtol=1e-13)
    assert_allclose(net.forward(X)[2], A2, rtol=1e-13)
    net.forward(X, training=True, rng=np.random.default_rng(0))  # the masks stay fixed

    def fun(params):
        return net.loss_gradient(X, Y, "log_loss", 0.1, training=True, fixed_masks=True)

    fun(net.params)
    assert check_gradient(fun, net.params, net.grad.copy()) < 1e-7
    assert np.abs(net.grad).max() > 1e-3


def test_a_new_step_with_batch_norm_passes_the_gradient_check(with_scale):
    net, X, Y = make_net(["softplus", "elu"], batch_norm=True, seed=3)
    assert kinds(net) == [[BatchNormStep, Scale, ActivationStep]] * 2
    for training in (True, False):
        def fun(params):
            return net.loss_gradient(X, Y, "log_loss", 0.2, training=training,
                                     update_stats=False)

        fun(net.params)
        check_gradient(fun, net.params, net.grad.copy(), rtol=1e-5, atol=1e-7)
    Z1 = X @ net.coefs[0] + net.intercepts[0]
    normalized = batch_norm.normalize(Z1, net.bn_gammas[0], net.bn_betas[0],
                                      net.running_means[0], net.running_vars[0])
    assert_allclose(net.predict(X, n_layers=1), np.logaddexp(0, 2.0 * normalized), rtol=1e-13)


def test_without_the_line_there_is_no_such_step():
    assert kinds(make_net("tanh")[0]) == [[ActivationStep]] * 2
