"""The registries of :mod:`skfcnn.nn` are the one source of the names the estimators take:
every registered name builds (and trains with) exactly the registered object, a name
that is not registered is refused, and the docstrings list every registered name."""

import copy
import re

import numpy as np
import pytest
from conftest import quiet_fit
from sklearn.utils._param_validation import InvalidParameterError

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


# -- the registries and their views ----------------------------------------------------------
#: The extension points' registries (DESIGN.md): module -> registry name.
REGISTRIES = {"activations": "ACTIVATIONS", "losses": "LOSSES", "layers": "LAYER_STEPS",
              "input_steps": "INPUT_STEPS", "optimizers": "OPTIMIZERS",
              "schedules": "SCHEDULES"}


@pytest.mark.parametrize("module, name", REGISTRIES.items())
def test_every_registry_is_exported_from_skfcnn_nn(module, name):
    import importlib

    import skfcnn.nn

    registry = getattr(importlib.import_module(f"skfcnn.nn.{module}"), name)
    assert isinstance(registry, (dict, list)) and registry  # LAYER_STEPS: an ordered list
    assert name in skfcnn.nn.__all__
    assert getattr(skfcnn.nn, name) is registry  # the registry itself, not a copy
    namespace = {}
    exec("from skfcnn.nn import *", namespace)
    assert namespace[name] is registry


class _Cube(activations.Activation):
    name, needs_preactivation = "cube_view_test", True

    def forward(self, Z):
        return np.power(Z, 3, out=Z)

    def derivative(self, Z, A, delta):
        delta *= 3 * Z**2
        return delta


def _views():
    import skfcnn.nn

    return {"HIDDEN_ACTIVATIONS": activations.HIDDEN_ACTIVATIONS,
            "DERIVATIVES": activations.DERIVATIVES,
            "NEEDS_PREACTIVATION": activations.NEEDS_PREACTIVATION,
            "skfcnn.nn.DERIVATIVES": skfcnn.nn.DERIVATIVES}


def test_the_activation_views_follow_the_registry():
    views = _views()
    before = {name: list(view) for name, view in views.items()}
    cube = _Cube()
    activations.ACTIVATIONS[cube.name] = cube
    try:
        for name, view in _views().items():
            assert cube.name in view and cube.name in list(view), name
        assert activations.DERIVATIVES[cube.name] == cube.derivative
        assert activations.HIDDEN_ACTIVATIONS[-1] == cube.name
        assert cube.name not in activations.OUTPUT_ACTIVATIONS  # not an output activation
        assert set(activations.HIDDEN_ACTIVATIONS) == set(activations.DERIVATIVES)
    finally:
        del activations.ACTIVATIONS[cube.name]
    for name, view in _views().items():
        assert cube.name not in view and list(view) == before[name], name
    with pytest.raises(KeyError):
        activations.DERIVATIVES[cube.name]


def test_an_output_activation_registered_later_is_an_output_view_name(monkeypatch):
    softmax2 = copy.copy(activations.ACTIVATIONS["softmax"])
    monkeypatch.setitem(activations.ACTIVATIONS, "softmax2", softmax2)
    assert activations.OUTPUT_ACTIVATIONS[-1] == "softmax2"
    assert "softmax2" not in activations.HIDDEN_ACTIVATIONS
    assert "softmax2" not in activations.DERIVATIVES


def test_the_views_compare_as_their_values_and_are_read_only():
    hidden = tuple(name for name, a in activations.ACTIVATIONS.items() if a.hidden)
    assert activations.HIDDEN_ACTIVATIONS == hidden and repr(activations.HIDDEN_ACTIVATIONS) \
        == repr(hidden)
    assert activations.NEEDS_PREACTIVATION == {"gelu", "swish"}
    assert dict(activations.DERIVATIVES) == {name: activations.ACTIVATIONS[name].derivative
                                             for name in hidden}
    with pytest.raises(TypeError):
        activations.DERIVATIVES["relu"] = activations.DERIVATIVES["tanh"]
    with pytest.raises(TypeError):
        activations.HIDDEN_ACTIVATIONS[0] = "tanh"


def test_the_solver_list_of_partial_fits_error_follows_the_registry(monkeypatch, small_circles):
    monkeypatch.setitem(optimizers.OPTIMIZERS, "sgd2", optimizers.SGD)
    with pytest.raises(AttributeError, match="partial_fit") as caught:
        FCNNClassifier(solver="lbfgs").partial_fit(*small_circles, classes=[0, 1])
    assert re.search(r"stochastic solvers \(.*'adamw', 'sgd2'\)", str(caught.value.__cause__))
