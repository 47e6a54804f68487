r"""Robust and quantile regression losses, after an identity output.

With the residual :math:`r_{ik} = t_{ik} - y_{ik}` (target minus prediction)
of sample :math:`i` and output :math:`k`, the per-sample losses are

=====================  =====================================================
loss                   per-sample loss :math:`\ell_i`
=====================  =====================================================
``absolute_error``     :math:`\sum_k \lvert r_{ik} \rvert`
``huber``              :math:`\sum_k h_{\delta_k}(r_{ik})`
``quantile``           :math:`\sum_k \rho_{q_k}(r_{ik})`
=====================  =====================================================

averaged over the samples (weighted by the sample weights) as every loss of
:mod:`skfcnn.nn.losses` is.  They are scaled like ``squared_error``
(:math:`\tfrac12 \sum_k r_{ik}^2`): a sum over the outputs, a mean over the
samples, and the factor that makes the gradient plain, so that for one output
``absolute_error`` is scikit-learn's
:func:`~sklearn.metrics.mean_absolute_error`, ``quantile`` its
:func:`~sklearn.metrics.mean_pinball_loss`, and ``huber`` is the squared
error wherever :math:`\lvert r \rvert \le \delta`.

None is differentiable everywhere: at a kink each takes the subgradient of
smallest magnitude (0 for ``absolute_error`` and ``quantile`` at
:math:`r = 0`; ``huber`` is differentiable, its second derivative jumps at
:math:`\lvert r \rvert = \delta`).  A kink is met with probability 0 on
continuous data, and a gradient check is meaningful only away from them.

Each object is registered in :data:`~skfcnn.nn.losses.LOSSES`.  The
estimator's parameters that configure one (``huber_delta``, ``quantile``)
are named by its ``estimator_parameters``; its ``configured(**values)``
returns the object with them set (the estimators' ``make_loss``
calls it).
"""

from __future__ import annotations

import copy
import math
from itertools import pairwise
from numbers import Real
from typing import ClassVar

import numpy as np
from numpy.typing import NDArray

from ._protocols import Loss

__all__ = ["AbsoluteError", "Huber", "Quantile", "weighted_quantile"]

_sums = np.add.reduce

#: Huber's tuning constant: :math:`\delta = 1.345\,\hat\sigma` keeps 95 % of the
#: least-squares efficiency under normal noise (Huber, 1981).
HUBER_TUNING = 1.345
#: :math:`\Phi^{-1}(3/4)`: the median of the absolute value of standard normal noise.
MAD_NORMAL = 0.6744897501960817


def _weights_of(sample_weight, n_samples, dtype):
    r""":math:`w_i / \sum_j w_j` as a column, or :math:`1 / n` (a scalar)."""
    if sample_weight is None:
        return dtype.type(1.0 / n_samples)
    return (sample_weight / sample_weight.sum()).astype(dtype, copy=False)[:, None]


def _mean_of_rows(per_sample, sample_weight):
    if sample_weight is None:
        return float(np.mean(per_sample))
    return float(np.dot(per_sample, sample_weight) / sample_weight.sum())


def weighted_quantile(values: NDArray, q: float, sample_weight: NDArray | None = None,
                      ) -> NDArray:
    r"""The (weighted) quantile of each column of ``values``, by the inverted CDF.

    The smallest value :math:`v_{(j)}` of the column, sorted, whose cumulative
    weight reaches the share :math:`q` of the total,

    .. math:: Q_q = v_{(j^*)}, \qquad j^* = \min\Big\{j : \sum_{l \le j} w_{(l)}
              \ge q \sum_l w_l\Big\},

    scikit-learn's ``_weighted_percentile`` rule: integer weights give exactly the quantile
    of the rows repeated, and a zero weight that of the row left out.

    Parameters
    ----------
    values : ndarray of shape (n_samples, n_columns)
    q : float
        In (0, 1).
    sample_weight : ndarray of shape (n_samples,), default=None
        Non-negative, with a positive sum; ``None`` means all ones.

    Returns
    -------
    ndarray of shape (n_columns,)
        In ``values``' dtype.
    """
    n_samples = values.shape[0]
    if sample_weight is None:  # the same rule with unit weights, in O(n)
        index = max(math.ceil(q * float(n_samples)), 1) - 1
        return np.partition(values, index, axis=0)[index]
    order = np.argsort(values, axis=0, kind="stable")
    cumulative = np.cumsum(np.asarray(sample_weight, np.float64)[order], axis=0)
    index = np.argmax(cumulative >= q * float(cumulative[-1, 0]), axis=0)
    rows = np.take_along_axis(order, index[None, :], axis=0)
    return np.take_along_axis(values, rows, axis=0)[0]


class _Configurable(Loss):
    """A loss that some of the estimator's parameters configure.

    ``estimator_parameters`` maps each such parameter's name to the attribute it
    sets; :meth:`configured` returns the loss with the values given (the object
    itself when they are its own, else a checked copy, so that a registered
    object's own attributes, e.g. a wrapped method, are kept).
    """

    estimator_parameters: ClassVar[dict] = {}

    def _checked(self, **attributes):
        """The attributes, validated and normalised (``ValueError`` otherwise)."""
        return attributes

    def configured(self, **values):
        """This loss with the estimator's parameters ``values`` (by their names)."""
        attributes = self._checked(**{self.estimator_parameters[name]: value
                                      for name, value in values.items()})
        if all(getattr(self, name) == value for name, value in attributes.items()):
            return self
        twin = copy.copy(self)
        vars(twin).update(attributes)
        return twin


class AbsoluteError(Loss):
    r"""The absolute error, :math:`\ell_i = \sum_k \lvert t_{ik} - y_{ik} \rvert`
    (median regression); after ``identity``.

    Its gradient is :math:`w_i \operatorname{sign}(y_{ik} - t_{ik}) / \sum_j w_j`,
    0 at the kink :math:`y_{ik} = t_{ik}`.
    """

    name, output_activation = "absolute_error", "identity"
    #: What early stopping watches by default: R² rewards the mean, not this fit.
    monitor = "loss"

    def per_sample(self, y_true, y_pred):
        return _sums(np.abs(y_pred - y_true), axis=1)

    def value(self, y_true, y_pred, sample_weight=None):
        return _mean_of_rows(self.per_sample(y_true, y_pred), sample_weight)

    def gradient(self, y_true, y_pred, sample_weight=None, out=None, output_activation=None):
        r""":math:`\partial L / \partial z_{ik} = w_i \operatorname{sign}(y_{ik} - t_{ik})
        / \sum_j w_j` (0 where :math:`y_{ik} = t_{ik}`)."""
        self.for_output(output_activation or self.output_activation)
        delta = np.subtract(y_pred, y_true, out=out)
        np.sign(delta, out=delta)
        delta *= _weights_of(sample_weight, delta.shape[0], delta.dtype)
        return delta


def _huber_terms(residual, threshold):
    r"""Element-wise :math:`h_\delta(r)` of ``residual`` (overwritten), by column."""
    magnitude = np.abs(residual, out=residual)
    quadratic = magnitude <= threshold
    linear = threshold * (magnitude - 0.5 * threshold)
    return np.where(quadratic, 0.5 * np.square(magnitude), linear)


