"""Full-batch training with L-BFGS, directly over the flat parameter vector.

``scipy.optimize.minimize(method="L-BFGS-B")`` works in float64; the network
may be float32: each evaluation copies the float64 iterate into the network's
own parameter vector (no packing: the layout is already flat) and hands back
the float64 gradient.  The returned model keeps the network's dtype.

SciPy's wheels bundle their own OpenBLAS, separate from NumPy's.  L-BFGS-B
calls it for small vector operations between two objective evaluations, and
its worker threads then keep spinning while NumPy's threads multiply the
network's matrices: with two cores, every product became up to twenty times
slower.  SciPy's own bundled BLAS (and only it: a BLAS shared with NumPy is
left alone) is therefore limited to one thread during the minimisation, which
made a (64, 64, 64) regression on 1000 rows five times faster.
"""

import os
import threading
import time
import warnings
from contextlib import contextmanager
from functools import lru_cache

import numpy as np
import scipy
from scipy.optimize import minimize
from sklearn.exceptions import ConvergenceWarning

try:  # a dependency of scikit-learn
    from threadpoolctl import ThreadpoolController
except ImportError:  # pragma: no cover
    ThreadpoolController = None

from ..nn.losses import get_loss, loss_rule
from .callbacks import lbfgs_callbacks
from .loop import TrainingRun, _diverged_error, _epoch_end, _Hooks, fit_hooks

__all__ = ["RESCALE_ROUNDS", "train_lbfgs"]

#: At most this many L-BFGS runs for a loss with an adaptive scale (Huber's
#: default threshold), each with the scale of its start (``_minimize_rescaled``).
RESCALE_ROUNDS = 5


class _Objective:
    """``fun(x) -> (J, dJ/dx)`` of the whole data set, for scipy."""

    def __init__(self, network, X, Y, sample_weight, loss, alpha, run=None, gradient_hooks=()):
        self.network, self.X, self.Y, self.sample_weight = network, X, Y, sample_weight
        self.loss, self.alpha = loss, alpha
        self.run, self.gradient_hooks = run, gradient_hooks

    def __call__(self, x):
        self.network.params[...] = x
        with np.errstate(over="ignore", invalid="ignore"):
            value = self.network.loss_gradient(self.X, self.Y, self.loss, self.alpha,
                                               self.sample_weight)
        for hook in self.gradient_hooks:  # the callbacks' on_gradient, once per evaluation
            hook(self.run, self.network.grad)
        return value, self.network.grad.astype(np.float64)


class _Recorder:
    """scipy callback: records every iteration's objective, duration and the last
    iterate, and runs the hooks, one "epoch" per iteration (a true answer from
    ``on_epoch_end`` stops the minimisation after every hook has seen it)."""

    def __init__(self, run, hooks):
        self.run, self.hooks = run, hooks
        self.last_x = None
        self.stopped = False
        self.start = time.perf_counter()

    def __call__(self, intermediate_result):
        self.last_x = intermediate_result.x.copy()
        state = self.run.state
        state.loss_curve.append(float(intermediate_result.fun))
        state.n_iter += 1
        now = time.perf_counter()
        state.fit_times.append(now - self.start)
        if _epoch_end(self.run, self.hooks):
            self.stopped = True
            raise StopIteration
        for hook in self.hooks.on_epoch_begin:
            hook(self.run)
        self.start = time.perf_counter()  # the hooks' own time is not the iteration's


def _inside(path, folders):
    path = os.path.realpath(path)
    return any(path.startswith(os.path.realpath(folder) + os.sep) for folder in folders)


@lru_cache(maxsize=1)
def _scipy_own_blas():
    """threadpoolctl's handle on the BLAS libraries bundled inside SciPy, or None.

    Found once (scanning the loaded libraries takes about a millisecond, a
    noticeable part of a small L-BFGS fit); SciPy loads its BLAS on import.
    """
    if ThreadpoolController is None:
        return None
    package = os.path.dirname(scipy.__file__)
    folders = (package, package + ".libs")
    controller = ThreadpoolController()
    own = [lib.filepath for lib in controller.lib_controllers
           if lib.user_api == "blas" and _inside(lib.filepath, folders)]
    return controller.select(filepath=own) if own else None


#: Minimisations running now (in any thread), and the limits to restore after the last.
_LIMITS = {"active": 0, "restore": None}
_LIMITS_LOCK = threading.Lock()


@contextmanager
def scipy_own_blas_one_thread():
    """A context limiting the BLAS libraries bundled inside SciPy to one thread.

    Those live in SciPy's package folder or its ``scipy.libs`` sibling (where
    the wheels put them); NumPy never loads them.  Without threadpoolctl or
    such a library the context does nothing.  Concurrent fits (threads, e.g. a
    grid search under joblib's threading backend) share one limit: the first
    to enter sets it, the last to leave restores exactly what was there before
    the first, in whatever order they finish.
    """
    own = _scipy_own_blas()
    if own is None:
        yield
        return
    with _LIMITS_LOCK:
        if _LIMITS["active"] == 0:
            _LIMITS["restore"] = own.limit(limits=1)
        _LIMITS["active"] += 1
    try:
        yield
    finally:
        with _LIMITS_LOCK:
            _LIMITS["active"] -= 1
            if _LIMITS["active"] == 0:
                _LIMITS.pop("restore").restore_original_limits()
                _LIMITS["restore"] = None


def train_lbfgs(network, X, Y, sample_weight, state, config, callbacks=()):
    """Minimise the full-batch objective with L-BFGS-B, in place.

    ``config`` (a :class:`~skfcnn.training.state.TrainingConfig`) gives the
    loss, ``alpha``, ``verbose`` and the user's callbacks; its ``max_epochs``
    bounds the iterations, ``max_fun`` the objective evaluations and ``tol`` is
    scipy's ``gtol`` (scikit-learn's meaning).  Each iteration's objective is
    appended to ``state.loss_curve`` and its duration to ``state.fit_times``.
    The hooks (:func:`~skfcnn.training.callbacks.lbfgs_callbacks`: the
    progress bar and line of ``verbose``, ``config.callbacks``, then
    ``callbacks``) run as for the stochastic solvers, each iteration an epoch:
    ``on_fit_begin`` once; ``on_epoch_begin`` before the first iteration and
    after each one (scipy does not say in advance which is the last: one
    more than the iterations); ``on_gradient`` after each objective
    evaluation's gradient (line-search trials included), which it may change
    in place before L-BFGS sees it; ``on_epoch_end`` after each iteration, a
    true answer stopping the minimisation there; ``on_fit_end`` once.
    ``KeyboardInterrupt`` keeps the last finished iteration and warns; a
    non-finite final objective raises ``ValueError``.
    """
    run = TrainingRun(network, None, None, state, config, None)
    hooks = _Hooks(lbfgs_callbacks(config, callbacks))
    loss, alpha = config.loss, config.alpha
    with fit_hooks(run, hooks):
        for hook in hooks.on_epoch_begin:
            hook(run)
        options = {"maxiter": config.max_epochs, "maxfun": config.max_fun, "gtol": config.tol}
        if _held_loss(loss, network, X, Y, sample_weight) is None:
            _warn_unconverged(_minimize(run, hooks, X, Y, sample_weight, loss, alpha, options))
        else:
            _minimize_rescaled(run, hooks, X, Y, sample_weight, loss, alpha, options)


def _held_loss(loss, network, X, Y, sample_weight):
    """``loss`` with its adaptive scale (Huber's default threshold) held at the
    network's residuals now; ``None`` for a loss without one."""
    obj = get_loss(loss)
    if not loss_rule(obj, "adaptive_scale"):  # spares a prediction over every row
        return None
    with np.errstate(over="ignore", invalid="ignore"):
        held = loss_rule(obj, "frozen")(Y, network.predict(X), sample_weight)
    return None if held is obj else held


def _minimize_rescaled(run, hooks, X, Y, sample_weight, loss, alpha, options):
    r"""L-BFGS-B for a loss whose scale :math:`\delta` adapts to the residuals.

    Recomputed at every evaluation, :math:`\delta` would make the objective
    move under the line search (the gradient holds it constant), which then
    stops after a few iterations.  Instead each round minimises the objective
    with :math:`\delta` held at its starting point's residuals, and the next
    round re-estimates it (iteratively rescaled, as M-estimators are fitted):
    at most :data:`RESCALE_ROUNDS` rounds, sharing ``maxiter``, until
    :math:`\delta` changes by less than 1 %.
    """
    budget, held = options["maxiter"], _held_loss(loss, run.network, X, Y, sample_weight)
    for rounds_left in range(RESCALE_ROUNDS, 0, -1):
        start = run.state.n_iter
        share = {**options, "maxiter": max(1, -(-budget // rounds_left))}
        result = _minimize(run, hooks, X, Y, sample_weight, held, alpha, share)
        budget -= run.state.n_iter - start
        if result is None or budget <= 0:
            break
        new = _held_loss(loss, run.network, X, Y, sample_weight)
        if np.allclose(new.thresholds, held.thresholds, rtol=0.01, atol=0):
            break
        held = new
    _warn_unconverged(result, stacklevel=9)  # one frame deeper than train_lbfgs's call


def _warn_unconverged(result, stacklevel=8):
    """scikit-learn's ``ConvergenceWarning`` for a minimisation that did not converge."""
    if result is not None and result.status != 0:
        warnings.warn(
            f"lbfgs failed to converge after {result.nit} iteration(s) "
            f"(status={result.status}): {result.message}. Increase max_iter or "
            "max_fun, or scale the data.",
            ConvergenceWarning,
            stacklevel=stacklevel,  # the user's fit: ... -> train_lbfgs [-> rescaled] -> here
        )


def _minimize(run, hooks, X, Y, sample_weight, loss, alpha, options):
    """scipy's L-BFGS-B from the network's parameters; keeps the result in the network.

    Returns scipy's result, or ``None`` when a callback stopped it or the user
    interrupted it (nothing to warn about)."""
    network, state = run.network, run.state
    objective = _Objective(network, X, Y, sample_weight, loss, alpha, run, hooks.on_gradient)
    recorder = _Recorder(run, hooks)
    x0 = network.params.astype(np.float64)
    try:
        with scipy_own_blas_one_thread():
            result = minimize(objective, x0, method="L-BFGS-B", jac=True, options=options,
                              callback=recorder)
    except KeyboardInterrupt:
        network.params[...] = x0 if recorder.last_x is None else recorder.last_x
        warnings.warn("Training interrupted by user; the parameters of the last "
                      f"finished iteration ({state.n_iter}) were kept.",
                      stacklevel=8)  # the user's fit (one frame short via _minimize_rescaled)
        return None
    if not np.isfinite(result.fun):
        network.params[...] = x0 if recorder.last_x is None else recorder.last_x
        raise _diverged_error(state.n_iter + 1, f"The training loss became {result.fun}")
    network.params[...] = result.x
    state.t += X.shape[0] * max(result.nit, 1)
    return None if recorder.stopped else result
