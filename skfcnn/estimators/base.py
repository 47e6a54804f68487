"""What ``FCNNClassifier`` and ``FCNNRegressor`` share: the fitting steps.

Parameters are stored verbatim in ``__init__`` (in
:mod:`skfcnn.estimators.classifier` and :mod:`skfcnn.estimators.regressor`) and
validated in ``fit`` through ``_parameter_constraints``
(:mod:`skfcnn.estimators.params`); the maths is delegated to :mod:`skfcnn.nn`,
the epoch loop to :mod:`skfcnn.training.loop` and full-batch L-BFGS to
:mod:`skfcnn.training.lbfgs`.
"""

import warnings
from numbers import Real

import numpy as np
from scipy.sparse import issparse
from sklearn.base import BaseEstimator, TransformerMixin, is_classifier
from sklearn.model_selection import train_test_split
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted, validate_data

from ..nn.activations import check_hidden_activations
from ..nn.losses import loss_value
from ..nn.network import Network
from ..nn.optimizers import take_legacy_state
from ..nn.transforms import chain
from ..training.lbfgs import train_lbfgs
from ..training.loop import all_finite, train
from ..training.state import TrainingConfig, TrainingState, Validation
from ._compat import _check_sample_weight, _wrap_data_with_container
from .params import (PARAMETER_CONSTRAINTS, STOCHASTIC_SOLVERS, check_callbacks,
                     check_input_values, hidden_layer_sizes, init_state, make_optimizer,
                     make_schedule, make_transforms)

FLOAT_DTYPES = (np.float64, np.float32)
SPARSE_FORMATS = ["csr", "csc"]


def _check_stochastic(estimator):
    if estimator.solver == "lbfgs":
        raise AttributeError(
            f"partial_fit is only available for the stochastic solvers "
            f"{STOCHASTIC_SOLVERS}; solver='lbfgs' is not stochastic."
        )
    if getattr(estimator, "class_weight", None) == "balanced":
        raise AttributeError(
            "partial_fit is not available with class_weight='balanced': it sees one "
            "chunk at a time, not the class frequencies of the whole data. Pass a dict, "
            "e.g. from sklearn.utils.class_weight.compute_class_weight('balanced', "
            "classes=classes, y=y_all)."
        )
    return True



def _store_params(estimator, params):
    """``__init__``'s body: store every keyword argument verbatim."""
    for name, value in params.items():
        if name not in ("self", "__class__"):
            setattr(estimator, name, value)



class _LayerNames:
    """Stands in for an estimator when wrapping a hidden layer's output: same
    ``set_output`` configuration, that layer's unit names."""

    _sklearn_auto_wrap_output_keys = {"transform"}

    def __init__(self, estimator, names):
        self._sklearn_output_config = getattr(estimator, "_sklearn_output_config", {})
        self.names = names

    def get_feature_names_out(self, input_features=None):
        return self.names


