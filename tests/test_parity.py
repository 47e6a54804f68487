"""Everything scikit-learn's MLP does (issue 3), and its known bugs that we avoid."""

import inspect
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from conftest import data_for
from sklearn.datasets import make_multilabel_classification
from sklearn.neural_network import MLPClassifier, MLPRegressor

import skfcnn.training.lbfgs
from skfcnn import FCNNClassifier, FCNNRegressor
from skfcnn.exceptions import DataScaleWarning
from skfcnn.nn import check_gradient
from skfcnn.nn.optimizers import OPTIMIZERS

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

PAIRS = [(FCNNClassifier, MLPClassifier), (FCNNRegressor, MLPRegressor)]


def assert_same_model(ours, theirs, rtol=1e-7):
    for mine, peer in zip(ours.coefs_ + ours.intercepts_, theirs.coefs_ + theirs.intercepts_):
        np.testing.assert_allclose(mine, peer, rtol=rtol, atol=1e-9)


# -- every parameter, attribute and method of scikit-learn's MLP ---------------------------
@pytest.mark.parametrize("ours, theirs", PAIRS)
def test_every_scikit_learn_parameter_with_its_default(ours, theirs):
    mine, peer = ours().get_params(), theirs().get_params()
    assert set(peer) <= set(mine)
    assert {name: mine[name] for name in peer} == peer
    # positional parameters in the same order, so positional calls keep working
    positional = [p.name for p in inspect.signature(theirs).parameters.values()
                  if p.kind is p.POSITIONAL_OR_KEYWORD]
    assert [p.name for p in inspect.signature(ours).parameters.values()
            if p.kind is p.POSITIONAL_OR_KEYWORD] == positional


@pytest.mark.parametrize("ours, theirs", PAIRS)
def test_every_public_method_and_fitted_attribute(ours, theirs, digits, regression):
    X, y = data_for(ours, digits, regression)
    params = dict(hidden_layer_sizes=(5,), max_iter=3, random_state=0)
    a, b = ours(**params).fit(X, y), theirs(**params).fit(X, y)
    # MLPClassifier.loss is a fixed string attribute, not a parameter: left out
    public = {name for name in dir(b) if not name.startswith("_")} - {"loss"}
    assert public <= set(dir(a))
    assert inspect.signature(a.partial_fit).parameters.keys() == \
        inspect.signature(b.partial_fit).parameters.keys()


# -- the same trajectory as scikit-learn for each new setting ------------------------------
@pytest.mark.parametrize("ours, theirs", PAIRS)
def test_lbfgs_matches_scikit_learn(ours, theirs, digits, regression):
    X, y = data_for(ours, digits, regression)
    params = dict(solver="lbfgs", hidden_layer_sizes=(8,), max_iter=30, random_state=0)
    a, b = ours(**params).fit(X, y), theirs(**params).fit(X, y)
    assert a.n_iter_ == b.n_iter_ == len(a.loss_curve_)
    np.testing.assert_allclose(a.loss_, b.loss_, rtol=1e-6)
    assert_same_model(a, b, rtol=1e-5)


@pytest.mark.parametrize("schedule", [dict(learning_rate="invscaling", power_t=0.25),
                                      dict(learning_rate="adaptive", tol=10.0,
                                           n_iter_no_change=2)])
@pytest.mark.parametrize("ours, theirs", PAIRS)
def test_sgd_schedules_match_scikit_learn(ours, theirs, schedule, digits, regression, capsys):
    X, y = data_for(ours, digits, regression)
    params = dict(solver="sgd", hidden_layer_sizes=(8,), max_iter=12, learning_rate_init=0.05,
                  random_state=0, verbose=True, **schedule)
    a = ours(**params).fit(X, y)
    ours_out = capsys.readouterr().out
    b = theirs(**params).fit(X, y)
    assert ours_out == capsys.readouterr().out  # the same messages, e.g. "Setting learning rate"
    np.testing.assert_allclose(a.loss_curve_, b.loss_curve_, rtol=1e-9)
    assert_same_model(a, b)


