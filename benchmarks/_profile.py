"""Where skfcnn's training time goes: a cProfile run grouped into kinds of work.

cProfile does not see NumPy ufuncs (``np.matmul``, ``np.maximum``, ``+=``...):
their time lands in the Python function that called them.  So

* ``numpy.matmul`` and ``numpy.dot`` are replaced, for the profiled fit only, by
  thin Python wrappers defined here: their own time *is* the matrix products
  (anything written with the ``@`` operator is not intercepted and stays with
  its caller);
* every other function's own time goes to a kind of work by where it lives:
  by folder for the training loop (``skfcnn/training/``) and the estimators
  (``skfcnn/estimators/``), whatever files they hold, and by file in the core
  (``skfcnn/nn/activations.py`` is element-wise activation work, and so on;
  a core module not named here counts as network glue);
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

__all__ = ["CATEGORIES", "profile_fit"]

MATMUL = "matrix multiplies (numpy.matmul)"
DOT = "vector dots (numpy.dot: L2 penalty, weighted loss)"
ACTIVATIONS = "element-wise: activations and their derivatives"
LOSSES = "element-wise: loss value and output gradient"
NETWORK = ("network glue (nn/network.py, layers.py, penalty.py): bias adds, bias-gradient "
           "sums, weight decay, buffers")
EXTRAS = "element-wise: dropout / batch norm"
OPTIMIZER = "optimiser updates (nn/optimizers.py, transforms.py, schedules.py)"
GATHER = "batch gathering (take into a buffer)"
LOOP = "Python overhead: training loop (training/: loop, state, callbacks, L-BFGS)"
ESTIMATOR = "Python overhead: estimator (estimators/: validation, setup, labels)"
OTHER = "other"
CATEGORIES = [MATMUL, DOT, ACTIVATIONS, LOSSES, NETWORK, EXTRAS, OPTIMIZER, GATHER, LOOP,
              ESTIMATOR, OTHER]

_original = {}


def _timed_matmul(*args, **kwargs):
    """``numpy.matmul``, as a Python function whose own time cProfile records."""
    return _original["matmul"](*args, **kwargs)


def _timed_dot(*args, **kwargs):
    """``numpy.dot``, as a Python function whose own time cProfile records."""
    return _original["dot"](*args, **kwargs)


_HERE = _timed_matmul.__code__.co_filename
_PACKAGE = os.path.dirname(os.path.abspath(skfcnn.__file__))
#: Sub-packages whose every module, present or future, does one kind of work.
_BY_FOLDER = {"training": LOOP, "estimators": ESTIMATOR}
#: The core's modules do different kinds; one missing here counts as NETWORK.
#: penalty.py and _layout.py came out of network.py, _blocks.py out of optimizers.py:
#: they keep the kind they had there.
_NN_BY_FILE = {
    "activations.py": ACTIVATIONS,
    "losses.py": LOSSES,
    "network.py": NETWORK,
    "layers.py": NETWORK,
    "penalty.py": NETWORK,
    "_layout.py": NETWORK,
    "dropout.py": EXTRAS,
    "batch_norm.py": EXTRAS,
    "optimizers.py": OPTIMIZER,
    "transforms.py": OPTIMIZER,
    "schedules.py": OPTIMIZER,
    "_blocks.py": OPTIMIZER,
    "_hyperparameters.py": OPTIMIZER,  # the optimisers', transforms' and schedules' base
    "initializers.py": ESTIMATOR,  # the weights are drawn once, in the fit's setup
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
    return _package_category(os.path.relpath(path, _PACKAGE).replace(os.sep, "/"), name)


def _package_category(where, name):
    """The kind of work of function ``name`` in ``where``, a path inside skfcnn/."""
    folder, _, rest = where.partition("/")
    if not rest:  # a top-level module: lazy imports, the 0.1.0 pickle aliases
        return ESTIMATOR
    if folder == "nn":
        return _NN_BY_FILE.get(rest, NETWORK)
    if folder == "training" and "gather" in name.lower():
        return GATHER  # the loop's batch gathering, the Python side of ``take``
    return _BY_FOLDER.get(folder, ESTIMATOR)


def _shares(stats):
    """``{category: seconds}`` of the profiled run's own (tot) times."""
    raw = stats.stats
    memo = {}

    def fractions(key, seen):
        """``{category: share}`` of ``key``'s own time (``seen``: callers on the path)."""
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
