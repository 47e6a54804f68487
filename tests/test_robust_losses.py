"""Robust and quantile regression (issue 14): ``absolute_error``, ``huber`` (with its
adaptive or fixed threshold ``huber_delta``) and ``quantile`` (one or several).

Gradients against central differences (the loss alone and the whole estimator),
the documented kink conventions, the values against scikit-learn's metrics, the
adaptive threshold's scale invariance, robustness to gross outliers, calibrated
quantiles that never cross, the parameters' errors, and the training options
(solvers, float32, sample weights, partial_fit, early stopping, pickling).
"""

import pickle
import warnings

import numpy as np
import pytest
from conftest import quiet_fit
from sklearn.base import clone
from sklearn.metrics import mean_absolute_error, mean_pinball_loss, r2_score
from sklearn.utils._param_validation import InvalidParameterError

from skfcnn import FCNNRegressor, check_gradients
from skfcnn.nn import LOSSES, check_loss
from skfcnn.nn.robust_losses import Huber, Quantile, weighted_quantile

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

#: One setting of each new loss (and of each form of its parameter).
SETTINGS = [
    {"loss": "absolute_error"},
    {"loss": "huber"},
    {"loss": "huber", "huber_delta": 0.3},
    {"loss": "quantile", "quantile": 0.2},
    {"loss": "quantile", "quantile": [0.1, 0.5, 0.9]},
]
IDS = ["absolute", "huber-adaptive", "huber-fixed", "quantile-float", "quantile-list"]


