"""The extension points through the estimators: optimisers and schedules built from
their registries (a newly registered name trains), gradient transforms for every
stochastic solver (clipping, decoupled weight decay), metric-driven schedules."""

import numpy as np
import pytest
from sklearn.utils._param_validation import InvalidParameterError

from skfcnn import FCNNClassifier, FCNNRegressor
from skfcnn.estimators.params import make_optimizer
from skfcnn.nn import optimizers, schedules, transforms

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
STOCHASTIC = sorted(optimizers.OPTIMIZERS)


@pytest.fixture(scope="module")
def circles(small_circles):
    return small_circles


def _spy(monkeypatch, cls, calls):
    """Record ``(params before, grad, rate, params after)`` of each ``cls.update``."""
    real = cls.update

    def update(self, params, grad, learning_rate, state):
        before, seen = params.copy(), grad.copy()
        result = real(self, params, grad, learning_rate, state)
        calls.append((before, seen, learning_rate, params.copy()))
        return result

    monkeypatch.setattr(cls, "update", update)


# -- the optimiser from the registry, by name ------------------------------------------------
def test_the_optimizer_gets_the_estimator_parameters_of_its_arguments():
    est = FCNNClassifier(solver="sgd", momentum=0.5, nesterovs_momentum=False, epsilon=1e-7,
                         beta_1=0.8)
    assert make_optimizer(est) == optimizers.SGD(momentum=0.5, nesterov=False)
    assert make_optimizer(est.set_params(solver="adam")) == optimizers.Adam(0.8, 0.999, 1e-7)
    # RMSprop and Adagrad take the estimator's epsilon (1e-8), not their class default
    assert make_optimizer(est.set_params(solver="rmsprop")) == optimizers.RMSprop(epsilon=1e-7)
    assert make_optimizer(FCNNClassifier(solver="adagrad")).epsilon == 1e-8
    # weight_decay=None keeps AdamW's default
    assert make_optimizer(FCNNClassifier(solver="adamw")).weight_decay == 0.01
    assert make_optimizer(FCNNClassifier(solver="adamw", weight_decay=0.2)).weight_decay == 0.2


class CountingSignSGD(optimizers.Optimizer):
    r"""A new optimiser, :math:`\theta \leftarrow \theta - \eta s \,\mathrm{sign}(g)`, that
    counts its updates (a class attribute, as the estimator builds a fresh object)."""

    updates = 0
    _n_scratch = 1

    def __init__(self, momentum=0.0, scale=1.0):
        self.momentum = momentum  # an estimator parameter too: it comes from there
        self.scale = scale  # not one: the class default stays

    def update(self, params, grad, learning_rate, state):
        type(self).updates += 1
        return super().update(params, grad, learning_rate, state)

    def _update_block(self, params, grad, scratch, learning_rate):
        step = np.sign(grad, out=scratch[0])
        step *= learning_rate * self.scale
        params -= step


@pytest.mark.parametrize("cls", [FCNNClassifier, FCNNRegressor])
def test_a_newly_registered_optimizer_trains(cls, circles, monkeypatch):
    monkeypatch.setitem(optimizers.OPTIMIZERS, "signsgd", CountingSignSGD)
    monkeypatch.setattr(CountingSignSGD, "updates", 0)
    X, y = circles
    est = cls(hidden_layer_sizes=(5,), solver="signsgd", momentum=0.3, batch_size=40,
              max_iter=4, learning_rate_init=0.01, random_state=0)
    start = cls(**{**est.get_params(), "learning_rate_init": 1e-300}).fit(X, y)
    est.fit(X, y)
    assert CountingSignSGD.updates == 2 * 4 * 3  # both fits: 4 epochs of 3 batches
    assert est._optimizer == CountingSignSGD(momentum=0.3, scale=1.0)
    # every parameter moved by the rate: signs, not Adam's (the default) steps
    moved = np.abs(est._network.params - start._network.params)
    assert moved.max() <= 4 * 3 * 0.01 * (1 + 1e-9) and moved.max() > 0.01
    est.partial_fit(X, y)
    assert CountingSignSGD.updates == 2 * 4 * 3 + 3


def test_an_unregistered_solver_name_is_rejected(circles):
    with pytest.raises(InvalidParameterError, match=r"'solver'.*'adamw'.*Got 'signsgd'"):
        FCNNClassifier(solver="signsgd").fit(*circles)


# -- gradient transforms: clipping and decoupled decay with every solver ---------------------
@pytest.mark.parametrize("solver", STOCHASTIC)
def test_clipping_bounds_every_update_of_every_solver(solver, circles, monkeypatch):
    calls = []
    _spy(monkeypatch, optimizers.OPTIMIZERS[solver], calls)
    X, y = circles
    params = dict(hidden_layer_sizes=(6,), solver=solver, max_iter=3, alpha=1.0,
                  random_state=0)
    FCNNClassifier(**params).fit(X, y)
    assert max(np.linalg.norm(grad) for _, grad, _, _ in calls) > 0.05
    calls.clear()
    FCNNClassifier(max_grad_norm=0.05, **params).fit(X, y)
    assert len(calls) == 3
    assert max(np.linalg.norm(grad) for _, grad, _, _ in calls) <= 0.05 * (1 + 1e-9)


def test_without_transforms_the_bare_optimizer_runs(circles, monkeypatch):
    chained = []
    _spy(monkeypatch, transforms.Chain, chained)
    for solver in STOCHASTIC:
        FCNNClassifier(hidden_layer_sizes=(4,), solver=solver, max_iter=2,
                       random_state=0).fit(*circles)
    assert chained == []  # adamw's decay is its own, not a transform
    FCNNClassifier(hidden_layer_sizes=(4,), solver="sgd", max_iter=2, weight_decay=0.0,
                   random_state=0).fit(*circles)
    assert chained == []
    FCNNClassifier(hidden_layer_sizes=(4,), solver="sgd", max_iter=2, weight_decay=0.1,
                   random_state=0).fit(*circles)
    assert len(chained) == 2


@pytest.mark.parametrize("max_grad_norm", [None, 0.05])
def test_sgd_weight_decay_follows_its_formula_step_by_step(max_grad_norm, circles,
                                                           monkeypatch):
    # with momentum 0: theta <- theta - eta * lambda * d * theta - eta * clip(g), d = weights
    calls = []
    _spy(monkeypatch, transforms.Chain, calls)
    est = FCNNClassifier(hidden_layer_sizes=(5,), solver="sgd", momentum=0.0,
                         weight_decay=0.3, max_grad_norm=max_grad_norm, batch_size=40,
                         learning_rate_init=0.1, max_iter=2, random_state=0).fit(*circles)
    mask = est._network.weight_mask()
    assert 0 < mask.sum() < mask.size
    assert len(calls) == 6
    for before, grad, rate, after in calls:  # grad: as the chain received it (unclipped)
        if max_grad_norm is not None:
            grad = grad * min(1.0, max_grad_norm / np.linalg.norm(grad))
        expected = before - rate * 0.3 * mask * before - rate * grad
        np.testing.assert_allclose(after, expected, rtol=1e-13, atol=1e-15)


@pytest.mark.parametrize("solver", ["sgd", "adam", "rmsprop", "adagrad"])
def test_weight_decay_shrinks_the_weights_before_the_step(solver, circles):
    # one full-batch step from the same start: the same gradient and optimiser step, so
    # decayed - plain is -rate * weight_decay * theta_0, on the weights only
    X, y = circles
    params = dict(hidden_layer_sizes=(6,), solver=solver, alpha=0.0, learning_rate_init=0.01,
                  max_iter=1, batch_size=len(X), shuffle=False, random_state=0)
    start = FCNNClassifier(**{**params, "learning_rate_init": 1e-300}).fit(X, y)
    plain = FCNNClassifier(**params).fit(X, y)
    decayed = FCNNClassifier(weight_decay=0.3, **params).fit(X, y)
    for layer in range(2):
        np.testing.assert_allclose(decayed.coefs_[layer] - plain.coefs_[layer],
                                   -0.01 * 0.3 * start.coefs_[layer], rtol=1e-8, atol=1e-15)
        np.testing.assert_array_equal(decayed.intercepts_[layer], plain.intercepts_[layer])
    assert np.abs(decayed.coefs_[0] - plain.coefs_[0]).max() > 1e-4


def test_adam_with_weight_decay_is_adamw_bit_for_bit(circles):
    X, y = circles
    params = dict(hidden_layer_sizes=(6,), max_iter=5, batch_size=30, max_grad_norm=0.5,
                  random_state=0)
    adamw = FCNNClassifier(solver="adamw", weight_decay=0.2, **params).fit(X, y)
    adam = FCNNClassifier(solver="adam", weight_decay=0.2, **params).fit(X, y)
    np.testing.assert_array_equal(adam._network.params, adamw._network.params)


