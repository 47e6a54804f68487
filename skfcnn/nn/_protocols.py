r"""The base classes of two extension points, activations and losses.

Each documents its protocol; subclassing also gives ``repr``, equality and
hashing from the object's fields (:class:`ValueObject`, the base of every
extension point's objects, in ``_hyperparameters``), so that a user's
object pickles, deep-copies and clones as scikit-learn expects of a parameter.
They are public as :class:`skfcnn.nn.Activation` and :class:`skfcnn.nn.Loss`.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from ._hyperparameters import ValueObject

__all__ = ["Activation", "Loss", "ValueObject", "resolve"]


def resolve(spec, registry, methods, protocol, name, names):
    """The object a name or an object given for an extension point stands for.

    Parameters
    ----------
    spec : str or object
        A key of ``registry`` (its entry is returned), or an object (not a
        class) whose ``methods`` are all callable (returned as it is).
    registry : dict
        The registry of the extension point.
    methods : tuple of str
        The protocol's methods.
    protocol, name : str
        The protocol in words and the argument's name, for the messages.
    names : callable
        ``names() -> list of str``, the names to list as allowed (called only
        for an error message).

    Raises
    ------
    ValueError
        For a name that is not registered; ``TypeError`` for anything else.
    """
    if isinstance(spec, str):
        entry = registry.get(spec)
        if entry is None:
            raise ValueError(f"{name} {spec!r} is not supported; allowed are "
                             f"{names()} or {protocol}.")
        return entry
    if not isinstance(spec, type) and all(callable(getattr(spec, m, None)) for m in methods):
        return spec
    raise TypeError(f"{name} must be a name from {names()} or {protocol}; got {spec!r}.")


class Activation(ValueObject):
    r"""Base class of the activations: forward pass and derivative, in place.

    Calling the object is its forward pass.  See :mod:`skfcnn.nn.activations`.

    Attributes
    ----------
    name : str
        The key under which it is (or would be) registered in
        :data:`~skfcnn.nn.activations.ACTIVATIONS`.
    needs_preactivation : bool, default=False
        Whether :meth:`derivative` reads ``Z``; when False it gets ``Z=None``.
    hidden : bool, default=True
        Whether it may be used in a hidden layer (it has a derivative).
    output : bool, default=False
        Whether it is the canonical output activation of a loss (listed in
        :data:`~skfcnn.nn.activations.OUTPUT_ACTIVATIONS`).
    """

    name = None
    needs_preactivation = False
    hidden = True
    output = False

    def forward(self, Z: NDArray) -> NDArray:
        r"""Overwrite ``Z`` with :math:`f(Z)` and return it."""
        raise NotImplementedError(f"{type(self).__name__} must define forward(Z).")

    def derivative(self, Z: NDArray | None, A: NDArray, delta: NDArray) -> NDArray:
        r"""Multiply ``delta`` in place by :math:`f'(Z)` and return it.

        Parameters
        ----------
        Z : ndarray or None
            The pre-activation (``None`` unless ``needs_preactivation``).
        A : ndarray
            The output :math:`f(Z)`, of ``delta``'s shape.
        delta : ndarray
            :math:`\partial J / \partial A`; becomes :math:`\partial J / \partial Z`.
        """
        raise NotImplementedError(f"{type(self).__name__} has no derivative: it is an "
                                  f"output activation only.")

    def __call__(self, Z):
        return self.forward(Z)


class _CanonicalOutputs:
    """``frozenset({output_activation})`` unless the class or the instance sets ``outputs``."""

    def __get__(self, loss, owner=None):
        return self if loss is None else frozenset({loss.output_activation})


class Loss(ValueObject):
    r"""Base class of the losses: value, and gradient with respect to the output
    pre-activation :math:`Z_L`.

    A subclass defines :meth:`per_sample` (or :meth:`value`) and :meth:`gradient`;
    calling the object is :meth:`per_sample`.  See :mod:`skfcnn.nn.losses`.

    Attributes
    ----------
    name : str
        The key under which it is (or would be) registered in
        :data:`~skfcnn.nn.losses.LOSSES`.
    output_activation : str, default="identity"
        The canonical output activation, a key of
        :data:`~skfcnn.nn.activations.ACTIVATIONS`.
    outputs : frozenset of str, default={output_activation}
        The output activations the loss may follow.

    The rules an estimator follows for a loss are the loss's own (the
    estimators never name a loss); each has a default here, and
    :func:`~skfcnn.nn.losses.loss_rule` gives it for any loss object:

    monitor : {"score", "loss"}, default="score"
        What early stopping watches for ``monitor='auto'``: the validation
        score (R², accuracy) or the validation loss.
    positive_only : bool, default=False
        Whether the targets must be non-negative; :meth:`check_targets`
        enforces it, and it is scikit-learn's ``target_tags.positive_only``.
    multi_output : bool, default=True
        Whether the targets may have several columns
        (``target_tags.multi_output``).
    sorted_outputs : bool, default=False
        Whether :meth:`postprocess` sorts each row of the outputs (Monte Carlo
        dropout sorts each pass the same way).
    adaptive_scale : bool, default=False
        Whether the loss holds a scale that adapts to the residuals, which
        :meth:`frozen` holds fixed (L-BFGS and gradient checks hold it).
    """

    name = None
    output_activation = "identity"
    outputs = _CanonicalOutputs()
    monitor = "score"
    positive_only = False
    multi_output = True
    sorted_outputs = False
    adaptive_scale = False

    def check_targets(self, y: NDArray, name: str = "y") -> None:
        r"""Raise ``ValueError`` naming ``name`` unless the loss accepts targets ``y``.

        Called by ``fit`` (and for ``y_val``) with the validated, finite targets,
        before they are encoded.  By default the only rule is
        ``positive_only``: :math:`\min_i y_i \ge 0`.
        """
        if self.positive_only and np.any(y < 0):
            raise ValueError(
                f"loss={self.name or self!r} requires non-negative targets {name}; got "
                f"min({name})={y.min().item()!r}. Use loss='squared_error' or shift the targets.")

    def targets(self, Y: NDArray) -> NDArray:
        """The network's targets for ``Y`` of shape (n_samples, n_columns): one column
        per output (so the network gets as many outputs as this has columns).
        By default ``Y`` itself; several quantiles repeat the one column per level."""
        return Y

    def postprocess(self, outputs: NDArray) -> NDArray:
        """The predictions from the network's ``outputs`` (rows along the last axis),
        changed in place: each row sorted with ``sorted_outputs``, else as they are."""
        if self.sorted_outputs:
            outputs.sort(axis=-1)
        return outputs

    def frozen(self, y_true: NDArray, y_pred: NDArray,
               sample_weight: NDArray | None = None) -> Loss:
        """This loss with any scale that adapts to the residuals held at this batch's
        (``adaptive_scale``); by default the loss itself."""
        return self

    def per_sample(self, y_true: NDArray, y_pred: NDArray) -> NDArray:
        r"""The loss :math:`\ell_i` of each sample, an ndarray of shape (n_samples,)."""
        raise NotImplementedError(f"{type(self).__name__} must define per_sample or value.")

    def value(self, y_true: NDArray, y_pred: NDArray,
              sample_weight: NDArray | None = None) -> float:
        r"""The weighted mean loss :math:`\sum_i w_i \ell_i / \sum_i w_i`, a float.

        Parameters
        ----------
        y_true : ndarray of shape (n_samples, n_outputs)
        y_pred : ndarray of shape (n_samples, n_outputs)
            The output activation's values.
        sample_weight : ndarray of shape (n_samples,), default=None
            ``None`` means all ones.
        """
        per_sample = self.per_sample(y_true, y_pred)
        if sample_weight is None:
            return float(np.mean(per_sample))
        return float(np.dot(per_sample, sample_weight) / sample_weight.sum())

    def gradient(self, y_true: NDArray, y_pred: NDArray, sample_weight: NDArray | None = None,
                 out: NDArray | None = None,
                 output_activation: str | None = None) -> NDArray:
        r""":math:`\partial L / \partial Z_L` of :meth:`value`, with respect to the
        output pre-activation.

        Parameters
        ----------
        y_true, y_pred, sample_weight
            As in :meth:`value`.
        out : ndarray of shape (n_samples, n_outputs), default=None
            A buffer to write into (it may be ``y_pred`` itself); ``None``: a new array.
        output_activation : str, default=None
            The activation that produced ``y_pred``; ``None``: the canonical one.

        Returns
        -------
        ndarray of shape (n_samples, n_outputs)
        """
        raise NotImplementedError(f"{type(self).__name__} must define gradient.")

    def for_output(self, output_activation):
        """The loss to use after ``output_activation``: ``self`` when allowed.

        Raises
        ------
        ValueError
            When ``output_activation`` is not in ``outputs``.
        """
        if output_activation in self.outputs:
            return self
        raise ValueError(
            f"loss {self.name!r} cannot follow the output activation {output_activation!r}; "
            f"allowed outputs for it are {sorted(self.outputs)}."
        )

    def __call__(self, y_true, y_pred):
        return self.per_sample(y_true, y_pred)
