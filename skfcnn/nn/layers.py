r"""The steps of a hidden layer, each with its forward and backward pass side by side.

Hidden layer :math:`l` computes the dense part :math:`Z_l = A_{l-1} W_l + b_l`
(in :class:`~skfcnn.nn.Network`) and then runs a short list of steps, built
once per network from :data:`LAYER_STEPS`:

* :class:`BatchNormStep` (with ``batch_norm=True``): :math:`\gamma \hat Z + \beta`
  (:mod:`skfcnn.nn.batch_norm`);
* :class:`ActivationStep`: :math:`f_l(Z)` (:mod:`skfcnn.nn.activations`);
* :class:`DropoutStep` (rate > 0, training only): :math:`A \odot M`
  (:mod:`skfcnn.nn.dropout`);
* in a BatchEnsemble (:mod:`skfcnn.nn.ensemble`) of :math:`k` members,
  :class:`MemberScaleStep` before the activation, :math:`Z_i \odot s_i + c_i`, and
  :class:`MemberAdapterStep` after dropout, :math:`A_i \odot r_i`, each member
  :math:`i` on its block of the rows.

The backward pass runs the steps in reverse, each turning the error with
respect to its output into the error with respect to its input.  A network
whose every layer is a single activation whose derivative needs no :math:`Z`
(no batch norm, dropout off or not training) skips the lists altogether: its
loops call the activations directly, the fast path of the plain dense network.

Adding a step is one class and one line: write a :class:`LayerStep` and put
it at its place in :data:`LAYER_STEPS`.  For instance a constant scaling
:math:`y = c z`, whose backward pass is :math:`\partial J / \partial z = c\,
\partial J / \partial y`::

    class Scale(LayerStep):
        def __init__(self, factor):
            self.factor = factor

        @classmethod
        def build(cls, network, layer):       # None: this layer has no such step
            return cls(2.0)

        def forward(self, Z, run):
            Z *= self.factor                  # in place
            return Z

        def backward(self, delta, run):
            delta *= self.factor              # in place
            return delta

    LAYER_STEPS = [BatchNormStep, Scale, ActivationStep, DropoutStep]

A step keeps what its backward pass needs from its last forward pass (the
batch-norm :math:`\hat Z`, the dropout mask) on itself, and its buffers,
allocated by :meth:`LayerStep.allocate` for the largest batch seen.  It may
overwrite its input in place, except after the activation, whose derivative
reads the activation's output: a step there writes into a buffer of its own,
as dropout does.  Steps are rebuilt, never pickled.

A step declares what must persist, and the network keeps it for it
(:class:`Slot`): its *parameters*, vectors of the layer's width in the flat
parameter vector (after every weight and bias, layer by layer, step by step,
in the order declared), trained with the rest and never penalised; and its
*running state* (the batch-norm running statistics), kept beside it, pickled,
checked on load and restored with the parameters when training diverges.  The
network binds each slot to the step as an attribute of the slot's name (the
gradient's as ``<name>_grad``) before the first pass.  ``predict`` defaults to
``forward`` in evaluation mode, ``mc_forward`` (Monte Carlo dropout) to
``predict``.
"""

from functools import cached_property
from typing import NamedTuple

import numpy as np

from . import batch_norm
from .activations import get_activation
from .dropout import draw_mask, stored_mask
from .initializers import random_signs

__all__ = ["LAYER_STEPS", "ActivationStep", "BatchNormStep", "DropoutStep", "ForwardPass",
           "LayerStep", "MemberAdapterStep", "MemberScaleStep", "Slot", "build_steps"]


class Slot(NamedTuple):
    """A vector a layer step owns, of the layer's width (:meth:`LayerStep.slot_shape`).

    Attributes
    ----------
    name : str
        The step's attribute that holds it once bound (and ``<name>_grad``, its
        gradient, for a parameter).
    initial : float
        Its value in a new network and after :meth:`~skfcnn.nn.Network.initialize`.
    views : str, default=None
        A list attribute of the network gathering this slot of every layer
        (e.g. ``"bn_gammas"``); required for running state, which the network
        pickles under it.
    grad_views : str, default=None
        The same for a parameter's gradient (e.g. ``"bn_gamma_grads"``).
    """

    name: str
    initial: float
    views: str | None = None
    grad_views: str | None = None


class ForwardPass:
    """The settings of one forward pass, as the steps read them (and, after it,
    their backward pass).

    Attributes
    ----------
    training, rng, fixed_masks, update_stats, sample_weight
        As given to :meth:`~skfcnn.nn.Network.forward`.
    """

    def __init__(self, training, rng=None, fixed_masks=False, update_stats=True,
                 sample_weight=None):
        self.training, self.rng, self.fixed_masks = training, rng, fixed_masks
        self.update_stats, self.sample_weight = update_stats, sample_weight

    @cached_property
    def fractions(self):
        r"""The batch-norm weights :math:`p_i = w_i / \sum_j w_j` of the rows (a
        column, or ``None``: unweighted or not training), computed once per pass."""
        return batch_norm.batch_fractions(self.sample_weight if self.training else None)


class LayerStep:
    """Base class of the steps of a hidden layer.

    Attributes
    ----------
    training_only : bool, default=False
        The step acts only in training mode (dropout); otherwise it is skipped.
    feeds_next_layer : bool, default=False
        The step prepares the next layer's input (an ensemble's adapter) and is left
        out when the layer's own output is asked for.
    scratch_width : int, default=0
        Columns of the work space, shared by all steps, that its passes need.
    parameters : tuple of Slot, default=()
        Its trained vectors, in their order in the flat parameter vector.
    running : tuple of Slot, default=()
        Its running state (not trained; pickled with the network).
    units : int
        The layer's width, which sizes the slots (set it in ``build`` when the
        step has slots).
    """

    training_only = False
    scratch_width = 0
    parameters = ()
    running = ()
    #: The step belongs to the next dense layer's input (an ensemble's adapter): a
    #: layer's output asked for on its own (``Network.predict(X, n_layers=...)``) is
    #: taken before it.
    feeds_next_layer = False

    @classmethod
    def build(cls, network, layer):
        """The step of hidden layer ``layer`` of ``network``, or ``None`` when that
        layer has none (the network's options say)."""
        raise NotImplementedError(f"{cls.__name__} must define build(network, layer).")

    def allocate(self, n_rows, scratch):
        """Allocate the buffers for batches of up to ``n_rows`` rows; ``scratch``
        is a flat work array of at least ``n_rows * scratch_width`` elements,
        shared by all steps (its contents are not kept between calls)."""

    def forward(self, Z, run):
        """The step on a training- or evaluation-mode batch ``Z`` (a :class:`ForwardPass`
        ``run``): in place, or into a buffer of the step (after the activation,
        whose output its derivative reads); returns the output."""
        raise NotImplementedError(f"{type(self).__name__} must define forward(Z, run).")

    def backward(self, delta, run):
        """Error with respect to the step's output -> with respect to its input,
        in place in ``delta`` (returned), for the last :meth:`forward` pass."""
        raise NotImplementedError(f"{type(self).__name__} must define backward(delta, run).")

    def predict(self, Z):
        """The step at prediction time, keeping nothing; by default :meth:`forward`
        in evaluation mode."""
        return self.forward(Z, ForwardPass(False))

    def mc_forward(self, Z, rng):
        """The step in a Monte Carlo dropout pass (:mod:`skfcnn.nn.mc_dropout`),
        drawing what it draws from ``rng``; by default :meth:`predict`."""
        return self.predict(Z)

    def slot_shape(self, slot):
        """The shape of ``slot`` (of ``parameters`` or ``running``): ``(units,)`` by
        default."""
        return (self.units,)

    def draw(self, rng):
        """Draw random initial values of its parameters from ``rng`` (after they are
        set to their slots' ``initial``, by :meth:`~skfcnn.nn.Network.initialize`);
        by default nothing is drawn."""

    @classmethod
    def check_running(cls, slot, array):
        """What is wrong with a loaded running-state ``array`` of ``slot`` (a
        sentence), or ``None``; shape, dtype and finiteness are checked already."""
        return None

    def cancels_bias(self, training):
        """Whether the layer's bias has exactly no effect through this step (its
        gradient is then set to 0 rather than to rounding noise)."""
        return False


class BatchNormStep(LayerStep):
    """Batch normalisation of the pre-activation, before the activation."""

    parameters = (Slot("gamma", 1.0, "bn_gammas", "bn_gamma_grads"),
                  Slot("beta", 0.0, "bn_betas", "bn_beta_grads"))
    running = (Slot("running_mean", 0.0, "running_means"),
               Slot("running_var", 1.0, "running_vars"))

    def __init__(self, units):
        self.units = self.scratch_width = units
        self.normalized = self.inv_std = self._scratch = None

    @classmethod
    def build(cls, network, layer):
        return cls(network.layer_sizes[layer + 1]) if network.batch_norm else None

    @classmethod
    def check_running(cls, slot, array):
        if slot.name == "running_var" and (array < 0).any():
            return "holds negative variances"
        return None

    def allocate(self, n_rows, scratch):
        self.normalized = np.empty((n_rows, self.gamma.size), self.gamma.dtype)
        self._scratch = scratch

    def forward(self, Z, run):
        self.inv_std = batch_norm.forward(
            Z, self.normalized[: Z.shape[0]], self.gamma, self.beta, self.running_mean,
            self.running_var, run.training, run.update_stats, run.sample_weight)
        return Z

    def backward(self, delta, run):
        scratch = self._scratch[: delta.size].reshape(delta.shape)
        return batch_norm.backward(delta, self.normalized[: delta.shape[0]], self.gamma,
                                   self.inv_std, self.gamma_grad, self.beta_grad, scratch,
                                   run.training, run.fractions)

    def predict(self, Z):
        return batch_norm.normalize(Z, self.gamma, self.beta, self.running_mean,
                                    self.running_var)

    def cancels_bias(self, training):
        return training  # the batch mean removes any shift

    def prediction_affine(self):
        """``(s, t)`` in float64: :meth:`predict` is :math:`z s + t`
        (:func:`~skfcnn.nn.batch_norm.affine`), e.g. to fold it into the dense part."""
        return batch_norm.affine(self.gamma, self.beta, self.running_mean, self.running_var)


class ActivationStep(LayerStep):
    """The layer's activation; keeps a copy of :math:`Z` when its derivative reads it."""

    def __init__(self, activation, units, dtype):
        self.activation, self.units, self.dtype = activation, units, dtype
        self.needs_preactivation = bool(getattr(activation, "needs_preactivation", False))
        self.preactivation = None  # (rows, units) buffer, only when the derivative reads Z
        self.output = None  # A of the last forward pass, a view of the network's buffer

    @classmethod
    def build(cls, network, layer):
        activation = get_activation(network.hidden_activations[layer], "hidden_activation")
        return cls(activation, network.layer_sizes[layer + 1], network.dtype)

    def allocate(self, n_rows, scratch):
        if self.needs_preactivation:
            self.preactivation = np.empty((n_rows, self.units), self.dtype)

    def forward(self, Z, run):
        if self.preactivation is not None:
            np.copyto(self.preactivation[: Z.shape[0]], Z)
        self.activation.forward(Z)
        self.output = Z
        return Z

    def backward(self, delta, run):
        preactivation = self.preactivation
        if preactivation is not None:
            preactivation = preactivation[: delta.shape[0]]
        self.activation.derivative(preactivation, self.output, delta)
        return delta

    def predict(self, Z):
        self.activation.forward(Z)
        return Z


class DropoutStep(LayerStep):
    """Inverted dropout of the layer's output, in training mode only."""

    training_only = True

    def __init__(self, rate, units, dtype):
        self.rate, self.units, self.dtype = rate, units, dtype
        self.mask = None  # of the last training-mode pass
        self._mask_buffer = self._dropped = None

    @classmethod
    def build(cls, network, layer):
        rate = network.dropout_rates[layer]
        return cls(rate, network.layer_sizes[layer + 1], network.dtype) if rate > 0 else None

    def allocate(self, n_rows, scratch):
        self._mask_buffer = np.empty((n_rows, self.units), self.dtype)
        self._dropped = np.empty((n_rows, self.units), self.dtype)

    def forward(self, Z, run):
        n_rows = Z.shape[0]
        if run.fixed_masks:
            mask = stored_mask(self.mask, n_rows)
        else:
            mask = self.mask = draw_mask(run.rng, self.rate, self._mask_buffer[:n_rows])
        # into a buffer of its own: the activation step's output stays for its backward
        return np.multiply(Z, mask, out=self._dropped[:n_rows])

    def backward(self, delta, run):
        delta *= self.mask
        return delta

    def predict(self, Z):
        return Z

    def mc_forward(self, Z, rng):
        Z *= draw_mask(rng, self.rate, np.empty_like(Z))
        return Z


class _MemberStep(LayerStep):
    """Base of the ensemble's per-member steps (:mod:`skfcnn.nn.ensemble`): the rows
    of a batch are :math:`k` member blocks of equal size, member-major."""

    def __init__(self, n_members, units, dtype):
        self.n_members, self.units, self.dtype = n_members, units, dtype

    @classmethod
    def build(cls, network, layer):
        n_members = getattr(network, "n_members", 1)
        return cls(n_members, network.layer_sizes[layer + 1], network.dtype) \
            if n_members > 1 else None

    def slot_shape(self, slot):
        return (self.n_members, self.units)

    def _blocks(self, A):
        """``A`` of shape ``(k * rows, units)`` as ``(k, rows, units)`` (a view)."""
        return A.reshape(self.n_members, -1, self.units)


