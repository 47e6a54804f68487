"""Cache-sized blocks: the element-wise passes of an optimiser step or of the L2
term run over one block of each vector at a time, so that every pass finds
the block still in the core's cache."""

import numpy as np

__all__ = ["BLOCK_BYTES", "block_length", "blocks", "matmul_into", "row_views", "scratch_buffers"]

#: Bytes per block of each vector an update reads or writes: a block of each
#: (parameters, gradient, state, scratch) fits together in a core's L2 cache.
#: 32768 elements in float64, 65536 in float32 (fewer NumPy calls per update:
#: a float32 Adam step on 235 146 parameters takes 0.36 ms instead of 0.39).
BLOCK_BYTES = 262144


def block_length(dtype):
    """Elements of ``dtype`` per block: :data:`BLOCK_BYTES` of them (at least one)."""
    return max(1, BLOCK_BYTES // np.dtype(dtype).itemsize)


def blocks(size, block_size):
    """Consecutive slices of at most ``block_size`` covering ``range(size)``."""
    return [slice(start, start + block_size) for start in range(0, size, block_size)]


def scratch_buffers(params, count):
    """``count`` scratch rows of one block's length, in the dtype of ``params``."""
    return np.empty((count, min(params.size, block_length(params.dtype))), dtype=params.dtype)


def matmul_into(left, right, out):
    """``out[...] = left @ right``; ``left`` may be a scipy sparse matrix."""
    if isinstance(left, np.ndarray):
        return np.matmul(left, right, out=out)
    out[...] = left @ right
    return out


def row_views(buffers, n_rows):
    """The first ``n_rows`` rows of each buffer (``None`` stays ``None``)."""
    return [None if buf is None else buf[:n_rows] for buf in buffers]
