r"""The table recipe's preprocessing: a raw table to one dense float array.

:class:`TabularPreprocessor` reads a pandas or polars frame (or an array)
with numeric, categorical and missing values, and writes, in this order:

1. the numeric columns, scaled (``numeric``; RealMLP's
   :class:`SmoothClipScaler` by default), missing values as 0;
2. with ``n_bins``, their :class:`PiecewiseLinearEncoder` columns (from the
   raw values);
3. with ``missing_indicator``, a 0/1 column per numeric column that had
   missing values in training;
4. the categorical columns: one-hot (a missing value is a level), two-level
   columns as :math:`\pm 1`, all scaled by RealMLP's rule
   (``skfcnn.tabular._categorical``).

The two numeric transformers are defined in ``skfcnn.tabular._numeric``
and usable on their own.
"""

from __future__ import annotations

from numbers import Integral
from typing import ClassVar

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin, clone
from sklearn.preprocessing import QuantileTransformer, StandardScaler
from sklearn.utils.validation import check_is_fitted, validate_data

from ..estimators._compat import HasMethods, Interval, Options, StrOptions, _fit_context
from ..estimators._input_checks import frame_columns
from ._categorical import CategoricalBlock
from ._columns import categorical_mask, column_kinds, read_categorical, read_numeric, to_array
from ._numeric import PiecewiseLinearEncoder, SmoothClipScaler, input_feature_names

__all__ = ["NUMERIC_SCALERS", "PiecewiseLinearEncoder", "SmoothClipScaler",
           "TabularPreprocessor"]


def _smooth_clip(n_samples):
    return SmoothClipScaler()


def _quantile(n_samples):
    """TabM-D's: normal output, :math:`\\operatorname{clip}(n/30, 10, 1000)` quantiles (at
    most ``n_samples``), every row used (no random subsample: no random state)."""
    n_quantiles = min(max(n_samples // 30, 10), 1000, n_samples)
    return QuantileTransformer(output_distribution="normal", n_quantiles=n_quantiles,
                               subsample=None)


def _standard(n_samples):
    return StandardScaler()


#: ``numeric``'s names -> a function of the number of training rows that makes the
#: (unfitted) transformer of the numeric columns.
NUMERIC_SCALERS = {"smooth_clip": _smooth_clip, "quantile": _quantile, "standard": _standard}


def _default_output(transformer):
    """``transformer`` with NumPy output, whatever ``sklearn.set_config`` says."""
    if hasattr(transformer, "set_output"):
        transformer.set_output(transform="default")
    return transformer


def _varies(values):
    """Which columns have at least two distinct values (NaN ignored)."""
    isnan = np.isnan(values)
    return np.where(isnan, np.inf, values).min(axis=0) < np.where(isnan, -np.inf,
                                                                  values).max(axis=0)


def _constants_zeroed(values, varies):
    if varies.all():
        return values
    values = values.copy()
    values[:, ~varies] = 0
    return values


def _check_frame_shape(X, input_name="X"):
    n_samples, n_features = X.shape
    if n_samples == 0 or n_features == 0:
        raise ValueError(f"Found array with {n_samples} sample(s) and {n_features} "
                         f"feature(s) (shape={X.shape}) while a minimum of 1 is required "
                         f"by TabularPreprocessor: {input_name} is empty.")


class TabularPreprocessor(TransformerMixin, BaseEstimator):
    r"""A raw table (numeric, categorical and missing values) to one dense float array.

    The output has, in this order:

    1. **the numeric columns, scaled**: ``numeric`` fitted on each; a missing
       value becomes 0 after scaling, and a column with fewer than two
       distinct values in training becomes 0 throughout;
    2. with ``n_bins``, **their piecewise-linear encodings**
       (:class:`PiecewiseLinearEncoder`, from the raw values);
    3. with ``missing_indicator``, **a 0/1 column per numeric column that had
       missing values in training** (1 where the value is missing);
    4. **the categorical columns**: one column per level (scikit-learn's
       ``OneHotEncoder``; a missing value is a level of its own, levels beyond
       ``max_categories`` are grouped as infrequent, an unknown level reads as
       the infrequent one, else as none), except that a column with exactly
       two levels and no missing value becomes one column of :math:`-1` (first
       level, sorted) and :math:`+1` (second), 0 for an unknown level.  Every
       one of these columns is then scaled like a numeric column with
       RealMLP's rule (:class:`SmoothClipScaler`): its majority value becomes
       0, the other a number of magnitude between about 0.5 and 3.

    Unknown levels and missing values at ``transform`` never raise, and the
    output is finite.

    Parameters
    ----------
    categorical_features : 'auto', None, array-like of bool, int or str, default='auto'
        The categorical columns: ``'auto'`` takes the category, string,
        object and boolean columns of a pandas, polars or pyarrow frame (none
        of a NumPy array); else a boolean mask over the columns, their
        indices or their names (as ``HistGradientBoostingClassifier`` takes);
        ``None``: none.  Every other column must hold numbers.  Date and time
        columns raise ``TypeError``: convert them to numbers first.
    numeric : {'smooth_clip', 'quantile', 'standard'} or transformer, default='smooth_clip'
        The transformer of the numeric columns: :class:`SmoothClipScaler`
        (RealMLP), ``QuantileTransformer`` with normal output and
        :math:`\operatorname{clip}(\lfloor n/30 \rfloor, 10, 1000)` quantiles
        (TabM-D; without its noise, which needs a random state), or
        ``StandardScaler``; or an object with ``fit`` and ``transform`` that
        keeps the number of columns and ignores NaN in ``fit``, cloned.
    n_bins : int or None, default=None
        The number of bins of the :class:`PiecewiseLinearEncoder` columns
        appended for each numeric column; ``None``: none.
    max_categories : int or None, default=32
        The largest number of columns of one categorical column (the
        infrequent level included); ``None``: one per level.
    missing_indicator : bool, default=True
        Whether to add the 0/1 columns of missing numeric values.
    dtype : {'float32', 'float64'}, default='float32'
        The output's dtype.

    Attributes
    ----------
    n_numeric_ : int
        The number of leading scaled numeric columns of the output.
    numeric_columns_ : ndarray of int
        The input columns that they are, in the output's order.
    categorical_columns_ : ndarray of int
        The input columns read as categorical.
    missing_columns_ : ndarray of int
        The numeric input columns that have a missing-value indicator.
    constant_columns_ : ndarray of int
        The numeric input columns with fewer than two distinct training
        values (their scaled column is 0).
    numeric_transformer_ : transformer or None
        The fitted transformer of the numeric columns.
    bin_encoder_ : PiecewiseLinearEncoder or None
        The fitted piecewise-linear encoder, with ``n_bins``.
    categorical_encoder_ : object or None
        The fitted categorical encoding; its ``encoder_`` is the fitted
        ``OneHotEncoder`` and its ``scaler_`` the fitted
        :class:`SmoothClipScaler` of the encoded columns.
    n_features_in_ : int
        Number of features seen during ``fit``.
    feature_names_in_ : ndarray of shape (n_features,)
        Names of the features seen during ``fit``, when they are all strings.

    See Also
    --------
    sklearn.compose.ColumnTransformer : The general tool for per-column preprocessing.

    Notes
    -----
    A polars or pyarrow frame is read column by column through its own
    methods (no conversion to pandas, so pyarrow is not needed), and gives
    the same output as the same pandas frame.  Output names are the numeric
    columns' names, ``{name}_bin{t}``, ``{name}_missing`` and
    ``{name}_{level}`` (the missing level is ``None``, the infrequent one
    ``infrequent_sklearn``, a two-level column is named after its :math:`+1`
    level).

    Examples
    --------
    >>> import pandas as pd
    >>> from skfcnn.tabular import TabularPreprocessor
    >>> X = pd.DataFrame({"age": [20.0, 35.0, None, 50.0],
    ...                   "city": ["Oslo", "Rome", "Oslo", None],
    ...                   "member": [True, False, True, True]})
    >>> pre = TabularPreprocessor().fit(X)
    >>> pre.get_feature_names_out().tolist()
    ['age', 'age_missing', 'city_Oslo', 'city_Rome', 'city_None', 'member_True']
    >>> pre.transform(X).shape, pre.n_numeric_
    ((4, 6), 1)
    """

    _parameter_constraints: ClassVar[dict] = {
        "categorical_features": [None, StrOptions({"auto"}), "array-like"],
        "numeric": [StrOptions(set(NUMERIC_SCALERS)), HasMethods(["fit", "transform"])],
        "n_bins": [None, Interval(Integral, 2, None, closed="left")],
        "max_categories": [None, Interval(Integral, 2, None, closed="left")],
        "missing_indicator": ["boolean"],
        "dtype": [StrOptions({"float32", "float64"}), Options(type, {np.float32, np.float64})],
    }

    def __init__(self, *, categorical_features="auto", numeric="smooth_clip", n_bins=None,
                 max_categories=32, missing_indicator=True, dtype="float32"):
        self.categorical_features = categorical_features
        self.numeric = numeric
        self.n_bins = n_bins
        self.max_categories = max_categories
        self.missing_indicator = missing_indicator
        self.dtype = dtype

    # -- reading -----------------------------------------------------------------------------
    def _read(self, X):
        """``(X, names, kinds)``: a frame with its column names and kinds, or an array
        checked by ``check_array`` with ``None, None``."""
        frame = column_kinds(X)
        if frame is None:
            return to_array(X), None, None
        _check_frame_shape(X)
        return X, *frame

    # -- fitting -----------------------------------------------------------------------------
    def _fit_numeric(self, numeric):
        """The fitted transformer of the numeric block, and which columns vary."""
        varies = _varies(numeric)
        if isinstance(self.numeric, str):
            transformer = NUMERIC_SCALERS[self.numeric](numeric.shape[0])
        else:
            transformer = clone(self.numeric)
        transformer = _default_output(transformer).fit(_constants_zeroed(numeric, varies))
        return transformer, varies

    def _fit(self, X):
        """Fit every part, then commit them; the training data transformed."""
        X_read, names, kinds = self._read(X)
        n_features = X_read.shape[1]
        categorical = categorical_mask(self.categorical_features, kinds, names, n_features)
        numeric_columns = np.flatnonzero(~categorical)
        categorical_columns = np.flatnonzero(categorical)
        numeric = read_numeric(X_read, numeric_columns, names)
        levels = read_categorical(X_read, categorical_columns, names)
        transformer, varies = self._fit_numeric(numeric) if numeric.shape[1] else (None, None)
        bins = (_default_output(PiecewiseLinearEncoder(self.n_bins)).fit(numeric)
                if self.n_bins is not None and numeric.shape[1] else None)
        missing = (np.isnan(numeric).any(axis=0) if self.missing_indicator
                   else np.zeros(numeric.shape[1], dtype=bool))
        encoder = (CategoricalBlock(self.max_categories).fit(levels) if levels.shape[1]
                   else None)
        # -- commit: nothing above changed self ------------------------------------------------
        validate_data(self, X if names is not None else X_read, skip_check_array=True)
        self.numeric_columns_, self.categorical_columns_ = numeric_columns, categorical_columns
        self.n_numeric_ = int(numeric_columns.size)
        self.numeric_transformer_, self.bin_encoder_ = transformer, bins
        self.constant_columns_ = (numeric_columns[~varies] if varies is not None
                                  else numeric_columns)
        self.missing_columns_ = numeric_columns[missing]
        self.categorical_encoder_ = encoder
        return self._assemble(numeric, levels)

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y=None):
        """Learn each column's kind and transformation from the table ``X``.

        Parameters
        ----------
        X : data frame or array-like of shape (n_samples, n_features)
            The training table: a pandas, polars or pyarrow frame, or an array.
        y : None
            Ignored.

        Returns
        -------
        self : TabularPreprocessor
            The fitted preprocessor.
        """
        self._fit(X)
        return self

    @_fit_context(prefer_skip_nested_validation=False)
    def fit_transform(self, X, y=None):
        """Fit to ``X`` and return it transformed (as ``fit(X).transform(X)``).

        Parameters
        ----------
        X : data frame or array-like of shape (n_samples, n_features)
            The training table.
        y : None
            Ignored.

        Returns
        -------
        X_new : ndarray of shape (n_samples, n_features_out)
            The transformed table, of dtype ``dtype``.
        """
        return self._fit(X)

    # -- transforming ------------------------------------------------------------------------
    def _parts(self, numeric, levels):
        """The output's blocks, in order, each float64."""
        parts = []
        if self.n_numeric_:
            position = np.searchsorted(self.numeric_columns_, self.missing_columns_)
            indicators = np.isnan(numeric[:, position]).astype(np.float64)
            varies = ~np.isin(self.numeric_columns_, self.constant_columns_)
            scaled = np.asarray(self.numeric_transformer_.transform(
                _constants_zeroed(numeric, varies)), dtype=np.float64)
            if scaled.shape != numeric.shape:
                raise ValueError(f"numeric={self.numeric!r} changed the shape of the numeric "
                                 f"columns from {numeric.shape} to {scaled.shape}; it must "
                                 "transform each column into one.")
            scaled[:, ~varies] = 0
            scaled[np.isnan(scaled)] = 0
            parts.append(scaled)
            if self.bin_encoder_ is not None:
                parts.append(self.bin_encoder_.transform(numeric))
            parts.append(indicators)
        if self.categorical_encoder_ is not None:
            parts.append(self.categorical_encoder_.transform(levels))
        return parts

    def _assemble(self, numeric, levels):
        """The blocks side by side in one array of ``dtype``, clipped to its finite range."""
        dtype = np.dtype(self.dtype)
        parts = self._parts(numeric, levels)
        widths = [part.shape[1] for part in parts]
        out = np.empty((numeric.shape[0], sum(widths)), dtype=dtype)
        largest = np.finfo(dtype).max
        start = 0
        for part, width in zip(parts, widths):
            np.clip(part, -largest, largest, out=out[:, start : start + width])
            start += width
        return out

    def transform(self, X):
        """Transform the table ``X`` into one dense array.

        Parameters
        ----------
        X : data frame or array-like of shape (n_samples, n_features)
            A table with the training table's columns; unknown levels and
            missing values are accepted.

        Returns
        -------
        X_new : ndarray of shape (n_samples, n_features_out)
            The transformed table, of dtype ``dtype``, finite.
        """
        check_is_fitted(self)
        if frame_columns(X) is not None:  # its names first: other columns, other names
            validate_data(self, X, skip_check_array=True, reset=False)
        X_read, names, _ = self._read(X)
        if names is None:
            validate_data(self, X_read, skip_check_array=True, reset=False)
        numeric = read_numeric(X_read, self.numeric_columns_, names)
        levels = read_categorical(X_read, self.categorical_columns_, names)
        return self._assemble(numeric, levels)

    def get_feature_names_out(self, input_features=None):
        """The output columns' names (see Notes).

        Parameters
        ----------
        input_features : array-like of str or None, default=None
            The input names; by default ``feature_names_in_``, else ``x0, x1, ...``.

        Returns
        -------
        feature_names_out : ndarray of str objects
            One name per output column.
        """
        names = input_feature_names(self, input_features)
        numeric = names[self.numeric_columns_]
        parts = [numeric]
        if self.bin_encoder_ is not None:
            parts.append(self.bin_encoder_.get_feature_names_out(numeric))
        parts.append([f"{name}_missing" for name in names[self.missing_columns_]])
        if self.categorical_encoder_ is not None:
            parts.append(self.categorical_encoder_.feature_names(
                names[self.categorical_columns_]))
        return np.concatenate([np.asarray(part, dtype=object) for part in parts])

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        tags.input_tags.categorical = True
        tags.input_tags.string = True
        if self.dtype in ("float32", "float64", np.float32, np.float64):
            tags.transformer_tags.preserves_dtype = [np.dtype(self.dtype).name]
        return tags
