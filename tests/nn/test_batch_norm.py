"""Batch normalisation: layout, forward in both modes, running statistics, backward."""

import pickle

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from skfcnn.nn import Network, batch_norm, numerical_gradient
from skfcnn.nn.network import n_parameters

EPS = 1e-5


def make_net(layer_sizes=(4, 6, 5, 3), activation="tanh", dtype=np.float64, seed=0, **kw):
    net = Network(layer_sizes, activation, "softmax", dtype=dtype, batch_norm=True, **kw)
    net.initialize(np.random.RandomState(seed))
    rng = np.random.RandomState(seed + 1)
    X = (rng.normal(size=(12, layer_sizes[0])) * 3 + 2).astype(dtype)
    Y = np.eye(layer_sizes[-1])[rng.randint(layer_sizes[-1], size=12)].astype(dtype)
    return net, X, Y


def randomise_gamma_beta(net, seed=0):
    rng = np.random.RandomState(seed)
    for gamma, beta in zip(net.bn_gammas, net.bn_betas):
        gamma[...] = rng.uniform(0.5, 2.0, gamma.shape)
        beta[...] = rng.normal(size=beta.shape)


def normalise(Z, mean, var, gamma, beta):
    return gamma * (Z - mean) / np.sqrt(var + EPS) + beta


# ------------------------------------------------------------------ layout


def test_gamma_beta_are_appended_after_the_dense_parameters():
    plain = Network((4, 6, 5, 3), "relu", "softmax")
    net = Network((4, 6, 5, 3), "relu", "softmax", batch_norm=True)
    n_dense = n_parameters((4, 6, 5, 3))
    assert plain.params.size == n_dense
    assert net.params.size == n_dense + 2 * (6 + 5)
    net.params[:] = np.arange(net.params.size)
    plain.params[:] = np.arange(plain.params.size)
    for ours, theirs in zip(net.coefs + net.intercepts, plain.coefs + plain.intercepts):
        assert_array_equal(ours, theirs)  # the dense layout is unchanged
    # gamma_1, beta_1, gamma_2, beta_2
    assert_array_equal(net.bn_gammas[0], np.arange(n_dense, n_dense + 6))
    assert_array_equal(net.bn_betas[0], np.arange(n_dense + 6, n_dense + 12))
    assert_array_equal(net.bn_gammas[1], np.arange(n_dense + 12, n_dense + 17))
    assert_array_equal(net.bn_betas[1], np.arange(n_dense + 17, n_dense + 22))
    for view in net.bn_gammas + net.bn_betas:
        assert np.shares_memory(view, net.params)
    for view in net.bn_gamma_grads + net.bn_beta_grads:
        assert np.shares_memory(view, net.grad)
    assert plain.bn_gammas == plain.bn_betas == plain.running_means == []


def test_initial_gamma_beta_and_running_stats():
    net = Network((3, 4, 2), "relu", "softmax", batch_norm=True)
    assert_array_equal(net.bn_gammas[0], 1.0)
    assert_array_equal(net.bn_betas[0], 0.0)
    net.params[:] = 7.0
    net.running_means[0][:] = 3.0
    net.running_vars[0][:] = 9.0
    net.initialize(np.random.RandomState(0))
    assert_array_equal(net.bn_gammas[0], 1.0)
    assert_array_equal(net.bn_betas[0], 0.0)
    assert_array_equal(net.running_means[0], 0.0)
    assert_array_equal(net.running_vars[0], 1.0)
    # the dense part is drawn exactly as without batch norm
    plain = Network((3, 4, 2), "relu", "softmax").initialize(np.random.RandomState(0))
    assert_array_equal(net.params[: plain.params.size], plain.params)


# ------------------------------------------------------------------ forward


def test_training_forward_uses_batch_statistics():
    net, X, _ = make_net()
    randomise_gamma_beta(net)
    outputs = net.forward(X, training=True, update_stats=False)
    Z1 = X @ net.coefs[0] + net.intercepts[0]
    A1 = np.tanh(normalise(Z1, Z1.mean(0), Z1.var(0), net.bn_gammas[0], net.bn_betas[0]))
    assert_allclose(outputs[1], A1, rtol=1e-12, atol=1e-14)
    Z2 = A1 @ net.coefs[1] + net.intercepts[1]
    A2 = np.tanh(normalise(Z2, Z2.mean(0), Z2.var(0), net.bn_gammas[1], net.bn_betas[1]))
    assert_allclose(outputs[2], A2, rtol=1e-12, atol=1e-14)


