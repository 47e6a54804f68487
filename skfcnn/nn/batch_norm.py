r"""Batch normalisation of a hidden layer's pre-activation.

In training mode each unit's pre-activation :math:`z` is standardised with
the statistics of the batch and then scaled and shifted by learned parameters
:math:`\gamma, \beta`.  With sample weights :math:`w_i` (all 1 when none are
given), :math:`W = \sum_i w_i` and :math:`p_i = w_i / W`:

.. math::
    \mu = \sum_i p_i z_i, \qquad
    \sigma^2 = \sum_i p_i (z_i - \mu)^2, \qquad
    \hat z_i = \frac{z_i - \mu}{\sqrt{\sigma^2 + \epsilon}}, \qquad
    y_i = \gamma \hat z_i + \beta,

with :math:`\epsilon = 10^{-5}`; unweighted, :math:`p_i = 1/N`.  A row of
weight :math:`k` thus counts as :math:`k` repeated rows, and a row of weight 0
as no row at all.  Running estimates, used at prediction time in
place of :math:`\mu, \sigma^2`, follow every training batch with momentum
:math:`m = 0.1`:

.. math::
    \bar\mu \leftarrow (1 - m)\, \bar\mu + m\, \mu, \qquad
    \bar\sigma^2 \leftarrow (1 - m)\, \bar\sigma^2 + m\, \frac{W}{W - 1}\, \sigma^2,

i.e. the running variance uses the *unbiased* batch variance, as PyTorch does
(:math:`W = N` unweighted; a batch with :math:`W \le 1` updates only the
running mean).  Back-propagation through the batch statistics, for
:math:`g_i = \partial J / \partial y_i`:

.. math::
    \frac{\partial J}{\partial \gamma} = \sum_i g_i \hat z_i, \qquad
    \frac{\partial J}{\partial \beta} = \sum_i g_i, \qquad
    \frac{\partial J}{\partial z_i} = \frac{\gamma}{\sqrt{\sigma^2 + \epsilon}}
    \Big(g_i - p_i \sum_j g_j - p_i \hat z_i \sum_j g_j \hat z_j\Big).

The errors :math:`\partial J / \partial z_i` sum to zero over the batch, so a
bias added before the normalisation gets no gradient.

With fixed (running) statistics the map is affine and
:math:`\partial J / \partial z_i = \gamma\, g_i / \sqrt{\bar\sigma^2 + \epsilon}`.
"""

import numpy as np

__all__ = ["EPSILON", "MOMENTUM", "affine", "backward", "batch_fractions", "forward",
           "forward_eval", "forward_train", "normalize", "update_running_stats"]

#: :math:`\epsilon`, added to the variance before the square root.
EPSILON = 1e-5
#: :math:`m`, the weight of the newest batch in the running statistics.
MOMENTUM = 0.1


def batch_fractions(sample_weight):
    r""":math:`p_i = w_i / \sum_j w_j` as a column, or ``None`` without weights."""
    if sample_weight is None:
        return None
    return (sample_weight / sample_weight.sum())[:, np.newaxis]


def forward_train(Z, normalized, gamma, beta, fractions=None):
    r"""Normalise ``Z`` in place with its batch statistics.

    Parameters
    ----------
    Z : ndarray of shape (n_samples, n_units)
        The pre-activation; overwritten by :math:`\gamma \hat z + \beta`.
    normalized : ndarray of shape (n_samples, n_units)
        Receives :math:`\hat z` (kept for the backward pass).
    gamma, beta : ndarray of shape (n_units,)
    fractions : ndarray of shape (n_samples, 1), default=None
        The weights :math:`p_i` (:func:`batch_fractions`); ``None`` for
        :math:`1/N`.

    Returns
    -------
    mean, var, inv_std : ndarray of shape (n_units,)
        :math:`\mu`, the biased :math:`\sigma^2` and :math:`1 / \sqrt{\sigma^2 + \epsilon}`.
    """
    if fractions is None:
        mean = np.add.reduce(Z, axis=0)  # = Z.mean(axis=0), without its Python layer
        mean /= Z.shape[0]
        np.subtract(Z, mean, out=normalized)
        var = np.einsum("ij,ij->j", normalized, normalized)
        var /= Z.shape[0]
    else:
        mean = fractions[:, 0] @ Z
        np.subtract(Z, mean, out=normalized)
        var = np.einsum("i,ij,ij->j", fractions[:, 0], normalized, normalized)
    inv_std = np.add(var, EPSILON)
    np.sqrt(inv_std, out=inv_std)
    np.reciprocal(inv_std, out=inv_std)
    normalized *= inv_std
    np.multiply(normalized, gamma, out=Z)
    Z += beta
    return mean, var, inv_std


def _inverse_std(running_var):
    inv_std = np.add(running_var, EPSILON)
    np.sqrt(inv_std, out=inv_std)
    return np.reciprocal(inv_std, out=inv_std)


def forward_eval(Z, normalized, gamma, beta, running_mean, running_var):
    r"""Normalise ``Z`` in place with the running statistics, keeping :math:`\hat z`.

    .. math:: \hat z = \frac{z - \bar\mu}{\sqrt{\bar\sigma^2 + \epsilon}}, \qquad
              y = \gamma \hat z + \beta

    Returns
    -------
    inv_std : ndarray of shape (n_units,)
        :math:`1 / \sqrt{\bar\sigma^2 + \epsilon}`.
    """
    inv_std = _inverse_std(running_var)
    np.subtract(Z, running_mean, out=normalized)
    normalized *= inv_std
    np.multiply(normalized, gamma, out=Z)
    Z += beta
    return inv_std


def normalize(Z, gamma, beta, running_mean, running_var):
    r"""Prediction-time normalisation in place, as one affine map per unit.

    .. math:: y = z\, s + (\beta - \bar\mu s), \qquad
              s = \frac{\gamma}{\sqrt{\bar\sigma^2 + \epsilon}}
    """
    scale = _inverse_std(running_var)
    scale *= gamma
    Z *= scale
    Z += beta - running_mean * scale
    return Z


def affine(gamma, beta, running_mean, running_var):
    r"""``(s, t)`` of :func:`normalize`, :math:`y = z s + t`, computed in float64.

    .. math:: s = \frac{\gamma}{\sqrt{\bar\sigma^2 + \epsilon}}, \qquad t = \beta - \bar\mu s
    """
    scale = np.asarray(gamma, np.float64) / np.sqrt(np.asarray(running_var, np.float64)
                                                    + EPSILON)
    return scale, np.asarray(beta, np.float64) - np.asarray(running_mean, np.float64) * scale


def update_running_stats(running_mean, running_var, mean, var, n_samples):
    r"""Move the running statistics towards the batch's, in place.

    .. math:: \bar\mu \leftarrow (1 - m)\bar\mu + m \mu, \qquad
              \bar\sigma^2 \leftarrow (1 - m)\bar\sigma^2 + m \tfrac{W}{W-1}\sigma^2
              \quad (W > 1)

    ``n_samples`` is :math:`W`, the batch's number of rows or sum of weights.
    """
    running_mean *= 1 - MOMENTUM
    running_mean += MOMENTUM * mean
    if n_samples > 1:
        running_var *= 1 - MOMENTUM
        running_var += (MOMENTUM * n_samples / (n_samples - 1)) * var


def forward(Z, normalized, gamma, beta, running_mean, running_var, training, update_stats,
            sample_weight=None):
    r"""Normalise ``Z`` in place in either mode, as the backward pass will need it.

    Training mode uses the (``sample_weight``-weighted) batch statistics
    (:func:`forward_train`) and, with ``update_stats``, moves the running ones
    (:func:`update_running_stats`); otherwise the running statistics are used
    (:func:`forward_eval`).

    Returns
    -------
    inv_std : ndarray of shape (n_units,)
        The :math:`1 / \sqrt{\sigma^2 + \epsilon}` that was applied.
    """
    if not training:
        return forward_eval(Z, normalized, gamma, beta, running_mean, running_var)
    fractions = batch_fractions(sample_weight)
    batch_mean, batch_var, inv_std = forward_train(Z, normalized, gamma, beta, fractions)
    if update_stats:
        total = Z.shape[0] if sample_weight is None else float(sample_weight.sum())
        update_running_stats(running_mean, running_var, batch_mean, batch_var, total)
    return inv_std


def backward(delta, normalized, gamma, inv_std, gamma_grad, beta_grad, scratch, training,
             fractions=None):
    r"""Turn ``delta`` = :math:`\partial J / \partial y` into :math:`\partial J / \partial z`.

    Parameters
    ----------
    delta : ndarray of shape (n_samples, n_units)
        Overwritten in place.
    normalized : ndarray of shape (n_samples, n_units)
        :math:`\hat z` from the forward pass (unchanged).
    gamma, inv_std : ndarray of shape (n_units,)
    gamma_grad, beta_grad : ndarray of shape (n_units,)
        Receive :math:`\sum_i g_i \hat z_i` and :math:`\sum_i g_i`.
    scratch : ndarray of shape (n_samples, n_units)
        Work space (overwritten).
    training : bool
        Whether the forward pass used the batch statistics (then the gradient
        flows through them) or the running ones.
    fractions : ndarray of shape (n_samples, 1), default=None
        The :math:`p_i` of the forward pass (``None``: :math:`1/N`).

    Returns
    -------
    ndarray
        ``delta``.
    """
    np.einsum("ij,ij->j", delta, normalized, out=gamma_grad)
    np.add.reduce(delta, axis=0, out=beta_grad)
    if training and fractions is None:
        n_samples = delta.shape[0]
        delta -= beta_grad / n_samples
        np.multiply(normalized, gamma_grad / n_samples, out=scratch)
        delta -= scratch
    elif training:  # p_i (sum_j g_j + z^_i sum_j g_j z^_j)
        np.multiply(normalized, gamma_grad, out=scratch)
        scratch += beta_grad
        scratch *= fractions
        delta -= scratch
    delta *= gamma * inv_std
    return delta
