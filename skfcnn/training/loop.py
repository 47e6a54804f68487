"""The stochastic training loop, as small named steps.

Everything here receives plain values (arrays, numbers, the network, its
optimiser and the optimiser's state, a
:class:`~skfcnn.training.state.TrainingConfig`); nothing reads an
estimator's parameters.  The record of training that outlives one call is a
:class:`~skfcnn.training.state.TrainingState` that the estimator keeps between
``fit`` / ``partial_fit`` calls.
"""

import math
import time
import warnings
from contextlib import contextmanager

import numpy as np
from sklearn.exceptions import ConvergenceWarning

from ..nn.losses import get_loss
from .callbacks import HOOKS, defines, standard_callbacks
from .state import Checkpoint, history, learning_rate, record_epoch

__all__ = ["KEPT", "DivergenceError", "TrainingRun", "all_finite", "resolve_batch_size", "train"]


def all_finite(a):
    """Whether every entry of ``a`` is finite, without a temporary of ``a``'s size.

    The sum is finite only if every entry is; a sum that overflowed (or is not
    finite for any other reason) is settled by the exact check.  An overflow
    warns unless the caller's ``np.errstate`` ignores it, as training's does.
    """
    return math.isfinite(np.add.reduce(a, axis=None)) or bool(np.isfinite(a).all())


def resolve_batch_size(batch_size, n_samples):
    """scikit-learn's rule: ``"auto"`` is ``min(200, n_samples)``; larger is clipped."""
    if batch_size == "auto":
        return min(200, n_samples)
    if batch_size > n_samples:
        warnings.warn(
            f"Got `batch_size`={batch_size} larger than the number of samples "
            f"({n_samples}); it is clipped to {n_samples}.",
            stacklevel=8,  # fit -> transactional -> _fit_context -> fit -> _fit -> ... -> train
        )
    return int(np.clip(batch_size, 1, n_samples))


class _Batches:
    """Mini-batches of ``(X, Y, sample_weight)``, gathered into reused buffers.

    Dense arrays are gathered with ``ndarray.take(..., out=buffer, mode="clip")``
    (the indices are valid by construction; the default ``mode="raise"``
    gathers through a temporary copy, half again as slow); a sparse ``X`` (CSR)
    is sliced by rows, which gives a small sparse batch.  The batches are the
    slices of :func:`sklearn.utils.gen_batches`, computed once (that function
    validates its arguments on every call: 50 us, a third of a tiny network's epoch).
    """

    def __init__(self, X, Y, sample_weight, batch_size):
        self.arrays = [a for a in (X, Y, sample_weight) if a is not None]
        self.has_weight = sample_weight is not None
        self.batch_size = batch_size
        self.buffers = None
        n_samples = self.arrays[0].shape[0]
        self.slices = [slice(start, min(start + batch_size, n_samples))
                       for start in range(0, n_samples, batch_size)]

    def _gather(self, index):
        if self.buffers is None:
            self.buffers = [None if not isinstance(a, np.ndarray)
                            else np.empty((self.batch_size, *a.shape[1:]), a.dtype)
                            for a in self.arrays]
        n = index.shape[0]
        return [a[index] if buf is None else a.take(index, axis=0, out=buf[:n], mode="clip")
                for a, buf in zip(self.arrays, self.buffers)]

    def __call__(self, order):
        """Yield ``(X_batch, Y_batch, weight_batch)``; ``order=None`` keeps row order."""
        for batch in self.slices:
            if order is None:
                parts = [a[batch] for a in self.arrays]
            else:
                parts = self._gather(order[batch])
            yield parts[0], parts[1], (parts[2] if self.has_weight else None)


def run_epoch(run, gradient_hooks, batches, order, rate):
    """One pass over the data; returns the sample-weighted mean batch objective.

    Before each update the network, which just gave a finite objective, is
    saved in the :class:`Checkpoint` ``run.state.last_good``.  As soon as a
    batch objective (or a batch-norm running statistic, which the
    normalisation can let overflow while the loss stays finite) is not finite,
    it is restored from there and ``FloatingPointError`` is raised, saying what
    diverged: the network is left with the last parameters and running
    statistics known to give a finite loss.  ``gradient_hooks`` (the
    callbacks' ``on_gradient``) see each gradient before the update; the
    gradient transforms (clipping, decoupled weight decay) are part of the
    optimiser (:func:`skfcnn.nn.transforms.chain`).
    """
    total, weight_total = 0.0, 0.0
    network, config, last_good = run.network, run.config, run.state.last_good
    params, grad, loss_gradient = network.params, network.grad, network.loss_gradient
    update, optimizer_state = run.optimizer.update, run.optimizer_state
    loss, alpha, save = get_loss(config.loss), config.alpha, last_good.save
    statistics = run.running_state  # the steps' running state (batch norm)
    for X_batch, Y_batch, w_batch in batches(order):
        if w_batch is not None and not w_batch.any():
            continue  # a batch of zero weight carries no information
        value = loss_gradient(X_batch, Y_batch, loss, alpha, w_batch, **config.forward_kwargs)
        if not math.isfinite(value):
            last_good.restore()
            raise FloatingPointError(f"The training loss became {value}")
        if statistics and not all(map(all_finite, statistics)):
            last_good.restore()
            raise FloatingPointError("The batch-norm running statistics became non-finite")
        save()
        weight = X_batch.shape[0] if w_batch is None else float(w_batch.sum())
        total += value * weight
        weight_total += weight
        for hook in gradient_hooks:
            hook(run, grad)
        update(params, grad, rate, optimizer_state)
    return total / weight_total if weight_total > 0 else 0.0


