"""Saving a fitted model: plain data for pickle and skops, and the version it records.

A fitted estimator's state (``__getstate__``) holds only plain data: dicts,
lists, tuples, strings, numbers, arrays and NumPy random generators, with
skfcnn's own objects (network, record, optimiser state, registered optimisers,
schedules, activations and losses) as tagged dicts
(:mod:`skfcnn.estimators.persistence`).  So skops lists one type to trust, the
estimator's class, for every option and solver, and a loaded model predicts bit
for bit and goes on with ``partial_fit`` exactly as the original does.
"""

import copy
import pickle
import warnings

import numpy as np
import pytest
from extending_examples import Adamax, GradientNorms, HalfCosine
from sklearn.base import BaseEstimator
from sklearn.datasets import make_classification, make_regression
from sklearn.exceptions import InconsistentVersionWarning as SklearnVersionWarning

import skfcnn
from skfcnn import FCNNClassifier, FCNNRegressor
from skfcnn.estimators import base
from skfcnn.exceptions import InconsistentVersionWarning
from skfcnn.nn.activations import GELU
from skfcnn.nn.input_steps import FrontScale, PeriodicEmbedding
from skfcnn.nn.losses import SquaredError
from skfcnn.nn.optimizers import Adam
from skfcnn.nn.schedules import SCHEDULES, CosineAnnealing

SMALL = {"hidden_layer_sizes": (8,), "max_iter": 5, "random_state": 0}
RICH = {"hidden_layer_sizes": (8, 6), "activation": ["gelu", "tanh"], "dropout": [0.2, 0.1],
        "batch_norm": True, "solver": "adamw", "weight_decay": 0.05, "max_grad_norm": 1.0,
        "learning_rate": "cosine", "warmup_epochs": 2, "init": "he_normal"}

#: (estimator class, parameters, data kind): every solver, the options, objects as params
CASES = {
    "adam": (FCNNClassifier, {}, "binary"),
    "sgd-adaptive": (FCNNClassifier, {"solver": "sgd", "learning_rate": "adaptive"}, "binary"),
    "rmsprop": (FCNNClassifier, {"solver": "rmsprop"}, "multiclass"),
    "adagrad-float32": (FCNNRegressor, {"solver": "adagrad"}, "regression32"),
    "lbfgs": (FCNNRegressor, {"solver": "lbfgs"}, "regression"),
    "rich-classifier": (FCNNClassifier, {**RICH, "class_weight": {0: 2.0, 1: 1.0}}, "binary"),
    "rich-regressor": (FCNNRegressor, RICH, "multioutput"),
    "early-stopping": (FCNNClassifier, {"early_stopping": True, "validation_fraction": 0.3,
                                        "learning_rate": "invscaling", "solver": "sgd"},
                       "multiclass"),
    "balanced-strings": (FCNNClassifier, {"class_weight": "balanced"}, "strings"),
    "multilabel": (FCNNClassifier, {"solver": "sgd", "learning_rate": "step"}, "multilabel"),
    "poisson": (FCNNRegressor, {"loss": "poisson", "learning_rate": "exponential"}, "counts"),
    "objects": (FCNNClassifier, {"solver": Adam(beta_1=0.8), "activation": GELU(),
                                 "learning_rate": CosineAnnealing(0.01, 10)}, "binary"),
    "loss-object": (FCNNRegressor, {"loss": SquaredError(), "learning_rate_init": 0.01},
                    "regression"),
    "input-steps": (FCNNRegressor, {"input_steps": [FrontScale(), PeriodicEmbedding([0, 2])]},
                    "regression32"),
    "input-steps-lbfgs": (FCNNClassifier, {"solver": "lbfgs",
                                           "input_steps": (PeriodicEmbedding(), FrontScale())},
                          "multiclass"),
}


def _data(kind):
    if kind in ("regression", "regression32", "multioutput", "counts"):
        X, y = make_regression(n_samples=60, n_features=5, n_targets=2 if kind ==
                               "multioutput" else 1, noise=1.0, random_state=0)
        y = y / y.std()
        if kind == "counts":
            y = np.round(np.exp(y))
        return (X.astype(np.float32), y.astype(np.float32)) if kind == "regression32" \
            else (X, y)
    X, y = make_classification(n_samples=60, n_features=5, n_informative=3,
                               n_classes=2 if kind in ("binary", "strings") else 3,
                               random_state=0)
    if kind == "strings":
        return X, np.array(["no", "yes"])[y]
    if kind == "multilabel":
        return X, np.column_stack([y == 0, y == 1, X[:, 0] > 0]).astype(int)
    return X, y


def _fitted(case):
    cls, params, kind = CASES[case]
    X, y = _data(kind)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return cls(**{**SMALL, **params}).fit(X, y), X, y