def _draw(n, seed=0, outliers=0.0, scale=1.0):
    """``(X, y_observed, y_clean)``: a smooth function of 3 features with small noise and
    a share ``outliers`` of the targets shifted by +-30 (a gross error)."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3))
    clean = 2 * X[:, 0] + np.sin(2 * X[:, 1]) + 0.1 * rng.normal(size=n)
    observed = clean.copy()
    bad = rng.choice(n, round(outliers * n), replace=False)
    observed[bad] += 30 * rng.choice([-1.0, 1.0], bad.size)
    return X, observed * scale, clean * scale


# -- the loss objects ----------------------------------------------------------------------
@pytest.mark.parametrize("loss", [LOSSES["absolute_error"], Huber(), Huber(0.5), Quantile(0.3),
                                  Quantile((0.2, 0.7))], ids=repr)
@pytest.mark.parametrize("weighted", [False, True])
def test_each_loss_gradient_matches_central_differences(loss, weighted):
    rng = np.random.default_rng(0)
    y_true, Z = rng.normal(size=(12, 2)), rng.normal(size=(12, 2))  # no residual at a kink
    weight = rng.uniform(0.1, 2, size=12) if weighted else None
    assert check_loss(loss, y_true, Z, sample_weight=weight) < 1e-6


def test_the_kinks_take_the_documented_subgradients():
    y_true = np.array([[0.0, 0.0, 0.0]])
    y_pred = np.array([[-1.0, 0.0, 2.0]])  # below, at and above the target
    np.testing.assert_array_equal(LOSSES["absolute_error"].gradient(y_true, y_pred),
                                  [[-1.0, 0.0, 1.0]])
    np.testing.assert_allclose(Quantile(0.3).gradient(y_true, y_pred), [[-0.3, 0.0, 0.7]])
    # Huber is differentiable: r inside the threshold, +-delta from it on, continuous at it
    y_pred = np.array([[-3.0, -0.5, 0.5, 0.5 + 1e-12, 3.0]])
    np.testing.assert_allclose(Huber(0.5).gradient(np.zeros((1, 5)), y_pred),
                               [[-0.5, -0.5, 0.5, 0.5, 0.5]])


def test_the_values_are_scikit_learns_metrics_and_huber_is_squared_error_within_delta():
    rng = np.random.default_rng(1)
    y_true, y_pred = rng.normal(size=(50, 1)), rng.normal(size=(50, 1))
    weight = rng.uniform(0.1, 2, size=50)
    assert LOSSES["absolute_error"].value(y_true, y_pred, weight) == pytest.approx(
        mean_absolute_error(y_true, y_pred, sample_weight=weight))
    assert Quantile(0.8).value(y_true, y_pred, weight) == pytest.approx(
        mean_pinball_loss(y_true, y_pred, alpha=0.8, sample_weight=weight))
    assert Huber(100.0).value(y_true, y_pred) == pytest.approx(
        LOSSES["squared_error"].value(y_true, y_pred))
    r = np.abs(y_true - y_pred)
    expected = np.where(r <= 0.5, 0.5 * r**2, 0.5 * (r - 0.25)).mean()
    assert Huber(0.5).value(y_true, y_pred) == pytest.approx(expected)


def _mad_delta(residuals):
    """1.345 times the normal-consistent median absolute residual (inverted CDF)."""
    return 1.345 * np.quantile(np.abs(residuals), 0.5, method="inverted_cdf") / 0.6744897501960817


def test_the_adaptive_threshold_is_huber_tuning_on_the_weighted_median_residual():
    rng = np.random.default_rng(2)
    residuals = rng.normal(size=(101, 2)) * [1.0, 1000.0]
    weight = rng.integers(0, 4, size=101)
    expected = [_mad_delta(np.repeat(residuals[:, k], weight)) for k in range(2)]
    threshold = Huber().threshold(np.zeros_like(residuals), residuals, weight.astype(float))
    np.testing.assert_allclose(threshold, expected)  # integer weights = repeated rows
    # normal noise: delta is close to 1.345 standard deviations
    np.testing.assert_allclose(threshold, [1.345, 1345.0], rtol=0.25)
    # gross outliers in 20 % of the rows barely move it; gradient boosting's rule, the
    # 0.9 quantile of the absolute residuals, jumps to their size
    dirty = residuals.copy()
    dirty[:20] += 1e6
    moved = Huber().threshold(np.zeros_like(dirty), dirty) / Huber().threshold(
        np.zeros_like(residuals), residuals)
    assert (moved < 1.6).all(), moved
    assert (weighted_quantile(np.abs(dirty), 0.9) > 1e5).all()
    np.testing.assert_allclose(
        weighted_quantile(np.abs(residuals), 0.9),
        [np.quantile(np.abs(residuals[:, k]), 0.9, method="inverted_cdf") for k in range(2)])
    # it scales with the targets, so the fit does not depend on their unit
    np.testing.assert_allclose(Huber().threshold(np.zeros_like(residuals), 1000 * residuals),
                               1000 * Huber().threshold(np.zeros_like(residuals), residuals))


def test_several_quantiles_need_one_target_column_and_other_losses_ignore_the_parameters():
    X, y, _ = _draw(40)
    with pytest.raises(ValueError, match=r"quantile=\[0.1, 0.9\] \(several quantiles\) "
                                         r"needs a single target column; got y with 2"):
        FCNNRegressor(loss="quantile", quantile=[0.1, 0.9]).fit(X, np.c_[y, y])
    params = {"hidden_layer_sizes": (4,), "max_iter": 5, "random_state": 0}
    plain = quiet_fit(FCNNRegressor(**params), X, y)
    ignoring = quiet_fit(FCNNRegressor(huber_delta=3.0, quantile=[0.1, 0.9], **params), X, y)
    np.testing.assert_array_equal(plain._network.params, ignoring._network.params)


@pytest.mark.parametrize("params, error, match", [
    ({"quantile": [0.9, 0.1]}, ValueError, r"strictly increasing; got quantile=\[0.9, 0.1\]"),
    ({"quantile": [0.2, 0.2]}, ValueError, "strictly increasing"),
    ({"quantile": []}, ValueError, r"non-empty list .* got quantile=\[\]"),
    ({"quantile": (0.5, 1.0)}, ValueError, r"floats in \(0, 1\).*got quantile=\(0.5, 1.0\)"),
    ({"quantile": [0.5, "0.9"]}, ValueError, "got quantile="),
    ({"quantile": 1.0}, InvalidParameterError, "'quantile' parameter"),
    ({"quantile": "median"}, InvalidParameterError, "'quantile' parameter"),
    ({"huber_delta": 0.0}, InvalidParameterError, "'huber_delta' parameter"),
    ({"huber_delta": -1.0}, InvalidParameterError, "'huber_delta' parameter"),
    ({"huber_delta": "auto"}, InvalidParameterError, "'huber_delta' parameter"),
])
def test_bad_parameters_are_refused_naming_them(params, error, match):
    X, y, _ = _draw(30)
    loss = "quantile" if "quantile" in params else "huber"
    est = FCNNRegressor(loss=loss, hidden_layer_sizes=(3,), max_iter=2, **params)
    with pytest.raises(error, match=match):
        est.fit(X, y)
    assert not hasattr(est, "_network")


# -- the estimator -------------------------------------------------------------------------
@pytest.mark.parametrize("params", SETTINGS, ids=IDS)
def test_check_gradients_passes_for_each_loss_with_weights(params):
    X, y, _ = _draw(25, seed=3)
    weight = np.random.default_rng(3).uniform(0.2, 2, size=25)
    est = FCNNRegressor(hidden_layer_sizes=(5,), activation="tanh", **params)
    for sample_weight in (None, weight):
        result = check_gradients(est, X, y, sample_weight=sample_weight)
        assert result.max_abs_error < 1e-6


@pytest.mark.parametrize("params", SETTINGS, ids=IDS)
@pytest.mark.parametrize("solver", ["adam", "sgd", "lbfgs"])
def test_every_solver_trains_in_float32_without_upcasting(params, solver):
    X, y, _ = _draw(150, seed=4)
    est = quiet_fit(FCNNRegressor(hidden_layer_sizes=(8,), solver=solver, max_iter=60,
                                  random_state=0, **params),
                    X.astype(np.float32), y.astype(np.float32))
    prediction = est.predict(X.astype(np.float32))
    assert est._network.params.dtype == prediction.dtype == np.float32
    several = isinstance(params.get("quantile"), list)
    assert prediction.shape == ((150, 3) if several else (150,))
    assert np.isfinite(est.loss_curve_).all() and est.loss_curve_[-1] < est.loss_curve_[0]


@pytest.mark.filterwarnings("ignore:Got `batch_size`=200 larger:UserWarning")  # full batch
@pytest.mark.parametrize("params", SETTINGS, ids=IDS)
@pytest.mark.parametrize("solver", ["lbfgs", "adam"])
def test_integer_weights_equal_repeated_rows(params, solver):
    X, y, _ = _draw(60, seed=5, outliers=0.1)
    weight = np.random.default_rng(0).integers(0, 3, size=60)
    est = FCNNRegressor(solver=solver, hidden_layer_sizes=(6,), batch_size=200, max_iter=20,
                        random_state=0, **params)
    weighted = quiet_fit(clone(est), X, y, sample_weight=weight)
    if solver == "lbfgs" and params == {"loss": "huber"}:
        # the moving threshold makes L-BFGS's line search stall (the test below), at an
        # iteration that the last bits of the sums decide: the trajectories are not
        # comparable, the objective and gradient it is given are
        network, loss, Y = weighted._network, weighted._loss_name, y.reshape(-1, 1)
        value = network.loss_gradient(X, Y, loss, est.alpha, sample_weight=weight * 1.0)
        gradient = network.grad.copy()
        again = network.loss_gradient(np.repeat(X, weight, axis=0), np.repeat(Y, weight, 0),
                                      loss, est.alpha)
        np.testing.assert_allclose(value, again, rtol=1e-12)
        np.testing.assert_allclose(gradient, network.grad, rtol=1e-9, atol=1e-12)
        return
    repeated = quiet_fit(clone(est), np.repeat(X, weight, axis=0), np.repeat(y, weight))
    np.testing.assert_allclose(weighted._network.params, repeated._network.params,
                               rtol=1e-8, atol=1e-10)


@pytest.mark.parametrize("solver, batch_size", [("lbfgs", "auto"), ("adam", 400)])
def test_huber_and_absolute_error_resist_ten_percent_gross_outliers(solver, batch_size):
    X, y, clean = _draw(400, seed=6, outliers=0.1)
    scores = {}
    for loss in ("squared_error", "huber", "absolute_error"):
        est = quiet_fit(FCNNRegressor(loss=loss, hidden_layer_sizes=(16,), solver=solver,
                                      batch_size=batch_size, learning_rate_init=0.01,
                                      max_iter=300, random_state=0), X, y)
        scores[loss] = r2_score(clean, est.predict(X))
    assert scores["huber"] > 0.9 and scores["absolute_error"] > 0.9, scores
    assert min(scores["huber"], scores["absolute_error"]) > scores["squared_error"] + 0.3


def _huber_score(scale, **params):
    X, y, clean = _draw(300, seed=7, outliers=0.05, scale=scale)
    est = quiet_fit(FCNNRegressor(loss="huber", hidden_layer_sizes=(16,), solver="lbfgs",
                                  alpha=0.0, max_iter=100, random_state=0, **params), X, y)
    return r2_score(clean, est.predict(X))


def test_the_adaptive_threshold_gives_a_robust_fit_at_any_scale():
    # the threshold itself scales exactly with the targets (the test above); the fits
    # differ a little because the solver's path does (the initial weights do not scale)
    scores = [_huber_score(scale) for scale in (1.0, 1000.0)]
    assert min(scores) > 0.9, scores
    # a fixed threshold on the scale of the x1000 targets is no defence at x1
    assert _huber_score(1.0, huber_delta=1000.0) < scores[0] - 0.5


def _heteroscedastic(n, seed):
    """y = x + (0.2 + |x|) eps: the spread grows with |x|."""
    rng = np.random.default_rng(seed)
    X = rng.uniform(-2, 2, size=(n, 1))
    return X, X[:, 0] + (0.2 + np.abs(X[:, 0])) * rng.normal(size=n)


def test_quantiles_are_calibrated_and_never_cross():
    X, y = _heteroscedastic(2000, 8)
    est = quiet_fit(FCNNRegressor(loss="quantile", quantile=[0.1, 0.5, 0.9],
                                  hidden_layer_sizes=(16,), learning_rate_init=0.01,
                                  max_iter=150, random_state=0), X, y)
    X_test, y_test = _heteroscedastic(4000, 9)
    prediction = est.predict(X_test)
    coverage = (y_test[:, None] <= prediction).mean(axis=0)
    np.testing.assert_allclose(coverage, [0.1, 0.5, 0.9], atol=0.04)
    width = prediction[:, 2] - prediction[:, 0]  # wider where the noise is
    assert width[np.abs(X_test[:, 0]) > 1.5].mean() > 2 * width[np.abs(X_test[:, 0]) < 0.5].mean()
    assert (np.diff(prediction, axis=1) >= 0).all()


def test_sorting_crossed_quantiles_never_worsens_their_pinball_loss():
    X, y = _heteroscedastic(300, 10)
    levels = [0.3, 0.4, 0.5, 0.6, 0.7]  # close levels, briefly trained: they cross
    est = quiet_fit(FCNNRegressor(loss="quantile", quantile=levels, hidden_layer_sizes=(8,),
                                  max_iter=5, random_state=0), X, y)
    raw = est._network.predict(X)
    assert (np.diff(raw, axis=1) < 0).any()
    ordered = est.predict(X)
    np.testing.assert_array_equal(ordered, np.sort(raw, axis=1))
    total = [sum(mean_pinball_loss(y, p[:, k], alpha=q) for k, q in enumerate(levels))
             for p in (raw, ordered)]
    assert total[1] <= total[0]
    # the score is the mean R^2 of the columns, what early stopping watches
    assert est.score(X, y) == pytest.approx(np.mean([r2_score(y, c) for c in ordered.T]))


@pytest.mark.parametrize("params", SETTINGS, ids=IDS)
def test_early_stopping_partial_fit_pickling_and_cloning(params):
    X, y, _ = _draw(200, seed=11)
    est = quiet_fit(FCNNRegressor(hidden_layer_sizes=(8,), early_stopping=True, max_iter=30,
                                  random_state=0, **params), X, y)
    assert len(est.validation_loss_curve_) == est.n_iter_
    assert np.isfinite(est.validation_scores_).all()  # R^2 of the held-out rows
    copied = pickle.loads(pickle.dumps(est))
    np.testing.assert_array_equal(copied.predict(X), est.predict(X))
    assert clone(est).get_params() == est.get_params()
    online = FCNNRegressor(hidden_layer_sizes=(8,), random_state=0, **params)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        losses = [online.partial_fit(X, y).loss_ for _ in range(5)]
    assert losses[-1] < losses[0]


@pytest.mark.parametrize("seed", [6, 7, 12])
def test_lbfgs_with_the_adaptive_threshold_fits_as_robustly_as_a_fixed_one(seed):
    # each L-BFGS round holds the threshold of its start (a consistent objective: the
    # line search does not stall) and the next re-estimates it: the run uses its
    # iterations and is as robust as a well-chosen fixed threshold
    X, y, clean = _draw(300, seed=seed, outliers=0.05)
    scores = {}
    for name, params in [("adaptive", {"loss": "huber"}), ("fixed", {"loss": "huber",
                         "huber_delta": 0.5}), ("squared", {"loss": "squared_error"})]:
        est = quiet_fit(FCNNRegressor(hidden_layer_sizes=(16,), solver="lbfgs", max_iter=300,
                                      random_state=0, **params), X, y)
        scores[name] = r2_score(clean, est.predict(X))
        if name == "adaptive":
            assert est.n_iter_ > 200, est.n_iter_
    assert scores["adaptive"] > 0.95 and abs(scores["adaptive"] - scores["fixed"]) < 0.03
    assert scores["squared"] < 0.5, scores


@pytest.mark.parametrize("batch_size", [1, 2])
def test_the_adaptive_threshold_learns_from_one_or_two_rows_at_a_time(batch_size):
    # a median absolute deviation about the median is 0 for one or two rows: the
    # threshold would vanish and with it the gradient; about 0 it is their own size
    rng = np.random.RandomState(0)
    X = rng.randn(200, 3)
    y = X @ [1.0, 2.0, 3.0] + 10
    one = Huber().threshold(y[:1, None], np.zeros((1, 1)))
    assert one[0] == pytest.approx(1.345 / 0.6744897501960817 * abs(y[0]))
    est = quiet_fit(FCNNRegressor(loss="huber", hidden_layer_sizes=(10,), batch_size=batch_size,
                                  learning_rate_init=0.01, max_iter=20, random_state=0), X, y)
    assert est.score(X, y) > 0.95
    streamed = FCNNRegressor(loss="huber", hidden_layer_sizes=(10,), learning_rate_init=0.01,
                             random_state=0)
    for _ in range(3):
        for i in range(200):
            streamed.partial_fit(X[i : i + 1], y[i : i + 1])
    assert streamed.score(X, y) > 0.95


def test_early_stopping_watches_the_quantile_loss_by_default():
    # the validation R2 rewards the conditional mean: stopping on it would keep the epoch
    # whose 0.9 quantile is closest to the mean (the reviewer's case: coverage 0.44)
    rng = np.random.RandomState(0)
    X = rng.uniform(-2, 2, (2000, 1))
    y = np.sin(2 * X[:, 0]) + rng.exponential(1.0, 2000)
    X_new = rng.uniform(-2, 2, (4000, 1))
    y_new = np.sin(2 * X_new[:, 0]) + rng.exponential(1.0, 4000)
    params = dict(loss="quantile", quantile=0.9, hidden_layer_sizes=(32,), early_stopping=True,
                  learning_rate_init=0.003, random_state=0)
    auto = quiet_fit(FCNNRegressor(**params), X, y)
    coverage = np.mean(y_new <= auto.predict(X_new))
    assert abs(coverage - 0.9) < 0.04, coverage
    on_score = quiet_fit(FCNNRegressor(**params, monitor="score"), X, y)
    assert abs(np.mean(y_new <= on_score.predict(X_new)) - 0.9) > abs(coverage - 0.9)
    explicit = quiet_fit(FCNNRegressor(**params, monitor="loss"), X, y)
    np.testing.assert_array_equal(explicit.predict(X_new), auto.predict(X_new))
    # the squared error keeps scikit-learn's rule: 'auto' is 'score' there
    small = dict(hidden_layer_sizes=(8,), early_stopping=True, max_iter=30, random_state=0)
    np.testing.assert_array_equal(
        quiet_fit(FCNNRegressor(**small), X[:300], y[:300]).predict(X_new),
        quiet_fit(FCNNRegressor(**small, monitor="score"), X[:300], y[:300]).predict(X_new))


def test_a_1d_array_of_quantiles_is_a_list_of_them():
    X, y = _heteroscedastic(200, seed=0)
    params = dict(loss="quantile", hidden_layer_sizes=(8,), max_iter=5, random_state=0)
    from_list = quiet_fit(FCNNRegressor(quantile=[0.1, 0.5, 0.9], **params), X, y)
    from_array = quiet_fit(FCNNRegressor(quantile=np.array([0.1, 0.5, 0.9]), **params), X, y)
    np.testing.assert_array_equal(from_array.predict(X), from_list.predict(X))
    assert not from_array.__sklearn_tags__().target_tags.multi_output


def test_partial_fit_with_other_quantiles_names_what_changed():
    X, y = _heteroscedastic(50, seed=1)
    est = FCNNRegressor(loss="quantile", hidden_layer_sizes=(4,), random_state=0)
    est.partial_fit(X, y)
    est.set_params(quantile=[0.1, 0.9])
    with pytest.raises(ValueError, match=r"^partial_fit needs the same layer sizes .* \(and "
                                         r"quantile: one output per level\) .*Call fit"):
        est.partial_fit(X, y)