def test_normalised_pre_activation_has_mean_zero_and_unit_variance():
    net, X, _ = make_net(activation="identity")
    outputs = net.forward(X, training=True, update_stats=False)  # gamma 1, beta 0
    for hidden in outputs[1:-1]:
        assert_allclose(hidden.mean(axis=0), 0.0, atol=1e-12)
        variance = hidden.var(axis=0)
        assert np.all(variance < 1) and np.all(variance > 0.99)  # var / (var + eps)


def test_predict_uses_the_running_statistics():
    net, X, _ = make_net()
    randomise_gamma_beta(net)
    rng = np.random.RandomState(3)
    for _ in range(5):
        net.forward(X + rng.normal(size=X.shape), training=True)
    means, variances = net.running_means, net.running_vars
    Z1 = X @ net.coefs[0] + net.intercepts[0]
    A1 = np.tanh(normalise(Z1, means[0], variances[0], net.bn_gammas[0], net.bn_betas[0]))
    Z2 = A1 @ net.coefs[1] + net.intercepts[1]
    A2 = np.tanh(normalise(Z2, means[1], variances[1], net.bn_gammas[1], net.bn_betas[1]))
    logits = A2 @ net.coefs[2] + net.intercepts[2]
    assert_allclose(net.predict(X, raw_output=True), logits, rtol=1e-12)
    assert_allclose(net.predict(X, n_layers=1), A1, rtol=1e-12)
    assert_allclose(net.forward(X)[-1], net.predict(X), rtol=1e-13)  # eval-mode forward
    training = net.forward(X, training=True, update_stats=False)[-1]
    assert np.abs(training - net.predict(X)).max() > 1e-3  # the two modes differ
    # a single row is predicted exactly as within a batch (no batch statistics)
    assert_allclose(net.predict(X[:1]), net.predict(X)[:1], rtol=1e-13)


def test_running_statistics_update_rule():
    net, X, _ = make_net()
    Z1 = X @ net.coefs[0] + net.intercepts[0]
    net.forward(X, training=True)
    n = X.shape[0]
    assert_allclose(net.running_means[0], 0.1 * Z1.mean(0), rtol=1e-12)
    # the unbiased batch variance, like PyTorch
    assert_allclose(net.running_vars[0], 0.9 + 0.1 * Z1.var(0) * n / (n - 1), rtol=1e-12)
    before = [a.copy() for a in net.running_means + net.running_vars]
    net.forward(X, training=True, update_stats=False)
    net.forward(X)
    net.predict(X)
    net.loss_gradient(X, np.eye(3)[[0] * n], "log_loss", training=True, update_stats=False)
    for a, b in zip(before, net.running_means + net.running_vars):
        assert_array_equal(a, b)


def test_a_single_row_moves_only_the_running_mean():
    net, X, _ = make_net()
    net.forward(X[:1], training=True)
    Z1 = X[:1] @ net.coefs[0] + net.intercepts[0]
    assert_allclose(net.running_means[0], 0.1 * Z1[0], rtol=1e-12)
    assert_array_equal(net.running_vars[0], 1.0)
    assert np.all(np.isfinite(net.forward(X[:1], training=True)[-1]))


def test_running_statistics_converge_to_the_data_statistics():
    """Many batches from one distribution: running mean and variance approach
    the population mean and variance of each unit's pre-activation."""
    net = Network((2, 3, 2), "relu", "softmax", batch_norm=True)
    net.coefs[0][...] = [[1.0, 0.0, 2.0], [0.0, 1.0, -1.0]]
    net.intercepts[0][...] = [0.5, -1.0, 0.0]
    rng = np.random.RandomState(0)
    location, spread = np.array([3.0, -2.0]), np.array([2.0, 0.5])
    for _ in range(600):
        net.forward(location + spread * rng.normal(size=(64, 2)), training=True)
    W, b = net.coefs[0], net.intercepts[0]
    expected_mean = location @ W + b
    expected_var = (spread**2) @ W**2
    assert_allclose(net.running_means[0], expected_mean, rtol=0.03, atol=0.05)
    assert_allclose(net.running_vars[0], expected_var, rtol=0.1)


