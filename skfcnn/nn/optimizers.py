r"""Gradient-descent optimisers over a flat parameter vector.

Each optimiser is a small picklable class whose constructor stores its
hyper-parameters verbatim.  The protocol is:

``init(params)``
    Set up the state (velocities, moments, accumulators, step count, scratch
    buffers) for a parameter vector, in the dtype of ``params``; returns the
    optimiser itself.  :class:`AdamW` also takes ``decay_mask``.
``update(params, grad, learning_rate)``
    Change ``params`` in place from the gradient ``grad`` of the same layout
    and return ``params``.  No array is allocated: every intermediate goes
    into a buffer allocated once by ``init``, so float32 parameters stay
    float32.

An update is a dozen element-wise passes over vectors of the parameters' size.
They run block by block (:data:`BLOCK_BYTES` of each vector at a time): every pass
over a block finds it still in the core's cache, instead of streaming the
whole vectors from memory a dozen times.  The operations are element-wise, so
the result is the same bit for bit; the scratch buffers are one block long.

The state lives on the object, so an estimator that keeps its optimiser
between ``partial_fit`` calls or with ``warm_start`` keeps momentum, moments
and accumulators.  ``OPTIMIZERS`` maps the solver names to the classes.
"""

from numbers import Real

import numpy as np

from ._blocks import BLOCK_BYTES, block_length, blocks, scratch_buffers  # noqa: F401

__all__ = ["BLOCK_BYTES", "OPTIMIZERS", "SGD", "Adam", "AdamW", "Adagrad", "RMSprop"]

def _check_real(name, value, low, high, low_closed=True, high_closed=False):
    """``ValueError`` naming ``name`` unless ``value`` is a real in the interval."""
    ok = isinstance(value, Real) and not isinstance(value, bool) and np.isfinite(value)
    if ok:
        ok = (value >= low if low_closed else value > low) and (
            high is None or (value <= high if high_closed else value < high))
    if not ok:
        left, right = "[" if low_closed else "(", "]" if high_closed else ")"
        upper = "inf" if high is None else high
        raise ValueError(f"The '{name}' parameter must be a real number in "
                         f"{left}{low}, {upper}{right}; got {value!r}.")


class _Optimizer:
    """Readable ``repr``; ``update`` runs ``_update_block`` over cache-sized blocks.

    A subclass lists its state vectors (same layout as the parameters) in
    ``_state_names`` and implements ``_update_block(params, grad, *states,
    scratch, **constants)`` on one block of each, with ``constants`` from
    ``_constants(learning_rate)`` (computed once per update).
    """

    _param_names = ()
    _state_names = ()

    def __repr__(self):
        args = ", ".join(f"{name}={getattr(self, name)!r}" for name in self._param_names)
        return f"{type(self).__name__}({args})"

    def update(self, params, grad, learning_rate):
        """One in-place step of ``params`` from ``grad``; returns ``params``.

        ``learning_rate`` is taken as a Python float, so that a float32 step is
        computed in float32 (a NumPy float64 scalar would upcast every pass).
        """
        constants = self._constants(float(learning_rate))
        states = [getattr(self, name) for name in self._state_names]
        scratch = self._scratch
        if params.size <= scratch.shape[1]:  # one block: no slicing
            self._update_block(params, grad, *states, scratch, **constants)
            return params
        for block in blocks(params.size, scratch.shape[1]):
            part = params[block]
            self._update_block(part, grad[block], *[state[block] for state in states],
                               scratch[:, : part.size], **constants)
        return params

    def _constants(self, learning_rate):
        return {"learning_rate": learning_rate}

    def __setstate__(self, state):
        # pickled before the updates ran by blocks: scratch was one full-length vector
        scratch = state.get("_scratch")
        if scratch is not None and scratch.ndim == 1:
            state["_scratch"] = scratch_buffers(scratch, self._n_scratch)
        self.__dict__.update(state)


class SGD(_Optimizer):
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

    _param_names = ("momentum", "nesterov")
    _n_scratch = 2
    _state_names = ("velocity",)

    def __init__(self, momentum=0.9, nesterov=True):
        _check_real("momentum", momentum, 0, 1, high_closed=True)
        self.momentum = momentum
        self.nesterov = nesterov

    def init(self, params):
        """Zero velocity for ``params``."""
        self.velocity = np.zeros_like(params)
        self._scratch = scratch_buffers(params, self._n_scratch)
        return self

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


