"""Silent failures made loud (issue 20): features and regression targets far from unit
scale warn (:class:`~skfcnn.exceptions.DataScaleWarning`), strings in ``X`` get an error
that says how to encode them.  Each warning fires where training breaks and stays
silent on ordinary data."""

import warnings

import numpy as np
import pytest
import scipy.sparse
from conftest import quiet_fit
from sklearn.compose import TransformedTargetRegressor
from sklearn.datasets import load_digits, make_circles, make_regression
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from sklearn.utils.estimator_checks import _regression_dataset

from skfcnn import FCNNClassifier, FCNNRegressor
from skfcnn.estimators._input_checks import column_moments, far_from_unit_scale
from skfcnn.exceptions import DataScaleWarning


def _scale_warnings(fit):
    """The DataScaleWarning messages ``fit()`` gives (other warnings ignored)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("ignore")
        warnings.simplefilter("always", DataScaleWarning)
        fit()
    return [str(w.message) for w in caught if issubclass(w.category, DataScaleWarning)]


@pytest.fixture(scope="module")
def rings():
    X, y = make_circles(n_samples=400, noise=0.05, factor=0.5, random_state=0)
    return train_test_split(X, y, random_state=0)


# -- the rule ------------------------------------------------------------------------------
@pytest.mark.parametrize("mean, std, far", [
    (0.0, 1.0, False), (0.0, 99.0, False), (0.0, 101.0, True),  # root mean square 100
    (70.0, 70.0, False), (80.0, 80.0, True),
    (9.0, 1.0, False), (11.0, 1.0, True),  # a mean more than 10 std from 0
    (0.9, 0.01, False),  # |mean| <= 1: a dummy that is almost always 1
    (5.0, 0.0, False),  # a constant (bias-like) column
    (-3e4, 0.0, True),
])
def test_far_from_unit_scale(mean, std, far):
    mean, square = np.array([mean]), np.array([mean ** 2 + std ** 2])
    assert far_from_unit_scale(mean, square).tolist() == [far]


@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_column_moments_count_every_row(sparse, dtype):
    X = np.random.default_rng(0).standard_normal((9000, 3)) * [1, 10, 100] + [0, 5, -50]
    X[X[:, 0] > 0, 0] = 0.0  # zeros a sparse matrix does not store
    X = X.astype(dtype)
    mean, square = column_moments(scipy.sparse.csr_matrix(X) if sparse else X)
    assert np.allclose(mean, X.mean(axis=0, dtype=np.float64), rtol=1e-4)
    assert np.allclose(square, (X.astype(np.float64) ** 2).mean(axis=0), rtol=1e-4)


# -- features ------------------------------------------------------------------------------
def test_unscaled_rings_warn_and_train_to_chance(rings):
    """The issue's case: make_circles times 5e4 trains to chance; scaled, perfectly."""
    X_train, X_test, y_train, y_test = rings
    model = FCNNClassifier(random_state=0)
    messages = _scale_warnings(lambda: model.fit(X_train * 5e4, y_train))
    assert len(messages) == 1
    assert messages[0].startswith(
        "X has 2 feature(s) far from unit scale: feature 0 (root mean square 2.87e+04, mean -38, "
        "std 2.87e+04), feature 1 (root mean square 2.78e+04")
    assert "make_pipeline(StandardScaler(), FCNNClassifier())" in messages[0]
    assert model.score(X_test * 5e4, y_test) < 0.6
    pipe = make_pipeline(StandardScaler(), FCNNClassifier(random_state=0))
    assert _scale_warnings(lambda: pipe.fit(X_train * 5e4, y_train)) == []
    assert pipe.score(X_test * 5e4, y_test) >= 0.98


def test_an_offset_warns_by_column_name(rings):
    pd = pytest.importorskip("pandas", reason="names the columns of a pandas frame")
    X_train, _, y_train, _ = rings
    frame = pd.DataFrame({"x": X_train[:, 0], "latitude": X_train[:, 1] + 45.0})
    messages = _scale_warnings(lambda: FCNNClassifier(max_iter=2).fit(frame, y_train))
    assert len(messages) == 1
    assert messages[0].startswith(
        "X has 1 feature(s) far from unit scale: column 'latitude' (root mean square 45")
    assert "column 'x'" not in messages[0]


