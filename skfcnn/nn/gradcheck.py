r"""Numerical gradients by central differences, and a check against backprop.

For a scalar function :math:`f` of a parameter vector :math:`\theta`,

.. math:: \frac{\partial f}{\partial \theta_j} \approx
          \frac{f(\theta + h e_j) - f(\theta - h e_j)}{2h},

whose error is :math:`O(h^2)`.  Comparing it with the back-propagated gradient
catches a wrong derivative anywhere in the network.
"""

import numpy as np

__all__ = ["GradientCheckError", "check_gradient", "compare_gradients", "numerical_gradient"]


class GradientCheckError(ValueError):
    """Raised when a gradient differs from its central-difference estimate."""


def numerical_gradient(fun, params, eps=1e-5):
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


def compare_gradients(gradient, numeric, rtol=1e-5, atol=1e-7):
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


def check_gradient(fun, params, gradient, eps=1e-5, rtol=1e-5, atol=1e-7):
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
