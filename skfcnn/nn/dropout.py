r"""Inverted dropout on hidden-layer outputs.

At training time every hidden unit's output is kept with probability
:math:`1 - p` and scaled up by :math:`1 / (1 - p)`,

.. math:: \tilde A = A \odot M, \qquad
          M_{ij} = \frac{[u_{ij} \ge p]}{1 - p}, \quad u_{ij} \sim \mathcal U[0, 1),

so that :math:`\mathbb E[M_{ij}] = 1` and the expected input of the next layer
is unchanged; at prediction time nothing is dropped and nothing is rescaled.
Back-propagation multiplies the error by the same mask,
:math:`\partial J / \partial A = (\partial J / \partial \tilde A) \odot M`.
"""

from numbers import Real

import numpy as np

__all__ = ["check_dropout", "draw_mask", "stored_mask"]


def _check_rate(rate, dropout):
    if isinstance(rate, bool) or not isinstance(rate, Real) or not 0 <= rate < 1:
        raise ValueError(
            f"dropout must be a rate in [0, 1) or a sequence of such rates, one per "
            f"hidden layer; got {dropout!r}."
        )
    return float(rate)


def check_dropout(dropout, n_hidden):
    """One dropout rate per hidden layer, validated.

    Parameters
    ----------
    dropout : float or sequence of float
        A rate in :math:`[0, 1)` for every hidden layer, or one per hidden layer.
    n_hidden : int
        Number of hidden layers.

    Returns
    -------
    tuple of float
        Of length ``n_hidden``.

    Raises
    ------
    ValueError
        For a rate outside :math:`[0, 1)` or a sequence of the wrong length.
    """
    if isinstance(dropout, Real):
        return (_check_rate(dropout, dropout),) * n_hidden
    try:
        rates = tuple(dropout)
    except TypeError:
        rates = None
    if rates is None or len(rates) != n_hidden:
        length = "not a sequence" if rates is None else f"{len(rates)} rate(s)"
        raise ValueError(
            f"dropout must be a rate in [0, 1) or a sequence with one rate per hidden "
            f"layer: got {dropout!r} ({length}) for {n_hidden} hidden layer(s)."
        )
    return tuple(_check_rate(rate, dropout) for rate in rates)


def draw_mask(rng, rate, out):
    r"""Draw an inverted-dropout mask into ``out``.

    .. math:: M_{ij} = \frac{[u_{ij} \ge p]}{1 - p}

    Parameters
    ----------
    rng : numpy.random.RandomState or numpy.random.Generator
        Draws :math:`u`, one value per entry of ``out``: a Generator in
        float32 (into ``out`` itself when it is float32; the same masks for
        either dtype), a RandomState with ``random_sample`` in float64.
    rate : float
        The dropout rate :math:`p \in [0, 1)`.
    out : ndarray
        Receives the mask, in its own dtype.

    Returns
    -------
    ndarray
        ``out``.
    """
    if rng is None:
        raise ValueError(
            "Training with dropout needs a random generator: pass rng= (a numpy "
            "RandomState or Generator), or fixed_masks=True to reuse the last masks."
        )
    if isinstance(rng, np.random.Generator):
        # u in float32 whatever the dtype of out, so that float32 and float64
        # networks draw the same masks; straight into a float32 out
        in_place = out if out.dtype == np.float32 else None
        uniform = rng.random(out.shape, dtype=np.float32, out=in_place)
    else:
        uniform = rng.random_sample(out.shape)
    np.greater_equal(uniform, rate, out=out)
    out *= 1.0 / (1.0 - rate)
    return out


def stored_mask(mask, n_rows):
    """The mask kept from the last training-mode pass, checked for ``n_rows`` rows.

    Parameters
    ----------
    mask : ndarray or None
        The stored mask (``None`` when none was drawn yet).
    n_rows : int
        Rows of the batch it is to be applied to.

    Raises
    ------
    ValueError
        When there is no stored mask or it has another number of rows.
    """
    if mask is None or mask.shape[0] != n_rows:
        have = "none" if mask is None else f"masks for {mask.shape[0]} rows"
        raise ValueError(
            f"fixed_masks=True reuses the dropout masks of the last training-mode "
            f"forward pass, but there are {have} and X has {n_rows} rows; call "
            f"forward(X, training=True, rng=rng) first."
        )
    return mask
