"""What the network cannot learn from, found before it trains: date and string
features (errors), features and regression targets far from unit scale (warnings).

Data frames of any library are read through their column dtypes (pandas,
polars, pyarrow, and anything with ``columns`` and ``dtypes``), without
importing the library: a frame's library is already imported when a frame is
passed.
"""

from __future__ import annotations

import sys
import warnings
from contextlib import contextmanager

import numpy as np
from scipy.sparse import issparse

from ..exceptions import DataScaleWarning

__all__ = ["FEATURE_SCALE", "TARGET_SCALE", "check_feature_columns", "explain_strings",
           "warn_if_unscaled_features", "warn_if_unscaled_target"]


# -- data frames: their columns and dtypes ------------------------------------------------
def frame_columns(X):
    """``(names, dtypes)`` of a data frame's columns, or ``None`` when ``X`` is not one."""
    if hasattr(X, "column_names") and hasattr(X, "schema"):  # a pyarrow Table
        return [str(name) for name in X.column_names], list(X.schema.types)
    if hasattr(X, "columns") and hasattr(X, "dtypes") and getattr(X, "ndim", 2) == 2:
        return list(X.columns), list(X.dtypes)  # pandas, polars, and their kind
    return None


def is_temporal(dtype):
    """Whether ``dtype`` (NumPy, pandas, polars or pyarrow) holds dates, times or durations."""
    polars_rule = getattr(dtype, "is_temporal", None)
    if callable(polars_rule):
        return bool(polars_rule())
    pa = sys.modules.get("pyarrow")
    arrow = getattr(dtype, "pyarrow_dtype", dtype)  # pandas' ArrowDtype wraps one
    if pa is not None and isinstance(arrow, pa.DataType):
        return bool(pa.types.is_temporal(arrow))
    categories = getattr(dtype, "categories", None)  # pandas' category: its values'
    if categories is not None and hasattr(categories, "dtype"):
        return is_temporal(categories.dtype)
    pd = sys.modules.get("pandas")
    if pd is not None and isinstance(dtype, pd.PeriodDtype):
        return True
    return getattr(dtype, "kind", None) in ("m", "M")


def _label(name):
    return repr(name) if isinstance(name, str) else str(name)


def check_feature_columns(X, input_name="X"):
    """``ValueError`` naming the date, time and duration features of ``X``.

    They would train as raw counts (nanoseconds, or days since 1970) of a
    huge magnitude, as scikit-learn's MLP trains polars dates.  Only the
    dtypes are read, so this costs nothing per row.
    """
    columns = frame_columns(X)
    if columns is not None:
        names, dtypes = columns
        dated = [_label(name) for name, dtype in zip(names, dtypes) if is_temporal(dtype)]
    elif isinstance(X, np.ndarray) and X.dtype.kind in "mM":
        dated = [f"every feature (dtype {X.dtype})"]
    else:
        return
    if dated:
        raise ValueError(
            f"{input_name} has datetime or timedelta features: {', '.join(dated)}. Convert "
            "them to numbers first (e.g. elapsed seconds, day of the year, hour of the day): "
            "the network would see raw nanosecond counts.")


# -- strings -----------------------------------------------------------------------------
def _first_string(values):
    """The first str or bytes value of ``values`` that is not a number, else ``None``."""
    try:
        np.asarray(values, dtype=np.float64)
        return None
    except (TypeError, ValueError):
        pass
    for value in values:
        if isinstance(value, (str, bytes)):
            try:
                float(value)
            except ValueError:
                return value
    return None


def _column_values(X, index):
    """Column ``index`` of a frame as a 1-D NumPy array of objects."""
    for take in (lambda: X.iloc[:, index], lambda: X.to_series(index),
                 lambda: X.column(index)):
        try:
            column = take()
            break
        except (AttributeError, TypeError):
            continue
    else:
        column = np.asarray(X, dtype=object)[:, index]
    to_numpy = getattr(column, "to_numpy", None)
    return np.asarray(to_numpy() if callable(to_numpy) else column, dtype=object)


