"""Models pickled by skfcnn 0.1.0 load, predict as they did and go on training as they
would have (``tests/data/legacy_0.1.0``, written by ``tests/data/make_legacy_pickles.py``).

Each pickle holds ``(estimator, X, y, expected, continued)``: ``expected`` is what the
model predicted when it was saved (``predict_proba`` for a classifier, ``predict`` for
a regressor) and ``continued`` what it predicted after one more
``set_params(early_stopping=False).partial_fit(X, y)`` (``None`` for L-BFGS).  In
0.1.0 the optimiser carried its state (momentum, moments, accumulators) on itself; it
now lives apart, so the load must move it for ``continued`` to come out bit for bit.
"""

import pickle
import warnings
from pathlib import Path

import numpy as np
import pytest

from skfcnn.exceptions import InconsistentVersionWarning
from skfcnn.nn.optimizers import OptimizerState

LEGACY = sorted((Path(__file__).parent / "data" / "legacy_0.1.0").glob("*.pkl"))


def _load(path):
    with open(path, "rb") as f, pytest.warns(InconsistentVersionWarning, match="skfcnn 0.1.0"):
        return pickle.load(f)


def _predict(est, X):
    return est.predict_proba(X) if hasattr(est, "predict_proba") else est.predict(X)


def _continue(est, X, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est.set_params(early_stopping=False).partial_fit(X, y)
    return _predict(est, X)


def test_there_are_legacy_pickles():
    assert len(LEGACY) == 6


@pytest.mark.parametrize("path", LEGACY, ids=lambda p: p.stem)
def test_a_legacy_model_predicts_as_it_did(path):
    est, X, _, expected, _ = _load(path)
    np.testing.assert_array_equal(_predict(est, X), expected)


@pytest.mark.parametrize("path", [p for p in LEGACY if "lbfgs" not in p.stem],
                         ids=lambda p: p.stem)
def test_a_legacy_model_goes_on_training_as_it_would_have(path):
    est, X, y, _, continued = _load(path)
    assert type(est._optimizer_state) is OptimizerState  # moved off the optimiser
    assert set(vars(est._optimizer)) == set(type(est._optimizer)._param_names())
    np.testing.assert_array_equal(_continue(est, X, y), continued)


@pytest.mark.parametrize("path", [p for p in LEGACY if "lbfgs" not in p.stem],
                         ids=lambda p: p.stem)
def test_a_legacy_model_saved_again_goes_on_the_same(path):
    est, X, y, _, continued = _load(path)
    again = pickle.loads(pickle.dumps(est))  # the current format
    np.testing.assert_array_equal(_continue(again, X, y), continued)


def test_the_lbfgs_pickle_has_no_continuation():
    est, *_, continued = _load(next(p for p in LEGACY if "lbfgs" in p.stem))
    assert continued is None and est._optimizer_state is None


@pytest.mark.parametrize("path", LEGACY, ids=lambda p: p.stem)
def test_weight_decay_keeps_its_0_1_meaning(path):
    # in 0.1.0 only 'adamw' used weight_decay (default 0.01): the others must not decay now
    est = _load(path)[0]
    assert est.weight_decay == (0.01 if est.solver == "adamw" else None)


def test_a_current_pickle_keeps_weight_decay():
    from skfcnn import FCNNRegressor

    est = FCNNRegressor(solver="sgd", weight_decay=0.01)
    assert pickle.loads(pickle.dumps(est)).weight_decay == 0.01
