"""The stochastic training loop, as small named steps.

Everything here receives plain values (arrays, numbers, the network and its
optimiser); nothing reads an estimator's parameters.  The record of training
that outlives one call (loss curve, best loss, counters) is a
:class:`TrainingState` that the estimator keeps between ``fit`` /
``partial_fit`` calls.
"""

import warnings
from dataclasses import dataclass, field

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import gen_batches

__all__ = ["TrainingState", "resolve_batch_size", "train"]


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
        Epochs in a row whose loss did not beat ``best_loss - tol``.
    n_iter : int
        Epochs run in total (always ``len(loss_curve)``).
    t : int
        Training samples seen in total.
    last_good_params : ndarray or None
        The last parameter vector that gave a finite batch loss, restored when
        training diverges (also across ``partial_fit`` calls; not pickled).
    """

    loss_curve: list = field(default_factory=list)
    best_loss: float = np.inf
    no_improvement_count: int = 0
    n_iter: int = 0
    t: int = 0
    last_good_params: np.ndarray = None

    def __getstate__(self):
        return {**self.__dict__, "last_good_params": None}


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
    """Mini-batches of ``(X, Y, sample_weight)``, gathered into reused buffers."""

    def __init__(self, X, Y, sample_weight, batch_size):
        self.arrays = [a for a in (X, Y, sample_weight) if a is not None]
        self.has_weight = sample_weight is not None
        self.batch_size = batch_size
        self.buffers = None

    def _gather(self, index):
        if self.buffers is None:
            self.buffers = [np.empty((self.batch_size, *a.shape[1:]), a.dtype) for a in self.arrays]
        n = index.shape[0]
        return [np.take(a, index, axis=0, out=buf[:n]) for a, buf in zip(self.arrays, self.buffers)]

    def __call__(self, order):
        """Yield ``(X_batch, Y_batch, weight_batch)``; ``order=None`` keeps row order."""
        n_samples = self.arrays[0].shape[0]
        for batch in gen_batches(n_samples, self.batch_size):
            if order is None:
                parts = [a[batch] for a in self.arrays]
            else:
                parts = self._gather(order[batch])
            yield parts[0], parts[1], (parts[2] if self.has_weight else None)


def run_epoch(network, optimizer, batches, order, loss, alpha, learning_rate, last_good):
    """One pass over the data; returns the sample-weighted mean batch objective.

    Before each update the parameters, which just gave a finite objective, are
    copied into ``last_good``.  As soon as a batch objective is not finite they
    are restored from it and ``FloatingPointError`` is raised: the network is
    left with the last parameters known to give a finite loss.
    """
    total, weight_total = 0.0, 0.0
    for X_batch, Y_batch, w_batch in batches(order):
        value = network.loss_gradient(X_batch, Y_batch, loss, alpha, w_batch)
        if not np.isfinite(value):
            np.copyto(network.params, last_good)
            raise FloatingPointError(value)
        np.copyto(last_good, network.params)
        weight = X_batch.shape[0] if w_batch is None else float(w_batch.sum())
        total += value * weight
        weight_total += weight
        optimizer.update(network.params, network.grad, learning_rate)
    return total / weight_total


def record_epoch(state, epoch_loss, n_samples, tol):
    """Append the epoch's loss and update scikit-learn's no-improvement counter."""
    state.loss_curve.append(epoch_loss)
    state.n_iter += 1
    state.t += n_samples
    if epoch_loss > state.best_loss - tol:
        state.no_improvement_count += 1
    else:
        state.no_improvement_count = 0
    state.best_loss = min(state.best_loss, epoch_loss)


def _diverged_error(epoch, value):
    return ValueError(
        f"The training loss became {value} at iteration {epoch}: training "
        "diverged and was stopped; the last parameters that gave a finite "
        "loss were kept. Try scaling the inputs (e.g. with "
        "StandardScaler) or lowering learning_rate_init."
    )


def train(network, optimizer, X, Y, sample_weight, state, *, loss, alpha,
          learning_rate, batch_size, shuffle, rng, max_epochs, tol,
          n_iter_no_change, verbose, check_convergence=True):
    """Run up to ``max_epochs`` epochs of mini-batch training in place.

    Stops early, as scikit-learn's MLP does, once the training loss failed to
    improve by ``tol`` for more than ``n_iter_no_change`` epochs in a row
    (only when ``check_convergence``; ``partial_fit`` runs exactly one epoch).
    A non-finite loss restores the last parameters that gave a finite batch
    loss and raises ``ValueError``; ``KeyboardInterrupt`` restores those of the
    last finished epoch and warns.
    """
    n_samples = X.shape[0]
    batches = _Batches(X, Y, sample_weight, resolve_batch_size(batch_size, n_samples))
    order = np.arange(n_samples) if shuffle else None
    if state.last_good_params is None:
        state.last_good_params = network.params.copy()
    epoch_start, last_good = np.empty_like(network.params), state.last_good_params
    for epoch in range(max_epochs):
        np.copyto(epoch_start, network.params)
        if shuffle:
            rng.shuffle(order)
        try:
            with np.errstate(over="ignore", invalid="ignore"):  # divergence is checked here
                epoch_loss = run_epoch(network, optimizer, batches, order, loss, alpha,
                                       learning_rate, last_good)
            if not np.isfinite(network.params).all():
                np.copyto(network.params, last_good)
                raise FloatingPointError("non-finite parameters")
        except FloatingPointError as exc:
            raise _diverged_error(state.n_iter + 1, exc.args[0]) from None
        except KeyboardInterrupt:
            np.copyto(network.params, epoch_start)
            warnings.warn("Training interrupted by user; the parameters of the "
                          f"last finished iteration ({state.n_iter}) were kept.")
            return
        record_epoch(state, epoch_loss, n_samples, tol)
        if verbose:
            print(f"Iteration {state.n_iter}, loss = {epoch_loss:.8f}")
        if check_convergence and state.no_improvement_count > n_iter_no_change:
            if verbose:
                print(f"Training loss did not improve more than tol={tol:f} for "
                      f"{n_iter_no_change} consecutive epochs. Stopping.")
            return
    if check_convergence:
        warnings.warn(
            f"Stochastic Optimizer: Maximum iterations ({max_epochs}) reached "
            "and the optimization hasn't converged yet.",
            ConvergenceWarning,
        )
