"""``FCNNRegressor``: the loss choice and continuous outputs.

The shared parameters and fitting steps are in :mod:`skfcnn.estimators.base`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal, overload

import numpy as np
from sklearn.base import RegressorMixin
from sklearn.metrics import r2_score
from sklearn.utils.validation import column_or_1d

from ..nn.losses import Loss, get_loss, loss_rule
from ._compat import _fit_context, available_if
from ._types import (
    ActivationParam,
    ArrayLike,
    BatchSizeParam,
    CallbackParam,
    DropoutParam,
    FloatArray,
    HiddenLayerSizes,
    InitParam,
    InputStepsParam,
    LossParam,
    MonitorParam,
    RandomStateParam,
    RestoreParam,
    ScheduleParam,
    Self,
    SolverParam,
)
from .base import BaseFCNN, _check_stochastic, _store_params
from .docstrings import REGRESSOR_DOC, substitute
from .fitting import transaction
from .params import LOSS_OBJECT, REGRESSOR_LOSS_CONSTRAINTS, loss_names, make_loss
from .uncertainty import mc_dropout_predict

__all__ = ["FCNNRegressor"]


class FCNNRegressor(RegressorMixin, BaseFCNN):
    __doc__ = REGRESSOR_DOC

    _parameter_constraints: dict = {
        **BaseFCNN._parameter_constraints,
        "loss": [loss_names(classifier=False), LOSS_OBJECT],
        **REGRESSOR_LOSS_CONSTRAINTS,
    }

    def __init__(
        self,
        loss: LossParam = "squared_error",
        hidden_layer_sizes: HiddenLayerSizes = (100,),
        activation: ActivationParam = "relu",
        *,
        solver: SolverParam = "adam",
        alpha: float = 0.0001,
        batch_size: BatchSizeParam = "auto",
        learning_rate: ScheduleParam = "constant",
        learning_rate_init: float = 0.001,
        power_t: float = 0.5,
        max_iter: int = 200,
        shuffle: bool = True,
        random_state: RandomStateParam = None,
        tol: float = 1e-4,
        verbose: int = False,
        warm_start: bool = False,
        momentum: float = 0.9,
        nesterovs_momentum: bool = True,
        early_stopping: bool = False,
        validation_fraction: float = 0.1,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
        epsilon: float = 1e-8,
        n_iter_no_change: float = 10,
        max_fun: int = 15000,
        dropout: DropoutParam = 0.0,
        batch_norm: bool = False,
        init: InitParam = "glorot_uniform",
        init_scale: float | None = None,
        weight_decay: float | None = None,
        warmup_epochs: int = 0,
        monitor: MonitorParam = "auto",
        restore_best_weights: RestoreParam = "auto",
        max_grad_norm: float | None = None,
        callbacks: CallbackParam = None,
        huber_delta: float | None = None,
        quantile: float | Sequence[float] = 0.5,
        input_steps: InputStepsParam = None,
    ) -> None:
        _store_params(self, locals())

    def __setstate__(self, state):
        super().__setstate__(state)
        for name, default in (("huber_delta", None), ("quantile", 0.5)):  # saved before
            vars(self).setdefault(name, default)  # these parameters existed

    def _validate_targets(self, X, y, sample_weight, reset, validation=False):
        X, y, sample_weight = self._validate_X_y(
            X, y, sample_weight, reset, input_name="X_val" if validation is True else "X")
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        if not validation:  # the output is the loss's canonical one
            self._loss_name = make_loss(self)  # a name, or the configured loss object
            self.out_activation_ = loss_rule(self._loss_name, "output_activation")
        loss = self._loss
        name = validation if isinstance(validation, str) else "y_val" if validation else "y"
        loss_rule(loss, "check_targets")(y, name=name)  # the loss's rule (Poisson: y >= 0)
        Y = y.reshape(-1, 1) if y.ndim == 1 else y
        return X, loss_rule(loss, "targets")(Y), sample_weight  # several quantiles: repeated

    def _forward(self, X, raw_output=False, n_layers=None):
        """The network's output, post-processed by the loss's ``postprocess`` (several
        quantiles: each row sorted, the monotone rearrangement that keeps them from
        crossing)."""
        out = super()._forward(X, raw_output, n_layers)
        if n_layers is None:
            out = loss_rule(self._loss, "postprocess")(out)
        return out

    def _encode(self, Y):
        return Y

    def _validation_score(self, network, X, Y, sample_weight):
        """R² of the held-out set; ``-inf`` when predictions are not finite."""
        out = network.predict(X)
        if not np.isfinite(out).all():
            return -np.inf
        return float(r2_score(Y, out, sample_weight=sample_weight))

    @transaction
    @_fit_context(prefer_skip_nested_validation=True)
    @substitute
    def fit(self, X: ArrayLike, y: ArrayLike, sample_weight: ArrayLike | None = None, *,
            X_val: ArrayLike | None = None, y_val: ArrayLike | None = None,
            sample_weight_val: ArrayLike | None = None) -> Self:
        """Fit the model to data ``X`` and targets ``y``.

        Parameters
        ----------
        %(X_fit)s
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Target values (non-negative for ``loss='poisson'``).
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weight of each sample in the loss.
        %(validation_set)s

        Returns
        -------
        self : FCNNRegressor
            The fitted estimator.
        """
        warm = self.warm_start and hasattr(self, "_network")
        X, Y, sample_weight = self._validate_targets(X, y, sample_weight, reset=not warm)
        validation_set = self._validate_validation_set(X, X_val, y_val, sample_weight_val,
                                                       n_outputs=Y.shape[1])
        return self._fit(X, Y, sample_weight, incremental=False, validation_set=validation_set,
                         y=y)

    @available_if(_check_stochastic)
    @transaction
    @_fit_context(prefer_skip_nested_validation=True)
    @substitute
    def partial_fit(self, X: ArrayLike, y: ArrayLike,
                    sample_weight: ArrayLike | None = None) -> Self:
        """Run exactly one epoch of training over ``X``, ``y``.

        Parameters
        ----------
        %(X_fit)s
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Target values.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weight of each sample in the loss.

        Returns
        -------
        self : FCNNRegressor
            The updated estimator.
        """
        first = not hasattr(self, "_network")
        X, Y, sample_weight = self._validate_targets(X, y, sample_weight, reset=first)
        return self._fit(X, Y, sample_weight, incremental=True, y=y)

    @overload
    def predict(self, X: ArrayLike, return_std: Literal[False] = ...,
                n_passes: int = ...) -> FloatArray: ...

    @overload
    def predict(self, X: ArrayLike, return_std: Literal[True],
                n_passes: int = ...) -> tuple[FloatArray, FloatArray]: ...

    @substitute
    def predict(self, X: ArrayLike, return_std: bool = False,
                n_passes: int = 100) -> FloatArray | tuple[FloatArray, FloatArray]:
        r"""Predicted target of each sample, and with ``return_std`` its uncertainty.

        Parameters
        ----------
        %(X_predict)s
        return_std : bool, default=False
            Also return the standard deviation of the prediction by Monte Carlo
            dropout (scikit-learn's ``return_std`` convention, as in
            :class:`~sklearn.gaussian_process.GaussianProcessRegressor`): the
            mean and standard deviation of ``n_passes`` forward passes with
            dropout on (new masks each pass; batch normalisation on its running
            statistics), reproducible under ``random_state``
            (:mod:`skfcnn.nn.mc_dropout`): an int gives the same masks at every
            call (for the same ``X``: each row's masks depend on its position);
            ``None`` or a ``RandomState`` draws a new seed from it (which
            advances it, as a fit does).  Needs ``dropout > 0``
            (``ValueError`` otherwise); costs about 2 to 3 times ``n_passes``
            predictions.
        n_passes : int, default=100
            Stochastic passes for ``return_std=True`` (at least 2).

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            One column is returned as a 1-D array, as scikit-learn's MLP does.
            With ``return_std``, the mean over the passes (close to, not equal
            to, the deterministic prediction).
        y_std : ndarray of the same shape
            Only with ``return_std=True``: the standard deviation over the passes.
        """
        if return_std:
            mean, std = mc_dropout_predict(self, X, n_passes)
            return (mean.ravel(), std.ravel()) if mean.shape[1] == 1 else (mean, std)
        out = self._forward(X)
        return out.ravel() if out.shape[1] == 1 else out

    def score(self, X: ArrayLike, y: ArrayLike, sample_weight: ArrayLike | None = None) -> float:
        """:math:`R^2` of the predictions, as scikit-learn's regressors score.

        With several quantiles (``loss='quantile'`` and a list), ``predict``
        gives one column per quantile for the one target column: the score is
        then the mean :math:`R^2` of the columns against ``y``, the score early
        stopping watches.  The pinball loss measures quantiles better
        (:func:`~sklearn.metrics.mean_pinball_loss`,
        :func:`~sklearn.metrics.d2_pinball_score`, per column).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Test samples.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            True targets.
        sample_weight : array-like of shape (n_samples,), default=None
            Sample weights.

        Returns
        -------
        score : float
            :math:`R^2` of ``self.predict(X)`` against ``y``.
        """
        loss = self._loss if hasattr(self, "_network") else None
        if loss is None or loss_rule(loss, "multi_output"):
            return super().score(X, y, sample_weight)
        Y = loss_rule(loss, "targets")(np.asarray(y, dtype=np.float64).reshape(len(y), -1))
        return float(r2_score(Y, self.predict(X), sample_weight=sample_weight))

    def __sklearn_tags__(self):
        """The loss's tags: ``multi_output`` (not for several quantiles, several outputs
        of one target column) and ``positive_only`` (Poisson), from the loss's rules."""
        tags = super().__sklearn_tags__()
        try:
            loss = get_loss(make_loss(self))
        except (KeyError, TypeError, ValueError):  # invalid parameters: fit will say so;
            loss = Loss()  # the tags are the protocol's defaults
        tags.target_tags.multi_output = bool(loss_rule(loss, "multi_output"))
        tags.target_tags.positive_only = bool(loss_rule(loss, "positive_only"))
        return tags
