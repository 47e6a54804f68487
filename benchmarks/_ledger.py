"""Where the seconds of one real epoch go: timers on its parts, no profiler.

A one-epoch fit runs with ``time.perf_counter`` around the functions that do each
part of the work, and around the epoch itself; what the parts leave of the epoch is
the rest (bias adds, activations and their derivatives, softmax, the output error and
the training loop's Python).  A timer costs about a microsecond a call and there are
some fifteen calls a batch: a few milliseconds an epoch, counted in the parts.  The
floor's two parts, measured right before and right after the fit, stand beside them,
so the table shows where each hundredth of a second above the floor goes (cProfile,
in ``_profile.py``, sees every function but inflates the Python parts).
"""

import time
from collections import defaultdict
from contextlib import contextmanager

import numpy as np

from skfcnn.nn import losses, network, optimizers
from skfcnn.training import loop

__all__ = ["PARTS", "REST", "epoch_ledger"]

#: Each part of an epoch and the functions whose calls are its time.
PARTS = {
    "matrix products (numpy.matmul, bias gradients included)": [(np, "matmul")],
    "optimiser passes (Adam's blocks)": [(optimizers.Adam, "_update_block")],
    "checkpoint copy and L2 term": [(np, "copyto"), (network, "add_weight_decay")],
    "batch gather": [(loop._Batches, "_gather")],
    "loss value and L2 penalty value": [(losses._CanonicalLoss, "value"),
                                        (network.Network, "penalty")],
}
REST = "the rest: bias adds, activations, softmax, output error, loop"
_EPOCH = (loop, "_epoch")


def _timed(function, label, seconds):
    clock = time.perf_counter

    def timed(*args, **kwargs):
        start = clock()
        try:
            return function(*args, **kwargs)
        finally:
            seconds[label] += clock() - start
    return timed


@contextmanager
def _timers(seconds):
    """Every part's functions, and the epoch, timed into ``seconds`` while inside."""
    targets = [(owner, name, label) for label, pairs in PARTS.items() for owner, name in pairs]
    targets.append((*_EPOCH, "epoch"))
    saved = []
    try:
        for owner, name, label in targets:
            original = getattr(owner, name, None)
            if original is None:  # an older skfcnn without this part: nothing to time
                continue
            saved.append((owner, name, original))
            setattr(owner, name, _timed(original, label, seconds))
        yield seconds
    finally:
        for owner, name, original in reversed(saved):
            setattr(owner, name, original)


def epoch_ledger(make_model, X, y, floor, repeats=2):
    """``{part: seconds}`` of the fastest of ``repeats`` one-epoch fits of
    ``make_model()`` (``"epoch"``, :data:`REST` and every part of :data:`PARTS`),
    with ``"floor matmul"`` and ``"floor Adam"``: ``floor()``'s ``(matmul, adam)``
    seconds, the mean of one call right before the fit and one right after."""
    best = None
    for _ in range(repeats):
        before = floor()
        seconds = defaultdict(float)
        with _timers(seconds):
            make_model().fit(X, y)
        after = floor()
        if best is None or seconds["epoch"] < best["epoch"]:
            best = dict(seconds)
            best["floor matmul"] = (before[0] + after[0]) / 2
            best["floor Adam"] = (before[1] + after[1]) / 2
    best[REST] = best["epoch"] - sum(best.get(label, 0.0) for label in PARTS)
    return best
