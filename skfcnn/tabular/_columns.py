"""Reading a table: the kind of each column (numeric, categorical) and its values.

Data frames (pandas, polars, pyarrow) are read through their dtypes and
their own column methods, without importing their library (a frame's
library is already imported when a frame is passed); NumPy arrays and
lists go through scikit-learn's ``check_array``.  Each library's missing
values (NaN, None, ``pd.NA``, nulls) become NaN in a numeric column and
``None`` in a categorical one, so that the same table gives the same values
whatever its library.
"""

from __future__ import annotations

import datetime
import sys
from numbers import Number

import numpy as np
from sklearn.utils.validation import check_array

from ..estimators._input_checks import frame_columns, is_temporal

__all__ = ["categorical_mask", "column_kinds", "read_categorical", "read_numeric",
           "to_array"]

#: The values of an object column that are dates or times (pandas' Timestamp included).
_TEMPORAL = (datetime.date, datetime.time, datetime.timedelta, np.datetime64, np.timedelta64)

#: The polars dtypes read as categorical (their ``base_type()``'s names).
_POLARS_CATEGORICAL = {"String", "Utf8", "Categorical", "Enum", "Boolean", "Object"}


def _label(name):
    return repr(name) if isinstance(name, str) else str(name)


def _arrow_kind(arrow):
    types = sys.modules["pyarrow"].types
    if types.is_integer(arrow) or types.is_floating(arrow) or types.is_decimal(arrow):
        return "numeric"
    if (types.is_boolean(arrow) or types.is_string(arrow) or types.is_large_string(arrow)
            or types.is_dictionary(arrow)):
        return "categorical"
    return "other"


def dtype_kind(dtype):
    """``'numeric'``, ``'categorical'`` (category, string, object and bool dtypes),
    ``'temporal'`` or ``'other'``: the kind of a NumPy, pandas, polars or pyarrow dtype."""
    if is_temporal(dtype):
        return "temporal"
    if callable(getattr(dtype, "is_numeric", None)):  # polars
        if dtype.is_numeric():
            return "numeric"
        base = dtype.base_type() if callable(getattr(dtype, "base_type", None)) else dtype
        name = getattr(base, "__name__", type(base).__name__)
        return "categorical" if name in _POLARS_CATEGORICAL else "other"
    pa = sys.modules.get("pyarrow")
    arrow = getattr(dtype, "pyarrow_dtype", dtype)  # pandas' ArrowDtype wraps one
    if pa is not None and isinstance(arrow, pa.DataType):
        return _arrow_kind(arrow)
    kind = getattr(dtype, "kind", None)  # NumPy's, and pandas' extension dtypes'
    if kind in ("i", "u", "f"):
        return "numeric"
    return "categorical" if kind in ("b", "O", "S", "U") else "other"


def column_kinds(X, input_name="X"):
    """``(names, kinds)`` of a data frame's columns, or ``None`` when ``X`` is not one.

    Raises ``TypeError`` naming the date, time and duration columns, and the
    columns of any other kind that is neither numeric nor categorical.
    """
    columns = frame_columns(X)
    if columns is None:
        if isinstance(X, np.ndarray) and X.dtype.kind in "mM":
            raise TypeError(f"{input_name} holds dates or times (dtype {X.dtype}): convert "
                            "them to numbers first (e.g. elapsed seconds, day of the year).")
        return None
    names, dtypes = columns
    kinds = [dtype_kind(dtype) for dtype in dtypes]
    for bad, what, hint in (
            ("temporal", "date, time or duration", "convert them to numbers first (e.g. "
             "elapsed seconds, day of the year, hour of the day) or drop them"),
            ("other", "neither numeric nor categorical",
             "convert them to numbers or strings, or drop them")):
        found = [f"{_label(name)} ({dtype})" for name, dtype, kind in zip(names, dtypes, kinds)
                 if kind == bad]
        if found:
            raise TypeError(f"{input_name} has {what} columns: {', '.join(found)}; {hint}. "
                            "Numeric, categorical, string and boolean columns are read.")
    return names, kinds


def categorical_mask(categorical_features, kinds, names, n_features):
    """The boolean mask of the categorical columns, from ``categorical_features``:
    ``'auto'`` (the categorical dtypes of a frame), ``None``, or a boolean mask,
    integer indices or column names (as ``HistGradientBoostingClassifier`` takes)."""
    if categorical_features is None:
        return np.zeros(n_features, dtype=bool)
    if isinstance(categorical_features, str) and categorical_features == "auto":
        return np.array([kind == "categorical" for kind in kinds or [None] * n_features],
                        dtype=bool)
    values = np.asarray(categorical_features)
    if values.ndim != 1 or (values.size and values.dtype.kind not in "biuUO"):
        raise TypeError(f"categorical_features must be 'auto', None, a boolean mask, or a "
                        f"list of column indices or names; got {categorical_features!r}.")
    mask = np.zeros(n_features, dtype=bool)
    if values.size == 0:
        return mask
    if values.dtype.kind == "b":
        if values.size != n_features:
            raise ValueError(f"categorical_features as a boolean mask must have one value "
                             f"per feature ({n_features}); got {values.size}.")
        return values.copy()
    if values.dtype.kind in "iu":
        wrong = values[(values < 0) | (values >= n_features)]
        if wrong.size:
            raise ValueError(f"categorical_features has indices {wrong.tolist()} outside "
                             f"0 to {n_features - 1} (X has {n_features} features).")
        mask[values] = True
        return mask
    return _mask_of_names(values, names, mask)


def _mask_of_names(values, names, mask):
    if names is None:
        raise ValueError(f"categorical_features names columns ({values.tolist()}) but X "
                         "has no column names: pass a data frame, or indices or a mask.")
    position = {name: j for j, name in enumerate(names)}
    unknown = [value for value in values.tolist() if value not in position]
    if unknown:
        raise ValueError(f"categorical_features names columns that X does not have: "
                         f"{unknown}; its columns are {list(names)}.")
    mask[[position[value] for value in values.tolist()]] = True
    return mask


# -- values ----------------------------------------------------------------------------------
def to_array(X, input_name="X"):
    """A NumPy array or list ``X`` checked (2-D, not empty, not complex), its dtype kept."""
    return check_array(X, dtype=None, ensure_all_finite=False, input_name=input_name)


def _frame_column(X, j):
    """Column ``j`` of a pandas, polars or pyarrow frame, as that library's own series."""
    j = int(j)  # pyarrow takes no NumPy integer
    iloc = getattr(X, "iloc", None)
    if iloc is not None:
        return iloc[:, j]
    if hasattr(X, "to_series"):
        return X.to_series(j)
    return X.column(j)


def _numeric_column(column):
    try:  # pandas: its nullable dtypes' pd.NA becomes NaN
        values = column.to_numpy(dtype=np.float64, na_value=np.nan)
    except TypeError:  # polars and pyarrow (whose nulls become NaN), or not numbers
        values = column.to_numpy()
    return np.asarray(values, dtype=np.float64)


def _numeric_values(X, j, frame):
    return _numeric_column(_frame_column(X, j)) if frame else np.asarray(X[:, j], np.float64)


def read_numeric(X, columns, names, input_name="X"):
    """Columns ``columns`` of ``X`` (a frame, or an array from :func:`to_array`) as a new
    float64 array; missing values are NaN.  A column that is not numbers raises the
    conversion's error (``TypeError`` or ``ValueError``) naming the column; infinities
    raise ``ValueError``."""
    frame = names is not None
    try:
        if frame:
            block = np.empty((X.shape[0], len(columns)))
            for k, j in enumerate(columns):
                block[:, k] = _numeric_values(X, j, frame)
        else:  # fancy indexing copies: the float64 conversion of float64 data does not
            block = np.asarray(X[:, columns], dtype=np.float64)
    except (TypeError, ValueError) as error:
        for j in columns:  # which column: the first that fails alone
            try:
                _numeric_values(X, j, frame)
            except (TypeError, ValueError) as column_error:
                raise type(error)(
                    f"{input_name} column {_labels(names, [j])} is not numeric "
                    f"({column_error}); list it in categorical_features (a category per "
                    "value), or convert it to numbers.") from error
        raise
    infinite = np.isinf(block).any(axis=0)
    if infinite.any():
        raise ValueError(
            f"{input_name} has infinite values in column(s) "
            f"{_labels(names, np.asarray(columns)[infinite])}; replace them (e.g. by NaN, "
            "which is read as missing).")
    return block


def _labels(names, columns):
    return ", ".join(_label(names[j]) if names is not None else str(j) for j in columns)


def _categorical_column(column):
    """A column's values as objects, its missing values as ``None``."""
    to_numpy = getattr(column, "to_numpy", None)
    values = np.array(to_numpy() if callable(to_numpy) else column, dtype=object)
    for missing in ("isna", "is_null"):  # pandas; polars and pyarrow
        method = getattr(column, missing, None)
        if callable(method):
            values[np.asarray(method(), dtype=bool)] = None
            break
    try:
        values[values != values] = None  # NaN (of any float type)
    except TypeError:  # a value whose comparison is not a bool (pd.NA in an array)
        values[[value is not None and bool(value != value) is not False
                for value in values]] = None
    return values


def _uniform(values, label, input_name):
    """``values`` with every non-missing value a string when they are neither all
    strings nor all numbers (scikit-learn's encoders sort the levels); ``TypeError``
    for dates and times (an object column of them)."""
    present = values != None  # noqa: E711 (elementwise)
    levels = set(values[present].tolist())
    dated = next((level for level in levels if isinstance(level, _TEMPORAL)), None)
    if dated is not None:
        raise TypeError(f"{input_name} column {label} holds dates or times (e.g. {dated!r}): "
                        "convert them to numbers first (e.g. elapsed seconds, day of the "
                        "year) or drop the column.")
    if all(isinstance(level, str) for level in levels) or all(
            isinstance(level, (Number, np.bool_)) for level in levels):
        return values
    values[present] = [str(value) for value in values[present]]
    return values


def read_categorical(X, columns, names, input_name="X"):
    """Columns ``columns`` of ``X`` as a new object array, missing values as ``None``."""
    block = np.empty((X.shape[0], len(columns)), dtype=object)
    for k, j in enumerate(columns):
        values = _categorical_column(_frame_column(X, j) if names is not None else X[:, j])
        block[:, k] = _uniform(values, _labels(names, [j]), input_name)
    return block
