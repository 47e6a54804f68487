r"""Gradient transforms: steps that run before an optimiser's update.

A transform is a small picklable class whose constructor stores its
hyper-parameters verbatim, with

``init(params, ...) -> state``
    The state for the flat parameter vector ``params`` (``None`` when it
    needs none); keyword options such as ``decay_mask`` may follow.
``apply(params, grad, learning_rate, state)``
    Change the gradient ``grad`` and/or the parameters ``params`` in place,
    just before the update; the return value is ignored.

Like an optimiser's, these methods never change the object itself.
:func:`chain` puts transforms in front of an optimiser and gives an object
with the optimiser protocol (:mod:`skfcnn.nn.optimizers`): ``init`` and
``update``, which applies the transforms in order, then the optimiser, on
the same gradient and learning rate.  The estimators build
``chain(ClipByGlobalNorm(max_grad_norm), DecoupledWeightDecay(weight_decay),
optimizer)`` from their parameters, leaving out the transforms they do not
use, and use the bare optimiser when there is none.
"""

import inspect
import math

import numpy as np

from ._blocks import OptimizerState, blocks, scratch_buffers
from ._hyperparameters import ValueObject, check_real

__all__ = ["Chain", "ClipByGlobalNorm", "DecoupledWeightDecay", "Transform", "chain",
           "clip_gradient"]


def clip_gradient(grad, max_norm):
    r"""Rescale ``grad`` in place so that :math:`\lVert g \rVert_2 \le` ``max_norm``.

    .. math:: g \leftarrow g \cdot \min\left(1, \frac{c}{\lVert g \rVert_2}\right)

    A finite gradient whose squared norm overflows (from about :math:`10^{19}`
    in float32) is first divided by its largest magnitude :math:`m`, so that it
    is clipped rather than zeroed: :math:`\lVert g \rVert_2 = m \lVert g / m \rVert_2`.
    """
    norm = float(np.sqrt(np.dot(grad, grad)))
    if not math.isfinite(norm):
        largest = max(float(grad.max()), -float(grad.min()))
        if not math.isfinite(largest):
            return grad  # not finite: the divergence checks report it
        grad /= largest
        scaled_norm = float(np.sqrt(np.dot(grad, grad)))
        grad *= min(largest, max_norm / scaled_norm)
        return grad
    if norm > max_norm:
        grad *= max_norm / norm
    return grad


def check_decay_mask(decay_mask, params):
    """``decay_mask`` in the dtype of ``params`` (``None`` stays ``None``), checked."""
    if decay_mask is None:
        return None
    mask = np.asarray(decay_mask)
    if mask.shape != params.shape:
        raise ValueError(f"decay_mask must have the shape of params {params.shape}; "
                         f"got shape {mask.shape}.")
    if not np.isin(mask, (0, 1)).all():
        raise ValueError("decay_mask must hold only booleans or 0 and 1.")
    return mask.astype(params.dtype)


def decay(params, factor, mask, scratch):
    r"""Shrink ``params`` in place, block by block, through one ``scratch`` row:

    .. math:: \theta \leftarrow \theta - f \, d \odot \theta

    with :math:`f` = ``factor`` (a Python float) and :math:`d` = ``mask``
    (``None`` for all ones, or a vector of ``params``' layout).
    """
    for block in blocks(params.size, scratch.size):
        part = params[block]
        shrink = np.multiply(part, factor, out=scratch[: part.size])
        if mask is not None:
            shrink *= mask[block]
        part -= shrink


class Transform(ValueObject):
    """Base class of the gradient transforms: ``repr``, equality and hashing from
    the constructor arguments, and an ``init`` that needs no state."""

    def init(self, params):
        """No state: ``None``."""
        return None

    def apply(self, params, grad, learning_rate, state):
        """Change ``grad`` and/or ``params`` in place before the update."""
        raise NotImplementedError


class ClipByGlobalNorm(Transform):
    r"""Clip the whole flat gradient to a Euclidean norm :math:`c`:

    .. math:: g \leftarrow g \cdot \min\left(1, \frac{c}{\lVert g \rVert_2}\right)

    (see :func:`clip_gradient`).  The estimators' ``max_grad_norm``.

    Parameters
    ----------
    max_norm : float
        :math:`c > 0`.
    """

    def __init__(self, max_norm):
        check_real("max_norm", max_norm, 0, None, low_closed=False)
        self.max_norm = max_norm

    def apply(self, params, grad, learning_rate, state):
        """Rescale ``grad`` in place when its norm exceeds ``max_norm``."""
        clip_gradient(grad, self.max_norm)


class DecoupledWeightDecay(Transform):
    r"""Decoupled weight decay (Loshchilov & Hutter, 2019) before any optimiser's step.

    The parameters selected by the mask :math:`d` (1 = decay, 0 = keep)
    shrink by the *scheduled* learning rate :math:`\eta` times the decay
    :math:`\lambda`, before the optimiser's step (PyTorch's order):

    .. math:: \theta \leftarrow \theta - \eta \lambda \, d \odot \theta

    The decay does not pass through the optimiser's per-parameter scaling,
    unlike an L2 penalty added to the loss.  In front of
    :class:`~skfcnn.nn.optimizers.Adam` it gives the numbers of
    :class:`~skfcnn.nn.optimizers.AdamW` bit for bit.

    Parameters
    ----------
    weight_decay : float
        :math:`\lambda \ge 0`.
    """

    def __init__(self, weight_decay):
        check_real("weight_decay", weight_decay, 0, None)
        self.weight_decay = weight_decay

    def init(self, params, decay_mask=None):
        """The decay mask and a scratch row for ``params``.

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
            ``decay_mask`` (``None`` or in the dtype of ``params``) and one
            scratch row.
        """
        return OptimizerState(scratch=scratch_buffers(params, 1),
                              decay_mask=check_decay_mask(decay_mask, params))

    def apply(self, params, grad, learning_rate, state):
        """Shrink the masked parameters in place."""
        if self.weight_decay != 0:
            decay(params, float(learning_rate) * self.weight_decay, state.decay_mask,
                  state.scratch[0])


def _accepted(method, options):
    """The entries of ``options`` that ``method`` takes as keyword arguments."""
    parameters = inspect.signature(method).parameters
    if any(p.kind is p.VAR_KEYWORD for p in parameters.values()):
        return dict(options)
    return {name: value for name, value in options.items() if name in parameters}


class Chain(ValueObject):
    """Transforms, then an optimiser: an object with the optimiser protocol.

    Built by :func:`chain`.  The state is a tuple: one state per transform,
    then the optimiser's.

    Parameters
    ----------
    transforms : tuple of transforms
        Applied in this order before each update.
    optimizer : optimizer
        Takes the step (``init`` and ``update``).
    """

    def __init__(self, transforms, optimizer):
        transforms = tuple(transforms)
        for transform in transforms:
            if not (callable(getattr(transform, "apply", None))
                    and callable(getattr(transform, "init", None))):
                raise TypeError(f"Each transform of a chain needs init and apply methods; "
                                f"got {transform!r}.")
        if not (callable(getattr(optimizer, "update", None))
                and callable(getattr(optimizer, "init", None))):
            raise TypeError(f"The last step of a chain must be an optimiser, with init and "
                            f"update methods; got {optimizer!r}.")
        self.transforms = transforms
        self.optimizer = optimizer

    def init(self, params, **options):
        """The states of the transforms and of the optimiser, as a tuple.

        Each keyword option (e.g. ``decay_mask``) goes to every step whose
        ``init`` takes it; one that no step takes raises ``TypeError``.
        """
        steps = (*self.transforms, self.optimizer)
        states, used = [], set()
        for step in steps:
            accepted = _accepted(step.init, options)
            used.update(accepted)
            states.append(step.init(params, **accepted))
        unused = sorted(set(options) - used)
        if unused:
            raise TypeError(f"No step of {self!r} takes the init option(s) {unused}.")
        return tuple(states)

    def update(self, params, grad, learning_rate, state):
        """Apply the transforms in order, then the optimiser's update; returns ``params``."""
        for transform, transform_state in zip(self.transforms, state):
            transform.apply(params, grad, learning_rate, transform_state)
        return self.optimizer.update(params, grad, learning_rate, state[-1])


def chain(*steps):
    """``chain(transform, ..., optimizer)``: the transforms in order, then the optimiser.

    Parameters
    ----------
    *steps : transforms, then an optimiser
        Any number of transforms (objects with ``init`` and ``apply``) and,
        last, an optimiser (``init`` and ``update``).

    Returns
    -------
    chained : Chain
        With ``init(params, **options) -> state`` and ``update(params, grad,
        learning_rate, state)``.  ``chain(optimizer)`` is a chain of no
        transform (the estimators use the bare optimiser instead).

    Examples
    --------
    >>> import numpy as np
    >>> from skfcnn.nn.optimizers import SGD
    >>> from skfcnn.nn.transforms import ClipByGlobalNorm, chain
    >>> params, grad = np.zeros(2), np.array([3.0, 4.0])
    >>> clipped_sgd = chain(ClipByGlobalNorm(1.0), SGD(momentum=0.0))
    >>> state = clipped_sgd.init(params)
    >>> clipped_sgd.update(params, grad, 0.5, state)
    array([-0.3, -0.4])
    """
    if not steps:
        raise TypeError("chain needs at least an optimiser; got no argument.")
    return Chain(steps[:-1], steps[-1])
