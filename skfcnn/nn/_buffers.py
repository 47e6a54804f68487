"""The network's per-batch buffers: allocated once for the largest batch seen, reused.

Each layer's output and error, the column of ones of the bias gradients, the
layer steps' shared work space and their own buffers, the input steps' buffers
and the error of the first dense layer's input (with input steps only), and
the L2 term's block-sized scratch.  :meth:`~skfcnn.nn.Network.release_buffers`
drops them all.
"""

import numpy as np

from ._blocks import block_length, row_views

__all__ = ["Buffers"]


class Buffers:
    """The buffer methods of :class:`~skfcnn.nn.Network` (a mixin)."""

    def _allocate(self, n_rows):
        """Buffers for ``n_rows`` rows: the layers' outputs and errors, then the
        steps' own (one work space shared by all), then the input steps'."""
        sizes = self.layer_sizes[1:]
        self._activations = [np.empty((n_rows, n), self.dtype) for n in sizes]
        self._ones = np.ones(n_rows, self.dtype)  # 1^T Delta: the bias gradients
        self._deltas = [np.empty((n_rows, n), self.dtype) for n in sizes]
        steps = [step for layer_steps in self.hidden_steps for step in layer_steps]
        width = max((step.scratch_width for step in steps), default=0)
        self._scratch = np.empty(n_rows * width, self.dtype)
        for step in steps:
            step.allocate(n_rows, self._scratch)
        for step in self.bound_input_steps:  # rows of X: an ensemble makes k times as many
            step.allocate(n_rows // self.n_members)
        if self.bound_input_steps:  # the error of the first dense layer's input
            self._input_delta = np.empty((n_rows, self.dense_sizes[0]), self.dtype)
        self._row_views = (None, None, None)

    def _buffers(self, n_rows):
        """Per-layer activation and error buffers of ``n_rows`` rows.

        The views of the last size asked for are kept: mini-batches of one
        size (all but the last of an epoch) reuse them as they are.
        """
        if self._activations is None or self._activations[0].shape[0] < n_rows:
            self._allocate(n_rows)
        if self._row_views[0] != n_rows:
            self._row_views = (n_rows, row_views(self._activations, n_rows),
                               row_views(self._deltas, n_rows))
        return self._row_views[1], self._row_views[2]

    def _decay_buffer(self):
        """The L2 term's scratch: one block of the largest weight matrix, made once."""
        if self._decay_scratch is None:
            size = min(block_length(self.dtype), max(c.size for c in self.coefs))
            self._decay_scratch = np.empty(size, self.dtype)
        return self._decay_scratch

    def release_buffers(self, max_rows=0):
        """Free the activation and error buffers (and the steps') if they hold more
        than ``max_rows`` rows; the next pass allocates what it needs."""
        if self._activations is not None and self._activations[0].shape[0] > max_rows:
            self._build_views()

    def member_rows(self, rows):
        """``rows`` (targets or weights of a batch) once per member, member-major: what
        the rows of :meth:`forward`'s output stand for (``rows`` itself without an
        ensemble; ``None`` stays ``None``)."""
        if rows is None or self.n_members == 1:
            return rows
        return np.tile(rows, (self.n_members,) + (1,) * (rows.ndim - 1))
