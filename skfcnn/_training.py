"""The stochastic training loop, as small named steps.

Everything here receives plain values (arrays, numbers, the network, its
optimiser and a :class:`TrainingConfig`); nothing reads an estimator's
parameters.  The record of training that outlives one call (loss curve, best
loss, counters, the adaptive learning-rate scale, the best parameters) is a
:class:`TrainingState` that the estimator keeps between ``fit`` /
``partial_fit`` calls.
"""

import warnings
from dataclasses import dataclass, field

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import gen_batches

__all__ = ["TrainingConfig", "TrainingState", "Validation", "resolve_batch_size", "train"]


@dataclass
class TrainingState:
    """What training has done so far, kept across ``fit``/``partial_fit`` calls.

    Attributes
    ----------
    loss_curve : list of float
        Mean training objective of each epoch.
    best_loss : float
        Lowest entry of ``loss_curve``.
    no_improvement_count : int
        Epochs in a row without an improvement of ``tol`` (of the training loss,
        or of the validation score with early stopping).
    n_iter : int
        Epochs run in total (always ``len(loss_curve)``).
    t : int
        Training samples seen in total.
    learning_rate_scale : float
        Factor applied to the schedule's rate; the ``adaptive`` rule divides it
        by 5 on each plateau.
    validation_scores : list of float
        Validation score of each epoch run with early stopping.
    best_validation_score : float
        Highest validation score so far.
    best_params : ndarray or None
        Parameters of the epoch with the best validation score.
    last_good_params : ndarray or None
        The last parameter vector that gave a finite batch loss, restored when
        training diverges (also across ``partial_fit`` calls; not pickled).
    """

    loss_curve: list = field(default_factory=list)
    best_loss: float = np.inf
    no_improvement_count: int = 0
    n_iter: int = 0
    t: int = 0
    learning_rate_scale: float = 1.0
    validation_scores: list = field(default_factory=list)
    best_validation_score: float = -np.inf
    best_params: np.ndarray = None
    last_good_params: np.ndarray = None

    def __getstate__(self):
        return {**self.__dict__, "last_good_params": None}


@dataclass
class TrainingConfig:
    """Plain settings of one training call (see the estimators' parameters)."""

    loss: str
    alpha: float
    schedule: object  # callable: samples seen -> learning rate
    adaptive: bool
    batch_size: object
    shuffle: bool
    max_epochs: int
    tol: float
    n_iter_no_change: float
    verbose: bool
    check_convergence: bool = True


@dataclass
class Validation:
    """A held-out set and ``score(network, X, y, sample_weight) -> float``."""

    X: object
    y: object
    sample_weight: object
    score: object


def resolve_batch_size(batch_size, n_samples):
    """scikit-learn's rule: ``"auto"`` is ``min(200, n_samples)``; larger is clipped."""
    if batch_size == "auto":
        return min(200, n_samples)
    if batch_size > n_samples:
        warnings.warn(
            f"Got `batch_size`={batch_size} larger than the number of samples "
            f"({n_samples}); it is clipped to {n_samples}."
        )
    return int(np.clip(batch_size, 1, n_samples))


class _Batches:
    """Mini-batches of ``(X, Y, sample_weight)``, gathered into reused buffers.

    Dense arrays are gathered with ``np.take(..., out=buffer)``; a sparse ``X``
    (CSR) is sliced by rows, which gives a small sparse batch.
    """

    def __init__(self, X, Y, sample_weight, batch_size):
        self.arrays = [a for a in (X, Y, sample_weight) if a is not None]
        self.has_weight = sample_weight is not None
        self.batch_size = batch_size
        self.buffers = None

    def _gather(self, index):
        if self.buffers is None:
            self.buffers = [None if not isinstance(a, np.ndarray)
                            else np.empty((self.batch_size, *a.shape[1:]), a.dtype)
                            for a in self.arrays]
        n = index.shape[0]
        return [a[index] if buf is None else np.take(a, index, axis=0, out=buf[:n])
                for a, buf in zip(self.arrays, self.buffers)]

    def __call__(self, order):
        """Yield ``(X_batch, Y_batch, weight_batch)``; ``order=None`` keeps row order."""
        n_samples = self.arrays[0].shape[0]
        for batch in gen_batches(n_samples, self.batch_size):
            if order is None:
                parts = [a[batch] for a in self.arrays]
            else:
                parts = self._gather(order[batch])
            yield parts[0], parts[1], (parts[2] if self.has_weight else None)


def run_epoch(network, optimizer, batches, order, config, learning_rate, last_good):
    """One pass over the data; returns the sample-weighted mean batch objective.

    Before each update the parameters, which just gave a finite objective, are
    copied into ``last_good``.  As soon as a batch objective is not finite they
    are restored from it and ``FloatingPointError`` is raised: the network is
    left with the last parameters known to give a finite loss.
    """
    total, weight_total = 0.0, 0.0
    for X_batch, Y_batch, w_batch in batches(order):
        if w_batch is not None and not w_batch.any():
            continue  # a batch of zero weight carries no information
        value = network.loss_gradient(X_batch, Y_batch, config.loss, config.alpha, w_batch)
        if not np.isfinite(value):
            np.copyto(network.params, last_good)
            raise FloatingPointError(value)
        np.copyto(last_good, network.params)
        weight = X_batch.shape[0] if w_batch is None else float(w_batch.sum())
        total += value * weight
        weight_total += weight
        optimizer.update(network.params, network.grad, learning_rate)
    return total / weight_total if weight_total > 0 else 0.0


