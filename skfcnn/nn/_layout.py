"""The layout of a network's flat parameter vector.

``W_1, b_1, W_2, b_2, ..., W_L, b_L`` (each weight matrix row-major, of shape
``(n_{l-1}, n_l)``), then, with batch normalisation, ``gamma_1, beta_1, ...``
of every hidden layer.  These helpers cut the vector into reshaped views.
"""

__all__ = ["n_parameters"]


def n_parameters(layer_sizes):
    """Number of weights and biases of a network with these layer sizes."""
    return sum((a + 1) * b for a, b in zip(layer_sizes[:-1], layer_sizes[1:]))


def _layer_views(flat, layer_sizes):
    """Split ``flat`` into per-layer weight and bias views."""
    coefs, intercepts, start = [], [], 0
    for fan_in, fan_out in zip(layer_sizes[:-1], layer_sizes[1:]):
        stop = start + fan_in * fan_out
        coefs.append(flat[start:stop].reshape(fan_in, fan_out))
        intercepts.append(flat[stop : stop + fan_out])
        start = stop + fan_out
    return coefs, intercepts


def _batch_norm_views(flat, hidden_sizes):
    """Split ``flat`` (the part after the dense parameters) into gamma and beta views."""
    gammas, betas, start = [], [], 0
    for size in hidden_sizes:
        gammas.append(flat[start : start + size])
        betas.append(flat[start + size : start + 2 * size])
        start += 2 * size
    return gammas, betas