def test_one_huge_value_warns(circles):
    """A single value of 3e9 (scikit-learn's MLP overflows there) warns, as the former
    magnitude check did."""
    X, y = circles[0].copy(), circles[1]
    X[17, 1] = -3e9
    messages = _scale_warnings(lambda: FCNNClassifier(max_iter=2).fit(X, y))
    assert len(messages) == 1
    assert "feature 1 (root mean square 2.12e+08, mean -1.5e+07" in messages[0]


def test_sparse_features_use_their_zeros():
    rng = np.random.default_rng(0)
    X = scipy.sparse.random(300, 6, density=0.1, random_state=0, format="csr")
    y = rng.integers(0, 2, 300)
    assert _scale_warnings(lambda: FCNNClassifier(max_iter=2).fit(X, y)) == []
    X = X.tolil()
    X[:, 4] = 500.0  # one dense, unscaled column
    messages = _scale_warnings(lambda: FCNNClassifier(max_iter=2).fit(X.tocsr(), y))
    assert len(messages) == 1 and "feature 4 (root mean square 500" in messages[0]


def test_silent_on_ordinary_features(circles, small_circles):
    rng = np.random.default_rng(0)
    X_digits, y_digits = load_digits(return_X_y=True)  # raw pixels, 0 to 16
    one_hot = OneHotEncoder(sparse_output=False).fit_transform(
        rng.choice(["a", "b", "c"], size=(300, 2), p=[0.005, 0.005, 0.99]))
    y = rng.integers(0, 2, 300)
    cases = [(X_digits[:400], y_digits[:400]), (circles[0], circles[1]), small_circles,
             (one_hot, y), (StandardScaler().fit_transform(rng.lognormal(3, 2, (300, 4))), y),
             (rng.uniform(0, 1, (300, 3)), y)]
    for X, y in cases:
        assert _scale_warnings(lambda: FCNNClassifier(max_iter=2).fit(X, y)) == []


def test_partial_fit_warns_on_its_first_call_and_fit_on_every_call(rings):
    X, _, y, _ = rings
    X = X * 1e3
    est = FCNNClassifier(hidden_layer_sizes=(3,), max_iter=2, random_state=0)
    assert len(_scale_warnings(lambda: est.partial_fit(X, y, classes=[0, 1]))) == 1
    assert _scale_warnings(lambda: est.partial_fit(X, y)) == []  # the same stream
    assert len(_scale_warnings(lambda: est.fit(X, y))) == 1
    assert len(_scale_warnings(lambda: est.set_params(warm_start=True).fit(X, y))) == 1


def test_the_warning_is_a_user_warning_that_can_be_filtered(rings):
    X, _, y, _ = rings
    assert issubclass(DataScaleWarning, UserWarning)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        warnings.simplefilter("ignore", DataScaleWarning)
        quiet = FCNNClassifier(max_iter=300, random_state=0)
        quiet.fit(X * 1e4, y)  # no error: only the scale warning was given


# -- targets -------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def issue_regression():
    X, y = make_regression(n_samples=400, n_features=5, noise=1.0, random_state=0)
    return train_test_split(X, y * 1e3 + 1e5, random_state=0)


def test_an_unscaled_target_warns_and_trains_badly(issue_regression):
    X_train, X_test, y_train, y_test = issue_regression
    model = FCNNRegressor(random_state=0)
    messages = _scale_warnings(lambda: model.fit(X_train, y_train))
    assert len(messages) == 1
    assert messages[0].startswith("y is far from unit scale (root mean square 1.")
    assert ("TransformedTargetRegressor(regressor=FCNNRegressor(), "
            "transformer=StandardScaler())") in messages[0]
    assert model.score(X_test, y_test) < 0
    fixed = TransformedTargetRegressor(regressor=FCNNRegressor(random_state=0),
                                       transformer=StandardScaler())
    assert _scale_warnings(lambda: fixed.fit(X_train, y_train)) == []
    assert fixed.score(X_test, y_test) > 0.99


@pytest.mark.parametrize("loss", ["absolute_error", "huber", "quantile"])
def test_identity_output_losses_warn_too(issue_regression, loss):
    X, _, y, _ = issue_regression
    messages = _scale_warnings(lambda: FCNNRegressor(loss=loss, max_iter=2).fit(X, y))
    assert len(messages) == 1 and messages[0].startswith("y is far from unit scale")


