"""One plumbing (issue 22, item 3): L-BFGS runs the user's ``callbacks`` as the
stochastic solvers do, each iteration an epoch, with the same ``history`` dict and
the hook objects' hooks; a true answer stops it.  The training config is built once,
complete, and is frozen.
"""

import dataclasses

import numpy as np
import pytest
from conftest import quiet_fit

from skfcnn import FCNNClassifier, FCNNRegressor
from skfcnn.training.callbacks import Callback
from skfcnn.training.state import TrainingConfig

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

HISTORY_KEYS = {"epoch", "loss", "loss_curve", "validation_score", "validation_loss",
                "learning_rate", "fit_time"}


def _data(n=150, seed=0):
    rng = np.random.RandomState(seed)
    X = rng.uniform(-1, 1, (n, 4))
    return X, np.sin(2 * X[:, 0]) + X[:, 1] * X[:, 2]


def _small(**params):
    return FCNNRegressor(**{"hidden_layer_sizes": (8,), "max_iter": 10, "random_state": 0,
                            **params})


class Counter(Callback):
    """Counts every hook call; ``on_gradient`` records the gradient's norm."""

    def __init__(self):
        self.calls = dict.fromkeys(("fit_begin", "epoch_begin", "epoch_end", "fit_end"), 0)
        self.norms = []

    def on_fit_begin(self, run):
        self.calls["fit_begin"] += 1

    def on_epoch_begin(self, run):
        self.calls["epoch_begin"] += 1

    def on_gradient(self, run, grad):
        self.norms.append(float(np.linalg.norm(grad)))

    def on_epoch_end(self, run):
        self.calls["epoch_end"] += 1
        return False

    def on_fit_end(self, run):
        self.calls["fit_end"] += 1


@pytest.mark.parametrize("solver", ["adam", "sgd", "lbfgs"])
def test_a_plain_callback_runs_once_per_iteration_with_every_solver(solver):
    X, y = _data()
    seen = []
    reg = quiet_fit(_small(solver=solver, callbacks=[seen.append]), X, y)
    assert len(seen) == reg.n_iter_ == 10
    assert all(set(h) == HISTORY_KEYS for h in seen)
    assert [h["epoch"] for h in seen] == list(range(1, 11))
    assert [h["loss"] for h in seen] == reg.loss_curve_
    assert seen[-1]["loss_curve"] == reg.loss_curve_
    assert all(h["fit_time"] > 0 for h in seen)
    assert reg.fit_time_ == [h["fit_time"] for h in seen]
    rates = {h["learning_rate"] for h in seen}
    assert rates == {None} if solver == "lbfgs" else rates == {0.001}


def test_a_callback_returning_true_stops_lbfgs_where_max_iter_would(capsys):
    X, y = _data()
    stopped = quiet_fit(_small(solver="lbfgs", max_iter=50, verbose=True,
                               callbacks=[lambda h: h["epoch"] == 4]), X, y)
    assert stopped.n_iter_ == 4
    assert "A callback asked to stop training." in capsys.readouterr().out
    short = quiet_fit(_small(solver="lbfgs", max_iter=4), X, y)
    assert stopped.loss_curve_ == short.loss_curve_
    np.testing.assert_array_equal(stopped._network.params, short._network.params)


def test_every_later_callback_still_sees_the_stopping_iteration():
    X, y = _data()
    late = []
    reg = quiet_fit(_small(solver="lbfgs", max_iter=50,
                           callbacks=[lambda h: True, late.append]), X, y)
    assert reg.n_iter_ == 1 and len(late) == 1


def test_hook_objects_get_every_hook_with_lbfgs():
    X, y = _data()
    counter = Counter()
    reg = quiet_fit(_small(solver="lbfgs", callbacks=[counter]), X, y)
    n = reg.n_iter_
    # on_epoch_begin before the first iteration and after each (one more than the ends)
    assert counter.calls == {"fit_begin": 1, "epoch_begin": n + 1, "epoch_end": n,
                             "fit_end": 1}
    assert len(counter.norms) >= n + 1  # once per objective evaluation, line search too
    assert all(np.isfinite(counter.norms)) and counter.norms[0] > 0


def test_on_gradient_may_change_what_lbfgs_sees():
    X, y = _data()

    class Zero(Callback):
        def on_gradient(self, run, grad):
            grad[...] = 0.0

    plain = quiet_fit(_small(solver="lbfgs", max_iter=1), X, y)
    zeroed = quiet_fit(_small(solver="lbfgs", callbacks=[Zero()]), X, y)
    # a zero gradient is a stationary point: L-BFGS stops where it started
    assert zeroed.n_iter_ == 0
    assert not np.array_equal(zeroed._network.params, plain._network.params)


@pytest.mark.parametrize("cls", [FCNNClassifier, FCNNRegressor])
def test_a_callback_that_does_nothing_changes_nothing_with_lbfgs(cls):
    X, y = _data()
    if cls is FCNNClassifier:
        y = (y > 0).astype(int)
    params = {"hidden_layer_sizes": (8,), "max_iter": 15, "random_state": 0,
              "solver": "lbfgs"}
    plain = quiet_fit(cls(**params), X, y)
    watched = quiet_fit(cls(**params, callbacks=[lambda h: False, Counter()]), X, y)
    np.testing.assert_array_equal(watched._network.params, plain._network.params)
    assert watched.loss_curve_ == plain.loss_curve_


def test_an_invalid_callback_is_refused_with_lbfgs_too():
    X, y = _data()
    with pytest.raises(TypeError, match=r"'callbacks' parameter must be callable"):
        _small(solver="lbfgs", callbacks=["stop"]).fit(X, y)


def test_the_training_config_cannot_change_after_it_is_built():
    config = TrainingConfig(loss="squared_error", alpha=0.0, schedule=None, batch_size=None,
                            shuffle=False, max_epochs=3, tol=1e-4, n_iter_no_change=10,
                            verbose=0)
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.first_epoch = 2
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.callbacks = ()


def test_a_huber_fit_with_lbfgs_runs_the_callbacks_through_its_rescaled_rounds():
    X, y = _data()
    seen = []
    reg = quiet_fit(_small(solver="lbfgs", loss="huber", max_iter=30,
                           callbacks=[seen.append]), X, y)
    assert [h["epoch"] for h in seen] == list(range(1, reg.n_iter_ + 1))
