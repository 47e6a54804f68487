"""Where skfcnn's training time goes: a cProfile run grouped into kinds of work.

cProfile does not see NumPy ufuncs (``np.matmul``, ``np.maximum``, ``+=``...):
their time lands in the Python function that called them.  So

* ``numpy.matmul`` and ``numpy.dot`` are replaced, for the profiled fit only, by
  thin Python wrappers defined here: their own time *is* the matrix products
  (anything written with the ``@`` operator is not intercepted and stays with
  its caller);
* every other function's own time goes to a kind of work by the file it lives
  in (``skfcnn/nn/activations.py`` is element-wise activation work, and so
  on);
* functions outside skfcnn (NumPy's Python helpers, scikit-learn's validation,
  C built-ins such as ``ndarray.take``) hand their time to their callers, in
  proportion to what each caller spent in them, until it reaches a function
  that has a kind, except ``take`` which is batch gathering wherever it is
  called from.

Profiling adds a fixed cost to every Python call, so the Python-heavy kinds
look larger here than in an unprofiled run; the table shows both totals.
"""

import cProfile
import os
import pstats
import time
from collections import defaultdict

import numpy as np

import skfcnn

__all__ = ["profile_fit", "CATEGORIES"]

MATMUL = "matrix multiplies (numpy.matmul)"
DOT = "vector dots (numpy.dot: L2 penalty, weighted loss)"
ACTIVATIONS = "element-wise: activations and their derivatives"
LOSSES = "element-wise: loss value and output gradient"
NETWORK = "network.py itself: bias adds, bias-gradient sums, buffers, glue"
EXTRAS = "element-wise: dropout / batch norm"
OPTIMIZER = "optimiser updates"
GATHER = "batch gathering (take into a buffer)"
LOOP = "Python overhead: training loop (_training.py, _state.py)"
ESTIMATOR = "Python overhead: estimator (validation, setup, labels)"
OTHER = "other"
CATEGORIES = [MATMUL, DOT, ACTIVATIONS, LOSSES, NETWORK, EXTRAS, OPTIMIZER, GATHER, LOOP,
              ESTIMATOR, OTHER]

_original = {}


def _timed_matmul(*args, **kwargs):
    return _original["matmul"](*args, **kwargs)


def _timed_dot(*args, **kwargs):
    return _original["dot"](*args, **kwargs)


_HERE = _timed_matmul.__code__.co_filename
_PACKAGE = os.path.dirname(os.path.abspath(skfcnn.__file__))
_BY_FILE = {
    "nn/activations.py": ACTIVATIONS,
    "nn/losses.py": LOSSES,
    "nn/network.py": NETWORK,
    "nn/dropout.py": EXTRAS,
    "nn/batch_norm.py": EXTRAS,
    "nn/optimizers.py": OPTIMIZER,
    "nn/schedules.py": OPTIMIZER,
    "_training.py": LOOP,
    "_state.py": LOOP,
}


def _own_category(key):
    """The kind of work of a profiled function, or None to inherit its callers'."""
    filename, _, name = key
    if filename == _HERE and name == _timed_matmul.__name__:
        return MATMUL
    if filename == _HERE and name == _timed_dot.__name__:
        return DOT
    if filename == "~":  # a C built-in
        return GATHER if "'take'" in name else None
    path = os.path.abspath(filename)
    if not path.startswith(_PACKAGE + os.sep):
        return None
    where = os.path.relpath(path, _PACKAGE).replace(os.sep, "/")
    if where == "_training.py" and "gather" in name.lower():
        return GATHER
    return _BY_FILE.get(where, ESTIMATOR)


def _shares(stats):
    """``{category: seconds}`` of the profiled run's own (tot) times."""
    raw = stats.stats
    memo = {}

    def fractions(key, seen):
        category = _own_category(key)
        if category is not None:
            return {category: 1.0}
        if key in memo:
            return memo[key]
        callers = raw[key][4]
        if not callers or key in seen:
            return {OTHER: 1.0}
        total, mixed = 0.0, defaultdict(float)
        for caller, (_, _, _, cumulative) in callers.items():
            if caller not in raw:
                continue
            weight = max(cumulative, 1e-12)
            for name, part in fractions(caller, seen | {key}).items():
                mixed[name] += weight * part
            total += weight
        result = {name: value / total for name, value in mixed.items()} if total else {OTHER: 1.0}
        memo[key] = result
        return result

    seconds = defaultdict(float)
    for key, (_, _, own, _, _) in raw.items():
        for name, part in fractions(key, frozenset()).items():
            seconds[name] += own * part
    return seconds


def profile_fit(estimator, X, y):
    """Fit ``estimator`` under cProfile; returns ``(seconds by category, profiled total)``."""
    _original.update(matmul=np.matmul, dot=np.dot)
    profiler = cProfile.Profile()
    np.matmul, np.dot = _timed_matmul, _timed_dot
    try:
        start = time.perf_counter()
        profiler.enable()
        estimator.fit(X, y)
        profiler.disable()
        total = time.perf_counter() - start
    finally:
        np.matmul, np.dot = _original["matmul"], _original["dot"]
    return _shares(pstats.Stats(profiler)), total
