"""The promises of issue 11, for generated inputs and parameters (hypothesis):

* a fit that returns predicts finite values on its training data;
* a fit that fails raises ``ValueError`` or ``TypeError`` and leaves the earlier
  model exactly as it was (parameters, fitted attributes, optimiser state),
  except a divergence that keeps, as documented, a model predicting finite values;
* a bad parameter value gives an error naming the parameter;
* no call leaves global state changed: NumPy's error state, the BLAS thread
  pools, the warning filters, scikit-learn's configuration.
"""

import copy
import pickle
import warnings

import numpy as np
import pytest
import sklearn
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from threadpoolctl import threadpool_info

from skfcnn import FCNNClassifier, FCNNRegressor
from skfcnn.nn.activations import HIDDEN_ACTIVATIONS
from skfcnn.nn.optimizers import OPTIMIZERS

SETTINGS = settings(max_examples=30, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])

parameters = st.fixed_dictionaries({
    "hidden_layer_sizes": st.lists(st.integers(1, 6), min_size=0, max_size=2).map(tuple),
    "activation": st.sampled_from(HIDDEN_ACTIVATIONS),
    "solver": st.sampled_from([*OPTIMIZERS, "lbfgs"]),
    "learning_rate_init": st.sampled_from([1e-3, 0.1, 10.0, 1e4]),
    "alpha": st.sampled_from([0.0, 1e-4, 10.0]),
    "batch_size": st.sampled_from(["auto", 1, 7]),
    "dropout": st.sampled_from([0.0, 0.3]),
    "batch_norm": st.booleans(),
    "max_iter": st.integers(1, 6),
    "random_state": st.integers(0, 3),
})


@st.composite
def data(draw, classification):
    n = draw(st.integers(4, 30))
    scale = draw(st.sampled_from([1.0, 1e3, 1e6]))
    X = draw(st.integers(0, 2**16)).__index__()
    rng = np.random.RandomState(X)
    X = rng.standard_normal((n, draw(st.integers(1, 3)))) * scale
    if draw(st.booleans()):
        X = X.astype(np.float32)
    if classification:
        y = rng.randint(0, draw(st.integers(2, 3)), size=n)
        y[:2] = [0, 1]  # at least two classes
    else:
        y = rng.standard_normal(n) * draw(st.sampled_from([1.0, 1e4]))
    return X, y


def global_state():
    return (np.geterr(), [(i["filepath"], i["num_threads"]) for i in threadpool_info()],
            list(warnings.filters), sklearn.get_config())


def try_fit(est, X, y):
    """``est.fit``: True when it returned or diverged keeping a model (which must then
    predict finite values), False when it raised a ValueError/TypeError otherwise."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            est.fit(X, y)
        except (ValueError, TypeError) as error:
            assert str(error)  # every error says something
            if not getattr(error, "model_kept", False):
                return False
            assert "training diverged" in str(error)
    return True


@pytest.mark.parametrize("cls", [FCNNClassifier, FCNNRegressor])
def test_a_fit_predicts_finite_values_or_fails_leaving_the_model(cls):
    @SETTINGS
    @given(params=parameters, first=data(cls is FCNNClassifier),
           second=data(cls is FCNNClassifier))
    def check(params, first, second):
        before = global_state()
        est = cls(**params)
        if try_fit(est, *first):
            assert np.all(np.isfinite(est.predict(first[0][:50])))
            est.set_params(warm_start=True)
            kept = pickle.dumps(est)
            if not try_fit(est, *second):  # a failed warm start changes nothing
                assert pickle.dumps(est) == kept
            else:
                assert np.all(np.isfinite(est.predict(second[0][:50])))
        else:
            assert not hasattr(est, "_network")  # a failed first fit leaves it unfitted
        assert global_state() == before

    check()


BAD_VALUES = {
    "alpha": [-1.0, "0.1", np.nan],
    "learning_rate_init": [0.0, -1.0, "fast"],
    "max_iter": [0, 2.5, "10"],
    "batch_size": [0, -3, "big"],
    "hidden_layer_sizes": [(0,), (-2, 3), ("a",)],
    "activation": ["sigmoid", 3],
    "solver": ["newton", None],
    "dropout": [1.0, -0.1, [0.5, 2.0]],
    "momentum": [1.5, -0.1],
    "tol": [-1e-4],
    "validation_fraction": [1.0, -0.2],
    "max_grad_norm": [0.0, -1.0],
    "weight_decay": [-0.01],
    "callbacks": ["print"],
}


@pytest.mark.parametrize("cls", [FCNNClassifier, FCNNRegressor])
def test_a_bad_parameter_value_is_named(cls):
    @SETTINGS
    @given(name=st.sampled_from(sorted(BAD_VALUES)), index=st.integers(0, 2))
    def check(name, index):
        values = BAD_VALUES[name]
        value = values[index % len(values)]
        X = np.random.RandomState(0).standard_normal((12, 2))
        y = np.arange(12) % 2
        with pytest.raises((ValueError, TypeError)) as error:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                cls(**{name: value}, max_iter=2).fit(X, y) if name != "max_iter" else \
                    cls(**{name: value}).fit(X, y)
        assert name in str(error.value)

    check()


# -- a loaded state is checked (issue 21) -----------------------------------------------
def _fitted_models():
    rng = np.random.RandomState(0)
    X = rng.standard_normal((60, 3))
    labels = np.arange(60) % 3
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield X, FCNNClassifier(hidden_layer_sizes=(4, 3), batch_norm=True, dropout=0.1,
                                max_iter=3, random_state=0).fit(X, labels)
        yield X, FCNNRegressor(hidden_layer_sizes=(5,), solver="sgd", max_iter=3,
                               random_state=0).fit(X, X[:, :2])
        yield X, FCNNClassifier(hidden_layer_sizes=(4,), solver="lbfgs", max_iter=3,
                                random_state=0).fit(X, labels > 0)


def _fields(value, path=()):
    """``(path, value)`` of every entry of a saved state, nested entries included."""
    if type(value) is dict:
        for key, item in value.items():
            if key != "__skfcnn__":
                yield path + (key,), item
                yield from _fields(item, path + (key,))
    elif type(value) in (list, tuple):
        for index, item in enumerate(value):
            yield path + (index,), item
            yield from _fields(item, path + (index,))


def _corruptions(value, in_dict):
    """``(kind, corrupt)`` pairs that apply to ``value``: ``corrupt(value)`` is the bad
    value (or ``_MISSING`` to delete the key)."""
    if in_dict:
        yield "missing key", lambda v: _MISSING
    if isinstance(value, np.ndarray) and value.ndim >= 1 and value.size:
        yield "two entries short", lambda v: v[:-2] if len(v) > 2 else v[:0]
        yield "one entry more", lambda v: np.concatenate([v, v[-1:]])
        other = np.float32 if value.dtype == np.float64 else np.float64
        yield "dtype", lambda v: v.astype(other)
        if value.dtype.kind == "f":
            yield "NaN", lambda v: np.where(np.arange(v.size).reshape(v.shape) == 0, np.nan, v)
        elif value.dtype.kind in "iub":
            yield "repeated label", lambda v: np.concatenate([v[:-1], v[:1]])
    elif type(value) is dict and value.get("__skfcnn__") == "registered":
        yield "unknown registry name", lambda v: {**v, "name": "no_such_entry"}
    elif type(value) is str:
        yield "unknown name", lambda v: "no_such_name"
    elif isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        yield "off by one", lambda v: v + 1


_MISSING = object()


def _corrupted(state, path, corrupt):
    state = copy.deepcopy(state)
    parent = state
    for key in path[:-1]:
        parent = parent[key]
    bad = corrupt(parent[path[-1]])
    if bad is _MISSING:
        del parent[path[-1]]
    elif isinstance(parent, tuple):
        return None  # a tuple inside the state: the tuple itself is corrupted instead
    else:
        parent[path[-1]] = bad
    return state


def _predictions(est, X):
    out = [est.predict(X)]
    return out + [est.predict_proba(X)] if hasattr(est, "predict_proba") else out


def test_a_corrupted_saved_state_is_refused_naming_its_field_or_predicts_the_same():
    """Every entry of a saved state is corrupted in turn (shape, dtype, value, missing
    key, unknown registry name): loading refuses it with a ValueError or TypeError
    naming the field, or the model loads and predicts exactly as before (an entry that
    does not take part in predictions, e.g. ``loss_curve_``), never another model.
    One case cannot be told apart and is left out: a binary classifier's ``classes_``
    cut to one label reads as a one-class model (both have one output)."""
    refused = loaded = 0
    for X, est in _fitted_models():
        state, expected = est.__getstate__(), _predictions(est, X)
        for path, value in list(_fields(state)):
            for kind, corrupt in _corruptions(value, isinstance(path[-1], str)):
                if (path == ("classes_",) and kind == "two entries short"
                        and len(est.classes_) == 2):
                    continue
                bad = _corrupted(state, path, corrupt)
                if bad is None:
                    continue
                twin = type(est).__new__(type(est))
                try:
                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore")
                        twin.__setstate__(bad)
                except (ValueError, TypeError) as error:
                    named = [part for part in path if isinstance(part, str)
                             and part not in ("state", "name")]
                    assert any(part in str(error) for part in named) or (
                        "no_such_entry" in str(error)), (path, kind, str(error))
                    refused += 1
                    continue
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    got = _predictions(twin, X)
                for a, b in zip(got, expected):
                    assert np.array_equal(a, b), (path, kind)
                    # labels of another dtype (1.0 for 1) are the same labels
                    assert a.dtype == b.dtype or path == ("classes_",), (path, kind)
                loaded += 1
    assert refused > 100 and loaded > 20, (refused, loaded)


# -- memory is bounded (issue 21) -------------------------------------------------------
def test_a_fit_retains_no_training_sized_buffer_and_predicts_in_chunks():
    """For generated shapes and solvers: what a fitted estimator retains does not
    grow with the training rows, and ``predict`` peaks with its output and one chunk
    (the bounds of ``tests/test_memory.py`` and the user guide)."""
    from test_memory import CHUNK, MB, measured, retained_bound, sizes

    @settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(n_rows=st.integers(5000, 20000), n_features=st.integers(1, 40),
           hidden=st.lists(st.integers(1, 64), min_size=1, max_size=2).map(tuple),
           solver=st.sampled_from(["lbfgs", "full-batch adam", "adam"]),
           float32=st.booleans())
    def check(n_rows, n_features, hidden, solver, float32):
        rng = np.random.RandomState(n_rows)
        X = rng.standard_normal((n_rows, n_features))
        X = X.astype(np.float32) if float32 else X
        y = X[:, 0] + 0.1 * rng.standard_normal(n_rows)
        params = {"solver": "lbfgs"} if solver == "lbfgs" else {
            "batch_size": n_rows if solver == "full-batch adam" else 200}
        est = FCNNRegressor(hidden_layer_sizes=hidden, max_iter=2, random_state=0, **params)
        _, _, retained = measured(lambda: est.fit(X, y))
        assert retained <= retained_bound(est), (retained, retained_bound(est))
        s, W, _, k = sizes(est)
        _, peak, _ = measured(lambda: est.predict(X))
        assert peak <= 2 * n_rows * k * s + 2 * CHUNK * W * s + 2 * MB

    check()
