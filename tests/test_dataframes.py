"""Data frames as ``X`` (and Series as ``y``): pandas (NumPy-backed, nullable,
pyarrow-backed, categorical), polars and pyarrow, compared with scikit-learn's MLP.

For every kind of frame our estimators accept it where ``MLPClassifier`` /
``MLPRegressor`` accept it, with the same ``feature_names_in_``, in every method
that takes ``X``; the few deliberate differences are listed in :data:`DIFFERENT`,
each with its reason, and asserted.
"""

import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skfcnn import FCNNClassifier, FCNNRegressor

pd = pytest.importorskip("pandas", reason="the data frame tests need pandas")
pl = pytest.importorskip("polars", reason="the data frame tests need polars")
pa = pytest.importorskip("pyarrow", reason="the data frame tests need pyarrow")

N = 40
RNG = np.random.RandomState(0)
A = RNG.randn(N)
B = RNG.randint(0, 5, N)
WORDS = np.array(["lyon", "paris", "nice", "lille", "brest"])
Y_CLASS = (A + 0.3 * B > 0.5).astype(int)
Y_REG = A + 0.2 * B


def _na(values, dtype):
    return pd.array([None, *values[1:]], dtype=dtype)


#: name -> a two-column frame: 'a' numeric, 'b' of the kind named
FRAMES = {
    "pandas float": lambda: pd.DataFrame({"a": A, "b": B}),
    "pandas Int64": lambda: pd.DataFrame({"a": A, "b": pd.array(B, dtype="Int64")}),
    "pandas Int64 with NA": lambda: pd.DataFrame({"a": A, "b": _na(B, "Int64")}),
    "pandas Float64": lambda: pd.DataFrame({"a": pd.array(A, dtype="Float64"), "b": B}),
    "pandas Float64 with NA": lambda: pd.DataFrame({"a": _na(A, "Float64"), "b": B}),
    "pandas boolean": lambda: pd.DataFrame({"a": A, "b": pd.array(B > 2, dtype="boolean")}),
    "pandas pyarrow backend": lambda: pd.DataFrame({"a": A, "b": B}).convert_dtypes(
        dtype_backend="pyarrow"),
    "pandas ArrowDtype": lambda: pd.DataFrame({
        "a": pd.Series(A, dtype=pd.ArrowDtype(pa.float32())),
        "b": pd.Series(B, dtype=pd.ArrowDtype(pa.int16()))}),
    "pandas category of ints": lambda: pd.DataFrame({"a": A, "b": pd.Categorical(B)}),
    "pandas category of str": lambda: pd.DataFrame({"a": A, "b": pd.Categorical(WORDS[B])}),
    "pandas str": lambda: pd.DataFrame({"a": A, "b": WORDS[B]}),
    "pandas numeric str": lambda: pd.DataFrame({"a": A, "b": B.astype(str).astype(object)}),
    "pandas datetime": lambda: pd.DataFrame({"a": A, "b": pd.date_range("2020", periods=N)}),
    "pandas datetime tz": lambda: pd.DataFrame({
        "a": A, "b": pd.date_range("2020", periods=N, tz="Europe/Paris")}),
    "pandas timedelta": lambda: pd.DataFrame({"a": A, "b": pd.to_timedelta(B, unit="s")}),
    "pandas arrow timestamp": lambda: pd.DataFrame({"a": A, "b": pd.Series(
        pd.date_range("2020", periods=N)).astype(pd.ArrowDtype(pa.timestamp("ns")))}),
    "polars float": lambda: pl.DataFrame({"a": A, "b": B}),
    "polars float32 int8": lambda: pl.DataFrame({"a": A.astype(np.float32),
                                                 "b": B.astype(np.int8)}),
    "polars null": lambda: pl.DataFrame({"a": [None, *A[1:]], "b": B}),
    "polars boolean": lambda: pl.DataFrame({"a": A, "b": B > 2}),
    "polars decimal": lambda: pl.DataFrame({"a": A, "b": pl.Series(B).cast(pl.Decimal(10, 2))}),
    "polars str": lambda: pl.DataFrame({"a": A, "b": WORDS[B]}),
    "polars Categorical": lambda: pl.DataFrame({
        "a": A, "b": pl.Series(WORDS[B]).cast(pl.Categorical)}),
    "polars Enum": lambda: pl.DataFrame({
        "a": A, "b": pl.Series(WORDS[B]).cast(pl.Enum(list(WORDS)))}),
    "polars numeric str": lambda: pl.DataFrame({"a": A, "b": B.astype(str)}),
    "polars Date": lambda: pl.DataFrame({"a": A, "b": pl.date_range(
        pl.date(2020, 1, 1), pl.date(2020, 2, 9), eager=True)}),
    "polars Datetime": lambda: pl.DataFrame({"a": A, "b": pl.datetime_range(
        pl.datetime(2020, 1, 1), pl.datetime(2020, 2, 9), "1d", eager=True)}),
    "polars Duration": lambda: pl.DataFrame({"a": A, "b": pl.Series(B).cast(pl.Duration("ms"))}),
    "pyarrow Table": lambda: pa.table({"a": A, "b": B}),
}

DATES = "datetime or timedelta features: 'b'"
#: Where we differ from scikit-learn's MLP on purpose: frame -> (theirs accepts, our error)
DIFFERENT = {
    # scikit-learn's MLP trains on the days (Date) or microseconds (Datetime) since 1970,
    # or the milliseconds: numbers of a huge, meaningless magnitude
    "polars Date": (True, DATES),
    "polars Datetime": (True, DATES),
    "polars Duration": (True, DATES),

}


def _fit_quietly(estimator, X, y, **kwargs):
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=ConvergenceWarning)
        return estimator.fit(X, y, **kwargs)


def _accepts(estimator, X, y):
    try:
        _fit_quietly(estimator, X, y)
    except (TypeError, ValueError) as error:
        return False, str(error)
    return True, None


@pytest.mark.parametrize("kind", list(FRAMES))
@pytest.mark.parametrize("ours, theirs, y", [
    (FCNNClassifier, MLPClassifier, Y_CLASS), (FCNNRegressor, MLPRegressor, Y_REG)])
def test_we_accept_a_frame_iff_scikit_learns_mlp_does(kind, ours, theirs, y):
    X = FRAMES[kind]()
    settings = dict(hidden_layer_sizes=(4,), max_iter=3, random_state=0)
    our_model, their_model = ours(**settings), theirs(**settings)
    we_accept, our_error = _accepts(our_model, X, y)
    they_accept, _ = _accepts(their_model, X, y)
    if kind in DIFFERENT:
        expected_theirs, expected_error = DIFFERENT[kind]
        assert they_accept is expected_theirs
        assert we_accept is (expected_error is None)
        if expected_error is not None:
            assert expected_error in our_error
    else:
        assert we_accept is they_accept, our_error
    if not we_accept:
        return
    assert list(our_model.feature_names_in_) == ["a", "b"]
    if they_accept:
        assert list(our_model.feature_names_in_) == list(their_model.feature_names_in_)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no "X has feature names" warning: same frame kind
        assert np.isfinite(our_model.predict(X)).all()
        assert np.isfinite(our_model.score(X, y))
        assert np.isfinite(our_model.transform(X)).all()


ACCEPTED = ["pandas float", "pandas Int64", "pandas Float64", "pandas pyarrow backend",
            "pandas ArrowDtype", "pandas category of ints", "polars float",
            "polars float32 int8", "polars boolean", "pyarrow Table"]


@pytest.mark.parametrize("kind", ACCEPTED)
def test_every_method_takes_the_frame(kind):
    X = FRAMES[kind]()
    X_np = np.column_stack([A, B > 2 if "boolean" in kind else B]).astype(np.float64)
    clf = _fit_quietly(FCNNClassifier(hidden_layer_sizes=(4,), max_iter=5, early_stopping=True,
                                      random_state=0), X, Y_CLASS, X_val=X, y_val=Y_CLASS)
    twin = _fit_quietly(FCNNClassifier(hidden_layer_sizes=(4,), max_iter=5, early_stopping=True,
                                       random_state=0), X_np, Y_CLASS, X_val=X_np, y_val=Y_CLASS)
    # the frame's values, converted, are those of the array (float32 arrow columns aside)
    rtol = 1e-6 if "ArrowDtype" in kind or "float32" in kind else 1e-12
    assert np.allclose(clf.predict_proba(X), twin.predict_proba(X_np), rtol=rtol, atol=1e-7)
    assert clf.predict_log_proba(X).shape == (N, 2)
    clf = FCNNClassifier(hidden_layer_sizes=(4,), random_state=0)
    clf.partial_fit(X, Y_CLASS, classes=[0, 1]).partial_fit(X, Y_CLASS)
    assert list(clf.feature_names_in_) == ["a", "b"] and clf.n_iter_ == 2
    regressors = [_fit_quietly(FCNNRegressor(hidden_layer_sizes=(4,), dropout=0.2, max_iter=5,
                                             random_state=0), data, Y_REG) for data in (X, X_np)]
    mean, std = regressors[0].predict(X, return_std=True, n_passes=5)
    mean_np, std_np = regressors[1].predict(X_np, return_std=True, n_passes=5)
    assert mean.shape == std.shape == (N,) and std.max() > 0
    assert np.allclose(mean, mean_np, rtol=rtol, atol=1e-7)
    assert np.allclose(std, std_np, rtol=rtol, atol=1e-7)


@pytest.mark.parametrize("y_kind", ["pandas", "polars"])
@pytest.mark.parametrize("cls, y", [(FCNNClassifier, Y_CLASS), (FCNNRegressor, Y_REG)])
def test_y_as_a_series(y_kind, cls, y):
    series = pd.Series(y, name="target") if y_kind == "pandas" else pl.Series("target", y)
    X = pl.DataFrame({"a": A, "b": B})
    model = _fit_quietly(cls(hidden_layer_sizes=(4,), max_iter=3, random_state=0), X, series)
    twin = _fit_quietly(cls(hidden_layer_sizes=(4,), max_iter=3, random_state=0), X, y)
    assert np.array_equal(model.predict(X), twin.predict(X))
    assert model.score(X, series) == pytest.approx(twin.score(X, y))


@pytest.mark.parametrize("output", ["polars", "pandas"])
@pytest.mark.parametrize("cls, y", [(FCNNClassifier, Y_CLASS), (FCNNRegressor, Y_REG)])
def test_set_output_in_a_pipeline(output, cls, y):
    """The issue's pipeline: StandardScaler hands the network a polars (or pandas) frame."""
    X = np.column_stack([A, B])
    pipe = make_pipeline(StandardScaler(), cls(hidden_layer_sizes=(3,), max_iter=3,
                                               random_state=0)).set_output(transform=output)
    _fit_quietly(pipe, X, y)
    assert list(pipe[-1].feature_names_in_) == ["x0", "x1"]
    assert np.isfinite(pipe.predict(X)).all()
    hidden = pipe.transform(X)  # our transform wraps its own output
    frame_type = pl.DataFrame if output == "polars" else pd.DataFrame
    assert isinstance(hidden, frame_type) and hidden.shape == (N, 3)
    assert list(hidden.columns) == [f"{cls.__name__.lower()}{i}" for i in range(3)]


@pytest.mark.parametrize("kind", ["pandas datetime", "pandas datetime tz", "pandas timedelta",
                                  "pandas arrow timestamp", "polars Date", "polars Datetime",
                                  "polars Duration"])
def test_dates_are_rejected_by_name_in_fit_x_val_and_predict(kind):
    X_dates = FRAMES[kind]()
    X_ok = FRAMES["polars float" if kind.startswith("polars") else "pandas float"]()
    with pytest.raises(ValueError, match=r"^X has datetime or timedelta features: 'b'. Convert"):
        FCNNClassifier(max_iter=2).fit(X_dates, Y_CLASS)
    est = _fit_quietly(FCNNClassifier(hidden_layer_sizes=(3,), max_iter=2, random_state=0),
                       X_ok, Y_CLASS)
    with pytest.raises(ValueError, match="X has datetime or timedelta features: 'b'"):
        est.predict(X_dates)
    with pytest.raises(ValueError, match=r"validation set.*X_val has datetime or timedelta "
                                         r"features: 'b'"):
        est.set_params(early_stopping=True).fit(X_ok, Y_CLASS, X_val=X_dates, y_val=Y_CLASS)


@pytest.mark.parametrize("kind", ["pandas category of str", "pandas str", "polars str",
                                  "polars Categorical", "polars Enum"])
def test_string_columns_of_a_frame_are_named_with_what_to_do(kind):
    X = FRAMES[kind]()
    with pytest.raises(ValueError, match=r"^X has string features that are not numbers: "
                                         r"column 'b' \(e.g. '[a-z]+'\).*OneHotEncoder.*"
                                         r"\['b'\]"):
        FCNNClassifier(max_iter=2).fit(X, Y_CLASS)
