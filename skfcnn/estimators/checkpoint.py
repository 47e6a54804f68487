"""Checkpoints of a long ``fit``, and resuming it after the process was killed.

``callbacks=[Checkpoint("fit.ckpt", every=10)]`` saves, every 10 epochs of a
``fit`` with a stochastic solver, the model as it stands and everything its
training needs to go on: the optimiser's state, the record of training (the
epoch count, the early-stopping counters and best score, the schedule's
plateau scale), the best epoch's parameters when they may be restored, the
state of the random generators and the order of the rows they shuffle.
Running the same ``fit`` again, on the same data with the same parameters,
finds the unfinished checkpoint and goes on from it, so that a fit killed at
epoch 50 of 100 and resumed ends bit for bit where the uninterrupted fit
ends.  The end of a fit writes a last checkpoint, marked finished: it is not
resumed (``fit`` starts over, as it always does).

A checkpoint is written to a temporary file beside ``path``, flushed to disk
and renamed over ``path`` (:func:`os.replace`, atomic): a kill during the
write leaves the previous checkpoint whole.  It is a pickle of plain data
and the estimator, so loading it runs every check of a loaded state (a
damaged file is an error naming its field, never a model that predicts);
like any pickle, load only files you trust.  :func:`load_checkpoint` gives
the model of a checkpoint, which predicts.
"""

import copy
import os
import pickle
import zlib
from numbers import Integral
from pathlib import Path

import numpy as np
from scipy.sparse import issparse

from ..nn._state_checks import StateError
from ..training.callbacks import Callback
from ..training.state import Checkpoint as _Arrays

__all__ = ["Checkpoint", "load_checkpoint"]

#: The version of the checkpoint file's layout.
FORMAT = 1
#: Parameters that may differ between the interrupted and the resumed fit.
FREE_PARAMETERS = ("callbacks", "verbose")


class Checkpoint(Callback):
    """Save the model of a ``fit`` every ``every`` epochs, and resume an unfinished one.

    Pass it among the estimator's ``callbacks``; it acts in ``fit`` with a
    stochastic solver (``partial_fit`` calls, each one epoch, are left to
    pickle between calls).  See :ref:`checkpoints` in the user guide.

    Parameters
    ----------
    path : str or os.PathLike
        The checkpoint file; written atomically (a temporary file
        ``path + ".tmp"`` renamed over it).
    every : int, default=10
        Epochs of the fit between two checkpoints (and one at the end).
    resume : bool, default=True
        Whether ``fit`` goes on from an unfinished checkpoint at ``path`` (of
        the same estimator class, parameters and data; a different one is a
        ``ValueError``).  ``False``: start over and overwrite it.

    Examples
    --------
    >>> from sklearn.datasets import make_circles
    >>> from skfcnn import Checkpoint, FCNNClassifier, load_checkpoint
    >>> X, y = make_circles(n_samples=200, factor=0.3, noise=0.1, random_state=0)
    >>> clf = FCNNClassifier(hidden_layer_sizes=(8,), learning_rate_init=0.01,
    ...                      early_stopping=True, random_state=0,
    ...                      callbacks=[Checkpoint("circles.ckpt", every=10)])
    >>> clf = clf.fit(X, y)  # killed and run again, it would go on from the last checkpoint
    >>> load_checkpoint("circles.ckpt").n_iter_ == clf.n_iter_  # the finished fit's
    True
    """

    def __init__(self, path, every=10, resume=True):
        self.path, self.every, self.resume = path, every, resume

    def __repr__(self):
        return f"Checkpoint({os.fspath(self.path)!r}, every={self.every}, resume={self.resume})"

    def __eq__(self, other):
        return type(other) is type(self) and vars(other) == vars(self)

    def __hash__(self):
        return hash((type(self), os.fspath(self.path), self.every, self.resume))

    def _checked(self):
        if isinstance(self.every, bool) or not isinstance(self.every, Integral) \
                or self.every < 1:
            raise ValueError(f"Checkpoint's every must be an int >= 1; got every={self.every!r}.")
        return Path(os.fspath(self.path))


def load_checkpoint(path):
    """The model saved in the checkpoint file ``path``: a fitted estimator (the model
    at that epoch, not the restored best one before the fit's end)."""
    return _read(Path(os.fspath(path)))["model"]


def _read(path):
    try:
        with open(path, "rb") as file:
            content = pickle.load(file)
    except (pickle.UnpicklingError, EOFError, AttributeError, ImportError) as error:
        raise ValueError(f"{os.fspath(path)!r} is not a readable skfcnn checkpoint: "
                         f"{error}") from error
    if not isinstance(content, dict) or content.get("skfcnn_checkpoint") != FORMAT:
        raise ValueError(f"{os.fspath(path)!r} is not an skfcnn checkpoint of format "
                         f"{FORMAT}.")
    return content


def _write(path, content):
    """``content`` pickled to ``path`` atomically: a temporary file, flushed to disk,
    then renamed over ``path``."""
    temporary = path.with_name(path.name + ".tmp")
    with open(temporary, "wb") as file:
        _dump(content, file)
        file.flush()
        os.fsync(file.fileno())
    os.replace(temporary, path)


def _dump(content, file):  # apart: the tests kill a process in the middle of it
    pickle.dump(content, file, protocol=pickle.HIGHEST_PROTOCOL)


def fingerprint(*arrays):
    """Shapes, dtypes and CRC-32 of the training data (dense or sparse), to tell
    whether a checkpoint was written for these rows."""
    parts = []
    for array in arrays:
        if array is None:
            parts.append(None)
            continue
        pieces = (array.data, array.indices, array.indptr) if issparse(array) else (array,)
        crc = 0
        for piece in pieces:
            piece = piece if piece.flags.c_contiguous else np.ascontiguousarray(piece)
            crc = zlib.crc32(memoryview(piece).cast("B"), crc)
        parts.append((array.shape, str(array.dtype), crc))
    return tuple(parts)


# -- writing, during fit ---------------------------------------------------------------
def _compared(estimator):
    """The parameters a resumed fit must share with the interrupted one."""
    return {name: value for name, value in estimator.get_params(deep=False).items()
            if name not in FREE_PARAMETERS}


def _same(a, b):
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return np.array_equal(a, b)
    try:
        return bool(a == b)
    except (TypeError, ValueError):
        return False


class _Writer(Callback):
    """The hooks of one ``fit`` call for one :class:`Checkpoint`: a checkpoint at the
    start of every ``every``-th epoch after the first (when every hook of the epoch
    before has run) and one at the end of the call, unless it failed or was
    interrupted (the last periodic checkpoint is then the one to resume)."""

    def __init__(self, spec, path, estimator, fit, data):
        self.every, self.path, self.estimator, self.fit, self.data = (
            spec.every, path, estimator, fit, data)
        self.last = None

    def on_epoch_begin(self, run):
        done = run.state.n_iter - run.state.fit_start
        if done and done % self.every == 0 and done != self.last:
            self._save(run, done, finished=False)

    def on_fit_end(self, run):
        if run.error is None and not run.interrupted:
            self._save(run, run.state.n_iter - run.state.fit_start, finished=True)

    def _model(self, run):
        """A fitted estimator that predicts with (a copy of) the network as it is."""
        est, fit = self.estimator, self.fit
        model = copy.copy(est)
        model.callbacks = None  # the user's may not pickle (a lambda); none needed to predict
        vars(model).update(est._model_attributes(run.network.copy()))
        steps = run.optimizer_state
        model._optimizer = fit.optimizer
        model._optimizer_state = steps[-1] if isinstance(steps, tuple) else steps
        model._state, model._rng, model._mask_rng = run.state.copy(), run.rng, fit.mask_rng
        model._publish_state()
        return model

    def _save(self, run, done, finished):
        best = run.state.best
        resume = {"finished": finished, "parameters": _compared(self.estimator),
                  "data": self.data, "first_epoch": done,
                  "optimizer_state": run.optimizer_state,
                  "order": run.order,
                  "best": None if best is None else ([saved for _, saved in best.pairs],
                                                     best.epoch)}
        # pickled as one object: what is shared (the optimiser state) stays shared
        _write(self.path, {"skfcnn_checkpoint": FORMAT, "model": self._model(run),
                           "resume": resume})
        self.last = done


# -- resuming, at the start of fit -----------------------------------------------------
def check_solver(estimator):
    """``ValueError`` for a :class:`Checkpoint` with ``solver='lbfgs'``."""
    if any(isinstance(callback, Checkpoint) for callback in estimator.callbacks or ()):
        raise ValueError("callbacks holds a Checkpoint, which needs a stochastic solver "
                         f"(epochs to save between); got solver={estimator.solver!r}.")


def bind(estimator, callbacks, fit, arrays):
    """The callbacks of this ``fit`` call, each :class:`Checkpoint` replaced by its
    writer, and the unfinished checkpoint to resume (``None`` if none): both go into
    the call's training config when it is built (it is never changed after)."""
    specs = [callback for callback in callbacks if isinstance(callback, Checkpoint)]
    if not specs:
        return callbacks, None
    data, content, writers = fingerprint(*arrays), None, {}
    for spec in specs:
        path = spec._checked()
        if content is None and spec.resume and path.exists():
            content = _resumable(_read(path), path, estimator, data)
        writers[id(spec)] = _Writer(spec, path, estimator, fit, data)
    return tuple(writers.get(id(callback), callback) for callback in callbacks), content


def first_epoch(content, max_epochs):
    """The epoch of the call a resumed fit starts at: the checkpoint's (0 without one);
    :class:`~skfcnn.estimators._load_checks.StateError` unless 1 to ``max_epochs``."""
    if content is None:
        return 0
    first = content["resume"]["first_epoch"]
    if not (isinstance(first, Integral) and 0 < first <= max_epochs):
        raise StateError("resume.first_epoch", f"is {first!r}; expected 1 to "
                                               f"max_iter={max_epochs}")
    return int(first)


def _resumable(content, path, estimator, data):
    """``content`` when it is an unfinished fit of this estimator and data; ``None``
    when finished; ``ValueError`` naming what differs otherwise."""
    resume, model = content["resume"], content["model"]
    if resume["finished"]:
        return None
    advice = ("delete it, give the Checkpoint another path, or pass resume=False to start "
              "over")
    if type(model) is not type(estimator):
        raise ValueError(f"{os.fspath(path)!r} holds an unfinished fit of "
                         f"{type(model).__name__}, not {type(estimator).__name__}: {advice}.")
    theirs, ours = resume["parameters"], _compared(estimator)
    for name, value in ours.items():
        if name not in theirs or not _same(value, theirs[name]):
            raise ValueError(
                f"{os.fspath(path)!r} holds an unfinished fit with other parameters "
                f"({name}={theirs.get(name)!r} there, {value!r} here): {advice}.")
    if resume["data"] != data:
        raise ValueError(f"{os.fspath(path)!r} holds an unfinished fit of other data (X, y "
                         f"or sample_weight differ): {advice}.")
    return content


def _arrays(network):
    return [network.params, *network.running_state]


def _copy_arrays(targets, sources, field):
    if len(targets) != len(sources):
        raise StateError(field, f"holds {len(sources)} arrays; expected {len(targets)}")
    for i, (target, source) in enumerate(zip(targets, sources)):
        if not isinstance(source, np.ndarray) or source.shape != target.shape:
            raise StateError(f"{field}[{i}]", f"has shape {np.shape(source)}; expected "
                                              f"{target.shape}")
        np.copyto(target, source)


def apply_resume(content, fit, config, n_rows):
    """Put the checkpoint's training state into this call's ``fit`` (``config``, built
    with the checkpoint's ``first_epoch``, is only read); return the optimiser state
    (with the gradient transforms' states) and the row order to train on with."""
    model, resume = content["model"], content["resume"]
    _copy_arrays(_arrays(fit.network), _arrays(model._network), "model._network")
    order = resume["order"]
    if config.shuffle and not (isinstance(order, np.ndarray) and
                               np.array_equal(np.sort(order), np.arange(n_rows))):
        raise StateError("resume.order", f"is not an order of the {n_rows} training rows")
    state = model._state
    if resume["best"] is not None:
        arrays, state.best = resume["best"][0], _Arrays(fit.network)
        _copy_arrays([saved for _, saved in state.best.pairs], arrays, "resume.best")
        state.best.epoch = resume["best"][1]
    fit.state = state
    fit.rng.set_state(model._rng.get_state())
    if fit.mask_rng is not None:
        fit.mask_rng.bit_generator.state = model._mask_rng.bit_generator.state
    steps = resume["optimizer_state"]
    fit.optimizer_state = steps[-1] if isinstance(steps, tuple) else steps
    return steps, order if config.shuffle else None