class Huber(_Configurable):
    r"""The Huber loss, :math:`\ell_i = \sum_k h_{\delta_k}(t_{ik} - y_{ik})`, quadratic
    within :math:`\delta` and linear beyond; after ``identity``.

    .. math::
        h_\delta(r) = \begin{cases} \tfrac12 r^2 & \lvert r \rvert \le \delta, \\
        \delta \big(\lvert r \rvert - \tfrac12 \delta\big) & \lvert r \rvert > \delta,
        \end{cases}
        \qquad
        \frac{\partial L}{\partial z_{ik}} = \frac{w_i}{\sum_j w_j}
        \operatorname{clip}(y_{ik} - t_{ik}, -\delta_k, \delta_k).

    Parameters
    ----------
    delta : float or None, default=None
        The threshold :math:`\delta > 0`, the same for every output.  ``None``:
        :math:`\delta_k = 1.345\,\hat\sigma_k`, with :math:`\hat\sigma_k` the
        residuals' scale from their median absolute value,

        .. math:: \hat\sigma_k = \frac{\operatorname{med}_i \lvert r_{ik} \rvert}
                  {0.6745}, \qquad r_{ik} = t_{ik} - y_{ik},

        over the batch (a weighted median with the sample weights,
        :func:`weighted_quantile`), recomputed at every evaluation: the
        classic Huber tuning (95 % efficiency under normal noise) on a scale
        that up to half the residuals being gross outliers does not move,
        whatever the targets' unit.  The median is taken about 0, not about
        the residuals' own median: early in training, when every residual
        shares an offset, :math:`\delta` is large and the loss quadratic, so
        the offset is fitted fast; and one or two rows (``batch_size=1``, a
        one-row ``partial_fit``) give their own size, not 0.  (Not the 0.9
        quantile of the absolute residuals that scikit-learn's gradient
        boosting takes: with 10 % of outliers or more it lands among them.)
        The gradient holds :math:`\delta_k` constant (its own dependence on
        the parameters is left out), so it is the gradient of :meth:`frozen`'s loss.
    """

    name, output_activation = "huber", "identity"
    #: What early stopping watches by default: R² rewards the mean, not this fit.
    monitor = "loss"
    estimator_parameters: ClassVar[dict] = {"huber_delta": "delta"}

    def __init__(self, delta: float | None = None):
        self.delta = self._checked(delta=delta)["delta"]

    def _checked(self, delta):
        if delta is not None and (isinstance(delta, bool) or not isinstance(delta, Real)
                                  or not (0 < delta < math.inf)):
            raise ValueError(f"The Huber threshold must be a finite float > 0 or None "
                             f"(adaptive); got delta={delta!r}.")
        return {"delta": None if delta is None else float(delta)}

    def threshold(self, y_true, y_pred, sample_weight=None):
        r"""The :math:`\delta_k` of each output for this batch, in ``y_pred``'s dtype."""
        if self.delta is not None:
            return np.full(y_pred.shape[1], self.delta, dtype=y_pred.dtype)
        scale = weighted_quantile(np.abs(y_pred - y_true), 0.5, sample_weight)
        delta = (HUBER_TUNING / MAD_NORMAL) * scale
        return np.maximum(delta, np.finfo(delta.dtype).tiny, out=delta)  # never 0

    @property
    def adaptive_scale(self):
        """Whether the threshold adapts to the residuals (``delta=None``)."""
        return self.delta is None

    def frozen(self, y_true, y_pred, sample_weight=None):
        """This loss with its threshold held at this batch's (itself when fixed)."""
        if self.delta is not None:
            return self
        return _FrozenHuber(self.threshold(y_true, y_pred, sample_weight))

    def _per_sample(self, y_true, y_pred, threshold):
        return _sums(_huber_terms(y_pred - y_true, threshold), axis=1)

    def per_sample(self, y_true, y_pred):
        return self._per_sample(y_true, y_pred, self.threshold(y_true, y_pred))

    def value(self, y_true, y_pred, sample_weight=None):
        threshold = self.threshold(y_true, y_pred, sample_weight)
        return _mean_of_rows(self._per_sample(y_true, y_pred, threshold), sample_weight)

    def gradient(self, y_true, y_pred, sample_weight=None, out=None, output_activation=None):
        self.for_output(output_activation or self.output_activation)
        threshold = self.threshold(y_true, y_pred, sample_weight)
        delta = np.subtract(y_pred, y_true, out=out)  # out may be y_pred itself
        np.clip(delta, -threshold, threshold, out=delta)
        delta *= _weights_of(sample_weight, delta.shape[0], delta.dtype)
        return delta


class _FrozenHuber(Huber):
    """A Huber loss with one threshold per output, held fixed (for gradient checks)."""

    adaptive_scale = False

    def __init__(self, thresholds):
        self.delta, self.thresholds = None, np.asarray(thresholds)

    def threshold(self, y_true, y_pred, sample_weight=None):
        return self.thresholds.astype(y_pred.dtype, copy=False)

    def frozen(self, y_true, y_pred, sample_weight=None):
        return self


def _check_quantiles(quantile):
    """``quantile`` as a float or a tuple of floats (``ValueError`` naming it otherwise)."""
    several = isinstance(quantile, (list, tuple)) or (
        isinstance(quantile, np.ndarray) and quantile.ndim == 1)
    values = [q.item() if isinstance(q, np.generic) else q for q in quantile] if several \
        else [quantile]
    valid = (len(values) > 0 and all(
        isinstance(q, Real) and not isinstance(q, bool) and 0 < q < 1 for q in values)
        and all(a < b for a, b in pairwise(values)))
    if not valid:
        raise ValueError(
            f"The 'quantile' parameter must be a float in (0, 1) or a non-empty list of "
            f"floats in (0, 1), strictly increasing; got quantile={quantile!r}.")
    if several and len(values) > 1:
        return tuple(float(q) for q in values)
    return float(values[0])


class Quantile(_Configurable):
    r"""The pinball loss of quantile :math:`q`, :math:`\ell_i = \sum_k
    \rho_{q_k}(t_{ik} - y_{ik})`; after ``identity``.

    .. math::
        \rho_q(r) = \max\big(q r, (q - 1) r\big), \qquad
        \frac{\partial L}{\partial z_{ik}} = \frac{w_i}{\sum_j w_j} \begin{cases}
        1 - q_k & y_{ik} > t_{ik}, \\ -q_k & y_{ik} < t_{ik}, \\ 0 & y_{ik} = t_{ik},
        \end{cases}

    0 at the kink being the subgradient of smallest magnitude in
    :math:`[-q_k, 1 - q_k]` (with :math:`q = 0.5`, half ``absolute_error``'s).

    Parameters
    ----------
    quantile : float or tuple of float, default=0.5
        One :math:`q \in (0, 1)` for every output, or :math:`m` strictly
        increasing ones: the network then has :math:`m` outputs, all fitted to
        the one target column (:meth:`targets`), and the predictions of each
        row are sorted (``sorted_outputs``), which keeps the quantiles from
        crossing and never makes their pinball losses worse (the monotone
        rearrangement of Chernozhukov, Fernández-Val and Galichon, 2010);
        training minimises the plain sum of the pinball losses.
    """

    name, output_activation = "quantile", "identity"
    #: What early stopping watches by default: R² rewards the mean, not this fit.
    monitor = "loss"
    estimator_parameters: ClassVar[dict] = {"quantile": "quantile"}

    def __init__(self, quantile: float | tuple[float, ...] = 0.5):
        self.quantile = _check_quantiles(quantile)

    def _checked(self, quantile):
        return {"quantile": _check_quantiles(quantile)}

    @property
    def sorted_outputs(self):
        """Whether each row's predictions are sorted: for more than one quantile."""
        return isinstance(self.quantile, tuple)

    @property
    def multi_output(self):
        """Whether the target may have several columns: not for several quantiles
        (one output per level, for one target column)."""
        return not self.sorted_outputs

    def targets(self, Y):
        """The one target column ``Y`` repeated once per quantile (``Y`` for one)."""
        if not self.sorted_outputs:
            return Y
        if Y.shape[1] != 1:
            raise ValueError(
                f"quantile={list(self.quantile)} (several quantiles) needs a single target "
                f"column; got y with {Y.shape[1]} columns. Fit one model per column, or "
                "pass one float as quantile (one quantile for every column).")
        return np.repeat(Y, len(self.quantile), axis=1)

    def _levels(self, dtype):
        return np.asarray(self.quantile, dtype=dtype)

    def per_sample(self, y_true, y_pred):
        residual = y_true - y_pred
        q = self._levels(residual.dtype)
        return _sums(np.maximum(q * residual, (q - 1) * residual), axis=1)

    def value(self, y_true, y_pred, sample_weight=None):
        return _mean_of_rows(self.per_sample(y_true, y_pred), sample_weight)

    def gradient(self, y_true, y_pred, sample_weight=None, out=None, output_activation=None):
        self.for_output(output_activation or self.output_activation)
        delta = np.subtract(y_pred, y_true, out=out)  # out may be y_pred itself
        q = self._levels(delta.dtype)
        above, below = delta > 0, delta < 0
        np.multiply(above, 1 - q, out=delta)
        delta -= below * q
        delta *= _weights_of(sample_weight, delta.shape[0], delta.dtype)
        return delta
