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

All weights and biases are *views* into one vector ``params`` (layout ``W_1,
b_1, W_2, b_2, ...``), the gradients fill ``grad`` of the same layout, so an
optimiser updates everything in a few in-place passes.  Buffers are allocated
once for the largest batch seen and reused (:meth:`Network.release_buffers`);
no input gradient is computed for the first layer.  ``X`` may be a scipy
sparse matrix (CSR is fastest).

Each hidden layer is a short list of steps after its dense part
(:mod:`skfcnn.nn.layers`), built once; the options add steps, all off by
default (and then costing nothing: the loops call the activations directly):

* one activation per hidden layer (``hidden_activation`` a sequence), each a
  registered name or an activation object (:class:`~skfcnn.nn.Activation`);
* inverted dropout on the hidden outputs at training time
  (:mod:`skfcnn.nn.dropout`): :math:`A_l \leftarrow A_l \odot M_l`, and
  :math:`\Delta_l` is multiplied by the same mask;
* batch normalisation of every hidden pre-activation before its activation
  (:mod:`skfcnn.nn.batch_norm`): :math:`A_l = f_l(\gamma_l \hat Z_l + \beta_l)`.

The steps' own parameters (:class:`~skfcnn.nn.layers.Slot`; batch norm's
:math:`\gamma_l, \beta_l`) follow all weights and biases in ``params`` (``...,
W_L, b_L, gamma_1, beta_1, gamma_2, ...``), never penalised; their running state
lives in lists named by the step (``running_means``), pickled with the network.

