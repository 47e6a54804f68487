"""The extension points through the estimators: optimisers and schedules built from
their registries (a newly registered name trains), metric-driven schedules."""

import numpy as np
import pytest
from sklearn.datasets import make_circles
from sklearn.utils._param_validation import InvalidParameterError

from skfcnn import FCNNClassifier, FCNNRegressor
from skfcnn.estimators.params import make_optimizer
from skfcnn.nn import optimizers, schedules

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


@pytest.fixture(scope="module")
def circles():
    X, y = make_circles(n_samples=120, factor=0.4, noise=0.1, random_state=0)
    return X, y


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
