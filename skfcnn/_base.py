"""What ``FCNNClassifier`` and ``FCNNRegressor`` share: parameters, the fit steps.

Parameters are stored verbatim in ``__init__`` and validated in ``fit``
through ``_parameter_constraints``; the maths is delegated to
:mod:`skfcnn.nn`, the epoch loop to :mod:`skfcnn._training` and full-batch
L-BFGS to :mod:`skfcnn._lbfgs`.
"""

import warnings
from numbers import Integral, Real

import numpy as np
from scipy.sparse import issparse
from sklearn.base import BaseEstimator, is_classifier
from sklearn.model_selection import train_test_split
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, Options, StrOptions
from sklearn.utils.validation import _check_sample_weight, check_is_fitted, validate_data

from ._lbfgs import train_lbfgs
from ._training import TrainingConfig, TrainingState, Validation, train
from .nn.activations import HIDDEN_ACTIVATIONS
from .nn.network import Network
from .nn.optimizers import SGD, Adam
from .nn.schedules import SCHEDULES

FLOAT_DTYPES = (np.float64, np.float32)
SPARSE_FORMATS = ["csr", "csc"]


def _hidden_layer_sizes(value):
    sizes = [value] if isinstance(value, Integral) else list(value)
    if any(not isinstance(n, Integral) or n <= 0 for n in sizes):
        raise ValueError(
            f"The 'hidden_layer_sizes' parameter must be a positive int or a "
            f"sequence of positive ints; got {value!r}."
        )
    return [int(n) for n in sizes]


#: Features larger than this in magnitude are almost surely unscaled.
UNSCALED_MAGNITUDE = 1e8


def _warn_if_unscaled(X):
    """Warn when features are so large that activations and gradients blow up."""
    values = X.data if issparse(X) else X
    largest = float(np.max(np.abs(values))) if values.size else 0.0
    if largest > UNSCALED_MAGNITUDE:
        warnings.warn(
            f"X has features of magnitude up to {largest:.3g}: the network's activations "
            "and gradients will overflow or saturate and training will give poor or "
            "non-finite results. Scale the features (e.g. StandardScaler in a Pipeline).",
            UserWarning,
        )


def _is_stochastic(estimator):
    return estimator.solver != "lbfgs"


class BaseFCNN(BaseEstimator):
    """Everything the classifier and the regressor share."""

    _parameter_constraints: dict = {
        "hidden_layer_sizes": ["array-like", Interval(Integral, 1, None, closed="left")],
        "activation": [StrOptions(set(HIDDEN_ACTIVATIONS))],
        "solver": [StrOptions({"lbfgs", "sgd", "adam"})],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "batch_size": [StrOptions({"auto"}), Interval(Integral, 1, None, closed="left")],
        "learning_rate": [StrOptions({"constant", "invscaling", "adaptive"})],
        "learning_rate_init": [Interval(Real, 0, None, closed="neither")],
        "power_t": [Interval(Real, 0, None, closed="left")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "shuffle": ["boolean"],
        "random_state": ["random_state"],
        "tol": [Interval(Real, 0, None, closed="left")],
        "verbose": ["verbose"],
        "warm_start": ["boolean"],
        "momentum": [Interval(Real, 0, 1, closed="both")],
        "nesterovs_momentum": ["boolean"],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="left")],
        "beta_1": [Interval(Real, 0, 1, closed="left")],
        "beta_2": [Interval(Real, 0, 1, closed="left")],
        "epsilon": [Interval(Real, 0, None, closed="neither")],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left"), Options(Real, {np.inf})],
        "max_fun": [Interval(Integral, 1, None, closed="left")],
    }

    def __init__(self, hidden_layer_sizes=(100,), activation="relu", *, solver="adam",
                 alpha=0.0001, batch_size="auto", learning_rate="constant",
                 learning_rate_init=0.001, power_t=0.5, max_iter=200, shuffle=True,
                 random_state=None, tol=1e-4, verbose=False, warm_start=False, momentum=0.9,
                 nesterovs_momentum=True, early_stopping=False, validation_fraction=0.1,
                 beta_1=0.9, beta_2=0.999, epsilon=1e-8, n_iter_no_change=10, max_fun=15000):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.solver = solver
        self.alpha = alpha
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.learning_rate_init = learning_rate_init
        self.power_t = power_t
        self.max_iter = max_iter
        self.shuffle = shuffle
        self.random_state = random_state
        self.tol = tol
        self.verbose = verbose
        self.warm_start = warm_start
        self.momentum = momentum
        self.nesterovs_momentum = nesterovs_momentum
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.n_iter_no_change = n_iter_no_change
        self.max_fun = max_fun

    # -- persistence: coefs_/intercepts_ are views into the network's flat vector
    def __setstate__(self, state):
        super().__setstate__(state)
        if "_network" in self.__dict__:
            self._expose_network()

    def _expose_network(self):
        self.coefs_ = self._network.coefs
        self.intercepts_ = self._network.intercepts

    # -- input validation ----------------------------------------------------------------
    def _validate_X_y(self, X, y, sample_weight, reset):
        X, y = validate_data(self, X, y, accept_sparse=SPARSE_FORMATS, dtype=FLOAT_DTYPES,
                             multi_output=True, y_numeric=not is_classifier(self),
                             reset=reset)
        if issparse(X):
            X = X.tocsr()
        _warn_if_unscaled(X)
        if sample_weight is not None:
            sample_weight = _check_sample_weight(sample_weight, X, dtype=X.dtype,
                                                 ensure_non_negative=True)
            if not sample_weight.sum() > 0:
                raise ValueError("sample_weight must have a positive sum; got all zeros.")
        return X, y, sample_weight

    # -- the fitting steps ---------------------------------------------------------------
    def _current_optimizer(self):
        """The optimiser for this call: the kept one (state and all) when it is of
        the same kind, with its hyper-parameters refreshed from ``get_params``."""
        if self.solver == "sgd":
            fresh = SGD(momentum=self.momentum, nesterov=self.nesterovs_momentum)
        else:
            fresh = Adam(beta_1=self.beta_1, beta_2=self.beta_2, epsilon=self.epsilon)
        if type(self._optimizer) is type(fresh):
            vars(self._optimizer).update(vars(fresh))  # a fresh one holds only hyper-parameters
            return self._optimizer
        return fresh.init(self._network.params)

    def _layer_sizes(self, X, Y):
        return (X.shape[1], *_hidden_layer_sizes(self.hidden_layer_sizes), Y.shape[1])

    def _initialize(self, X, Y, rng):
        """Build a fresh network, optimiser and training record."""
        sizes = self._layer_sizes(X, Y)
        self._network = Network(sizes, self.activation, self.out_activation_, X.dtype)
        self._network.initialize(rng)
        self._optimizer = None
        self._state = TrainingState()
        self.n_outputs_ = Y.shape[1]
        self.n_layers_ = len(sizes)
        self._expose_network()

    def _check_warm_network(self, X, Y):
        sizes = self._layer_sizes(X, Y)
        if sizes != self._network.layer_sizes:
            raise ValueError(
                f"warm_start=True needs the same layer sizes as the fitted model: "
                f"it has {self._network.layer_sizes}, the data and "
                f"hidden_layer_sizes give {sizes}. Set warm_start=False to refit."
            )
        if self.out_activation_ != self._network.output_activation:
            raise ValueError(
                f"warm_start=True needs the same output as the fitted model: it has "
                f"{self._network.output_activation!r}, the parameters now give "
                f"{self.out_activation_!r}. Set warm_start=False to refit."
            )

    def _fit(self, X, Y, sample_weight, incremental):
        """Initialise when needed, then train for one epoch or up to ``max_iter``."""
        if incremental and self.early_stopping:
            raise ValueError("partial_fit does not support early_stopping=True; "
                             "pass early_stopping=False or use fit.")
        if not hasattr(self, "_rng") or not incremental:
            self._rng = check_random_state(self.random_state)
        if not hasattr(self, "_network") or not (self.warm_start or incremental):
            self._initialize(X, Y, self._rng)
        else:
            self._check_warm_network(X, Y)
            self._state.no_improvement_count = 0
        X = X.astype(self._network.dtype, copy=False)
        Y = Y.astype(self._network.dtype, copy=False)
        try:
            if self.solver == "lbfgs":
                self._fit_lbfgs(X, Y, sample_weight)
            else:
                self._fit_stochastic(X, Y, sample_weight, incremental)
        finally:
            self._publish_state()
        return self

    def _fit_lbfgs(self, X, Y, sample_weight):
        train_lbfgs(self._network, X, Y, sample_weight, self._state, loss=self._loss_name,
                    alpha=self.alpha, max_iter=self.max_iter, max_fun=self.max_fun,
                    tol=self.tol, verbose=self.verbose)

    def _fit_stochastic(self, X, Y, sample_weight, incremental):
        self._optimizer = self._current_optimizer()
        validation = None
        if self.early_stopping:
            X, Y, sample_weight, validation = self._split_validation(X, Y, sample_weight)
            self._state.best_validation_score, self._state.best_params = -np.inf, None
        adaptive = self.solver == "sgd" and self.learning_rate == "adaptive"
        schedule = "invscaling" if self.solver == "sgd" and self.learning_rate == "invscaling" \
            else "constant"
        kwargs = {"power_t": self.power_t} if schedule == "invscaling" else {}
        config = TrainingConfig(
            loss=self._loss_name, alpha=self.alpha,
            schedule=SCHEDULES[schedule](self.learning_rate_init, **kwargs),
            adaptive=adaptive, batch_size=self.batch_size, shuffle=self.shuffle,
            max_epochs=1 if incremental else self.max_iter, tol=self.tol,
            n_iter_no_change=self.n_iter_no_change, verbose=self.verbose,
            check_convergence=not incremental,
        )
        train(self._network, self._optimizer, X, Y, sample_weight, self._state, config,
              self._rng, validation)

    def _split_validation(self, X, Y, sample_weight):
        """Hold out ``validation_fraction`` of the rows (stratified for single-label classes)."""
        stratify = Y if self._stratify_validation() else None
        n_val = int(np.ceil(self.validation_fraction * X.shape[0]))  # train_test_split's rule
        needed = 2 if stratify is None else max(2, Y.shape[1] if Y.shape[1] > 1 else 2)
        if n_val < needed:
            raise ValueError(
                f"The validation set is too small ({n_val} sample(s), at least {needed} "
                f"needed): increase validation_fraction={self.validation_fraction} or the "
                "size of the data."
            )
        arrays = [X, Y] if sample_weight is None else [X, Y, sample_weight]
        parts = train_test_split(*arrays, random_state=self._rng,
                                 test_size=self.validation_fraction, stratify=stratify)
        X_train, X_val, Y_train, Y_val = parts[:4]
        w_train, w_val = (parts[4], parts[5]) if sample_weight is not None else (None, None)
        return X_train, Y_train, w_train, Validation(X_val, Y_val, w_val, self._validation_score)

    def _stratify_validation(self):
        return is_classifier(self) and not self._is_multilabel()

    def _publish_state(self):
        state = self._state
        self.loss_curve_ = list(state.loss_curve)
        self.loss_ = state.loss_curve[-1] if state.loss_curve else np.nan
        self.n_iter_ = state.n_iter
        self.t_ = state.t
        stopping = self.early_stopping and _is_stochastic(self)
        self.best_loss_ = None if stopping else state.best_loss
        self.validation_scores_ = list(state.validation_scores) if stopping else None
        self.best_validation_score_ = state.best_validation_score if stopping else None

    # -- prediction ----------------------------------------------------------------------
    def _forward(self, X, raw_output=False):
        check_is_fitted(self, "_network")
        X = validate_data(self, X, accept_sparse=SPARSE_FORMATS, dtype=FLOAT_DTYPES,
                          reset=False)
        X = X.astype(self._network.dtype, copy=False)
        with np.errstate(over="ignore", invalid="ignore"):
            out = self._network.predict(X, raw_output)
        if not np.isfinite(out).all():
            warnings.warn(
                "The network's outputs are not finite for some samples: the inputs are "
                "probably of a much larger magnitude than the training data. Scale the "
                "features (e.g. with StandardScaler in a Pipeline).",
                RuntimeWarning,
            )
        return out

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags
