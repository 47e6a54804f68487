r"""Activation functions and their derivatives, computed in place.

Every activation is an object whose class holds its forward pass and its
derivative side by side (micrograd's ``engine.py`` shape): ``forward(Z)``
overwrites the pre-activation ``Z`` with :math:`A = f(Z)`, and
``derivative(Z, A, delta)`` multiplies the back-propagated error ``delta`` in
place by :math:`f'(Z)`.  :data:`ACTIVATIONS` maps each name to its object, and
calling the object is its forward pass (``ACTIVATIONS["relu"](Z)``).

Most derivatives are written in terms of the output :math:`A` alone, so the
network need not keep the pre-activations: those get ``Z=None``.  Only an
activation with ``needs_preactivation = True`` (``gelu`` and ``swish``, whose
derivative cannot be recovered cheaply from :math:`A`) reads ``Z``; for those
the network keeps a copy of the pre-activation.

Output activations (``identity``, ``logistic``, ``softmax``, ``exp``) only
need a forward pass: with their canonical loss the gradient with respect to the
pre-activation is :math:`(A - T) / n` (see :mod:`skfcnn.nn.losses`).

All built-in activations are numerically stable for every finite input: none
of them computes ``exp`` of an unbounded positive value, and none warns of an
overflow.

To add one, subclass :class:`Activation`: set ``name`` (and
``needs_preactivation = True`` when the derivative reads ``Z``), write ``forward``
and ``derivative`` (both in place), then pass the object wherever a hidden
activation is accepted, ``Network(..., hidden_activation=Cube())``, or register
it by name, ``ACTIVATIONS["cube"] = Cube()``.  Any object with callable
``forward`` and ``derivative`` will do (:func:`get_activation`); the base class
adds calling, and ``repr``, equality and hashing from the attributes, so that
the object pickles, deep-copies and clones as scikit-learn expects.  The
derived views (:data:`DERIVATIVES`, :data:`HIDDEN_ACTIVATIONS`, ...) read the
registry each time, so they list a registered name at once.
"""

from __future__ import annotations

import numpy as np
from scipy.special import expit

from ._blocks import zeros_for
from ._protocols import Activation, resolve
from ._views import Names, NameSet, ValueView

__all__ = ["ACTIVATIONS", "DERIVATIVES", "ELU", "GELU", "HIDDEN_ACTIVATIONS", "Activation",
           "Exp", "Identity", "LeakyReLU", "Logistic", "NEEDS_PREACTIVATION",
           "OUTPUT_ACTIVATIONS", "ReLU", "Softmax", "Softplus", "Swish", "Tanh",
           "check_hidden_activations", "get_activation"]

#: Slope of ``leaky_relu`` for negative inputs.
LEAKY_SLOPE = 0.01
#: :math:`\sqrt{2 / \pi}`, the scale of the tanh approximation of GELU (a Python
#: float: a NumPy float64 scalar would make every float32 pass run in float64).
GELU_SCALE = float(np.sqrt(2.0 / np.pi))
#: Coefficient of the cubic term of the tanh approximation of GELU.
GELU_CUBIC = 0.044715
# |z| above which GELU is exactly z or 0 in floating point; clipping the cubic
# there keeps it finite (even in float32) without changing any result
_GELU_CLIP = 1e4

_PROTOCOL = "an object with forward(Z) and derivative(Z, A, delta) methods (an Activation)"


# ------------------------------------------------------------- the built-ins


class Identity(Activation):
    r"""Identity, :math:`f(z) = z`, :math:`f'(z) = 1`."""
    name, output = "identity", True

    def forward(self, Z):
        r"""Identity, :math:`f(z) = z`; returns ``Z`` unchanged."""
        return Z

    def derivative(self, Z, A, delta):
        r"""Derivative of the identity: :math:`f'(z) = 1`, ``delta`` is unchanged."""
        return delta


class Logistic(Activation):
    r"""Logistic sigmoid, :math:`\sigma(z) = 1 / (1 + e^{-z})`."""
    name, output = "logistic", True

    def forward(self, Z):
        r"""Logistic sigmoid in place.

        .. math:: \sigma(z) = \frac{1}{1 + e^{-z}}

        computed by :obj:`scipy.special.expit`, which never overflows.
        """
        return expit(Z, out=Z)

    def derivative(self, Z, A, delta):
        r"""Multiply ``delta`` by the logistic derivative.

        .. math:: \sigma'(z) = \sigma(z)\,(1 - \sigma(z)) = A (1 - A)
        """
        delta *= A
        delta *= 1 - A
        return delta


class Tanh(Activation):
    r"""Hyperbolic tangent, :math:`f(z) = \tanh z`."""
    name = "tanh"

    def forward(self, Z):
        r"""Hyperbolic tangent in place, :math:`f(z) = \tanh z`."""
        return np.tanh(Z, out=Z)

    def derivative(self, Z, A, delta):
        r"""Multiply ``delta`` by the tanh derivative.

        .. math:: \tanh'(z) = 1 - \tanh^2 z = 1 - A^2
        """
        slope = np.square(A)
        delta *= np.subtract(1, slope, out=slope)
        return delta


class ReLU(Activation):
    r"""Rectified linear unit, :math:`f(z) = \max(z, 0)`."""
    name = "relu"

    def forward(self, Z):
        r"""Rectified linear unit in place, :math:`f(z) = \max(z, 0)`."""
        return np.maximum(Z, zeros_for(Z), out=Z)

    def derivative(self, Z, A, delta):
        r"""Multiply ``delta`` by the ReLU derivative.

        .. math:: f'(z) = [z > 0] = [A > 0]

        (the sub-gradient 0 is taken at :math:`z = 0`).  A multiplication by the
        boolean mask, not a masked assignment: it has no data-dependent branches,
        so it runs at the speed of any element-wise product.
        """
        return np.multiply(delta, A > 0, out=delta)


class LeakyReLU(Activation):
    r"""Leaky rectified linear unit with slope :data:`~.LEAKY_SLOPE` below 0."""
    name = "leaky_relu"

    def forward(self, Z):
        r"""Leaky rectified linear unit in place.

        .. math:: f(z) = \begin{cases} z & z > 0 \\ s z & z \le 0 \end{cases},
                  \qquad s = 0.01
        """
        # max(z, s z) is z for z > 0 and s z for z <= 0 (0 < s < 1): no masked write
        return np.maximum(Z, np.multiply(Z, LEAKY_SLOPE), out=Z)

    def derivative(self, Z, A, delta):
        r"""Multiply ``delta`` by the leaky ReLU derivative.

        .. math:: f'(z) = \begin{cases} 1 & A > 0 \\ s = 0.01 & A \le 0 \end{cases}

        :math:`A` has the sign of :math:`z`, so :math:`Z` is not needed (the
        one-sided value :math:`s` is taken at :math:`z = 0`).  The factor is built
        as :math:`\max([A > 0], s)`, exactly 1 or :math:`s`, without a masked write.
        """
        slope = np.greater(A, 0, out=np.empty_like(A))
        np.maximum(slope, LEAKY_SLOPE, out=slope)
        return np.multiply(delta, slope, out=delta)


class ELU(Activation):
    r"""Exponential linear unit (:math:`\alpha = 1`)."""
    name = "elu"

    def forward(self, Z):
        r"""Exponential linear unit (:math:`\alpha = 1`) in place.

        .. math:: f(z) = \begin{cases} z & z > 0 \\ e^{z} - 1 & z \le 0 \end{cases}

        computed as :math:`\max(z, \operatorname{expm1}(\min(z, 0)))` (since
        :math:`e^{z} - 1 > z` for :math:`z < 0`): ``expm1`` is accurate near 0 and,
        evaluated on :math:`\min(z, 0)`, never overflows; no masked write is needed.
        """
        negative_part = np.minimum(Z, zeros_for(Z))
        np.expm1(negative_part, out=negative_part)
        return np.maximum(Z, negative_part, out=Z)

    def derivative(self, Z, A, delta):
        r"""Multiply ``delta`` by the ELU derivative.

        .. math:: f'(z) = \begin{cases} 1 & z > 0 \\ e^{z} = A + 1 & z \le 0 \end{cases}

        written in :math:`A` (whose sign is that of :math:`z`) as
        :math:`\min(A, 0) + 1`, without a masked write.
        """
        slope = np.minimum(A, zeros_for(A))
        slope += 1
        return np.multiply(delta, slope, out=delta)


class Softplus(Activation):
    r"""Softplus, :math:`f(z) = \log(1 + e^{z})`."""
    name = "softplus"

    def forward(self, Z):
        r"""Softplus in place.

        .. math:: f(z) = \log(1 + e^{z}) = \operatorname{logaddexp}(0, z)

        :func:`numpy.logaddexp` factors out the larger exponent, so no ``exp``
        of a positive value is taken.
        """
        return np.logaddexp(0, Z, out=Z)

    def derivative(self, Z, A, delta):
        r"""Multiply ``delta`` by the softplus derivative.

        .. math:: f'(z) = \sigma(z) = 1 - e^{-A} = -\operatorname{expm1}(-A)

        since :math:`e^{-A} = 1 / (1 + e^{z}) = 1 - \sigma(z)`.  :math:`A > 0`,
        so the exponent is never positive; ``expm1`` keeps full relative accuracy
        where :math:`\sigma(z)` is tiny.
        """
        gate = np.negative(A)
        np.expm1(gate, out=gate)
        delta *= gate
        return np.negative(delta, out=delta)


def _gelu_tanh(Z):
    r""":math:`t = \tanh u`, :math:`u = \sqrt{2/\pi}\,(z + 0.044715 z^3)`, in a new
    array, with :math:`z` clipped to :math:`\pm 10^4` (where :math:`t = \pm 1`
    exactly); returns ``(t, clipped z)``."""
    clipped = np.clip(Z, -_GELU_CLIP, _GELU_CLIP)
    inner = np.square(clipped)
    inner *= GELU_CUBIC
    inner += 1
    inner *= clipped
    inner *= GELU_SCALE
    return np.tanh(inner, out=inner), clipped


class GELU(Activation):
    r"""Gaussian error linear unit, tanh approximation."""
    name, needs_preactivation = "gelu", True

    def forward(self, Z):
        r"""Gaussian error linear unit, tanh approximation, in place.

        .. math:: f(z) = \tfrac12 z \left(1 + \tanh u\right),
                  \qquad u = \sqrt{2/\pi}\,\left(z + 0.044715\, z^3\right)

        computed as written, as PyTorch's ``GELU(approximate="tanh")`` does: NumPy's
        ``tanh`` is vectorised, about ten times faster than a logistic function.
        For :math:`z < -5` the factor :math:`1 + \tanh u` keeps only a few correct
        digits (and is 0 below about :math:`-10`), an absolute error under
        :math:`|z|` times the dtype's epsilon on a value that is itself that small.
        """
        half = _gelu_tanh(Z)[0]
        half += 1
        half *= 0.5
        Z *= half
        return Z

    def derivative(self, Z, A, delta):
        r"""Multiply ``delta`` by the derivative of the tanh-approximated GELU.

        With :math:`t = \tanh u` and :math:`u = \sqrt{2/\pi}\,(z + 0.044715 z^3)`,

        .. math:: f'(z) = \tfrac12 (1 + t) + \tfrac12 z\, (1 - t^2)\, \sqrt{2/\pi}\,
                  \left(1 + 3 \cdot 0.044715\, z^2\right)

        which needs :math:`Z`.  The polynomial uses :math:`z` clipped to
        :math:`\pm 10^4`; beyond that :math:`1 - t^2` is exactly 0, so every
        product stays finite.
        """
        tanh_u, clipped = _gelu_tanh(Z)
        slope = np.square(clipped)
        slope *= 3 * GELU_CUBIC
        slope += 1
        slope *= clipped
        slope *= 0.5 * GELU_SCALE
        one_minus_square = np.square(tanh_u, out=clipped)
        np.subtract(1, one_minus_square, out=one_minus_square)
        slope *= one_minus_square
        tanh_u += 1
        tanh_u *= 0.5
        slope += tanh_u
        delta *= slope
        return delta


def _sigmoid(Z):
    r""":math:`\sigma(z) = 1 / (1 + e^{-z})` in a new array, from :math:`e = e^{-|z|}`:

    .. math:: \sigma(z) = \frac{\max(e, [z \ge 0])}{1 + e}

    which is :math:`1 / (1 + e^{-z})` for :math:`z \ge 0` and
    :math:`e^{z} / (1 + e^{z})` for :math:`z < 0`: :obj:`scipy.special.expit`'s
    own two formulas (no overflow, full relative precision on both sides;
    within 2 ulps of it) in NumPy's vectorised ufuncs, without a masked
    select, about 2.5 times faster.
    """
    e = np.abs(Z)
    np.negative(e, out=e)
    np.exp(e, out=e)
    denominator = np.add(e, 1)
    numerator = np.maximum(e, Z >= 0, out=e)
    return np.divide(numerator, denominator, out=denominator)


class Swish(Activation):
    r"""Swish (SiLU), :math:`f(z) = z\, \sigma(z)`."""
    name, needs_preactivation = "swish", True

    def forward(self, Z):
        r"""Swish (SiLU) in place.

        .. math:: f(z) = z\, \sigma(z) = \frac{z}{1 + e^{-z}}

        with :math:`\sigma` computed without overflow (the private ``_sigmoid``:
        :obj:`scipy.special.expit`'s two formulas in NumPy's ufuncs).
        """
        Z *= _sigmoid(Z)
        return Z

    def derivative(self, Z, A, delta):
        r"""Multiply ``delta`` by the swish derivative.

        .. math:: f'(z) = \sigma(z) + z\,\sigma(z)\,(1 - \sigma(z))
                  = \sigma(z) + A\,(1 - \sigma(z))

        which needs :math:`Z` for :math:`\sigma(z)`.
        """
        gate = _sigmoid(Z)
        slope = np.subtract(1, gate)
        slope *= A
        slope += gate
        delta *= slope
        return delta


class Softmax(Activation):
    r"""Row-wise softmax (output layer only)."""
    name, hidden, output = "softmax", False, True

    def forward(self, Z):
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


class Exp(Activation):
    r"""Exponential, the output of Poisson regression (output layer only)."""
    name, hidden, output = "exp", False, True

    def forward(self, Z):
        r"""Exponential in place, the output of Poisson regression.

        .. math:: f(z) = e^{\min(z,\, \log x_\text{max})}

        The argument is clipped at the log of the dtype's largest finite value, so
        the result is always finite.
        """
        # log(max) rounded towards 0 in Z's dtype, so that exp of it stays finite
        bound = np.nextafter(np.log(np.finfo(Z.dtype).max).astype(Z.dtype), Z.dtype.type(0))
        np.minimum(Z, bound, out=Z)
        return np.exp(Z, out=Z)


# ---------------------------------------------------------------- registries

#: Every activation by name: the one registry; everything below is derived from it.
ACTIVATIONS = {activation.name: activation for activation in (
    Identity(), Logistic(), Tanh(), ReLU(), LeakyReLU(), ELU(), Softplus(), GELU(), Swish(),
    Softmax(), Exp(),
)}

# The views below read ACTIVATIONS at every use: a name registered later is in them.
#: The derivative of each hidden activation (its bound ``derivative`` method),
#: a read-only mapping.
DERIVATIVES = ValueView(ACTIVATIONS, lambda a: getattr(a, "hidden", True),
                        lambda a: a.derivative)

#: Activations whose derivative reads the pre-activation ``Z``; every other
#: derivative is called with ``Z=None``.  A read-only set.
NEEDS_PREACTIVATION = NameSet(ACTIVATIONS, lambda a: getattr(a, "needs_preactivation", False))

#: The names of the activations a hidden layer may have, in registry order.
HIDDEN_ACTIVATIONS = Names(ACTIVATIONS, lambda a: getattr(a, "hidden", True))
#: The names of the activations an output layer may have, in registry order.
OUTPUT_ACTIVATIONS = Names(ACTIVATIONS, lambda a: getattr(a, "output", False))

