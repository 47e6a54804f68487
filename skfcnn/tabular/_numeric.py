r"""The numeric columns' transformers of the tabular recipe, one column at a time.

* :class:`SmoothClipScaler`: RealMLP's robust scaling with smooth clipping
  (Holzmüller et al., 2024);
* :class:`PiecewiseLinearEncoder`: the piecewise-linear encoding, version B,
  of Gorishniy et al. (2022), as ``rtdl_num_embeddings`` computes it.

Both ignore NaN when they learn their statistics and let it through at
``transform`` in their own way (NaN out of the scaler, zeros out of the
encoder); both keep a float32 input in float32.
"""

from __future__ import annotations

from numbers import Integral
from typing import ClassVar

import numpy as np
from sklearn.base import BaseEstimator, OneToOneFeatureMixin, TransformerMixin
from sklearn.utils.validation import FLOAT_DTYPES, check_is_fitted, validate_data

from ..estimators._compat import Interval, _fit_context

__all__ = ["PiecewiseLinearEncoder", "SmoothClipScaler", "input_feature_names",
           "robust_scales", "smooth_clip"]

#: The bound of ``smooth_clip``: :math:`|f(u)| < 3`.
CLIP_BOUND = 3.0


def input_feature_names(estimator, input_features=None):
    """The names of a fitted ``estimator``'s input features: ``input_features``
    checked against ``feature_names_in_`` and ``n_features_in_``, else
    ``feature_names_in_``, else ``x0, x1, ...`` (scikit-learn's rule)."""
    check_is_fitted(estimator, "n_features_in_")
    fitted = getattr(estimator, "feature_names_in_", None)
    n_features = estimator.n_features_in_
    if input_features is None:
        if fitted is not None:
            return np.asarray(fitted, dtype=object)
        return np.asarray([f"x{j}" for j in range(n_features)], dtype=object)
    input_features = np.asarray(input_features, dtype=object)
    if fitted is not None and not np.array_equal(fitted, input_features):
        raise ValueError(f"input_features is not equal to feature_names_in_: got "
                         f"{list(input_features)}, fitted on {list(fitted)}.")
    if len(input_features) != n_features:
        raise ValueError(f"input_features should have length equal to number of features "
                         f"({n_features}), got {len(input_features)}.")
    return input_features


# -- SmoothClipScaler ------------------------------------------------------------------------
def smooth_clip(u):
    r"""RealMLP's smooth clipping of ``u``, elementwise, in ``u``'s dtype; NaN stays NaN.

    .. math::

        f(u) = \frac{u}{\sqrt{1 + (u/3)^2}}
             = \operatorname{sign}(u)\,\frac{3}{\sqrt{1 + 9/u^2}} \in (-3, 3).

    :math:`f` is odd and increasing, :math:`f(u) = u - u^3/18 + O(u^5)` near
    0 and :math:`f(u) \to \pm 3` as :math:`u \to \pm\infty`.  The second form
    is what is computed: each of its steps (square, divide, add, square root,
    divide) is one correctly rounded operation that is monotone in
    :math:`|u|`, so the result is monotone in floating point too, and it
    neither overflows nor divides infinity by infinity (``u = ±inf`` gives
    ±3, ``u = 0`` gives 0).  Values that round to ±3 are set to the nearest
    float inside, so that :math:`|f(u)| < 3` holds exactly.
    """
    u = np.asarray(u)
    with np.errstate(divide="ignore", over="ignore", under="ignore", invalid="ignore"):
        values = np.square(u)
        np.divide(9, values, out=values)
        values += 1
        np.sqrt(values, out=values)
        np.divide(CLIP_BOUND, values, out=values)
        values *= np.sign(u)
    inside = np.nextafter(np.asarray(CLIP_BOUND, dtype=values.dtype), 0)
    return np.clip(values, -inside, inside, out=values)


def robust_scales(X, low=25.0, high=75.0):
    r"""Per-column centre :math:`m_j` and scale :math:`s_j` of ``X`` (NaN ignored),
    in float64.

    .. math::

        m_j = q_{50}(x_j), \qquad
        s_j = \begin{cases}
            1 / (q_\text{high}(x_j) - q_\text{low}(x_j))
                & \text{if } q_\text{high}(x_j) > q_\text{low}(x_j), \\
            2 / (\max x_j - \min x_j) & \text{else, if } \max x_j > \min x_j, \\
            0 & \text{otherwise.}
        \end{cases}

    Quantiles interpolate linearly (NumPy's default).  Differences are taken
    as halves (:math:`q_h/2 - q_l/2`), which cannot overflow; a scale beyond
    the largest float (a subnormal range) is the largest float.  A column
    without any value gets :math:`m_j = s_j = 0`.
    """
    n_features = X.shape[1]
    center, scale = np.zeros(n_features), np.zeros(n_features)
    observed = ~np.isnan(X).all(axis=0)
    if not observed.any():
        return center, scale
    values = X[:, observed].astype(np.float64)
    q_low, median, q_high = np.nanpercentile(values, [low, 50.0, high], axis=0)
    half_iqr = q_high / 2 - q_low / 2
    half_range = np.nanmax(values, axis=0) / 2 - np.nanmin(values, axis=0) / 2
    with np.errstate(divide="ignore", over="ignore"):
        scale[observed] = np.where(half_iqr > 0, 0.5 / half_iqr,
                                   np.where(half_range > 0, 1.0 / half_range, 0.0))
    center[observed] = median
    return center, np.minimum(scale, np.finfo(np.float64).max)


def _check_quantile_range(quantile_range):
    """``quantile_range`` as two floats with 0 <= low < high <= 100, else ``ValueError``."""
    try:
        low, high = (float(q) for q in quantile_range)
    except (TypeError, ValueError):
        low, high = np.nan, np.nan
    if not 0 <= low < high <= 100:
        raise ValueError(f"quantile_range must be two percentiles (low, high) with "
                         f"0 <= low < high <= 100; got {quantile_range!r}.")
    return low, high


class SmoothClipScaler(OneToOneFeatureMixin, TransformerMixin, BaseEstimator):
    r"""Robust scaling with smooth clipping: RealMLP's numeric preprocessing.

    Each column is centred on its median, scaled by its inter-quartile range
    and squashed smoothly into :math:`(-3, 3)`:

    .. math::

        u = s_j\,(x - m_j), \qquad
        f(u) = \frac{u}{\sqrt{1 + (u/3)^2}} \in (-3, 3),

    where :math:`m_j` is the training median of column :math:`j` and

    .. math::

        s_j = \begin{cases}
            1 / (q_{75,j} - q_{25,j}) & \text{if the IQR is not 0,} \\
            2 / (\max_j - \min_j) & \text{else, if the range is not 0,} \\
            0 & \text{otherwise (a constant column becomes 0).}
        \end{cases}

    :math:`f(u) \approx u` for :math:`|u| \lesssim 1`, so the bulk of a
    column keeps its shape while outliers are pulled in smoothly; the output
    is monotone in each column (``smooth_clip``).  The statistics ignore
    NaN; NaN passes through ``transform``.

    Parameters
    ----------
    quantile_range : tuple of two floats, default=(25.0, 75.0)
        The percentiles :math:`(q_\text{low}, q_\text{high})`, with
        ``0 <= low < high <= 100``, whose difference is the spread.

    Attributes
    ----------
    center_ : ndarray of shape (n_features,)
        The training medians :math:`m_j` (0 for a column without values).
    scale_ : ndarray of shape (n_features,)
        The factors :math:`s_j`.
    n_features_in_ : int
        Number of features seen during ``fit``.
    feature_names_in_ : ndarray of shape (n_features,)
        Names of the features seen during ``fit``, when they are all strings.

    See Also
    --------
    sklearn.preprocessing.RobustScaler : The same centring and scaling, without clipping.
    TabularPreprocessor : A whole table, with this scaler on its numeric columns.

    References
    ----------
    D. Holzmüller, L. Grinsztajn and I. Steinwart, "Better by default: strong
    pre-tuned MLPs and boosted trees on tabular data", NeurIPS 2024.

    Examples
    --------
    >>> import numpy as np
    >>> from skfcnn.tabular import SmoothClipScaler
    >>> X = np.array([[1.0], [2.0], [3.0], [4.0], [100.0]])
    >>> SmoothClipScaler().fit_transform(X).ravel().round(3)
    array([-0.949, -0.493,  0.   ,  0.493,  2.994])
    """

    _parameter_constraints: ClassVar[dict] = {"quantile_range": [tuple]}

    def __init__(self, quantile_range=(25.0, 75.0)):
        self.quantile_range = quantile_range

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Learn the per-column medians and scales of ``X`` (NaN ignored).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The training data.
        y : None
            Ignored.

        Returns
        -------
        self : SmoothClipScaler
            The fitted scaler.
        """
        low, high = _check_quantile_range(self.quantile_range)
        X = validate_data(self, X, dtype=FLOAT_DTYPES, ensure_all_finite="allow-nan")
        self.center_, self.scale_ = robust_scales(X, low, high)
        return self

    def transform(self, X):
        """Scale and smoothly clip ``X``, in its own float dtype.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The data to transform; NaN stays NaN.

        Returns
        -------
        X_new : ndarray of shape (n_samples, n_features)
            The values :math:`f(s_j (x - m_j))`, in :math:`(-3, 3)`.
        """
        check_is_fitted(self)
        X = validate_data(self, X, dtype=FLOAT_DTYPES, ensure_all_finite="allow-nan",
                          reset=False)
        dtype = X.dtype
        scale = np.minimum(self.scale_, np.finfo(dtype).max).astype(dtype)
        with np.errstate(over="ignore", invalid="ignore"):
            u = (X - self.center_.astype(dtype)) * scale
        constant = self.scale_ == 0  # (x - m) * 0 would be NaN where x - m overflowed
        if constant.any():
            u[:, constant] = np.where(np.isnan(X[:, constant]), np.nan, 0)
        return smooth_clip(u)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags


# -- PiecewiseLinearEncoder ------------------------------------------------------------------
def bin_edges(column, n_bins):
    """The unique quantiles at ``0, 1/n_bins, ..., 1`` of ``column``'s values (NaN ignored),
    in float64; empty when the column has no value."""
    values = column[~np.isnan(column)].astype(np.float64)
    if values.size == 0:
        return np.empty(0)
    return np.unique(np.quantile(values, np.linspace(0.0, 1.0, n_bins + 1)))


def encode_piecewise_linear(x, edges, out):
    r"""Write the encoding of the values ``x`` against ``edges`` (:math:`T + 1` of them)
    into ``out`` of shape (n, T); rows where ``x`` is NaN get zeros.

    .. math::

        e_t = \frac{x - b_{t-1}}{b_t - b_{t-1}}, \quad t = 1, \ldots, T,

    clipped to :math:`[0, 1]`, except :math:`e_1 \le 1` only and
    :math:`e_T \ge 0` only (and a single bin, :math:`T = 1`, unclipped).
    """
    if out.shape[1] == 0:
        return out
    with np.errstate(over="ignore", invalid="ignore"):
        np.subtract(x[:, None], edges[:-1], out=out)
        np.divide(out, np.diff(edges), out=out)
    if out.shape[1] > 1:
        np.minimum(out[:, 0], 1, out=out[:, 0])
        np.clip(out[:, 1:-1], 0, 1, out=out[:, 1:-1])
        np.maximum(out[:, -1], 0, out=out[:, -1])
    out[np.isnan(x)] = 0
    largest = np.finfo(out.dtype).max  # a far value over a narrow bin: keep it finite
    return np.clip(out, -largest, largest, out=out)


class PiecewiseLinearEncoder(TransformerMixin, BaseEstimator):
    r"""Piecewise-linear encoding (PLE) of numeric columns, version B.

    Column :math:`j` gets bin edges :math:`b_0 < b_1 < \cdots < b_{T_j}`, the
    distinct training quantiles at :math:`0, 1/T, \ldots, 1` (:math:`T` =
    ``n_bins``; :math:`T_j < T` where quantiles coincide), and becomes
    :math:`T_j` columns:

    .. math::

        e_t(x) = \operatorname{clip}\left(\frac{x - b_{t-1}}{b_t - b_{t-1}}\right),
        \qquad t = 1, \ldots, T_j,

    where clip is to :math:`[0, 1]` for the inner bins, to :math:`(-\infty,
    1]` for the first and to :math:`[0, \infty)` for the last, so that a value
    outside the training range extrapolates linearly.  A value in bin
    :math:`t` thus reads :math:`(1, \ldots, 1, e_t, 0, \ldots, 0)`.  With
    :math:`T_j = 1` (two distinct quantiles) the single column is the
    unclipped :math:`(x - b_0)/(b_1 - b_0)`.  A column with a single distinct
    value (or none) gives **no** columns: it carries no information.  NaN
    gives zeros in all of that column's outputs.

    Parameters
    ----------
    n_bins : int, default=16
        The number of quantile bins :math:`T` per column, at least 2.

    Attributes
    ----------
    bin_edges_ : list of ndarray
        Per input column, its :math:`T_j + 1` edges (empty for a column
        without values).
    n_bins_ : ndarray of shape (n_features,)
        Per input column, its number of output columns :math:`T_j`.
    n_features_in_ : int
        Number of features seen during ``fit``.
    feature_names_in_ : ndarray of shape (n_features,)
        Names of the features seen during ``fit``, when they are all strings.

    See Also
    --------
    sklearn.preprocessing.KBinsDiscretizer : Quantile bins as one-hot columns.
    TabularPreprocessor : A whole table, with these columns behind the scaled ones.

    References
    ----------
    Y. Gorishniy, I. Rubachev and A. Babenko, "On embeddings for numerical
    features in tabular deep learning", NeurIPS 2022.

    Examples
    --------
    >>> import numpy as np
    >>> from skfcnn.tabular import PiecewiseLinearEncoder
    >>> X = np.array([[0.0], [1.0], [2.0], [3.0], [4.0]])
    >>> encoder = PiecewiseLinearEncoder(n_bins=2).fit(X)
    >>> encoder.bin_edges_
    [array([0., 2., 4.])]
    >>> encoder.transform([[1.0], [3.0], [-2.0], [6.0], [np.nan]])
    array([[ 0.5,  0. ],
           [ 1. ,  0.5],
           [-1. ,  0. ],
           [ 1. ,  2. ],
           [ 0. ,  0. ]])
    """

    _parameter_constraints: ClassVar[dict] = {
        "n_bins": [Interval(Integral, 2, None, closed="left")]}

    def __init__(self, n_bins=16):
        self.n_bins = n_bins

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Learn the bin edges of each column of ``X`` (NaN ignored).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The training data.
        y : None
            Ignored.

        Returns
        -------
        self : PiecewiseLinearEncoder
            The fitted encoder.
        """
        X = validate_data(self, X, dtype=FLOAT_DTYPES, ensure_all_finite="allow-nan")
        self.bin_edges_ = [bin_edges(column, self.n_bins) for column in X.T]
        self.n_bins_ = np.array([max(edges.size - 1, 0) for edges in self.bin_edges_],
                                dtype=np.intp)
        return self

    def transform(self, X):
        """Encode ``X``: ``n_bins_[j]`` columns per input column ``j``, in ``X``'s dtype.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The data to encode; NaN encodes as zeros.

        Returns
        -------
        X_new : ndarray of shape (n_samples, n_outputs)
            The encodings, input column by input column.
        """
        check_is_fitted(self)
        X = validate_data(self, X, dtype=FLOAT_DTYPES, ensure_all_finite="allow-nan",
                          reset=False)
        out = np.empty((X.shape[0], int(self.n_bins_.sum())), dtype=X.dtype)
        stops = np.cumsum(self.n_bins_)
        for j, (edges, stop) in enumerate(zip(self.bin_edges_, stops)):
            encode_piecewise_linear(X[:, j], edges, out[:, stop - self.n_bins_[j] : stop])
        return out

    def get_feature_names_out(self, input_features=None):
        """``{name}_bin{t}`` for ``t < n_bins_[j]``, input column by input column.

        Parameters
        ----------
        input_features : array-like of str or None, default=None
            The input names; by default ``feature_names_in_``, else ``x0, x1, ...``.

        Returns
        -------
        feature_names_out : ndarray of str objects
            The output column names.
        """
        names = input_feature_names(self, input_features)
        return np.asarray([f"{name}_bin{t}" for name, n_bins in zip(names, self.n_bins_)
                           for t in range(n_bins)], dtype=object)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags
