"""``FCNNClassifier`` and ``FCNNRegressor``: the scikit-learn contract.

Parameters are stored verbatim in ``__init__`` and validated in ``fit`` through
``_parameter_constraints``; data goes through ``validate_data``; the maths is
delegated to :mod:`skfcnn.nn` and the epoch loop to :mod:`skfcnn._training`.
"""

from numbers import Integral, Real

import numpy as np
from scipy.special import log_expit, log_softmax
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin, _fit_context
from sklearn.preprocessing import LabelBinarizer
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, Options, StrOptions
from sklearn.utils.multiclass import check_classification_targets, unique_labels
from sklearn.utils.validation import check_is_fitted, column_or_1d, validate_data

from ._docstrings import CLASSIFIER_DOC, REGRESSOR_DOC
from ._training import TrainingState, train
from .nn.activations import HIDDEN_ACTIVATIONS
from .nn.network import Network
from .nn.optimizers import SGD, Adam

__all__ = ["FCNNClassifier", "FCNNRegressor"]

_FLOAT_DTYPES = (np.float64, np.float32)


def _hidden_layer_sizes(value):
    sizes = [value] if isinstance(value, Integral) else list(value)
    if any(not isinstance(n, Integral) or n <= 0 for n in sizes):
        raise ValueError(
            f"The 'hidden_layer_sizes' parameter must be a positive int or a "
            f"sequence of positive ints; got {value!r}."
        )
    return [int(n) for n in sizes]


class _BaseFCNN(BaseEstimator):
    """Everything the classifier and the regressor share."""

    _parameter_constraints: dict = {
        "hidden_layer_sizes": ["array-like", Interval(Integral, 1, None, closed="left")],
        "activation": [StrOptions(set(HIDDEN_ACTIVATIONS))],
        "solver": [StrOptions({"sgd", "adam"})],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "batch_size": [StrOptions({"auto"}), Interval(Integral, 1, None, closed="left")],
        "learning_rate_init": [Interval(Real, 0, None, closed="neither")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "shuffle": ["boolean"],
        "random_state": ["random_state"],
        "tol": [Interval(Real, 0, None, closed="left")],
        "verbose": ["verbose"],
        "warm_start": ["boolean"],
        "momentum": [Interval(Real, 0, 1, closed="both")],
        "nesterovs_momentum": ["boolean"],
        "beta_1": [Interval(Real, 0, 1, closed="left")],
        "beta_2": [Interval(Real, 0, 1, closed="left")],
        "epsilon": [Interval(Real, 0, None, closed="neither")],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left"), Options(Real, {np.inf})],
    }

    def __init__(self, hidden_layer_sizes=(100,), activation="relu", *, solver="adam",
                 alpha=0.0001, batch_size="auto", learning_rate_init=0.001, max_iter=200,
                 shuffle=True, random_state=None, tol=1e-4, verbose=False, warm_start=False,
                 momentum=0.9, nesterovs_momentum=True, beta_1=0.9, beta_2=0.999,
                 epsilon=1e-8, n_iter_no_change=10):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.solver = solver
        self.alpha = alpha
        self.batch_size = batch_size
        self.learning_rate_init = learning_rate_init
        self.max_iter = max_iter
        self.shuffle = shuffle
        self.random_state = random_state
        self.tol = tol
        self.verbose = verbose
        self.warm_start = warm_start
        self.momentum = momentum
        self.nesterovs_momentum = nesterovs_momentum
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.n_iter_no_change = n_iter_no_change

    # -- persistence: coefs_/intercepts_ are views into the network's flat vector
    def __setstate__(self, state):
        super().__setstate__(state)
        if "_network" in self.__dict__:
            self._expose_network()

    def _expose_network(self):
        self.coefs_ = self._network.coefs
        self.intercepts_ = self._network.intercepts

    # -- the shared fitting steps ---------------------------------------------------------
    def _make_optimizer(self):
        if self.solver == "sgd":
            return SGD(momentum=self.momentum, nesterov=self.nesterovs_momentum)
        return Adam(beta_1=self.beta_1, beta_2=self.beta_2, epsilon=self.epsilon)

    def _initialize(self, X, Y, rng):
        """Build a fresh network, optimiser and training record."""
        sizes = [X.shape[1], *_hidden_layer_sizes(self.hidden_layer_sizes), Y.shape[1]]
        self._network = Network(sizes, self.activation, self.out_activation_, X.dtype)
        self._network.initialize(rng)
        self._optimizer = self._make_optimizer().init(self._network.params)
        self._state = TrainingState()
        self.n_outputs_ = Y.shape[1]
        self.n_layers_ = len(sizes)
        self._expose_network()

    def _check_warm_network(self, X, Y):
        sizes = (X.shape[1], *_hidden_layer_sizes(self.hidden_layer_sizes), Y.shape[1])
        if sizes != self._network.layer_sizes:
            raise ValueError(
                f"warm_start=True needs the same layer sizes as the fitted model: "
                f"it has {self._network.layer_sizes}, the data and "
                f"hidden_layer_sizes give {sizes}. Set warm_start=False to refit."
            )

    def _train(self, X, Y, rng, incremental):
        X = X.astype(self._network.dtype, copy=False)
        Y = Y.astype(self._network.dtype, copy=False)
        try:
            train(
                self._network, self._optimizer, X, Y, None, self._state,
                loss=self._loss_name, alpha=self.alpha, learning_rate=self.learning_rate_init,
                batch_size=self.batch_size, shuffle=self.shuffle, rng=rng,
                max_epochs=1 if incremental else self.max_iter, tol=self.tol,
                n_iter_no_change=self.n_iter_no_change, verbose=self.verbose,
                check_convergence=not incremental,
            )
        finally:
            self._publish_state()
        return self

    def _publish_state(self):
        state = self._state
        self.loss_curve_ = list(state.loss_curve)
        self.loss_ = state.loss_curve[-1] if state.loss_curve else np.nan
        self.best_loss_ = state.best_loss
        self.n_iter_ = state.n_iter
        self.t_ = state.t

    def _fit(self, X, Y, incremental):
        """Initialise when needed, then train for one epoch or up to ``max_iter``."""
        if not hasattr(self, "_rng") or not incremental:
            self._rng = check_random_state(self.random_state)
        fresh = not hasattr(self, "_network") or not (self.warm_start or incremental)
        if fresh:
            self._initialize(X, Y, self._rng)
        else:
            self._check_warm_network(X, Y)
            self._state.no_improvement_count = 0
        return self._train(X, Y, self._rng, incremental)

    def _forward(self, X, raw_output=False):
        check_is_fitted(self, "_network")
        X = validate_data(self, X, dtype=_FLOAT_DTYPES, reset=False)
        return self._network.predict(X.astype(self._network.dtype, copy=False), raw_output)



class FCNNClassifier(ClassifierMixin, _BaseFCNN):
    __doc__ = CLASSIFIER_DOC

    def _encode(self, y):
        Y = self._label_binarizer.transform(y)
        return Y.astype(np.float64, copy=False)

    def _setup_labels(self, classes):
        self._label_binarizer = LabelBinarizer().fit(classes)
        self.classes_ = self._label_binarizer.classes_
        self.out_activation_ = "softmax" if len(self.classes_) > 2 else "logistic"
        self._loss_name = "log_loss" if len(self.classes_) > 2 else "binary_log_loss"

    def _validate_fit_data(self, X, y, reset):
        X, y = validate_data(self, X, y, dtype=_FLOAT_DTYPES, reset=reset)
        check_classification_targets(y)
        return X, y

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y):
        """Fit the model to data ``X`` and labels ``y``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data.
        y : array-like of shape (n_samples,)
            Class labels (strings or integers).

        Returns
        -------
        self : FCNNClassifier
            The fitted estimator.
        """
        warm = self.warm_start and hasattr(self, "_network")
        X, y = self._validate_fit_data(X, y, reset=not warm)
        classes = unique_labels(y)
        if warm and not np.array_equal(classes, self.classes_):
            raise ValueError(
                "warm_start can only be used where `y` has the same classes as in "
                f"the previous call to fit. Previously got {self.classes_}, `y` has {classes}."
            )
        self._setup_labels(classes)
        return self._fit(X, self._encode(y), incremental=False)

    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, classes=None):
        """Run exactly one epoch of training over ``X``, ``y``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data.
        y : array-like of shape (n_samples,)
            Class labels, all among ``classes`` (first call) or ``classes_``.
        classes : array-like of shape (n_classes,), default=None
            Every class that will ever appear; required on the first call and
            ignored after it (it must then equal ``classes_`` if given).

        Returns
        -------
        self : FCNNClassifier
            The updated estimator.
        """
        first = not hasattr(self, "_network")
        if first and classes is None:
            raise ValueError(
                "classes must be passed on the first call to partial_fit: "
                "got classes=None; pass every label that can appear, e.g. "
                "classes=np.unique(y_all)."
            )
        X, y = self._validate_fit_data(X, y, reset=first)
        if first:
            self._setup_labels(unique_labels(classes))
        elif classes is not None and not np.array_equal(unique_labels(classes), self.classes_):
            raise ValueError(
                f"classes={np.asarray(classes).tolist()!r} differs from classes_={self.classes_.tolist()!r} "
                "of the earlier calls to partial_fit."
            )
        unknown = np.setdiff1d(unique_labels(y), self.classes_)
        if unknown.size:
            raise ValueError(
                f"`y` has classes not in `self.classes_`: {unknown.tolist()!r}; "
                f"allowed are {self.classes_.tolist()!r}."
            )
        return self._fit(X, self._encode(y), incremental=True)

    def predict_proba(self, X):
        """Probability of each class.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Input data.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Rows sum to 1; columns follow ``classes_``.
        """
        out = self._forward(X)
        if len(self.classes_) == 1:
            return np.ones_like(out)
        if out.shape[1] == 1:
            return np.hstack([1 - out, out])
        return out

    def predict_log_proba(self, X):
        """Logarithm of each class probability, computed stably from the logits.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Input data.

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
            Finite for finite inputs (no ``log(0)``).
        """
        logits = self._forward(X, raw_output=True)
        if len(self.classes_) == 1:
            return np.zeros_like(logits)
        if logits.shape[1] == 1:
            return np.hstack([log_expit(-logits), log_expit(logits)])
        return log_softmax(logits, axis=1)

    def predict(self, X):
        """Most probable class of each sample.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Input data.

        Returns
        -------
        y : ndarray of shape (n_samples,)
            Labels from ``classes_``.
        """
        proba = self.predict_proba(X)
        return self.classes_[np.argmax(proba, axis=1)]


