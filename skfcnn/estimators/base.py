"""What ``FCNNClassifier`` and ``FCNNRegressor`` share: validation, persistence,
prediction and ``transform``.

Parameters are stored verbatim in ``__init__`` (in
:mod:`skfcnn.estimators.classifier` and :mod:`skfcnn.estimators.regressor`) and
validated in ``fit`` through ``_parameter_constraints``
(:mod:`skfcnn.estimators.params`); ``fit`` is one transaction
(:mod:`skfcnn.estimators.fitting`); the maths is delegated to
:mod:`skfcnn.nn`, the epoch loop to :mod:`skfcnn.training.loop` and
full-batch L-BFGS to :mod:`skfcnn.training.lbfgs`.
"""

from __future__ import annotations

import warnings
from numbers import Integral

import numpy as np
from scipy.sparse import issparse
from sklearn.base import BaseEstimator, ClassifierMixin, TransformerMixin, is_classifier
from sklearn.utils.validation import check_is_fitted, validate_data

from .. import __version__
from ..exceptions import InconsistentVersionWarning
from ..nn.optimizers import take_legacy_state
from ..training.loop import all_finite
from ._compat import (
    CachedParamNamesMixin,
    CallbackSupportMixin,
    _check_sample_weight,
    _wrap_data_with_container,
)
from ._input_checks import check_feature_columns, explain_strings
from ._load_checks import check_loaded_state
from ._types import ArrayLike, FloatArray
from .docstrings import substitute
from .fitting import FitMixin
from .params import PARAMETER_CONSTRAINTS, STOCHASTIC_SOLVERS, check_input_values
from .persistence import from_plain, saved_format, to_plain

FLOAT_DTYPES = (np.float64, np.float32)
SPARSE_FORMATS = ["csr", "csc"]

#: The documentation's address (also ``[project.urls]`` in pyproject.toml).
DOCS_URL = "https://skfcnn.readthedocs.io/en"


def doc_version(version):
    """The documentation version of a release: ``latest`` for a development version."""
    return "latest" if "dev" in version else version


#: The skfcnn version that wrote each pickle format that did not record its version.
_FORMAT_VERSIONS = {1: "0.1.0", 2: "0.2.0.dev0"}


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



def _warn_if_on_another_scale(X, X_val):
    r"""``UserWarning`` when a feature of ``X_val`` is on another scale than in ``X``.

    A feature with training mean :math:`\mu` and standard deviation
    :math:`\sigma > 0`, and validation ones :math:`\mu_v, \sigma_v`, differs
    when :math:`|\mu_v - \mu| > 3\sigma` or :math:`\sigma_v / \sigma \notin
    [1/10, 10]`; the sets are on another scale when at least half the features
    that vary in ``X`` differ.  One feature can differ by chance (a rare one,
    all zero in a small validation set); most of them differ when ``X_val``
    reaches the last step of a :class:`~sklearn.pipeline.Pipeline` without the
    earlier steps' transforms (a fit parameter is passed on as it is).
    """
    if issparse(X) or issparse(X_val) or X.shape[0] < 2 or X_val.shape[0] < 2:
        return
    mean, std = X.mean(axis=0, dtype=np.float64), X.std(axis=0, dtype=np.float64)
    mean_val, std_val = (X_val.mean(axis=0, dtype=np.float64),
                         X_val.std(axis=0, dtype=np.float64))
    varies = std > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(varies, std_val / np.where(varies, std, 1), 1)
    other = varies & ((np.abs(mean_val - mean) > 3 * std) | (ratio > 10) | (ratio < 0.1))
    if other.any() and 2 * other.sum() >= varies.sum():
        j = int(np.flatnonzero(other)[0])
        warnings.warn(
            f"X_val is on another scale than X: feature {j} has mean {mean_val[j]:.4g} and "
            f"std {std_val[j]:.4g} in X_val, {mean[j]:.4g} and {std[j]:.4g} in X "
            f"({int(other.sum())} of {int(varies.sum())} features differ so). If this "
            "estimator is the last step of a Pipeline, X_val reaches it without the earlier "
            "steps' transforms: pass "
            "pipeline[:-1].transform(X_val), or use validation_fraction instead.",
            UserWarning, stacklevel=6)  # fit -> _fit_context -> fit -> _validate_validation_set


