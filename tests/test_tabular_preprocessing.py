"""The tabular preprocessing (skfcnn.tabular): SmoothClipScaler, PiecewiseLinearEncoder and
TabularPreprocessor, their formulas by hand, raw pandas and polars frames, the column kinds,
and scikit-learn's contract."""

import ast
import datetime
import pickle
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
import sklearn.utils.estimator_checks as sklearn_checks
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import clone
from sklearn.preprocessing import QuantileTransformer, RobustScaler, StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

import skfcnn.tabular
from skfcnn.tabular import PiecewiseLinearEncoder, SmoothClipScaler, TabularPreprocessor
from skfcnn.tabular._numeric import smooth_clip

pd = pytest.importorskip("pandas")
pl = pytest.importorskip("polars")


def f(u):
    """RealMLP's smooth clipping, as written: u / sqrt(1 + (u/3)^2)."""
    u = np.asarray(u, dtype=np.float64)
    return u / np.sqrt(1 + (u / 3) ** 2)


# -- SmoothClipScaler ------------------------------------------------------------------------
def test_smooth_clip_scaler_by_hand():
    # median 3, quartiles 2 and 4: s = 1/2, u = (x - 3)/2
    X = np.array([[1.0], [2.0], [3.0], [4.0], [100.0]])
    scaler = SmoothClipScaler().fit(X)
    assert_allclose(scaler.center_, [3.0])
    assert_allclose(scaler.scale_, [0.5])
    expected = [-3 / np.sqrt(10), -3 / np.sqrt(37), 0.0, 3 / np.sqrt(37),
                145.5 / np.sqrt(2361.25)]
    assert_allclose(scaler.transform(X).ravel(), expected, rtol=1e-14)
    assert_allclose(expected, f([-1, -0.5, 0, 0.5, 48.5]), rtol=1e-14)


def test_smooth_clip_scaler_falls_back_to_the_range_then_to_zero():
    # column 0: IQR 0 (seven zeros, one 10) -> s = 2 / (10 - 0) = 0.2; column 1: constant
    X = np.array([[0.0, 5.0]] * 7 + [[10.0, 5.0]])
    scaler = SmoothClipScaler().fit(X)
    assert_allclose(scaler.center_, [0.0, 5.0])
    assert_allclose(scaler.scale_, [0.2, 0.0])
    out = scaler.transform([[10.0, 1e300], [-5.0, np.nan], [0.0, -1e300]])
    assert_allclose(out[:, 0], [6 / np.sqrt(13), f(-1.0), 0.0], rtol=1e-14)  # f(2), f(-1)
    assert out[0, 1] == 0 and np.isnan(out[1, 1]) and out[2, 1] == 0


def test_smooth_clip_scaler_ignores_and_keeps_nan():
    X = np.array([[1.0, np.nan], [2.0, np.nan], [np.nan, np.nan], [3.0, np.nan],
                  [4.0, np.nan], [100.0, np.nan]])
    scaler = SmoothClipScaler().fit(X)
    assert_allclose(scaler.center_, [3.0, 0.0])
    assert_allclose(scaler.scale_, [0.5, 0.0])  # a column without values maps to 0
    out = scaler.transform([[np.nan, 7.0], [3.0, np.nan]])
    assert np.isnan(out[0, 0]) and out[0, 1] == 0 and out[1, 0] == 0 and np.isnan(out[1, 1])


def test_smooth_clip_scaler_quantile_range_and_its_errors():
    X = np.arange(11.0)[:, None]  # q10 = 1, q90 = 9: s = 1/8
    assert_allclose(SmoothClipScaler(quantile_range=(10, 90)).fit(X).scale_, [1 / 8])
    for wrong in [(75, 25), (-1, 50), (50, 101), (1, 2, 3), ("a", 2)]:
        with pytest.raises(ValueError, match=r"quantile_range must be .*0 <= low < high"):
            SmoothClipScaler(quantile_range=wrong).fit(X)


def test_smooth_clip_bounds_and_dtype():
    u = np.array([0.0, 1e-8, -1e-8, 1.0, 3.0, 1e8, -1e8, 1e300, -np.inf, np.inf, np.nan])
    out = smooth_clip(u)
    assert np.all(np.abs(out[:-1]) < 3) and np.isnan(out[-1])
    assert_allclose(out[:5], f(u[:5]), rtol=1e-14)  # u - u^3/18 near 0, f(3) = 3/sqrt(2)
    assert_allclose(out[5:10], [3, -3, 3, -3, 3], rtol=1e-15)
    X = np.array([[1.0], [2.0], [5.0]], dtype=np.float32)
    assert SmoothClipScaler().fit(X).transform(X).dtype == np.float32