class FCNNRegressor(RegressorMixin, _BaseFCNN):
    __doc__ = REGRESSOR_DOC

    _loss_name = "squared_error"

    def _validate_fit_data(self, X, y, reset):
        X, y = validate_data(
            self, X, y, dtype=_FLOAT_DTYPES, multi_output=True, y_numeric=True, reset=reset
        )
        self.out_activation_ = "identity"
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        return X, (y.reshape(-1, 1) if y.ndim == 1 else y)

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y):
        """Fit the model to data ``X`` and targets ``y``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Target values.

        Returns
        -------
        self : FCNNRegressor
            The fitted estimator.
        """
        warm = self.warm_start and hasattr(self, "_network")
        X, Y = self._validate_fit_data(X, y, reset=not warm)
        return self._fit(X, Y, incremental=False)

    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y):
        """Run exactly one epoch of training over ``X``, ``y``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Target values.

        Returns
        -------
        self : FCNNRegressor
            The updated estimator.
        """
        X, Y = self._validate_fit_data(X, y, reset=not hasattr(self, "_network"))
        return self._fit(X, Y, incremental=True)

    def predict(self, X):
        """Predicted target of each sample.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Input data.

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            One column is returned as a 1-D array, as scikit-learn's MLP does.
        """
        out = self._forward(X)
        return out.ravel() if out.shape[1] == 1 else out

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags
