"""The machine's limit: ``numpy.matmul`` alone on the shapes of one training epoch.

For each mini-batch of a network with layer sizes :math:`n_0, \\dots, n_L` the
work that cannot be avoided is, per layer :math:`l`,

* forward :math:`Z_l = A_{l-1} W_l` (``(b, n_{l-1}) @ (n_{l-1}, n_l)``),
* weight gradient :math:`A_{l-1}^\\top \\Delta_l` (``(n_{l-1}, b) @ (b, n_l)``,
  the transpose a view, as a training loop has it),
* error of the layer below :math:`\\Delta_l W_l^\\top` (``(b, n_l) @ (n_l, n_{l-1})``)
  for every layer but the first (no gradient with respect to the input),

each :math:`2 b\\, n_{l-1} n_l` floating-point operations.  The first layer
reads real rows of ``X`` (consecutive slices, one per batch) so that its input
comes from memory as in training; the other operands are fixed random arrays.
Every product writes into a preallocated ``out=`` buffer.
"""

import functools

import numpy as np
from _common import best_of, seconds  # a sibling module: run.py put this folder on sys.path

from skfcnn.nn.optimizers import Adam

__all__ = ["FloorClock", "adam_epoch_seconds", "batch_sizes", "epoch_flops",
           "matmul_epoch_seconds"]


def batch_sizes(n_samples, batch_size):
    """Sizes of the mini-batches of one epoch (the last one may be smaller)."""
    full, rest = divmod(n_samples, batch_size)
    return [batch_size] * full + ([rest] if rest else [])


def epoch_flops(layer_sizes, sizes):
    """Floating-point operations of the matrix products of one epoch."""
    pairs = list(zip(layer_sizes[:-1], layer_sizes[1:]))
    per_row = sum(2 * a * b for a, b in pairs)  # forward
    per_row += sum(2 * a * b for a, b in pairs)  # weight gradients
    per_row += sum(2 * a * b for a, b in pairs[1:])  # errors of the layers below
    return per_row * sum(sizes)


def _operands(X, layer_sizes, batch_size, rng):
    """Fixed random weights, layer outputs and errors, and the output buffers."""
    dtype = X.dtype
    def random(*shape):
        return rng.standard_normal(shape).astype(dtype)
    weights = [random(a, b) for a, b in zip(layer_sizes[:-1], layer_sizes[1:])]
    activations = [random(batch_size, n) for n in layer_sizes[1:]]  # outputs of each layer
    deltas = [random(batch_size, n) for n in layer_sizes[1:]]
    grads = [np.empty_like(w) for w in weights]
    lower = [np.empty((batch_size, n), dtype) for n in layer_sizes[:-1]]
    return weights, activations, deltas, grads, lower


def _one_epoch(X, sizes, weights, activations, deltas, grads, lower):
    """Every matrix product of one epoch, the first layer's input read from ``X``."""
    begin = 0
    n_layers = len(weights)
    for size in sizes:
        inputs = [X[begin : begin + size]] + [a[:size] for a in activations[:-1]]
        for layer in range(n_layers):
            np.matmul(inputs[layer], weights[layer], out=activations[layer][:size])
        for layer in range(n_layers - 1, -1, -1):
            delta = deltas[layer][:size]
            np.matmul(inputs[layer].T, delta, out=grads[layer])
            if layer:
                np.matmul(delta, weights[layer].T, out=lower[layer][:size])
        begin += size


def matmul_epoch_seconds(X, layer_sizes, batch_size, repeats):
    """Best-of-``repeats`` seconds of one epoch's matrix products on ``X`` (its dtype).

    One untimed epoch first (BLAS thread start-up, page faults of the buffers).
    """
    X = np.ascontiguousarray(X)
    sizes = batch_sizes(X.shape[0], batch_size)
    operands = _operands(X, layer_sizes, batch_size, np.random.default_rng(0))
    _one_epoch(X, sizes, *operands)
    return best_of(repeats, _one_epoch, X, sizes, *operands)


def adam_epoch_seconds(n_params, n_batches, dtype, repeats):
    """Best-of-``repeats`` seconds of ``n_batches`` skfcnn Adam steps on ``n_params``.

    The other work of a training epoch that no implementation over NumPy can
    skip: one optimiser update per batch.  Added to the matrix products it
    bounds the share of the matmul rate that any NumPy training loop can reach
    with Adam, whatever it does about everything else.
    """
    rng = np.random.default_rng(0)
    params = rng.standard_normal(n_params).astype(dtype)
    grad = (1e-3 * rng.standard_normal(n_params)).astype(dtype)
    step = _adam_step(params, grad)
    step()  # untimed: the first step pays for the state's first touch
    return best_of(repeats, _steps, step, n_batches)


def _adam_step(params, grad):
    """One in-place Adam step of ``params`` at learning rate 1e-3, as a function.

    skfcnn 0.1's optimisers keep their state on themselves (``init`` returns
    the optimiser, ``update(params, grad, rate)``); later ones keep it apart
    (``update(params, grad, rate, state)``).  Both are accepted so that the
    bound can be measured on either side of that change.
    """
    adam = Adam()
    state = adam.init(params)
    if state is adam:
        return functools.partial(adam.update, params, grad, 1e-3)
    return functools.partial(adam.update, params, grad, 1e-3, state)


def _steps(step, n_batches):
    """``n_batches`` calls of ``step``: one epoch's optimiser updates."""
    for _ in range(n_batches):
        step()


class FloorClock:
    """The floor of one epoch, measured afresh at each call: ``(matmul, adam)`` seconds.

    The operands are made once (and one untimed epoch of each runs first); each
    call times one epoch of the matrix products on ``X`` and one epoch's Adam
    steps, so that the floor can be measured in the same loop as the fits it
    bounds, as often as they are.
    """

    def __init__(self, X, layer_sizes, batch_size, n_params):
        self.X = np.ascontiguousarray(X)
        self.sizes = batch_sizes(self.X.shape[0], batch_size)
        self.operands = _operands(self.X, layer_sizes, batch_size, np.random.default_rng(0))
        rng = np.random.default_rng(0)
        params = rng.standard_normal(n_params).astype(self.X.dtype)
        grad = (1e-3 * rng.standard_normal(n_params)).astype(self.X.dtype)
        self.step = _adam_step(params, grad)
        _one_epoch(self.X, self.sizes, *self.operands)
        self.step()

    def __call__(self):
        matmul = seconds(_one_epoch, self.X, self.sizes, *self.operands)
        return matmul, seconds(_steps, self.step, len(self.sizes))
