r"""A dense feed-forward network whose parameters live in one flat vector.

For layer :math:`l = 1, \dots, L` with weights :math:`W_l` of shape
``(n_{l-1}, n_l)`` and bias :math:`b_l`, the forward pass is

.. math:: Z_l = A_{l-1} W_l + b_l, \qquad A_l = f_l(Z_l), \qquad A_0 = X,

with :math:`f_l` the hidden activation for :math:`l < L` and the output
activation for :math:`l = L`.  Back-propagation starts from the output error
:math:`\Delta_L = \partial J / \partial Z_L` (:func:`~skfcnn.nn.losses.output_delta`)
and runs the chain rule backwards:

.. math::
    \frac{\partial J}{\partial W_l} = A_{l-1}^\top \Delta_l + \frac{\alpha}{N} W_l,
    \qquad
    \frac{\partial J}{\partial b_l} = \mathbf 1^\top \Delta_l,
    \qquad
    \Delta_{l-1} = (\Delta_l W_l^\top) \odot f_{l-1}'(Z_{l-1}).

The objective is :math:`J = L + \frac{\alpha}{2N} \sum_l \lVert W_l \rVert_F^2`
(scikit-learn's convention: biases are not penalised, :math:`N` is the batch
size or the sum of its sample weights).

All weights and biases are reshaped *views* into one contiguous vector
``params`` (layout ``W_1, b_1, W_2, b_2, ...``) and the gradients fill a second
vector ``grad`` of the same layout, so an optimiser updates everything with a
few vectorised in-place operations.  Activation and error buffers are allocated
once for the largest batch seen and reused; no input gradient is computed for
the first layer.  The input ``X`` may be a scipy sparse matrix (CSR is
fastest); every later layer is dense.
"""

import numpy as np
from scipy.sparse import issparse

from .activations import ACTIVATIONS, DERIVATIVES
from .initializers import INITIALIZERS
from .losses import loss_value, output_delta

__all__ = ["Network"]


def _layer_views(flat, layer_sizes):
    """Split ``flat`` into per-layer weight and bias views."""
    coefs, intercepts, start = [], [], 0
    for fan_in, fan_out in zip(layer_sizes[:-1], layer_sizes[1:]):
        stop = start + fan_in * fan_out
        coefs.append(flat[start:stop].reshape(fan_in, fan_out))
        intercepts.append(flat[stop : stop + fan_out])
        start = stop + fan_out
    return coefs, intercepts


def _matmul_into(left, right, out):
    """``out[...] = left @ right``; ``left`` may be a scipy sparse matrix."""
    if issparse(left):
        out[...] = left @ right
        return out
    return np.matmul(left, right, out=out)


def n_parameters(layer_sizes):
    """Number of weights and biases of a network with these layer sizes."""
    return sum((a + 1) * b for a, b in zip(layer_sizes[:-1], layer_sizes[1:]))


class Network:
    """Dense feed-forward network over a flat parameter vector.

    Parameters
    ----------
    layer_sizes : sequence of int
        Units per layer, input and output layers included: ``(n_features,
        *hidden_layer_sizes, n_outputs)``.
    hidden_activation : str
        A key of :data:`~skfcnn.nn.activations.DERIVATIVES`.
    output_activation : str
        ``"identity"``, ``"logistic"`` or ``"softmax"``.
    dtype : numpy dtype, default=np.float64
        Dtype of the parameters and every buffer; inputs are expected in it.

    Attributes
    ----------
    params : ndarray of shape (n_params,)
        All weights and biases, contiguous.
    coefs : list of ndarray
        ``coefs[l]`` is a view of shape ``(layer_sizes[l], layer_sizes[l+1])``.
    intercepts : list of ndarray
        ``intercepts[l]`` is a view of shape ``(layer_sizes[l+1],)``.
    grad, coef_grads, intercept_grads
        The gradient vector and its views, same layout as the parameters.
    """

    def __init__(self, layer_sizes, hidden_activation, output_activation, dtype=np.float64):
        self.layer_sizes = tuple(int(n) for n in layer_sizes)
        self.hidden_activation = hidden_activation
        self.output_activation = output_activation
        self.dtype = np.dtype(dtype)
        size = n_parameters(self.layer_sizes)
        self.params = np.zeros(size, dtype=self.dtype)
        self.grad = np.zeros(size, dtype=self.dtype)
        self._build_views()

    def _build_views(self):
        self.coefs, self.intercepts = _layer_views(self.params, self.layer_sizes)
        self.coef_grads, self.intercept_grads = _layer_views(self.grad, self.layer_sizes)
        self._activations = self._deltas = None

    def __getstate__(self):
        state = self.__dict__.copy()
        for name in ("coefs", "intercepts", "coef_grads", "intercept_grads"):
            state.pop(name)
        state["_activations"] = state["_deltas"] = None
        return state

    def __setstate__(self, state):
        self.__dict__.update(state)
        self._build_views()

    @property
    def n_layers(self):
        """Number of weight layers (hidden layers + 1)."""
        return len(self.layer_sizes) - 1

    def initialize(self, rng, init="glorot_uniform"):
        """Draw every weight and bias from ``init`` using generator ``rng``."""
        initializer = INITIALIZERS[init]
        for coef, intercept in zip(self.coefs, self.intercepts):
            coef[...], intercept[...] = initializer(
                *coef.shape, rng, self.dtype, self.hidden_activation
            )
        return self

    def _activation_name(self, layer):
        return self.output_activation if layer == self.n_layers - 1 else self.hidden_activation

    def _buffers(self, n_rows):
        """Per-layer activation and error buffers with at least ``n_rows`` rows."""
        if self._activations is None or self._activations[0].shape[0] < n_rows:
            sizes = self.layer_sizes[1:]
            self._activations = [np.empty((n_rows, n), self.dtype) for n in sizes]
            self._deltas = [np.empty((n_rows, n), self.dtype) for n in sizes]
        return (
            [buf[:n_rows] for buf in self._activations],
            [buf[:n_rows] for buf in self._deltas],
        )

    def forward(self, X):
        """Forward pass into the reused buffers.

        Returns the list ``[X, A_1, ..., A_L]``; the buffers are overwritten by
        the next call, so copy what you want to keep.
        """
        activations, _ = self._buffers(X.shape[0])
        inputs = X
        for layer, out in enumerate(activations):
            _matmul_into(inputs, self.coefs[layer], out)
            out += self.intercepts[layer]
            ACTIVATIONS[self._activation_name(layer)](out)
            inputs = out
        return [X, *activations]

    def predict(self, X, raw_output=False, n_layers=None):
        """Forward pass into freshly allocated arrays (safe to keep).

        Parameters
        ----------
        X : ndarray of shape (n_samples, layer_sizes[0])
        raw_output : bool, default=False
            Return the output layer's pre-activation :math:`Z_L` (e.g. logits)
            instead of :math:`A_L`.
        n_layers : int, default=None
            Stop after this many weight layers and return that layer's
            activations (hidden-layer outputs); ``None`` means all of them.
        """
        stop = self.n_layers if n_layers is None else n_layers
        out = X
        for layer in range(stop):
            out = out @ self.coefs[layer]
            out += self.intercepts[layer]
            if not (raw_output and layer == self.n_layers - 1):
                ACTIVATIONS[self._activation_name(layer)](out)
        return out

    def penalty(self, alpha, weight_sum):
        r""":math:`\frac{\alpha}{2N} \sum_l \lVert W_l \rVert_F^2`."""
        if alpha == 0:
            return 0.0
        squares = sum(float(np.dot(c.ravel(), c.ravel())) for c in self.coefs)
        return 0.5 * alpha * squares / weight_sum

    def loss_gradient(self, X, Y, loss, alpha=0.0, sample_weight=None):
        """Objective of one batch; its gradient is written into ``grad``.

        Parameters
        ----------
        X : ndarray of shape (n_samples, layer_sizes[0])
        Y : ndarray of shape (n_samples, layer_sizes[-1])
            Targets, already encoded (one-hot for the log losses).
        loss : str
            A key of :data:`~skfcnn.nn.losses.LOSSES`, canonical for the
            output activation.
        alpha : float, default=0.0
            L2 penalty strength.
        sample_weight : ndarray of shape (n_samples,), default=None

        Returns
        -------
        float
            The batch loss plus the L2 penalty.
        """
        activations = self.forward(X)
        weight_sum = X.shape[0] if sample_weight is None else float(sample_weight.sum())
        value = loss_value(loss, Y, activations[-1], sample_weight)
        value += self.penalty(alpha, weight_sum)
        self.backward(activations, Y, alpha, sample_weight, weight_sum)
        return value

    def backward(self, activations, Y, alpha, sample_weight, weight_sum):
        """Back-propagate from the output error; fills ``grad``, updates nothing."""
        _, deltas = self._buffers(Y.shape[0])
        delta = output_delta(Y, activations[-1], sample_weight, out=deltas[-1])
        for layer in range(self.n_layers - 1, -1, -1):
            _matmul_into(activations[layer].T, delta, self.coef_grads[layer])
            if alpha:
                self.coef_grads[layer] += (alpha / weight_sum) * self.coefs[layer]
            np.sum(delta, axis=0, out=self.intercept_grads[layer])
            if layer == 0:
                break  # no gradient with respect to the input X
            previous = deltas[layer - 1]
            np.matmul(delta, self.coefs[layer].T, out=previous)
            DERIVATIVES[self.hidden_activation](activations[layer], previous)
            delta = previous
        return self.grad