@pytest.mark.parametrize("ours, theirs", PAIRS)
def test_early_stopping_matches_scikit_learn(ours, theirs, digits, regression):
    X, y = data_for(ours, digits, regression)
    if ours is FCNNClassifier:  # binary: scikit-learn stratifies only that case
        X, y = X[y < 2], y[y < 2]
    params = dict(early_stopping=True, validation_fraction=0.2, hidden_layer_sizes=(8,),
                  learning_rate_init=0.01, n_iter_no_change=3, random_state=0)
    a, b = ours(**params).fit(X, y), theirs(**params).fit(X, y)
    np.testing.assert_allclose(a.validation_scores_, b.validation_scores_, rtol=1e-9)
    assert a.best_validation_score_ == pytest.approx(b.best_validation_score_)
    assert a.best_loss_ is None and b.best_loss_ is None
    assert_same_model(a, b)  # both restored the best-scoring epoch's parameters


def test_early_stopping_restores_the_best_epoch_and_only_then(regression):
    X, y = regression
    params = dict(hidden_layer_sizes=(8,), learning_rate_init=0.05, max_iter=40,
                  n_iter_no_change=40, tol=0.0, random_state=0)
    stopped = FCNNRegressor(early_stopping=True, **params).fit(X, y)
    best_epoch = int(np.argmax(stopped.validation_scores_)) + 1
    assert best_epoch < stopped.n_iter_  # the best epoch was not the last one
    replay = FCNNRegressor(early_stopping=True, **{**params, "max_iter": best_epoch}).fit(X, y)
    np.testing.assert_allclose(stopped._network.params, replay._network.params)
    # without early stopping the last parameters are kept, as in scikit-learn (bug 10)
    plain = FCNNRegressor(**params).fit(X, y)
    assert plain.validation_scores_ is None and plain.best_validation_score_ is None
    assert plain.n_iter_ == 40


def test_early_stopping_validation_split_is_stratified_for_multiclass(digits):
    X, y = digits
    clf = FCNNClassifier(early_stopping=True, validation_fraction=0.1, max_iter=2,
                         hidden_layer_sizes=(4,), random_state=0).fit(X, y)
    assert clf.validation_scores_ is not None and len(clf.validation_scores_) == 2
    # every class is held out in proportion (within one sample)
    Y = (y[:, None] == np.unique(y)).astype(float)
    _, Y_train, _, (_, Y_val, _) = clf._split_validation(X, Y, None, np.random.RandomState(0))
    counts, held_out = Y.sum(axis=0), Y_val.sum(axis=0)
    assert np.all(np.abs(held_out - 0.1 * counts) <= 1)
    assert np.array_equal(Y_train.sum(axis=0) + held_out, counts)
    with pytest.raises(ValueError, match="validation set is too small"):
        FCNNClassifier(early_stopping=True, validation_fraction=0.01).fit(X[:30], y[:30] % 2)


# -- sample_weight -------------------------------------------------------------------------
@pytest.mark.filterwarnings("ignore:Got `batch_size`=200 larger:UserWarning")  # full batch
@pytest.mark.parametrize("solver", ["lbfgs", "adam"])
@pytest.mark.parametrize("cls", [FCNNClassifier, FCNNRegressor])
def test_integer_weights_equal_repeated_rows(cls, solver, digits, regression):
    X, y = data_for(cls, digits, regression)
    X, y = X[:60], y[:60]
    weight = np.random.default_rng(0).integers(0, 3, size=60)
    params = dict(solver=solver, hidden_layer_sizes=(6,), batch_size=200, max_iter=20,
                  random_state=0)
    weighted = cls(**params).fit(X, y, sample_weight=weight)
    repeated = cls(**params).fit(np.repeat(X, weight, axis=0), np.repeat(y, weight))
    np.testing.assert_allclose(weighted._network.params, repeated._network.params,
                               rtol=1e-8, atol=1e-10)


@pytest.mark.parametrize("ours, theirs", PAIRS)
def test_sample_weight_matches_scikit_learn(ours, theirs, digits, regression):
    X, y = data_for(ours, digits, regression)
    weight = np.random.default_rng(1).uniform(0.2, 3.0, size=X.shape[0])
    params = dict(hidden_layer_sizes=(8,), batch_size=50, max_iter=4, random_state=0)
    a = ours(**params).fit(X, y, sample_weight=weight)
    b = theirs(**params).fit(X, y, sample_weight=weight)
    assert_same_model(a, b)


def test_sample_weight_errors_and_partial_fit(regression):
    X, y = regression
    with pytest.raises(ValueError, match=r"(?i)negative"):
        FCNNRegressor().fit(X, y, sample_weight=-np.ones(len(y)))
    with pytest.raises(ValueError, match="non-zero"):
        FCNNRegressor().fit(X, y, sample_weight=np.zeros(len(y)))
    reg = FCNNRegressor(hidden_layer_sizes=(4,), shuffle=False, random_state=0)
    reg.partial_fit(X, y, sample_weight=np.full(len(y), 2.0))
    same = FCNNRegressor(hidden_layer_sizes=(4,), shuffle=False, random_state=0).partial_fit(X, y)
    np.testing.assert_allclose(reg._network.params, same._network.params)  # scale-free


# -- sparse X, multilabel, multi-output, poisson -------------------------------------------
@pytest.mark.parametrize("fmt", ["csr", "csc"])
@pytest.mark.parametrize("solver", ["adam", "lbfgs"])
def test_sparse_input_trains_like_dense(fmt, solver, digits):
    X, y = digits
    params = dict(solver=solver, hidden_layer_sizes=(8,), max_iter=5, random_state=0)
    dense = FCNNClassifier(**params).fit(X, y)
    sparse = FCNNClassifier(**params).fit(sp.csr_matrix(X).asformat(fmt), y)
    np.testing.assert_allclose(sparse._network.params, dense._network.params, rtol=1e-9,
                               atol=1e-12)
    np.testing.assert_allclose(sparse.predict_proba(sp.csc_matrix(X)), dense.predict_proba(X))


def test_multilabel_matches_scikit_learn():
    X, Y = make_multilabel_classification(n_samples=120, n_classes=4, random_state=0)
    params = dict(hidden_layer_sizes=(10,), max_iter=30, random_state=0)
    a, b = FCNNClassifier(**params).fit(X, Y), MLPClassifier(**params).fit(X, Y)
    assert a.out_activation_ == "logistic" and a.predict(X).shape == (120, 4)
    np.testing.assert_array_equal(a.predict(X), b.predict(X))
    np.testing.assert_allclose(a.predict_proba(X), b.predict_proba(X), rtol=1e-6)
    assert a.__sklearn_tags__().classifier_tags.multi_label


def test_multi_output_loss_and_gradient_agree(regression):
    """Bug 5: the reported loss and the gradient are of the same function."""
    X, y = regression
    Y = np.column_stack([y, 2 * y, -y])
    reg = FCNNRegressor(solver="lbfgs", hidden_layer_sizes=(4,), max_iter=5, alpha=0.1,
                        random_state=0).fit(X, Y)
    network = reg._network

    def objective(params):
        return network.loss_gradient(X, Y, "squared_error", alpha=0.1)

    objective(network.params)
    check_gradient(objective, network.params, network.grad.copy())
    assert reg.loss_ == pytest.approx(objective(network.params), rel=1e-9)


def test_poisson_regression():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 3))
    y = rng.poisson(np.exp(0.5 * X[:, 0] - 0.3 * X[:, 1]))
    ours = FCNNRegressor(loss="poisson", hidden_layer_sizes=(8,), learning_rate_init=0.01,
                         random_state=0).fit(X, y)
    theirs = MLPRegressor(loss="poisson", hidden_layer_sizes=(8,), learning_rate_init=0.01,
                          random_state=0).fit(X, y)
    assert ours.out_activation_ == "exp" and np.all(ours.predict(X) > 0)
    assert_same_model(ours, theirs)
    # bug 6: negative targets are an error, not a NaN loss
    with pytest.raises(ValueError, match=r"loss='poisson' requires non-negative targets"):
        FCNNRegressor(loss="poisson").fit(X, y - 5.0)


# -- the remaining known scikit-learn bugs -------------------------------------------------
@pytest.mark.parametrize("cls", [FCNNClassifier, FCNNRegressor])
def test_partial_fit_follows_one_rule_for_lbfgs(cls):
    """Bug 3: no estimator offers partial_fit with the full-batch solver."""
    assert not hasattr(cls(solver="lbfgs"), "partial_fit")
    assert hasattr(cls(solver="sgd"), "partial_fit")
    with pytest.raises(AttributeError, match="has no attribute 'partial_fit'") as error:
        _ = cls(solver="lbfgs").partial_fit
    message = str(error.value.__cause__)
    assert "only available for the stochastic solvers" in message
    assert all(f"'{name}'" in message for name in OPTIMIZERS)


@pytest.mark.parametrize("cls", [FCNNClassifier, FCNNRegressor])
def test_keyboard_interrupt_during_lbfgs_leaves_a_consistent_model(cls, monkeypatch, digits,
                                                                   regression):
    """Bug 7: the interrupted model is the last finished L-BFGS iteration."""
    X, y = data_for(cls, digits, regression)
    real_call, calls = skfcnn.training.lbfgs._Objective.__call__, []

    def interrupted(self, x):
        calls.append(1)
        if len(calls) == 8:
            raise KeyboardInterrupt
        return real_call(self, x)

    monkeypatch.setattr(skfcnn.training.lbfgs._Objective, "__call__", interrupted)
    with pytest.warns(UserWarning, match="interrupted"):
        est = cls(solver="lbfgs", hidden_layer_sizes=(5,), random_state=0).fit(X, y)
    monkeypatch.undo()
    assert 1 <= est.n_iter_ == len(est.loss_curve_) < 8
    replay = cls(solver="lbfgs", hidden_layer_sizes=(5,), max_iter=est.n_iter_,
                 random_state=0).fit(X, y)
    np.testing.assert_allclose(est._network.params, replay._network.params, rtol=1e-9)
    assert np.all(np.isfinite(est.predict(X)))


@pytest.mark.parametrize("solver", ["adam", "lbfgs"])
def test_huge_features_raise_or_warn_telling_to_scale(solver, regression):
    """Bug 8: features of magnitude 1e150 never give silent garbage."""
    X, y = regression
    reg = FCNNRegressor(solver=solver, hidden_layer_sizes=(8,), random_state=0)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            reg.fit(X * 1e150, y)
        except ValueError as error:
            assert "scaling the inputs" in str(error)
            return
    predictions = reg.predict(X * 1e150)
    told = any(isinstance(w.message, DataScaleWarning) and "scale the features" in
               str(w.message) for w in caught)  # the warning of issue 20 (was at 1e8)
    assert told or (np.all(np.isfinite(predictions)) and reg.score(X * 1e150, y) > 0.5)


def test_float32_stays_float32_with_lbfgs(digits):
    X, y = digits
    params = dict(solver="lbfgs", hidden_layer_sizes=(6,), max_iter=150, random_state=0)
    clf = FCNNClassifier(**params).fit(X.astype(np.float32), y)
    assert all(w.dtype == np.float32 for w in clf.coefs_ + clf.intercepts_)
    assert clf.predict_proba(X.astype(np.float32)).dtype == np.float32
    reference = FCNNClassifier(**params).fit(X, y)
    assert clf.score(X, y) > 0.95 and reference.score(X, y) > 0.95


def test_lbfgs_respects_max_fun(regression):
    X, y = regression
    with pytest.warns(Warning, match="lbfgs failed to converge"):
        reg = FCNNRegressor(solver="lbfgs", hidden_layer_sizes=(8,), max_fun=10,
                            random_state=0).fit(X, y)
    assert reg.n_iter_ <= 10


