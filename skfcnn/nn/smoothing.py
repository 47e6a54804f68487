r"""Label smoothing: the log loss against targets pulled towards the uniform ones.

With smoothing :math:`\varepsilon \in [0, 1)`, the targets of a softmax output
over :math:`K` classes become

.. math:: \tilde t_{ik} = (1 - \varepsilon)\, t_{ik} + \varepsilon / K,

and those of a logistic output (binary or multilabel: each output a two-class
problem) :math:`\tilde t_{ik} = (1 - \varepsilon)\, t_{ik} + \varepsilon / 2`.
The per-sample loss is the cross-entropy against them,

.. math::
    \ell_i = -\sum_k \tilde t_{ik} \log y_{ik}
    \quad\text{or}\quad
    \ell_i = -\sum_k \bigl[\tilde t_{ik} \log y_{ik} + (1 - \tilde t_{ik}) \log (1 - y_{ik})\bigr],

and after its canonical output the gradient with respect to the output
pre-activation keeps the canonical form :math:`w_i (y_{ik} - \tilde t_{ik}) /
\sum_j w_j`.  The model is no longer pushed to put all the mass on one class
(Szegedy et al., 2016); RealMLP uses :math:`\varepsilon = 0.1` (Holzmüller et
al., 2024).  :math:`\varepsilon = 0` is the plain log loss.
"""

from __future__ import annotations

from numpy.typing import NDArray

from ._hyperparameters import check_real
from ._protocols import Loss
from .losses import LOSSES, output_delta

__all__ = ["LabelSmoothing"]

#: The plain log loss of each output this loss may follow.
_PLAIN = {"softmax": "log_loss", "logistic": "binary_log_loss"}


class LabelSmoothing(Loss):
    r"""The log loss with smoothed targets (see :mod:`skfcnn.nn.smoothing`).

    Pass it as a classifier's ``loss``; the classifier binds it to its output
    (softmax for multiclass targets, logistic for binary and multilabel ones)
    through :meth:`for_output`.

    Parameters
    ----------
    smoothing : float, default=0.1
        :math:`\varepsilon \in [0, 1)`.
    output_activation : {"softmax", "logistic"}, default="softmax"
        The output it follows, which sets :math:`K` (softmax) or 2 (logistic).
    """

    name = "label_smoothing"
    outputs = frozenset(_PLAIN)
    monitor = "loss"

    def __init__(self, smoothing=0.1, output_activation="softmax"):
        check_real("smoothing", smoothing, 0.0, 1.0, high_closed=False)
        if output_activation not in _PLAIN:
            raise ValueError(f"The 'output_activation' parameter of LabelSmoothing must be one "
                             f"of {sorted(_PLAIN)}; got {output_activation!r}.")
        self.smoothing = smoothing
        self.output_activation = output_activation

    def for_output(self, output_activation):
        """This loss after ``output_activation`` (a copy bound to it)."""
        if output_activation == self.output_activation:
            return self
        super().for_output(output_activation)  # raises for an output not in ``outputs``
        return type(self)(self.smoothing, output_activation)

    def smoothed(self, y_true: NDArray) -> NDArray:
        r"""The targets :math:`\tilde t` (a new array of ``y_true``'s dtype)."""
        classes = y_true.shape[1] if self.output_activation == "softmax" else 2
        return y_true * (1.0 - self.smoothing) + self.smoothing / classes

    def per_sample(self, y_true, y_pred):
        return LOSSES[_PLAIN[self.output_activation]].per_sample(self.smoothed(y_true), y_pred)

    def value(self, y_true, y_pred, sample_weight=None):
        plain = LOSSES[_PLAIN[self.output_activation]]
        return plain.value(self.smoothed(y_true), y_pred, sample_weight)

    def gradient(self, y_true, y_pred, sample_weight=None, out=None, output_activation=None):
        if output_activation is not None and output_activation != self.output_activation:
            return self.for_output(output_activation).gradient(y_true, y_pred, sample_weight,
                                                               out)
        targets = self.smoothed(y_true).astype(y_pred.dtype, copy=False)
        return output_delta(targets, y_pred, sample_weight, out)

