r"""Steps on the network's input, before the first dense layer, with parameters of any shape.

A network with input steps computes

.. math:: A_0 = g_k(\cdots g_1(X)), \qquad Z_1 = A_0 W_1 + b_1, \ \dots

where each step :math:`g_i` (:class:`InputStep`) may change the width: ``layer_sizes[0]``
stays the number of raw features (what the estimators check as ``n_features_in_``),
and ``coefs[0]`` has :math:`\dim A_0` rows (:func:`dense_sizes`).  The steps' parameters
follow everything else in the flat vector (``W_1, b_1, ..., W_L, b_L``, the layer
steps' slots, then the input steps' arrays, step by step, in the order each step
declares them), so a network without input steps has the layout it always had.

Two steps from RealMLP (Holzmüller et al., 2024) are here:

* :class:`FrontScale`: :math:`y = x \odot s`, a learned scale per column;
* :class:`PeriodicEmbedding` (RealMLP's PBLD): each chosen column :math:`x` becomes
  :math:`[e, x]`, :math:`e = W_2 \cos(2\pi w_1 x + b_1) + b_2`.

**Learning-rate factors.**  A step trains a parameter :math:`\theta` through a stored
:math:`\theta' = \theta / c`, :math:`c` its ``lr_factor``, and computes with
:math:`\theta = c\,\theta'`, so that

.. math:: \frac{\partial J}{\partial \theta'} = c\, \frac{\partial J}{\partial \theta}.

The function is the same whatever :math:`c` (the initial :math:`\theta` is drawn, then
stored divided by :math:`c`); a step of size :math:`\eta` on :math:`\theta'` moves
:math:`\theta` by :math:`c\,\eta`.  Adam's step is invariant to the gradient's scale
(:math:`\Delta\theta' \approx -\eta\, \hat m / \sqrt{\hat v}`), so with Adam
:math:`\theta` moves :math:`c` times as far as with :math:`c = 1`: RealMLP's
per-parameter learning-rate factors.  (With plain SGD it moves :math:`c^2` times as
far; L-BFGS minimises the same function in rescaled coordinates.  The input steps'
parameters are neither penalised by ``alpha`` nor decayed.)

Writing a step: subclass :class:`InputStep`, declare :meth:`~InputStep.n_outputs`,
:meth:`~InputStep.parameter_shapes` and :meth:`~InputStep.initial_values`, and write
``forward``, ``backward`` and ``predict``.  The network works on a *bound* copy of
each step (:meth:`~InputStep.bind`; the user's object never holds an array):
``stored[name]`` and ``grads[name]`` are its views into ``params`` and ``grad``,
:meth:`~InputStep.parameter_values` gives :math:`\theta = c\,\theta'` and
:meth:`~InputStep.scale_gradients` turns :math:`\partial J / \partial \theta` into
:math:`\partial J / \partial \theta'`.

A third step, :class:`~skfcnn.nn.ensemble.EnsembleInput`, makes the network a
BatchEnsemble (TabM): :mod:`skfcnn.nn.ensemble`.
"""

import copy
import math

import numpy as np
from scipy.sparse import issparse

from ._hyperparameters import check_real
from ._input_base import TWO_PI, InputStep
from .ensemble import EnsembleInput

__all__ = ["INPUT_STEPS", "EnsembleInput", "FrontScale", "InputStep", "PeriodicEmbedding",
           "bind_input_steps", "dense_sizes", "n_input_parameters", "n_members"]


class FrontScale(InputStep):
    r"""A learned scale of every input column (RealMLP's front scale).

    .. math::
        y = x \odot s, \qquad
        \frac{\partial J}{\partial s} = \sum_b x_b \odot g_b, \qquad
        \frac{\partial J}{\partial x} = g \odot s,

    with :math:`g = \partial J / \partial y` and :math:`s \in \mathbb R^d` starting
    at 1 (the network is then the one without the step).

    Parameters
    ----------
    lr_factor : float, default=6.0
        RealMLP's learning-rate factor of the scale (:class:`InputStep`).
    """

    def __init__(self, lr_factor=6.0):
        self.lr_factor = lr_factor

    def parameter_shapes(self, n_inputs):
        return {"scale": (n_inputs,)}

    def initial_values(self, rng, n_inputs):
        return {"scale": np.ones(n_inputs)}

    def allocate(self, n_rows):
        self._out = np.empty((n_rows, self.n_inputs), self.dtype)
        self._delta = np.empty_like(self._out) if self.needs_input_delta else None

    def forward(self, X, run):
        self._X, self._scale = X, self.parameter_values()["scale"]
        return np.multiply(X, self._scale, out=self._out[: X.shape[0]])

    def backward(self, delta, run):
        np.einsum("bj,bj->j", self._X, delta, out=self.grads["scale"])
        self.scale_gradients()
        if self.needs_input_delta:
            return np.multiply(delta, self._scale, out=self._delta[: delta.shape[0]])
        return None

    def predict(self, X):
        return X * self.parameter_values()["scale"]


class PeriodicEmbedding(InputStep):
    r"""Periodic embeddings of chosen columns (RealMLP's PBLD), the others passed on.

    Each chosen column :math:`x` becomes four (with the defaults) columns
    :math:`[e, x]`:

    .. math::
        p = 2\pi w_1 x + b_1, \qquad h = \cos p, \qquad e = W_2 h + b_2,

    :math:`w_1, b_1 \in \mathbb R^K` (``n_frequencies``), :math:`W_2 \in
    \mathbb R^{E \times K}`, :math:`b_2 \in \mathbb R^E` (``embedding_size``),
    one set per column; no activation.  The output holds the chosen columns'
    blocks :math:`[e_1, \dots, e_E, x]` in the order of ``columns``, then the
    other columns in their order.  Initialisation (RealMLP's): :math:`w_1 \sim
    \mathcal N(0, \sigma^2)`, :math:`b_1 \sim \mathcal U[-\pi, \pi]`,
    :math:`W_2, b_2 \sim \mathcal U[-\tfrac14, \tfrac14]`.  With :math:`g =
    \partial J / \partial e` and :math:`g_x` the error of the copied :math:`x`:

    .. math::
        \frac{\partial J}{\partial b_2} = \sum_b g, \quad
        \frac{\partial J}{\partial W_2} = \sum_b g\, h^\top, \quad
        \delta_p = -\sin p \odot W_2^\top g, \quad
        \frac{\partial J}{\partial b_1} = \sum_b \delta_p, \quad
        \frac{\partial J}{\partial w_1} = \sum_b 2\pi x\, \delta_p,

    and :math:`\partial J / \partial x = g_x + 2\pi\, w_1^\top \delta_p`.  The arrays
    hold one entry per chosen column :math:`j`: ``frequencies[j]`` :math:`= w_1`,
    ``phases[j]`` :math:`= b_1`, ``weights[j]`` :math:`= W_2` (shape ``(E, K)``) and
    ``biases[j]`` :math:`= b_2`.

    Parameters
    ----------
    columns : sequence of int, default=None
        The input columns to embed (the numeric ones), each once; ``None``: all.
    n_frequencies : int, default=16
        :math:`K`.
    embedding_size : int, default=3
        :math:`E`; each chosen column gives :math:`E + 1` columns.
    sigma : float, default=0.1
        The standard deviation of the initial frequencies :math:`w_1`.
    lr_factor : float, default=0.1
        RealMLP's learning-rate factor of the embeddings (:class:`InputStep`).
    """

    def __init__(self, columns=None, *, n_frequencies=16, embedding_size=3, sigma=0.1,
                 lr_factor=0.1):
        self.columns, self.n_frequencies, self.embedding_size = columns, n_frequencies, \
            embedding_size
        self.sigma, self.lr_factor = sigma, lr_factor

    def _check(self, n_inputs):
        """``(embedded, passed)`` column indices; ``ValueError`` naming a bad argument."""
        for name in ("n_frequencies", "embedding_size"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) \
                    or value < 1:
                raise ValueError(f"PeriodicEmbedding's {name} must be an int >= 1; got "
                                 f"{name}={value!r}.")
        check_real("sigma", self.sigma, 0.0, low_closed=False)
        columns = range(n_inputs) if self.columns is None else self.columns
        valid = not isinstance(columns, (str, bytes)) and all(
            isinstance(j, (int, np.integer)) and not isinstance(j, bool) and 0 <= j < n_inputs
            for j in columns)
        embedded = np.asarray(list(columns) if valid else [], dtype=np.intp)
        if not valid or len(set(embedded.tolist())) != len(embedded):
            raise ValueError(f"PeriodicEmbedding's columns must be distinct column indices "
                             f"in [0, {n_inputs}) of the input (or None: all); got "
                             f"columns={self.columns!r}.")
        return embedded, np.setdiff1d(np.arange(n_inputs), embedded)

    def n_outputs(self, n_inputs):
        embedded, passed = self._check(n_inputs)
        return len(embedded) * (int(self.embedding_size) + 1) + len(passed)

    def parameter_shapes(self, n_inputs):
        m, k, e = len(self._check(n_inputs)[0]), int(self.n_frequencies), \
            int(self.embedding_size)
        return {"frequencies": (m, k), "phases": (m, k), "weights": (m, e, k),
                "biases": (m, e)}

    def initial_values(self, rng, n_inputs):
        shapes = self.parameter_shapes(n_inputs)
        return {"frequencies": rng.normal(0.0, self.sigma, shapes["frequencies"]),
                "phases": rng.uniform(-math.pi, math.pi, shapes["phases"]),
                "weights": rng.uniform(-0.25, 0.25, shapes["weights"]),
                "biases": rng.uniform(-0.25, 0.25, shapes["biases"])}

    def bind(self, n_inputs, dtype, needs_input_delta, params, grad, start):
        bound, stop = super().bind(n_inputs, dtype, needs_input_delta, params, grad, start)
        bound._embedded, bound._passed = self._check(n_inputs)
        bound._width = self.n_outputs(n_inputs)
        bound._size = int(self.embedding_size)
        bound._angular = np.empty(bound.stored["frequencies"].shape, dtype)  # 2 pi w_1
        return bound, stop

    # Layout: one (K, rows) matrix per chosen column, so that every element-wise pass
    # runs along the rows and every product is a batch of matrix products by BLAS.
    def allocate(self, n_rows):
        m, e, k = self.stored["weights"].shape
        self._buffers = {name: np.empty(size, self.dtype) for name, size in (
            ("x", m * n_rows), ("p", m * k * n_rows), ("h", m * k * n_rows),
            ("e", m * e * n_rows), ("ones", n_rows), ("out", n_rows * self._width))}
        self._buffers["ones"][...] = 1
        self._delta = np.empty((n_rows, self.n_inputs), self.dtype) \
            if self.needs_input_delta else None

    def _arrays(self, n_rows, fresh=False):
        """``x (m, n)`` (the chosen columns, transposed), ``p, h (m, K, n)``, ``e (m, E,
        n)``, ``ones (n, 1)`` and ``out (n, width)``: views of the buffers, or new arrays."""
        m, e, k = self.stored["weights"].shape
        shapes = {"x": (m, n_rows), "p": (m, k, n_rows), "h": (m, k, n_rows),
                  "e": (m, e, n_rows), "ones": (n_rows, 1), "out": (n_rows, self._width)}
        if fresh:
            return {name: np.empty(shape, self.dtype) for name, shape in shapes.items()}
        return {name: self._buffers[name][: math.prod(shape)].reshape(shape)
                for name, shape in shapes.items()}

    def _embed(self, X, arrays):
        """The forward pass into ``arrays`` (:meth:`_arrays`); returns ``out``."""
        values = self._values_now = self.parameter_values()
        x, p, h, e, out = (arrays[name] for name in ("x", "p", "h", "e", "out"))
        m, size = len(self._embedded), self._size
        np.take(X.T, self._embedded, axis=0, out=x, mode="clip")
        np.multiply(values["frequencies"], TWO_PI, out=self._angular)
        np.multiply(self._angular[:, :, None], x[:, None, :], out=p)
        p += values["phases"][:, :, None]
        np.cos(p, out=h)
        np.matmul(values["weights"], h, out=e)  # W_2 h, column by column
        e += values["biases"][:, :, None]
        blocks = out[:, : m * (size + 1)].reshape(len(X), m, size + 1)
        np.copyto(blocks[:, :, :size], e.transpose(2, 0, 1))
        np.copyto(blocks[:, :, size], x.T)
        if len(self._passed):
            out[:, m * (size + 1):] = X[:, self._passed]
        return out

    def forward(self, X, run):
        self._arrays_now = self._arrays(X.shape[0])
        return self._embed(X, self._arrays_now)

    def predict(self, X):
        return self._embed(X, self._arrays(X.shape[0], fresh=True))

    def backward(self, delta, run):
        arrays, values, grads = self._arrays_now, self._values_now, self.grads
        x, p, h, g, ones = (arrays[name] for name in ("x", "p", "h", "e", "ones"))
        m, size = len(self._embedded), self._size
        blocks = delta[:, : m * (size + 1)].reshape(len(delta), m, size + 1)
        np.copyto(g, blocks[:, :, :size].transpose(1, 2, 0))
        np.matmul(g, ones, out=grads["biases"][:, :, None])  # sums over the rows by BLAS
        np.matmul(g, h.transpose(0, 2, 1), out=grads["weights"])
        np.negative(g, out=g)
        np.matmul(values["weights"].transpose(0, 2, 1), g, out=h)  # -W_2^T g
        h *= np.sin(p, out=p)  # delta_p
        np.matmul(h, ones, out=grads["phases"][:, :, None])
        np.matmul(h, x[:, :, None], out=grads["frequencies"][:, :, None])
        grads["frequencies"] *= TWO_PI
        self.scale_gradients()
        if not self.needs_input_delta:
            return None
        out = self._delta[: len(delta)]
        through = np.matmul(self._angular[:, None, :], h)[:, 0, :]  # 2 pi w_1^T delta_p
        out[:, self._embedded] = blocks[:, :, size] + through.T
        if len(self._passed):
            out[:, self._passed] = delta[:, m * (size + 1):]
        return out


#: The input steps by name (the classes; the files that save a model name them here).
INPUT_STEPS = {"front_scale": FrontScale, "periodic_embedding": PeriodicEmbedding,
               "ensemble": EnsembleInput}


def check_input_steps(steps):
    """``steps`` as a tuple of private copies (later changes to the user's objects
    change no network); ``TypeError`` naming one that is not an :class:`InputStep`."""
    if not isinstance(steps, (list, tuple)):
        raise TypeError(f"input_steps must be a list or tuple of input steps; got {steps!r}.")
    for step in steps:
        if not isinstance(step, InputStep):
            raise TypeError(f"Each of input_steps must be an InputStep (skfcnn.nn."
                            f"InputStep, e.g. FrontScale()); got {step!r}.")
    if any(step.n_members != 1 for step in steps[:-1]):
        raise ValueError(f"An EnsembleInput must be the last of input_steps; got "
                         f"input_steps={list(steps)!r}.")
    return tuple(copy.deepcopy(step) for step in steps)


def n_members(input_steps):
    """The ensemble's number of members :math:`k` (1 without an :class:`EnsembleInput`)."""
    last = input_steps[-1] if input_steps else None
    return last._members() if isinstance(last, EnsembleInput) else 1


def dense_sizes(layer_sizes, input_steps):
    """The layer sizes of the dense layers: ``layer_sizes`` with the width after the
    input steps first (``layer_sizes`` itself without steps)."""
    width = layer_sizes[0]
    for step in input_steps:
        width = int(step.n_outputs(width))
    return layer_sizes if not input_steps else (width, *layer_sizes[1:])


