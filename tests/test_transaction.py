"""``fit`` and ``partial_fit`` are one transaction: a failed call changes nothing.

Every check comes before training, training works on new objects, and the
fitted attributes change only when training ends (normally, interrupted, or
diverged with a restorable model).
"""

import pickle

import numpy as np
import pytest
from conftest import BOTH, data_for, quiet_fit
from numpy.testing import assert_array_equal

from skfcnn import FCNNClassifier, FCNNRegressor
from skfcnn.nn.losses import SquaredError
from skfcnn.nn.optimizers import SGD


@pytest.fixture(scope="module")
def circles(small_circles):
    return small_circles


@pytest.fixture(scope="module")
def regression(small_regression):
    return small_regression


def snapshot(est):
    """Everything the estimator holds, as bytes (a pickle) plus the objects' identities."""
    return pickle.dumps(est), {k: id(v) for k, v in vars(est).items()}


class Boom(Exception):
    pass


class RaiseAtEpoch:
    """A callback that raises at the end of the ``epoch``-th epoch it sees."""

    def __init__(self, epoch):
        self.epoch, self.seen = epoch, 0

    def __call__(self, history):
        self.seen += 1
        if self.seen == self.epoch:
            raise Boom(f"epoch {history['epoch']}")
        return False


# each: parameters to set before the second call (made anew for each test), and the error
FAILURES = [
    (lambda: {"callbacks": [RaiseAtEpoch(3)]}, Boom),
    (lambda: {"callbacks": ["not callable"]}, TypeError),
    (lambda: {"learning_rate": "invscaling", "solver": "sgd", "warmup_epochs": 2}, ValueError),
    (lambda: {"early_stopping": True, "validation_fraction": 0.001}, ValueError),
    (lambda: {"activation": ["relu", "tanh"]}, ValueError),  # one hidden layer: one name
]


@pytest.mark.parametrize("warm_start", [False, True])
@pytest.mark.parametrize("params, error", FAILURES)
@pytest.mark.parametrize("cls", BOTH)
def test_a_failed_fit_leaves_the_fitted_model_exactly_as_it_was(cls, params, error, warm_start,
                                                                 circles, regression):
    X, y = data_for(cls, circles, regression)
    params = params()
    est = quiet_fit(cls(hidden_layer_sizes=(5,), max_iter=5, random_state=0,
                        warm_start=warm_start), X, y)
    before, identities = snapshot(est)
    predicted = est.predict(X)
    est.set_params(max_iter=6, **params)
    with pytest.raises(error):
        quiet_fit(est, X, y)
    est.set_params(**{name: cls().get_params()[name] if name != "warm_start" else warm_start
                      for name in params}, max_iter=5)
    assert snapshot(est) == (before, identities)
    assert_array_equal(est.predict(X), predicted)


@pytest.mark.parametrize("cls", BOTH)
def test_a_failed_first_fit_leaves_the_estimator_unfitted(cls, circles, regression):
    X, y = data_for(cls, circles, regression)
    est = cls(hidden_layer_sizes=(5,), max_iter=5, random_state=0, callbacks=[RaiseAtEpoch(2)])
    with pytest.raises(Boom):
        quiet_fit(est, X, y)
    assert not hasattr(est, "_network") and not hasattr(est, "n_features_in_")
    assert set(vars(est)) == set(est.get_params())


@pytest.mark.parametrize("cls", BOTH)
def test_a_failed_partial_fit_leaves_the_model_and_its_optimizer_state(cls, circles,
                                                                       regression):
    X, y = data_for(cls, circles, regression)
    kwargs = {"classes": [0, 1]} if cls is FCNNClassifier else {}
    est = cls(hidden_layer_sizes=(5,), random_state=0).partial_fit(X, y, **kwargs)
    before = snapshot(est)
    est.set_params(callbacks=[RaiseAtEpoch(1)])
    with pytest.raises(Boom):
        est.partial_fit(X, y)
    est.set_params(callbacks=None)
    assert snapshot(est) == before
    # and it goes on exactly as if the failed call had never happened
    twin = cls(hidden_layer_sizes=(5,), random_state=0).partial_fit(X, y, **kwargs)
    assert_array_equal(est.partial_fit(X, y)._network.params,
                       twin.partial_fit(X, y)._network.params)


def test_a_failed_partial_fit_with_an_unknown_label_changes_nothing(circles):
    X, y = circles
    est = FCNNClassifier(hidden_layer_sizes=(5,), random_state=0).partial_fit(X, y, classes=[0, 1])
    before = snapshot(est)
    with pytest.raises(ValueError, match=r"not in `self.classes_`"):
        est.partial_fit(X, np.where(y == 1, 2, y))
    assert snapshot(est) == before


@pytest.mark.parametrize("cls", BOTH)
def test_a_warm_start_with_another_batch_norm_changes_nothing(cls, circles, regression):
    X, y = data_for(cls, circles, regression)
    est = quiet_fit(cls(hidden_layer_sizes=(5,), max_iter=3, warm_start=True, random_state=0),
                    X, y)
    before = snapshot(est)
    est.set_params(batch_norm=True)
    with pytest.raises(ValueError, match="batch_norm"):
        quiet_fit(est, X, y)
    est.set_params(batch_norm=False)
    assert snapshot(est) == before


@pytest.mark.parametrize("solver", ["adam", "lbfgs"])
@pytest.mark.parametrize("cls", BOTH)
def test_training_never_changes_the_objects_of_the_earlier_model(cls, solver, circles,
                                                                 regression):
    """A warm start trains a copy: the earlier network, record and optimiser state stay."""
    X, y = data_for(cls, circles, regression)
    est = quiet_fit(cls(hidden_layer_sizes=(5,), max_iter=4, warm_start=True, solver=solver,
                        random_state=0), X, y)
    network, state, params = est._network, est._state, est._network.params.copy()
    curve = list(state.loss_curve)
    quiet_fit(est, X, y)
    assert est._network is not network and est._state is not state
    assert_array_equal(network.params, params)
    assert state.loss_curve == curve
    assert len(est.loss_curve_) > len(curve)


@pytest.mark.parametrize("cls", BOTH)
def test_divergence_keeps_the_last_finite_model_and_says_so(cls, circles, regression):
    X, y = data_for(cls, circles, regression)
    est = quiet_fit(cls(hidden_layer_sizes=(5,), max_iter=3, random_state=0), X, y)
    est.set_params(solver="sgd", learning_rate_init=1e12, momentum=0.0, warm_start=True,
                   max_iter=50)
    with pytest.raises(ValueError, match="training diverged") as error:
        quiet_fit(est, X * 1e4, y)
    assert getattr(error.value, "model_kept", False)
    assert np.all(np.isfinite(est._network.params))
    assert est.n_iter_ == len(est.loss_curve_) - 3 >= 0  # this fit's epochs before it diverged


def test_a_changed_loss_applies_on_warm_start(circles):
    X, y = circles
    est = quiet_fit(FCNNClassifier(hidden_layer_sizes=(5,), max_iter=3, warm_start=True,
                                   alpha=0.0, random_state=0), X, y)
    assert est._loss_name == "binary_log_loss"
    proba = est.predict_proba(X)[:, 1]  # the model the next (full-batch) epoch starts from
    quiet_fit(est.set_params(loss="squared_error", max_iter=1), X, y)
    assert est._loss_name == "squared_error"
    # that epoch's objective is the squared error of the model it started from
    assert est.loss_curve_[-1] == pytest.approx(0.5 * np.mean((proba - y) ** 2), rel=1e-10)


@pytest.mark.parametrize("cls", BOTH)
def test_ctrl_c_from_a_callback_keeps_the_epoch_it_ended(cls, circles, regression):
    X, y = data_for(cls, circles, regression)

    def interrupt(history):
        if history["epoch"] == 3:
            raise KeyboardInterrupt

    params = dict(hidden_layer_sizes=(5,), shuffle=False, tol=0.0, random_state=0)
    with pytest.warns(UserWarning, match=r"interrupted by user.*iteration \(3\)"):
        est = cls(max_iter=10, callbacks=[interrupt], **params).fit(X, y)
    three = quiet_fit(cls(max_iter=3, **params), X, y)
    assert est.n_iter_ == len(est.loss_curve_) == 3
    assert_array_equal(est._network.params, three._network.params)


@pytest.mark.parametrize("solver, batch_size", [("lbfgs", "auto"), ("sgd", 6000)])
def test_no_training_buffer_outlives_the_fit(solver, batch_size):
    """Issue 11: L-BFGS (or a full batch) sized every buffer for all the training rows."""
    rng = np.random.RandomState(0)
    X = rng.normal(size=(6000, 5)).astype(np.float32)
    y = X @ rng.normal(size=5)
    est = quiet_fit(FCNNRegressor(hidden_layer_sizes=(8,), solver=solver, max_iter=3,
                                  batch_size=batch_size, random_state=0), X, y)
    assert est._network._activations is None
    small = quiet_fit(FCNNRegressor(hidden_layer_sizes=(8,), max_iter=2, random_state=0),
                      X[:300], y[:300])
    assert small._network._activations[0].shape[0] == 200  # a batch's buffers may stay
    assert np.all(np.isfinite(est.predict(X)))  # predicting needs no training buffer


class ExplodeOnLastStep(SGD):
    """Fault injection: plain SGD whose ``n``-th update multiplies the parameters by 1e30
    (finite in float32, but the float32 predictions overflow)."""

    def __init__(self, n=3):
        super().__init__(momentum=0.0)
        self.n = n

    def update(self, params, grad, learning_rate, state):
        state.calls = getattr(state, "calls", 0) + 1
        super().update(params, grad, learning_rate, state)
        if state.calls == self.n:
            params *= 1e30
        return params


def test_a_fit_that_returns_predicts_finite_values_on_its_training_data():
    """Issue 11: only the loss before each update was checked, so a last update that
    breaks the model went unseen (0.1.0 returned this model, predicting inf)."""
    X = np.random.RandomState(0).standard_normal((100, 3)).astype(np.float32)
    y = X @ np.array([1, -2, 0.5], dtype=np.float32)
    est = FCNNRegressor(hidden_layer_sizes=(8,), solver=ExplodeOnLastStep(n=3),
                        batch_size=100, max_iter=3, shuffle=False, random_state=0)
    with pytest.raises(ValueError, match=r"predictions on the training data became "
                                         r"non-finite at iteration 3"):
        quiet_fit(est, X, y)
    assert np.all(np.isfinite(est._network.params))
    assert np.all(np.isfinite(est.predict(X)))  # the parameters before the last step
    assert est.n_iter_ == 3


def test_a_divergence_with_nothing_finite_to_keep_changes_nothing(regression):
    """Issue 11: the error said the last finite parameters were kept, yet they predicted
    non-finite values; now the estimator stays as it was before the call.  Weights of
    1e300 make the first loss infinite, and the start itself predicts inf."""
    X, y = regression
    est = quiet_fit(FCNNRegressor(hidden_layer_sizes=(5,), max_iter=5, random_state=0), X, y)
    before = snapshot(est)
    est.set_params(init_scale=1e300, solver="sgd")
    with pytest.raises(ValueError, match="left as it was before this call"):
        quiet_fit(est, X, y)
    est.set_params(init_scale=None, solver="adam")
    assert snapshot(est) == before
    fresh = FCNNRegressor(hidden_layer_sizes=(5,), init_scale=1e300, solver="sgd")
    with pytest.raises(ValueError, match="left as it was"):
        quiet_fit(fresh, X, y)
    assert not hasattr(fresh, "_network")


class FailsMidEpoch(SGD):
    """Fault injection: plain SGD whose ``n``-th update raises a MemoryError."""

    def __init__(self, n=5):
        super().__init__(momentum=0.0)
        self.n = n

    def update(self, params, grad, learning_rate, state):
        state.calls = getattr(state, "calls", 0) + 1
        if state.calls == self.n:
            raise MemoryError("injected")
        return super().update(params, grad, learning_rate, state)


@pytest.mark.parametrize("cls", BOTH)
def test_an_exception_mid_epoch_leaves_the_earlier_model(cls, circles, regression):
    """Issue 11: part of the epoch was applied; n_iter_, t_, the optimiser state and
    the curves went out of step with the parameters."""
    X, y = data_for(cls, circles, regression)
    est = quiet_fit(cls(hidden_layer_sizes=(5,), solver=FailsMidEpoch(n=10**6), batch_size=30,
                        max_iter=2, warm_start=True, random_state=0), X, y)
    before, solver = pickle.dumps(est), est.solver
    est.set_params(solver=FailsMidEpoch(n=est._optimizer_state.calls + 6))  # epoch 2, batch 2
    fitted = {k: v for k, v in vars(est).items() if k not in est.get_params()}
    with pytest.raises(MemoryError):
        quiet_fit(est, X, y)
    assert all(vars(est)[k] is v for k, v in fitted.items())  # the very same objects
    est.set_params(solver=solver)
    assert pickle.dumps(est) == before  # with the same contents


def test_a_divergence_keeping_nothing_rewinds_partial_fits_generator(regression, monkeypatch):
    """With nothing finite to keep, partial_fit's own generator (it shuffled) comes back
    too: the estimator is exactly as before, and goes on as if the call never happened."""
    X, y = regression
    est = FCNNRegressor(hidden_layer_sizes=(5,), solver="sgd", random_state=0).partial_fit(X, y)
    twin = pickle.loads(pickle.dumps(est))
    before = pickle.dumps(est)
    monkeypatch.setattr(FCNNRegressor, "_predicts_finite", staticmethod(lambda net, X: False))
    # (no DataScaleWarning: partial_fit checks the scale of its first chunk only)
    with pytest.raises(ValueError, match="left as it was before this call"):
        est.set_params(learning_rate_init=1e300).partial_fit(X * 1e150, y)
    monkeypatch.undo()
    est.set_params(learning_rate_init=0.001)
    assert pickle.dumps(est) == before
    assert_array_equal(est.partial_fit(X, y)._network.params,
                       twin.partial_fit(X, y)._network.params)


class NaNLoss(SquaredError):
    """A user loss whose value is NaN on every batch."""

    def value(self, Y, T, sample_weight=None):
        return np.nan


@pytest.mark.parametrize("solver", ["adam", "sgd", "lbfgs"])
@pytest.mark.parametrize("make_diverge", ["huge_targets", "nan_loss"])
def test_a_refit_whose_first_iteration_diverges_commits_nothing(solver, make_diverge,
                                                                 regression):
    """Issue 21: no iteration ever had a finite loss, yet the error said the last finite
    parameters were kept and the estimator held a fresh initialisation (n_iter_ 0)."""
    X, y = regression
    est = quiet_fit(FCNNRegressor(hidden_layer_sizes=(5,), max_iter=30, solver=solver,
                                  random_state=0), X, y)
    before = pickle.dumps(est)
    if make_diverge == "huge_targets":
        est.set_params(random_state=1)
        y = y * 1e200
    else:
        est.set_params(random_state=1, loss=NaNLoss())
    with pytest.raises(ValueError, match="no iteration of this call finished with a finite "
                                         "loss, so the estimator was left as it was") as error:
        quiet_fit(est, X, y)
    assert not getattr(error.value, "model_kept", False)
    est.set_params(random_state=0, loss="squared_error")
    assert pickle.dumps(est) == before
    assert est.n_iter_ == len(est.loss_curve_) > 0


def test_a_partial_fit_whose_epoch_diverges_at_once_commits_nothing(regression):
    X, y = regression
    est = FCNNRegressor(hidden_layer_sizes=(5,), random_state=0).partial_fit(X, y)
    before = pickle.dumps(est)
    with pytest.raises(ValueError, match="left as it was"):
        est.partial_fit(X, y * 1e200)
    assert pickle.dumps(est) == before