# -- scikit-learn's own MLP tests (issue 11): behaviours they pin ---------------------------
@pytest.mark.parametrize("ours, theirs", PAIRS)
def test_warm_start_n_iter_counts_the_last_fit_as_scikit_learn(ours, theirs, digits, regression):
    """scikit-learn #16812 and #24764: n_iter_ is the number of iterations of the last fit."""
    X, y = data_for(ours, digits, regression)
    for cls in (ours, theirs):
        est = cls(hidden_layer_sizes=(5,), max_iter=3, warm_start=True, random_state=0,
                  tol=0.0, n_iter_no_change=100)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            est.fit(X, y)
            assert est.n_iter_ == 3
            est.fit(X, y)
            assert est.n_iter_ == 3
            est.set_params(max_iter=10).fit(X, y)
            assert est.n_iter_ == 10
        assert len(est.loss_curve_) == 16


def test_partial_fit_n_iter_goes_on_counting(digits):
    """Our documented choice: partial_fit counts from the last fit (from 0 without one)."""
    X, y = digits
    est = FCNNClassifier(hidden_layer_sizes=(5,), random_state=0)
    for _ in range(3):
        est.partial_fit(X, y, classes=np.unique(y))
    assert est.n_iter_ == len(est.loss_curve_) == 3
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est.set_params(max_iter=2, warm_start=True).fit(X, y)
    assert est.n_iter_ == 2
    est.partial_fit(X, y)
    assert est.n_iter_ == 3 and len(est.loss_curve_) == 6


def test_divergence_with_early_stopping_restores_the_best_model_and_warns():
    """scikit-learn #29504 (fixed in 1.6): no error; the diverged epoch scores NaN."""
    from sklearn.datasets import load_iris
    from sklearn.exceptions import ConvergenceWarning

    X, y = load_iris(return_X_y=True)
    params = dict(hidden_layer_sizes=100, activation="identity", solver="sgd", alpha=0.0001,
                  learning_rate="constant", learning_rate_init=1, shuffle=True, max_iter=20,
                  early_stopping=True, n_iter_no_change=10, random_state=0)
    theirs = MLPRegressor(**params)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs.fit(X, y)
    with pytest.warns(ConvergenceWarning, match=r"at iteration \d+: training diverged.*best "
                                                r"validated epoch.*learning_rate_init"):
        ours = FCNNRegressor(**params).fit(X, y)
    for est in (ours, theirs):
        assert str(est.validation_scores_[-1]) == str(np.nan)
        assert isinstance(est.validation_scores_[-1], float)
    assert len(ours.loss_curve_) == len(ours.validation_scores_) == ours.n_iter_
    assert ours.best_validation_score_ == np.nanmax(ours.validation_scores_)
    assert np.all(np.isfinite(ours._network.params)) and np.all(np.isfinite(ours.predict(X)))


def test_non_finite_parameters_raise_with_scikit_learns_sentence():
    rng = np.random.RandomState(0)
    X = np.finfo(np.float64).max * rng.uniform(size=(10, 2))
    y = rng.standard_normal(size=10)
    message = ("Solver produced non-finite parameter weights. The input data may contain large"
               " values and need to be preprocessed.")
    for cls in (MLPRegressor, FCNNRegressor):
        with pytest.raises(ValueError, match=message):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                cls().fit(X, y)


def test_a_class_too_small_to_stratify_gets_the_splits_own_error():
    X, y = [[1, 2], [2, 3], [3, 4], [4, 5]], [0, 0, 0, 1]
    pattern = (r"The least populated classes in y have only 1 member.*Classes with "
               r"too few members are: \['True'\]")  # scikit-learn's own test's words
    for cls in (MLPClassifier, FCNNClassifier):
        with pytest.raises(ValueError, match=pattern):
            cls(early_stopping=True).fit(X, y)
