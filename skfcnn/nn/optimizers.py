r"""Gradient-descent optimisers over a flat parameter vector (optax's shape).

An optimiser object holds only its hyper-parameters; what changes while it
trains lives apart, in the state that ``init`` returns.  To add one, write a
class with

``__init__(**hyper_parameters)``
    Validate each argument (``ValueError`` naming it and its value) and store
    it verbatim under its own name, as scikit-learn's estimators do.
``init(params) -> state``
    A new state for the flat parameter vector ``params`` (in its dtype): any
    picklable object, usually an :class:`OptimizerState`.
``update(params, grad, learning_rate, state) -> params``
    Change ``params`` (and ``state``) in place from the gradient ``grad`` of
    the same layout; return ``params``.

Neither method changes the object itself, so one optimiser may serve many
states and survives ``copy.deepcopy`` and ``sklearn.base.clone`` unchanged.
Register the class, ``OPTIMIZERS["name"] = MyOptimizer``, and ``solver="name"``
trains with it: the estimators pass their parameters of the same names to
the constructor (``make_optimizer`` in ``skfcnn.estimators.params``).
Subclassing :class:`Optimizer` gives ``repr``, equality and hashing from the
constructor arguments and the blocked update below.  Gradient transforms
(clipping, decoupled weight decay) run before an update:
:mod:`skfcnn.nn.transforms`.

No update allocates an array: every intermediate goes into the state's
scratch rows, so float32 parameters stay float32.  An update is a dozen
element-wise passes over vectors of the parameters' size; they run block by
block (``BLOCK_BYTES``, 256 KiB, of each vector at a time), so that every pass finds
its block still in the core's cache instead of streaming the whole vectors
from memory a dozen times.  The operations are element-wise: the numbers are
those of one pass bit for bit, and SGD (either momentum) and Adam give
scikit-learn's.  Optimisers pickled by skfcnn 0.1.0 carried their state on
the object; loading one moves it aside, for :func:`take_legacy_state`.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from ._blocks import BLOCK_BYTES, OptimizerState, block_length, blocks, scratch_buffers  # noqa: F401
from ._hyperparameters import ValueObject
from ._hyperparameters import check_real as _check_real
from .transforms import DecoupledWeightDecay, check_decay_mask, decay  # noqa: F401

__all__ = [
    "BLOCK_BYTES",
    "OPTIMIZERS",
    "SGD",
    "Adagrad",
    "Adam",
    "AdamW",
    "Optimizer",
    "OptimizerState",
    "RMSprop",
    "take_legacy_state",
]


#: Attributes of the optimisers of skfcnn 0.1.0 that were their state.
_LEGACY_STATE = ("t", "velocity", "first_moment", "second_moment", "square_average",
                 "sum_of_squares", "decay_mask", "_scratch")


def take_legacy_state(optimizer):
    """The state an optimiser pickled by skfcnn 0.1.0 carried, removed from it.

    Such an optimiser held its state vectors on itself; loading it moves them
    into an :class:`OptimizerState` kept aside on the object.  This returns
    that state (``None`` for any other object) and forgets it, leaving the
    object with its hyper-parameters only.

    Parameters
    ----------
    optimizer : object
        An optimiser, e.g. loaded from a pickle.

    Returns
    -------
    state : OptimizerState or None
    """
    return getattr(optimizer, "__dict__", {}).pop("_legacy_state", None)


class Optimizer(ValueObject):
    """Base class: the state vectors and the update by cache-sized blocks.

    A subclass lists its state vectors (same layout as the parameters, zero
    at ``init``) in ``_state_names`` and the scratch rows it needs in
    ``_n_scratch``, and implements ``_update_block(params, grad, *vectors,
    scratch, **constants)`` on one block of each, with ``constants`` from
    ``_constants(learning_rate, state)`` (computed once per update).
    """

    _state_names = ()
    _n_scratch = 1

    def init(self, params: NDArray) -> OptimizerState:
        """A fresh :class:`OptimizerState` for ``params``: zero vectors, scratch rows."""
        return OptimizerState(scratch=scratch_buffers(params, self._n_scratch),
                              **{name: np.zeros_like(params) for name in self._state_names})

    def update(self, params: NDArray, grad: NDArray, learning_rate: float,
               state: OptimizerState) -> NDArray:
        """One in-place step of ``params`` from ``grad`` (``state`` changes too);
        returns ``params``.

        ``learning_rate`` is taken as a Python float, so that a float32 step is
        computed in float32 (a NumPy float64 scalar would upcast every pass).
        """
        constants = self._constants(float(learning_rate), state)
        vectors = [getattr(state, name) for name in self._state_names]
        scratch = state.scratch
        if params.size <= scratch.shape[1]:  # one block: no slicing
            self._update_block(params, grad, *vectors, scratch, **constants)
            return params
        for block in blocks(params.size, scratch.shape[1]):
            part = params[block]
            self._update_block(part, grad[block], *[vector[block] for vector in vectors],
                               scratch[:, : part.size], **constants)
        return params

    def _constants(self, learning_rate, state):
        return {"learning_rate": learning_rate}

    def __setstate__(self, state):
        # skfcnn 0.1.0 kept the state on the object: move it aside (take_legacy_state)
        legacy = {name: state.pop(name) for name in _LEGACY_STATE if name in state}
        if legacy:
            scratch = legacy.pop("_scratch", None)
            if scratch is None or scratch.ndim == 1:  # before blocks: one full-length vector
                like = scratch if scratch is not None else legacy[self._state_names[0]]
                scratch = scratch_buffers(like, self._n_scratch)
            state["_legacy_state"] = OptimizerState(scratch=scratch, **legacy)
        self.__dict__.update(state)


class SGD(Optimizer):
    r"""Stochastic gradient descent with (Nesterov) momentum.

    With momentum :math:`\mu`, learning rate :math:`\eta` and gradient :math:`g`:

    .. math::
        v \leftarrow \mu v - \eta g, \qquad
        \theta \leftarrow \theta + v \quad\text{(classical momentum)},

        \theta \leftarrow \theta + \mu v - \eta g \quad\text{(Nesterov)}.

    :math:`\mu = 0` gives plain SGD, :math:`\theta \leftarrow \theta - \eta g`.
    These are scikit-learn's ``MLPClassifier`` updates, with its order of
    operations (the same numbers bit for bit).

    Parameters
    ----------
    momentum : float, default=0.9
        :math:`\mu \in [0, 1]`.
    nesterov : bool, default=True
        Nesterov's momentum instead of the classical one.
    """

    _n_scratch = 2
    _state_names = ("velocity",)

    def __init__(self, momentum=0.9, nesterov=True):
        _check_real("momentum", momentum, 0, 1, high_closed=True)
        self.momentum = momentum
        self.nesterov = nesterov

    def _update_block(self, params, grad, velocity, scratch, learning_rate):
        scaled_grad, step = scratch
        np.multiply(grad, learning_rate, out=scaled_grad)
        velocity *= self.momentum
        velocity -= scaled_grad
        if self.nesterov:  # theta + (mu * v - eta * g)
            np.multiply(velocity, self.momentum, out=step)
            step -= scaled_grad
            params += step
        else:
            params += velocity


class Adam(Optimizer):
    r"""Adam (Kingma & Ba, 2015), with scikit-learn's bias-corrected step.

    With gradient :math:`g`, step count :math:`t` and learning rate :math:`\eta`:

    .. math::
        m \leftarrow \beta_1 m + (1 - \beta_1) g, \qquad
        v \leftarrow \beta_2 v + (1 - \beta_2) g^2,

        \eta_t = \eta \frac{\sqrt{1 - \beta_2^t}}{1 - \beta_1^t}, \qquad
        \theta \leftarrow \theta - \eta_t \frac{m}{\sqrt{v} + \epsilon}.

    :math:`\epsilon` is added outside the square root.  The operations run in
    scikit-learn's order, so the numbers are its own bit for bit.

    Parameters
    ----------
    beta_1 : float, default=0.9
        Decay :math:`\beta_1 \in [0, 1)` of the first moment.
    beta_2 : float, default=0.999
        Decay :math:`\beta_2 \in [0, 1)` of the second moment.
    epsilon : float, default=1e-8
        :math:`\epsilon > 0`, for numerical stability.
    """

    _n_scratch = 2
    _state_names = ("first_moment", "second_moment")

    def __init__(self, beta_1=0.9, beta_2=0.999, epsilon=1e-8):
        _check_real("beta_1", beta_1, 0, 1, high_closed=False)
        _check_real("beta_2", beta_2, 0, 1, high_closed=False)
        _check_real("epsilon", epsilon, 0, None, low_closed=False)
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon

    def init(self, params):
        """Zero moments and step count ``t`` for ``params``."""
        state = super().init(params)
        state.t = 0
        return state

    def _constants(self, learning_rate, state):
        state.t += 1
        t = state.t
        rate = learning_rate * np.sqrt(1 - self.beta_2**t) / (1 - self.beta_1**t)
        return {"rate": float(rate)}

    def _update_block(self, params, grad, m, v, scratch, rate):
        term, step = scratch
        m *= self.beta_1
        np.multiply(grad, 1 - self.beta_1, out=term)
        m += term
        v *= self.beta_2
        np.square(grad, out=term)
        term *= 1 - self.beta_2
        v += term
        np.sqrt(v, out=term)  # step = (-rate * m) / (sqrt(v) + eps)
        term += self.epsilon
        np.multiply(m, -rate, out=step)
        step /= term
        params += step


class AdamW(Adam):
    r"""Adam with decoupled weight decay (Loshchilov & Hutter, 2019): Adam behind
    :class:`~skfcnn.nn.transforms.DecoupledWeightDecay`.

    The decay is the transform's own step (there is one implementation of
    it), so ``AdamW(beta_1, beta_2, epsilon, weight_decay)`` takes the steps
    of ``chain(DecoupledWeightDecay(weight_decay), Adam(beta_1, beta_2,
    epsilon))`` bit for bit, as one object with one state.  Each step first
    shrinks the parameters selected by the mask :math:`d` (1 = decay, 0 =
    keep) by the *scheduled* learning rate :math:`\eta` times the decay
    :math:`\lambda` (PyTorch's order: decay first), then takes the
    :class:`Adam` step from the gradient :math:`g` of the loss alone:

    .. math::
        \theta \leftarrow \theta - \eta \lambda \, d \odot \theta,

        m \leftarrow \beta_1 m + (1 - \beta_1) g, \qquad
        v \leftarrow \beta_2 v + (1 - \beta_2) g^2,

        \eta_t = \eta \frac{\sqrt{1 - \beta_2^t}}{1 - \beta_1^t}, \qquad
        \theta \leftarrow \theta - \eta_t \frac{m}{\sqrt{v} + \epsilon}.

    Unlike an L2 penalty added to the loss, the decay does not pass through
    Adam's per-parameter scaling.  With :math:`\lambda = 0` the updates are
    exactly those of :class:`Adam`.

    Parameters
    ----------
    beta_1 : float, default=0.9
        Decay :math:`\beta_1 \in [0, 1)` of the first moment.
    beta_2 : float, default=0.999
        Decay :math:`\beta_2 \in [0, 1)` of the second moment.
    epsilon : float, default=1e-8
        :math:`\epsilon > 0`, for numerical stability.
    weight_decay : float, default=0.01
        :math:`\lambda \ge 0`.
    """

    def __init__(self, beta_1=0.9, beta_2=0.999, epsilon=1e-8, weight_decay=0.01):
        super().__init__(beta_1=beta_1, beta_2=beta_2, epsilon=epsilon)
        self.weight_decay = DecoupledWeightDecay(weight_decay).weight_decay  # checked there

    def init(self, params, decay_mask=None):
        """Adam's state for ``params`` (zero moments, ``t``) with the decay's mask.

        Parameters
        ----------
        params : ndarray of shape (n_params,)
            The flat parameter vector.
        decay_mask : array-like of bool or {0, 1}, shape (n_params,), default=None
            1 (True) where a parameter decays, e.g. the weights, and 0 (False)
            where it does not, e.g. the biases.  ``None`` decays every parameter.

        Returns
        -------
        state : OptimizerState
            ``t``, ``first_moment``, ``second_moment`` and ``decay_mask``
            (``None`` or in the dtype of ``params``); its first scratch row
            serves the decay too.
        """
        state = super().init(params)
        state.decay_mask = check_decay_mask(decay_mask, params)
        return state

    def update(self, params, grad, learning_rate, state):
        """:class:`~skfcnn.nn.transforms.DecoupledWeightDecay`'s step on this state
        (its mask and first scratch row), then Adam's; returns ``params``."""
        DecoupledWeightDecay(self.weight_decay).apply(params, grad, learning_rate, state)
        return super().update(params, grad, learning_rate, state)


class RMSprop(Optimizer):
    r"""RMSprop (Tieleman & Hinton, 2012): steps scaled by a running RMS of the gradient.

    With gradient :math:`g` and learning rate :math:`\eta`:

    .. math::
        v \leftarrow \rho v + (1 - \rho) g^2, \qquad
        \theta \leftarrow \theta - \eta \frac{g}{\sqrt{v} + \epsilon}.

    :math:`v` starts at zero and is not bias-corrected (as in PyTorch and
    Keras); :math:`\epsilon` is added outside the square root.

    Parameters
    ----------
    rho : float, default=0.9
        Decay :math:`\rho \in [0, 1)` of the mean square.
    epsilon : float, default=1e-8
        :math:`\epsilon > 0`, for numerical stability.
    """

    _n_scratch = 1
    _state_names = ("square_average",)

    def __init__(self, rho=0.9, epsilon=1e-8):
        _check_real("rho", rho, 0, 1, high_closed=False)
        _check_real("epsilon", epsilon, 0, None, low_closed=False)
        self.rho = rho
        self.epsilon = epsilon

    def _update_block(self, params, grad, square_average, scratch, learning_rate):
        step = scratch[0]
        square_average *= self.rho
        np.square(grad, out=step)
        step *= 1 - self.rho
        square_average += step
        np.sqrt(square_average, out=step)
        step += self.epsilon
        np.divide(grad, step, out=step)
        step *= learning_rate
        params -= step


class Adagrad(Optimizer):
    r"""Adagrad (Duchi, Hazan & Singer, 2011): steps scaled by the accumulated squares.

    With gradient :math:`g` and learning rate :math:`\eta`, the accumulator
    :math:`s` starts at ``initial_accumulator`` :math:`s_0`:

    .. math::
        s \leftarrow s + g^2, \qquad
        \theta \leftarrow \theta - \eta \frac{g}{\sqrt{s} + \epsilon}.

    :math:`\epsilon` is added outside the square root.

    Parameters
    ----------
    epsilon : float, default=1e-10
        :math:`\epsilon > 0`, for numerical stability.
    initial_accumulator : float, default=0.0
        :math:`s_0 \ge 0`.
    """

    _n_scratch = 1
    _state_names = ("sum_of_squares",)

    def __init__(self, epsilon=1e-10, initial_accumulator=0.0):
        _check_real("epsilon", epsilon, 0, None, low_closed=False)
        _check_real("initial_accumulator", initial_accumulator, 0, None)
        self.epsilon = epsilon
        self.initial_accumulator = initial_accumulator

    def init(self, params):
        """Accumulator at ``initial_accumulator`` for ``params``."""
        state = super().init(params)
        state.sum_of_squares.fill(self.initial_accumulator)
        return state

    def _update_block(self, params, grad, sum_of_squares, scratch, learning_rate):
        step = scratch[0]
        np.square(grad, out=step)
        sum_of_squares += step
        np.sqrt(sum_of_squares, out=step)
        step += self.epsilon
        np.divide(grad, step, out=step)
        step *= learning_rate
        params -= step


#: Every optimiser class by name: the estimators' ``solver`` (besides ``'lbfgs'``).
OPTIMIZERS = {"sgd": SGD, "adam": Adam, "rmsprop": RMSprop, "adagrad": Adagrad,
              "adamw": AdamW}