class Adam(_Optimizer):
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

    _param_names = ("beta_1", "beta_2", "epsilon")
    _n_scratch = 2
    _state_names = ("first_moment", "second_moment")

    def __init__(self, beta_1=0.9, beta_2=0.999, epsilon=1e-8):
        _check_real("beta_1", beta_1, 0, 1)
        _check_real("beta_2", beta_2, 0, 1)
        _check_real("epsilon", epsilon, 0, None, low_closed=False)
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon

    def init(self, params):
        """Zero moments and step count for ``params``."""
        self.t = 0
        self.first_moment = np.zeros_like(params)
        self.second_moment = np.zeros_like(params)
        self._scratch = scratch_buffers(params, self._n_scratch)
        return self

    def _constants(self, learning_rate):
        self.t += 1
        rate = learning_rate * np.sqrt(1 - self.beta_2**self.t) / (1 - self.beta_1**self.t)
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
    r"""Adam with decoupled weight decay (Loshchilov & Hutter, 2019).

    Each step first shrinks the parameters selected by the mask :math:`d`
    (1 = decay, 0 = keep) by the *scheduled* learning rate :math:`\eta` times
    the decay :math:`\lambda` (PyTorch's order: decay first), then takes the
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

    _param_names = ("beta_1", "beta_2", "epsilon", "weight_decay")

    def __init__(self, beta_1=0.9, beta_2=0.999, epsilon=1e-8, weight_decay=0.01):
        super().__init__(beta_1=beta_1, beta_2=beta_2, epsilon=epsilon)
        _check_real("weight_decay", weight_decay, 0, None)
        self.weight_decay = weight_decay

    def init(self, params, decay_mask=None):
        """Zero moments and step count for ``params``.

        Parameters
        ----------
        params : ndarray of shape (n_params,)
            The flat parameter vector.
        decay_mask : array-like of bool or {0, 1}, shape (n_params,), default=None
            1 (True) where a parameter decays, e.g. the weights, and 0 (False)
            where it does not, e.g. the biases.  ``None`` decays every parameter.

        Returns
        -------
        self : AdamW
        """
        super().init(params)
        self.decay_mask = None if decay_mask is None else self._check_mask(decay_mask, params)
        return self

    @staticmethod
    def _check_mask(decay_mask, params):
        mask = np.asarray(decay_mask)
        if mask.shape != params.shape:
            raise ValueError(f"decay_mask must have the shape of params {params.shape}; "
                             f"got shape {mask.shape}.")
        if not np.isin(mask, (0, 1)).all():
            raise ValueError("decay_mask must hold only booleans or 0 and 1.")
        return mask.astype(params.dtype)

    def update(self, params, grad, learning_rate):
        """Decay the masked parameters, then one in-place Adam step."""
        if self.weight_decay != 0:
            decay = float(learning_rate) * self.weight_decay
            scratch = self._scratch[0]
            for block in blocks(params.size, scratch.size):
                part = params[block]
                shrink = np.multiply(part, decay, out=scratch[: part.size])
                if self.decay_mask is not None:
                    shrink *= self.decay_mask[block]
                part -= shrink
        return super().update(params, grad, learning_rate)


class RMSprop(_Optimizer):
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

    _param_names = ("rho", "epsilon")
    _n_scratch = 1
    _state_names = ("square_average",)

    def __init__(self, rho=0.9, epsilon=1e-8):
        _check_real("rho", rho, 0, 1)
        _check_real("epsilon", epsilon, 0, None, low_closed=False)
        self.rho = rho
        self.epsilon = epsilon

    def init(self, params):
        """Zero mean square for ``params``."""
        self.square_average = np.zeros_like(params)
        self._scratch = scratch_buffers(params, self._n_scratch)
        return self

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


class Adagrad(_Optimizer):
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

    _param_names = ("epsilon", "initial_accumulator")
    _n_scratch = 1
    _state_names = ("sum_of_squares",)

    def __init__(self, epsilon=1e-10, initial_accumulator=0.0):
        _check_real("epsilon", epsilon, 0, None, low_closed=False)
        _check_real("initial_accumulator", initial_accumulator, 0, None)
        self.epsilon = epsilon
        self.initial_accumulator = initial_accumulator

    def init(self, params):
        """Accumulator at ``initial_accumulator`` for ``params``."""
        self.sum_of_squares = np.full_like(params, self.initial_accumulator)
        self._scratch = scratch_buffers(params, self._n_scratch)
        return self

    def _update_block(self, params, grad, sum_of_squares, scratch, learning_rate):
        step = scratch[0]
        np.square(grad, out=step)
        sum_of_squares += step
        np.sqrt(sum_of_squares, out=step)
        step += self.epsilon
        np.divide(grad, step, out=step)
        step *= learning_rate
        params -= step


OPTIMIZERS = {"sgd": SGD, "adam": Adam, "rmsprop": RMSprop, "adagrad": Adagrad,
              "adamw": AdamW}
