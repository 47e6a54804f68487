"""Behaviour of FCNNClassifier and FCNNRegressor beyond scikit-learn's checks."""

import os
import pickle
import re
import warnings

import numpy as np
import pytest
import scipy
import scipy.sparse
from conftest import BOTH, data_for
from sklearn.datasets import make_classification
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.neural_network import MLPClassifier, MLPRegressor

import skfcnn.training.lbfgs
import skfcnn.training.loop
from skfcnn import FCNNClassifier, FCNNRegressor
from skfcnn.estimators.params import check_input_values
from skfcnn.exceptions import DataScaleWarning
from skfcnn.nn import Network

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")



# -- drop-in parity with scikit-learn's MLP -------------------------------------------------
@pytest.mark.parametrize("solver, nesterov", [("adam", True), ("sgd", True), ("sgd", False)])
@pytest.mark.parametrize("ours, theirs", [(FCNNClassifier, MLPClassifier),
                                          (FCNNRegressor, MLPRegressor)])
def test_same_trajectory_as_scikit_learn(ours, theirs, solver, nesterov, digits, regression):
    X, y = data_for(ours, digits, regression)
    params = dict(hidden_layer_sizes=(12, 7), solver=solver, nesterovs_momentum=nesterov,
                  batch_size=64, max_iter=6, learning_rate_init=0.01, random_state=3)
    a, b = ours(**params).fit(X, y), theirs(**params).fit(X, y)
    np.testing.assert_allclose(a.loss_curve_, b.loss_curve_, rtol=1e-9)
    for mine, peer in zip(a.coefs_ + a.intercepts_, b.coefs_ + b.intercepts_):
        np.testing.assert_allclose(mine, peer, rtol=1e-7, atol=1e-10)
    assert ((a.n_iter_, a.t_, a.n_layers_, a.n_outputs_)
            == (b.n_iter_, b.t_, b.n_layers_, b.n_outputs_))
    assert a.out_activation_ == b.out_activation_


@pytest.mark.parametrize("cls, peer", [(FCNNClassifier, MLPClassifier),
                                       (FCNNRegressor, MLPRegressor)])
def test_defaults_match_scikit_learn(cls, peer):
    ours, theirs = cls().get_params(), peer().get_params()
    shared = set(ours) & set(theirs)
    assert {name: ours[name] for name in shared} == {name: theirs[name] for name in shared}


def test_stops_like_scikit_learn_when_loss_stalls(digits):
    X, y = digits
    params = dict(hidden_layer_sizes=(5,), tol=10.0, n_iter_no_change=3, random_state=0)
    ours, theirs = FCNNClassifier(**params).fit(X, y), MLPClassifier(**params).fit(X, y)
    assert ours.n_iter_ == theirs.n_iter_ == 5


# -- the flat parameter vector, dtype and persistence --------------------------------------
@pytest.mark.parametrize("cls", BOTH)
def test_coefs_are_views_of_one_flat_vector_also_after_pickling(cls, digits, regression):
    X, y = data_for(cls, digits, regression)
    est = cls(hidden_layer_sizes=(6, 4), max_iter=3, random_state=0).fit(X, y)
    restored = pickle.loads(pickle.dumps(est))
    for model in (est, restored):
        flat = model._network.params
        assert all(np.shares_memory(w, flat) for w in model.coefs_ + model.intercepts_)
    np.testing.assert_array_equal(est.predict(X), restored.predict(X))
    restored.coefs_[0][...] = 0.0  # writing into the view changes the model
    assert np.all(restored._network.params[: restored.coefs_[0].size] == 0)
    restored.partial_fit(X, y)  # and training goes on through the same views
    assert np.shares_memory(restored.coefs_[0], restored._network.params)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("cls", BOTH)
def test_dtype_follows_the_data(cls, dtype, digits, regression):
    X, y = data_for(cls, digits, regression)
    est = cls(hidden_layer_sizes=(8,), max_iter=3, random_state=0).fit(X.astype(dtype), y)
    assert all(w.dtype == dtype for w in est.coefs_ + est.intercepts_)
    X_dtype = X.astype(dtype)
    out = est.predict_proba(X_dtype) if cls is FCNNClassifier else est.predict(X_dtype)
    assert out.dtype == dtype


# -- partial_fit and warm_start keep the optimiser and count consistently ------------------
@pytest.mark.parametrize("solver", ["adam", "sgd"])
@pytest.mark.parametrize("cls", BOTH)
def test_partial_fit_epochs_equal_fit_epochs(cls, solver, digits, regression):
    # without shuffling, k partial_fit calls are k epochs of fit: the optimiser's
    # velocity / moments and step count carry over between calls
    X, y = data_for(cls, digits, regression)
    params = dict(hidden_layer_sizes=(10,), solver=solver, max_iter=4, tol=0.0,
                  shuffle=False, n_iter_no_change=100, random_state=0)
    full = cls(**params).fit(X, y)
    stream = cls(**params)
    kwargs = {"classes": np.unique(y)} if cls is FCNNClassifier else {}
    for _ in range(4):
        stream.partial_fit(X, y, **kwargs)
    np.testing.assert_allclose(stream._network.params, full._network.params, rtol=1e-12)
    assert stream.n_iter_ == len(stream.loss_curve_) == 4
    assert stream.t_ == 4 * X.shape[0]


@pytest.mark.parametrize("cls", BOTH)
def test_shuffled_partial_fit_is_reproducible(cls, digits, regression):
    X, y = data_for(cls, digits, regression)
    kwargs = {"classes": np.unique(y)} if cls is FCNNClassifier else {}
    runs = []
    for _ in range(2):
        est = cls(hidden_layer_sizes=(6,), random_state=7)
        for _ in range(3):
            est.partial_fit(X, y, **kwargs)
        runs.append(est._network.params)
    np.testing.assert_array_equal(*runs)


@pytest.mark.parametrize("solver", ["adam", "sgd"])
@pytest.mark.parametrize("cls", BOTH)
def test_warm_start_keeps_optimizer_state(cls, solver, digits, regression):
    X, y = data_for(cls, digits, regression)
    params = dict(hidden_layer_sizes=(10,), solver=solver, shuffle=False, tol=0.0,
                  n_iter_no_change=100, random_state=0)
    full = cls(max_iter=6, **params).fit(X, y)
    warm = cls(max_iter=3, warm_start=True, **params).fit(X, y).fit(X, y)
    np.testing.assert_allclose(warm._network.params, full._network.params, rtol=1e-12)
    # scikit-learn's count: the epochs of the last fit; the curve keeps growing
    assert warm.n_iter_ == 3 and len(warm.loss_curve_) == 6
    np.testing.assert_allclose(warm.loss_curve_, full.loss_curve_)


@pytest.mark.parametrize("cls", BOTH)
def test_fit_without_warm_start_starts_again(cls, digits, regression):
    X, y = data_for(cls, digits, regression)
    est = cls(hidden_layer_sizes=(5,), max_iter=3, random_state=0)
    first = est.fit(X, y)._network.params.copy()
    np.testing.assert_array_equal(est.fit(X, y)._network.params, first)
    assert est.n_iter_ == 3


def test_warm_start_with_other_classes_is_an_error(digits):
    X, y = digits
    clf = FCNNClassifier(hidden_layer_sizes=(5,), max_iter=2, warm_start=True).fit(X, y)
    with pytest.raises(ValueError, match="same classes"):
        clf.fit(X[y < 5], y[y < 5])


def test_partial_fit_needs_classes_first_and_rejects_unknown_labels(digits):
    X, y = digits
    clf = FCNNClassifier(hidden_layer_sizes=(5,))
    with pytest.raises(ValueError, match="classes must be passed"):
        clf.partial_fit(X, y)
    clf.partial_fit(X[y < 9], y[y < 9], classes=np.arange(9))
    with pytest.raises(ValueError, match=r"not in `self.classes_`: \[9\]"):
        clf.partial_fit(X, y)
    with pytest.raises(ValueError, match="X has 63 features"):
        clf.partial_fit(X[:, 1:], y)


# -- classifier outputs --------------------------------------------------------------------
@pytest.mark.parametrize("n_classes", [2, 3])
def test_string_labels_and_probabilities(n_classes):
    X, y = make_classification(n_samples=120, n_features=6, n_informative=4,
                               n_classes=n_classes, random_state=0)
    labels = np.array(["ant", "bee", "cat"])[y]
    clf = FCNNClassifier(hidden_layer_sizes=(10,), learning_rate_init=0.01, random_state=0)
    clf.fit(X, labels)
    assert list(clf.classes_) == ["ant", "bee", "cat"][:n_classes]
    proba = clf.predict_proba(X)
    assert proba.shape == (120, n_classes)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    np.testing.assert_allclose(np.exp(clf.predict_log_proba(X)), proba, rtol=1e-10)
    assert np.array_equal(clf.predict(X), clf.classes_[proba.argmax(axis=1)])
    assert clf.score(X, labels) > 0.9


@pytest.mark.parametrize("n_classes", [2, 3])
def test_predict_log_proba_stays_finite_for_extreme_logits(n_classes):
    X, y = make_classification(n_samples=50, n_features=4, n_classes=n_classes,
                               n_informative=3, n_redundant=0, random_state=0)
    clf = FCNNClassifier(hidden_layer_sizes=(3,), max_iter=5, random_state=0).fit(X, y)
    clf.coefs_[-1][...] *= 1e6  # logits of order 1e6: exp underflows to exactly 0
    proba, log_proba = clf.predict_proba(X), clf.predict_log_proba(X)
    assert np.all(np.isfinite(log_proba)) and np.all(proba > 0)
    assert log_proba.min() < -700  # really extreme, yet finite
    np.testing.assert_array_equal(log_proba, np.log(proba))


def test_single_class_gives_one_probability_column():
    X = np.random.default_rng(0).normal(size=(20, 3))
    clf = FCNNClassifier(hidden_layer_sizes=(4,), max_iter=5).fit(X, ["only"] * 20)
    assert clf.predict_proba(X).shape == (20, 1) == clf.predict_log_proba(X).shape
    np.testing.assert_array_equal(clf.predict_proba(X), 1.0)
    assert set(clf.predict(X)) == {"only"}


def test_regressor_multi_output(regression):
    X, y = regression
    Y = np.column_stack([y, -2 * y])
    reg = FCNNRegressor(hidden_layer_sizes=(16,), max_iter=500, random_state=0).fit(X, Y)
    assert reg.predict(X).shape == (150, 2) and reg.n_outputs_ == 2
    assert reg.score(X, Y) > 0.9


# -- bad input and divergence --------------------------------------------------------------
@pytest.mark.parametrize("cls", BOTH)
@pytest.mark.parametrize("params, message", [
    ({"hidden_layer_sizes": (4, 0)}, "hidden_layer_sizes"),
    ({"hidden_layer_sizes": (4, -2)}, "hidden_layer_sizes"),
    ({"activation": "sigmoid"}, "'activation' parameter.*'relu'"),
    ({"solver": "newton"}, "'solver' parameter.*'adam'"),
    ({"learning_rate_init": 0.0}, "'learning_rate_init' parameter"),
    ({"alpha": -1.0}, "'alpha' parameter"),
    ({"momentum": 1.5}, "'momentum' parameter"),
    ({"beta_2": 1.0}, "'beta_2' parameter"),
    ({"batch_size": 0}, "'batch_size' parameter"),
    ({"max_iter": 0}, "'max_iter' parameter"),
])
def test_invalid_parameters_are_named(cls, params, message, digits, regression):
    X, y = data_for(cls, digits, regression)
    with pytest.raises(ValueError, match=message):
        cls(**params).fit(X, y)


@pytest.mark.parametrize("cls", BOTH)
@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_non_finite_data_is_rejected(cls, bad, digits, regression):
    X, y = data_for(cls, digits, regression)
    X_bad = X.copy()
    X_bad[3, 2] = bad
    with pytest.raises(ValueError, match=r"Input X contains (NaN|infinity)"):
        cls().fit(X_bad, y)
    y_bad = y.astype(float).copy()
    y_bad[0] = bad
    with pytest.raises(ValueError, match=r"Input y contains (NaN|infinity)"):
        cls().fit(X, y_bad)


@pytest.mark.parametrize("layout", ["C", "F", "csr"])
@pytest.mark.parametrize("row", [0, 1700, 2999])
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_one_pass_input_check_finds_every_non_finite_value(layout, row, bad):
    """The chunked check sees a bad value in any chunk, in any memory layout."""
    X = np.random.default_rng(0).standard_normal((3000, 50))  # several chunks
    X[row, 7] = bad
    X = scipy.sparse.csr_matrix(X) if layout == "csr" else np.asarray(X, order=layout)
    with pytest.raises(ValueError, match=r"Input X contains (NaN|infinity)"):
        check_input_values(X, "FCNNRegressor")


@pytest.mark.parametrize("row", [0, 2999])
def test_one_large_value_warns_naming_its_feature(row):
    """The former magnitude check (1e8) is part of the scale rule (issue 20): one value
    of 3e9 makes its feature's root mean square 5.5e7; the finiteness pass is silent."""
    X = np.random.default_rng(0).standard_normal((3000, 50))
    X[row, 3] = -3e9
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        check_input_values(X, "FCNNRegressor")
    with pytest.warns(DataScaleWarning, match=r"^X has 1 feature\(s\) far from unit scale: "
                                              r"feature 3 \(root mean square 5.48e\+07"):
        FCNNRegressor(max_iter=1).fit(X, X[:, 0])


@pytest.mark.parametrize("cls", BOTH)
def test_empty_data_and_wrong_feature_count(cls, digits, regression):
    X, y = data_for(cls, digits, regression)
    with pytest.raises(ValueError, match="0 sample"):
        cls().fit(X[:0], y[:0])
    est = cls(hidden_layer_sizes=(4,), max_iter=2).fit(X, y)
    with pytest.raises(ValueError, match=f"X has {X.shape[1] - 1} features"):
        est.predict(X[:, 1:])
    with pytest.raises(NotFittedError):
        cls().predict(X)


@pytest.mark.parametrize("cls", BOTH)
def test_divergence_stops_with_a_clear_error_and_keeps_parameters(cls, regression, digits):
    X, y = data_for(cls, digits, regression)
    est = cls(hidden_layer_sizes=(16,), solver="sgd", learning_rate_init=1e-3, random_state=0)
    kwargs = {"classes": np.unique(y)} if cls is FCNNClassifier else {}
    est.partial_fit(X, y, **kwargs)
    est.set_params(learning_rate_init=1e9, momentum=0.0)
    pattern = (r"(loss|predictions on the training data) became (inf|nan|non-finite) at "
               r"iteration (\d+).*scaling the inputs.*learning_rate_init")
    with pytest.raises(ValueError, match=pattern) as error:
        for _ in range(20):
            est.partial_fit(X * 1e3, y)
    # the parameters kept are the last ones that gave a finite loss
    assert np.all(np.isfinite(est._network.params))
    assert np.all(np.isfinite(est.predict(X)))
    match = re.search(pattern, str(error.value))
    failed_at = int(match.group(3))
    # a non-finite loss stops within its epoch (not recorded); non-finite predictions are
    # seen after the epoch, whose last update is rolled back (its loss stays recorded)
    recorded = failed_at - 1 if match.group(1) == "loss" else failed_at
    assert est.n_iter_ == len(est.loss_curve_) == recorded >= 1


def test_lbfgs_divergence_names_the_loss_and_commits_no_untrained_start(regression,
                                                                       monkeypatch):
    """Issue 21: this test used to assert that the random starting point was kept and
    committed; no iteration had a finite loss, so nothing trained is kept now."""
    X, y = regression
    est = FCNNRegressor(solver="lbfgs", hidden_layer_sizes=(4,), random_state=0)

    def no_finite_loss(objective, x):
        return np.nan, np.zeros_like(x)

    monkeypatch.setattr(skfcnn.training.lbfgs._Objective, "__call__", no_finite_loss)
    with pytest.raises(ValueError, match=r"^The training loss became nan at iteration 1: "
                                         r"training diverged.*no iteration of this call "
                                         r"finished with a finite loss.*scaling the inputs"):
        est.fit(X, y)
    assert not hasattr(est, "_network") and not hasattr(est, "n_iter_")


@pytest.mark.parametrize("cls", BOTH)
def test_divergence_with_batch_norm_keeps_finite_running_statistics(cls, regression, digits):
    """The running statistics are restored with the parameters: the kept model predicts."""
    X, y = data_for(cls, digits, regression)
    est = cls(hidden_layer_sizes=(16,), solver="sgd", momentum=0.0, batch_norm=True,
              learning_rate_init=1e9, max_iter=50, random_state=0, shuffle=False, tol=0.0)
    # X * 1e3 is unscaled on purpose (to diverge): the scale warning is right here
    with pytest.raises(ValueError, match=r"became (inf|nan|non-finite) at iteration (\d+)"), \
            pytest.warns(DataScaleWarning, match="^X has .* far from unit scale"):
        est.fit(X * 1e3, y)
    assert est.n_iter_ >= 1
    network = est._network
    for array in [network.params, *network.running_means, *network.running_vars]:
        assert np.all(np.isfinite(array))
    assert np.all(np.isfinite(est.predict(X)))


@pytest.mark.parametrize("batch_norm", [False, True])
@pytest.mark.parametrize("cls", BOTH)
def test_keyboard_interrupt_leaves_a_consistent_model(cls, batch_norm, monkeypatch, digits,
                                                      regression):
    X, y = data_for(cls, digits, regression)
    params = dict(hidden_layer_sizes=(6,), shuffle=False, tol=0.0, random_state=0,
                  batch_norm=batch_norm)
    reference = cls(max_iter=2, **params).fit(X, y)
    real_loss_gradient, calls = Network.loss_gradient, []
    batches_per_epoch = -(-X.shape[0] // min(200, X.shape[0]))

    def interrupted_batch(network, *args, **kwargs):
        value = real_loss_gradient(network, *args, **kwargs)  # batch-norm statistics move
        calls.append(1)
        if len(calls) == 2 * batches_per_epoch + 1:  # the first batch of the third epoch
            raise KeyboardInterrupt
        return value

    monkeypatch.setattr(Network, "loss_gradient", interrupted_batch)
    with pytest.warns(UserWarning, match="interrupted"):
        est = cls(max_iter=10, **params).fit(X, y)
    assert est.n_iter_ == len(est.loss_curve_) == 2
    np.testing.assert_array_equal(est._network.params, reference._network.params)
    for kept, ref in zip(est._network.running_means + est._network.running_vars,
                         reference._network.running_means + reference._network.running_vars):
        np.testing.assert_array_equal(kept, ref)


# -- messages to the user ------------------------------------------------------------------
def test_verbose_prints_each_iteration(capsys, regression):
    X, y = regression
    FCNNRegressor(hidden_layer_sizes=(4,), max_iter=3, verbose=True).fit(X, y)
    lines = capsys.readouterr().out.splitlines()
    assert [line.split(",")[0] for line in lines] == [f"Iteration {i}" for i in (1, 2, 3)]
    assert re.fullmatch(r"Iteration 1, loss = \d+\.\d{8}", lines[0])


def test_convergence_warning_when_max_iter_is_reached(regression):
    X, y = regression
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(ConvergenceWarning, match=r"Maximum iterations \(2\)"):
            FCNNRegressor(hidden_layer_sizes=(4,), max_iter=2).fit(X, y)


def test_batch_size_larger_than_data_is_clipped_with_a_warning(regression):
    X, y = regression
    with pytest.warns(UserWarning, match="batch_size"):
        reg = FCNNRegressor(hidden_layer_sizes=(4,), batch_size=1000, max_iter=2).fit(X, y)
    assert reg.t_ == 2 * X.shape[0]


def test_lbfgs_limits_only_scipys_own_blas_to_one_thread():
    """SciPy's bundled OpenBLAS spins beside NumPy's during L-BFGS: it gets one thread."""
    from threadpoolctl import threadpool_info

    from skfcnn.training.lbfgs import _inside

    package = os.path.dirname(scipy.__file__)
    scipy_blas = (package, package + ".libs")
    own = {info["filepath"] for info in threadpool_info()
           if info["user_api"] == "blas" and _inside(info["filepath"], scipy_blas)}
    before = {info["filepath"]: info["num_threads"] for info in threadpool_info()}
    with skfcnn.training.lbfgs.scipy_own_blas_one_thread():
        during = {info["filepath"]: info["num_threads"] for info in threadpool_info()}
    assert {info["filepath"]: info["num_threads"] for info in threadpool_info()} == before
    assert during == {path: 1 if path in own else threads for path, threads in before.items()}
    numpy_package = os.path.dirname(np.__file__)  # NumPy's own BLAS is never limited
    assert not any(_inside(path, (numpy_package, numpy_package + ".libs")) for path in own)


def test_concurrent_lbfgs_fits_restore_scipys_blas_threads(regression):
    """Issue 11: fits in threads entered and left the limit out of order, leaving SciPy's
    OpenBLAS on one thread for the rest of the process."""
    import threading
    from concurrent.futures import ThreadPoolExecutor

    from threadpoolctl import threadpool_info

    def threads():
        return {info["filepath"]: info["num_threads"] for info in threadpool_info()}

    before = threads()
    X, y = regression
    barrier = threading.Barrier(4)

    def fit(seed):
        barrier.wait()  # all four inside L-BFGS at once, leaving in whatever order
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return FCNNRegressor(hidden_layer_sizes=(8,), solver="lbfgs", max_iter=20 + seed,
                                 random_state=seed).fit(X, y)

    with ThreadPoolExecutor(4) as pool:
        fitted = list(pool.map(fit, range(4)))
    assert all(est.n_iter_ > 0 for est in fitted)
    assert threads() == before
    # and one thread's limit is the same as ever
    with skfcnn.training.lbfgs.scipy_own_blas_one_thread():
        with skfcnn.training.lbfgs.scipy_own_blas_one_thread():
            pass
    assert threads() == before


@pytest.mark.parametrize("cls", BOTH)
def test_assigned_coefs_and_intercepts_are_the_model(cls, digits, regression):
    """Issue 11: as scikit-learn's MLP users do, coefs_/intercepts_ may be assigned (a list
    or an element); the model then predicts, pickles and trains with the new values."""
    X, y = data_for(cls, digits, regression)
    kwargs = {"classes": np.unique(y)} if cls is FCNNClassifier else {}
    est = cls(hidden_layer_sizes=(6,), random_state=0).partial_fit(X, y, **kwargs)
    other = cls(hidden_layer_sizes=(6,), random_state=1).partial_fit(X, y, **kwargs)
    est.coefs_ = [c.copy() for c in other.coefs_]  # the whole list
    est.intercepts_[0] = other.intercepts_[0]  # one element
    est.intercepts_[1] = other.intercepts_[1].copy()
    np.testing.assert_array_equal(est._network.params, other._network.params)
    np.testing.assert_array_equal(est.predict(X), other.predict(X))
    np.testing.assert_array_equal(pickle.loads(pickle.dumps(est)).predict(X), other.predict(X))
    assert est.coefs_[0] is not other.coefs_[0] and np.shares_memory(est.coefs_[0],
                                                                      est._network.params)
    est.coefs_[1][...] = 0.0  # in place, as before
    assert np.all(est._network.coefs[1] == 0)


@pytest.mark.parametrize("cls", BOTH)
def test_assigning_coefs_of_the_wrong_shape_or_count_is_an_error(cls, digits, regression):
    X, y = data_for(cls, digits, regression)
    with pytest.raises(AttributeError, match=r"coefs_.*set by fit"):
        cls().coefs_ = []
    est = cls(hidden_layer_sizes=(6,), max_iter=2, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est.fit(X, y)
    before = est._network.params.copy()
    with pytest.raises(ValueError, match=r"coefs_\[1\] has shape \(6, \d+\); got an array of "
                                         r"shape \(2, 2\)"):
        est.coefs_ = [est.coefs_[0] + 1, np.zeros((2, 2))]
    with pytest.raises(ValueError, match="coefs_ has 2 arrays, one per layer; got 1"):
        est.coefs_ = [est.coefs_[0]]
    with pytest.raises(TypeError, match="one layer at a time"):
        est.intercepts_[0:1] = [np.zeros(6)]
    np.testing.assert_array_equal(est._network.params, before)  # nothing half-assigned


@pytest.mark.parametrize("y", [
    np.array([True, False, True]), np.array([3, 3, 3]), np.array([0, 2, 1, 2]),
    np.array([5, 7], dtype=np.uint8), np.array(["b", "a", "b"]), np.array(["x", "y", "z"]),
    np.array([-1, 1, -1], dtype=np.int8),
], ids=repr)
def test_the_fast_label_type_is_scikit_learns(y):
    from sklearn.utils.multiclass import type_of_target, unique_labels

    from skfcnn.estimators.classifier import _classification_target_type

    y_type, labels = _classification_target_type(y)
    assert y_type == type_of_target(y)
    np.testing.assert_array_equal(labels, unique_labels(y))
    assert labels.dtype == unique_labels(y).dtype


@pytest.mark.parametrize("y", [np.array([0.0, 1.0, 1.0]), np.array(["a", "b"], dtype=object),
                               np.array([[0, 1], [1, 1]])], ids=repr)
def test_other_labels_take_scikit_learns_path(y):
    from sklearn.utils.multiclass import type_of_target

    from skfcnn.estimators.classifier import _classification_target_type

    assert _classification_target_type(y) == (type_of_target(y), None)
    with pytest.raises(ValueError, match="Unknown label type"):
        _classification_target_type(np.array([0.5, 1.5]))
    with pytest.raises(TypeError, match="bytes"):  # scikit-learn's own refusal
        _classification_target_type(np.array([b"n", b"m"]))


@pytest.mark.parametrize("cls", [FCNNClassifier, FCNNRegressor])
def test_parameter_names_are_scikit_learns_read_once_per_class(cls):
    from sklearn.base import BaseEstimator, clone

    expected = BaseEstimator._get_param_names.__func__(cls)  # scikit-learn's own reading
    names = cls._get_param_names()
    assert names == expected and "hidden_layer_sizes" in names
    names.append("not_a_parameter")  # a fresh list each time: the cache is not exposed
    assert cls._get_param_names() == expected

    class WithOneMore(cls):  # a subclass reads its own signature
        def __init__(self, extra=1, **params):
            super().__init__(**params)
            self.extra = extra
    assert WithOneMore._get_param_names() == ["extra"]
    assert clone(cls(alpha=0.5)).get_params() == cls(alpha=0.5).get_params()