class _ParameterViews(list):
    """``coefs_`` or ``intercepts_``: views into the network's flat parameter vector.

    Changing an array in place changes the model; assigning an element
    (``coefs_[0] = W``) or the whole list (``coefs_ = [...]``, through the
    estimator's property) copies the values into the views, so that
    prediction, pickling and further training all see them.  Shapes must match.
    """

    def __init__(self, views, name):
        super().__init__(views)
        self.name = name

    def _checked(self, index, value):
        view = list.__getitem__(self, index)
        value = np.asarray(value)
        if value.shape != view.shape:
            raise ValueError(f"{self.name}[{index}] has shape {view.shape}; got an array of "
                             f"shape {value.shape}. Refit with other hidden_layer_sizes to "
                             "change the layer sizes.")
        return view, value

    def __setitem__(self, index, value):
        if not isinstance(index, Integral):
            raise TypeError(f"{self.name}[...] is set one layer at a time, with an int index; "
                            f"got {index!r}.")
        view, value = self._checked(index, value)
        view[...] = value

    def _assign(self, values):
        values = list(values)
        if len(values) != len(self):
            raise ValueError(f"{self.name} has {len(self)} arrays, one per layer; got "
                             f"{len(values)}.")
        pairs = [self._checked(i, value) for i, value in enumerate(values)]  # all, then copy
        for view, value in pairs:
            view[...] = value


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
class BaseFCNN(FitMixin, CallbackSupportMixin, TransformerMixin, CachedParamNamesMixin,
               BaseEstimator, auto_wrap_output_keys=None):
    """Everything the classifier and the regressor share."""

    _parameter_constraints: dict = dict(PARAMETER_CONSTRAINTS)

    # -- persistence: plain data (persistence.py); coefs_/intercepts_ are the network's views
    #: 3: plain data and the skfcnn version; 2: the optimiser's state apart from the
    #: optimiser (skfcnn 0.2.0.dev0); 1 (no mark): skfcnn 0.1.0
    _PICKLE_FORMAT = 3

    def __getstate__(self):
        state = to_plain(super().__getstate__())
        return {**state, "_skfcnn_pickle_format": self._PICKLE_FORMAT,
                "_skfcnn_version": __version__}

    def __setstate__(self, state):
        state = dict(state)
        pickle_format = saved_format(state, self._PICKLE_FORMAT)
        version = state.pop("_skfcnn_version", _FORMAT_VERSIONS.get(pickle_format))
        if version != __version__:
            warnings.warn(InconsistentVersionWarning(
                estimator_name=type(self).__name__, current_version=__version__,
                original_version=version), stacklevel=2)  # pickle.loads(...)
        if pickle_format >= 3:
            state = from_plain(state)
        state.setdefault("input_steps", None)  # saved before the parameter existed
        state.pop("coefs_", None), state.pop("intercepts_", None)  # 0.1.0 kept the views
        check_loaded_state(state, isinstance(self, ClassifierMixin),  # older formats
                           self._get_param_names() if pickle_format >= 3 else ())  # lack some
        super().__setstate__(state)
        if pickle_format < 2:
            self._upgrade_from_0_1()

    def _upgrade_from_0_1(self):
        """A model pickled by skfcnn 0.1.0 goes on training as it would have there: its
        optimiser's state moves apart, and ``weight_decay``, which only 'adamw' used
        then, no longer decays the other solvers."""
        if "_optimizer" in self.__dict__:
            self._optimizer_state = take_legacy_state(self._optimizer)
        if "weight_decay" in self.__dict__ and self.__dict__.get("solver") != "adamw":
            self.weight_decay = None

    # -- coefs_ and intercepts_: the network's own views, also when assigned to -----------
    def _views(self, name):
        network = self.__dict__.get("_network")
        if network is None:
            raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r} "
                                 "(it is set by fit)")
        return _ParameterViews(getattr(network, name.rstrip("_")), name)

    @property
    def coefs_(self):
        return self._views("coefs_")

    @coefs_.setter
    def coefs_(self, values):
        self._views("coefs_")._assign(values)

    @property
    def intercepts_(self):
        return self._views("intercepts_")

    @intercepts_.setter
    def intercepts_(self, values):
        self._views("intercepts_")._assign(values)

    # -- input validation ----------------------------------------------------------------
    def _validate_X_y(self, X, y, sample_weight, reset, input_name="X"):
        """``X``, ``y`` and ``sample_weight`` checked; dates and strings in ``X`` (named
        ``input_name`` in the errors) get errors that say what to do."""
        check_feature_columns(X, input_name)
        with explain_strings(X, input_name, type(self).__name__):
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

    def _validate_validation_set(self, X, X_val, y_val, sample_weight_val, n_outputs=None):
        """Check a user-given validation set (against the training ``X`` too) and
        encode its targets like ``y``."""
        if X_val is None and y_val is None:
            if sample_weight_val is not None:
                raise ValueError("sample_weight_val was given without X_val and y_val; "
                                 "pass the validation set too, or leave it out.")
            return None
        if X_val is None or y_val is None:
            raise ValueError("X_val and y_val must be given together; got only one of them.")
        if not self.early_stopping or self.solver == "lbfgs":
            raise ValueError(
                f"X_val and y_val were passed to fit with early_stopping="
                f"{self.early_stopping!r} and solver={self.solver!r}: they are used only by "
                "early stopping, which needs early_stopping=True and a stochastic solver."
            )
        try:
            X_val, y_val, sample_weight_val = self._validate_targets(
                X_val, y_val, sample_weight_val, reset=False, validation=True)
        except ValueError as error:  # scikit-learn's message names X, y or sample_weight
            raise ValueError(f"The validation set (X_val, y_val, sample_weight_val) is "
                             f"invalid: {error}") from error
        _warn_if_on_another_scale(X, X_val)
        Y_val = self._encode(y_val)
        if n_outputs is not None and Y_val.shape[1] != n_outputs:
            raise ValueError(f"y_val has {Y_val.shape[1]} output(s); y has {n_outputs}.")
        return X_val, Y_val, sample_weight_val

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
        check_feature_columns(X)
        with explain_strings(X, "X", type(self).__name__):
            return validate_data(self, X, accept_sparse=SPARSE_FORMATS, dtype=FLOAT_DTYPES,
                                 reset=False)

    def _forward(self, X, raw_output=False, n_layers=None):
        if "_network" not in self.__dict__:  # check_is_fitted builds the tags on every call
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
                # predict, predict_proba, transform -> here; the regressor's own _forward
                # adds a frame
                stacklevel=3 if type(self)._forward is BaseFCNN._forward else 4,
            )
        return out

    @substitute
    def transform(self, X: ArrayLike, layer: int = -1) -> FloatArray:
        """Activations of a hidden layer (by default the last one).

        Parameters
        ----------
        %(X_predict)s
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
        if not isinstance(layer, Integral) or isinstance(layer, bool):
            raise TypeError(f"layer must be an int (a hidden layer's index, negative from "
                            f"the end); got layer={layer!r}.")
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

    def get_feature_names_out(self, input_features: ArrayLike | None = None) -> np.ndarray:
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

    # -- the HTML repr's "?" link (scikit-learn's mechanism) and the tags -----------------
    _doc_link_module = "skfcnn"
    _doc_link_template = (f"{DOCS_URL}/{doc_version(__version__)}/gen_modules/"
                          "skfcnn.{estimator_name}.html")

    def _doc_link_url_param_generator(self):
        return {"estimator_name": type(self).__name__}

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        # fit in float32, and transform keeps float32 (the network follows the data)
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags
