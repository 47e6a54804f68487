"""The registries of :mod:`skfcnn.nn` are the one source of the names the estimators take:
every registered name builds (and trains with) exactly the registered object, a name
that is not registered is refused, and the docstrings list every registered name."""

import copy

import numpy as np
import pytest
from sklearn.utils._param_validation import InvalidParameterError

from conftest import quiet_fit
from skfcnn import FCNNClassifier, FCNNRegressor
from skfcnn.nn import activations, losses, optimizers, schedules

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


class _Counted:
    """Wraps a registered object or class so that every call of ``method`` is counted."""

    def __init__(self, registry, name, method, monkeypatch):
        self.calls = 0
        entry = registry[name]
        counted = self

        if isinstance(entry, type):  # a class: count the method on a subclass
            real = getattr(entry, method)

            def wrapper(obj, *args, **kwargs):
                counted.calls += 1
                return real(obj, *args, **kwargs)

            monkeypatch.setitem(registry, name, type(entry.__name__, (entry,),
                                                     {method: wrapper}))
        else:  # an instance: count on a copy
            twin = copy.copy(entry)
            real = getattr(entry, method)

            def wrapper(*args, **kwargs):
                counted.calls += 1
                return real(*args, **kwargs)

            setattr(twin, method, wrapper)
            monkeypatch.setitem(registry, name, twin)


def _data(cls, small_circles, small_regression):
    if cls is FCNNClassifier:
        return small_circles
    X, y = small_regression
    return X, np.abs(y)  # non-negative, for the Poisson loss


@pytest.mark.parametrize("name", activations.HIDDEN_ACTIVATIONS)
def test_every_registered_activation_is_what_the_estimator_trains_with(name, monkeypatch,
                                                                       small_circles):
    counted = _Counted(activations.ACTIVATIONS, name, "derivative", monkeypatch)
    quiet_fit(FCNNClassifier(hidden_layer_sizes=(4,), activation=name, max_iter=2,
                             random_state=0), *small_circles)
    assert counted.calls > 0


@pytest.mark.parametrize("name", sorted(losses.LOSSES))
def test_every_registered_loss_is_what_the_estimator_trains_with(name, monkeypatch,
                                                                 small_circles, small_regression):
    loss = losses.LOSSES[name]
    cls = FCNNClassifier if loss.outputs & {"softmax", "logistic"} and \
        loss.output_activation != "identity" else FCNNRegressor
    counted = _Counted(losses.LOSSES, name, "value", monkeypatch)
    X, y = _data(cls, small_circles, small_regression)
    if cls is FCNNClassifier and "softmax" in loss.outputs:
        y = np.where(X[:, 0] > 0.5, 2, y)  # three classes: the softmax output
    est = cls(hidden_layer_sizes=(4,), loss=name, max_iter=2, early_stopping=True,
              random_state=0)
    quiet_fit(est, X, y)
    assert counted.calls > 0  # the validation loss of every epoch


@pytest.mark.parametrize("name", sorted(optimizers.OPTIMIZERS))
def test_every_registered_optimizer_is_what_the_estimator_trains_with(name, monkeypatch,
                                                                      small_circles):
    counted = _Counted(optimizers.OPTIMIZERS, name, "update", monkeypatch)
    est = quiet_fit(FCNNClassifier(hidden_layer_sizes=(4,), solver=name, max_iter=2,
                                   batch_size=60, random_state=0), *small_circles)
    assert counted.calls == 4  # two epochs of two batches
    assert isinstance(est._optimizer, optimizers.OPTIMIZERS[name])


@pytest.mark.parametrize("name", sorted(schedules.SCHEDULES))
def test_every_registered_schedule_is_what_the_estimator_trains_with(name, monkeypatch,
                                                                     small_circles):
    cls = schedules.SCHEDULES[name]
    counted = _Counted(schedules.SCHEDULES, name, "__call__", monkeypatch)
    solver = (getattr(cls, "solvers", None) or ("adam",))[0]
    quiet_fit(FCNNClassifier(hidden_layer_sizes=(4,), solver=solver, learning_rate=name,
                             max_iter=3, random_state=0), *small_circles)
    assert counted.calls >= 3  # at least once per epoch


@pytest.mark.parametrize("parameter, value", [("activation", "softsign"), ("solver", "adamax"),
                                              ("learning_rate", "triangular"),
                                              ("loss", "huberish")])
@pytest.mark.parametrize("cls", [FCNNClassifier, FCNNRegressor])
def test_a_name_that_is_not_registered_is_refused(cls, parameter, value, small_circles):
    with pytest.raises(InvalidParameterError, match=f"'{parameter}' parameter"):
        cls(**{parameter: value}).fit(*small_circles)


def test_a_name_registered_after_import_is_accepted(monkeypatch, small_circles):
    monkeypatch.setitem(activations.ACTIVATIONS, "tanh2", activations.ACTIVATIONS["tanh"])
    est = quiet_fit(FCNNClassifier(hidden_layer_sizes=(4,), activation="tanh2", max_iter=2,
                                   random_state=0), *small_circles)
    reference = quiet_fit(FCNNClassifier(hidden_layer_sizes=(4,), activation="tanh",
                                         max_iter=2, random_state=0), *small_circles)
    np.testing.assert_array_equal(est._network.params, reference._network.params)


@pytest.mark.parametrize("cls", [FCNNClassifier, FCNNRegressor])
def test_the_docstrings_list_every_registered_name(cls):
    doc = cls.__doc__
    names = [*activations.HIDDEN_ACTIVATIONS, *optimizers.OPTIMIZERS, *schedules.SCHEDULES]
    names += [n for n, loss in losses.LOSSES.items()
              if (cls is FCNNClassifier) == bool(loss.outputs & {"softmax", "logistic"})
              or n == "squared_error"]
    missing = [name for name in names if f"``'{name}'``" not in doc]
    assert not missing