class MemberScaleStep(_MemberStep):
    r"""BatchEnsemble's output scaling and bias of each member, on the pre-activation.

    .. math::
        y_{ib} = z_{ib} \odot s_i + c_i, \qquad
        \frac{\partial J}{\partial s_i} = \sum_b z_{ib} \odot g_{ib}, \qquad
        \frac{\partial J}{\partial c_i} = \sum_b g_{ib}, \qquad
        \frac{\partial J}{\partial z_{ib}} = g_{ib} \odot s_i,

    for member :math:`i` and row :math:`b` of its block; :math:`s_i = 1`,
    :math:`c_i = 0` at first (TabM's: every member starts with the shared bias).
    """

    parameters = (Slot("member_scale", 1.0), Slot("member_bias", 0.0))

    def allocate(self, n_rows, scratch):
        self._input = np.empty((n_rows, self.units), self.dtype)

    def forward(self, Z, run):
        np.copyto(self._input[: Z.shape[0]], Z)  # z, for the gradient of s
        return self.predict(Z)

    def backward(self, delta, run):
        blocks, inputs = self._blocks(delta), self._blocks(self._input[: delta.shape[0]])
        np.einsum("kbh,kbh->kh", inputs, blocks, out=self.member_scale_grad)
        np.sum(blocks, axis=1, out=self.member_bias_grad)
        blocks *= self.member_scale[:, None, :]
        return delta

    def predict(self, Z):
        blocks = self._blocks(Z)
        blocks *= self.member_scale[:, None, :]
        blocks += self.member_bias[:, None, :]
        return Z


class MemberAdapterStep(_MemberStep):
    r"""BatchEnsemble's input scaling of the next dense layer, for each member.

    .. math::
        y_{ib} = a_{ib} \odot r_i, \qquad
        \frac{\partial J}{\partial r_i} = \sum_b a_{ib} \odot g_{ib}, \qquad
        \frac{\partial J}{\partial a_{ib}} = g_{ib} \odot r_i,

    after the activation (and dropout) of hidden layer :math:`l`, so that member
    :math:`i` multiplies by :math:`W_{l+1} \odot (r_i \mathbf 1^\top)`.  The
    adapters start at 1, except the output layer's, drawn from :math:`\pm 1`
    (:meth:`draw`): one shared output matrix then gives each member its own head.
    """

    parameters = (Slot("member_adapter", 1.0),)
    feeds_next_layer = True

    @classmethod
    def build(cls, network, layer):
        step = super().build(network, layer)
        if step is not None:
            step.is_head = layer == network.n_hidden - 1
        return step

    def allocate(self, n_rows, scratch):
        self._out = np.empty((n_rows, self.units), self.dtype)  # the activation's stays

    def forward(self, A, run):
        self._input = A
        out = self._out[: A.shape[0]]
        np.multiply(self._blocks(A), self.member_adapter[:, None, :], out=self._blocks(out))
        return out

    def backward(self, delta, run):
        blocks = self._blocks(delta)
        np.einsum("kbh,kbh->kh", self._blocks(self._input[: delta.shape[0]]), blocks,
                  out=self.member_adapter_grad)
        blocks *= self.member_adapter[:, None, :]
        return delta

    def predict(self, A):
        return (self._blocks(A) * self.member_adapter[:, None, :]).reshape(A.shape)

    def draw(self, rng):
        """Random signs for the output layer's adapter (from ``rng``)."""
        if self.is_head:
            self.member_adapter[...] = random_signs(rng, self.member_adapter.shape)


#: The step classes of a hidden layer, in order; each one's ``build`` decides
#: whether a layer has it.
LAYER_STEPS = [BatchNormStep, MemberScaleStep, ActivationStep, DropoutStep,
               MemberAdapterStep]


def build_steps(network, layer):
    """The steps of hidden layer ``layer``: those of :data:`LAYER_STEPS` it has."""
    steps = (step_class.build(network, layer) for step_class in LAYER_STEPS)
    return [step for step in steps if step is not None]


class Mode:
    """What the network's loops need in one mode (training or not), from the steps.

    Attributes
    ----------
    steps : tuple of tuple of LayerStep
        The steps of each hidden layer that act in this mode.
    plain : tuple of Activation or None
        Each hidden layer's activation when every layer is just an activation
        whose derivative needs no :math:`Z` (the fast path); else ``None``.
    predict_plain : tuple of Activation or None
        The same without the condition on :math:`Z` (prediction has no backward).
    zero_bias : tuple of bool
        For every dense layer (output included), whether its bias gradient is 0.
    """

    def __init__(self, hidden_steps, training):
        self.steps = tuple(tuple(s for s in steps if training or not s.training_only)
                           for steps in hidden_steps)
        single = all(len(steps) == 1 and type(steps[0]) is ActivationStep
                     for steps in self.steps)
        self.predict_plain = tuple(steps[0].activation for steps in self.steps) \
            if single else None
        self.plain = self.predict_plain if single and not any(
            steps[0].needs_preactivation for steps in self.steps) else None
        self.zero_bias = tuple(any(s.cancels_bias(training) for s in steps)
                               for steps in self.steps) + (False,)
