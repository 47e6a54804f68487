r"""Weight initialisation schemes.

Each initialiser has the signature ``init(fan_in, fan_out, rng, dtype,
activation)`` and returns ``(coef, intercept)`` of shapes
``(fan_in, fan_out)`` and ``(fan_out,)``.
"""

import numpy as np

__all__ = ["INITIALIZERS", "glorot_uniform"]


def glorot_uniform(fan_in, fan_out, rng, dtype, activation="relu"):
    r"""scikit-learn's Glorot-uniform scheme, weights and biases alike.

    .. math:: W_{jk}, b_k \sim \mathcal U(-r, r), \qquad
              r = \sqrt{\frac{c}{n_\text{in} + n_\text{out}}}

    with :math:`c = 2` for a logistic activation and :math:`c = 6` otherwise
    (Glorot & Bengio, 2010).  Values are drawn in float64, in the same order as
    scikit-learn's ``MLPClassifier``, then cast to ``dtype``; so for the same
    generator the initial network is identical to scikit-learn's.
    """
    factor = 2.0 if activation == "logistic" else 6.0
    bound = np.sqrt(factor / (fan_in + fan_out))
    coef = rng.uniform(-bound, bound, (fan_in, fan_out))
    intercept = rng.uniform(-bound, bound, fan_out)
    return coef.astype(dtype, copy=False), intercept.astype(dtype, copy=False)


INITIALIZERS = {"glorot_uniform": glorot_uniform}
