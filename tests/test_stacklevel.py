"""Every warning points at the user's line (issue 22): the ``stacklevel`` of each
``warnings.warn`` in skfcnn names the line that called the public method (``fit``,
``partial_fit``, ``predict``, ``pickle.loads``), not a line inside the package.

Each call below is a one-line lambda, so the line that called the public method is the
lambda's first line.  The depth is fixed per call site and chosen for a direct call of
the public method: through a :class:`~sklearn.pipeline.Pipeline` (or a meta-estimator)
the warning points into scikit-learn's code instead, as scikit-learn's own do.  A
refactor that adds or removes a frame between a public method and a ``warnings.warn``
fails here: update that call site's ``stacklevel``.
"""

import pickle
import sys
import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning

import skfcnn.training.lbfgs
from skfcnn import FCNNClassifier, FCNNRegressor
from skfcnn.exceptions import DataScaleWarning, InconsistentVersionWarning
from skfcnn.nn.network import Network

RNG = np.random.RandomState(0)
X = RNG.normal(size=(60, 3))
Y_CLASS = (X[:, 0] > 0).astype(int)
Y_REG = X[:, 0] + 0.1 * RNG.normal(size=60)


def assert_points_at_caller(call, category, match):
    """``call()`` warns ``category`` (message containing ``match``) at ``call``'s line."""
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        call()
    caught = [w for w in record if issubclass(w.category, category) and match in str(w.message)]
    assert caught, f"no {category.__name__} containing {match!r}: {record}"
    for w in caught:
        assert (w.filename, w.lineno) == (__file__, call.__code__.co_firstlineno), (
            f"{category.__name__} ({match!r}) points at {w.filename}:{w.lineno}")


# -- fit and partial_fit ---------------------------------------------------------------
def test_convergence_warning_of_the_stochastic_solvers():
    assert_points_at_caller(lambda: FCNNClassifier(max_iter=2).fit(X, Y_CLASS),
                            ConvergenceWarning, "Maximum iterations")
    assert_points_at_caller(lambda: FCNNRegressor(solver="sgd", max_iter=2).fit(X, Y_REG),
                            ConvergenceWarning, "Maximum iterations")


def test_convergence_warning_of_lbfgs():
    assert_points_at_caller(lambda: FCNNClassifier(solver="lbfgs", max_iter=2).fit(X, Y_CLASS),
                            ConvergenceWarning, "lbfgs failed to converge")
    # Huber's adaptive threshold: L-BFGS in rounds (one frame deeper in the package)
    assert_points_at_caller(
        lambda: FCNNRegressor(solver="lbfgs", loss="huber", max_iter=2).fit(X, Y_REG),
        ConvergenceWarning, "lbfgs failed to converge")


def test_divergence_with_early_stopping():
    params = dict(hidden_layer_sizes=100, activation="identity", solver="sgd",
                  learning_rate_init=1, max_iter=20, early_stopping=True, random_state=0)
    X_big, y_big = 10 * X, 10 * Y_REG
    assert_points_at_caller(lambda: FCNNRegressor(**params).fit(X_big, y_big),
                            ConvergenceWarning, "training diverged")


def test_data_scale_warnings_of_fit_and_partial_fit():
    X_big, y_big = 1000 * X, 1e4 * Y_REG
    assert_points_at_caller(lambda: FCNNClassifier(max_iter=2).fit(X_big, Y_CLASS),
                            DataScaleWarning, "X has 3 feature(s) far from unit scale")
    assert_points_at_caller(lambda: FCNNClassifier().partial_fit(X_big, Y_CLASS, classes=[0, 1]),
                            DataScaleWarning, "X has 3 feature(s) far from unit scale")
    assert_points_at_caller(lambda: FCNNRegressor(max_iter=2).fit(X, y_big),
                            DataScaleWarning, "y is far from unit scale")
    assert_points_at_caller(lambda: FCNNRegressor().partial_fit(X, y_big),
                            DataScaleWarning, "y is far from unit scale")


def test_validation_set_on_another_scale():
    est = FCNNClassifier(early_stopping=True, max_iter=2)
    X_val = 1000 * X + 50
    assert_points_at_caller(lambda: est.fit(X, Y_CLASS, X_val=X_val, y_val=Y_CLASS),
                            UserWarning, "X_val is on another scale than X")


def test_batch_size_larger_than_the_data():
    assert_points_at_caller(lambda: FCNNClassifier(batch_size=1000, max_iter=2).fit(X, Y_CLASS),
                            UserWarning, "larger than the number of samples")
    assert_points_at_caller(lambda: FCNNRegressor(batch_size=1000).partial_fit(X, Y_REG),
                            UserWarning, "larger than the number of samples")


def test_progress_bar_without_tqdm(monkeypatch):
    for loaded in [key for key in sys.modules if key.startswith("tqdm.")]:
        monkeypatch.delitem(sys.modules, loaded)
    monkeypatch.setitem(sys.modules, "tqdm", None)
    est = FCNNClassifier(max_iter=2, verbose=2)
    assert_points_at_caller(lambda: est.fit(X, Y_CLASS), UserWarning, "without the bar")
    est = FCNNClassifier(solver="lbfgs", max_iter=2, verbose=2)
    assert_points_at_caller(lambda: est.fit(X, Y_CLASS), UserWarning, "without the bar")


def test_keyboard_interrupt(monkeypatch):
    real = Network.loss_gradient

    def interrupted(network, *args, **kwargs):
        if interrupted.calls == 3:  # the first batch of the second epoch
            raise KeyboardInterrupt
        interrupted.calls += 1
        return real(network, *args, **kwargs)

    interrupted.calls = 0
    monkeypatch.setattr(Network, "loss_gradient", interrupted)
    assert_points_at_caller(lambda: FCNNClassifier(batch_size=20).fit(X, Y_CLASS),
                            UserWarning, "Training interrupted by user")
    monkeypatch.undo()

    def no_minimize(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(skfcnn.training.lbfgs, "minimize", no_minimize)
    assert_points_at_caller(lambda: FCNNRegressor(solver="lbfgs").fit(X, Y_REG),
                            UserWarning, "Training interrupted by user")


# -- prediction and loading ------------------------------------------------------------
@pytest.mark.parametrize("cls", [FCNNClassifier, FCNNRegressor])
def test_outputs_not_finite(cls):
    y = Y_CLASS if cls is FCNNClassifier else Y_REG
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est = cls(hidden_layer_sizes=(4,), max_iter=2, random_state=0).fit(X, y)
    est.coefs_[0][...] = 1e300
    est.coefs_[1][...] = 1e300
    X_large = np.full((2, 3), 1e10)
    # the classifier's outputs go through a squashing output activation: finite
    if cls is FCNNRegressor:
        assert_points_at_caller(lambda: est.predict(X_large), RuntimeWarning, "not finite")
    else:
        assert_points_at_caller(lambda: est.predict_proba(X_large), RuntimeWarning,
                                "not finite")
    assert_points_at_caller(lambda: est.transform(X_large), RuntimeWarning, "not finite")


def test_inconsistent_version_on_pickle_loads():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est = FCNNClassifier(hidden_layer_sizes=(4,), max_iter=2).fit(X, Y_CLASS)
    version = skfcnn.__version__.encode()
    blob = pickle.dumps(est).replace(version, b"0" * len(version))
    assert blob != pickle.dumps(est)
    assert_points_at_caller(lambda: pickle.loads(blob), InconsistentVersionWarning,
                            "skfcnn 000")
