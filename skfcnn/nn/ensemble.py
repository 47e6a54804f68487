r"""A BatchEnsemble of :math:`k` members in one network (TabM, Gorishniy et al., 2025).

Member :math:`i` of the ensemble is a dense network whose layer :math:`l` has the
weights :math:`W_l \odot (r_{li} s_{li}^\top)` and the bias :math:`b_l \odot s_{li} +
c_{li}`: one matrix :math:`W_l` (and :math:`b_l`) shared by every member, scaled by
the member's rank-one *adapters* :math:`r_{li}` (on the layer's input) and
:math:`s_{li}` (on its output), plus a bias :math:`c_{li}` of its own.  On a batch
of :math:`n` rows the network runs the :math:`k n` rows of every member at once,
member-major, one matrix product per layer:

.. math::
    U_i = A_{l-1,i} \odot r_{li}, \qquad Z_i = (U_i W_l + b_l) \odot s_{li} + c_{li},
    \qquad A_{l,i} = f(Z_i).

The parts are steps (:class:`EnsembleInput`, the first :math:`r`;
:class:`~skfcnn.nn.layers.MemberScaleStep`, :math:`s` and :math:`c` before each
hidden activation; :class:`~skfcnn.nn.layers.MemberAdapterStep`, the next layer's
:math:`r` after it), built when the last input step is an :class:`EnsembleInput`.
The objective is the mean of the members' losses (each member's rows against the
same targets); a prediction is the mean of the members' outputs, after the output
activation (probabilities for a classifier, logits with ``raw_output``).  Every
member trains on the same batches (TabM's *shared batches*), and the output layer is
shared too, made a head per member by its adapter drawn from :math:`\pm 1` (TabM
has :math:`k` separate heads).  The cost of a pass is that of one network on
:math:`k n` rows; the parameters are those of one network plus
:math:`k` vectors per layer.
"""

import numpy as np

from ._input_base import InputStep
from .initializers import random_signs

__all__ = ["EnsembleInput"]


class EnsembleInput(InputStep):
    r"""The input of a BatchEnsemble (TabM): :math:`k` copies of each row, member :math:`i`'s
    scaled by its adapter :math:`r_i`.

    .. math::
        u_{ib} = x_b \odot r_i, \qquad
        \frac{\partial J}{\partial r_i} = \sum_b x_b \odot g_{ib}, \qquad
        \frac{\partial J}{\partial x_b} = \sum_i g_{ib} \odot r_i,

    for member :math:`i = 1, \dots, k` and row :math:`b`: a batch of :math:`n` rows
    becomes :math:`k n` rows, member-major.  The network then runs every member at
    once, one matrix product per layer on the :math:`k n` rows, each dense layer
    shared and scaled per member (:class:`~skfcnn.nn.layers.MemberScaleStep`,
    :class:`~skfcnn.nn.layers.MemberAdapterStep`): member :math:`i`'s weights are
    :math:`W \odot (r_i s_i^\top)`.  The loss is the mean of the members' losses, the
    prediction the mean of their outputs (of their probabilities for a classifier).
    It must be the last input step.

    Parameters
    ----------
    n_members : int, default=8
        :math:`k`.
    init : {"signs", "normal"}, default="signs"
        :math:`r_i` drawn from :math:`\pm 1` (TabM's, without embeddings) or from
        :math:`\mathcal N(0, 1)` (TabM's after piecewise-linear embeddings).
    lr_factor : float, default=1.0
        The adapters' learning-rate factor (:class:`~skfcnn.nn.input_steps.InputStep`).
    """

    def __init__(self, n_members=8, *, init="signs", lr_factor=1.0):
        self.n_members, self.init, self.lr_factor = n_members, init, lr_factor

    def _members(self):
        k = self.n_members
        if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
            raise ValueError(f"EnsembleInput's n_members must be an int >= 1; got "
                             f"n_members={k!r}.")
        if self.init not in ("signs", "normal"):
            raise ValueError(f"EnsembleInput's init must be 'signs' or 'normal'; got "
                             f"init={self.init!r}.")
        return int(k)

    def parameter_shapes(self, n_inputs):
        return {"adapter": (self._members(), n_inputs)}

    def initial_values(self, rng, n_inputs):
        shape = (self._members(), n_inputs)
        if self.init == "normal":
            return {"adapter": rng.normal(0.0, 1.0, shape)}
        return {"adapter": random_signs(rng, shape)}

    def allocate(self, n_rows):
        self._out = np.empty(self._members() * n_rows * self.n_inputs, self.dtype)
        self._delta = np.empty((n_rows, self.n_inputs), self.dtype) \
            if self.needs_input_delta else None

    def forward(self, X, run):
        self._X, self._adapter = X, self.parameter_values()["adapter"]
        k, n, d = self._adapter.shape[0], X.shape[0], self.n_inputs
        out = self._out[: k * n * d].reshape(k, n, d)
        np.multiply(X[None], self._adapter[:, None, :], out=out)
        return out.reshape(k * n, d)

    def backward(self, delta, run):
        blocks = delta.reshape(self._adapter.shape[0], -1, self.n_inputs)
        np.einsum("kbj,bj->kj", blocks, self._X, out=self.grads["adapter"])
        self.scale_gradients()
        if self.needs_input_delta:
            return np.einsum("kbj,kj->bj", blocks, self._adapter,
                             out=self._delta[: blocks.shape[1]])
        return None

    def predict(self, X):
        adapter = self.parameter_values()["adapter"]
        return (X[None] * adapter[:, None, :]).reshape(-1, self.n_inputs)
