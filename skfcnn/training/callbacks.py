"""The training loop's hooks, and the rules that run through them.

A callback is an object with any of these methods (a subclass of
:class:`Callback` inherits a no-op for each); ``run`` is the
:class:`~skfcnn.training.loop.TrainingRun` of the call (the network, the
optimiser, the record of training, the settings and the held-out set):

``on_fit_begin(run)``
    once, before the first epoch of a ``fit`` or ``partial_fit`` call;
``on_epoch_begin(run)``
    before each epoch;
``on_gradient(run, grad)``
    after each mini-batch's gradient (the flat vector ``grad``, which the hook
    may change in place), before the gradient transforms and the update;
``on_epoch_end(run) -> bool``
    after each epoch has been recorded; a true value asks training to stop
    after this epoch (every later callback still sees the epoch, with
    ``run.stop`` set);
``on_fit_end(run)``
    once, however training ended (``run.error`` is the exception that ends
    it, if any).

The loop calls a hook only on the callbacks that define it (a class
attribute lookup, once per call), so a hook nobody uses costs nothing per
batch.  Verbose printing, the progress bar, the validation score, the
no-improvement rule (early stopping, the plateau rule of metric-driven
schedules) and the estimators' ``callbacks=[callable]`` are callbacks
themselves, in this order (:func:`standard_callbacks`).
"""

import sys
import warnings

import numpy as np

from ..nn._optional import import_optional
from .state import Checkpoint, learning_rate, monitored_value

__all__ = ["HOOKS", "Callback", "FunctionCallback", "PlateauRule", "PrintProgress",
           "ProgressBar", "ProgressTracker", "ValidationMonitor", "has_hooks",
           "lbfgs_callbacks", "standard_callbacks"]

#: Every hook of the protocol, in the order a call runs them.
HOOKS = ("on_fit_begin", "on_epoch_begin", "on_gradient", "on_epoch_end", "on_fit_end")


class Callback:
    """Base class of the training hooks: every hook does nothing."""

    def on_fit_begin(self, run):
        """Before the first epoch of the call."""

    def on_epoch_begin(self, run):
        """Before each epoch."""

    def on_gradient(self, run, grad):
        """After each mini-batch's gradient ``grad``, before the update."""

    def on_epoch_end(self, run):
        """After each recorded epoch; return True to stop training."""
        return False

    def on_fit_end(self, run):
        """Once, however training ended."""


def has_hooks(callback):
    """Whether ``callback`` is a hook object (any hook of :data:`HOOKS`), not a plain
    callable ``callback(history) -> bool``."""
    return any(hasattr(callback, hook) for hook in HOOKS)


def defines(callback, hook):
    """Whether ``callback`` has its own ``hook`` (not :class:`Callback`'s no-op)."""
    method = getattr(type(callback), hook, None)
    if method is None:
        return callable(getattr(callback, hook, None))
    return method is not getattr(Callback, hook)


class FunctionCallback(Callback):
    """A plain callable ``function(history) -> bool`` called after each epoch.

    ``history`` is a fresh dict (:func:`~skfcnn.training.state.history`):
    ``epoch``, ``loss``, ``loss_curve``, ``validation_score``,
    ``validation_loss``, ``learning_rate`` (of the next epoch), ``fit_time``.
    """

    def __init__(self, function):
        self.function = function

    def on_epoch_end(self, run):
        answer = self.function(run.record())
        if isinstance(answer, np.ndarray):
            raise TypeError(f"A callback must return a bool (stop or not); {self.function!r} "
                            f"returned an array of shape {answer.shape}.")
        return bool(answer)


class PrintProgress(Callback):
    """scikit-learn's ``verbose`` line after each epoch: ``Iteration k, loss = ...``."""

    def on_epoch_end(self, run):
        run.write(f"Iteration {run.state.n_iter}, loss = {run.state.loss_curve[-1]:.8f}")
        return False