@settings(max_examples=60, deadline=None)
@given(arrays(np.float64, st.tuples(st.integers(1, 30), st.integers(1, 3)),
              elements=st.floats(-1e12, 1e12, allow_nan=False, allow_subnormal=False)))
def test_smooth_clip_scaler_is_bounded_and_monotone(X):
    out = SmoothClipScaler().fit(X).transform(X)
    assert np.all(np.abs(out) < 3)
    for j in range(X.shape[1]):
        order = np.argsort(X[:, j], kind="stable")
        assert np.all(np.diff(out[order, j]) >= 0)


# -- PiecewiseLinearEncoder ------------------------------------------------------------------
def test_piecewise_linear_encoder_by_hand():
    X = np.arange(5.0)[:, None]  # quantiles at 0, 1/4, ..., 1: edges 0, 1, 2, 3, 4
    encoder = PiecewiseLinearEncoder(n_bins=4).fit(X)
    assert_allclose(encoder.bin_edges_[0], [0, 1, 2, 3, 4])
    assert_array_equal(encoder.n_bins_, [4])
    out = encoder.transform([[2.5], [0.0], [4.0], [-1.0], [6.0], [np.nan]])
    assert_allclose(out, [[1, 1, 0.5, 0],
                          [0, 0, 0, 0],
                          [1, 1, 1, 1],
                          [-1, 0, 0, 0],  # the first bin extrapolates below
                          [1, 1, 1, 3],  # the last bin extrapolates above
                          [0, 0, 0, 0]])  # NaN: zeros


def test_piecewise_linear_encoder_coinciding_and_constant_columns():
    # column 0: quantiles 0, 0, 0, 0, 1 -> edges 0, 1: one unclipped bin
    # column 1: one value -> no bin; column 2: no value -> no bin
    X = np.array([[0.0, 7.0, np.nan]] * 4 + [[1.0, 7.0, np.nan]])
    encoder = PiecewiseLinearEncoder(n_bins=4).fit(X)
    assert_array_equal(encoder.n_bins_, [1, 0, 0])
    assert_allclose(encoder.bin_edges_[0], [0, 1])
    assert_allclose(encoder.bin_edges_[1], [7])
    assert encoder.bin_edges_[2].size == 0
    assert_allclose(encoder.transform([[2.0, 1.0, 1.0], [-1.0, 7.0, 0.0]]), [[2.0], [-1.0]])
    assert encoder.get_feature_names_out(["a", "b", "c"]).tolist() == ["a_bin0"]


def test_piecewise_linear_encoder_names_dtype_and_far_values():
    X = pd.DataFrame({"age": np.arange(10.0), "size": np.arange(10.0) ** 2})
    encoder = PiecewiseLinearEncoder(n_bins=3).fit(X)
    assert encoder.get_feature_names_out().tolist() == [
        "age_bin0", "age_bin1", "age_bin2", "size_bin0", "size_bin1", "size_bin2"]
    X32 = np.array([[0.0], [1e-30], [2e-30]], dtype=np.float32)
    out = PiecewiseLinearEncoder(n_bins=2).fit(X32).transform(np.array([[1e30]], np.float32))
    assert out.dtype == np.float32 and np.all(np.isfinite(out))


# -- TabularPreprocessor: numbers by hand -----------------------------------------------------
def test_categorical_columns_by_hand():
    # c has two levels: -1 (x) and +1 (y), [-1, -1, -1, 1]: median -1, IQR 0.5, s = 2;
    # d's one-hot columns: p [1, 0, 0, 1] (median 0.5, IQR 1), q and r (median 0, IQR 0.25)
    X = pd.DataFrame({"c": ["x", "x", "x", "y"], "d": ["p", "q", "r", "p"]})
    pre = TabularPreprocessor(dtype="float64").fit(X)
    assert pre.get_feature_names_out().tolist() == ["c_y", "d_p", "d_q", "d_r"]
    a, b = f(0.5), f(4.0)  # f(4) = 2.4
    assert_allclose(pre.transform(X), [[0, a, 0, 0], [0, -a, b, 0], [0, -a, 0, b],
                                       [b, a, 0, 0]], rtol=1e-14, atol=1e-15)
    # unknown levels: 0 before scaling (u = 2 for c), no level of d
    unknown = pd.DataFrame({"c": ["z"], "d": [None]})
    assert_allclose(pre.transform(unknown), [[f(2.0), -a, 0, 0]], rtol=1e-14)
    assert pre.n_numeric_ == 0 and pre.categorical_columns_.tolist() == [0, 1]