def test_several_target_columns_are_named(issue_regression):
    X, _, y, _ = issue_regression
    Y = np.column_stack([y / y.std(), y])
    messages = _scale_warnings(lambda: FCNNRegressor(max_iter=2).fit(X, Y))
    assert len(messages) == 1
    assert messages[0].startswith("y has 1 target column(s) far from unit scale: column 1 (")


def test_no_target_warning_where_training_reaches_the_scale(issue_regression):
    """L-BFGS's line search reaches any output scale (R² 0.999 at 1e5); a Poisson
    count reaches 1e5 at log(1e5) ≈ 11.5 through the exponential output; a
    classifier has no target scale."""
    X, _, y, _ = issue_regression
    assert _scale_warnings(lambda: FCNNRegressor(solver="lbfgs", max_iter=5).fit(X, y)) == []
    counts = np.abs(y)
    assert _scale_warnings(lambda: FCNNRegressor(loss="poisson", max_iter=2).fit(X, counts)) == []
    labels = (y > np.median(y)).astype(int) * 1000
    assert _scale_warnings(lambda: FCNNClassifier(max_iter=2).fit(X, labels)) == []


def test_silent_on_ordinary_targets():
    """The seeds' function regression (targets -16 to 51), scikit-learn's estimator checks'
    regression data (std 42) and a standardised target."""
    rng = np.random.default_rng(0)
    X = rng.uniform(-10, 10, size=(1000, 2))
    seeds = np.sin(X[:, 0]) + X[:, 0] * np.cos(X[:, 1]) + X[:, 1] + 3 ** (X[:, 0] / 3)
    X_scaled = StandardScaler().fit_transform(X)
    X_checks, y_checks = _regression_dataset()
    for X, y in [(X_scaled, seeds), (X_checks, y_checks), (X_checks, y_checks / 42)]:
        assert _scale_warnings(lambda: FCNNRegressor(max_iter=2).fit(X, y)) == []


# -- strings -------------------------------------------------------------------------------
def test_string_features_of_an_array_are_named_by_index(circles):
    X, y = circles[0], circles[1]
    cities = np.array(["lyon", "paris"])[y].reshape(-1, 1)
    X_text = np.hstack([X.astype(str), cities])  # numeric strings, then city names
    with pytest.raises(ValueError, match=r"^X has string features that are not numbers: "
                                         r"feature 2 \(e.g. '(lyon|paris)'\)\. Encode.*"
                                         r"OneHotEncoder\(handle_unknown='ignore'\), \[2\]\)"):
        FCNNClassifier(max_iter=2).fit(X_text, y)
    model = quiet_fit(FCNNClassifier(hidden_layer_sizes=(3,), max_iter=2, random_state=0),
                      X, y)
    X_text = np.hstack([X[:, :1].astype(str), cities])
    with pytest.raises(ValueError, match=r"^X has string features .*: feature 1 "):
        model.predict(X_text)
    with pytest.raises(ValueError, match=r"validation set.*X_val has string features .*: "
                                         r"feature 1 "):
        model.set_params(early_stopping=True).fit(X, y, X_val=X_text, y_val=y)


def test_string_columns_of_a_frame_are_named_in_predict_and_transform(circles):
    pd = pytest.importorskip("pandas", reason="names the columns of a pandas frame")
    X, y = circles[0], circles[1]
    frame = pd.DataFrame({"x0": X[:, 0], "x1": X[:, 1]})
    model = quiet_fit(FCNNClassifier(hidden_layer_sizes=(3,), max_iter=2, random_state=0),
                      frame, y)
    text = frame.assign(x1=np.array(["lyon", "1.5"])[y])
    for method in (model.predict, model.predict_proba, model.transform):
        with pytest.raises(ValueError, match=r"^X has string features that are not numbers: "
                                             r"column 'x1' \(e.g. 'lyon'\)"):
            method(text)


def test_other_objects_keep_scikit_learns_type_error(circles):
    """scikit-learn's check_dtype_object expects a TypeError for a dict in X."""
    X = circles[0].astype(object)
    X[0, 0] = {"foo": "bar"}
    with pytest.raises(TypeError, match=r"argument must be a string.* number"):
        FCNNClassifier(max_iter=2).fit(X, circles[1])
