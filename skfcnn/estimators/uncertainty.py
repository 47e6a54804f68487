"""Predictive uncertainty by Monte Carlo dropout, for ``FCNNRegressor.predict(X,
return_std=True)``; the maths is in :mod:`skfcnn.nn.mc_dropout`."""

import numpy as np
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted

from ..nn.losses import loss_rule
from ..nn.mc_dropout import dropout_mean_std

__all__ = ["mc_dropout_predict"]


def mc_dropout_predict(estimator, X, n_passes):
    """``(mean, std)`` of shape ``(n_samples, n_outputs)`` over ``n_passes`` passes.

    The masks come from a generator seeded by ``estimator.random_state`` (an int
    gives the same masks, hence the same numbers, at every call; ``None``
    others each time), so the prediction is reproducible as the fit is.  For
    each pass's outputs go through the loss's ``postprocess`` first, as ``predict``'s
    do (several quantiles: each row sorted).
    """
    check_is_fitted(estimator, "_network")
    network = estimator._network
    if not any(rate > 0 for rate in network.dropout_rates):
        raise ValueError(
            f"return_std=True estimates the uncertainty by Monte Carlo dropout, which "
            f"needs dropout > 0; this model was fitted with dropout={network.dropout!r}. "
            "Refit with e.g. dropout=0.1, or use an ensemble (sklearn.ensemble."
            "BaggingRegressor) for an uncertainty without dropout.")
    seed = check_random_state(estimator.random_state).randint(np.iinfo(np.int32).max)
    X = estimator._validated_input(X).astype(network.dtype, copy=False)
    postprocess = loss_rule(estimator._loss_name, "postprocess")  # as predict's
    with np.errstate(over="ignore", invalid="ignore"):
        return dropout_mean_std(network, X, n_passes, np.random.default_rng(seed),
                                postprocess=postprocess)
