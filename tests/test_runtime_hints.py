"""Annotations resolve at run time: ``typing.get_type_hints`` works on every public
callable, as tools that read hints at run time (sphinx-autodoc-typehints, beartype,
typeguard, pydantic) need.  The callables are derived from ``skfcnn.__all__``,
``skfcnn.nn.__all__`` and the public methods of the classes they list."""

import inspect
import typing

import numpy as np
import pytest

import skfcnn
import skfcnn.nn
from skfcnn.estimators._types import ArrayLike, Self


def _own(function):
    """Whether ``function`` is defined in skfcnn (not inherited from scikit-learn)."""
    return getattr(function, "__module__", "").startswith("skfcnn")


def _class_callables(qualname, cls):
    for name, member in inspect.getmembers(cls):
        if name.startswith("_") and name != "__init__":
            continue
        if inspect.isfunction(member) or inspect.ismethod(member):  # scikit-learn's too
            yield f"{qualname}.{name}", member


def _public_callables():
    for module in (skfcnn, skfcnn.nn):
        for name in module.__all__:
            value = getattr(module, name)
            qualname = f"{module.__name__}.{name}"
            if inspect.isclass(value):
                yield qualname, value
                yield from _class_callables(qualname, value)
            elif callable(value) and _own(value):
                yield qualname, value


PUBLIC_CALLABLES = dict(_public_callables())


def test_the_derived_list_holds_what_tools_read():
    for cls in ("FCNNClassifier", "FCNNRegressor"):
        for method in ("__init__", "fit", "partial_fit", "predict", "score", "transform",
                       "get_feature_names_out"):
            assert f"skfcnn.{cls}.{method}" in PUBLIC_CALLABLES
    for name in ("skfcnn.FCNNClassifier.predict_proba",
                 "skfcnn.FCNNClassifier.predict_log_proba", "skfcnn.check_gradients",
                 "skfcnn.LossCurveDisplay.__init__", "skfcnn.LossCurveDisplay.from_estimator",
                 "skfcnn.LossCurveDisplay.plot", "skfcnn.Checkpoint.__init__",
                 "skfcnn.load_checkpoint", "skfcnn.nn.Network.forward", "skfcnn.nn.chain"):
        assert name in PUBLIC_CALLABLES


@pytest.mark.parametrize("name", sorted(PUBLIC_CALLABLES))
def test_get_type_hints_resolves_every_public_callable(name):
    typing.get_type_hints(PUBLIC_CALLABLES[name])


@pytest.mark.parametrize("cls", [skfcnn.FCNNClassifier, skfcnn.FCNNRegressor])
def test_the_estimators_hints_are_the_declared_types(cls):
    fit = typing.get_type_hints(cls.fit)
    assert fit["return"] is Self and fit["X"] == ArrayLike
    assert typing.get_type_hints(cls.predict)["X"] == ArrayLike
    init = typing.get_type_hints(cls.__init__)
    assert init["random_state"] == int | np.random.RandomState | None
    assert typing.get_args(init["batch_size"])[0] is int


def test_the_plot_axes_hint_is_matplotlibs_axes():
    axes = pytest.importorskip("matplotlib.axes")
    hints = typing.get_type_hints(skfcnn.LossCurveDisplay.plot)
    assert axes.Axes in typing.get_args(hints["ax"])