# The module-level functions of earlier versions: the built-ins' bound methods.
identity, identity_derivative = ACTIVATIONS["identity"].forward, DERIVATIVES["identity"]
logistic, logistic_derivative = ACTIVATIONS["logistic"].forward, DERIVATIVES["logistic"]
tanh, tanh_derivative = ACTIVATIONS["tanh"].forward, DERIVATIVES["tanh"]
relu, relu_derivative = ACTIVATIONS["relu"].forward, DERIVATIVES["relu"]
leaky_relu, leaky_relu_derivative = ACTIVATIONS["leaky_relu"].forward, DERIVATIVES["leaky_relu"]
elu, elu_derivative = ACTIVATIONS["elu"].forward, DERIVATIVES["elu"]
softplus, softplus_derivative = ACTIVATIONS["softplus"].forward, DERIVATIVES["softplus"]
gelu, gelu_derivative = ACTIVATIONS["gelu"].forward, DERIVATIVES["gelu"]
swish, swish_derivative = ACTIVATIONS["swish"].forward, DERIVATIVES["swish"]
softmax, exp = ACTIVATIONS["softmax"].forward, ACTIVATIONS["exp"].forward


# -------------------------------------------------------------- validation


def _hidden_names():
    """The hidden activations registered now (the registry may have grown)."""
    return sorted(HIDDEN_ACTIVATIONS)


def _is_activation(value):
    """Whether ``value`` follows the protocol (an instance, not a class)."""
    return (not isinstance(value, (str, type)) and callable(getattr(value, "forward", None))
            and callable(getattr(value, "derivative", None)))


def get_activation(spec: str | Activation, name: str = "activation") -> Activation:
    """The activation object that ``spec`` stands for.

    Parameters
    ----------
    spec : str or Activation
        A key of :data:`ACTIVATIONS` (its object is returned), or an object
        with callable ``forward`` and ``derivative`` (returned as it is).
    name : str, default="activation"
        The argument's name in the error messages.

    Raises
    ------
    ValueError
        For a name that is not registered; TypeError for anything else.
    """
    return resolve(spec, ACTIVATIONS, ("forward", "derivative"), _PROTOCOL, name,
                   _hidden_names)


def _is_hidden(spec):
    """Whether ``spec`` names or is an activation usable in a hidden layer."""
    if isinstance(spec, str):
        return spec in ACTIVATIONS and getattr(ACTIVATIONS[spec], "hidden", True)
    return _is_activation(spec) and getattr(spec, "hidden", True)


def check_hidden_activations(hidden_activation, n_hidden, name="hidden_activation"):
    """One hidden activation per hidden layer, validated.

    Parameters
    ----------
    hidden_activation : str, Activation or sequence of them
        One activation (a registered name or an object, see
        :func:`get_activation`) for every hidden layer, or one per hidden layer.
    n_hidden : int
        Number of hidden layers.
    name : str, default="hidden_activation"
        The parameter's name in the error messages.

    Returns
    -------
    tuple of str or Activation
        Of length ``n_hidden``: the names and objects as given.

    Raises
    ------
    ValueError
        For an unknown or output-only name or object (listing the allowed
        ones) or a sequence whose length is not ``n_hidden``.
    TypeError
        For a value that is neither an activation nor a sequence.
    """
    if isinstance(hidden_activation, str) or _is_activation(hidden_activation):
        specs, given = (hidden_activation,) * n_hidden, [hidden_activation]
    else:
        try:
            specs = given = tuple(hidden_activation)
        except TypeError:
            raise TypeError(f"{name} must be a str, an activation object or a sequence of "
                            f"them, one per hidden layer; got {hidden_activation!r}.") from None
        if len(specs) != n_hidden:
            raise ValueError(
                f"{name} must be a str or a sequence with one name per hidden layer: got "
                f"{len(specs)} name(s) {list(specs)!r} for {n_hidden} hidden layer(s)."
            )
    for activation in given:
        if not _is_hidden(activation):
            raise ValueError(f"{name} {activation!r} is not supported; allowed are "
                             f"{_hidden_names()} or {_PROTOCOL}.")
    return specs