def n_input_parameters(input_steps, n_features):
    """Number of parameters of the input steps on ``n_features`` raw features."""
    total, width = 0, n_features
    for step in input_steps:
        total += sum(math.prod(shape) for shape in step.parameter_shapes(width).values())
        width = step.n_outputs(width)
    return total


def bind_input_steps(input_steps, n_features, dtype, params, grad, start):
    """Bound copies of the steps, with their views from ``params[start:]`` and
    ``grad[start:]``; the first computes no input delta."""
    bound, width = [], n_features
    for index, step in enumerate(input_steps):
        twin, start = step.bind(width, dtype, index > 0, params, grad, start)
        bound.append(twin)
        width = step.n_outputs(width)
    return bound


def initialize_input_steps(bound_steps, rng):
    r"""Draw every step's :math:`\theta` from ``rng`` and store :math:`\theta / c`."""
    for step in bound_steps:
        for name, value in step.initial_values(rng, step.n_inputs).items():
            step.stored[name][...] = np.asarray(value, np.float64) / step.factor


def forward_inputs(bound_steps, X, run):
    """``X`` (a sparse batch as a dense array) through the steps, kept for backward."""
    X = X.toarray() if issparse(X) else X
    for step in bound_steps:
        X = step.forward(X, run)
    return X


def backward_inputs(bound_steps, delta, run):
    """The steps' gradients from ``delta``, the error with respect to their output."""
    for step in reversed(bound_steps):
        delta = step.backward(delta, run)


def predict_inputs(bound_steps, X):
    """``X`` through the steps at prediction time, into new arrays (``X`` itself
    without steps)."""
    if bound_steps and issparse(X):
        X = X.toarray()
    for step in bound_steps:
        X = step.predict(X)
    return X
