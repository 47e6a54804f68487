r"""The L2 penalty on the weights (scikit-learn's ``alpha``): its value and its gradient.

.. math::
    P = \frac{\alpha}{2N} \sum_l \lVert W_l \rVert_F^2, \qquad
    \frac{\partial P}{\partial W_l} = \frac{\alpha}{N} W_l

with :math:`N` the batch size or the sum of its sample weights.  Biases and
batch-norm parameters are not penalised.
"""

import numpy as np

from ._blocks import blocks

__all__ = ["add_weight_decay", "l2_penalty"]


def l2_penalty(coefs, alpha, weight_sum):
    r""":math:`\frac{\alpha}{2N} \sum_l \lVert W_l \rVert_F^2` of the weight matrices ``coefs``."""
    if alpha == 0:
        return 0.0
    squares = sum(float(np.dot(c.ravel(), c.ravel())) for c in coefs)
    return 0.5 * alpha * squares / weight_sum


def add_weight_decay(coef, grad, factor, scratch):
    r"""``grad += factor * coef`` in place, :math:`\frac{\alpha}{N} W_l` with ``factor``
    :math:`= \alpha / N`.

    Block by block through ``scratch`` (a reused buffer that sets the block
    size), so that each block of the product is still in cache when it is
    added; the numbers are those of one pass.
    """
    coef, grad = coef.reshape(-1), grad.reshape(-1)
    for block in blocks(coef.size, scratch.size):
        part = coef[block]
        grad[block] += np.multiply(part, factor, out=scratch[: part.size])
    return grad
