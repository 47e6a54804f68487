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

:data:`VALID_OUTPUTS` lists every supported (loss, output activation) pair.
"""

import numpy as np
from scipy.special import xlogy

__all__ = [
    "LOSSES",
    "OUTPUT_ACTIVATION_OF",
    "VALID_OUTPUTS",
    "check_loss_output",
    "loss_value",
    "output_delta",
]


# Each loss is written as element-wise terms and a scale, the per-sample loss
# being the scale times the row sums of the terms; the unweighted mean is then
# one sum over all terms.  Sums are np.add.reduce, the ufunc that ndarray.sum
# calls, without its Python wrapper (a microsecond or two: much of a tiny batch's cost).
_sums = np.add.reduce


def _squared_error_terms(y_true, y_pred):
    return 0.5, np.square(y_pred - y_true)


#: Machine epsilon of each float dtype (``np.finfo`` costs a microsecond a call).
_EPS = {np.dtype(t): np.finfo(t).eps for t in (np.float16, np.float32, np.float64)}


def _clip_probabilities(y_prob):
    """``np.clip(y_prob, eps, 1 - eps)`` as two ufunc calls, into a new array."""
    eps = _EPS.get(y_prob.dtype)
    if eps is None:
        eps = np.finfo(y_prob.dtype).eps
    clipped = np.maximum(y_prob, eps)
    return np.minimum(clipped, 1 - eps, out=clipped)


def _log_loss_terms(y_true, y_prob):
    return -1.0, xlogy(y_true, _clip_probabilities(y_prob))


def _binary_log_loss_terms(y_true, y_prob):
    y_prob = _clip_probabilities(y_prob)
    terms = xlogy(y_true, y_prob)
    terms += xlogy(1 - y_true, 1 - y_prob)
    return -1.0, terms


def _poisson_terms(y_true, y_pred):
    # half the Poisson deviance; 0 when y_pred == y_true, xlogy(0, .) = 0; the
    # prediction is floored at the smallest normal number so log stays finite
    log_pred_floor = np.maximum(y_pred, np.finfo(y_pred.dtype).tiny)
    return 1.0, xlogy(y_true, y_true) - xlogy(y_true, log_pred_floor) - y_true + y_pred


_TERMS = {
    "squared_error": _squared_error_terms,
    "log_loss": _log_loss_terms,
    "binary_log_loss": _binary_log_loss_terms,
    "poisson": _poisson_terms,
}


class _PerSample:
    """Per-sample loss ``(y_true, y_pred) -> (n_samples,)`` of one loss (picklable)."""

    def __init__(self, name):
        self.name = name

    def __call__(self, y_true, y_pred):
        scale, terms = _TERMS[self.name](y_true, y_pred)
        return scale * _sums(terms, axis=1)

    def __repr__(self):
        return f"<per-sample {self.name} loss>"


LOSSES = {name: _PerSample(name) for name in _TERMS}

#: The canonical output activation of each loss.
OUTPUT_ACTIVATION_OF = {
    "squared_error": "identity",
    "log_loss": "softmax",
    "binary_log_loss": "logistic",
    "poisson": "exp",
}

#: The output activations each loss may follow: the canonical one, and for
#: ``squared_error`` also the classifier's logistic and softmax outputs.
VALID_OUTPUTS = {
    "squared_error": frozenset({"identity", "logistic", "softmax"}),
    "log_loss": frozenset({"softmax"}),
    "binary_log_loss": frozenset({"logistic"}),
    "poisson": frozenset({"exp"}),
}


def check_loss_output(loss, output_activation):
    """Raise ``ValueError`` unless ``output_activation`` may follow ``loss``.

    Parameters
    ----------
    loss : str
        A key of :data:`LOSSES`.
    output_activation : str
        The network's output activation.
    """
    if loss not in VALID_OUTPUTS:
        raise ValueError(f"loss {loss!r} is not supported; allowed are {sorted(VALID_OUTPUTS)}.")
    if output_activation not in VALID_OUTPUTS[loss]:
        raise ValueError(
            f"loss {loss!r} cannot follow the output activation {output_activation!r}; "
            f"allowed outputs for it are {sorted(VALID_OUTPUTS[loss])}."
        )


def loss_value(loss, y_true, y_pred, sample_weight=None):
    r"""Mean (or weighted mean) loss of a batch.

    Parameters
    ----------
    loss : str
        A key of :data:`LOSSES`.
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
    scale, terms = _TERMS[loss](y_true, y_pred)
    if sample_weight is None:
        return scale * float(_sums(terms, axis=None)) / terms.shape[0]
    per_sample = scale * _sums(terms, axis=1)
    return float(np.dot(per_sample, sample_weight) / sample_weight.sum())


def output_delta(y_true, y_pred, sample_weight=None, out=None, loss=None,
                 output_activation=None):
    r"""Gradient of the batch loss with respect to the output pre-activation.

    For a canonical pair (and whenever ``loss`` or ``output_activation`` is
    not given) it is

    .. math:: \delta_{ik} = g_{ik} = \frac{w_i (y_{ik} - t_{ik})}{\sum_j w_j};

    for ``squared_error`` after a logistic or softmax output it is multiplied
    by the output's Jacobian,

    .. math::
        \delta_{ik} = g_{ik}\, y_{ik} (1 - y_{ik})
        \quad\text{or}\quad
        \delta_{ik} = y_{ik} \Big(g_{ik} - \sum_j g_{ij} y_{ij}\Big).

    Parameters
    ----------
    y_true, y_pred : ndarray of shape (n_samples, n_outputs)
        Targets and the output activation's values :math:`y`.
    sample_weight : ndarray of shape (n_samples,), default=None
    out : ndarray of shape (n_samples, n_outputs), default=None
        Buffer to write into; may be ``y_pred`` itself.
    loss : str, default=None
        A key of :data:`LOSSES`; with ``output_activation``, selects the
        Jacobian of a non-canonical pair.
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
    jacobian = None
    if loss is not None and output_activation is not None:
        if OUTPUT_ACTIVATION_OF.get(loss) != output_activation:
            check_loss_output(loss, output_activation)
            jacobian = _JACOBIANS[output_activation]
            if out is not None and np.shares_memory(out, y_pred):
                y_pred = y_pred.copy()
    delta = np.subtract(y_pred, y_true, out=out)
    if sample_weight is None:
        delta /= y_pred.shape[0]
    else:
        delta *= (sample_weight / sample_weight.sum())[:, None]
    if jacobian is not None:
        jacobian(y_pred, delta)
    return delta


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
