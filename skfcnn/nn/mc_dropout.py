r"""Monte Carlo dropout: predictions with dropout left on, and their spread.

A network trained with dropout is, pass by pass, a random thinned network; the
outputs of :math:`T` stochastic passes (a new mask for every pass, row and
unit) approximate a predictive distribution (Gal & Ghahramani, 2016):

.. math::

    \hat\mu(x) = \frac1T \sum_{t=1}^T f_{M_t}(x), \qquad
    \hat\sigma(x) = \Big(\frac1T \sum_{t=1}^T
        \big(f_{M_t}(x) - \hat\mu(x)\big)^2\Big)^{1/2}.

The masks are drawn as in training (inverted dropout, :mod:`skfcnn.nn.dropout`),
each layer step in its ``mc_forward`` form (:class:`~skfcnn.nn.layers.LayerStep`);
batch normalisation uses its running statistics, as at prediction time, so the
only randomness is dropout's.  The passes run together: each chunk of rows is
repeated :math:`T` times and goes through every layer after the first as one
matrix product (the first layer's pre-activation, before any dropout, is the
same in every pass and computed once, after the input steps' prediction form).
At most ``PREDICT_CHUNK`` rows times passes go through at once (more passes than
that run in groups), so the memory of :func:`dropout_mean_std` does not grow with
:math:`T`: the groups' means and squared deviations are merged as they come
(Chan, Golub & LeVeque):

.. math::

    n = n_a + n_b, \qquad \delta = \bar f_b - \bar f_a, \qquad
    \bar f = \bar f_a + \delta \frac{n_b}{n}, \qquad
    M_2 = M_{2,a} + M_{2,b} + \delta^2 \frac{n_a n_b}{n}, \qquad
    \hat\sigma = \sqrt{M_2 / T}.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.typing import NDArray

from .activations import get_activation
from .network import PREDICT_CHUNK

__all__ = ["dropout_mean_std", "dropout_passes"]



def _check(network, n_passes):
    if getattr(network, "n_members", 1) > 1:
        raise ValueError("Monte Carlo dropout of an ensemble (EnsembleInput) is not "
                         f"supported; its input_steps are {list(network.input_steps)!r}.")
    if not any(rate > 0 for rate in network.dropout_rates):
        raise ValueError("Monte Carlo dropout needs a network trained with dropout > 0; "
                         f"its dropout rates are {list(network.dropout_rates)}.")
    if isinstance(n_passes, bool) or not isinstance(n_passes, (int, np.integer)) \
            or n_passes < 2:
        raise ValueError(f"n_passes must be an int >= 2; got n_passes={n_passes!r}.")


def _stochastic_forward(network, first, rng):
    """One forward pass with new dropout masks, from the first layer's pre-activation
    ``first`` (there is no dropout on the inputs)."""
    out = first
    output = get_activation(network.output_activation, "output_activation")
    for layer in range(network.n_layers):
        if layer > 0:
            out = out @ network.coefs[layer]
            out += network.intercepts[layer]
        if layer == network.n_layers - 1:
            return output.forward(out)
        for step in network.hidden_steps[layer]:
            out = step.mc_forward(out, rng)  # dropout draws a new mask, the rest predict
    return out


def _pass_groups(network, X, n_passes, rng):
    """Yield ``(start, first_pass, outputs)``: the outputs, of shape ``(k, rows,
    n_outputs)``, of passes ``first_pass`` to ``first_pass + k`` on rows ``start`` to
    ``start + rows``, with at most ``PREDICT_CHUNK`` rows times passes at once."""
    rows = max(1, PREDICT_CHUNK // n_passes)  # rows per chunk (1 when T > the chunk)
    group = max(1, PREDICT_CHUNK // rows)  # passes per product (all of them when T fits)
    for start in range(0, X.shape[0], rows):
        inputs = network.transform_inputs(X[start : start + rows])  # no dropout before
        first = np.asarray(inputs @ network.coefs[0])  # the first layer: the same each pass
        first += network.intercepts[0]
        for first_pass in range(0, n_passes, group):
            k = min(group, n_passes - first_pass)
            out = _stochastic_forward(network, np.tile(first, (k, 1)), rng)
            yield start, first_pass, out.reshape(k, first.shape[0], -1)


def dropout_passes(network, X: NDArray, n_passes: int, rng: np.random.Generator) -> NDArray:
    r"""The outputs of ``n_passes`` stochastic forward passes of ``network`` on ``X``.

    Parameters
    ----------
    network : Network
        Trained with dropout (some rate > 0).
    X : ndarray or sparse matrix of shape (n_samples, n_features)
        In the network's dtype.
    n_passes : int
        Number of passes :math:`T \ge 2`.
    rng : numpy.random.Generator or numpy.random.RandomState
        Draws every mask.

    Returns
    -------
    ndarray of shape (n_passes, n_samples, n_outputs)
        Pass ``t``'s output activations (e.g. probabilities for a classifier).
        Memory grows with ``n_passes``: :func:`dropout_mean_std` needs none.
    """
    _check(network, n_passes)
    passes = np.empty((n_passes, X.shape[0], network.layer_sizes[-1]), dtype=network.dtype)
    for start, first_pass, out in _pass_groups(network, X, n_passes, rng):
        passes[first_pass : first_pass + out.shape[0], start : start + out.shape[1]] = out
    return passes


def dropout_mean_std(network, X: NDArray, n_passes: int, rng: np.random.Generator,
                     postprocess: Callable[[NDArray], NDArray] | None = None,
                     ) -> tuple[NDArray, NDArray]:
    r"""The mean :math:`\hat\mu` and standard deviation :math:`\hat\sigma` (module
    docstring) over ``n_passes`` stochastic passes, each of shape
    ``(n_samples, n_outputs)``, in memory independent of ``n_passes``; see
    :func:`dropout_passes` for the parameters.  ``postprocess`` (a loss's, e.g. sorting
    several quantiles so that they never cross) turns each pass's outputs, rows of
    shape ``(n_outputs,)``, into predictions first."""
    _check(network, n_passes)
    shape = (X.shape[0], network.layer_sizes[-1])
    mean, m2 = np.zeros(shape, network.dtype), np.zeros(shape, network.dtype)
    for start, n_a, out in _pass_groups(network, X, n_passes, rng):
        if postprocess is not None:
            flat = out.reshape(-1, out.shape[-1])  # a view: every pass's rows
            result = postprocess(flat)
            if result is not flat:
                flat[...] = result
        rows, n_b = slice(start, start + out.shape[1]), out.shape[0]
        mean_b = out.mean(axis=0)
        out -= mean_b
        m2_b = np.square(out, out=out).sum(axis=0)
        delta, n = mean_b - mean[rows], n_a + n_b
        mean[rows] += delta * (n_b / n)
        m2[rows] += m2_b + delta * delta * (n_a * n_b / n)
    return mean, np.sqrt(m2 / n_passes)