# transform wraps its own output (set_output), so that a hidden layer other than the
# last one gets its own column names: scikit-learn's wrapper would use
# get_feature_names_out, the last layer's.
class BaseFCNN(TransformerMixin, BaseEstimator, auto_wrap_output_keys=None):
    """Everything the classifier and the regressor share."""

    _parameter_constraints: dict = dict(PARAMETER_CONSTRAINTS)

    # -- persistence: coefs_/intercepts_ are views into the network's flat vector
    #: 2: the optimiser's state apart from the optimiser; 1 (no mark): skfcnn 0.1.0
    _PICKLE_FORMAT = 2

    def __getstate__(self):
        return {**super().__getstate__(), "_skfcnn_pickle_format": self._PICKLE_FORMAT}

    def __setstate__(self, state):
        legacy = state.pop("_skfcnn_pickle_format", 1) < 2
        super().__setstate__(state)
        if legacy:
            self._upgrade_from_0_1()
        if "_network" in self.__dict__:
            self._expose_network()

    def _upgrade_from_0_1(self):
        """A model pickled by skfcnn 0.1.0 goes on training as it would have there: its
        optimiser's state moves apart, and ``weight_decay``, which only 'adamw' used
        then, no longer decays the other solvers."""
        if "_optimizer" in self.__dict__:
            self._optimizer_state = take_legacy_state(self._optimizer)
        if "weight_decay" in self.__dict__ and self.__dict__.get("solver") != "adamw":
            self.weight_decay = None

    def _expose_network(self):
        self.coefs_ = self._network.coefs
        self.intercepts_ = self._network.intercepts

    # -- input validation ----------------------------------------------------------------
    def _validate_X_y(self, X, y, sample_weight, reset):
        X, y = validate_data(self, X, y, accept_sparse=SPARSE_FORMATS, dtype=FLOAT_DTYPES,
                             multi_output=True, y_numeric=not is_classifier(self),
                             reset=reset, ensure_all_finite=False)
        if issparse(X):
            X = X.tocsr()
        check_input_values(X, type(self).__name__)
        if sample_weight is not None:
            sample_weight = _check_sample_weight(sample_weight, X, dtype=X.dtype,
                                                 ensure_non_negative=True)
        return X, y, sample_weight

    def _validate_validation_set(self, X_val, y_val, sample_weight_val):
        """Check a user-given validation set and encode its targets like ``y``."""
        if X_val is None and y_val is None:
            return None
        if X_val is None or y_val is None:
            raise ValueError("X_val and y_val must be given together; got only one of them.")
        if not self.early_stopping:
            raise ValueError(
                "X_val and y_val were passed to fit while early_stopping=False; set "
                "early_stopping=True to stop on them."
            )
        X_val, y_val, sample_weight_val = self._validate_targets(
            X_val, y_val, sample_weight_val, reset=False, validation=True)
        return X_val, self._encode(y_val), sample_weight_val

    # -- the network, its optimiser and the fit dispatch ------------------------------------
    def _network_options(self):
        """Keyword arguments of ``Network`` that differ from plain dense layers."""
        options = {}
        if isinstance(self.dropout, (list, tuple)) or self.dropout > 0:
            options["dropout"] = self.dropout
        if self.batch_norm:
            options["batch_norm"] = True
        return options

    def _initialize(self, X, Y, rng):
        """Build a fresh network, optimiser and training record."""
        sizes = (X.shape[1], *hidden_layer_sizes(self.hidden_layer_sizes), Y.shape[1])
        activation = self.activation if isinstance(self.activation, str) \
            else list(self.activation)
        check_hidden_activations(activation, len(sizes) - 2, name="activation")
        self._network = Network(sizes, activation, self.out_activation_, X.dtype,
                                **self._network_options())
        init = {} if self.init == "glorot_uniform" and self.init_scale is None \
            else {"init": self.init, "scale": self.init_scale}
        self._network.initialize(rng, **init)
        self._optimizer = self._optimizer_state = None
        self._state = TrainingState()
        self.n_outputs_ = Y.shape[1]
        self.n_layers_ = len(sizes)
        self._expose_network()

    def _check_warm_network(self, X, Y):
        sizes = (X.shape[1], *hidden_layer_sizes(self.hidden_layer_sizes), Y.shape[1])
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
        if bool(self.batch_norm) != self._network.batch_norm:
            raise ValueError(
                f"warm_start=True and partial_fit need the batch_norm of the fitted model "
                f"({self._network.batch_norm}); got batch_norm={self.batch_norm!r}. Set "
                "warm_start=False (or call fit) to refit."
            )
        self._apply_changed_options()

    def _apply_changed_options(self):
        """A changed ``activation`` or ``dropout`` takes effect on the fitted network,
        as scikit-learn's MLP uses its current ``activation`` when it continues."""
        network = self._network
        activation = self.activation if isinstance(self.activation, str) \
            else list(self.activation)
        dropout = self.dropout if isinstance(self.dropout, Real) else list(self.dropout)
        if activation != network.hidden_activation or dropout != network.dropout:
            check_hidden_activations(activation, network.n_hidden, name="activation")
            network.configure(activation, dropout)

    def _current_optimizer(self):
        """The optimiser of this call and its state.

        The optimiser has the current hyper-parameters; the kept state goes on
        when it is of the same kind.  The gradient transforms (``max_grad_norm``,
        ``weight_decay``) come in front of it for this call; without any, the
        bare optimiser is used.
        """
        optimizer = make_optimizer(self)
        state = self._optimizer_state
        if type(self._optimizer) is not type(optimizer) or state is None:
            state = init_state(optimizer, self._network)
        self._optimizer, self._optimizer_state = optimizer, state
        steps = make_transforms(self, optimizer)
        if not steps:
            return optimizer, state
        states = [init_state(step, self._network) for step in steps]
        return chain(*steps, optimizer), (*states, state)

    def _fit(self, X, Y, sample_weight, incremental, validation_set=None):
        """Initialise when needed, then train for one epoch or up to ``max_iter``."""
        if incremental and self.early_stopping:
            raise ValueError("partial_fit does not support early_stopping=True; "
                             "pass early_stopping=False or use fit.")
        if sample_weight is not None and not sample_weight.sum() > 0:
            raise ValueError("sample_weight (times class_weight) must have a positive sum.")
        fresh_rng = not hasattr(self, "_rng") or not incremental
        if fresh_rng:
            self._rng = check_random_state(self.random_state)
        if not hasattr(self, "_network") or not (self.warm_start or incremental):
            self._initialize(X, Y, self._rng)
        else:
            self._check_warm_network(X, Y)
        if "dropout" in self._network_options() and (
                fresh_rng or getattr(self, "_mask_rng", None) is None):
            # masks from NumPy's Generator: it fills a float32 or float64 buffer in
            # place, twice as fast as RandomState; seeded after the initial weights,
            # which are therefore those of the same model without dropout
            self._mask_rng = np.random.default_rng(self._rng.randint(np.iinfo(np.int32).max))
        if not incremental:
            self._state.start_call()
        X = X.astype(self._network.dtype, copy=False)
        Y = Y.astype(self._network.dtype, copy=False)
        try:
            if self.solver == "lbfgs":
                self._fit_lbfgs(X, Y, sample_weight)
            else:
                self._fit_stochastic(X, Y, sample_weight, incremental, validation_set)
        finally:
            self._publish_state()
        return self

    def _fit_lbfgs(self, X, Y, sample_weight):
        train_lbfgs(self._network, X, Y, sample_weight, self._state, loss=self._loss_name,
                    alpha=self.alpha, max_iter=self.max_iter, max_fun=self.max_fun,
                    tol=self.tol, verbose=self.verbose)

    def _training_config(self, incremental, validating):
        restore = self.restore_best_weights
        return TrainingConfig(
            loss=self._loss_name, alpha=self.alpha, schedule=make_schedule(self),
            batch_size=self.batch_size, shuffle=self.shuffle,
            max_epochs=1 if incremental else self.max_iter, tol=self.tol,
            n_iter_no_change=self.n_iter_no_change, verbose=int(self.verbose),
            check_convergence=not incremental, monitor=self.monitor,
            restore_best=not incremental and (validating if restore == "auto" else restore),
            callbacks=check_callbacks(self.callbacks),
            forward_kwargs=({"training": True, "rng": getattr(self, "_mask_rng", None)}
                            if self._network_options() else {}),
        )

    def _fit_stochastic(self, X, Y, sample_weight, incremental, validation_set):
        optimizer, optimizer_state = self._current_optimizer()
        validation = None
        if self.early_stopping:
            if validation_set is None:
                X, Y, sample_weight, validation_set = self._split_validation(X, Y, sample_weight)
            X_val, Y_val, w_val = validation_set
            validation = Validation(X_val.astype(X.dtype, copy=False),
                                    Y_val.astype(X.dtype, copy=False), w_val,
                                    self._validation_score, self._validation_loss)
        config = self._training_config(incremental, validation is not None)
        train(self._network, optimizer, optimizer_state, X, Y, sample_weight, self._state,
              config, self._rng, validation)

    def _split_validation(self, X, Y, sample_weight):
        """Hold out ``validation_fraction`` of the rows (stratified for single-label classes)."""
        stratify = None
        if self._stratify_validation():  # class labels, not the one-hot rows, which
            # scikit-learn would join into one string per row (0.3 s on 60000 rows)
            stratify = Y[:, 0] if Y.shape[1] == 1 else Y.argmax(axis=1)
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
        w_train, w_val = (parts[4], parts[5]) if sample_weight is not None else (None, None)
        return parts[0], parts[2], w_train, (parts[1], parts[3], w_val)

    def _stratify_validation(self):
        return is_classifier(self) and not self._is_multilabel()

    def _validation_loss(self, network, X, Y, sample_weight):
        """Mean loss of the held-out set (without the L2 penalty)."""
        with np.errstate(over="ignore", invalid="ignore"):
            value = loss_value(self._loss_name, Y, network.predict(X), sample_weight)
        return value if np.isfinite(value) else np.inf

    def _publish_state(self):
        state = self._state
        self.loss_curve_ = list(state.loss_curve)
        self.loss_ = state.loss_curve[-1] if state.loss_curve else np.nan
        self.n_iter_ = state.n_iter
        self.t_ = state.t
        self.fit_time_ = list(state.fit_times)
        stopping = self.early_stopping and self.solver != "lbfgs"
        if stopping:
            self.best_loss_ = None
        elif self.solver == "lbfgs":  # scikit-learn has none; the lowest recorded loss
            self.best_loss_ = min(state.loss_curve) if state.loss_curve else None
        else:
            self.best_loss_ = state.best_loss
        self.validation_scores_ = list(state.validation_scores) if stopping else None
        self.validation_loss_curve_ = list(state.validation_loss_curve) if stopping else None
        self.best_validation_score_ = state.best_validation_score if stopping else None

    # -- prediction ----------------------------------------------------------------------
    def _validated_input(self, X):
        """``X`` checked like ``validate_data(reset=False)`` does, with a fast path.

        A finite 2-D float ndarray with the fitted number of columns, for a model
        fitted without feature names, is all ``validate_data`` would accept
        unchanged; checking that directly saves most of the per-call overhead
        when serving one row at a time.
        """
        if (type(X) is np.ndarray and X.ndim == 2 and X.dtype in FLOAT_DTYPES
                and X.shape[0] > 0 and X.shape[1] == self.n_features_in_
                and not hasattr(self, "feature_names_in_")):
            with np.errstate(over="ignore", invalid="ignore"):
                if all_finite(X):
                    return X
        return validate_data(self, X, accept_sparse=SPARSE_FORMATS, dtype=FLOAT_DTYPES,
                             reset=False)

    def _forward(self, X, raw_output=False, n_layers=None):
        check_is_fitted(self, "_network")
        X = self._validated_input(X).astype(self._network.dtype, copy=False)
        with np.errstate(over="ignore", invalid="ignore"):
            out = self._network.predict(X, raw_output, n_layers)
        if not np.isfinite(out).all():
            warnings.warn(
                "The network's outputs are not finite for some samples: the inputs are "
                "probably of a much larger magnitude than the training data. Scale the "
                "features (e.g. with StandardScaler in a Pipeline).",
                RuntimeWarning,
            )
        return out

    def transform(self, X, layer=-1):
        """Activations of a hidden layer (by default the last one).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input data.
        layer : int, default=-1
            Which hidden layer: ``0`` is the first, ``-1`` the last (negative
            values count from the end, as list indices do).

        Returns
        -------
        hidden : ndarray of shape (n_samples, hidden_layer_sizes[layer])
            That layer's outputs after its activation (dropout off, batch
            normalisation with its running statistics): the inputs projected
            onto the hidden layer.  With ``set_output(transform="pandas")`` a
            DataFrame whose columns are :meth:`get_feature_names_out` for the
            last hidden layer and ``<classname>_layer<k>_<unit>`` for hidden
            layer ``k`` otherwise.
        """
        check_is_fitted(self, "_network")
        n_hidden = self.n_layers_ - 2
        if n_hidden == 0:
            raise ValueError("transform needs a hidden layer; hidden_layer_sizes=() has none.")
        if not -n_hidden <= layer < n_hidden:
            raise ValueError(f"layer={layer!r} is out of range for {n_hidden} hidden "
                             f"layer(s); allowed are {-n_hidden} to {n_hidden - 1}.")
        index = layer % n_hidden
        hidden = self._forward(X, n_layers=index + 1)
        names = self._unit_names(index)
        return _wrap_data_with_container("transform", hidden, X, _LayerNames(self, names))

    def _unit_names(self, index):
        """``<classname>0, ...`` for the last hidden layer, ``<classname>_layer<index>_0, ...``
        for the others."""
        prefix = type(self).__name__.lower()
        if index < self.n_layers_ - 3:
            prefix = f"{prefix}_layer{index}_"
        width = self._network.layer_sizes[index + 1]
        return np.asarray([f"{prefix}{i}" for i in range(width)], dtype=object)

    def get_feature_names_out(self, input_features=None):
        """Names of the last hidden layer's units: ``<classname>0``, ``<classname>1``, ...

        Parameters
        ----------
        input_features : array-like of str or None, default=None
            Ignored; present for API consistency.

        Returns
        -------
        feature_names_out : ndarray of str objects
        """
        check_is_fitted(self, "_network")
        return self._unit_names(self.n_layers_ - 3)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags
