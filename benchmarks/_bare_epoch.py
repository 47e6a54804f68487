"""The least a NumPy loop can do for skfcnn's numbers: one epoch written out bare.

:class:`BareEpoch` trains a ReLU network with a softmax output, the log loss, the
L2 penalty (``alpha``) and Adam, by mini-batches of shuffled rows, the way
scikit-learn's MLP does, as one flat function over preallocated buffers: no
estimator, no network or loss objects, no hooks, no checkpoint, no divergence
check beyond the loss value.  It gives skfcnn's numbers bit for bit (a test holds
it to that), so its time is what the same arithmetic costs with nothing around
it.  Beside the floor (the matrix products and Adam alone) it splits the distance
from skfcnn's epoch to the floor in two:

* skfcnn / bare: what the library around the arithmetic costs (objects, hooks,
  the fit-as-a-transaction checkpoint copy);
* bare / floor: what the arithmetic that the numbers need costs beyond the
  products and Adam (the batch gather, bias adds, activations and their
  derivatives, softmax, the loss value, the L2 term and penalty).

Adam is skfcnn's own blocked update, the same code the floor times; the L2 term
(``add_weight_decay``), the layout of the flat parameter vector and the initial
weights are skfcnn's functions too, plain arithmetic with no object around it.
"""

import math
import time

import numpy as np
from scipy.special import xlogy
from sklearn.preprocessing import LabelBinarizer

from skfcnn.nn._layout import _layer_views
from skfcnn.nn.initializers import glorot_uniform
from skfcnn.nn.optimizers import Adam
from skfcnn.nn.penalty import add_weight_decay

__all__ = ["BareEpoch"]


class BareEpoch:
    """One epoch at a time of ReLU/softmax/log-loss/L2/Adam training, written bare.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        Training rows, in the dtype to train in.
    Y : ndarray of shape (n_samples, n_classes)
        One-hot targets, same dtype.
    params : ndarray of shape (n_params,)
        Starting parameters, laid out as skfcnn's network lays them out:
        ``W_1, b_1, W_2, b_2, ...``; trained in place.
    layer_sizes : sequence of int
    alpha, learning_rate, batch_size : float, float, int
    rng : numpy.random.RandomState
        Shuffles the row order before each epoch.
    """

    def __init__(self, X, Y, params, layer_sizes, alpha, learning_rate, batch_size, rng):
        self.X, self.Y, self.params, self.rng = X, Y, params, rng
        self.alpha, self.rate, self.batch = alpha, learning_rate, batch_size
        self.grad = np.zeros_like(params)
        self.W, self.b = _layer_views(params, layer_sizes)
        self.gW, self.gb = _layer_views(self.grad, layer_sizes)
        dtype, rows = X.dtype, batch_size
        self.xb = np.empty((rows, X.shape[1]), dtype)
        self.yb = np.empty((rows, Y.shape[1]), dtype)
        self.A = [np.empty((rows, n), dtype) for n in layer_sizes[1:]]
        self.D = [np.empty((rows, n), dtype) for n in layer_sizes[1:]]
        self.zeros = [np.zeros((rows, n), dtype) for n in layer_sizes[1:]]
        self.ones = np.ones(rows, dtype)
        self.scratch = np.empty(32768, dtype)  # the L2 term's block
        self.eps = np.finfo(dtype).eps
        self.order = np.arange(X.shape[0])
        self.adam = Adam()
        self.state = self.adam.init(params)

    @classmethod
    def for_data(cls, X, y, layer_sizes, settings):
        """A bare epoch for ``(X, y)`` with run.py's ``settings`` (``alpha``,
        ``learning_rate_init``, ``batch_size``, ``random_state``), after one untimed
        epoch (first touch of the buffers and of Adam's state).

        The weights and biases start as scikit-learn's for ReLU
        (:func:`~skfcnn.nn.initializers.glorot_uniform`).
        """
        rng = np.random.RandomState(settings["random_state"])
        parts = [np.concatenate([coef.ravel(), intercept]) for coef, intercept in
                 (glorot_uniform(a, b, rng, X.dtype) for a, b in
                  zip(layer_sizes[:-1], layer_sizes[1:]))]
        Y = LabelBinarizer().fit_transform(y).astype(X.dtype)
        bare = cls(X, Y, np.concatenate(parts), layer_sizes,
                   settings["alpha"], settings["learning_rate_init"], settings["batch_size"],
                   rng)
        bare()
        return bare

    def __call__(self):
        """Run one epoch; return ``(seconds, mean batch objective)``."""
        start = time.perf_counter()
        self.rng.shuffle(self.order)
        total, n_samples = 0.0, self.X.shape[0]
        for begin in range(0, n_samples, self.batch):
            index = self.order[begin : begin + self.batch]
            value = self._batch(index)
            if not math.isfinite(value):
                raise FloatingPointError(f"the loss became {value}")
            total += value * index.size
            self.adam.update(self.params, self.grad, self.rate, self.state)
        return time.perf_counter() - start, total / n_samples

    def _batch(self, index):
        """Forward, objective and gradient (into ``self.grad``) of one batch."""
        n, last = index.size, len(self.W) - 1
        X = self.X.take(index, axis=0, out=self.xb[:n], mode="clip")
        Y = self.Y.take(index, axis=0, out=self.yb[:n], mode="clip")
        acts = [X]
        for layer, (W, b) in enumerate(zip(self.W, self.b)):
            A = np.matmul(acts[-1], W, out=self.A[layer][:n])
            A += b
            if layer < last:
                np.maximum(A, self.zeros[layer][:n], out=A)
            else:  # softmax
                np.subtract(A, A.max(axis=1, keepdims=True), out=A)
                np.exp(A, out=A)
                A /= A.sum(axis=1, keepdims=True)
            acts.append(A)
        clipped = np.maximum(A, self.eps)
        np.minimum(clipped, 1 - self.eps, out=clipped)
        value = -1.0 * float(np.add.reduce(xlogy(Y, clipped), axis=None)) / n
        squares = sum(float(np.dot(W.ravel(), W.ravel())) for W in self.W)
        value += 0.5 * self.alpha * squares / n
        delta = np.subtract(A, Y, out=self.D[last][:n])
        delta /= n
        for layer in range(last, -1, -1):
            np.matmul(acts[layer].T, delta, out=self.gW[layer])
            add_weight_decay(self.W[layer], self.gW[layer], self.alpha / n, self.scratch)
            np.matmul(self.ones[:n], delta, out=self.gb[layer])
            if layer == 0:
                break
            below = np.matmul(delta, self.W[layer].T, out=self.D[layer - 1][:n])
            np.multiply(below, acts[layer] > 0, out=below)
            delta = below
        return value