def test_numeric_columns_missing_values_and_order():
    X = pd.DataFrame({"a": [1.0, 2.0, np.nan, 3.0, 4.0, 100.0],
                      "b": [0.0, 1.0, 2.0, 3.0, 4.0, 5.0],
                      "k": ["u", "u", "v", "u", "v", "u"]})
    pre = TabularPreprocessor(n_bins=2, dtype="float64").fit(X)
    assert pre.get_feature_names_out().tolist() == [
        "a", "b", "a_bin0", "a_bin1", "b_bin0", "b_bin1", "a_missing", "k_v"]
    out = pre.transform(X)
    assert pre.n_numeric_ == 2 and pre.numeric_columns_.tolist() == [0, 1]
    assert pre.missing_columns_.tolist() == [0]
    a = SmoothClipScaler().fit_transform(X[["a"]].to_numpy()).ravel()
    assert_allclose(out[:, 0], np.nan_to_num(a, nan=0.0))  # NaN -> 0 after scaling
    assert_allclose(out[:, 2:6], PiecewiseLinearEncoder(n_bins=2).fit_transform(X[["a", "b"]]))
    assert_array_equal(out[:, 6], [0, 0, 1, 0, 0, 0])
    without = TabularPreprocessor(missing_indicator=False).fit(X)
    assert "a_missing" not in without.get_feature_names_out()


@pytest.mark.parametrize("numeric, reference", [
    ("standard", StandardScaler()),
    ("quantile", QuantileTransformer(output_distribution="normal", n_quantiles=10)),
    (RobustScaler(), RobustScaler())])
def test_other_numeric_transformers(numeric, reference):
    X = np.random.default_rng(0).normal(size=(60, 2)) * [1, 100]
    out = TabularPreprocessor(numeric=numeric, dtype="float64").fit_transform(X)
    assert_allclose(out, reference.fit_transform(X), atol=1e-12)


def test_constant_and_empty_columns_give_zeros():
    X = pd.DataFrame({"const": [5.0] * 4, "empty": [np.nan] * 4, "x": [1.0, 2.0, 3.0, 9.0],
                      "one": ["a"] * 4})
    for numeric in ["smooth_clip", "quantile", "standard"]:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            pre = TabularPreprocessor(numeric=numeric, n_bins=3).fit(X)
            out = pre.transform(pd.DataFrame({"const": [1e30], "empty": [2.0], "x": [1e30],
                                              "one": ["b"]}))
        assert np.all(np.isfinite(out))
        assert pre.constant_columns_.tolist() == [0, 1]
        assert out[0, 0] == out[0, 1] == 0
        assert pre.bin_encoder_.n_bins_.tolist() == [0, 0, 3]


# -- frames, kinds and errors ------------------------------------------------------------------
def _raw_frames():
    """A raw pandas frame (numeric, nullable, category, str, string, bool and missing values)
    and its polars twin, built separately."""
    num = [1.5, np.nan, -3.0, 8.0, 2.0, 0.5]
    ints = [1, 2, None, 4, 5, 6]
    city = ["Oslo", "Rome", None, "Oslo", "Lima", "Rome"]
    color = ["red", "blue", "red", "red", "blue", "red"]
    flag = [True, False, True, True, False, False]
    maybe = [True, None, False, True, True, False]
    frame = pd.DataFrame({
        "num": num, "ints": pd.array(ints, dtype="Int64"),
        "city": pd.Categorical(city), "color": pd.Series(color, dtype=object),
        "name": pd.array(["a", "b", "a", None, "c", "a"], dtype="string"),
        "flag": flag, "maybe": pd.array(maybe, dtype="boolean")})
    twin = pl.DataFrame({
        "num": pl.Series([None if np.isnan(v) else v for v in num]),
        "ints": pl.Series(ints, dtype=pl.Int64),
        "city": pl.Series(city, dtype=pl.Categorical), "color": pl.Series(color),
        "name": pl.Series(["a", "b", "a", None, "c", "a"]), "flag": pl.Series(flag),
        "maybe": pl.Series(maybe, dtype=pl.Boolean)})
    return frame, twin


@pytest.mark.parametrize("params", [{}, {"n_bins": 3, "numeric": "quantile"}])
def test_pandas_and_polars_frames_give_the_same_output(params):
    frame, twin = _raw_frames()
    pre_pd, pre_pl = TabularPreprocessor(**params).fit(frame), TabularPreprocessor(**params)
    out_pl = pre_pl.fit_transform(twin)
    assert_array_equal(pre_pd.transform(frame), out_pl)
    assert_array_equal(pre_pd.get_feature_names_out(), pre_pl.get_feature_names_out())
    assert pre_pd.categorical_columns_.tolist() == [2, 3, 4, 5, 6]
    names = pre_pd.get_feature_names_out().tolist()
    assert names[:2] == ["num", "ints"] and "city_None" in names and "flag_True" in names
    assert "color_red" in names and "color_blue" not in names  # two levels: one column
    assert out_pl.dtype == np.float32 and np.all(np.isfinite(out_pl))


def test_unknown_levels_and_missing_values_at_transform():
    frame, _ = _raw_frames()
    pre = TabularPreprocessor(max_categories=3).fit(frame)
    new = pd.DataFrame({
        "num": [np.nan], "ints": pd.array([None], dtype="Int64"),
        "city": pd.Categorical(["Paris"]), "color": ["green"],
        "name": pd.array([None], dtype="string"), "flag": [None], "maybe": [None]})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = pre.transform(new)
    assert out.shape == (1, len(pre.get_feature_names_out())) and np.all(np.isfinite(out))
    city = pre.categorical_encoder_.encoder_.categories_[0]
    assert city.tolist() == ["Lima", "Oslo", "Rome", None]
    assert "city_infrequent_sklearn" in pre.get_feature_names_out()  # Lima and None: rare


@pytest.mark.parametrize("categorical_features", [["city", "name"], [2, 4],
                                                  [False, False, True, False, True, False,
                                                   False]])
def test_categorical_features_by_name_index_or_mask(categorical_features):
    frame, _ = _raw_frames()
    frame = frame.drop(columns=["color"]).assign(color=1.0)[frame.columns]  # numeric now
    pre = TabularPreprocessor(categorical_features=categorical_features).fit(frame)
    assert pre.categorical_columns_.tolist() == [2, 4]
    assert pre.numeric_columns_.tolist() == [0, 1, 3, 5, 6]  # booleans: 0/1 numbers


def test_numpy_arrays_are_numeric_unless_told():
    X = np.array([[1.0, "a"], [2.0, "b"], [np.nan, None], [4.0, "a"]], dtype=object)
    with pytest.raises(ValueError, match=r"column 1 is not numeric.*categorical_features"):
        TabularPreprocessor().fit(X)
    pre = TabularPreprocessor(categorical_features=[1]).fit(X)
    assert pre.get_feature_names_out().tolist() == ["x0", "x0_missing", "x1_a", "x1_b",
                                                    "x1_None"]


@pytest.mark.parametrize("wrong, error, match", [
    (["nope"], ValueError, r"does not have: \['nope'\]"),
    ([7], ValueError, r"indices \[7\] outside 0 to 6"),
    ([True, False], ValueError, r"one value per feature \(7\); got 2"),
    ([1.5], TypeError, "categorical_features must be")])
def test_categorical_features_errors(wrong, error, match):
    frame, _ = _raw_frames()
    with pytest.raises(error, match=match):
        TabularPreprocessor(categorical_features=wrong).fit(frame)


def test_names_need_a_frame():
    with pytest.raises(ValueError, match="has no column names"):
        TabularPreprocessor(categorical_features=["a"]).fit(np.zeros((3, 2)))


@pytest.mark.parametrize("library", ["pandas", "polars"])
def test_dates_raise_a_type_error_naming_the_column(library):
    data = {"x": [1.0, 2.0], "when": [datetime.date(2024, 1, 1), datetime.date(2024, 2, 1)]}
    X = (pd.DataFrame(data).assign(when=lambda d: pd.to_datetime(d["when"]))
         if library == "pandas" else pl.DataFrame(data))
    with pytest.raises(TypeError, match="date, time or duration columns: 'when'"):
        TabularPreprocessor().fit(X)
    fitted = TabularPreprocessor().fit(X[["x"]] if library == "pandas" else X.select("x"))
    with pytest.raises(ValueError, match="feature names"):
        fitted.transform(X)


def test_dates_in_an_object_column_raise_a_type_error():
    X = pd.DataFrame({"x": [1.0, 2.0], "when": [datetime.date(2024, 1, 1), None]})
    with pytest.raises(TypeError, match="column 'when' holds dates or times"):
        TabularPreprocessor().fit(X)


def test_strings_in_a_numeric_column_and_infinities_name_the_column():
    X = pd.DataFrame({"x": [1.0, 2.0], "city": ["Oslo", "Rome"]})
    with pytest.raises(ValueError, match="column 'city' is not numeric"):
        TabularPreprocessor(categorical_features=None).fit(X)
    with pytest.raises(ValueError, match=r"infinite values in column.*'x'"):
        TabularPreprocessor().fit(X.assign(x=[1.0, np.inf]))


def test_output_dtype_set_output_and_persistence():
    frame, twin = _raw_frames()
    assert TabularPreprocessor(dtype="float64").fit_transform(frame).dtype == np.float64
    assert TabularPreprocessor(dtype=np.float64).fit_transform(frame).dtype == np.float64
    pre = TabularPreprocessor(n_bins=4).set_output(transform="pandas").fit(frame)
    out = pre.transform(frame)
    assert list(out.columns) == pre.get_feature_names_out().tolist()
    assert pre.set_output(transform="polars").transform(twin).columns == list(out.columns)
    pre.set_output(transform="default")
    for copy in (pickle.loads(pickle.dumps(pre)), clone(pre).fit(frame)):
        assert_array_equal(copy.transform(frame), pre.transform(frame))


def test_a_failed_fit_leaves_the_fitted_preprocessor_unchanged():
    frame, _ = _raw_frames()
    pre = TabularPreprocessor().fit(frame)
    before = pre.transform(frame)
    with pytest.raises(TypeError, match="'when'"):
        pre.fit(frame.assign(when=pd.Timestamp("2024-01-01")))
    with pytest.raises(ValueError, match="infinite"):
        pre.fit(frame.assign(num=np.inf))
    assert pre.n_features_in_ == 7
    assert_array_equal(pre.transform(frame), before)


def test_no_frame_library_is_imported():
    package = Path(skfcnn.tabular.__file__).parent
    for path in package.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            modules = ([alias.name for alias in node.names] if isinstance(node, ast.Import)
                       else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            assert not any(m.split(".")[0] in ("pandas", "polars", "pyarrow")
                           for m in modules), path.name
    code = "import sys, skfcnn.tabular; print('polars' in sys.modules)"  # sklearn loads pandas
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "False"


# -- scikit-learn's contract -----------------------------------------------------------------
ESTIMATORS = [SmoothClipScaler(), SmoothClipScaler(quantile_range=(10.0, 90.0)),
              PiecewiseLinearEncoder(), PiecewiseLinearEncoder(n_bins=3),
              TabularPreprocessor(), TabularPreprocessor(numeric="quantile", n_bins=4,
                                                         dtype="float64"),
              TabularPreprocessor(numeric="standard", categorical_features=[0],
                                  missing_indicator=False)]


@parametrize_with_checks(ESTIMATORS)
def test_sklearn_checks(estimator, check):
    check(estimator)


#: The API checks that scikit-learn 1.9 does not run by default.
MORE_CHECKS = ["check_dataframe_column_names_consistency",
               "check_transformer_get_feature_names_out",
               "check_transformer_get_feature_names_out_pandas", "check_set_output_transform",
               "check_set_output_transform_pandas", "check_global_output_transform_pandas",
               "check_set_output_transform_polars", "check_global_set_output_transform_polars"]


@pytest.mark.filterwarnings("ignore::UserWarning")  # the checks' own feature-name warnings
@pytest.mark.parametrize("check_name", MORE_CHECKS)
@pytest.mark.parametrize("estimator", ESTIMATORS[::2], ids=repr)
def test_more_sklearn_checks(estimator, check_name):
    getattr(sklearn_checks, check_name)(type(estimator).__name__, estimator)
