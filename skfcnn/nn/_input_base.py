"""The base class of the steps on the network's input (:mod:`skfcnn.nn.input_steps`)."""

import copy
import math

import numpy as np

from ._hyperparameters import ValueObject, check_real

__all__ = ["TWO_PI", "InputStep"]

TWO_PI = 2 * math.pi


class InputStep(ValueObject):
    r"""Base class of the steps on the network's input (:mod:`skfcnn.nn.input_steps`).

    A value object: its constructor arguments are its fields (``repr``, equality,
    ``clone``, pickling); the arrays it trains live in the network.

    Parameters
    ----------
    lr_factor : float, default=1.0
        :math:`c > 0`: the parameters are stored as :math:`\theta / c`, which makes
        Adam's steps on :math:`\theta` :math:`c` times larger.

    Attributes
    ----------
    n_inputs : int
        The width of its input.  This and the other attributes are those of
        the bound copy the network works on (:func:`bind_input_steps`).
    dtype : numpy.dtype
        The network's.
    needs_input_delta : bool
        Whether ``backward`` must return the error with respect to its input
        (``False`` for the first step: the data get no gradient).
    factor : float
        ``lr_factor`` :math:`c`, checked.
    stored, grads : dict of str to ndarray
        Views of :math:`\theta'` in ``params`` and of :math:`\partial J /
        \partial \theta'` in ``grad``, shaped as :meth:`parameter_shapes` says.
    """

    #: Rows of output per row of input (an ensemble's :math:`k`; 1 for every other step).
    n_members = 1

    def __init__(self, lr_factor=1.0):
        self.lr_factor = lr_factor

    # -- what a step declares ---------------------------------------------------------
    def n_outputs(self, n_inputs):
        """The width of the output for an input of ``n_inputs`` columns (``ValueError``
        when the step cannot take that input)."""
        return n_inputs

    def parameter_shapes(self, n_inputs):
        """``{name: shape}`` of the arrays it trains, in their order in ``params``."""
        return {}

    def initial_values(self, rng, n_inputs):
        """``{name: array}``: :math:`\\theta` at initialisation (not divided by
        ``lr_factor``), drawn from ``rng`` (a ``RandomState`` or ``Generator``)."""
        return {}

    # -- the passes (on a bound step) -----------------------------------------------
    def allocate(self, n_rows):
        """Allocate the buffers for batches of up to ``n_rows`` rows."""

    def forward(self, X, run):
        """Output of the step on the batch ``X`` (dense, never modified), kept for
        ``backward``; may be a buffer of the step, overwritten by the next call."""
        raise NotImplementedError(f"{type(self).__name__} must define forward(X, run).")

    def backward(self, delta, run):
        """Fill ``grads`` from ``delta`` (:math:`\\partial J` with respect to the last
        output); return the error with respect to the input, or ``None`` unless
        ``needs_input_delta``."""
        raise NotImplementedError(f"{type(self).__name__} must define backward(delta, run).")

    def predict(self, X):
        """Output of the step on ``X`` in a new array, keeping nothing."""
        raise NotImplementedError(f"{type(self).__name__} must define predict(X).")

    # -- the reparametrisation ------------------------------------------------------
    def _factor(self):
        return float(check_real("lr_factor", self.lr_factor, 0.0, low_closed=False))

    def parameter_values(self):
        r"""``{name: \theta}``, :math:`\theta = c\,\theta'` (the stored views themselves
        when :math:`c = 1`), read afresh: call it at the start of each pass."""
        if self.factor == 1.0:
            return self.stored
        for name, value in self._values.items():
            np.multiply(self.stored[name], self.factor, out=value)
        return self._values

    def scale_gradients(self):
        r""":math:`\partial J / \partial \theta` in ``grads`` becomes
        :math:`\partial J / \partial \theta' = c\, \partial J / \partial \theta`."""
        if self.factor != 1.0:
            for grad in self.grads.values():
                grad *= self.factor

    def bind(self, n_inputs, dtype, needs_input_delta, params, grad, start):
        """``(bound, stop)``: a copy of the step with the attributes above, its views
        ``params[start:stop]`` and ``grad[start:stop]`` (the user's object is never
        changed).  A step that prepares more (its column indices) extends it."""
        bound = copy.copy(self)
        bound.n_inputs, bound.dtype = n_inputs, np.dtype(dtype)
        bound.needs_input_delta, bound.factor = needs_input_delta, self._factor()
        bound.stored, bound.grads, bound._values = {}, {}, {}
        for name, shape in self.parameter_shapes(n_inputs).items():
            stop = start + math.prod(shape)
            bound.stored[name] = params[start:stop].reshape(shape)
            bound.grads[name] = grad[start:stop].reshape(shape)
            bound._values[name] = np.empty(shape, dtype)
            start = stop
        return bound, start