def record_epoch(state, epoch_loss, n_samples, tol, count=True):
    """Append the epoch's loss; update the loss-based no-improvement counter if ``count``."""
    state.loss_curve.append(epoch_loss)
    state.n_iter += 1
    state.t += n_samples
    if count and epoch_loss > state.best_loss - tol:
        state.no_improvement_count += 1
    elif count:
        state.no_improvement_count = 0
    state.best_loss = min(state.best_loss, epoch_loss)


def record_validation(state, network, validation, tol, verbose):
    """Score the held-out set; the counter then follows the score, not the loss."""
    score = validation.score(network, validation.X, validation.y, validation.sample_weight)
    state.validation_scores.append(score)
    if verbose:
        print(f"Validation score: {score:f}")
    if score < state.best_validation_score + tol:
        state.no_improvement_count += 1
    else:
        state.no_improvement_count = 0
    if score > state.best_validation_score:
        state.best_validation_score = score
        state.best_params = network.params.copy()


def on_plateau(state, config, early_stopping):
    """scikit-learn's rule after ``n_iter_no_change`` epochs without progress.

    Returns True to stop; with ``adaptive`` the rate is divided by 5 instead,
    until it falls to 1e-6.
    """
    what = "Validation score" if early_stopping else "Training loss"
    message = (f"{what} did not improve more than tol={config.tol:f} for "
               f"{config.n_iter_no_change} consecutive epochs.")
    rate = config.schedule(state.t) * state.learning_rate_scale
    if config.adaptive and rate > 1e-6:
        state.learning_rate_scale /= 5.0
        state.no_improvement_count = 0
        if config.verbose:
            print(f"{message} Setting learning rate to {rate / 5.0:f}")
        return False
    if config.verbose:
        tail = " Learning rate too small." if config.adaptive else ""
        print(f"{message}{tail} Stopping.")
    return True


def _diverged_error(epoch, value):
    return ValueError(
        f"The training loss became {value} at iteration {epoch}: training "
        "diverged and was stopped; the last parameters that gave a finite "
        "loss were kept. Try scaling the inputs (e.g. with StandardScaler) or "
        "lowering learning_rate_init."
    )


def _epoch(network, optimizer, batches, order, config, state):
    """One epoch with divergence handling; returns its mean objective."""
    rate = config.schedule(state.t) * state.learning_rate_scale
    try:
        with np.errstate(over="ignore", invalid="ignore"):  # divergence is checked here
            epoch_loss = run_epoch(network, optimizer, batches, order, config, rate,
                                   state.last_good_params)
        if not np.isfinite(network.params).all():
            np.copyto(network.params, state.last_good_params)
            raise FloatingPointError("non-finite parameters")
    except FloatingPointError as exc:
        raise _diverged_error(state.n_iter + 1, exc.args[0]) from None
    return epoch_loss


def train(network, optimizer, X, Y, sample_weight, state, config, rng, validation=None):
    """Run up to ``config.max_epochs`` epochs of mini-batch training in place.

    Stops early, as scikit-learn's MLP does, once the training loss (or the
    validation score, when ``validation`` is given) failed to improve by
    ``tol`` for more than ``n_iter_no_change`` epochs in a row (only when
    ``config.check_convergence``: ``partial_fit`` runs exactly one epoch).
    A non-finite loss restores the last parameters that gave a finite batch
    loss and raises ``ValueError``; ``KeyboardInterrupt`` restores those of the
    last finished epoch and warns.  With ``validation``, the parameters of the
    best-scoring epoch are restored at the end.
    """
    n_samples = X.shape[0]
    batches = _Batches(X, Y, sample_weight, resolve_batch_size(config.batch_size, n_samples))
    order = np.arange(n_samples) if config.shuffle else None
    if state.last_good_params is None:
        state.last_good_params = network.params.copy()
    epoch_start = np.empty_like(network.params)
    try:
        for _ in range(config.max_epochs):
            np.copyto(epoch_start, network.params)
            if config.shuffle:
                rng.shuffle(order)
            epoch_loss = _epoch(network, optimizer, batches, order, config, state)
            record_epoch(state, epoch_loss, n_samples, config.tol, count=validation is None)
            if config.verbose:
                print(f"Iteration {state.n_iter}, loss = {epoch_loss:.8f}")
            if validation is not None:
                record_validation(state, network, validation, config.tol, config.verbose)
            if (config.check_convergence
                    and state.no_improvement_count > config.n_iter_no_change
                    and on_plateau(state, config, validation is not None)):
                break
        else:
            if config.check_convergence:
                warnings.warn(
                    f"Stochastic Optimizer: Maximum iterations ({config.max_epochs}) "
                    "reached and the optimization hasn't converged yet.",
                    ConvergenceWarning,
                )
    except KeyboardInterrupt:
        np.copyto(network.params, epoch_start)
        warnings.warn("Training interrupted by user; the parameters of the "
                      f"last finished iteration ({state.n_iter}) were kept.")
    if validation is not None and state.best_params is not None:
        np.copyto(network.params, state.best_params)
