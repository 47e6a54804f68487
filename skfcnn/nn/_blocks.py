"""Cache-sized blocks: the element-wise passes of an optimiser step or of the L2
term run over one block of each vector at a time, so that every pass finds
the block still in the core's cache.  :class:`OptimizerState` holds the
state vectors of an optimiser or gradient transform and its scratch rows
(public in :mod:`skfcnn.nn.optimizers`).  The network's passes take two helpers
from here too: the matrix product of a pass (:func:`product_for`) and the shared
zeros of ``relu`` and ``elu`` (:func:`zeros_for`)."""

import numpy as np

__all__ = ["BLOCK_BYTES", "ZEROS_MAX", "ZEROS_MIN", "OptimizerState", "block_length", "blocks",
           "matmul_into", "product_for", "row_views", "scratch_buffers", "zeros_for"]

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


#: The sizes (elements) for which :func:`zeros_for` gives an array: below, the scalar
#: loop is as fast as the call; above, the shared zeros would hold more memory than
#: the slack of the stated bounds (512 KB in float64 at most; a batch of 200 rows
#: of up to 327 units, 256 rows of 256 units, fit under it).
ZEROS_MIN, ZEROS_MAX = 4096, 1 << 16
_ZEROS = {}


def zeros_for(Z):
    """Read-only zeros of ``Z``'s shape and dtype, shared, or the scalar 0 outside
    :data:`ZEROS_MIN` to :data:`ZEROS_MAX` elements: the other operand of
    ``np.maximum(Z, 0)``.

    NumPy's ``maximum`` and ``minimum`` against a scalar take a loop without SIMD,
    two to four times slower than against an array of a batch's size; the results
    are the same, bit for bit (signed zeros and NaN included).  One array per dtype
    serves every shape (a view of its start); it grows to the largest size asked
    for and is never written.
    """
    if not ZEROS_MIN <= Z.size <= ZEROS_MAX:
        return 0
    zeros = _ZEROS.get(Z.dtype)
    if zeros is None or zeros.size < Z.size:
        zeros = np.zeros(Z.size, Z.dtype)
        zeros.flags.writeable = False
        _ZEROS[Z.dtype] = zeros
    return zeros[: Z.size].reshape(Z.shape)


def product_for(first):
    """The product of a pass whose first layer reads ``first``: ``np.matmul`` when it
    is an ndarray (every other layer's input always is), else :func:`matmul_into`."""
    return np.matmul if isinstance(first, np.ndarray) else matmul_into


def row_views(buffers, n_rows):
    """The first ``n_rows`` rows of each buffer (``None`` stays ``None``)."""
    return [None if buf is None else buf[:n_rows] for buf in buffers]


class OptimizerState:
    """What an optimiser changes while it trains one parameter vector.

    Named entries become attributes: the state vectors (same layout as the
    parameters), the step count ``t`` where there is one, a decay mask, ...
    ``scratch`` holds the scratch rows of the update; they are not pickled
    (nor deep-copied) but rebuilt empty, of the same shape and dtype.

    Parameters
    ----------
    scratch : ndarray of shape (n_rows, block_length) or None, default=None
        Scratch buffers, e.g. from ``scratch_buffers(params, n_rows)``.
    **entries
        The named state, e.g. ``velocity=np.zeros_like(params)``.
    """

    # public, documented and pickled as skfcnn.nn.optimizers.OptimizerState, its name
    # before it moved here (below the gradient transforms, which build it too)
    __module__ = "skfcnn.nn.optimizers"

    def __init__(self, scratch=None, **entries):
        self.__dict__.update(entries)
        self.scratch = scratch

    def __getstate__(self):
        state = dict(self.__dict__)
        scratch = state.pop("scratch")
        if scratch is not None:
            state["_scratch_layout"] = (scratch.shape, scratch.dtype.str)
        return state

    def __setstate__(self, state):
        layout = state.pop("_scratch_layout", None)
        self.__dict__.update(state)
        self.scratch = None if layout is None else np.empty(layout[0], np.dtype(layout[1]))

    def __repr__(self):
        def show(value):
            if isinstance(value, np.ndarray):
                return f"<{value.dtype} array of shape {value.shape}>"
            return repr(value)
        args = ", ".join(f"{name}={show(value)}" for name, value in vars(self).items())
        return f"{type(self).__name__}({args})"