class ProgressBar(Callback):
    """A tqdm bar over the epochs of a call (``verbose >= 2``), the last loss in
    its postfix; cleared when the call ends, however it ends.

    While the bar is shown, the call's progress lines (``run.write``) go
    through tqdm's own writer, which clears the bar, writes the line and draws
    the bar again below it, and so do the warnings shown meanwhile (a
    ``ConvergenceWarning``, say: still a real warning, filtered and recorded as
    any other, only written with the bar out of the way): lines, warnings and
    bar never overwrite each other.  The bar is compact, the loss right after
    the count (:data:`BAR_FORMAT`), so that a narrow terminal cuts the timing
    off, not the loss.  Without tqdm installed it draws nothing and warns,
    naming the package to install; the progress lines are printed as usual.

    Parameters
    ----------
    total : int or None, default=None
        The bar's length; ``None``: the call's ``config.max_epochs``.
    unit : str, default="epoch"
        What one step is (``"iteration"`` for L-BFGS).
    """

    #: tqdm's ``bar_format``: ``epochs: 3/200, loss=0.6931 |###   | 00:01<00:40``.
    BAR_FORMAT = "{desc}: {n_fmt}/{total_fmt}{postfix} |{bar}| {elapsed}<{remaining}"

    def __init__(self, total=None, unit="epoch"):
        self.total, self.unit = total, unit
        self.bar = None
        self._shown = None  # the warnings' writer the bar stands in front of

    def on_fit_begin(self, run):
        try:
            tqdm = import_optional("tqdm.auto", "verbose=2's progress bar").tqdm
        except ImportError as error:
            # the user's fit: ... -> train -> fit_hooks (a context manager) -> here
            warnings.warn(f"{error}; training goes on without the bar.", UserWarning,
                          stacklevel=10)
            return
        total = self.total if self.total is not None else run.config.max_epochs
        self.bar = tqdm(total=total, desc=f"{self.unit}s", unit=self.unit, leave=False,
                        file=sys.stderr, bar_format=self.BAR_FORMAT)
        run.write = self._write
        self._shown, warnings.showwarning = warnings.showwarning, self._show_warning

    def _write(self, line):
        self.bar.write(line, file=sys.stdout)

    def _show_warning(self, message, category, filename, lineno, file=None, line=None):
        """``warnings.showwarning`` while the bar is shown: the writer it replaced,
        with the bar cleared first and drawn again after."""
        with self.bar.external_write_mode(file=sys.stderr if file is None else file):
            self._shown(message, category, filename, lineno, file, line)

    def on_epoch_end(self, run):
        if self.bar is not None:
            self.bar.set_postfix(loss=f"{run.state.loss_curve[-1]:.6g}", refresh=False)
            self.bar.update()
        return False

    def on_fit_end(self, run):
        if self.bar is not None:
            if warnings.showwarning == self._show_warning:  # else: replaced since; leave it
                warnings.showwarning = self._shown
            self._shown = None
            self.bar.close()
            self.bar = None
            run.write = print


class ValidationMonitor(Callback):
    """Scores the held-out set after each epoch (``validation_scores_`` and
    ``validation_loss_curve_``)."""

    def __init__(self, verbose):
        self.verbose = verbose

    def on_epoch_end(self, run):
        validation, state = run.validation, run.state
        args = (run.network, validation.X, validation.y, validation.sample_weight)
        score, loss = validation.score(*args), validation.loss(*args)
        state.validation_scores.append(score)
        state.validation_loss_curve.append(loss)
        state.best_validation_score = max(state.best_validation_score, score)
        if self.verbose:
            run.write(f"Validation score: {score:f}")
        return False


class ProgressTracker(Callback):
    """scikit-learn's no-improvement count on the monitored value, and the best epoch.

    The monitored value is the training loss, or the validation score or loss
    (``monitor``), as "higher is better"; an epoch that does not beat the best
    by ``tol`` adds one to ``no_improvement_count``.  With ``restore_best``
    the network of the best epoch is kept in a
    :class:`~skfcnn.training.state.Checkpoint` and restored when the call
    ends (not when it ends in an error).
    """

    def __init__(self, tol, restore_best):
        self.tol, self.restore_best = tol, restore_best

    def on_epoch_end(self, run):
        state = run.state
        state.restored_epoch = None  # the network moved on
        value = monitored_value(state, run.config, run.validation)
        if value < state.best_monitored + self.tol:
            state.no_improvement_count += 1
        else:
            state.no_improvement_count = 0
        if value > state.best_monitored:
            state.best_monitored = value
            if self.restore_best:
                if state.best is None or state.best.network is not run.network:
                    state.best = Checkpoint(run.network)
                else:
                    state.best.save()
                state.best.epoch = state.n_iter
        return False

    def on_fit_end(self, run):
        if self.restore_best and run.error is None and run.state.best is not None:
            run.state.best.restore()
            run.state.restored_epoch = run.state.best.epoch


class PlateauRule(Callback):
    """scikit-learn's rule after more than ``n_iter_no_change`` epochs without progress.

    A metric-driven schedule (one with ``on_plateau(record)``, such as
    ``'adaptive'``) may answer with a divisor :math:`d`: the rate is divided
    by :math:`d` and training goes on; otherwise (or when it answers
    ``None``) training stops.
    """

    def __init__(self, n_iter_no_change, tol, verbose):
        self.n_iter_no_change, self.tol, self.verbose = n_iter_no_change, tol, verbose

    def _message(self, run):
        what = "Training loss"
        if run.validation is not None:
            what = "Validation loss" if run.config.monitor == "loss" else "Validation score"
        return (f"{what} did not improve more than tol={self.tol:f} for "
                f"{self.n_iter_no_change} consecutive epochs.")

    def on_epoch_end(self, run):
        state = run.state
        if run.stop or state.no_improvement_count <= self.n_iter_no_change:
            return False
        schedule = run.config.schedule
        on_plateau = getattr(schedule, "on_plateau", None)
        divisor = None if on_plateau is None else on_plateau(run.record())
        if divisor is not None:
            rate = learning_rate(state, run.config)
            state.learning_rate_scale /= divisor
            state.no_improvement_count = 0
            if self.verbose:
                run.write(f"{self._message(run)} Setting learning rate to {rate / divisor:f}")
            return False
        if self.verbose:
            tail = " Learning rate too small." if on_plateau is not None else ""
            run.write(f"{self._message(run)}{tail} Stopping.")
        run.stop = True
        return False


def standard_callbacks(config, validation, extra=()):
    """The callbacks of one training call, in the order they run.

    The progress bar (``verbose >= 2``), the loss line (``verbose``), the
    validation score (with a held-out set), the no-improvement count, the
    user's callbacks (``config.callbacks``: plain callables become
    :class:`FunctionCallback`) and ``extra`` ones, then the plateau rule
    (unless ``partial_fit``: ``config.check_convergence`` is False).
    """
    callbacks = []
    if config.verbose >= 2 and config.max_epochs > 1:
        callbacks.append(ProgressBar())
    if config.verbose:
        callbacks.append(PrintProgress())
    if validation is not None:
        callbacks.append(ValidationMonitor(config.verbose))
    callbacks.append(ProgressTracker(config.tol, config.restore_best))
    callbacks.extend(_users(config, extra))
    if config.check_convergence:
        callbacks.append(PlateauRule(config.n_iter_no_change, config.tol, config.verbose))
    return callbacks


def _users(config, extra):
    """The user's callbacks (plain callables as :class:`FunctionCallback`), then ``extra``."""
    return [callback if has_hooks(callback) else FunctionCallback(callback)
            for callback in (*config.callbacks, *extra)]


def lbfgs_callbacks(config, extra=()):
    """The callbacks of an L-BFGS call, in the order they run: the progress bar
    (``verbose >= 2``, over ``config.max_epochs`` iterations), the loss line
    (``verbose``), then the user's callbacks and ``extra`` ones, as for the
    stochastic solvers (:func:`standard_callbacks`); each iteration is an epoch."""
    callbacks = []
    if config.verbose >= 2:
        callbacks.append(ProgressBar(total=config.max_epochs, unit="iteration"))
    if config.verbose:
        callbacks.append(PrintProgress())
    return callbacks + _users(config, extra)
