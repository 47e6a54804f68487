"""The promises of issue 11, for generated inputs and parameters (hypothesis):

* a fit that returns predicts finite values on its training data;
* a fit that fails raises ``ValueError`` or ``TypeError`` and leaves the earlier
  model exactly as it was (parameters, fitted attributes, optimiser state),
  except a divergence that keeps, as documented, a model predicting finite values;
* a bad parameter value gives an error naming the parameter;
* no call leaves global state changed: NumPy's error state, the BLAS thread
  pools, the warning filters, scikit-learn's configuration.
"""

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
