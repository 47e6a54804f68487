"""The record of training and the rules that read it.

:class:`TrainingState` is what outlives one ``fit``/``partial_fit`` call (loss
curves, counters, the best parameters); :class:`TrainingConfig` holds the plain
settings of one call; the functions here update the record after each epoch
and decide whether to stop, restore or change the learning rate.
"""

import copy
import math
from dataclasses import dataclass, field
from functools import partial
from numbers import Real

import numpy as np

from ..nn.schedules import schedule_unit

__all__ = ["Checkpoint", "TrainingConfig", "TrainingState", "Validation"]


class Checkpoint:
    """A copy of what training changes in ``network``: its parameter vector and,
    with batch norm, its running statistics (taken at construction).

    ``save()`` copies them again and ``restore()`` copies them back.  A
    checkpoint outlives a ``partial_fit`` call (it is not pickled).
    """

    def __init__(self, network):
        self.network = network
        arrays = [network.params, *network.running_state]
        self.pairs = [(array, array.copy()) for array in arrays]
        if len(self.pairs) == 1:  # a plain np.copyto: the loop calls it once per batch
            self.save = partial(np.copyto, self.pairs[0][1], self.pairs[0][0])

    def save(self):
        """Copy the network's current arrays into the checkpoint."""
        for array, saved in self.pairs:
            np.copyto(saved, array)

    def restore(self):
        """Copy the saved arrays back into the network."""
        for array, saved in self.pairs:
            np.copyto(array, saved)

    def copy_for(self, network):
        """A checkpoint of ``network`` (of the same layout) holding this one's saved arrays."""
        twin = Checkpoint(network)
        for (_, saved), (_, own) in zip(twin.pairs, self.pairs):
            np.copyto(saved, own)
        return twin


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
        Epochs in a row without an improvement of ``tol`` of the monitored
        quantity (training loss, or validation score or loss).
    n_iter : int
        Epochs run in total (always ``len(loss_curve)``).
    fit_start : int
        ``n_iter`` when the last ``fit`` call began (``partial_fit`` calls go on
        counting from there): the estimators' ``n_iter_`` is ``n_iter -
        fit_start``, scikit-learn's count of the last ``fit``.
    t : int
        Training samples seen in total.
    learning_rate_scale : float
        Factor applied to the schedule's rate; a metric-driven schedule's
        ``on_plateau`` (e.g. ``'adaptive'``) divides it on each plateau.
    validation_scores, validation_loss_curve : list of float
        Validation score and loss of each epoch run with a validation set.
    best_validation_score : float
        Highest validation score so far.
    best_monitored : float
        Best value of the monitored quantity, as "higher is better".
    best : Checkpoint or None
        Parameters and batch-norm running statistics at the end of the best
        epoch of this call (kept only when they may be restored; not pickled).
    fit_times : list of float
        Wall-clock seconds of each epoch.
    restored_epoch : int or None
        The 1-based epoch (position in ``loss_curve``) whose parameters the
        network holds because they were restored at the end of the last call;
        ``None`` when nothing was restored or training went on since.
    last_good : Checkpoint or None
        The last parameters (and batch-norm running statistics) that gave a
        finite batch loss, restored when training diverges (kept across
        ``partial_fit`` calls; not pickled).
    """

    loss_curve: list = field(default_factory=list)
    best_loss: float = np.inf
    no_improvement_count: int = 0
    n_iter: int = 0
    fit_start: int = 0
    t: int = 0
    learning_rate_scale: float = 1.0
    validation_scores: list = field(default_factory=list)
    validation_loss_curve: list = field(default_factory=list)
    best_validation_score: float = -np.inf
    best_monitored: float = -np.inf
    best: object = None
    fit_times: list = field(default_factory=list)
    restored_epoch: object = None
    last_good: object = None

    def __getstate__(self):
        return {**self.__dict__, "last_good": None, "best": None}

    def __setstate__(self, state):
        for old in ("last_good_params", "best_params"):  # attributes of older versions
            state.pop(old, None)
        state.setdefault("last_good", None)
        state.setdefault("best", None)
        state.setdefault("fit_start", 0)
        state.setdefault("restored_epoch", None)
        self.__dict__.update(state)

    def copy(self):
        """A copy that training may change without touching this record: its lists
        copied, its checkpoints dropped (as when pickled)."""
        twin = copy.copy(self)
        for name, value in vars(self).items():
            if isinstance(value, list):
                setattr(twin, name, list(value))
        twin.last_good = twin.best = None
        return twin

    def start_call(self):
        """Reset what is measured per ``fit`` call (the best epoch and the counter)."""
        self.fit_start = self.n_iter
        self.no_improvement_count = 0
        self.restored_epoch = None
        self.best_monitored = -np.inf
        self.best_validation_score = -np.inf
        self.best = None


@dataclass(frozen=True)
class TrainingConfig:
    """Plain settings of one training call (see the estimators' parameters), built once,
    complete, before training starts; frozen (assigning a field raises
    ``dataclasses.FrozenInstanceError``), so nothing changes it afterwards.

    For L-BFGS (:func:`~skfcnn.training.lbfgs.train_lbfgs`) ``schedule`` is
    ``None`` (there is no learning rate: ``history``'s ``learning_rate`` is
    ``None``), ``max_epochs`` bounds the iterations, ``max_fun`` the objective
    evaluations, and ``batch_size``, ``shuffle``, ``restore_best`` and
    ``forward_kwargs`` are unused.
    """

    loss: object  # a key of LOSSES or a loss object
    alpha: float
    schedule: object  # callable: step -> learning rate, with a `unit`; maybe `on_plateau`
    batch_size: object
    shuffle: bool
    max_epochs: int
    tol: float
    n_iter_no_change: float
    verbose: int
    check_convergence: bool = True
    monitor: str = "score"
    restore_best: bool = False
    callbacks: tuple = ()
    forward_kwargs: dict = field(default_factory=dict)
    first_epoch: int = 0  # epochs of the call already run (by a resumed checkpoint)
    max_fun: object = None  # L-BFGS only: at most this many objective evaluations


@dataclass
class Validation:
    """A held-out set with ``score`` and ``loss`` callables ``(network, X, Y, w) -> float``."""

    X: object
    y: object
    sample_weight: object
    score: object
    loss: object


def learning_rate(state, config):
    """The rate of the next epoch: the schedule at the epoch count or samples seen.

    A schedule must give a finite real >= 0 (``ValueError`` naming it otherwise).
    """
    step = state.t if schedule_unit(config.schedule) == "sample" else state.n_iter
    rate = config.schedule(step)
    # type(...) is float first: an isinstance check against the Real ABC costs a
    # microsecond, several per cent of a tiny network's epoch
    is_real = type(rate) is float or (isinstance(rate, Real) and not isinstance(rate, bool))
    if not (is_real and math.isfinite(rate) and rate >= 0):
        raise ValueError(f"learning_rate={config.schedule!r} gave the rate {rate!r} at step "
                         f"{step}; a schedule must give a finite real >= 0.")
    return rate * state.learning_rate_scale


def record_epoch(state, epoch_loss, n_samples, seconds):
    """Append the epoch's training loss and duration."""
    state.loss_curve.append(epoch_loss)
    state.fit_times.append(seconds)
    state.n_iter += 1
    state.t += n_samples
    state.best_loss = min(state.best_loss, epoch_loss)


def monitored_value(state, config, validation):
    """The quantity early stopping watches, as "higher is better"."""
    if validation is None:
        return -state.loss_curve[-1]
    if config.monitor == "loss":
        return -state.validation_loss_curve[-1]
    return state.validation_scores[-1]


def history(state, config):
    """What a callback sees after each epoch, or L-BFGS iteration (a fresh dict; lists
    are copies; ``learning_rate`` is ``None`` for L-BFGS, which has none)."""
    return {
        "epoch": state.n_iter,
        "loss": state.loss_curve[-1],
        "loss_curve": list(state.loss_curve),
        "validation_score": state.validation_scores[-1] if state.validation_scores else None,
        "validation_loss": (state.validation_loss_curve[-1]
                            if state.validation_loss_curve else None),
        "learning_rate": None if config.schedule is None else learning_rate(state, config),
        "fit_time": state.fit_times[-1],
    }