def string_features(X):
    """``[(label, example)]`` of the features of ``X`` that hold strings that are not
    numbers (numeric strings are converted, as scikit-learn converts them)."""
    if issparse(X) or (isinstance(X, np.ndarray) and X.dtype.kind not in "OSU"):
        return []  # numbers only: no need to look (and no object copy of a large array)
    columns = frame_columns(X)
    if columns is not None:
        names = columns[0]
        found = ((_label(name), _first_string(_column_values(X, j)))
                 for j, name in enumerate(names))
    else:
        try:
            values = np.asarray(X, dtype=object)
        except Exception:  # ragged rows: scikit-learn's own error says so
            return []
        if values.ndim != 2:
            return []
        found = ((str(j), _first_string(values[:, j])) for j in range(values.shape[1]))
    return [(label, example) for label, example in found if example is not None]


@contextmanager
def explain_strings(X, input_name, estimator_name):
    """Turn the conversion error of string features into a ``ValueError`` that names
    them and says how to encode them; other errors pass unchanged.

    The strings are looked for only when the conversion fails, so that numeric
    data pays nothing.
    """
    try:
        yield
    except (TypeError, ValueError) as error:
        found = string_features(X)
        if not found:
            raise
        labels = [label for label, _ in found]
        example = found[0][1]
        where = "column" if frame_columns(X) is not None else "feature"
        selection = "[" + ", ".join(labels) + "]"
        raise ValueError(
            f"{input_name} has string features that are not numbers: {where}"
            f"{'s' if len(labels) > 1 else ''} {', '.join(labels)} (e.g. {example!r}). "
            "Encode them as numbers first, e.g. one column per category with "
            "OneHotEncoder in a ColumnTransformer: make_pipeline(make_column_transformer("
            f"(OneHotEncoder(handle_unknown='ignore'), {selection}), "
            f"remainder=StandardScaler()), {estimator_name}()). Numeric strings such as "
            "'1.5' are converted."
        ) from error


# -- scale ---------------------------------------------------------------------------------
#: Root mean square above which a feature or a target is far from unit scale.
FEATURE_SCALE = TARGET_SCALE = 100.0
#: How many standard deviations away from zero a mean (above 1 in magnitude) may be.
OFFSET_RATIO = 10.0
#: Rows per chunk of :func:`column_moments` (a chunk stays in cache for both sums).
_CHUNK_ROWS = 4096


def column_moments(X):
    """Per-column mean and mean square of ``X`` (dense or sparse) in float64, in one
    pass (chunk by chunk: no float64 copy of float32 data); the zeros a sparse
    matrix does not store count."""
    if issparse(X):
        n = X.shape[0]
        squares = X.multiply(X)
        return (np.asarray(X.sum(axis=0, dtype=np.float64)).ravel() / n,
                np.asarray(squares.sum(axis=0, dtype=np.float64)).ravel() / n)
    sums = np.zeros(X.shape[1])
    squares = np.zeros(X.shape[1])
    with np.errstate(over="ignore"):
        for start in range(0, X.shape[0], _CHUNK_ROWS):
            chunk = X[start : start + _CHUNK_ROWS]
            sums += chunk.sum(axis=0)  # in the data's dtype within a chunk: enough
            squares += np.einsum("ij,ij->j", chunk, chunk)  # for a rule of thumb
    return sums / X.shape[0], squares / X.shape[0]


def far_from_unit_scale(mean, mean_square):
    r"""Which columns, with mean :math:`\mu` and mean square :math:`m = \mu^2 + \sigma^2`,
    are far from unit scale.

    .. math::

        \sqrt{m} > S \quad\text{or}\quad \left(\sigma > 0,\ |\mu| > 1 \text{ and }
        |\mu| > R\,\sigma\right), \qquad S = 100,\ R = 10.

    The first rule catches values so large that the first layer's
    pre-activations (or the output's distance from its initial value near 0)
    need weights far from their initial scale: training stalls, saturates or
    overflows.  The second catches a small spread on a large offset (a year,
    a latitude, a price near a fixed level): the units' kinks, placed near 0
    at initialisation, all lie outside the data, and the network starts and
    stays nearly linear over it (a constant column is a harmless second bias).
    Standardised columns (:math:`\mu = 0,
    \sigma = 1`), 0-1 and one-hot columns, and pixels of 0 to 16 (``load_digits``:
    :math:`\sqrt{m} \le 13`, :math:`|\mu| \le 3\sigma`) pass.
    """
    std = np.sqrt(np.maximum(mean_square - mean * mean, 0.0))
    magnitude = np.abs(mean)
    varies = std > 1e-6 * magnitude  # beyond the rounding of mean_square - mean²
    with np.errstate(invalid="ignore"):
        return (np.sqrt(mean_square) > FEATURE_SCALE) | (
            varies & (magnitude > 1.0) & (magnitude > OFFSET_RATIO * std))


def _stats(mean, mean_square, j):
    std = np.sqrt(max(mean_square[j] - mean[j] ** 2, 0.0))
    return f"root mean square {np.sqrt(mean_square[j]):.3g}, mean {mean[j]:.3g}, std {std:.3g}"


def _describe(labels, mean, mean_square, columns):
    """``'income' (root mean square 5.1e+04, mean 5e+04, std 1.2e+04), ...`` for at most
    three columns, then how many more."""
    parts = [f"{labels[j]} ({_stats(mean, mean_square, j)})" for j in columns[:3]]
    more = f" and {len(columns) - 3} more" if len(columns) > 3 else ""
    return ", ".join(parts) + more


def _feature_labels(names, n_features):
    if names is not None and len(names) == n_features:
        return [f"column {_label(name)}" for name in names]
    return [f"feature {j}" for j in range(n_features)]


def warn_if_unscaled_features(X, feature_names, estimator_name):
    """:class:`~skfcnn.exceptions.DataScaleWarning` naming the features of ``X`` far from
    unit scale (:func:`far_from_unit_scale`), by their ``feature_names`` (a data
    frame's column names; ``None``: by index)."""
    if X.shape[0] == 0 or X.shape[1] == 0:
        return
    mean, mean_square = column_moments(X)
    columns = np.flatnonzero(far_from_unit_scale(mean, mean_square))
    if columns.size == 0:
        return
    labels = _feature_labels(feature_names, X.shape[1])
    warnings.warn(DataScaleWarning(
        f"X has {columns.size} feature(s) far from unit scale: "
        f"{_describe(labels, mean, mean_square, columns)}. The network trains poorly on "
        "them (a root mean square above 100, or a mean more than 10 standard deviations "
        "from 0); scale the features first, e.g. make_pipeline(StandardScaler(), "
        f"{estimator_name}())."), stacklevel=7)  # fit -> ... -> _fit -> _warn_if_unscaled


def warn_if_unscaled_target(Y, estimator_name):
    """:class:`~skfcnn.exceptions.DataScaleWarning` naming the target columns of ``Y`` far
    from unit scale (:func:`far_from_unit_scale`)."""
    if Y.shape[0] == 0:
        return
    mean, mean_square = column_moments(Y)
    columns = np.flatnonzero(far_from_unit_scale(mean, mean_square))
    if columns.size == 0:
        return
    if Y.shape[1] == 1:
        what = f"y is far from unit scale ({_stats(mean, mean_square, 0)})"
    else:
        labels = [f"column {j}" for j in range(Y.shape[1])]
        what = (f"y has {columns.size} target column(s) far from unit scale: "
                f"{_describe(labels, mean, mean_square, columns)}")
    warnings.warn(DataScaleWarning(
        f"{what}. A stochastic solver, moving the "
        "parameters by about learning_rate_init per step, reaches such outputs slowly or "
        "never; scale the targets, e.g. TransformedTargetRegressor(regressor="
        f"{estimator_name}(), transformer=StandardScaler()) (sklearn.compose), which "
        "predicts on the original scale."), stacklevel=7)  # as above