def test_pickle_keeps_running_statistics():
    net, X, Y = make_net()
    randomise_gamma_beta(net)
    for seed in range(3):
        net.loss_gradient(X, Y, "log_loss", training=True, rng=np.random.RandomState(seed))
    clone = pickle.loads(pickle.dumps(net))
    for a, b in zip(clone.running_means + clone.running_vars,
                    net.running_means + net.running_vars):
        assert_array_equal(a, b)
        assert not np.shares_memory(a, b)
    assert_array_equal(clone.predict(X), net.predict(X))
    for view in clone.bn_gammas + clone.bn_betas:
        assert np.shares_memory(view, clone.params)
    for view in clone.bn_gamma_grads + clone.bn_beta_grads:
        assert np.shares_memory(view, clone.grad)
    assert clone.loss_gradient(X, Y, "log_loss", training=True) == net.loss_gradient(
        X, Y, "log_loss", training=True)
    assert_array_equal(clone.grad, net.grad)


def test_statistics_persist_across_calls_like_partial_fit():
    """The running statistics live in the network, so epochs accumulate them."""
    net, X, Y = make_net()
    for start in (0, 4, 8):
        net.loss_gradient(X[start : start + 4], Y[start : start + 4], "log_loss", training=True)
    Z1 = X @ net.coefs[0] + net.intercepts[0]
    expected = np.zeros(6)
    for start in (0, 4, 8):
        expected = 0.9 * expected + 0.1 * Z1[start : start + 4].mean(0)
    assert_allclose(net.running_means[0], expected, rtol=1e-12)


# ----------------------------------------------------------------- backward


def _objective(net, X, Y, **kwargs):
    def fun(params):
        return net.loss_gradient(X, Y, "log_loss", 0.3, None, **kwargs)
    return fun


@pytest.mark.parametrize("training", [True, False])
def test_backprop_through_batch_norm(training):
    net, X, Y = make_net(activation="softplus", seed=4)
    randomise_gamma_beta(net, 1)
    net.forward(X, training=True)  # running statistics away from 0 / 1
    fun = _objective(net, X, Y, training=training, update_stats=False)
    fun(net.params)
    backprop = net.grad.copy()
    numeric = numerical_gradient(fun, net.params)
    assert_allclose(backprop, numeric, rtol=1e-6, atol=1e-9)
    assert min(np.abs(g).max() for g in net.bn_gamma_grads + net.bn_beta_grads) > 1e-3


def test_bias_before_batch_norm_has_no_gradient_in_training():
    """Batch statistics subtract any shift of Z: the dense bias cannot matter."""
    net, X, Y = make_net(seed=5)
    net.loss_gradient(X, Y, "log_loss", training=True, update_stats=False)
    for grad in net.intercept_grads[:-1]:
        assert_allclose(grad, 0.0, atol=1e-15)
    assert np.abs(net.intercept_grads[-1]).max() > 1e-3


def test_l2_penalty_skips_gamma_and_beta():
    net, X, Y = make_net(seed=6)
    randomise_gamma_beta(net, 2)
    kwargs = dict(training=True, update_stats=False)
    without = net.loss_gradient(X, Y, "log_loss", 0.0, **kwargs)
    grad = net.grad.copy()
    with_penalty = net.loss_gradient(X, Y, "log_loss", 5.0, **kwargs)
    assert with_penalty - without == pytest.approx(net.penalty(5.0, X.shape[0]), rel=1e-12)
    n_dense = n_parameters(net.layer_sizes)
    assert_array_equal(net.grad[n_dense:], grad[n_dense:])
    assert np.any(net.grad[:n_dense] != grad[:n_dense])


def test_sample_weights_weight_the_loss_and_the_statistics():
    net, X, Y = make_net(seed=7)
    weights = np.r_[np.full(6, 2.0), np.full(6, 0.5)]
    value = net.loss_gradient(X, Y, "log_loss", 0.0, weights, training=True,
                              update_stats=False)
    probs = net.forward(X, training=True, update_stats=False, sample_weight=weights)[-1].copy()
    unweighted = net.forward(X, training=True, update_stats=False)[-1]
    assert not np.allclose(probs, unweighted)  # the weights moved the batch statistics
    per_sample = -np.log((probs * Y).sum(axis=1))
    assert value == pytest.approx(np.dot(per_sample, weights) / weights.sum(), rel=1e-12)
    fun = lambda p: net.loss_gradient(X, Y, "log_loss", 0.0, weights, training=True,  # noqa
                                      update_stats=False)
    fun(net.params)
    backprop = net.grad.copy()
    assert_allclose(backprop, numerical_gradient(fun, net.params), rtol=1e-6, atol=1e-9)


