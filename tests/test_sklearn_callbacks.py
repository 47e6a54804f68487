"""scikit-learn's own callback API (``sklearn.callback``, 1.9 and later) on our estimators:
the fit is the root task, each epoch (each L-BFGS iteration) one subtask."""

import warnings

import numpy as np
import pytest
from conftest import quiet_fit
from sklearn.datasets import make_circles, make_regression

from skfcnn import FCNNClassifier, FCNNRegressor

callback = pytest.importorskip("sklearn.callback",
                               reason="this scikit-learn has no callback API (before 1.9)")


@pytest.fixture(scope="module")
def data():
    X, y = make_circles(n_samples=100, factor=0.3, noise=0.1, random_state=0)
    Xr, yr = make_regression(n_samples=100, n_features=3, noise=1.0, random_state=0)
    return {FCNNClassifier: (X, y), FCNNRegressor: (Xr, yr / yr.std())}


def subtasks(log, name):
    return [row for row in log.data if row["task_name"] == name]


@pytest.mark.parametrize("solver, task, n_tasks", [("adam", "epoch", 6), ("sgd", "epoch", 6),
                                                    ("lbfgs", "iteration", 6)])
@pytest.mark.parametrize("cls", [FCNNClassifier, FCNNRegressor])
def test_scoring_monitor_scores_every_epoch_and_the_fit(cls, solver, task, n_tasks, data):
    X, y = data[cls]
    monitor = callback.ScoringMonitor(scoring="accuracy" if cls is FCNNClassifier else "r2")
    est = cls(hidden_layer_sizes=(8,), max_iter=6, solver=solver, random_state=0)
    quiet_fit(est.set_callbacks(monitor), X, y)
    log = monitor.get_logs()
    epochs = subtasks(log, task)
    assert [row["task_id"] for row in epochs] == list(range(n_tasks))
    name = "accuracy" if cls is FCNNClassifier else "r2"
    # the last epoch's model is the fitted one, and so is the root task's
    assert epochs[-1][name] == pytest.approx(est.score(X, y))
    assert subtasks(log, "fit")[0][name] == pytest.approx(est.score(X, y))
    # an earlier epoch was scored with the model of that epoch, not the final one
    early = cls(hidden_layer_sizes=(8,), max_iter=1, solver=solver, random_state=0)
    assert epochs[0][name] == pytest.approx(quiet_fit(early, X, y).score(X, y))


def test_the_callbacks_see_the_same_training_as_without_them(data):
    X, y = data[FCNNClassifier]
    plain = quiet_fit(FCNNClassifier(hidden_layer_sizes=(8,), max_iter=5, random_state=0), X, y)
    est = FCNNClassifier(hidden_layer_sizes=(8,), max_iter=5, random_state=0)
    quiet_fit(est.set_callbacks(callback.ScoringMonitor(scoring="accuracy")), X, y)
    np.testing.assert_array_equal(est._network.params, plain._network.params)


class NoOpCallback:
    """The hooks of a scikit-learn callback that does nothing but at a task's end."""

    def setup(self, estimator, context):
        pass

    def teardown(self, estimator, context):
        pass

    def on_fit_task_begin(self, estimator, context):
        pass


class StopAfter(NoOpCallback):
    """A scikit-learn callback that asks to stop at the end of subtask ``n``."""

    def __init__(self, n):
        self.n, self.ended = n, []

    def on_fit_task_end(self, estimator, context):
        if context.parent is None:
            return False
        self.ended.append(context.task_id)
        return context.task_id == self.n


@pytest.mark.parametrize("solver", ["adam", "lbfgs"])
def test_a_callback_stops_training_at_the_end_of_a_subtask(solver, data):
    X, y = data[FCNNClassifier]
    stop = StopAfter(2)
    est = FCNNClassifier(hidden_layer_sizes=(8,), max_iter=50, solver=solver, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a requested stop is no failure to converge
        est.set_callbacks(stop).fit(X, y)
    assert est.n_iter_ == 3 and stop.ended == [0, 1, 2]


def test_partial_fit_is_one_task_with_one_epoch(data):
    X, y = data[FCNNRegressor]
    monitor = callback.ScoringMonitor(scoring="r2")
    est = FCNNRegressor(hidden_layer_sizes=(8,), random_state=0).set_callbacks(monitor)
    est.partial_fit(X, y)
    assert len(subtasks(monitor.get_logs(), "epoch")) == 1


def test_callbacks_are_kept_by_clone_and_torn_down_after_a_failed_fit(data):
    from sklearn.base import clone

    X, y = data[FCNNClassifier]
    monitor = callback.ScoringMonitor(scoring="accuracy")
    est = FCNNClassifier(hidden_layer_sizes=(8,), max_iter=3,
                         callbacks=[lambda h: 1 / 0]).set_callbacks(monitor)
    assert clone(est)._skl_callbacks == [monitor]
    with pytest.raises(ZeroDivisionError):
        est.fit(X, y)
    assert not hasattr(est, "_callback_fit_ctx")
    assert not hasattr(est, "_network")


def test_the_progress_bar_runs_over_the_epochs_and_changes_nothing(data):
    pytest.importorskip("rich", reason="scikit-learn's ProgressBar needs rich")
    X, y = data[FCNNClassifier]
    plain = quiet_fit(FCNNClassifier(hidden_layer_sizes=(8,), max_iter=4, random_state=0), X, y)
    for solver in ("adam", "lbfgs"):
        est = FCNNClassifier(hidden_layer_sizes=(8,), max_iter=4, solver=solver, random_state=0)
        quiet_fit(est.set_callbacks(callback.ProgressBar()), X, y)
        assert est.n_iter_ == 4
    est = FCNNClassifier(hidden_layer_sizes=(8,), max_iter=4, random_state=0)
    quiet_fit(est.set_callbacks(callback.ProgressBar()), X, y)
    np.testing.assert_array_equal(est._network.params, plain._network.params)


class KeepSnapshots(NoOpCallback):
    """A scikit-learn callback that keeps the ``fitted_estimator`` of every task's end."""

    def __init__(self):
        self.snapshots = []

    def on_fit_task_end(self, estimator, context, *, fitted_estimator):
        self.snapshots.append(fitted_estimator)
        return False


@pytest.mark.parametrize("solver", ["adam", "lbfgs"])
def test_a_kept_snapshot_is_a_copy_that_later_epochs_do_not_change(solver, data):
    X, y = data[FCNNClassifier]
    keep = KeepSnapshots()
    est = FCNNClassifier(hidden_layer_sizes=(8,), max_iter=5, solver=solver, random_state=0)
    quiet_fit(est.set_callbacks(keep), X, y)
    first = quiet_fit(FCNNClassifier(hidden_layer_sizes=(8,), max_iter=1, solver=solver,
                                     random_state=0), X, y)
    # the first epoch's snapshot predicts what a one-epoch fit predicts, not the last epoch
    np.testing.assert_allclose(keep.snapshots[0].predict_proba(X), first.predict_proba(X),
                               rtol=0, atol=1e-12)
    assert np.abs(keep.snapshots[0].predict_proba(X) - est.predict_proba(X)).max() > 1e-3
    # the fit's own snapshot (the last one) is not changed by a later partial_fit
    final = keep.snapshots[-1].predict_proba(X)
    np.testing.assert_array_equal(final, est.predict_proba(X))
    if solver != "lbfgs":
        est.set_callbacks().partial_fit(X, y)
        np.testing.assert_array_equal(keep.snapshots[-1].predict_proba(X), final)
