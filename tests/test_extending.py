"""The extension points through the estimators: schedules built from their registry
(a newly registered name trains), metric-driven schedules."""

import numpy as np
import pytest
from sklearn.datasets import make_circles
from sklearn.utils._param_validation import InvalidParameterError

from skfcnn import FCNNClassifier, FCNNRegressor
from skfcnn.nn import schedules

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


@pytest.fixture(scope="module")
def circles():
    X, y = make_circles(n_samples=120, factor=0.4, noise=0.1, random_state=0)
    return X, y


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