def test_adamw_default_decay_is_unchanged(circles):
    X, y = circles
    params = dict(hidden_layer_sizes=(6,), solver="adamw", max_iter=5, random_state=0)
    assert FCNNClassifier().weight_decay is None
    np.testing.assert_array_equal(
        FCNNClassifier(**params).fit(X, y)._network.params,
        FCNNClassifier(weight_decay=0.01, **params).fit(X, y)._network.params)


@pytest.mark.parametrize("value", [-0.1, "0.1"])
def test_weight_decay_is_validated(value, circles):
    with pytest.raises(InvalidParameterError, match="'weight_decay'"):
        FCNNClassifier(weight_decay=value).fit(*circles)


# -- schedules from the registry; metric-driven schedules ------------------------------------
PLATEAU_RECORDS = []


class HalveOnPlateau:
    """A user's metric-driven schedule: halves the rate on the first ``times`` plateaus
    (keeping the records it saw in ``PLATEAU_RECORDS``)."""

    def __init__(self, rate=0.1, times=2):
        self.rate, self.times = rate, times

    def __call__(self, step):
        return self.rate

    def on_plateau(self, record):
        PLATEAU_RECORDS.append(record)
        return 2.0 if record["learning_rate"] > self.rate / 2**self.times else None


class RateLog:
    """A callback keeping the rate each epoch hands on."""

    def __init__(self):
        self.rates = []

    def __call__(self, history):
        self.rates.append(history["learning_rate"])
        return False


@pytest.mark.parametrize("solver", ["sgd", "adam"])
def test_a_user_metric_driven_schedule_decides_at_each_plateau(solver, circles, capsys):
    PLATEAU_RECORDS.clear()
    log = RateLog()
    # no epoch improves by tol: after the first, the count passes n_iter_no_change=1
    # every second epoch (3, 5, 7): halve, halve, stop
    est = FCNNClassifier(hidden_layer_sizes=(4,), solver=solver,
                         learning_rate=HalveOnPlateau(), tol=100.0, n_iter_no_change=1,
                         max_iter=50, callbacks=[log], verbose=True,
                         random_state=0).fit(*circles)
    assert est.n_iter_ == 7
    assert [record["epoch"] for record in PLATEAU_RECORDS] == [3, 5, 7]
    assert [record["learning_rate"] for record in PLATEAU_RECORDS] == [0.1, 0.05, 0.025]
    assert PLATEAU_RECORDS[-1]["loss"] == est.loss_
    assert log.rates == [0.1, 0.1, 0.1, 0.05, 0.05, 0.025, 0.025]  # before each plateau
    out = capsys.readouterr().out
    assert out.count("Setting learning rate to 0.050000") == 1
    assert out.count("Setting learning rate to 0.025000") == 1
    assert "Learning rate too small. Stopping." in out


class Halving(schedules.Constant):
    """A newly registered schedule: ``learning_rate_init`` halved every epoch, for
    'sgd' only."""

    solvers = ("sgd",)

    @classmethod
    def build(cls, learning_rate_init, *, n_epochs, power_t):
        return cls(learning_rate_init)

    def __call__(self, step):
        return self.learning_rate_init / 2**step


def test_a_newly_registered_schedule_name_trains(circles, monkeypatch):
    monkeypatch.setitem(schedules.SCHEDULES, "halving", Halving)
    rates = {}
    for solver in ("sgd", "adam"):
        log = RateLog()
        FCNNClassifier(hidden_layer_sizes=(4,), solver=solver, learning_rate="halving",
                       learning_rate_init=0.4, max_iter=3, tol=0.0, n_iter_no_change=100,
                       callbacks=[log], random_state=0).fit(*circles)
        rates[solver] = log.rates
    assert rates["sgd"] == [0.2, 0.1, 0.05]
    assert rates["adam"] == [0.4, 0.4, 0.4]  # the class's solvers leave adam out: constant
    monkeypatch.delitem(schedules.SCHEDULES, "halving")
    with pytest.raises(InvalidParameterError, match="'learning_rate'"):
        FCNNClassifier(learning_rate="halving").fit(*circles)


def test_adaptive_is_the_registered_reduce_on_plateau():
    assert schedules.SCHEDULES["adaptive"] is schedules.ReduceOnPlateau
    assert "solver='sgd'" in schedules.ReduceOnPlateau.__doc__
