"""The passes that ride along the optimiser's blocked update (the checkpoint's copy of the
parameters, the L2 term) give the numbers of separate passes, bit for bit."""

import numpy as np
import pytest
from conftest import quiet_fit
from numpy.testing import assert_array_equal
from sklearn.datasets import make_classification

from skfcnn import FCNNClassifier, FCNNRegressor
from skfcnn.nn import SGD, Adagrad, Adam, RMSprop
from skfcnn.nn._blocks import block_length
from skfcnn.nn.optimizers import AdamW, fuses_passes
from skfcnn.nn.penalty import add_weight_decay
from skfcnn.training.callbacks import Callback


class ReadsTheGradient(Callback):
    """A gradient hook: the loop then takes the separate passes."""

    def __init__(self):
        self.calls = 0

    def on_gradient(self, run, grad):
        self.calls += 1


@pytest.mark.parametrize("optimizer", [Adam(), SGD(), SGD(nesterov=False), RMSprop(),
                                       Adagrad()], ids=repr)
def test_the_update_with_its_passes_is_the_separate_passes(optimizer):
    dtype = np.float32
    size = 3 * block_length(dtype) + 123  # several blocks; the ranges cross them
    rng = np.random.default_rng(0)
    params = rng.standard_normal(size).astype(dtype)
    grad = rng.standard_normal(size).astype(dtype)
    segments = [(0, 1000), (1010, block_length(dtype) + 77), (2 * block_length(dtype), size)]
    factor = 1e-3 / 7
    twin_params, twin_grad = params.copy(), grad.copy()
    state, twin_state = optimizer.init(params), optimizer.init(twin_params)
    keep = np.empty_like(params)
    for _ in range(3):
        expected_keep = twin_params.copy()
        scratch = np.empty(block_length(dtype), dtype)
        for low, high in segments:
            add_weight_decay(twin_params[low:high], twin_grad[low:high], factor, scratch)
        optimizer.update(twin_params, twin_grad, 0.01, twin_state)
        optimizer.update(params, grad, 0.01, state, l2=(factor, segments), keep=keep)
        assert_array_equal(keep, expected_keep)
        assert_array_equal(params, twin_params)
        assert_array_equal(grad, twin_grad)


def test_only_the_blocked_update_takes_the_passes():
    assert all(fuses_passes(o) for o in (Adam(), SGD(), RMSprop(), Adagrad()))
    assert not fuses_passes(AdamW()) and not fuses_passes(object())


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("solver", ["adam", "sgd", "rmsprop", "adagrad"])
def test_a_fit_is_the_same_with_and_without_the_fused_passes(solver, dtype):
    X, y = make_classification(n_samples=300, n_features=8, n_classes=3, n_informative=5,
                               random_state=0)
    X = X.astype(dtype)
    weights = np.random.default_rng(1).uniform(0.5, 2.0, size=len(y))
    params = dict(hidden_layer_sizes=(16, 8), solver=solver, alpha=0.01, batch_size=64,
                  max_iter=5, random_state=0)
    fused = quiet_fit(FCNNClassifier(**params), X, y, sample_weight=weights)
    hook = ReadsTheGradient()
    separate = quiet_fit(FCNNClassifier(**params, callbacks=[hook]), X, y,
                         sample_weight=weights)
    assert hook.calls == 5 * 5  # the separate passes did run
    for mine, theirs in zip(fused.coefs_ + fused.intercepts_,
                            separate.coefs_ + separate.intercepts_):
        assert_array_equal(mine, theirs)
    assert fused.loss_curve_ == separate.loss_curve_


def test_divergence_keeps_the_parameters_before_the_last_step():
    """The checkpoint filled by the update holds the parameters before the update that
    made the loss non-finite: what the separate copy kept."""
    X, y = make_classification(n_samples=200, n_features=5, random_state=0)
    y = y * 1e3 + 0.0
    params = dict(hidden_layer_sizes=(8,), solver="sgd", learning_rate_init=10.0,
                  alpha=0.01, max_iter=50, random_state=0)
    errors, models = [], []
    for callbacks in (None, [ReadsTheGradient()]):
        model = FCNNRegressor(**params, callbacks=callbacks)
        with pytest.raises(ValueError, match="diverged") as error:
            quiet_fit(model, X, y)
        errors.append(str(error.value))
        models.append(model)
    assert errors[0] == errors[1]
    for mine, theirs in zip(models[0].coefs_, models[1].coefs_):
        assert_array_equal(mine, theirs)
    assert all(np.isfinite(c).all() for c in models[0].coefs_)


def test_the_weight_segments_are_where_the_weights_lie():
    from skfcnn.nn import Network, PeriodicEmbedding

    net = Network((3, 5, 4, 2), "tanh", "identity",
                  input_steps=[PeriodicEmbedding(n_frequencies=2)])
    mask = np.zeros_like(net.params)
    for low, high in net.weight_segments():
        mask[low:high] = 1
    assert_array_equal(mask, net.weight_mask())
    assert sum(c.size for c in net.coefs) == int(mask.sum())