class DivergenceError(ValueError):
    """Training diverged: the loss (or a parameter or running statistic) became
    non-finite; the network holds the last parameters that gave a finite loss."""


#: scikit-learn's sentence for a diverged MLP, which users' code and tests match on.
SKLEARN_DIVERGED = ("Solver produced non-finite parameter weights. The input data may "
                    "contain large values and need to be preprocessed.")


#: What a divergence error says the model is left with.
KEPT = "the last parameters that gave a finite loss were kept"


def _diverged_error(epoch, what):
    error = DivergenceError(
        f"{what} at iteration {epoch}: training diverged and was stopped; {KEPT}. Try "
        "scaling the inputs (e.g. with StandardScaler) or lowering learning_rate_init. "
        f"{SKLEARN_DIVERGED}"
    )
    error.iteration, error.what = epoch, what
    return error


def _diverged_with_validation(run, error, n_samples, seconds):
    """Early stopping's answer to divergence (scikit-learn's since 1.6): the epoch is
    recorded with a NaN validation score (and loss), training stops, and the best
    validated parameters are restored at the end of the call; a warning says so."""
    state = run.state
    record_epoch(state, math.nan, n_samples, seconds)
    state.validation_scores.append(math.nan)
    state.validation_loss_curve.append(math.inf)
    kept = ("the parameters of the best validated epoch were restored"
            if run.config.restore_best and state.best is not None
            else "the last parameters that gave a finite loss were kept")
    warnings.warn(
        f"{error.what} at iteration {error.iteration}: training diverged and was stopped; "
        f"{kept}. Try scaling the inputs (e.g. with StandardScaler) or lowering "
        "learning_rate_init.", ConvergenceWarning,
        stacklevel=9)  # the user's fit: train -> _train_epochs -> here


def _epoch(run, gradient_hooks, batches, order):
    """One epoch with divergence handling; returns its mean objective."""
    state = run.state
    rate = learning_rate(state, run.config)
    try:
        epoch_loss = run_epoch(run, gradient_hooks, batches, order, rate)
        if not all_finite(run.network.params):
            state.last_good.restore()
            raise FloatingPointError("The parameters became non-finite")
    except FloatingPointError as exc:
        raise _diverged_error(state.n_iter + 1, exc.args[0]) from None
    return epoch_loss


class TrainingRun:
    """What the hooks of one training call see (:mod:`skfcnn.training.callbacks`).

    Attributes
    ----------
    network, optimizer, optimizer_state
        What is trained, and how; changed in place.
    state : TrainingState
        The record of training, kept across calls.
    config : TrainingConfig
        The settings of this call.
    validation : Validation or None
        The held-out set.
    stop : bool
        Set when a callback or rule has asked to stop after this epoch.
    error : BaseException or None
        What ended the call, when it did not end normally.
    interrupted : bool
        Set when ``KeyboardInterrupt`` stopped training (the call then returns).
    running_state : list of ndarray
        The layer steps' running arrays (batch norm's statistics), which every
        batch checks for overflow.
    rng, order : numpy.random.RandomState, ndarray or None
        The generator that shuffles the rows before each epoch, and the row
        order it permutes in place (``None`` without ``shuffle``).
    write : callable
        Where the progress lines of ``verbose`` go, ``write(line)``: ``print``,
        or the progress bar's own writer while a bar is shown (so that a line
        is written above the bar instead of over it).
    """

    def __init__(self, network, optimizer, optimizer_state, state, config, validation):
        self.network, self.optimizer, self.optimizer_state = network, optimizer, optimizer_state
        self.state, self.config, self.validation = state, config, validation
        self.stop, self.error, self.interrupted = False, None, False
        self.rng = self.order = None  # the shuffling generator and the order it permutes
        # once per call (checked every batch); a run may be made without a network
        self.running_state = [] if network is None else network.running_state
        self.write = print

    def record(self):
        """The epoch's record: a fresh dict (:func:`~skfcnn.training.state.history`)."""
        return history(self.state, self.config)


class _Hooks:
    """For each hook, the bound methods of the callbacks that define it, in order."""

    def __init__(self, callbacks):
        for hook in HOOKS:
            setattr(self, hook, [getattr(c, hook) for c in callbacks if defines(c, hook)])


@contextmanager
def fit_hooks(run, hooks):
    """``on_fit_begin`` before the body, ``on_fit_end`` after it however it ends
    (``run.error`` is the exception that ends it, if any)."""
    try:
        for hook in hooks.on_fit_begin:
            hook(run)
        yield run
    except BaseException as error:
        run.error = error
        raise
    finally:
        for hook in hooks.on_fit_end:
            hook(run)


def _epoch_end(run, hooks):
    """Every epoch-end hook; a true answer stops training after this epoch."""
    for hook in hooks.on_epoch_end:
        if hook(run) and not run.stop:
            run.stop = True
            if run.config.verbose:
                run.write("A callback asked to stop training.")
    return run.stop


def train(network, optimizer, optimizer_state, X, Y, sample_weight, state, config, rng,
          validation=None, callbacks=(), order=None):
    """Run up to ``config.max_epochs`` epochs of mini-batch training in place.

    ``optimizer`` (the optimiser protocol of :mod:`skfcnn.nn.optimizers`, e.g.
    a chain of gradient transforms and an optimiser) updates ``network.params``
    with ``optimizer_state``, which it changes in place.  The rules run as
    hooks (:func:`~skfcnn.training.callbacks.standard_callbacks`, with
    ``callbacks`` among the user's).

    Stops early, as scikit-learn's MLP does, once the monitored quantity (the
    training loss, or the validation score or loss when ``validation`` is
    given) failed to improve by ``tol`` for more than ``n_iter_no_change``
    epochs in a row (only when ``config.check_convergence``: ``partial_fit``
    runs exactly one epoch), or when a callback asks to.  A non-finite loss
    restores the last parameters that gave a finite batch loss and raises
    ``ValueError``; ``KeyboardInterrupt`` restores those of the last finished
    epoch and warns (batch-norm running statistics included, both times).
    With ``config.restore_best`` the parameters of the best epoch are
    restored at the end.  A resumed call (:class:`~skfcnn.Checkpoint`)
    starts at epoch ``config.first_epoch`` of the call, with the row ``order``
    that the previous epochs left.
    """
    n_samples = X.shape[0]
    batches = _Batches(X, Y, sample_weight, resolve_batch_size(config.batch_size, n_samples))
    if config.shuffle and order is None:  # (a resumed call goes on with its saved order)
        order = np.arange(n_samples)
    if state.last_good is None or state.last_good.network is not network:
        state.last_good = Checkpoint(network)
    run = TrainingRun(network, optimizer, optimizer_state, state, config, validation)
    run.rng, run.order = rng, order
    hooks = _Hooks(standard_callbacks(config, validation, callbacks))
    # Overflow is expected only when training diverges, which _epoch checks for;
    # set once per call rather than per epoch (a few per cent of a tiny epoch).
    with np.errstate(over="ignore", invalid="ignore"):
        with fit_hooks(run, hooks):
            _train_epochs(run, hooks, batches, n_samples, order, rng)
        _check_final_model(run, X[batches.slices[0]])


def _check_final_model(run, X_rows):
    """The last update was never evaluated: the model must predict finite values on
    training rows (one batch's worth), or the last parameters known to give a finite
    loss come back and training counts as diverged."""
    network = run.network
    if all_finite(network.predict(X_rows)):
        return
    run.state.last_good.restore()
    raise _diverged_error(run.state.n_iter, "The predictions on the training data became "
                                            "non-finite")


def _train_epochs(run, hooks, batches, n_samples, order, rng):
    """The epoch loop of :func:`train`, with its stopping and interruption rules."""
    config, state, network = run.config, run.state, run.network
    epoch_start = Checkpoint(network)
    save_epoch_start = epoch_start.save
    try:
        for _ in range(config.first_epoch, config.max_epochs):
            save_epoch_start()
            in_epoch = True  # an interrupt from here rolls back to the epoch's start
            for hook in hooks.on_epoch_begin:
                hook(run)
            if config.shuffle:
                rng.shuffle(order)
            start = time.perf_counter()
            try:
                epoch_loss = _epoch(run, hooks.on_gradient, batches, order)
            except DivergenceError as error:
                if run.validation is None:
                    raise
                _diverged_with_validation(run, error, n_samples, time.perf_counter() - start)
                break
            record_epoch(state, epoch_loss, n_samples, time.perf_counter() - start)
            in_epoch = False  # ... and from here (the hooks) keeps the finished epoch
            if _epoch_end(run, hooks):
                break
        else:
            if config.check_convergence:
                warnings.warn(
                    f"Stochastic Optimizer: Maximum iterations ({config.max_epochs}) "
                    "reached and the optimization hasn't converged yet.",
                    ConvergenceWarning,
                    stacklevel=8,  # the user's fit or partial_fit call
                )
    except KeyboardInterrupt:
        run.interrupted = True
        if in_epoch:
            epoch_start.restore()
        warnings.warn("Training interrupted by user; the parameters of the "
                      f"last finished iteration ({state.n_iter}) were kept.",
                      stacklevel=8)  # the user's fit or partial_fit call
