r"""Loss functions and their gradient with respect to the output pre-activation.

Each loss is paired with its *canonical* output activation:

=====================  ==================  =====================================
loss                   output activation   per-sample loss :math:`\ell_i`
=====================  ==================  =====================================
``squared_error``      ``identity``        :math:`\tfrac12 \sum_k (y_{ik} - t_{ik})^2`
``log_loss``           ``softmax``         :math:`-\sum_k t_{ik} \log y_{ik}`
``binary_log_loss``    ``logistic``        :math:`-\sum_k [t_{ik} \log y_{ik} + (1 - t_{ik}) \log (1 - y_{ik})]`
``poisson``            ``exp``             :math:`\sum_k [t_{ik} \log (t_{ik} / y_{ik}) - t_{ik} + y_{ik}]`
=====================  ==================  =====================================

and the robust and quantile losses ``absolute_error``, ``huber`` and
``quantile`` follow an identity output (:mod:`skfcnn.nn.robust_losses`: they
have no canonical-link gradient).

The batch loss is the (weighted) mean over samples,

.. math:: L = \frac{\sum_i w_i \ell_i}{\sum_i w_i},

with :math:`w_i = 1` when no sample weights are given.  For every canonical
pair the gradient with respect to the output pre-activation :math:`z` is the
same simple expression,

.. math:: \frac{\partial L}{\partial z_{ik}} = \frac{w_i (y_{ik} - t_{ik})}{\sum_j w_j},

so no Jacobian of the output activation is ever formed.  Probabilities are
clipped to :math:`[\epsilon, 1 - \epsilon]` (the dtype's machine epsilon) inside
the logarithms, so the loss is finite even when a probability is exactly 0 or 1.

``squared_error`` may also follow a logistic or a softmax output (the sum of
squared errors of the digits tutorial, for classification).  These pairs are
not canonical and the gradient carries the output activation's Jacobian, with
:math:`g_{ik} = w_i (y_{ik} - t_{ik}) / \sum_j w_j`:

.. math::
    \text{logistic:}\quad \frac{\partial L}{\partial z_{ik}} = g_{ik}\, y_{ik} (1 - y_{ik}),
    \qquad
    \text{softmax:}\quad \frac{\partial L}{\partial z_{ik}} =
    y_{ik} \Big(g_{ik} - \sum_j g_{ij} y_{ij}\Big).

``log_loss`` follows only a softmax: after a logistic output the log loss is
the separate ``binary_log_loss`` (a sum over independent outputs), which the
classifier picks itself for binary and multilabel targets; asking for
``log_loss`` after a logistic output is an error, not a silent substitution.

Every loss is an object (:class:`~skfcnn.nn.Loss`) holding its value and its
gradient side by side; :data:`LOSSES` maps each name to it, and calling it
gives the per-sample losses.  :data:`OUTPUT_ACTIVATION_OF` and
:data:`VALID_OUTPUTS` (every supported (loss, output activation) pair) are
derived from it.  To add a loss, subclass :class:`~skfcnn.nn.Loss` (``name``,
``output_activation``, ``per_sample`` or ``value``, and ``gradient``) and pass
the object wherever a loss is accepted, or register it,
``LOSSES["name"] = MyLoss()``.  Any object with callable ``value`` and
``gradient`` will do (:func:`get_loss`).

A loss carries the rules the estimators follow for it (:data:`LOSS_RULES`:
the targets it accepts, its outputs and their post-processing, its default
monitor, its frozen form, its tags), each with a default on
:class:`~skfcnn.nn.Loss`; :func:`loss_rule` reads one from any loss object.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from scipy.special import xlogy

from ._protocols import Loss, resolve
from ._views import ValueView
from .robust_losses import AbsoluteError, Huber, Quantile

__all__ = ["LOSSES", "LOSS_RULES", "OUTPUT_ACTIVATION_OF", "VALID_OUTPUTS", "AbsoluteError",
           "BinaryLogLoss", "Huber", "LogLoss", "Loss", "Poisson", "Quantile", "SquaredError",
           "check_loss_output", "get_loss", "loss_rule", "loss_value", "output_delta"]


# Sums are np.add.reduce, the ufunc that ndarray.sum calls, without its Python
# wrapper (a microsecond or two: much of a tiny batch's cost).
_sums = np.add.reduce

#: Machine epsilon of each float dtype (``np.finfo`` costs a microsecond a call).
_EPS = {np.dtype(t): np.finfo(t).eps for t in (np.float16, np.float32, np.float64)}


def _clip_probabilities(y_prob):
    """``np.clip(y_prob, eps, 1 - eps)`` as two ufunc calls, into a new array."""
    eps = _EPS.get(y_prob.dtype)
    if eps is None:
        eps = np.finfo(y_prob.dtype).eps
    clipped = np.maximum(y_prob, eps)
    return np.minimum(clipped, 1 - eps, out=clipped)


class _CanonicalLoss(Loss):
    r"""A built-in loss: element-wise terms and a scale, the canonical gradient.

    The per-sample loss is the scale times the row sums of the terms
    (:meth:`_terms`); the unweighted mean is then one sum over all terms.
    After its canonical output activation the gradient with respect to the
    pre-activation is :math:`g = w (y - t) / \sum w`.
    """

    def _terms(self, y_true, y_pred):
        raise NotImplementedError

    def per_sample(self, y_true, y_pred):
        scale, terms = self._terms(y_true, y_pred)
        return scale * _sums(terms, axis=1)

    def value(self, y_true, y_pred, sample_weight=None):
        scale, terms = self._terms(y_true, y_pred)
        if sample_weight is None:
            return scale * float(_sums(terms, axis=None)) / terms.shape[0]
        per_sample = scale * _sums(terms, axis=1)
        return float(np.dot(per_sample, sample_weight) / sample_weight.sum())

    def gradient(self, y_true, y_pred, sample_weight=None, out=None, output_activation=None):
        if output_activation is not None and output_activation != self.output_activation:
            self.for_output(output_activation)  # raises: only squared_error has other pairs
        return output_delta(y_true, y_pred, sample_weight, out)


class SquaredError(_CanonicalLoss):
    r"""Half the squared error, :math:`\ell_i = \tfrac12 \sum_k (y_{ik} - t_{ik})^2`;
    after ``identity`` (canonical), ``logistic`` or ``softmax``."""
    name, output_activation = "squared_error", "identity"
    outputs = frozenset({"identity", "logistic", "softmax"})

    def _terms(self, y_true, y_pred):
        return 0.5, np.square(y_pred - y_true)

    def gradient(self, y_true, y_pred, sample_weight=None, out=None, output_activation=None):
        r"""The canonical :math:`g`, times the output's Jacobian after a logistic
        or softmax output (see the module's docstring)."""
        if output_activation is None or output_activation == self.output_activation:
            return output_delta(y_true, y_pred, sample_weight, out)
        self.for_output(output_activation)
        if out is not None and np.shares_memory(out, y_pred):
            y_pred = y_pred.copy()
        delta = output_delta(y_true, y_pred, sample_weight, out)
        return _JACOBIANS[output_activation](y_pred, delta)


class LogLoss(_CanonicalLoss):
    r"""Cross-entropy of one-hot targets, :math:`\ell_i = -\sum_k t_{ik} \log y_{ik}`;
    after ``softmax``."""
    name, output_activation = "log_loss", "softmax"
    outputs = frozenset({output_activation})

    def _terms(self, y_true, y_prob):
        return -1.0, xlogy(y_true, _clip_probabilities(y_prob))


class BinaryLogLoss(_CanonicalLoss):
    r"""Cross-entropy of independent 0/1 targets, summed over the outputs; after
    ``logistic``."""
    name, output_activation = "binary_log_loss", "logistic"
    outputs = frozenset({output_activation})

    def _terms(self, y_true, y_prob):
        y_prob = _clip_probabilities(y_prob)
        terms = xlogy(y_true, y_prob)
        terms += xlogy(1 - y_true, 1 - y_prob)
        return -1.0, terms


class Poisson(_CanonicalLoss):
    r"""Half the Poisson deviance,
    :math:`\ell_i = \sum_k [t_{ik} \log (t_{ik} / y_{ik}) - t_{ik} + y_{ik}]`; after ``exp``."""
    name, output_activation = "poisson", "exp"
    outputs = frozenset({output_activation})
    #: Counts and rates: a negative target is refused by ``fit`` (``check_targets``).
    positive_only = True

    def _terms(self, y_true, y_pred):
        # 0 when y_pred == y_true, xlogy(0, .) = 0; the prediction is floored at
        # the smallest normal number so log stays finite
        log_pred_floor = np.maximum(y_pred, np.finfo(y_pred.dtype).tiny)
        return 1.0, xlogy(y_true, y_true) - xlogy(y_true, log_pred_floor) - y_true + y_pred


def _logistic_jacobian(y_pred, delta):
    r"""``delta *= y (1 - y)``, the logistic Jacobian (diagonal)."""
    delta *= y_pred
    delta *= 1 - y_pred
    return delta


def _softmax_jacobian(y_pred, delta):
    r"""``delta = y * (delta - sum_j delta_j y_j)``, the softmax Jacobian per row."""
    delta -= np.einsum("ij,ij->i", delta, y_pred)[:, None]
    delta *= y_pred
    return delta


_JACOBIANS = {"logistic": _logistic_jacobian, "softmax": _softmax_jacobian}

#: Every loss by name: the one registry; the two below are derived from it.
LOSSES = {loss.name: loss for loss in (SquaredError(), LogLoss(), BinaryLogLoss(), Poisson(),
                                       AbsoluteError(), Huber(), Quantile())}

# The views below read LOSSES at every use: a loss registered later is in them.
#: The canonical output activation of each loss, a read-only mapping.
OUTPUT_ACTIVATION_OF = ValueView(LOSSES, lambda loss: True, lambda loss: loss.output_activation)

#: The output activations each loss may follow: the canonical one, and for
#: ``squared_error`` also the classifier's logistic and softmax outputs.
VALID_OUTPUTS = ValueView(LOSSES, lambda loss: True, lambda loss: loss.outputs)

_PROTOCOL = ("an object with value(y_true, y_pred, sample_weight) and gradient(y_true, "
             "y_pred, sample_weight, out, output_activation) methods (a Loss)")


def get_loss(spec: str | Loss, name: str = "loss") -> Loss:
    """The loss object that ``spec`` stands for.

    Parameters
    ----------
    spec : str or Loss
        A key of :data:`LOSSES` (its object is returned), or an object with
        callable ``value`` and ``gradient`` (returned as it is; its
        ``output_activation`` defaults to ``"identity"``).
    name : str, default="loss"
        The argument's name in the error messages.

    Raises
    ------
    ValueError
        For a name that is not registered; TypeError for anything else.
    """
    return resolve(spec, LOSSES, ("value", "gradient"), _PROTOCOL, name,
                   lambda: sorted(LOSSES))


#: The rules a loss carries for the estimators (:class:`~skfcnn.nn.Loss` documents each).
LOSS_RULES = ("output_activation", "monitor", "positive_only", "multi_output",
              "sorted_outputs", "adaptive_scale", "check_targets", "targets", "postprocess",
              "frozen")


class _Defaults(Loss):
    """The :class:`~skfcnn.nn.Loss` defaults for a bare protocol object (no subclass)."""

    def __init__(self, loss):
        self.loss = loss

    def frozen(self, y_true, y_pred, sample_weight=None):
        return self.loss


def loss_rule(loss: str | Loss, rule: str):
    """What ``loss`` says for ``rule``, one of :data:`LOSS_RULES`.

    Its own attribute or method, or for an object that does not define it (a
    bare protocol object with ``value`` and ``gradient`` only) the default of
    :class:`~skfcnn.nn.Loss`.

    Parameters
    ----------
    loss : str or Loss
        A key of :data:`LOSSES` or a loss object (:func:`get_loss`).
    rule : str
        A name of :data:`LOSS_RULES`.

    Raises
    ------
    ValueError
        For a ``rule`` that is not one of :data:`LOSS_RULES`.
    """
    if rule not in LOSS_RULES:
        raise ValueError(f"rule={rule!r} is not a rule of a loss; allowed are {list(LOSS_RULES)}.")
    loss = get_loss(loss)
    if isinstance(loss, Loss) or hasattr(loss, rule):
        return getattr(loss, rule)
    return getattr(_Defaults(loss), rule)


def _outputs_of(loss):
    """The output activations ``loss`` may follow (defaults for a bare protocol object)."""
    outputs = getattr(loss, "outputs", None)
    return outputs if outputs is not None else {getattr(loss, "output_activation", "identity")}


def check_loss_output(loss, output_activation):
    """Raise ``ValueError`` unless ``output_activation`` may follow ``loss``.

    Parameters
    ----------
    loss : str or Loss
        A key of :data:`LOSSES` or a loss object (:func:`get_loss`).
    output_activation : str
        The network's output activation.
    """
    loss = get_loss(loss)
    outputs = _outputs_of(loss)
    if output_activation not in outputs:
        raise ValueError(
            f"loss {getattr(loss, 'name', loss)!r} cannot follow the output activation "
            f"{output_activation!r}; allowed outputs for it are {sorted(outputs)}."
        )


def loss_value(loss: str | Loss, y_true: NDArray, y_pred: NDArray,
               sample_weight: NDArray | None = None) -> float:
    r"""Mean (or weighted mean) loss of a batch.

    Parameters
    ----------
    loss : str or Loss
        A key of :data:`LOSSES` or a loss object (:func:`get_loss`).
    y_true : ndarray of shape (n_samples, n_outputs)
        Targets; one-hot or indicator rows for the log losses.
    y_pred : ndarray of shape (n_samples, n_outputs)
        Output of the network's canonical output activation.
    sample_weight : ndarray of shape (n_samples,), default=None
        Non-negative weights :math:`w_i`; ``None`` means all ones.

    Returns
    -------
    float
        :math:`\sum_i w_i \ell_i / \sum_i w_i`.
    """
    return get_loss(loss).value(y_true, y_pred, sample_weight)


def output_delta(y_true: NDArray, y_pred: NDArray, sample_weight: NDArray | None = None,
                 out: NDArray | None = None, loss: str | Loss | None = None,
                 output_activation: str | None = None) -> NDArray:
    r"""Gradient of the batch loss with respect to the output pre-activation.

    For a canonical pair (and whenever ``loss`` or ``output_activation`` is
    not given) it is

    .. math:: \delta_{ik} = g_{ik} = \frac{w_i (y_{ik} - t_{ik})}{\sum_j w_j};

    for ``squared_error`` after a logistic or softmax output it is multiplied
    by the output's Jacobian,

    .. math::
        \delta_{ik} = g_{ik}\, y_{ik} (1 - y_{ik})
        \quad\text{or}\quad
        \delta_{ik} = y_{ik} \Big(g_{ik} - \sum_j g_{ij} y_{ij}\Big);

    for any other loss object it is that object's ``gradient``.  The built-in
    losses after their canonical output take the first formula right here.

    Parameters
    ----------
    y_true, y_pred : ndarray of shape (n_samples, n_outputs)
        Targets and the output activation's values :math:`y`.
    sample_weight : ndarray of shape (n_samples,), default=None
    out : ndarray of shape (n_samples, n_outputs), default=None
        Buffer to write into; may be ``y_pred`` itself.
    loss : str or Loss, default=None
        A key of :data:`LOSSES` or a loss object; with ``output_activation``,
        selects the Jacobian of a non-canonical pair.
    output_activation : str, default=None
        The activation that produced ``y_pred``.

    Returns
    -------
    ndarray of shape (n_samples, n_outputs)

    Raises
    ------
    ValueError
        When ``output_activation`` may not follow ``loss`` (see
        :data:`VALID_OUTPUTS`).
    """
    if loss is not None:
        if not isinstance(loss, _CanonicalLoss):
            loss = get_loss(loss)
            if not isinstance(loss, _CanonicalLoss):  # a user's loss
                return _checked_gradient(
                    loss, loss.gradient(y_true, y_pred, sample_weight, out, output_activation),
                    y_pred)
        if output_activation is not None and output_activation != loss.output_activation:
            return loss.gradient(y_true, y_pred, sample_weight, out, output_activation)
    delta = np.subtract(y_pred, y_true, out=out)
    if sample_weight is None:
        delta /= y_pred.shape[0]
    else:
        delta *= (sample_weight / sample_weight.sum())[:, None]
    return delta


def _checked_gradient(loss, delta, y_pred):
    """``delta``, when it has ``y_pred``'s shape; otherwise a ``ValueError`` naming the
    loss (a wrong shape would surface as NumPy's message from a matrix product)."""
    shape = getattr(delta, "shape", None)
    if shape != y_pred.shape:
        raise ValueError(
            f"loss={loss!r}: its gradient returned {type(delta).__name__} of shape {shape}; "
            f"it must be an ndarray of shape (n_samples, n_outputs) = {y_pred.shape}, like "
            "y_pred.")
    return delta