def _outputs(model, X):
    return model.predict_proba(X) if hasattr(model, "predict_proba") else model.predict(X)


def _go_on(model, X, y):
    """One more ``partial_fit`` epoch (without early stopping or balanced class weights,
    which it refuses), then the outputs."""
    if model.solver == "lbfgs":
        return None
    if model.get_params().get("class_weight") == "balanced":
        model.set_params(class_weight=None)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.set_params(early_stopping=False).partial_fit(X, y)
    return _outputs(model, X)


PLAIN_LEAVES = (str, int, float, bool, type(None), np.ndarray, np.random.RandomState,
                np.random.Generator)


def _sklearn_estimator(kind):
    """scikit-learn's own estimators (a multilabel model's LabelBinarizer): skops trusts them."""
    return issubclass(kind, BaseEstimator) and kind.__module__.startswith("sklearn.")


def _leaves(value, path="state"):
    """``(path, type)`` of every leaf of nested dicts, lists and tuples."""
    if type(value) is dict:
        return [leaf for key, item in value.items() for leaf in _leaves(item, f"{path}.{key}")]
    if type(value) in (list, tuple):
        return [leaf for i, item in enumerate(value) for leaf in _leaves(item, f"{path}[{i}]")]
    return [(path, type(value))]


@pytest.mark.parametrize("case", CASES)
def test_the_state_is_plain_data(case):
    model = _fitted(case)[0]
    other = [(path, kind) for path, kind in _leaves(model.__getstate__())
             if not issubclass(kind, PLAIN_LEAVES) and not _sklearn_estimator(kind)]
    assert not other
    assert model.__getstate__()["_skfcnn_version"] == skfcnn.__version__


@pytest.mark.parametrize("case", CASES)
def test_pickle_and_deepcopy_keep_the_model_and_its_continuation(case):
    model, X, y = _fitted(case)
    with warnings.catch_warnings():
        warnings.simplefilter("error", InconsistentVersionWarning)
        copies = [pickle.loads(pickle.dumps(model)), copy.deepcopy(model)]
    for twin in copies:
        np.testing.assert_array_equal(_outputs(twin, X), _outputs(model, X))
        assert twin.loss_curve_ == model.loss_curve_ and twin.t_ == model.t_
        assert twin.get_params()["learning_rate"] == model.get_params()["learning_rate"]
    expected = _go_on(model, X, y)
    for twin in copies:
        if expected is not None:
            np.testing.assert_array_equal(_go_on(twin, X, y), expected)


def test_a_pickle_does_not_hold_the_gradient_buffer():
    X, y = make_classification(n_samples=60, n_features=40, random_state=0)
    model = FCNNClassifier(hidden_layer_sizes=(500,), solver="sgd",
                           max_iter=2, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.fit(X, y)
    params = model._network.params.nbytes
    # the parameters and one SGD velocity vector, a little more: not a gradient vector too
    assert 2 * params < len(pickle.dumps(model)) < 2.25 * params


def test_an_object_of_an_unregistered_entry_is_named_when_loading(monkeypatch):
    X, y = _data("binary")
    monkeypatch.setitem(SCHEDULES, "half_cosine", HalfCosine)
    model = FCNNClassifier(**{**SMALL, "learning_rate": HalfCosine(0.01, 5)})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        saved = pickle.dumps(model.fit(X, y))
    assert b"HalfCosine" not in saved  # stored by its registry entry's name
    assert type(pickle.loads(saved).learning_rate) is HalfCosine
    monkeypatch.delitem(SCHEDULES, "half_cosine")
    with pytest.raises(ValueError, match=r"'schedules' entry 'half_cosine'.*register it"):
        pickle.loads(saved)


# -- the version a model was saved with ------------------------------------------------
def _saved_with(version, monkeypatch):
    X, y = _data("binary")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = FCNNClassifier(**SMALL).fit(X, y)
    monkeypatch.setattr(base, "__version__", version)
    saved = pickle.dumps(model)
    monkeypatch.undo()
    return saved, model, X


def test_loading_a_model_of_another_version_warns(monkeypatch):
    saved, model, X = _saved_with("0.1.5", monkeypatch)
    with pytest.warns(InconsistentVersionWarning) as record:
        loaded = pickle.loads(saved)
    warning = record[0].message
    assert (warning.original_version, warning.current_version) == ("0.1.5",
                                                                   skfcnn.__version__)
    assert warning.estimator_name == "FCNNClassifier"
    assert f"saved by skfcnn 0.1.5 with skfcnn {skfcnn.__version__}" in str(warning)
    np.testing.assert_array_equal(loaded.predict_proba(X), model.predict_proba(X))


def test_scikit_learns_version_warning_filter_covers_ours(monkeypatch):
    saved = _saved_with("0.1.5", monkeypatch)[0]
    assert issubclass(InconsistentVersionWarning, SklearnVersionWarning)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        warnings.simplefilter("ignore", SklearnVersionWarning)
        pickle.loads(saved)


def test_loading_a_model_of_this_version_is_silent(monkeypatch):
    saved = _saved_with(skfcnn.__version__, monkeypatch)[0]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        pickle.loads(saved)


# -- skops ---------------------------------------------------------------------------------
def _skops():
    return pytest.importorskip("skops.io", reason="skops is not installed (pip install skops)")


def _type_name(cls):
    return f"{cls.__module__}.{cls.__qualname__}"


@pytest.mark.parametrize("case", CASES)
def test_skops_trusts_only_the_estimator_and_restores_it_bit_for_bit(case):
    sio = _skops()
    model, X, y = _fitted(case)
    data = sio.dumps(model)
    assert sio.get_untrusted_types(data=data) == [_type_name(type(model))]
    with pytest.raises(sio.exceptions.UntrustedTypesFoundException):
        sio.loads(data)
    loaded = sio.loads(data, trusted=[_type_name(type(model))])
    np.testing.assert_array_equal(_outputs(loaded, X), _outputs(model, X))
    assert loaded.get_params()["solver"] == model.get_params()["solver"]
    expected = _go_on(model, X, y)
    if expected is not None:
        np.testing.assert_array_equal(_go_on(loaded, X, y), expected)


def test_skops_names_a_users_own_objects_to_trust():
    sio = _skops()
    X, y = _data("binary")
    model = FCNNClassifier(**{**SMALL, "solver": Adamax(), "callbacks": [GradientNorms()]})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.fit(X, y)
    untrusted = sio.get_untrusted_types(data=sio.dumps(model))
    assert sorted(untrusted) == sorted([_type_name(FCNNClassifier), _type_name(Adamax),
                                        _type_name(GradientNorms)])


def test_the_skops_round_trip_of_the_readme(tmp_path):
    sio = _skops()
    X, y = _data("binary")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = FCNNClassifier(**SMALL).fit(X, y)
    path = tmp_path / "model.skops"
    sio.dump(model, path)
    loaded = sio.load(path, trusted=["skfcnn.estimators.classifier.FCNNClassifier"])
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))


# -- what is loaded is checked (issue 21) ----------------------------------------------
def _tampered(case, tamper):
    """The fitted model of ``case`` with ``tamper(network)`` applied to its network's
    saved fields (as a damaged or hand-edited file would hold them)."""
    model, X, _ = _fitted(case)
    tamper(model._network)
    return model, X


TAMPERINGS = {
    # issue 21: loaded, and intercepts_[-1] of shape (1,) was broadcast silently
    "params two short": (lambda net: setattr(net, "params", net.params[:-2].copy()),
                         r"_network\.params has shape \(\d+,\); the layer sizes need"),
    "a NaN weight": (lambda net: net.params.__setitem__(0, np.nan),
                     r"_network\.params holds non-finite values"),
    # issue 21: a running mean of the wrong length predicted off by 0.07
    "running mean one short": (
        lambda net: net.running_means.__setitem__(0, net.running_means[0][:-1].copy()),
        r"_network\.running_means\[0\] has shape"),
    "float32 parameters of a float64 model": (
        lambda net: setattr(net, "params", net.params.astype(np.float32)),
        r"_network\.params has dtype float32; the state declares float64"),
}


@pytest.mark.parametrize("tampering", TAMPERINGS)
def test_a_tampered_pickle_is_refused_naming_its_field(tampering):
    tamper, pattern = TAMPERINGS[tampering]
    model, _ = _tampered("rich-classifier", tamper)
    saved = pickle.dumps(model)
    with pytest.raises(ValueError, match=pattern + r".*damaged or was not written by skfcnn"):
        pickle.loads(saved)


@pytest.mark.parametrize("tampering", TAMPERINGS)
def test_a_tampered_skops_file_is_refused_naming_its_field(tampering, tmp_path):
    sio = _skops()
    tamper, pattern = TAMPERINGS[tampering]
    model, _ = _tampered("rich-classifier", tamper)
    sio.dump(model, tmp_path / "model.skops")
    with pytest.raises(ValueError, match=pattern):
        sio.load(tmp_path / "model.skops", trusted=[_type_name(type(model))])


def test_a_state_of_a_newer_format_is_refused():
    model, _, _ = _fitted("adam")
    state = model.__getstate__()
    state["_skfcnn_pickle_format"] = 99
    twin = FCNNClassifier.__new__(FCNNClassifier)
    with pytest.raises(ValueError, match="_skfcnn_pickle_format is 99; this skfcnn reads "
                                         "formats 1 to 3"):
        twin.__setstate__(state)
