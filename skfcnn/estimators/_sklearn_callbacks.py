"""scikit-learn's own callback API (:mod:`sklearn.callback`, scikit-learn 1.9 and later).

An estimator with callbacks set by ``set_callbacks(ProgressBar(), ...)`` runs
its ``fit`` as the root task and each epoch (each iteration for L-BFGS) as
one subtask, as scikit-learn's ``LogisticRegression`` does; a callback that
asks to stop at the end of a subtask stops training after that epoch.  The
bridge is one of the training loop's own hooks
(:class:`~skfcnn.training.callbacks.Callback`), so the loop itself knows
nothing of scikit-learn.
"""

from ..training.callbacks import Callback

__all__ = ["SklearnCallbacks"]


class SklearnCallbacks(Callback):
    """The epochs of one training call as subtasks of ``context``.

    Parameters
    ----------
    estimator : FCNNClassifier or FCNNRegressor
        The estimator being fitted (what the callbacks receive).
    context : sklearn.callback.CallbackContext
        The root context of the fit.
    X, y : array-like
        The training data and targets (as validated, not encoded).
    metadata : dict or None
        ``{"sample_weight": ...}`` when there are sample weights.
    model_attributes : callable
        ``model_attributes(network) -> dict``: the fitted attributes of a model
        that predicts with ``network``, for the callbacks' ``fitted_estimator``
        (given a copy of the training network, so that a kept snapshot never
        changes afterwards).
    task_name : str, default="epoch"
        The name of each subtask (``"iteration"`` for L-BFGS).
    """

    def __init__(self, estimator, context, X, y, metadata, model_attributes,
                 task_name="epoch"):
        self.estimator, self.context, self.task_name = estimator, context, task_name
        self.data = {"X": X, "y": y, "metadata": metadata}
        self.model_attributes = model_attributes
        self.task = None

    def _attributes(self, run):
        # A copy: a callback may keep the snapshot while training goes on in place.
        # The lambda runs only when a callback asks for ``fitted_estimator``, so a
        # fit whose callbacks keep nothing copies nothing.
        return lambda: self.model_attributes(run.network.copy())

    def on_epoch_begin(self, run):
        self.task = self.context.subcontext(task_name=self.task_name)
        self.task.call_on_fit_task_begin(estimator=self.estimator, **self.data,
                                         reconstruction_attributes=self._attributes(run))

    def on_epoch_end(self, run):
        task, self.task = self.task, None
        return task.call_on_fit_task_end(estimator=self.estimator, **self.data,
                                         reconstruction_attributes=self._attributes(run))

    def on_fit_end(self, run):
        if self.task is not None:  # begun, never ended (interrupted, or L-BFGS's last)
            self.task.call_on_fit_task_end(estimator=self.estimator)
            self.task = None
