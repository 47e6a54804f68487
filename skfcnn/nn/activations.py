"""Activation functions and their derivatives, computed in place.

Every hidden activation is a pair: ``forward(Z)`` overwrites the
pre-activation ``Z`` with :math:`f(Z)`, and ``derivative(A, delta)`` multiplies
the back-propagated error ``delta`` in place by :math:`f'(Z)`, written in terms
of the activation's output :math:`A = f(Z)` so that the pre-activations need not
be kept.  Output activations (``identity``, ``logistic``, ``softmax``, ``exp``) only
need a forward pass: with their canonical loss the gradient with respect to the
pre-activation is :math:`(A - T) / n` (see :mod:`skfcnn.nn.losses`).

All functions are numerically stable for every finite input: none of them
computes ``exp`` of an unbounded positive value.
"""

import numpy as np
from scipy.special import expit

__all__ = ["ACTIVATIONS", "DERIVATIVES", "HIDDEN_ACTIVATIONS", "OUTPUT_ACTIVATIONS"]


def identity(Z):
    r"""Identity, :math:`f(z) = z`; returns ``Z`` unchanged."""
    return Z


def logistic(Z):
    r"""Logistic sigmoid in place.

    .. math:: \sigma(z) = \frac{1}{1 + e^{-z}}

    computed by :func:`scipy.special.expit`, which never overflows.
    """
    return expit(Z, out=Z)


def tanh(Z):
    r"""Hyperbolic tangent in place, :math:`f(z) = \tanh z`."""
    return np.tanh(Z, out=Z)


def relu(Z):
    r"""Rectified linear unit in place, :math:`f(z) = \max(z, 0)`."""
    return np.maximum(Z, 0, out=Z)


def softmax(Z):
    r"""Row-wise softmax in place.

    .. math:: s(z)_k = \frac{e^{z_k - m}}{\sum_j e^{z_j - m}},
              \quad m = \max_j z_j

    Subtracting the row maximum :math:`m` makes every exponent :math:`\le 0`,
    so nothing overflows; the largest term is exactly 1, so the denominator is
    at least 1.  For extreme logits (e.g. :math:`\pm 10^{300}`) the shifted
    value may round to :math:`-\infty`, whose exponential is exactly 0.
    """
    with np.errstate(over="ignore"):
        np.subtract(Z, Z.max(axis=1, keepdims=True), out=Z)
    np.exp(Z, out=Z)
    Z /= Z.sum(axis=1, keepdims=True)
    return Z


def exp(Z):
    r"""Exponential in place, the output of Poisson regression.

    .. math:: f(z) = e^{\min(z,\, \log x_\text{max})}

    The argument is clipped at the log of the dtype's largest finite value, so
    the result is always finite.
    """
    # log(max) rounded towards 0 in Z's dtype, so that exp of it stays finite
    bound = np.nextafter(np.log(np.finfo(Z.dtype).max).astype(Z.dtype), Z.dtype.type(0))
    np.minimum(Z, bound, out=Z)
    return np.exp(Z, out=Z)


def identity_derivative(A, delta):
    r"""Derivative of the identity: :math:`f'(z) = 1`, ``delta`` is unchanged."""
    return delta


def logistic_derivative(A, delta):
    r"""Multiply ``delta`` by the logistic derivative.

    .. math:: \sigma'(z) = \sigma(z)\,(1 - \sigma(z)) = A (1 - A)
    """
    delta *= A
    delta *= 1 - A
    return delta


def tanh_derivative(A, delta):
    r"""Multiply ``delta`` by the tanh derivative.

    .. math:: \tanh'(z) = 1 - \tanh^2 z = 1 - A^2
    """
    delta *= 1 - A**2
    return delta


def relu_derivative(A, delta):
    r"""Multiply ``delta`` by the ReLU derivative.

    .. math:: f'(z) = [z > 0] = [A > 0]

    (the sub-gradient 0 is taken at :math:`z = 0`).
    """
    delta[A <= 0] = 0
    return delta


ACTIVATIONS = {
    "identity": identity,
    "logistic": logistic,
    "tanh": tanh,
    "relu": relu,
    "softmax": softmax,
    "exp": exp,
}

DERIVATIVES = {
    "identity": identity_derivative,
    "logistic": logistic_derivative,
    "tanh": tanh_derivative,
    "relu": relu_derivative,
}

HIDDEN_ACTIVATIONS = tuple(DERIVATIVES)
OUTPUT_ACTIVATIONS = ("identity", "logistic", "softmax", "exp")
