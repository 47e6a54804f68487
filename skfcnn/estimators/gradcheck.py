"""``check_gradients``: an estimator's back-propagation against central differences."""

from __future__ import annotations

import copy
import math
import warnings
from numbers import Real
from typing import NamedTuple

import numpy as np
from sklearn.base import clone
from sklearn.utils import check_random_state

from ..nn.gradcheck import compare_gradients, numerical_gradient
from ..nn.losses import get_loss, loss_rule
from ._types import ArrayLike, RandomStateParam
from .base import BaseFCNN

__all__ = ["GradientCheckResult", "check_gradients"]


class GradientCheckResult(NamedTuple):
    r"""Outcome of :func:`check_gradients`, a named tuple.

    With :math:`g_j` the back-propagated and :math:`\hat g_j` the central-difference
    derivative of parameter :math:`j`:

    Attributes
    ----------
    max_abs_error : float
        :math:`\max_j \lvert g_j - \hat g_j \rvert` over the parameters.
    max_rel_error : float
        :math:`\max_j \lvert g_j - \hat g_j \rvert / \max(\lvert \hat g_j
        \rvert, 10^{-8})`.
    worst_parameter : int
        Index, in the flat parameter vector, of the largest absolute difference.
    n_parameters : int
        Number of parameters checked (the length of the flat vector).
    """

    max_abs_error: float
    max_rel_error: float
    worst_parameter: int
    n_parameters: int


def _float64_copy(network):
    """A deep copy of ``network`` whose arrays (parameters, running statistics) are float64."""
    state = copy.deepcopy(network.__getstate__())
    for name, value in state.items():
        if isinstance(value, np.ndarray) and value.dtype.kind == "f":
            state[name] = value.astype(np.float64)
        elif isinstance(value, list) and value and all(isinstance(v, np.ndarray) for v in value):
            state[name] = [v.astype(np.float64) for v in value]
    state["dtype"] = np.dtype(np.float64)
    double = type(network).__new__(type(network))
    double.__setstate__(state)
    return double


def _check_arguments(estimator, eps, rtol, atol):
    """``TypeError``/``ValueError`` naming a bad argument of :func:`check_gradients`."""
    from .base import BaseFCNN

    if not isinstance(estimator, BaseFCNN):
        raise TypeError(f"check_gradients checks an FCNNClassifier or FCNNRegressor; got "
                        f"estimator={estimator!r}.")
    for name, value, positive in (("eps", eps, True), ("rtol", rtol, False),
                                  ("atol", atol, False)):
        if isinstance(value, bool) or not (isinstance(value, Real) and math.isfinite(value)
                                           and (value > 0 if positive else value >= 0)):
            allowed = "a finite real > 0" if positive else "a finite real >= 0"
            raise ValueError(f"{name} must be {allowed}; got {name}={value!r}.")


def _fitted(estimator, X, y, sample_weight):
    """The estimator itself when fitted, else a clone fitted for one epoch."""
    if hasattr(estimator, "_network"):
        return estimator
    est = clone(estimator).set_params(max_iter=1, warm_start=False, early_stopping=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return est.fit(X, y, sample_weight=sample_weight)


def check_gradients(estimator: BaseFCNN, X: ArrayLike, y: ArrayLike,
                    sample_weight: ArrayLike | None = None, *, eps: float = 1e-6,
                    rtol: float = 1e-5, atol: float = 1e-7,
                    random_state: RandomStateParam = 0) -> GradientCheckResult:
    r"""Check an estimator's back-propagation against central differences.

    For the estimator's exact configuration (layer sizes, activations, output
    and loss, ``alpha``, dropout with one fixed mask, batch normalisation on
    the batch statistics, sample and class weights as given) the objective
    :math:`J(\theta)` of the batch ``(X, y)`` is differentiated both ways,

    .. math:: \frac{\partial J}{\partial \theta_j} \approx
              \frac{J(\theta + h e_j) - J(\theta - h e_j)}{2h},

    in float64 whatever the model's dtype.  Every parameter is perturbed, so
    use a small ``X`` (a few dozen rows) and a small network.  The adaptive
    threshold of ``loss='huber'`` (``huber_delta=None``) is held at its value
    at :math:`\theta`, as the back-propagated gradient holds it.

    Parameters
    ----------
    estimator : FCNNClassifier or FCNNRegressor
        Fitted or not; an unfitted one is cloned and fitted for one epoch to
        build its network.  It is never modified.
    X : array-like of shape (n_samples, n_features)
        The batch.
    y : array-like of shape (n_samples,) or (n_samples, n_outputs)
        Its targets.
    sample_weight : array-like of shape (n_samples,), default=None
        Weights of the samples in the loss.
    eps : float, default=1e-6
        The finite-difference step :math:`h`.
    rtol, atol : float
        A parameter fails when ``|g - g_num| > atol + rtol * |g_num|``.
    random_state : int, RandomState instance or None, default=0
        Draws the dropout mask.

    Returns
    -------
    GradientCheckResult
        The worst absolute and relative errors and where they are.

    Raises
    ------
    skfcnn.nn.GradientCheckError
        When a parameter fails, naming it and both values.
    """
    _check_arguments(estimator, eps, rtol, atol)
    problem = _fitted(estimator, X, y, sample_weight)._training_problem(X, y, sample_weight)
    network = _float64_copy(problem.network)
    X, Y = problem.X.astype(np.float64), problem.Y.astype(np.float64)
    sample_weight = problem.sample_weight
    if sample_weight is not None:
        sample_weight = np.asarray(sample_weight, dtype=np.float64)
    kwargs = {}
    if problem.training_mode:
        network.forward(X, training=True, rng=check_random_state(random_state))
        kwargs = {"training": True, "fixed_masks": True, "update_stats": False}

    loss = get_loss(problem.loss)
    # the adaptive Huber threshold held at this point's (any other loss: itself)
    loss = loss_rule(loss, "frozen")(network.member_rows(Y),
                                     network.forward(X, **kwargs)[-1].copy(),
                                     network.member_rows(sample_weight))

    def objective(params):
        return network.loss_gradient(X, Y, loss, problem.alpha, sample_weight, **kwargs)

    objective(network.params)
    analytic = network.grad.copy()
    numeric = numerical_gradient(objective, network.params, eps)
    compare_gradients(analytic, numeric, rtol=rtol, atol=atol)
    error = np.abs(analytic - numeric)
    relative = error / np.maximum(np.abs(numeric), 1e-8)
    worst = int(np.argmax(error))
    return GradientCheckResult(float(error[worst]), float(relative.max()), worst, error.size)
