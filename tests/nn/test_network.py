"""The network: backprop against central differences, views, dtype, pickling."""

import copy
import pickle
import re
import warnings
from pathlib import Path

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose, assert_array_equal

from skfcnn.nn import (
    Activation,
    GradientCheckError,
    Loss,
    Network,
    check_gradient,
    numerical_gradient,
)
from skfcnn.nn import activations as activations_module
from skfcnn.nn import losses as losses_module
from skfcnn.nn.activations import ACTIVATIONS, DERIVATIVES, HIDDEN_ACTIVATIONS
from skfcnn.nn.gradcheck import compare_gradients
from skfcnn.nn.initializers import INITIALIZERS
from skfcnn.nn.layers import ActivationStep
from skfcnn.nn.losses import LOSSES, OUTPUT_ACTIVATION_OF, VALID_OUTPUTS, loss_value
from skfcnn.nn.network import _layer_views

STEP = 1e-5  # central-difference step used throughout
#: Activations that are not twice differentiable at 0 (ELU's second derivative jumps).
KINKED = frozenset({"relu", "leaky_relu", "elu"})
#: Every valid (loss, output activation) pair, canonical or not.
LOSS_OUTPUT_PAIRS = sorted((loss, out) for loss, outs in VALID_OUTPUTS.items() for out in outs)


# ------------------------------------------------------------------ helpers


def encode_targets(loss, rng, n_samples, n_outputs):
    """Targets of the kind each loss expects."""
    if loss == "log_loss":  # one-hot rows
        return np.eye(n_outputs)[rng.randint(n_outputs, size=n_samples)]
    if loss == "binary_log_loss":  # 0/1 indicators
        return (rng.uniform(size=(n_samples, n_outputs)) < 0.5).astype(float)
    if loss in ("squared_error", "absolute_error", "huber", "quantile"):  # real values
        return rng.normal(size=(n_samples, n_outputs))
    if loss == "poisson":  # counts
        return rng.poisson(2.0, size=(n_samples, n_outputs)).astype(float)
    raise AssertionError(f"no test targets for loss {loss!r}: add them here")


def make_problem(
    layer_sizes,
    activation,
    loss,
    n_samples,
    seed,
    weighted=False,
    scale=1.0,
    dtype=np.float64,
    output=None,
    **options,
):
    """A network with continuous random parameters, inputs and encoded targets.

    ``output`` defaults to the loss's canonical output activation; ``options``
    (``dropout``, ``batch_norm``) go to :class:`Network`.
    """
    rng = np.random.RandomState(seed)
    output = OUTPUT_ACTIVATION_OF[loss] if output is None else output
    net = Network(layer_sizes, activation, output, dtype=dtype, **options)
    for coef, intercept in zip(net.coefs, net.intercepts):
        std = scale / np.sqrt(coef.shape[0])
        coef[...] = rng.normal(scale=std, size=coef.shape)
        intercept[...] = rng.normal(scale=0.5, size=intercept.shape)
    n_outputs = layer_sizes[-1]
    X = rng.normal(size=(n_samples, layer_sizes[0])).astype(dtype)
    Y = encode_targets(loss, rng, n_samples, n_outputs).astype(dtype)
    sample_weight = rng.uniform(0.1, 3.0, n_samples).astype(dtype) if weighted else None
    for gamma, beta in zip(net.bn_gammas, net.bn_betas):
        gamma[...] = rng.uniform(0.5, 1.5, gamma.shape)
        beta[...] = rng.normal(scale=0.5, size=beta.shape)
    return net, X, Y, sample_weight


def objective(net, X, Y, loss, alpha, sample_weight):
    """The objective recomputed independently of loss_gradient (via predict)."""
    weight_sum = X.shape[0] if sample_weight is None else float(sample_weight.sum())
    value = loss_value(loss, Y, net.predict(X), sample_weight)
    return value + net.penalty(alpha, weight_sum)


#: How close (in units of the residuals) a residual may come to a non-smooth loss's kink.
LOSS_KINK_MARGIN = 1e-4


def at_this_point(loss, net, X, Y, sample_weight, P=None):
    """``(loss, near_kink)`` for central differences at the network's parameters.

    An adaptive threshold (Huber's ``huber_delta=None``) moves with the
    parameters; it is held at this point's value, as ``check_gradients`` holds it
    (the gradient is documented to hold it constant).  ``near_kink``: a residual
    is within :data:`LOSS_KINK_MARGIN` of a point where the loss is not
    differentiable (0 for the absolute error and the pinball loss, the
    threshold for Huber's), where central differences straddle the kink.
    """
    obj = losses_module.get_loss(loss)
    P = net.predict(X) if P is None else P
    residual = P - Y
    if isinstance(obj, losses_module.Huber):  # every Loss has frozen(); Huber's holds delta
        obj = obj.frozen(Y, P, sample_weight)
        near = np.abs(np.abs(residual) - obj.threshold(Y, P)).min() < LOSS_KINK_MARGIN
        return obj, bool(near)
    if obj.name in ("absolute_error", "quantile"):
        return loss, bool(np.abs(residual).min() < LOSS_KINK_MARGIN)
    return loss, False


def hidden_pre_activations(net, X):
    """Pre-activations Z_l of every hidden layer, computed by hand."""
    result, inputs = [], X
    for layer in range(net.n_layers - 1):
        Z = inputs @ net.coefs[layer] + net.intercepts[layer]
        result.append(Z)
        name = net.hidden_activations[layer]
        inputs = activations_module.ACTIVATIONS[name](Z.copy())
    return result


def kink_within_step(net, X, step, **forward_kwargs):
    """Whether moving any one parameter by +-step moves a kinked unit across 0.

    Central differences approximate the derivative only where the objective is
    smooth on [theta - h, theta + h].  For ReLU-like activations the objective
    is smooth exactly where the pattern of positive units does not change (their
    output has the sign of their input), so such draws are outside the domain
    of the check (they have probability ~ h).  ``forward_kwargs`` select the
    mode (training with fixed masks and frozen statistics, or not).
    """
    kinked = [h for h, name in enumerate(net.hidden_activations) if name in KINKED]
    if not kinked:
        return False

    def pattern():
        outputs = net.forward(X, **forward_kwargs)
        return [outputs[h + 1] > 0 for h in kinked]

    base = pattern()
    params = net.params
    for j in range(params.shape[0]):
        original = params[j]
        for shifted in (original + step, original - step):
            params[j] = shifted
            moved = pattern()
            params[j] = original
            if any(not np.array_equal(a, b) for a, b in zip(base, moved)):
                return True
    return False


def probabilities_clipped(net, X, loss, P=None):
    """Whether the log losses clip an output probability at eps (not smooth)."""
    if loss not in ("log_loss", "binary_log_loss"):
        return False
    eps = np.finfo(net.dtype).eps
    Y = net.predict(X) if P is None else P
    return bool(np.any(Y < 10 * eps) or np.any(Y > 1 - 10 * eps))


def objective_roundoff(net, X, Y, loss, sample_weight, value, P=None):
    r"""First-order bound on the rounding error of :func:`objective`.

    The objective is computed from the output probabilities :math:`p`, each
    known to within :math:`\epsilon p`, so its rounding error is about
    :math:`\epsilon (|J| + \sum_{ik} \bar w_i |\partial \ell_i / \partial p_{ik}| p_{ik})`.
    It is small except for ``binary_log_loss`` with a target 0 and
    :math:`p \to 1`, where :math:`-\log(1 - p)` has condition number
    :math:`p / (1 - p)`.  Central differences divide this error by the step.
    """
    eps = np.finfo(np.float64).eps
    P = net.predict(X) if P is None else P
    n_samples = X.shape[0]
    weights = np.ones(n_samples) if sample_weight is None else sample_weight
    weights = weights / weights.sum()
    if loss == "binary_log_loss":
        sensitivity = Y + (1 - Y) * P / (1 - P)
    elif loss == "log_loss":
        sensitivity = Y
    elif loss == "poisson":  # t log(t / p) - t + p
        sensitivity = np.abs(P - Y)
    else:
        sensitivity = np.abs(P - Y) * np.abs(P)
    return eps * (abs(value) + float(weights @ sensitivity.sum(axis=1)))


# ------------------------------------------- backprop vs central differences


HIDDEN_NAMES = sorted(DERIVATIVES)


def draw_hidden_activation(draw, n_hidden, names=HIDDEN_NAMES):
    """One name for all hidden layers, or a list of one name per layer."""
    if draw(st.booleans()):
        return draw(st.sampled_from(names))
    return draw(st.lists(st.sampled_from(names), min_size=n_hidden, max_size=n_hidden))


@st.composite
def gradient_problems(draw):
    loss, output = draw(st.sampled_from(LOSS_OUTPUT_PAIRS))
    n_features = draw(st.integers(1, 5))
    hidden = draw(st.lists(st.integers(1, 6), min_size=0, max_size=3))
    n_outputs = draw(st.integers(2 if output == "softmax" else 1, 4))
    return dict(
        layer_sizes=(n_features, *hidden, n_outputs),
        activation=draw_hidden_activation(draw, len(hidden)),
        loss=loss,
        output=output,
        n_samples=draw(st.integers(1, 8)),
        seed=draw(st.integers(0, 2**32 - 1)),
        weighted=draw(st.booleans()),
        scale=draw(st.floats(0.25, 2.0)),
        alpha=draw(st.floats(1e-4, 10.0)),
    )


@settings(max_examples=150, deadline=None)
@given(problem=gradient_problems())
def test_backprop_matches_central_differences(problem):
    alpha = problem.pop("alpha")
    loss = problem["loss"]
    net, X, Y, sample_weight = make_problem(**problem)
    assume(not kink_within_step(net, X, STEP))
    assume(not probabilities_clipped(net, X, loss))
    loss, near_kink = at_this_point(loss, net, X, Y, sample_weight)
    assume(not near_kink)

    net.grad[...] = np.nan  # every entry must be written by backprop
    value = net.loss_gradient(X, Y, loss, alpha=alpha, sample_weight=sample_weight)
    backprop = net.grad.copy()
    assert np.all(np.isfinite(backprop))

    params_before = net.params.copy()
    reference = objective(net, X, Y, loss, alpha, sample_weight)
    assert value == pytest.approx(reference, rel=1e-12, abs=1e-14)

    def fun(params):
        return objective(net, X, Y, loss, alpha, sample_weight)

    # Central differences err by ~ h^2 f''' / 6 (truncation, ~1e-10 here) plus
    # roundoff(f) / h; a wrong derivative is off by O(|gradient|), far more.
    roundoff = objective_roundoff(net, X, Y, loss, sample_weight, value)
    atol = 1e-9 * max(1.0, abs(value)) + 10 * roundoff / STEP
    max_error = check_gradient(fun, net.params, backprop, eps=STEP, rtol=1e-6, atol=atol)
    assert 0.0 <= max_error <= atol + 1e-6 * (np.abs(backprop).max() + atol)
    assert_array_equal(net.params, params_before)


@pytest.mark.parametrize("activation", sorted(DERIVATIVES))
@pytest.mark.parametrize("loss, output", LOSS_OUTPUT_PAIRS)
def test_backprop_matches_central_differences_fixed(activation, loss, output):
    """A deterministic instance of the property for every activation and pair."""
    for seed in range(20):  # first seed whose ReLU pattern is stable
        net, X, Y, sample_weight = make_problem(
            (3, 4, 5, 2), activation, loss, n_samples=6, seed=seed, weighted=True,
            output=output,
        )
        held, near_kink = at_this_point(loss, net, X, Y, sample_weight)
        if not kink_within_step(net, X, STEP) and not near_kink:
            break
    loss = held
    net.loss_gradient(X, Y, loss, alpha=0.3, sample_weight=sample_weight)
    numeric = numerical_gradient(
        lambda p: objective(net, X, Y, loss, 0.3, sample_weight), net.params, STEP
    )
    assert_allclose(net.grad, numeric, rtol=1e-6, atol=1e-9)
    assert np.abs(net.grad).max() > 1e-3  # the check compares something


# ---------------------------------------------- the check catches bad derivatives


def _wrong_tanh_derivative(Z, A, delta):
    delta *= 1 - A  # should be 1 - A**2
    return delta


def _assert_message_names_worst(error, backprop, numeric):
    message = str(error)
    match = re.search(r"parameter (\d+)", message)
    assert match, message
    index = int(match.group(1))
    assert index == int(np.argmax(np.abs(backprop - numeric) - 1e-5 * np.abs(numeric)))
    assert repr(backprop[index]) in message
    assert repr(numeric[index]) in message
    assert backprop[index] != pytest.approx(numeric[index], rel=1e-3)


def test_wrong_tanh_derivative_is_caught(monkeypatch):
    net, X, Y, _ = make_problem((3, 4, 2), "tanh", "squared_error", n_samples=5, seed=0)

    def fun(params):
        return objective(net, X, Y, "squared_error", 0.1, None)

    net.loss_gradient(X, Y, "squared_error", alpha=0.1)
    check_gradient(fun, net.params, net.grad.copy())  # correct: passes

    # the registry's object, which the network built before holds: patched in place
    monkeypatch.setattr(activations_module.ACTIVATIONS["tanh"], "derivative",
                        _wrong_tanh_derivative)
    net.loss_gradient(X, Y, "squared_error", alpha=0.1)
    backprop = net.grad.copy()
    numeric = numerical_gradient(fun, net.params)
    with pytest.raises(GradientCheckError) as excinfo:
        check_gradient(fun, net.params, backprop, rtol=1e-5, atol=1e-7)
    _assert_message_names_worst(excinfo.value, backprop, numeric)
    assert isinstance(excinfo.value, ValueError)


@pytest.mark.parametrize("activation", sorted(DERIVATIVES))
def test_any_wrong_hidden_derivative_is_caught(monkeypatch, activation):
    original = DERIVATIVES[activation]

    def wrong_derivative(Z, A, delta):
        original(Z, A, delta)
        delta *= 1.5  # off by a constant factor: wrong for every activation
        return delta

    net, X, Y, _ = make_problem((2, 3, 3), activation, "log_loss", n_samples=4, seed=3)
    assert not kink_within_step(net, X, STEP)
    monkeypatch.setattr(activations_module.ACTIVATIONS[activation], "derivative",
                        wrong_derivative)
    net.loss_gradient(X, Y, "log_loss", alpha=0.01)
    with pytest.raises(GradientCheckError, match=r"parameter \d+"):
        check_gradient(
            lambda p: objective(net, X, Y, "log_loss", 0.01, None), net.params, net.grad
        )


def test_wrong_output_delta_is_caught(monkeypatch):
    from skfcnn.nn import network as network_module

    real_output_delta = network_module.output_delta

    def doubled(*args, **kwargs):
        delta = real_output_delta(*args, **kwargs)
        delta *= 2
        return delta

    net, X, Y, _ = make_problem((2, 3, 2), "logistic", "binary_log_loss", 4, seed=1)
    monkeypatch.setattr(network_module, "output_delta", doubled)
    net.loss_gradient(X, Y, "binary_log_loss")
    with pytest.raises(GradientCheckError):
        check_gradient(
            lambda p: objective(net, X, Y, "binary_log_loss", 0.0, None), net.params, net.grad
        )


# ----------------------------------------------------------- loss_gradient


def test_loss_gradient_value_is_loss_plus_penalty():
    net, X, Y, w = make_problem((3, 5, 3), "relu", "log_loss", 7, seed=4, weighted=True)
    alpha = 0.7
    value = net.loss_gradient(X, Y, "log_loss", alpha=alpha, sample_weight=w)
    expected_penalty = 0.5 * alpha * sum((c**2).sum() for c in net.coefs) / w.sum()
    expected = loss_value("log_loss", Y, net.predict(X), w) + expected_penalty
    assert value == pytest.approx(expected, rel=1e-13)


def test_l2_penalty_value_and_biases_not_penalised():
    net, X, Y, _ = make_problem((4, 3, 2), "tanh", "squared_error", 6, seed=5)
    alpha, n = 2.5, 6
    expected = 0.5 * alpha * (np.sum(net.coefs[0] ** 2) + np.sum(net.coefs[1] ** 2)) / n
    assert net.penalty(alpha, n) == pytest.approx(expected, rel=1e-14)
    assert net.penalty(0.0, n) == 0.0

    net.intercepts[0][...] += 100.0
    net.intercepts[1][...] -= 7.0
    assert net.penalty(alpha, n) == pytest.approx(expected, rel=1e-14)

    net.loss_gradient(X, Y, "squared_error", alpha=0.0)
    coef_grads_0 = [g.copy() for g in net.coef_grads]
    intercept_grads_0 = [g.copy() for g in net.intercept_grads]
    net.loss_gradient(X, Y, "squared_error", alpha=alpha)
    for layer in range(net.n_layers):
        assert_allclose(
            net.coef_grads[layer],
            coef_grads_0[layer] + alpha / n * net.coefs[layer],
            rtol=1e-13,
            atol=1e-15,
        )
        assert_array_equal(net.intercept_grads[layer], intercept_grads_0[layer])


def test_integer_sample_weights_equal_repeated_rows():
    net, X, Y, _ = make_problem((3, 4, 2), "logistic", "binary_log_loss", 4, seed=6)
    weights = np.array([2.0, 1.0, 3.0, 1.0])
    value_w = net.loss_gradient(X, Y, "binary_log_loss", alpha=0.5, sample_weight=weights)
    grad_w = net.grad.copy()
    repeat = np.repeat(np.arange(4), weights.astype(int))
    value_r = net.loss_gradient(X[repeat], Y[repeat], "binary_log_loss", alpha=0.5)
    assert value_w == pytest.approx(value_r, rel=1e-13)
    assert_allclose(grad_w, net.grad, rtol=1e-12, atol=1e-15)


def test_buffers_reused_across_batch_sizes():
    """A big batch, then a small one, gives what a fresh network gives."""
    net, X, Y, _ = make_problem((3, 4, 4, 3), "relu", "log_loss", 8, seed=7)
    fresh = pickle.loads(pickle.dumps(net))
    net.loss_gradient(X, Y, "log_loss", alpha=0.1)
    net.loss_gradient(X[:3], Y[:3], "log_loss", alpha=0.1)
    fresh.loss_gradient(X[:3], Y[:3], "log_loss", alpha=0.1)
    assert_array_equal(net.grad, fresh.grad)
    net.loss_gradient(X, Y, "log_loss", alpha=0.1)  # grow again
    fresh.loss_gradient(X, Y, "log_loss", alpha=0.1)
    assert_array_equal(net.grad, fresh.grad)


def test_row_views_follow_every_change_of_batch_size():
    """The views kept for one batch size are rebuilt for another, and after growing."""
    net, X, Y, _ = make_problem((3, 4, 4, 3), "relu", "log_loss", 8, seed=7)
    for rows in (8, 8, 5, 8, 2, 2, 8):
        fresh = pickle.loads(pickle.dumps(net))
        net.loss_gradient(X[:rows], Y[:rows], "log_loss", alpha=0.1)
        fresh.loss_gradient(X[:rows], Y[:rows], "log_loss", alpha=0.1)
        assert_array_equal(net.grad, fresh.grad)
        outputs = net.forward(X[:rows])
        assert [a.shape[0] for a in outputs] == [rows] * 4
    activations, deltas = net._buffers(3)
    assert net._buffers(3) == (activations, deltas)  # the same lists, not rebuilt
    assert all(a.shape[0] == 3 for a in activations + deltas)


def test_weight_decay_term_by_blocks_equals_the_formula(monkeypatch):
    import skfcnn.nn._buffers as buffers_module  # the network's buffers

    monkeypatch.setattr(buffers_module, "block_length", lambda dtype: 7)  # 12 weights: 7 + 5
    net, X, Y, _ = make_problem((4, 3, 2), "tanh", "squared_error", 6, seed=5)
    net.loss_gradient(X, Y, "squared_error", alpha=0.0)
    plain = [g.copy() for g in net.coef_grads]
    net.loss_gradient(X, Y, "squared_error", alpha=2.5)
    assert net._decay_scratch.size == 7
    for layer in range(net.n_layers):
        assert_array_equal(net.coef_grads[layer], plain[layer] + (2.5 / 6) * net.coefs[layer])


# ------------------------------------------------------ forward and predict


def test_forward_equals_predict_and_hand_computation():
    net, X, _, _ = make_problem((3, 4, 2), "tanh", "log_loss", 5, seed=8)
    hidden = np.tanh(X @ net.coefs[0] + net.intercepts[0])
    logits = hidden @ net.coefs[1] + net.intercepts[1]
    expected = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    activations = net.forward(X)
    assert len(activations) == 3 and activations[0] is X
    assert_allclose(activations[1], hidden, rtol=1e-13)
    assert_allclose(activations[2], expected, rtol=1e-13)
    assert_allclose(net.predict(X), expected, rtol=1e-13)
    assert_allclose(net.predict(X, raw_output=True), logits, rtol=1e-13)
    assert_allclose(net.predict(X, n_layers=1), hidden, rtol=1e-13)


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    n_samples=st.integers(1, 8),
    hidden=st.lists(st.integers(1, 6), min_size=0, max_size=3),
    activation=st.sampled_from(sorted(DERIVATIVES)),
    loss=st.sampled_from(sorted(LOSSES)),
)
def test_permuting_rows_permutes_outputs(seed, n_samples, hidden, activation, loss):
    net, X, _, _ = make_problem((3, *hidden, 3), activation, loss, n_samples, seed)
    permutation = np.random.RandomState(seed).permutation(n_samples)
    predictions = net.predict(X)
    assert_allclose(net.predict(X[permutation]), predictions[permutation], rtol=1e-13, atol=1e-15)
    forward = [a.copy() for a in net.forward(X)]
    forward_permuted = net.forward(X[permutation])
    for layer, (a, b) in enumerate(zip(forward, forward_permuted)):
        assert_allclose(b, a[permutation], rtol=1e-13, atol=1e-15, err_msg=f"layer {layer}")
    assert_allclose(forward[-1], predictions, rtol=1e-13, atol=1e-15)


def test_sparse_input_gives_dense_results():
    import scipy.sparse as sp

    net, X, Y, w = make_problem((6, 4, 3), "relu", "log_loss", 7, seed=12, weighted=True)
    X[np.abs(X) < 0.8] = 0.0
    X_sparse = sp.csr_matrix(X)
    assert 0 < X_sparse.nnz < X.size
    assert_allclose(net.predict(X_sparse), net.predict(X), rtol=1e-14)
    assert_allclose(net.forward(X_sparse)[-1], net.predict(X), rtol=1e-14)
    value_sparse = net.loss_gradient(X_sparse, Y, "log_loss", alpha=0.2, sample_weight=w)
    grad_sparse = net.grad.copy()
    value_dense = net.loss_gradient(X, Y, "log_loss", alpha=0.2, sample_weight=w)
    assert value_sparse == pytest.approx(value_dense, rel=1e-14)
    assert_allclose(grad_sparse, net.grad, rtol=1e-13, atol=1e-15)


@pytest.mark.parametrize("batch_norm", [False, True])
def test_predict_by_chunks_equals_one_pass(monkeypatch, batch_norm):
    import scipy.sparse as sp

    import skfcnn.nn.network as network_module

    net, X, _, _ = make_problem((4, 5, 3, 2), "tanh", "log_loss", 11, seed=12,
                                batch_norm=batch_norm)
    whole = [net.predict(X), net.predict(X, raw_output=True), net.predict(X, n_layers=1),
             net.predict(sp.csr_matrix(X))]
    monkeypatch.setattr(network_module, "PREDICT_CHUNK", 4)  # chunks of 4, 4 and 3 rows
    chunked = [net.predict(X), net.predict(X, raw_output=True), net.predict(X, n_layers=1),
               net.predict(sp.csr_matrix(X))]
    for one_pass, by_chunks in zip(whole, chunked):
        assert by_chunks.shape == one_pass.shape and by_chunks.dtype == one_pass.dtype
        assert_allclose(by_chunks, one_pass, rtol=1e-14, atol=1e-15)


def test_predict_result_is_not_overwritten_by_next_call():
    net, X, _, _ = make_problem((2, 3, 1), "relu", "squared_error", 4, seed=9)
    first = net.predict(X)
    kept = first.copy()
    net.predict(X * 2)
    net.forward(X * 3)
    assert_array_equal(first, kept)


# ------------------------------------------------------- flat vector, views


def test_coefs_and_intercepts_are_views_of_params():
    net = Network((3, 4, 2), "relu", "softmax")
    assert net.params.shape == (3 * 4 + 4 + 4 * 2 + 2,)
    assert net.params.flags["C_CONTIGUOUS"]
    assert [c.shape for c in net.coefs] == [(3, 4), (4, 2)]
    assert [b.shape for b in net.intercepts] == [(4,), (2,)]
    net.params[:] = np.arange(net.params.size, dtype=float)
    # layout W_1, b_1, W_2, b_2
    assert_array_equal(net.coefs[0], np.arange(12.0).reshape(3, 4))
    assert_array_equal(net.intercepts[0], np.arange(12.0, 16.0))
    assert_array_equal(net.coefs[1], np.arange(16.0, 24.0).reshape(4, 2))
    assert_array_equal(net.intercepts[1], [24.0, 25.0])
    net.coefs[1][0, 1] = -1.0
    assert net.params[17] == -1.0
    for view in net.coefs + net.intercepts:
        assert np.shares_memory(view, net.params)
    for view in net.coef_grads + net.intercept_grads:
        assert np.shares_memory(view, net.grad)
    assert not np.shares_memory(net.params, net.grad)


def test_pickle_keeps_predictions_and_rebuilds_views():
    net, X, Y, _ = make_problem((3, 5, 2), "logistic", "log_loss", 6, seed=10)
    net.loss_gradient(X, Y, "log_loss", alpha=0.1)  # buffers exist
    expected = net.predict(X)
    clone = pickle.loads(pickle.dumps(net))
    assert_array_equal(clone.predict(X), expected)
    for view in clone.coefs + clone.intercepts:
        assert np.shares_memory(view, clone.params)
    for view in clone.coef_grads + clone.intercept_grads:
        assert np.shares_memory(view, clone.grad)
    assert not np.shares_memory(clone.params, net.params)
    clone.params[0] += 1.0
    assert clone.coefs[0][0, 0] == net.coefs[0][0, 0] + 1.0
    clone.loss_gradient(X, Y, "log_loss", alpha=0.1)
    assert np.shares_memory(clone.coef_grads[0], clone.grad)
    assert np.any(clone.grad != 0)


# ------------------------------------------------------------------- dtype


def test_float32_network_never_upcasts():
    net, X, Y, w = make_problem(
        (4, 6, 3), "tanh", "log_loss", 5, seed=11, weighted=True, dtype=np.float32
    )
    assert X.dtype == Y.dtype == np.float32
    assert net.params.dtype == net.grad.dtype == np.float32
    assert all(c.dtype == np.float32 for c in net.coefs + net.intercepts)
    assert all(a.dtype == np.float32 for a in net.forward(X))
    assert net.predict(X).dtype == np.float32
    assert net.predict(X, raw_output=True).dtype == np.float32
    value = net.loss_gradient(X, Y, "log_loss", alpha=0.1, sample_weight=w)
    assert net.grad.dtype == np.float32
    assert all(g.dtype == np.float32 for g in net.coef_grads + net.intercept_grads)

    # and the numbers are those of the float64 network, to float32 precision
    net64 = Network(net.layer_sizes, "tanh", "softmax", dtype=np.float64)
    net64.params[:] = net.params
    value64 = net64.loss_gradient(
        X.astype(np.float64), Y.astype(np.float64), "log_loss", 0.1, w.astype(np.float64)
    )
    assert value == pytest.approx(value64, rel=1e-5)
    assert_allclose(net.grad, net64.grad, rtol=1e-4, atol=1e-6)


def test_float32_initialize_keeps_dtype():
    net = Network((3, 4, 1), "relu", "identity", dtype=np.float32)
    net.initialize(np.random.RandomState(0))
    assert net.params.dtype == np.float32
    net64 = Network((3, 4, 1), "relu", "identity").initialize(np.random.RandomState(0))
    assert_array_equal(net.params, net64.params.astype(np.float32))


# -------------------------------------------------------------- initialise


@pytest.mark.parametrize(
    "activation, factor", [("relu", 6.0), ("tanh", 6.0), ("identity", 6.0), ("logistic", 2.0)]
)
def test_glorot_uniform_draws_like_scikit_learn(activation, factor):
    layer_sizes = (4, 5, 3)
    net = Network(layer_sizes, activation, "softmax")
    assert net.initialize(np.random.RandomState(0)) is net
    rng = np.random.RandomState(0)
    for layer, (fan_in, fan_out) in enumerate(zip(layer_sizes[:-1], layer_sizes[1:])):
        bound = np.sqrt(factor / (fan_in + fan_out))
        coef = net.coefs[layer]
        intercept = net.intercepts[layer]
        assert np.all(np.abs(coef) <= bound) and np.all(np.abs(intercept) <= bound)
        # exactly scikit-learn's draw order: weights, then biases, layer by layer
        assert_array_equal(coef, rng.uniform(-bound, bound, (fan_in, fan_out)))
        assert_array_equal(intercept, rng.uniform(-bound, bound, fan_out))
    # the draws fill the range rather than being a scaled-down copy of it
    assert np.abs(net.coefs[0]).max() > 0.5 * np.sqrt(factor / 9)


@pytest.mark.parametrize("activation", ["relu", "logistic"])
def test_initialize_identical_to_mlpclassifier(activation):
    """scikit-learn's MLP, trained with a step too small to move any weight."""
    from sklearn.neural_network import MLPClassifier

    rng = np.random.RandomState(1)
    X = rng.normal(size=(20, 4))
    y = rng.randint(0, 3, 20)
    mlp = MLPClassifier(
        hidden_layer_sizes=(5,),
        activation=activation,
        solver="sgd",
        learning_rate_init=1e-300,
        momentum=0.0,
        max_iter=1,
        random_state=0,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        mlp.fit(X, y)
    net = Network((4, 5, 3), activation, "softmax").initialize(np.random.RandomState(0))
    for ours, theirs in zip(net.coefs + net.intercepts, mlp.coefs_ + mlp.intercepts_):
        assert_array_equal(ours, theirs)


# ------------------------------- the options: dropout, batch norm, initialisers

TRAINING = dict(training=True, fixed_masks=True, update_stats=False)


@st.composite
def option_problems(draw):
    loss, output = draw(st.sampled_from(LOSS_OUTPUT_PAIRS))
    hidden = draw(st.lists(st.integers(1, 5), min_size=1, max_size=3))
    init = draw(st.sampled_from(sorted(INITIALIZERS)))
    # zeros puts every pre-activation exactly on the kink of ReLU-like units
    names = sorted(set(DERIVATIVES) - KINKED) if init == "zeros" else sorted(DERIVATIVES)
    rate = st.sampled_from([0.0, 0.2, 0.5, 0.8])
    return dict(
        layer_sizes=(draw(st.integers(1, 4)), *hidden,
                     draw(st.integers(2 if output == "softmax" else 1, 3))),
        activation=draw_hidden_activation(draw, len(hidden), names),
        loss=loss,
        output=output,
        dropout=draw(rate | st.lists(rate, min_size=len(hidden), max_size=len(hidden))),
        batch_norm=draw(st.booleans()),
        init=init,
        perturb=draw(st.booleans()),
        n_samples=draw(st.integers(2, 8)),
        seed=draw(st.integers(0, 2**32 - 1)),
        weighted=draw(st.booleans()),
        alpha=draw(st.floats(1e-4, 10.0)),
    )


def extrapolated_gradient(fun, params, step=STEP):
    r"""Central differences with one Richardson step, error :math:`O(h^4)`.

    Batch normalisation of a nearly constant unit (tiny weights, e.g. the
    ``normal`` initialiser's 0.01) varies on the scale
    :math:`\sqrt{\epsilon / \mathrm{Var}(x)}`, small enough for the
    :math:`O(h^2)` error of plain central differences to reach 1e-5.
    """
    coarse = numerical_gradient(fun, params, step)
    fine = numerical_gradient(fun, params, step / 2)
    return (4 * fine - coarse) / 3


def redundant_biases(net):
    """Mask of the hidden biases that batch normalisation cancels (all False without it).

    Batch norm subtracts each hidden unit's batch mean, so the objective does
    not depend on that unit's bias at all: its gradient is exactly 0, while a
    central difference of the objective along it is pure rounding noise,
    amplified by the normalisation of a nearly constant unit.
    """
    mask = np.zeros(net.params.size, dtype=bool)
    if net.batch_norm:
        for bias in _layer_views(mask, net.layer_sizes)[1][:-1]:
            bias[...] = True
    return mask


def build_option_problem(problem):
    """The network of ``problem`` initialised by its initialiser, masks drawn."""
    init, perturb, alpha = problem.pop("init"), problem.pop("perturb"), problem.pop("alpha")
    net, X, Y, sample_weight = make_problem(**problem)
    rng = np.random.RandomState(problem["seed"])
    net.initialize(rng, init)
    if perturb:  # away from the initial point (e.g. gamma != 1)
        net.params += rng.normal(scale=0.3, size=net.params.shape)
    net.forward(X, training=True, rng=rng)  # draws the masks that stay fixed
    return net, X, Y, sample_weight, alpha


@settings(max_examples=200, deadline=None)
@given(problem=option_problems())
def test_backprop_matches_central_differences_with_options(problem):
    """Dropout with a fixed mask and batch norm on frozen batch statistics make
    the objective a smooth deterministic function of the parameters: backprop
    must match central differences from every initialiser."""
    loss = problem["loss"]
    net, X, Y, sample_weight, alpha = build_option_problem(problem)
    assume(not kink_within_step(net, X, STEP, sample_weight=sample_weight, **TRAINING))
    P = net.forward(X, sample_weight=sample_weight, **TRAINING)[-1].copy()
    assume(not probabilities_clipped(net, X, loss, P))
    loss, near_kink = at_this_point(loss, net, X, Y, sample_weight, P)
    assume(not near_kink)
    running = [a.copy() for a in net.running_means + net.running_vars]

    def fun(params):
        return net.loss_gradient(X, Y, loss, alpha, sample_weight, **TRAINING)

    net.grad[...] = np.nan  # every entry, batch-norm ones included, must be written
    value = fun(net.params)
    backprop = net.grad.copy()
    assert np.all(np.isfinite(backprop))
    assert value == fun(net.params)  # deterministic with fixed masks and statistics
    weight_sum = X.shape[0] if sample_weight is None else sample_weight.sum()
    reference = loss_value(loss, Y, P, sample_weight) + net.penalty(alpha, weight_sum)
    assert value == pytest.approx(reference, rel=1e-12, abs=1e-14)

    roundoff = objective_roundoff(net, X, Y, loss, sample_weight, value, P)
    atol = 1e-9 * max(1.0, abs(value)) + 30 * roundoff / STEP
    params_before = net.params.copy()
    numeric = extrapolated_gradient(fun, net.params)
    redundant = redundant_biases(net)
    numeric[redundant] = 0.0  # the exact derivative (see redundant_biases)
    compare_gradients(backprop, numeric, rtol=1e-6, atol=atol)
    assert_array_equal(net.params, params_before)
    for before, after in zip(running, net.running_means + net.running_vars):
        assert_array_equal(before, after)  # update_stats=False froze them


@pytest.mark.parametrize("batch_norm", [False, True])
@pytest.mark.parametrize("activation", ["gelu", ["swish", "leaky_relu"], ["elu", "softplus"]])
def test_backprop_with_options_fixed(activation, batch_norm):
    """A deterministic instance: per-layer activations, dropout and batch norm."""
    for seed in range(20):
        net, X, Y, w = make_problem((3, 4, 5, 3), activation, "log_loss", 8, seed,
                                    weighted=True, dropout=[0.3, 0.5], batch_norm=batch_norm)
        net.forward(X, training=True, rng=np.random.RandomState(seed))
        if not kink_within_step(net, X, STEP, **TRAINING):
            break

    def fun(params):
        return net.loss_gradient(X, Y, "log_loss", 0.2, w, **TRAINING)

    fun(net.params)
    backprop = net.grad.copy()
    numeric = numerical_gradient(fun, net.params, STEP)
    assert_allclose(backprop, numeric, rtol=1e-6, atol=1e-9)
    assert np.abs(backprop).max() > 1e-3


@pytest.mark.parametrize("name", ["leaky_relu", "elu", "softplus", "gelu", "swish"])
def test_subtly_wrong_new_derivative_is_caught(monkeypatch, name):
    """Plausible mistakes in the new derivatives fail the gradient check."""
    from scipy.special import expit

    def wrong(Z, A, delta):
        if name == "leaky_relu":  # forgot the slope: the ReLU derivative
            delta[A <= 0] = 0
        elif name == "elu":  # e^A instead of e^z = A + 1
            delta *= np.where(A > 0, 1.0, np.exp(A))
        elif name == "softplus":  # sigma(A) instead of sigma(z)
            delta *= expit(A)
        else:  # only the gate: forgot the product rule
            c = np.sqrt(2 / np.pi)
            delta *= expit(2 * c * (Z + 0.044715 * Z**3)) if name == "gelu" else expit(Z)
        return delta

    net, X, Y, _ = make_problem((3, 4, 2), name, "log_loss", n_samples=6, seed=2)
    assert not kink_within_step(net, X, STEP)

    def fun(params):
        return objective(net, X, Y, "log_loss", 0.1, None)

    net.loss_gradient(X, Y, "log_loss", alpha=0.1)
    check_gradient(fun, net.params, net.grad.copy())  # the real one passes
    monkeypatch.setattr(activations_module.ACTIVATIONS[name], "derivative", wrong)
    net.loss_gradient(X, Y, "log_loss", alpha=0.1)
    with pytest.raises(GradientCheckError, match=r"parameter \d+"):
        check_gradient(fun, net.params, net.grad.copy())


# ------------------------------------------------------ per-layer activations


def test_per_layer_activations_forward_and_predict():
    net, X, _, _ = make_problem((3, 4, 5, 2), ["gelu", "elu"], "squared_error", 6, seed=13)
    assert net.hidden_activations == ("gelu", "elu")
    assert net.hidden_activation == ["gelu", "elu"]
    c = np.sqrt(2 / np.pi)
    Z1 = X @ net.coefs[0] + net.intercepts[0]
    A1 = 0.5 * Z1 * (1 + np.tanh(c * (Z1 + 0.044715 * Z1**3)))
    Z2 = A1 @ net.coefs[1] + net.intercepts[1]
    A2 = np.where(Z2 > 0, Z2, np.expm1(Z2))
    expected = A2 @ net.coefs[2] + net.intercepts[2]
    assert_allclose(net.predict(X), expected, rtol=1e-13)
    assert_allclose(net.forward(X)[-1], expected, rtol=1e-13)
    assert_allclose(net.predict(X, n_layers=1), A1, rtol=1e-13)


def test_list_of_one_name_equals_the_name():
    X = np.random.RandomState(0).normal(size=(5, 3))
    Y = np.eye(2)[[0, 1, 1, 0, 1]]
    single = Network((3, 4, 4, 2), "logistic", "softmax").initialize(np.random.RandomState(1))
    listed = Network((3, 4, 4, 2), ["logistic"] * 2, "softmax")
    listed.initialize(np.random.RandomState(1))
    assert_array_equal(single.params, listed.params)  # same glorot factor 2, output included
    assert single.loss_gradient(X, Y, "log_loss", 0.1) == listed.loss_gradient(
        X, Y, "log_loss", 0.1)
    assert_array_equal(single.grad, listed.grad)


def test_per_layer_glorot_factor():
    net = Network((4, 5, 6, 3), ["logistic", "relu"], "softmax")
    net.initialize(np.random.RandomState(0))
    rng = np.random.RandomState(0)
    for layer, factor in enumerate([2.0, 6.0, 6.0]):  # the output follows the last hidden
        fan_in, fan_out = net.coefs[layer].shape
        bound = np.sqrt(factor / (fan_in + fan_out))
        assert_array_equal(net.coefs[layer], rng.uniform(-bound, bound, (fan_in, fan_out)))
        assert_array_equal(net.intercepts[layer], rng.uniform(-bound, bound, fan_out))


def _pre_activation_buffers(net):
    return [step.preactivation for steps in net.hidden_steps for step in steps
            if isinstance(step, ActivationStep)]


def test_gelu_and_swish_keep_pre_activations_others_do_not():
    net, X, Y, _ = make_problem((3, 4, 4, 4, 2), ["relu", "gelu", "tanh"], "log_loss", 5, 1)
    net.loss_gradient(X, Y, "log_loss")
    assert [p is not None for p in _pre_activation_buffers(net)] == [False, True, False]
    plain, X, Y, _ = make_problem((3, 4, 2), "relu", "log_loss", 5, 1)
    plain.loss_gradient(X, Y, "log_loss")
    assert _pre_activation_buffers(plain) == [None]  # the default path keeps nothing extra


@pytest.mark.parametrize(
    "hidden_activation, pattern",
    [
        (["relu"], r"hidden_activation.*1 name.*2 hidden layer"),
        (["relu", "tanh", "relu"], r"hidden_activation.*3 name.*2 hidden layer"),
        ("sigmoid", r"hidden_activation 'sigmoid' is not supported; allowed are \[.*'gelu'"),
        (["relu", "softmax"], r"'softmax' is not supported"),
    ],
)
def test_bad_hidden_activation(hidden_activation, pattern):
    with pytest.raises(ValueError, match=pattern):
        Network((3, 4, 4, 2), hidden_activation, "softmax")


def test_bad_output_activation_and_loss_pair():
    with pytest.raises(ValueError, match=r"output_activation 'sigmoid' is not supported"):
        Network((3, 4, 2), "relu", "sigmoid")
    net, X, Y, _ = make_problem((3, 4, 2), "relu", "binary_log_loss", 4, seed=0)
    with pytest.raises(ValueError, match=r"'log_loss' cannot follow.*'logistic'"):
        net.loss_gradient(X, Y, "log_loss")
    with pytest.raises(ValueError, match=r"loss 'hinge' is not supported"):
        net.loss_gradient(X, Y, "hinge")
    assert np.isfinite(net.loss_gradient(X, Y, "squared_error"))  # valid, non-canonical


def test_squared_error_after_logistic_and_softmax_via_network():
    for output in ("logistic", "softmax"):
        net, X, Y, w = make_problem((3, 4, 3), "tanh", "squared_error", 6, seed=4,
                                    weighted=True, output=output)
        value = net.loss_gradient(X, Y, "squared_error", 0.1, w)
        assert value == pytest.approx(objective(net, X, Y, "squared_error", 0.1, w), rel=1e-13)
        numeric = numerical_gradient(
            lambda p: objective(net, X, Y, "squared_error", 0.1, w), net.params
        )
        net.loss_gradient(X, Y, "squared_error", 0.1, w)
        assert_allclose(net.grad, numeric, rtol=1e-6, atol=1e-9)


# ---------------------------------------------- options off: nothing changes


def test_options_off_give_exactly_the_plain_network():
    """dropout=0 / batch_norm=False / training=True change no bit of anything."""
    plain, X, Y, w = make_problem((5, 6, 4, 3), "relu", "log_loss", 9, seed=21, weighted=True)
    for options in ({"dropout": 0.0}, {"dropout": [0.0, 0.0]}, {"batch_norm": False}):
        net = Network(plain.layer_sizes, "relu", "softmax", **options)
        net.params[:] = plain.params
        assert net.params.shape == plain.params.shape
        expected = plain.loss_gradient(X, Y, "log_loss", 0.3, w)
        for kwargs in ({}, {"training": True, "rng": np.random.RandomState(0)}):
            assert net.loss_gradient(X, Y, "log_loss", 0.3, w, **kwargs) == expected
            assert_array_equal(net.grad, plain.grad)
        assert_array_equal(net.predict(X), plain.predict(X))
        assert net.dropout_masks == [None, None]


def test_plain_network_matches_hand_written_backprop():
    """The default path still computes the textbook gradients (seed 3's formulas)."""
    net, X, Y, _ = make_problem((2, 3, 2), "logistic", "log_loss", 10, seed=22)
    hidden = 1 / (1 + np.exp(-(X @ net.coefs[0] + net.intercepts[0])))
    logits = hidden @ net.coefs[1] + net.intercepts[1]
    probs = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    error_out = (probs - Y) / 10
    error_hidden = hidden * (1 - hidden) * (error_out @ net.coefs[1].T)
    net.loss_gradient(X, Y, "log_loss")
    assert_allclose(net.coef_grads[1], hidden.T @ error_out, rtol=1e-12)
    assert_allclose(net.intercept_grads[1], error_out.sum(axis=0), rtol=1e-12, atol=1e-17)
    assert_allclose(net.coef_grads[0], X.T @ error_hidden, rtol=1e-12)
    assert_allclose(net.intercept_grads[0], error_hidden.sum(axis=0), rtol=1e-12, atol=1e-17)


def test_old_pickles_without_options_still_load():
    net, X, Y, _ = make_problem((3, 4, 2), "tanh", "log_loss", 5, seed=23)
    state = net.__getstate__()
    for name in ("hidden_activations", "dropout", "dropout_rates", "batch_norm",
                 "running_means", "running_vars"):
        state.pop(name)
    old = Network.__new__(Network)
    old.__setstate__(state)
    assert_array_equal(old.predict(X), net.predict(X))
    assert old.loss_gradient(X, Y, "log_loss", 0.1) == net.loss_gradient(X, Y, "log_loss", 0.1)
    assert old.hidden_activations == ("tanh",) and old.dropout_rates == (0.0,)


@pytest.mark.parametrize("options", [{"dropout": 0.4}, {"batch_norm": True},
                                     {"dropout": [0.5], "batch_norm": True}])
def test_float32_with_options_never_upcasts(options):
    net, X, Y, w = make_problem((4, 6, 3), ["swish"], "log_loss", 7, seed=24, weighted=True,
                                dtype=np.float32, **options)
    rng = np.random.RandomState(0)
    value = net.loss_gradient(X, Y, "log_loss", 0.1, w, training=True, rng=rng)
    assert np.isfinite(value)
    assert net.grad.dtype == np.float32
    assert all(a.dtype == np.float32 for a in net.forward(X, training=True, rng=rng))
    assert net.predict(X).dtype == np.float32
    assert all(m.dtype == np.float32 for m in net.dropout_masks if m is not None)
    assert all(a.dtype == np.float32 for a in net.running_means + net.running_vars)
    assert all(a.dtype == np.float32 for a in net.bn_gammas + net.bn_gamma_grads)

    net64 = Network(net.layer_sizes, ["swish"], "softmax", **options)
    net64.params[:] = net.params
    net.forward(X, training=True, rng=np.random.RandomState(1))
    net64.forward(X.astype(np.float64), training=True, rng=np.random.RandomState(1))
    kwargs = TRAINING
    value32 = net.loss_gradient(X, Y, "log_loss", 0.1, w, **kwargs)
    value64 = net64.loss_gradient(X.astype(np.float64), Y.astype(np.float64), "log_loss", 0.1,
                                  w.astype(np.float64), **kwargs)
    assert value32 == pytest.approx(value64, rel=1e-5)
    assert_allclose(net.grad, net64.grad, rtol=2e-3, atol=1e-5)


def test_configure_changes_activations_and_dropout_and_keeps_the_parameters():
    net = Network((4, 3, 2), "relu", "identity").initialize(np.random.RandomState(0))
    params = net.params.copy()
    X = np.random.RandomState(1).standard_normal((5, 4))
    net.forward(X)
    assert net.configure("tanh", 0.0) is net
    assert net.hidden_activations == ("tanh",) and net.dropout_rates == (0.0,)
    assert_array_equal(net.params, params)
    hidden = np.tanh(X @ net.coefs[0] + net.intercepts[0])
    assert_allclose(net.predict(X), hidden @ net.coefs[1] + net.intercepts[1], rtol=1e-12)
    net.configure("tanh", [0.5])
    assert net.hidden_activations == ("tanh",) and net.dropout_rates == (0.5,)
    net.forward(X, training=True, rng=np.random.default_rng(0))
    assert net.dropout_masks[0].shape == (5, 3)
    with pytest.raises(ValueError, match="dropout must be a rate"):
        net.configure("tanh", 1.0)


# ----------------------------------- registries, user activations and losses


class Sine(Activation):
    r"""A user's activation whose derivative reads Z: :math:`\sin z`, :math:`\cos z`."""

    name, needs_preactivation = "sine", True

    def forward(self, Z):
        return np.sin(Z, out=Z)

    def derivative(self, Z, A, delta):
        delta *= np.cos(Z)
        return delta


class ScaledTanh(Activation):
    r""":math:`\tanh(s z)`, derivative :math:`s (1 - A^2)` from the output."""

    name = "scaled_tanh"

    def __init__(self, scale=1.5):
        self.scale = scale

    def forward(self, Z):
        Z *= self.scale
        return np.tanh(Z, out=Z)

    def derivative(self, Z, A, delta):
        delta *= self.scale * (1 - A**2)
        return delta


class LogCosh(Loss):
    r"""A user's regression loss, :math:`\ell_i = \sum_k \log\cosh(y_{ik} - t_{ik})`."""

    name = "log_cosh"

    def per_sample(self, y_true, y_pred):
        r = y_pred - y_true
        return (np.logaddexp(r, -r) - np.log(2)).sum(axis=1)

    def gradient(self, y_true, y_pred, sample_weight=None, out=None, output_activation=None):
        weights = np.ones(len(y_true)) if sample_weight is None else sample_weight
        return np.tanh(y_pred - y_true) * (weights / weights.sum())[:, None]


class BareHalfSquares:
    """The bare loss protocol: value and gradient, the default identity output."""

    def value(self, y_true, y_pred, sample_weight=None):
        return 0.5 * float(((y_pred - y_true) ** 2).sum()) / len(y_true)

    def gradient(self, y_true, y_pred, sample_weight=None, out=None, output_activation=None):
        return (y_pred - y_true) / len(y_true)


@pytest.mark.parametrize("name", sorted(HIDDEN_ACTIVATIONS))
def test_every_hidden_activation_name_builds_the_registry_object(name):
    net, X, _, _ = make_problem((3, 4, 2), name, "squared_error", 5, seed=1)
    assert net.hidden_steps[0][0].activation is ACTIVATIONS[name]
    hidden = ACTIVATIONS[name].forward(X @ net.coefs[0] + net.intercepts[0])
    assert_allclose(net.predict(X), hidden @ net.coefs[1] + net.intercepts[1], rtol=1e-13)


@pytest.mark.parametrize("loss, output", LOSS_OUTPUT_PAIRS)
def test_every_loss_and_output_name_builds_the_registry_object(loss, output):
    net, X, Y, w = make_problem((3, 4, 2), "tanh", loss, 5, seed=2, output=output,
                                weighted=True)
    logits = np.tanh(X @ net.coefs[0] + net.intercepts[0]) @ net.coefs[1] + net.intercepts[1]
    assert_allclose(net.predict(X), ACTIVATIONS[output](logits), rtol=1e-13)
    value = net.loss_gradient(X, Y, loss, sample_weight=w)
    assert value == LOSSES[loss].value(Y, net.forward(X)[-1], w)
    grad = net.grad.copy()
    assert net.loss_gradient(X, Y, LOSSES[loss], sample_weight=w) == value  # the object
    assert_array_equal(net.grad, grad)


def test_a_newly_registered_activation_and_loss_are_used(monkeypatch):
    sine, log_cosh = Sine(), LogCosh()
    monkeypatch.setitem(activations_module.ACTIVATIONS, "sine", sine)
    monkeypatch.setitem(losses_module.LOSSES, "log_cosh", log_cosh)
    net, X, Y, _ = make_problem((3, 4, 4, 2), "sine", "squared_error", 6, seed=3)
    assert [steps[0].activation for steps in net.hidden_steps] == [sine, sine]
    assert net.hidden_steps[0][0].activation is sine
    A1 = np.sin(X @ net.coefs[0] + net.intercepts[0])
    A2 = np.sin(A1 @ net.coefs[1] + net.intercepts[1])
    assert_allclose(net.predict(X), A2 @ net.coefs[2] + net.intercepts[2], rtol=1e-13)
    value = net.loss_gradient(X, Y, "log_cosh", 0.1)
    assert value == log_cosh.value(Y, net.predict(X)) + net.penalty(0.1, 6)
    check_gradient(lambda p: net.loss_gradient(X, Y, "log_cosh", 0.1), net.params,
                   net.grad.copy())
    output = Network((3, 4, 2), "relu", "sine")  # a registered name is an output too
    output.params[:] = np.random.RandomState(0).normal(size=output.params.size)
    logits = np.maximum(X @ output.coefs[0] + output.intercepts[0], 0) @ output.coefs[1]
    assert_allclose(output.predict(X), np.sin(logits + output.intercepts[1]), rtol=1e-13)
    with pytest.raises(ValueError, match=r"'log_cosh' cannot follow the output activation "
                                         r"'sine'; allowed outputs for it are \['identity'\]"):
        output.loss_gradient(X, Y, "log_cosh")


@pytest.mark.parametrize("activation", [Sine(), ScaledTanh(), ["relu", Sine()],
                                        [ScaledTanh(0.5), "gelu"]])
@pytest.mark.parametrize("options", [{}, {"dropout": 0.3, "batch_norm": True}])
def test_user_activations_pass_the_gradient_check(activation, options):
    net, X, Y, w = make_problem((3, 5, 4, 3), activation, "log_loss", 8, seed=4,
                                weighted=True, **options)
    net.forward(X, training=True, rng=np.random.default_rng(0))  # masks, then fixed
    assert net.hidden_activations == tuple(activation if isinstance(activation, list)
                                           else [activation] * 2)

    def fun(params):
        return net.loss_gradient(X, Y, "log_loss", 0.2, w, **TRAINING)

    fun(net.params)
    backprop = net.grad.copy()
    assert_allclose(backprop, numerical_gradient(fun, net.params, STEP), rtol=1e-6, atol=1e-9)
    assert np.abs(backprop).max() > 1e-3


@pytest.mark.parametrize("loss", [LogCosh(), BareHalfSquares()])
def test_user_losses_pass_the_gradient_check(loss):
    net, X, Y, _ = make_problem((3, 4, 2), ScaledTanh(), "squared_error", 7, seed=5)
    value = net.loss_gradient(X, Y, loss, 0.3)
    assert value == pytest.approx(loss.value(Y, net.predict(X)) + net.penalty(0.3, 7),
                                  rel=1e-13)
    check_gradient(lambda p: net.loss_gradient(X, Y, loss, 0.3), net.params, net.grad.copy())
    with pytest.raises(ValueError, match=r"cannot follow the output activation 'softmax'"):
        make_problem((3, 4, 2), "relu", "log_loss", 4, seed=0)[0].loss_gradient(X, Y, loss)


def test_a_user_loss_gradient_is_what_backprop_starts_from(monkeypatch):
    calls = []
    loss = LogCosh()
    real = LogCosh.gradient

    def spy(self, y_true, y_pred, sample_weight=None, out=None, output_activation=None):
        calls.append((sample_weight, output_activation, out))
        return real(self, y_true, y_pred, sample_weight, out, output_activation)

    monkeypatch.setattr(LogCosh, "gradient", spy)
    net, X, Y, w = make_problem((3, 4, 2), "relu", "squared_error", 5, seed=6, weighted=True)
    net.loss_gradient(X, Y, loss, sample_weight=w)
    (weights, output, out), = calls
    assert weights is w and output == "identity" and out.shape == (5, 2)


def test_networks_with_user_objects_pickle_and_train_on_identically():
    activation = [ScaledTanh(0.8), Sine()]
    net, X, Y, w = make_problem((3, 5, 4, 2), activation, "squared_error", 9, seed=7,
                                weighted=True, dropout=[0.2, 0.0], batch_norm=True)
    rng = np.random.default_rng(0)
    for _ in range(3):
        net.loss_gradient(X, Y, LogCosh(), 0.1, w, training=True, rng=rng)
        net.params -= 0.1 * net.grad
    for duplicate in (lambda n: pickle.loads(pickle.dumps(n)), copy.deepcopy):
        clone = duplicate(net)
        assert clone.hidden_activation == activation and clone.hidden_activations[1] == Sine()
        assert clone.hidden_activations[0] is not activation[0]
        assert_array_equal(clone.predict(X), net.predict(X))
        ours, theirs = copy.deepcopy(rng), copy.deepcopy(rng)
        for network, generator in ((net, ours), (clone, theirs)):
            for _ in range(3):
                network.loss_gradient(X, Y, LogCosh(), 0.1, w, training=True, rng=generator)
                network.params -= 0.1 * network.grad
        assert_array_equal(clone.params, net.params)
        for a, b in zip(clone.running_means + clone.running_vars,
                        net.running_means + net.running_vars):
            assert_array_equal(a, b)
        assert_array_equal(clone.predict(X), net.predict(X))


def test_a_single_activation_object_sets_every_layer_and_the_glorot_factor():
    user = ScaledTanh()
    net = Network((4, 5, 6, 3), user, "softmax")
    assert net.hidden_activation is user and net.hidden_activations == (user, user)
    net.initialize(np.random.RandomState(0))
    reference = Network((4, 5, 6, 3), "tanh", "softmax").initialize(np.random.RandomState(0))
    assert_array_equal(net.params, reference.params)  # a name other than 'logistic': 6

    class Sigmoid(ScaledTanh):
        name = "logistic"  # the object's name sets the factor, as for the built-ins

    named = Network((4, 5, 3), Sigmoid(), "softmax").initialize(np.random.RandomState(0))
    assert_array_equal(named.params,
                       Network((4, 5, 3), "logistic", "softmax")
                       .initialize(np.random.RandomState(0)).params)
    with pytest.raises(TypeError, match="hidden_activation must be a str, an activation"):
        Network((4, 5, 3), 3.0, "softmax")
    with pytest.raises(ValueError, match=r"hidden_activation Softmax\(\) is not supported"):
        Network((4, 5, 3), ACTIVATIONS["softmax"], "softmax")


def test_weight_mask_marks_the_weights_only():
    net = Network((3, 4, 2), "relu", "softmax", batch_norm=True)
    mask = net.weight_mask()
    assert mask.shape == net.params.shape and mask.dtype == net.params.dtype
    net.params[:] = np.arange(net.params.size)
    weights = np.concatenate([c.ravel() for c in net.coefs])
    assert_array_equal(net.params[mask == 1], weights)
    assert set(np.unique(mask)) == {0.0, 1.0} and mask.sum() == 3 * 4 + 4 * 2
    assert not np.shares_memory(mask, net.params)
    float32 = Network((3, 2), "relu", "identity", dtype=np.float32).weight_mask()
    assert float32.dtype == np.float32
    assert_array_equal(float32, [1, 1, 1, 1, 1, 1, 0, 0])


LEGACY = sorted((Path(__file__).parent.parent / "data" / "legacy_0.1.0").glob("*.pkl"))


@pytest.mark.parametrize("path", LEGACY, ids=lambda p: p.stem)
def test_networks_pickled_by_0_1_0_load_and_predict_the_same(path):
    from skfcnn.exceptions import InconsistentVersionWarning

    with open(path, "rb") as f, pytest.warns(InconsistentVersionWarning, match="0.1.0"):
        estimator, X, _, expected, _ = pickle.load(f)
    network = estimator._network
    assert isinstance(network, Network)
    X = X.astype(network.dtype)
    if path.stem.startswith("classifier"):
        out = network.predict(X)
        proba = np.hstack([1 - out, out]) if out.shape[1] == 1 else out
        assert_allclose(proba, expected, rtol=1e-12, atol=0)
        assert_allclose(estimator.predict_proba(X), expected, rtol=1e-12, atol=0)
    else:
        assert_allclose(network.predict(X).ravel(), expected, rtol=1e-12, atol=0)
        assert_allclose(estimator.predict(X), expected, rtol=1e-12, atol=0)
    again = pickle.loads(pickle.dumps(network))  # and through the new code's pickle
    assert_array_equal(again.predict(X), network.predict(X))
    assert again.__getstate__().keys() == network.__getstate__().keys()