def test_backward_function_matches_the_formula():
    rng = np.random.RandomState(0)
    Z = rng.normal(size=(7, 3)) * 2 + 1
    gamma, beta = rng.uniform(0.5, 2, 3), rng.normal(size=3)
    out, normalized = Z.copy(), np.empty_like(Z)
    mean, var, inv_std = batch_norm.forward_train(out, normalized, gamma, beta)
    assert_allclose(mean, Z.mean(0), rtol=1e-14)
    assert_allclose(var, Z.var(0), rtol=1e-13)
    assert_allclose(out, normalise(Z, Z.mean(0), Z.var(0), gamma, beta), rtol=1e-13)
    g = rng.normal(size=Z.shape)
    delta = g.copy()
    gamma_grad, beta_grad = np.empty(3), np.empty(3)
    batch_norm.backward(delta, normalized, gamma, inv_std, gamma_grad, beta_grad,
                        np.empty_like(Z), training=True)
    n = Z.shape[0]
    expected = gamma * inv_std / n * (n * g - g.sum(0) - normalized * (g * normalized).sum(0))
    assert_allclose(delta, expected, rtol=1e-12, atol=1e-15)
    assert_allclose(gamma_grad, (g * normalized).sum(0), rtol=1e-13)
    assert_allclose(beta_grad, g.sum(0), rtol=1e-13)


def test_float32_batch_norm():
    net, X, Y = make_net(dtype=np.float32)
    value = net.loss_gradient(X, Y, "log_loss", 0.1, training=True)
    assert np.isfinite(value)
    assert net.grad.dtype == np.float32
    assert all(a.dtype == np.float32 for a in net.running_means + net.running_vars)
    assert net.predict(X).dtype == np.float32
    net64, X64, _ = make_net()
    net64.params[:] = net.params
    net64.forward(X64, training=True)  # the same single update of the statistics
    for a, b in zip(net.running_means + net.running_vars,
                    net64.running_means + net64.running_vars):
        assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    assert_allclose(net.predict(X), net64.predict(X64), rtol=1e-4, atol=1e-6)


def test_weighted_statistics_equal_repeated_rows():
    rng = np.random.RandomState(1)
    Z = rng.normal(size=(6, 3)) * 3 - 1
    weights = np.array([2.0, 0.0, 1.0, 3.0, 1.0, 0.0])
    gamma, beta = rng.uniform(0.5, 2, 3), rng.normal(size=3)
    out, normalized = Z.copy(), np.empty_like(Z)
    fractions = batch_norm.batch_fractions(weights)
    mean, var, _ = batch_norm.forward_train(out, normalized, gamma, beta, fractions)
    repeated = np.repeat(Z, weights.astype(int), axis=0)
    assert_allclose(mean, repeated.mean(0), rtol=1e-13)
    assert_allclose(var, repeated.var(0), rtol=1e-12)
    assert_allclose(out, normalise(Z, repeated.mean(0), repeated.var(0), gamma, beta),
                    rtol=1e-12)
    running_mean, running_var = np.zeros(3), np.ones(3)
    batch_norm.forward(Z.copy(), normalized, gamma, beta, running_mean, running_var,
                       training=True, update_stats=True, sample_weight=weights)
    n = repeated.shape[0]
    assert_allclose(running_var, 0.9 + 0.1 * repeated.var(0) * n / (n - 1), rtol=1e-12)


def test_weighted_backward_matches_central_differences():
    rng = np.random.RandomState(2)
    Z = rng.normal(size=(5, 2))
    weights = np.array([0.5, 2.0, 0.0, 1.5, 1.0])
    gamma, beta = rng.uniform(0.5, 2, 2), rng.normal(size=2)
    G = rng.normal(size=Z.shape)
    fractions = batch_norm.batch_fractions(weights)

    def objective(z):
        out = z.reshape(Z.shape).copy()
        batch_norm.forward_train(out, np.empty_like(out), gamma, beta, fractions)
        return float((G * out).sum())

    out, normalized = Z.copy(), np.empty_like(Z)
    _, _, inv_std = batch_norm.forward_train(out, normalized, gamma, beta, fractions)
    delta, gamma_grad, beta_grad = G.copy(), np.empty(2), np.empty(2)
    batch_norm.backward(delta, normalized, gamma, inv_std, gamma_grad, beta_grad,
                        np.empty_like(Z), training=True, fractions=fractions)
    numerical = numerical_gradient(objective, Z.ravel().copy()).reshape(Z.shape)
    assert_allclose(delta, numerical, rtol=1e-6, atol=1e-9)
    assert_allclose(delta.sum(0), 0.0, atol=1e-12)  # a bias before the normalisation: no gradient
