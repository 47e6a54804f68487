r"""Weight initialisation schemes.

Each initialiser has the signature ``init(fan_in, fan_out, rng, dtype,
activation="relu", scale=None)`` and returns ``(coef, intercept)`` of shapes
``(fan_in, fan_out)`` and ``(fan_out,)``.  ``rng`` is a
:class:`numpy.random.RandomState` or a :class:`numpy.random.Generator`; values
are drawn in float64 and cast to ``dtype``.

``scale`` means the standard deviation of ``normal`` (default 0.01, as in the
MNIST tutorial's ``weight_init_std``) and the half-width of ``uniform`` (default
1.0, i.e. :math:`\mathcal U(-1, 1)` as in the regression tutorial).  For the
variance-scaling schemes (Glorot, He) it is a gain that multiplies the bound or
the standard deviation (default 1); ``zeros`` ignores it.

Only ``glorot_uniform`` draws the biases (scikit-learn's scheme); every other
scheme starts them at zero.
"""

import numpy as np

__all__ = [
    "INITIALIZERS",
    "glorot_normal",
    "glorot_uniform",
    "he_normal",
    "he_uniform",
    "normal",
    "random_signs",
    "uniform",
    "zeros",
]


def _gain(scale):
    return 1.0 if scale is None else float(scale)


def _with_zero_bias(coef, fan_out, dtype):
    return coef.astype(dtype, copy=False), np.zeros(fan_out, dtype=dtype)


def glorot_uniform(fan_in, fan_out, rng, dtype, activation="relu", scale=None):
    r"""scikit-learn's Glorot-uniform scheme, weights and biases alike.

    .. math:: W_{jk}, b_k \sim \mathcal U(-r, r), \qquad
              r = g \sqrt{\frac{c}{n_\text{in} + n_\text{out}}}

    with :math:`c = 2` for a logistic activation and :math:`c = 6` otherwise
    (Glorot & Bengio, 2010), and the gain :math:`g` = ``scale`` (default 1).
    Values are drawn in float64, in the same order as scikit-learn's
    ``MLPClassifier``, then cast to ``dtype``; so for the same generator (and
    no ``scale``) the initial network is identical to scikit-learn's.
    """
    factor = 2.0 if activation == "logistic" else 6.0
    bound = np.sqrt(factor / (fan_in + fan_out))
    if scale is not None:
        bound *= float(scale)
    coef = rng.uniform(-bound, bound, (fan_in, fan_out))
    intercept = rng.uniform(-bound, bound, fan_out)
    return coef.astype(dtype, copy=False), intercept.astype(dtype, copy=False)


def glorot_normal(fan_in, fan_out, rng, dtype, activation="relu", scale=None):
    r"""Glorot-normal weights, zero biases.

    .. math:: W_{jk} \sim \mathcal N\!\left(0, \sigma^2\right), \qquad
              \sigma = g \sqrt{\frac{2}{n_\text{in} + n_\text{out}}}
    """
    std = _gain(scale) * np.sqrt(2.0 / (fan_in + fan_out))
    return _with_zero_bias(rng.normal(0.0, std, (fan_in, fan_out)), fan_out, dtype)


def he_uniform(fan_in, fan_out, rng, dtype, activation="relu", scale=None):
    r"""He-uniform weights (for ReLU-like activations), zero biases.

    .. math:: W_{jk} \sim \mathcal U(-r, r), \qquad r = g \sqrt{\frac{6}{n_\text{in}}}
    """
    bound = _gain(scale) * np.sqrt(6.0 / fan_in)
    return _with_zero_bias(rng.uniform(-bound, bound, (fan_in, fan_out)), fan_out, dtype)


def he_normal(fan_in, fan_out, rng, dtype, activation="relu", scale=None):
    r"""He-normal weights (for ReLU-like activations), zero biases.

    .. math:: W_{jk} \sim \mathcal N\!\left(0, \sigma^2\right), \qquad
              \sigma = g \sqrt{\frac{2}{n_\text{in}}}
    """
    std = _gain(scale) * np.sqrt(2.0 / fan_in)
    return _with_zero_bias(rng.normal(0.0, std, (fan_in, fan_out)), fan_out, dtype)


def normal(fan_in, fan_out, rng, dtype, activation="relu", scale=None):
    r"""Normal weights of a fixed standard deviation, zero biases.

    .. math:: W_{jk} \sim \mathcal N\!\left(0, \sigma^2\right), \qquad
              \sigma = \texttt{scale} \text{ (default 0.01)}
    """
    std = 0.01 if scale is None else float(scale)
    return _with_zero_bias(rng.normal(0.0, std, (fan_in, fan_out)), fan_out, dtype)


def uniform(fan_in, fan_out, rng, dtype, activation="relu", scale=None):
    r"""Uniform weights in a fixed interval, zero biases.

    .. math:: W_{jk} \sim \mathcal U(-r, r), \qquad r = \texttt{scale}
              \text{ (default 1)}
    """
    bound = 1.0 if scale is None else float(scale)
    return _with_zero_bias(rng.uniform(-bound, bound, (fan_in, fan_out)), fan_out, dtype)


def zeros(fan_in, fan_out, rng, dtype, activation="relu", scale=None):
    r"""All weights and biases zero: :math:`W = 0,\ b = 0`.

    Draws nothing.  Every hidden unit of a layer then computes the same
    function and receives the same gradient, so plain gradient descent never
    breaks the symmetry (the digits tutorial's finding); offered to show it.
    """
    return np.zeros((fan_in, fan_out), dtype=dtype), np.zeros(fan_out, dtype=dtype)


#: Every initialiser by name: the estimators' ``init`` and ``Network.initialize``.
INITIALIZERS = {
    "glorot_uniform": glorot_uniform,
    "glorot_normal": glorot_normal,
    "he_uniform": he_uniform,
    "he_normal": he_normal,
    "normal": normal,
    "uniform": uniform,
    "zeros": zeros,
}


def random_signs(rng, shape):
    """An array of ``shape`` whose entries are -1 or 1 with equal chances, from ``rng`` (a
    ``RandomState`` or a ``Generator``): an ensemble's initial adapters (TabM's)."""
    return np.where(rng.uniform(size=shape) < 0.5, -1.0, 1.0)


def init_activation(network, layer):
    """The activation that sets layer ``layer``'s Glorot factor: a hidden layer's
    own; for the output layer the hidden activation (as scikit-learn does), the
    last hidden layer's when there is one per layer; an object by its ``name``."""
    if layer < network.n_hidden:
        spec = network.hidden_activations[layer]
    elif not isinstance(network.hidden_activation, list):
        spec = network.hidden_activation
    else:
        spec = network.hidden_activations[-1] if network.hidden_activations else "identity"
    return spec if isinstance(spec, str) else getattr(spec, "name", None)
