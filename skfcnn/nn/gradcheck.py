r"""Numerical gradients by central differences, and a check against backprop.

For a scalar function :math:`f` of a parameter vector :math:`\theta`,

.. math:: \frac{\partial f}{\partial \theta_j} \approx
          \frac{f(\theta + h e_j) - f(\theta - h e_j)}{2h},

whose error is :math:`O(h^2)`.  Comparing it with the back-propagated gradient
catches a wrong derivative anywhere in the network.  :func:`check_activation`
and :func:`check_loss` check one new activation or loss on its own.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.typing import NDArray

from ._protocols import Activation
from .activations import ACTIVATIONS, get_activation
from .losses import check_loss_output, get_loss, loss_rule

__all__ = ["GradientCheckError", "check_activation", "check_gradient", "check_loss",
           "compare_gradients", "numerical_gradient"]


class GradientCheckError(ValueError):
    """Raised when a gradient differs from its central-difference estimate."""


def numerical_gradient(fun: Callable[[NDArray], float], params: NDArray,
                       eps: float = 1e-5) -> NDArray:
    r"""Central-difference gradient of ``fun`` at ``params``.

    Parameters
    ----------
    fun : callable
        ``fun(params) -> float``.  Each element of ``params`` is perturbed in
        place by :math:`\pm h` (and restored) before ``fun`` is called, so
        ``fun`` may also read the vector through views of it.
    params : ndarray of shape (n_params,)
        Flat parameter vector; unchanged on return.
    eps : float, default=1e-5
        Step :math:`h`.

    Returns
    -------
    ndarray of shape (n_params,), float64
    """
    gradient = np.empty(params.shape[0], dtype=np.float64)
    for j in range(params.shape[0]):
        original = params[j]
        params[j] = original + eps
        f_plus = fun(params)
        params[j] = original - eps
        f_minus = fun(params)
        params[j] = original
        gradient[j] = (f_plus - f_minus) / (2 * eps)
    return gradient


def compare_gradients(gradient: NDArray, numeric: NDArray, rtol: float = 1e-5,
                      atol: float = 1e-7) -> float:
    """Raise unless ``|gradient - numeric| <= atol + rtol * |numeric|`` everywhere.

    Parameters
    ----------
    gradient, numeric : ndarray of shape (n_params,)
        The gradient to check and its central-difference estimate.
    rtol, atol : float
        Elementwise tolerance.

    Returns
    -------
    float
        The largest absolute difference.

    Raises
    ------
    GradientCheckError
        Naming the worst parameter index and both values; a NaN or infinite
        entry in either gradient always fails.
    """
    gradient = np.asarray(gradient, dtype=np.float64)
    error = np.abs(gradient - numeric)
    excess = error - (atol + rtol * np.abs(numeric))
    excess = np.where(np.isfinite(excess), excess, np.inf)  # NaN or inf anywhere fails
    worst = int(np.argmax(excess)) if excess.size else 0
    if excess.size and excess[worst] > 0:
        raise GradientCheckError(
            f"gradient check failed at parameter {worst}: backprop gives "
            f"{gradient[worst]!r}, central differences give {numeric[worst]!r} "
            f"(|difference| {error[worst]:.3g} > atol={atol} + rtol={rtol} * |numeric|)"
        )
    return float(error.max()) if error.size else 0.0


def check_gradient(fun: Callable[[NDArray], float], params: NDArray, gradient: NDArray,
                   eps: float = 1e-5, rtol: float = 1e-5,
                   atol: float = 1e-7) -> float:
    """Compare an analytic gradient with the central-difference one.

    Parameters
    ----------
    fun : callable
        ``fun(params) -> float``, see :func:`numerical_gradient`.
    params : ndarray of shape (n_params,)
    gradient : ndarray of shape (n_params,)
        The gradient to check (e.g. from back-propagation) at ``params``.
    eps : float, default=1e-5
        Finite-difference step.
    rtol, atol : float
        Elementwise tolerance: ``|g - g_num| <= atol + rtol * |g_num|``.

    Returns
    -------
    float
        The largest absolute difference.

    Raises
    ------
    GradientCheckError
        Naming the worst parameter index and both values.
    """
    return compare_gradients(gradient, numerical_gradient(fun, params, eps), rtol, atol)


def _weighted_sum_check(forward, backward, Z, eps, rtol, atol):
    """Compare ``backward(Z)`` with the central differences of ``forward`` over ``Z``."""
    Z = np.array(Z, dtype=np.float64)
    numeric = numerical_gradient(lambda flat: forward(flat.reshape(Z.shape).copy()),
                                 Z.ravel().copy(), eps)
    return compare_gradients(np.ravel(backward(Z.copy())), numeric, rtol, atol)


def check_activation(activation: str | Activation, Z: NDArray | None = None,
                     eps: float = 1e-6, rtol: float = 1e-5, atol: float = 1e-7,
                     random_state: int = 0) -> float:
    r"""Check an activation's ``derivative`` against central differences of its ``forward``.

    With fixed random weights :math:`G`, the scalar
    :math:`J(Z) = \sum_{ij} G_{ij} f(Z)_{ij}` has the gradient
    ``derivative(Z, f(Z), G)`` (``Z=None`` unless ``needs_preactivation``),
    compared with central differences of :math:`J` over every entry of ``Z``
    (so a row-wise activation is checked too).

    Parameters
    ----------
    activation : str or Activation
        A registered name or an activation object (:func:`get_activation`).
    Z : array-like of shape (n_samples, n_units), default=None
        Where to check, in float64; ``None``: a (4, 5) standard normal draw.
    eps, rtol, atol : float
        As in :func:`check_gradient`.
    random_state : int, default=0
        Seeds the default ``Z`` and the weights :math:`G`.

    Returns
    -------
    float
        The largest absolute difference.

    Raises
    ------
    GradientCheckError
        Naming the worst entry (in ``Z.ravel()`` order) and both values.
    """
    activation = get_activation(activation)
    rng = np.random.RandomState(random_state)
    Z = rng.standard_normal((4, 5)) if Z is None else np.asarray(Z, dtype=np.float64)
    weights = rng.standard_normal(Z.shape)
    needs_z = getattr(activation, "needs_preactivation", False)

    def backward(Z):
        A = activation.forward(Z.copy())
        return activation.derivative(Z if needs_z else None, A, weights.copy())

    return _weighted_sum_check(lambda Z: float(np.sum(weights * activation.forward(Z))),
                               backward, Z, eps, rtol, atol)


def check_loss(loss, y_true, Z, output_activation=None, sample_weight=None, eps=1e-6,
               rtol=1e-5, atol=1e-7):
    r"""Check a loss's ``gradient`` against central differences of its ``value``.

    The gradient is with respect to the output pre-activation ``Z``:
    ``gradient(y_true, f(Z), sample_weight, None, output_activation)`` against
    the central differences of ``value(y_true, f(Z), sample_weight)``, with
    :math:`f` the output activation.  The loss is checked as its ``frozen(y_true,
    y_pred, sample_weight)`` (:class:`~skfcnn.nn.Loss`; itself by default), with its
    data-dependent settings held at their values at ``Z`` (the adaptive
    threshold of :class:`~skfcnn.nn.robust_losses.Huber`, which its gradient
    holds constant).

    Parameters
    ----------
    loss : str or Loss
        A registered name or a loss object (:func:`~skfcnn.nn.losses.get_loss`).
    y_true : ndarray of shape (n_samples, n_outputs)
    Z : array-like of shape (n_samples, n_outputs)
        The output pre-activation where to check, in float64.
    output_activation : str, default=None
        A key of :data:`~skfcnn.nn.activations.ACTIVATIONS` that may follow
        ``loss``; ``None``: its canonical one (``"identity"`` when it has none).
    sample_weight : ndarray of shape (n_samples,), default=None
    eps, rtol, atol : float
        As in :func:`check_gradient`.

    Returns
    -------
    float
        The largest absolute difference.

    Raises
    ------
    GradientCheckError
        Naming the worst entry (in ``Z.ravel()`` order) and both values.
    ValueError
        When ``output_activation`` may not follow ``loss``.
    """
    loss = get_loss(loss)
    if output_activation is None:
        output_activation = loss_rule(loss, "output_activation")
    check_loss_output(loss, output_activation)
    forward = ACTIVATIONS[output_activation].forward
    # data-dependent settings (the adaptive Huber threshold) held; others: the loss itself
    loss = loss_rule(loss, "frozen")(y_true, forward(np.array(Z, dtype=np.float64)),
                                     sample_weight)
    return _weighted_sum_check(
        lambda Z: float(loss.value(y_true, forward(Z), sample_weight)),
        lambda Z: loss.gradient(y_true, forward(Z), sample_weight, None, output_activation),
        Z, eps, rtol, atol)
