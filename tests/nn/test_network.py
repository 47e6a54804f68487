"""The network: backprop against central differences, views, dtype, pickling."""

import pickle
import re
import warnings

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose, assert_array_equal

from skfcnn.nn import (
    GradientCheckError,
    Network,
    check_gradient,
    numerical_gradient,
)
from skfcnn.nn import activations as activations_module
from skfcnn.nn.activations import DERIVATIVES
from skfcnn.nn.losses import LOSSES, OUTPUT_ACTIVATION_OF, loss_value

STEP = 1e-5  # central-difference step used throughout


# ------------------------------------------------------------------ helpers


def encode_targets(loss, rng, n_samples, n_outputs):
    """Targets of the kind each loss expects."""
    if loss == "log_loss":  # one-hot rows
        return np.eye(n_outputs)[rng.randint(n_outputs, size=n_samples)]
    if loss == "binary_log_loss":  # 0/1 indicators
        return (rng.uniform(size=(n_samples, n_outputs)) < 0.5).astype(float)
    if loss == "squared_error":  # real values
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
):
    """A network with continuous random parameters, inputs and encoded targets."""
    rng = np.random.RandomState(seed)
    net = Network(layer_sizes, activation, OUTPUT_ACTIVATION_OF[loss], dtype=dtype)
    for coef, intercept in zip(net.coefs, net.intercepts):
        std = scale / np.sqrt(coef.shape[0])
        coef[...] = rng.normal(scale=std, size=coef.shape)
        intercept[...] = rng.normal(scale=0.5, size=intercept.shape)
    n_outputs = layer_sizes[-1]
    X = rng.normal(size=(n_samples, layer_sizes[0])).astype(dtype)
    Y = encode_targets(loss, rng, n_samples, n_outputs).astype(dtype)
    sample_weight = rng.uniform(0.1, 3.0, n_samples).astype(dtype) if weighted else None
    return net, X, Y, sample_weight


def objective(net, X, Y, loss, alpha, sample_weight):
    """The objective recomputed independently of loss_gradient (via predict)."""
    weight_sum = X.shape[0] if sample_weight is None else float(sample_weight.sum())
    value = loss_value(loss, Y, net.predict(X), sample_weight)
    return value + net.penalty(alpha, weight_sum)


def hidden_pre_activations(net, X):
    """Pre-activations Z_l of every hidden layer, computed by hand."""
    result, inputs = [], X
    for layer in range(net.n_layers - 1):
        Z = inputs @ net.coefs[layer] + net.intercepts[layer]
        result.append(Z)
        inputs = activations_module.ACTIVATIONS[net.hidden_activation](Z.copy())
    return result


def kink_within_step(net, X, step):
    """Whether moving any one parameter by +-step flips the sign of a ReLU input.

    Central differences approximate the derivative only where the objective is
    smooth on [theta - h, theta + h].  For ReLU the objective is smooth exactly
    where the pattern of active units does not change, so such draws are
    outside the domain of the check (they have probability ~ h).
    """
    if net.hidden_activation != "relu" or net.n_layers == 1:
        return False
    pre_activations = hidden_pre_activations(net, X)
    if any(np.any(Z == 0) for Z in pre_activations):
        return True
    pattern = [Z > 0 for Z in pre_activations]
    params = net.params
    for j in range(params.shape[0]):
        original = params[j]
        for shifted in (original + step, original - step):
            params[j] = shifted
            moved = [Z > 0 for Z in hidden_pre_activations(net, X)]
            params[j] = original
            if any(not np.array_equal(a, b) for a, b in zip(pattern, moved)):
                return True
    return False


def probabilities_clipped(net, X, loss):
    """Whether the log losses clip an output probability at eps (not smooth)."""
    if loss not in ("log_loss", "binary_log_loss"):
        return False
    eps = np.finfo(net.dtype).eps
    Y = net.predict(X)
    return bool(np.any(Y < 10 * eps) or np.any(Y > 1 - 10 * eps))


def objective_roundoff(net, X, Y, loss, sample_weight, value):
    r"""First-order bound on the rounding error of :func:`objective`.

    The objective is computed from the output probabilities :math:`p`, each
    known to within :math:`\epsilon p`, so its rounding error is about
    :math:`\epsilon (|J| + \sum_{ik} \bar w_i |\partial \ell_i / \partial p_{ik}| p_{ik})`.
    It is small except for ``binary_log_loss`` with a target 0 and
    :math:`p \to 1`, where :math:`-\log(1 - p)` has condition number
    :math:`p / (1 - p)`.  Central differences divide this error by the step.
    """
    eps = np.finfo(np.float64).eps
    P = net.predict(X)
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


@st.composite
def gradient_problems(draw):
    loss = draw(st.sampled_from(sorted(LOSSES)))
    n_features = draw(st.integers(1, 5))
    hidden = draw(st.lists(st.integers(1, 6), min_size=0, max_size=3))
    n_outputs = draw(st.integers(2 if loss == "log_loss" else 1, 4))
    return dict(
        layer_sizes=(n_features, *hidden, n_outputs),
        activation=draw(st.sampled_from(sorted(DERIVATIVES))),
        loss=loss,
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
@pytest.mark.parametrize("loss", sorted(LOSSES))
def test_backprop_matches_central_differences_fixed(activation, loss):
    """A deterministic instance of the property for every activation and loss."""
    for seed in range(20):  # first seed whose ReLU pattern is stable
        net, X, Y, sample_weight = make_problem(
            (3, 4, 5, 2), activation, loss, n_samples=6, seed=seed, weighted=True
        )
        if not kink_within_step(net, X, STEP):
            break
    net.loss_gradient(X, Y, loss, alpha=0.3, sample_weight=sample_weight)
    numeric = numerical_gradient(
        lambda p: objective(net, X, Y, loss, 0.3, sample_weight), net.params, STEP
    )
    assert_allclose(net.grad, numeric, rtol=1e-6, atol=1e-9)
    assert np.abs(net.grad).max() > 1e-3  # the check compares something


# ---------------------------------------------- the check catches bad derivatives


def _wrong_tanh_derivative(A, delta):
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

    monkeypatch.setitem(activations_module.DERIVATIVES, "tanh", _wrong_tanh_derivative)
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

    def wrong_derivative(A, delta):
        original(A, delta)
        delta *= 1.5  # off by a constant factor: wrong for every activation
        return delta

    net, X, Y, _ = make_problem((2, 3, 3), activation, "log_loss", n_samples=4, seed=3)
    assert not kink_within_step(net, X, STEP)
    monkeypatch.setitem(activations_module.DERIVATIVES, activation, wrong_derivative)
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