Steps on the input (``input_steps``, :mod:`skfcnn.nn.input_steps`: a front scale,
periodic embeddings) run before the first dense layer: :math:`A_0 = g(X)`, whose width
``coefs[0]`` has (``layer_sizes[0]`` stays the number of raw features); their arrays
come last in ``params``.  Training mode (dropout, batch statistics) is
``training=True``; :meth:`Network.predict` never drops units and uses the running
statistics.  The loss is a registered name or a :class:`~skfcnn.nn.Loss`.
"""

from __future__ import annotations

from collections.abc import Sequence
from numbers import Real

import numpy as np
from numpy.typing import DTypeLike, NDArray

from . import input_steps as inputs
from . import layers
from ._blocks import product_for
from ._buffers import Buffers
from ._layout import (_layer_views, bind_steps, copied_arrays, n_parameters,
                      n_step_parameters, new_running_state, reset_steps, slot_lists,
                      weight_mask)
from ._protocols import Activation
from ._state_checks import checked_network_state
from .activations import ACTIVATIONS, _is_activation, check_hidden_activations, get_activation
from .dropout import check_dropout
from .initializers import INITIALIZERS, init_activation
from .losses import Loss, check_loss_output, get_loss, output_delta
from .penalty import add_weight_decay, l2_penalty

__all__ = ["Network"]

#: Rows per chunk of :meth:`Network.predict` on many rows: each layer's output
#: for a chunk stays in cache between the product, the bias and the activation.
PREDICT_CHUNK = 4096

#: Views, steps, buffers, per-batch state (and the ``_view_names`` lists): never pickled.
_TRANSIENT = frozenset({
    "coefs", "intercepts", "coef_grads", "intercept_grads", "hidden_steps", "_modes", "_mode",
    "_plain", "_pass", "_output", "_activations", "_deltas", "_scratch", "_row_views",
    "_decay_scratch", "_ones", "_view_names", "dense_sizes", "bound_input_steps",
    "_input_delta", "n_members",
})


class Network(Buffers):
    r"""Dense feed-forward network over a flat parameter vector.

    Parameters
    ----------
    layer_sizes : sequence of int
        Units per layer, input and output layers included: ``(n_features,
        *hidden_layer_sizes, n_outputs)``; ``n_features`` is the width of ``X``,
        before any input step.
    hidden_activation : str, Activation or sequence of them
        For every hidden layer, or one per hidden layer: a hidden activation
        of :data:`~skfcnn.nn.activations.ACTIVATIONS` or an activation object
        (:func:`~skfcnn.nn.activations.get_activation`).
    output_activation : str
        A key of :data:`~skfcnn.nn.activations.ACTIVATIONS`: ``"identity"``,
        ``"logistic"``, ``"softmax"`` or ``"exp"``.
    dtype : numpy dtype, default=np.float64
        Dtype of the parameters and every buffer; inputs are expected in it.
    dropout : float or sequence of float, default=0.0
        Dropout rate in :math:`[0, 1)` of every hidden layer's output, or one
        per hidden layer; applied only in training mode.
    batch_norm : bool, default=False
        Normalise every hidden pre-activation (batch statistics in training
        mode, running statistics otherwise).
    input_steps : sequence of InputStep, default=()
        Steps from ``X`` to the first dense layer (:mod:`skfcnn.nn.input_steps`),
        kept as private copies (the ``input_steps`` attribute, a tuple).

    Attributes
    ----------
    params : ndarray of shape (n_params,)
        All weights and biases, then the layer steps' parameters (batch-norm
        :math:`\gamma, \beta`), then the input steps'; contiguous.
    coefs : list of ndarray
        ``coefs[l]`` is a view of shape ``(dense_sizes[l], dense_sizes[l+1])``.
    intercepts : list of ndarray
        ``intercepts[l]`` is a view of shape ``(layer_sizes[l+1],)``.
    dense_sizes : tuple of int
        ``layer_sizes`` with the width after the input steps first.
    bound_input_steps : list of InputStep
        The working copies of the input steps, holding their views of ``params``.
    bn_gammas, bn_betas : list of ndarray
        Views of one vector per hidden layer (empty without ``batch_norm``): the
        lists a step's slots name (:class:`~skfcnn.nn.layers.Slot`).
    grad, coef_grads, intercept_grads, bn_gamma_grads, bn_beta_grads
        The gradient vector and its views, same layout as the parameters.
    hidden_activations : tuple of str or Activation
        The activation of each hidden layer, as given.
    hidden_steps : list of list of LayerStep
        The steps of each hidden layer after its dense part
        (:mod:`skfcnn.nn.layers`), built from the options.
    dropout_rates : tuple of float
        The dropout rate of each hidden layer.
    dropout_masks : list of ndarray or None
        The masks of the last training-mode forward pass (``None`` for layers
        without dropout), read from the dropout steps.
    running_means, running_vars : list of ndarray
        Batch-norm running statistics of each hidden layer (pickled, not in
        ``params``; empty without ``batch_norm``), in :attr:`running_state`.
    """

    def __init__(self, layer_sizes: Sequence[int],
                 hidden_activation: str | Activation | Sequence[str | Activation],
                 output_activation: str, dtype: DTypeLike = np.float64, *,
                 dropout: float | Sequence[float] = 0.0, batch_norm: bool = False,
                 input_steps: Sequence[inputs.InputStep] = ()) -> None:
        self.layer_sizes = tuple(int(n) for n in layer_sizes)
        if len(self.layer_sizes) < 2:
            raise ValueError(f"layer_sizes needs at least an input and an output size; "
                             f"got {layer_sizes!r}.")
        self._set_options(hidden_activation, dropout)
        if output_activation not in ACTIVATIONS:
            raise ValueError(f"output_activation {output_activation!r} is not supported; "
                             f"allowed are {sorted(ACTIVATIONS)}.")
        self.output_activation = output_activation
        self.dtype = np.dtype(dtype)
        self.batch_norm = bool(batch_norm)
        self.input_steps = inputs.check_input_steps(input_steps)
        self.n_members = inputs.n_members(self.input_steps)
        steps = [layers.build_steps(self, layer) for layer in range(self.n_hidden)]
        size = (n_parameters(inputs.dense_sizes(self.layer_sizes, self.input_steps))
                + n_step_parameters(steps)
                + inputs.n_input_parameters(self.input_steps, self.layer_sizes[0]))
        self.params = np.zeros(size, dtype=self.dtype)
        self.grad = np.zeros(size, dtype=self.dtype)
        self.__dict__.update(slot_lists(layers.LAYER_STEPS, (), "running"))
        self.__dict__.update(new_running_state(steps, self.dtype))
        self._build_views()
        reset_steps(self.hidden_steps)

    def _build_views(self):
        """The views of the flat vectors, then the steps and buffers built from them."""
        self.dense_sizes = sizes = inputs.dense_sizes(self.layer_sizes, self.input_steps)
        self.n_members = inputs.n_members(self.input_steps)
        self.coefs, self.intercepts = _layer_views(self.params, sizes)
        self.coef_grads, self.intercept_grads = _layer_views(self.grad, sizes)
        self._activations = self._deltas = self._decay_scratch = self._ones = None
        self._scratch, self._row_views = None, (None, None, None)  # the views hold buffers
        self._input_delta = None
        self.hidden_steps = steps = [layers.build_steps(self, layer)
                                     for layer in range(self.n_hidden)]
        start = n_parameters(sizes)
        views = bind_steps(layers.LAYER_STEPS, steps, self.params, self.grad, start,
                           self.__dict__)
        self.bound_input_steps = inputs.bind_input_steps(
            self.input_steps, self.layer_sizes[0], self.dtype, self.params, self.grad,
            start + n_step_parameters(steps))
        self.__dict__.update(views)
        self._view_names = frozenset(views)
        self._modes = {training: layers.Mode(self.hidden_steps, training)
                       for training in (False, True)}
        self._output = get_activation(self.output_activation, "output_activation")
        self._mode = self._modes[False]  # of the last forward pass
        self._plain, self._pass = self._mode.plain, None

    def _set_options(self, hidden_activation, dropout):
        self.hidden_activations = check_hidden_activations(hidden_activation, self.n_hidden)
        single = isinstance(hidden_activation, str) or _is_activation(hidden_activation)
        self.hidden_activation = hidden_activation if single else list(self.hidden_activations)
        self.dropout_rates = check_dropout(dropout, self.n_hidden)
        self.dropout = dropout if isinstance(dropout, Real) else list(self.dropout_rates)

    def configure(self, hidden_activation, dropout):
        """Set new hidden activations and dropout rates (as in the constructor);
        the parameters stay, the layer steps and the buffers are rebuilt."""
        self._set_options(hidden_activation, dropout)
        self._build_views()
        return self

    def __getstate__(self):
        views = self.__dict__.get("_view_names", ())
        return {k: v for k, v in self.__dict__.items() if k not in _TRANSIENT and k not in views}

    def __setstate__(self, state):  # from outside: every field checked
        self._restore(checked_network_state(state))

    def _restore(self, state):
        self.__dict__.update(state)
        self._build_views()

    @property
    def running_state(self):
        """Every step's running-state array, list by list (``running_means + running_vars``)."""
        return [a for n in slot_lists(layers.LAYER_STEPS, (), "running") for a in getattr(self, n)]

    @property
    def dropout_masks(self):
        """The dropout masks (a step's ``mask``) of the last training pass, or ``None``."""
        return [next((s.mask for s in steps if hasattr(s, "mask")), None)
                for steps in self.hidden_steps]

    def copy(self) -> Network:
        """An independent copy: every array (parameters, gradient, running statistics)
        copied, the buffers and layer steps rebuilt (a fraction of deepcopy's cost)."""
        twin = type(self).__new__(type(self))
        twin._restore({k: copied_arrays(v) for k, v in self.__getstate__().items()})
        return twin

    def weight_mask(self):
        """A vector like ``params``: 1 at every weight of ``coefs``, 0 elsewhere."""
        return weight_mask(self.params, self.dense_sizes)

    @property
    def n_layers(self):
        """Number of weight layers (hidden layers + 1)."""
        return len(self.layer_sizes) - 1

    @property
    def n_hidden(self):
        """Number of hidden layers."""
        return len(self.layer_sizes) - 2

    def initialize(self, rng: np.random.RandomState, init: str = "glorot_uniform",
                   scale: float | None = None) -> Network:
        """Draw every weight and bias from ``init`` using generator ``rng``.

        Parameters
        ----------
        rng : numpy.random.RandomState or numpy.random.Generator
            Layers are drawn in order, weights before biases.
        init : str, default="glorot_uniform"
            A key of :data:`~skfcnn.nn.initializers.INITIALIZERS`.
        scale : float, default=None
            The initialiser's scale (see :mod:`skfcnn.nn.initializers`).

        Returns
        -------
        self
            With every step's parameters and running state at their initial
            values (batch norm: :math:`\\gamma = 1`, :math:`\\beta = 0`, running
            mean 0, variance 1); then the input steps' drawn from ``rng``.
        """
        if init not in INITIALIZERS:
            raise ValueError(f"init {init!r} is not supported; allowed are "
                             f"{sorted(INITIALIZERS)}.")
        initializer = INITIALIZERS[init]
        for layer, (coef, intercept) in enumerate(zip(self.coefs, self.intercepts)):
            coef[...], intercept[...] = initializer(
                *coef.shape, rng, self.dtype, init_activation(self, layer), scale=scale
            )
        reset_steps(self.hidden_steps)
        for step in (step for steps in self.hidden_steps for step in steps):
            step.draw(rng)
        inputs.initialize_input_steps(self.bound_input_steps, rng)
        return self

    # -- forward -----------------------------------------------------------------------
    def forward(self, X, training=False, rng=None, fixed_masks=False, update_stats=True,
                sample_weight=None):
        """Forward pass into the reused buffers.

        Parameters
        ----------
        X : ndarray or sparse matrix of shape (n_samples, layer_sizes[0])
        training : bool, default=False
            Apply dropout and normalise with the batch statistics.
        rng : numpy.random.RandomState or numpy.random.Generator, default=None
            Draws the dropout masks (needed when training with dropout, unless
            ``fixed_masks``).
        fixed_masks : bool, default=False
            Reuse the masks of the previous training-mode pass (same number of
            rows) instead of drawing new ones: the objective is then a
            deterministic function of the parameters.
        update_stats : bool, default=True
            In training mode, move the batch-norm running statistics.
        sample_weight : ndarray of shape (n_samples,), default=None
            Weights of the rows in the batch-norm statistics (training mode).

        Returns
        -------
        list of ndarray
            ``[A_0, A_1, ..., A_L]``: ``A_0`` is ``X`` after the input steps (``X``
            itself without them), each hidden output is after dropout (what the
            next layer sees).  The buffers are overwritten by the next call, so
            copy what you want to keep.
        """
        activations, _ = self._buffers(X.shape[0] * self.n_members)
        self._mode = mode = self._modes[bool(training)]
        self._plain = plain = mode.plain  # the activations, or None: run the steps
        input_steps = self.bound_input_steps
        run = None if plain is not None and not input_steps else layers.ForwardPass(
            bool(training), rng, fixed_masks, update_stats, self.member_rows(sample_weight))
        self._pass = run
        if input_steps:
            X = inputs.forward_inputs(input_steps, X, run)
        outputs, previous, last = [X], X, self.n_layers - 1
        product = product_for(X)
        for layer, out in enumerate(activations):
            product(previous, self.coefs[layer], out)
            out += self.intercepts[layer]
            if layer == last:
                self._output.forward(out)
            elif plain is not None:
                plain[layer].forward(out)
            else:
                for step in mode.steps[layer]:
                    out = step.forward(out, run)
            outputs.append(out)
            previous = out
        return outputs

    def predict(self, X: NDArray, raw_output: bool = False,
                n_layers: int | None = None) -> NDArray:
        """Forward pass into freshly allocated arrays (safe to keep).

        No dropout; batch normalisation uses the running statistics.

        Parameters
        ----------
        X : ndarray of shape (n_samples, layer_sizes[0])
        raw_output : bool, default=False
            Return the output layer's pre-activation :math:`Z_L` (e.g. logits)
            instead of :math:`A_L`.
        n_layers : int, default=None
            Stop after this many weight layers and return that layer's
            activations (hidden-layer outputs); ``None`` means all of them.

        More than :data:`PREDICT_CHUNK` rows go chunk by chunk (the same numbers, faster).
        """
        if X.shape[0] <= PREDICT_CHUNK:
            return self._predict_rows(X, raw_output, n_layers)
        return np.concatenate([
            self._predict_rows(X[start : start + PREDICT_CHUNK], raw_output, n_layers)
            for start in range(0, X.shape[0], PREDICT_CHUNK)
        ])

    def transform_inputs(self, X: NDArray) -> NDArray:
        """``X`` through the input steps at prediction time (:math:`A_0`, the first dense
        layer's input), in a new array; ``X`` itself without input steps."""
        return inputs.predict_inputs(self.bound_input_steps, X)

    def _predict_rows(self, X, raw_output, n_layers):
        stop = self.n_layers if n_layers is None else n_layers
        plain, steps = self._modes[False].predict_plain, self._modes[False].steps
        out = self.transform_inputs(X)
        for layer in range(stop):
            out = out @ self.coefs[layer]
            out += self.intercepts[layer]
            if layer < self.n_layers - 1:
                if plain is not None:
                    plain[layer].forward(out)
                else:
                    for step in steps[layer]:
                        if layer < stop - 1 or not getattr(step, "feeds_next_layer", False):
                            out = step.predict(out)
            elif not raw_output:
                self._output.forward(out)
        if self.n_members > 1:  # the members' mean
            out = out.reshape(self.n_members, X.shape[0], -1).mean(axis=0)
        return out

    # -- objective and backward ----------------------------------------------------------
    def penalty(self, alpha, weight_sum):
        r""":math:`\frac{\alpha}{2N} \sum_l \lVert W_l \rVert_F^2` (weights only)."""
        return l2_penalty(self.coefs, alpha, weight_sum)

    def loss_gradient(self, X: NDArray, Y: NDArray, loss: str | Loss, alpha: float = 0.0,
                      sample_weight: NDArray | None = None, *, training: bool = False,
                      rng: np.random.Generator | None = None, fixed_masks: bool = False,
                      update_stats: bool = True) -> float:
        """Objective of one batch; its gradient is written into ``grad``.

        Parameters
        ----------
        X : ndarray or sparse matrix of shape (n_samples, layer_sizes[0])
        Y : ndarray of shape (n_samples, layer_sizes[-1])
            Targets, already encoded (one-hot for the log losses).
        loss : str or Loss
            A key of :data:`~skfcnn.nn.losses.LOSSES` or a loss object
            (:func:`~skfcnn.nn.losses.get_loss`) that may follow the output
            activation (:data:`~skfcnn.nn.losses.VALID_OUTPUTS`).
        alpha : float, default=0.0
            L2 penalty strength (weights only).
        sample_weight : ndarray of shape (n_samples,), default=None
        training, rng, fixed_masks, update_stats
            As in :meth:`forward`.

        Returns
        -------
        float
            The batch loss plus the L2 penalty.

        Raises
        ------
        ValueError
            When ``loss`` may not follow the network's output activation.
        """
        loss = loss if isinstance(loss, Loss) else get_loss(loss)
        if self.output_activation not in getattr(loss, "outputs", ()):
            check_loss_output(loss, self.output_activation)
        activations = self.forward(X, training, rng, fixed_masks, update_stats, sample_weight)
        weight_sum = X.shape[0] if sample_weight is None else float(sample_weight.sum())
        if self.n_members > 1:  # every member's rows against the targets: their mean loss
            Y, sample_weight = self.member_rows(Y), self.member_rows(sample_weight)
        value = loss.value(Y, activations[-1], sample_weight)
        if alpha:
            value += self.penalty(alpha, weight_sum)
        self.backward(activations, Y, alpha, sample_weight, weight_sum, loss)
        return value

    def backward(self, activations, Y, alpha, sample_weight, weight_sum, loss=None):
        """Back-propagate from the output error; fills ``grad``, updates nothing.

        ``activations`` is what :meth:`forward` returned; ``loss`` (a name or a
        loss object, when given) gives the output error (its ``gradient``), else
        the canonical :math:`(Y - T) / n`.
        """
        _, deltas = self._buffers(Y.shape[0])
        ones = self._ones[: Y.shape[0]]
        delta = output_delta(Y, activations[-1], sample_weight, out=deltas[-1], loss=loss,
                             output_activation=self.output_activation)
        plain, zero_bias = self._plain, self._mode.zero_bias
        product = product_for(activations[0])
        for layer in range(self.n_layers - 1, -1, -1):
            product(activations[layer].T, delta, self.coef_grads[layer])
            if alpha:  # the L2 term, through a reused block-sized buffer
                add_weight_decay(self.coefs[layer], self.coef_grads[layer], alpha / weight_sum,
                                 self._decay_buffer())
            np.matmul(ones, delta, out=self.intercept_grads[layer])  # column sums by BLAS
            if zero_bias[layer]:
                self.intercept_grads[layer][...] = 0  # exactly 0, e.g. after a batch mean
            if layer == 0:
                break  # no gradient with respect to the input X
            previous = deltas[layer - 1]
            np.matmul(delta, self.coefs[layer].T, out=previous)
            if plain is not None:
                plain[layer - 1].derivative(None, activations[layer], previous)
            else:
                for step in reversed(self._mode.steps[layer - 1]):
                    previous = step.backward(previous, self._pass)
            delta = previous
        if self.bound_input_steps:  # their gradients, from the error of A_0
            first = np.matmul(delta, self.coefs[0].T, out=self._input_delta[: Y.shape[0]])
            inputs.backward_inputs(self.bound_input_steps, first, self._pass)
        return self.grad
