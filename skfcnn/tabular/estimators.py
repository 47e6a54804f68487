r"""The tabular mode: one line from a raw DataFrame to an ensemble of tuned networks.

:class:`TabularClassifier` and :class:`TabularRegressor` take a pandas or
polars frame (numeric, categorical and missing values) or an array, and
chain the recipe's parts, each usable on its own:

1. :class:`~skfcnn.tabular.TabularPreprocessor`: robust scaling with smooth
   clipping of the numeric columns (RealMLP's preprocessing, Holzmüller et
   al., 2024), their piecewise-linear encodings (Gorishniy et al., 2022),
   missing-value indicators, one-hot categories;
2. ``n_members`` networks (:class:`~skfcnn.FCNNClassifier` /
   :class:`~skfcnn.FCNNRegressor`), each trained on its own random split of
   the rows into training and validation parts, so that together they see
   every row: Adam with :math:`\beta_2 = 0.95`, dropout (classifier), label
   smoothing (:class:`~skfcnn.nn.smoothing.LabelSmoothing`, classifier);
   optionally RealMLP's multi-cycle cosine schedule
   (:class:`~skfcnn.nn.schedules.MultiCycleCosine`), decoupled weight decay,
   its periodic embeddings and front scale (:mod:`skfcnn.nn.input_steps`);
3. the stopping rule: every member trains for the whole budget of
   ``max_iter`` epochs and keeps the epoch with the lowest validation loss
   (not accuracy, which on a few hundred validation rows stops improving
   almost at once);
4. the prediction: the mean of the members' probabilities (classifier) or
   values (regressor; trained on the standardised targets
   :math:`(y - \bar y) / s_y` and mapped back).

The defaults are what the ablation on ``benchmarks/tabular.py`` kept
(:doc:`/tabular`): the parts that did not help on average there are options.
"""

import warnings
from numbers import Integral, Real
from typing import ClassVar

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_random_state
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, column_or_1d

from ..estimators._compat import CachedParamNamesMixin, Interval, StrOptions
from ..estimators.classifier import FCNNClassifier
from ..estimators.regressor import FCNNRegressor
from ..nn.input_steps import EnsembleInput, FrontScale, PeriodicEmbedding
from ..nn.schedules import Constant, CosineAnnealing, MultiCycleCosine
from ..nn.smoothing import LabelSmoothing
from .preprocessing import TabularPreprocessor

__all__ = ["TabularClassifier", "TabularRegressor"]

_SEED_BOUND = np.iinfo(np.int32).max

#: The schedules of ``learning_rate``: name -> class, built over ``max_iter`` epochs.
_SCHEDULES = {"coslog": MultiCycleCosine, "cosine": CosineAnnealing, "constant": Constant}

#: The parameters handed to TabularPreprocessor, under the same names.
_PREPROCESSING = ("categorical_features", "numeric", "n_bins", "max_categories", "dtype")


class _TabularBase(CachedParamNamesMixin, BaseEstimator):
    """What both tabular estimators share: parameters, preprocessing, members."""

    #: What :func:`skfcnn.onnx.to_onnx` says instead of a graph.
    _onnx_refusal = ("the preprocessing transformers (TabularPreprocessor) have no ONNX "
                     "converters yet; each network in members_ exports on its own "
                     "(skfcnn.onnx.to_onnx(model.members_[0])) on preprocessor_.transform(X).")

    _parameter_constraints: ClassVar[dict] = {
        "hidden_layer_sizes": [tuple, list],
        "activation": [str],
        "n_members": [Interval(Integral, 1, None, closed="left")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "learning_rate": [StrOptions(set(_SCHEDULES))],
        "learning_rate_init": [Interval(Real, 0, None, closed="neither")],
        "beta_2": [Interval(Real, 0, 1, closed="left")],
        "weight_decay": [Interval(Real, 0, None, closed="left")],
        "dropout": [Interval(Real, 0, 1, closed="left")],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "categorical_features": "no_validation",  # TabularPreprocessor checks it
        "numeric": "no_validation",  # TabularPreprocessor checks it (a transformer too)
        "n_bins": [Interval(Integral, 2, None, closed="left"), None],
        "max_categories": [Interval(Integral, 2, None, closed="left"), None],
        "dtype": [StrOptions({"float32", "float64"})],
        "numeric_embedding": [StrOptions({"none", "periodic"})],
        "front_scale": ["boolean"],
        "ensemble_size": [Interval(Integral, 1, None, closed="left")],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
    }

    def _preprocess_fit(self, X):
        """A preprocessor fitted on ``X``, and its output (nothing set on ``self``)."""
        params = {name: getattr(self, name) for name in _PREPROCESSING}
        preprocessor = TabularPreprocessor(**params)
        return preprocessor, preprocessor.fit_transform(X)

    def _commit(self, preprocessor, members, **attributes):
        """Fit is a transaction: the fitted attributes are set together, once every
        member has trained (a fit that raises leaves the earlier model as it was)."""
        vars(self).pop("feature_names_in_", None)
        self.preprocessor_, self.members_ = preprocessor, members
        self.n_features_in_ = preprocessor.n_features_in_
        if hasattr(preprocessor, "feature_names_in_"):
            self.feature_names_in_ = preprocessor.feature_names_in_
        self.n_iter_ = [member.n_iter_ for member in members]
        self.best_epochs_ = [int(np.argmin(member.validation_loss_curve_))
                             for member in members]
        vars(self).update(attributes)
        return self

    def _member_params(self, seed, n_numeric):
        """The keyword arguments of one member network (``n_numeric`` leading columns
        of the preprocessed rows are the scaled numeric ones)."""
        return dict(
            hidden_layer_sizes=tuple(self.hidden_layer_sizes), activation=self.activation,
            solver="adam", alpha=0.0, batch_size=self.batch_size,
            learning_rate=_SCHEDULES[self.learning_rate].build(
                self.learning_rate_init, n_epochs=self.max_iter, power_t=0.5),
            learning_rate_init=self.learning_rate_init, max_iter=self.max_iter,
            beta_2=self.beta_2, weight_decay=self.weight_decay or None,
            dropout=self.dropout, early_stopping=True,
            validation_fraction=self.validation_fraction, n_iter_no_change=self.max_iter,
            tol=0.0, monitor="loss", restore_best_weights=True, random_state=seed,
            verbose=self.verbose, input_steps=self._input_steps(n_numeric) or None)

    def _input_steps(self, n_numeric):
        """RealMLP's parts in front of the first layer, as the parameters ask: the
        periodic embedding of the scaled numeric columns, then the front scale."""
        steps = []
        numeric = list(range(n_numeric))
        if self.numeric_embedding == "periodic" and numeric:
            steps.append(PeriodicEmbedding(columns=numeric))
        if self.front_scale:
            steps.append(FrontScale())
        if self.ensemble_size > 1:
            steps.append(EnsembleInput(self.ensemble_size))
        return steps

    def _fit_members(self, make_member, preprocessor, Xt, y, sample_weight):
        """``n_members`` members, each from its own seed, fitted to ``Xt, y``."""
        rng = check_random_state(self.random_state)
        seeds = rng.randint(_SEED_BOUND, size=self.n_members)
        members = []
        with warnings.catch_warnings():
            # the budget is the rule: reaching max_iter is what is asked for
            warnings.filterwarnings("ignore", category=ConvergenceWarning)
            # batches of min(batch_size, rows), RealMLP's rule: the clipping is asked for
            warnings.filterwarnings("ignore", message="Got `batch_size`", category=UserWarning)
            for seed in seeds:
                member = make_member(**self._member_params(int(seed), preprocessor.n_numeric_))
                members.append(member.fit(Xt, y, sample_weight=sample_weight))
        return members

    def _transform(self, X):
        check_is_fitted(self, "members_")
        return self.preprocessor_.transform(X)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        return tags


def _common_params(self, hidden_layer_sizes, activation, n_members, max_iter, batch_size,
                   learning_rate, learning_rate_init, beta_2, weight_decay, dropout,
                   validation_fraction, categorical_features, numeric, n_bins,
                   max_categories, dtype, numeric_embedding, front_scale, ensemble_size,
                   random_state, verbose):
    """Store the shared keyword arguments verbatim (scikit-learn's rule)."""
    for name, value in list(locals().items()):
        if name != "self":
            setattr(self, name, value)


class TabularClassifier(ClassifierMixin, _TabularBase):
    """An ensemble of networks for tables, from a raw DataFrame (see
    :mod:`skfcnn.tabular.estimators`).

    Parameters
    ----------
    hidden_layer_sizes : tuple of int, default=(128, 128, 128)
        The hidden layers of every member.
    activation : str, default="relu"
        The members' hidden activation (a name of :data:`~skfcnn.nn.activations.ACTIVATIONS`).
    n_members : int, default=5
        How many networks are trained and averaged.
    max_iter : int, default=64
        The epochs each member trains (the whole budget: no early stop).
    batch_size : int, default=256
        Rows per batch (all of them when fewer).
    learning_rate : {"constant", "coslog", "cosine"}, default="constant"
        The schedule over the ``max_iter`` epochs:
        :class:`~skfcnn.nn.schedules.MultiCycleCosine` (RealMLP's),
        :class:`~skfcnn.nn.CosineAnnealing` or :class:`~skfcnn.nn.Constant`.
    learning_rate_init : float, default=0.002
        The schedule's peak rate.
    beta_2 : float, default=0.95
        Adam's second-moment decay.
    weight_decay : float, default=0.0
        Decoupled weight decay (AdamW's); 0 for none.
    dropout : float, default=0.15
        Dropout rate of the hidden layers (the regressor's default is 0).
    label_smoothing : float, default=0.1
        :math:`\\varepsilon` of :class:`~skfcnn.nn.smoothing.LabelSmoothing`.
    validation_fraction : float, default=0.2
        The share of rows each member holds out to choose its best epoch.
    categorical_features, numeric, n_bins, max_categories, dtype
        Those of :class:`~skfcnn.tabular.TabularPreprocessor`, except ``n_bins``,
        whose default here is 16 (piecewise-linear encodings of every numeric column).
    numeric_embedding : {"none", "periodic"}, default="none"
        ``"periodic"``: RealMLP's learned periodic embedding of every scaled
        numeric column (:class:`~skfcnn.nn.PeriodicEmbedding`) in front of the
        first layer.
    front_scale : bool, default=False
        A learned scale of every input column (:class:`~skfcnn.nn.FrontScale`),
        after the embedding.
    ensemble_size : int, default=1
        :math:`k > 1`: each member is itself a BatchEnsemble of :math:`k` networks
        sharing every weight matrix (TabM's, :mod:`skfcnn.nn.ensemble`), at about
        :math:`k` times the cost of a plain member.
    random_state : int, RandomState instance or None, default=None
        Draws every member's seed (splits, initialisation, batches, dropout).
    verbose : int, default=0
        Passed to the members.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
    preprocessor_ : TabularPreprocessor
    members_ : list of FCNNClassifier
    n_iter_, best_epochs_ : list of int
        Each member's epochs run and the epoch it kept (counted from 0: the
        lowest of its ``validation_loss_curve_``).
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        Only when ``X`` has column names.

    Examples
    --------
    >>> from sklearn.datasets import make_classification
    >>> from skfcnn import TabularClassifier
    >>> X, y = make_classification(300, random_state=0)
    >>> clf = TabularClassifier(n_members=2, max_iter=20, random_state=0).fit(X, y)
    >>> bool(clf.score(X, y) > 0.9)
    True
    """

    _parameter_constraints: ClassVar[dict] = {
        **_TabularBase._parameter_constraints,
        "label_smoothing": [Interval(Real, 0, 1, closed="left")],
    }

    def __init__(self, *, hidden_layer_sizes=(128, 128, 128), activation="relu", n_members=5,
                 max_iter=64, batch_size=256, learning_rate="constant", learning_rate_init=0.002,
                 beta_2=0.95, weight_decay=0.0, dropout=0.15, label_smoothing=0.1,
                 validation_fraction=0.2, categorical_features="auto", numeric="smooth_clip",
                 n_bins=16, max_categories=32, dtype="float32", numeric_embedding="none",
                 front_scale=False, ensemble_size=1, random_state=None, verbose=0):
        _common_params(self, hidden_layer_sizes, activation, n_members, max_iter, batch_size,
                       learning_rate, learning_rate_init, beta_2, weight_decay, dropout,
                       validation_fraction, categorical_features, numeric, n_bins,
                       max_categories, dtype, numeric_embedding, front_scale, ensemble_size,
                       random_state, verbose)
        self.label_smoothing = label_smoothing

    def _member_params(self, seed, n_numeric):
        params = super()._member_params(seed, n_numeric)
        params["loss"] = LabelSmoothing(self.label_smoothing) if self.label_smoothing \
            else "log_loss"
        return params

    def fit(self, X, y, sample_weight=None):
        """Fit the preprocessor and the members.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_features)
            Numeric, categorical (category, string, object or bool columns of a
            frame) and missing values.
        y : array-like of shape (n_samples,)
        sample_weight : array-like of shape (n_samples,), default=None

        Returns
        -------
        self : TabularClassifier
        """
        self._validate_params()
        y = column_or_1d(y, warn=True)
        check_classification_targets(y)
        preprocessor, Xt = self._preprocess_fit(X)
        members = self._fit_members(FCNNClassifier, preprocessor, Xt, y, sample_weight)
        return self._commit(preprocessor, members, classes_=members[0].classes_)

    def predict_proba(self, X):
        """The mean of the members' class probabilities, of shape (n_samples, n_classes)."""
        Xt = self._transform(X)
        return np.mean([member.predict_proba(Xt) for member in self.members_], axis=0)

    def predict_log_proba(self, X):
        """The logarithm of :meth:`predict_proba`."""
        with np.errstate(divide="ignore"):
            return np.log(self.predict_proba(X))

    def predict(self, X):
        """The class of highest mean probability for each row."""
        proba = self.predict_proba(X)
        return self.classes_[np.argmax(proba, axis=1)]


class TabularRegressor(RegressorMixin, _TabularBase):
    """An ensemble of networks for tables, from a raw DataFrame (see
    :mod:`skfcnn.tabular.estimators`).

    The members learn the standardised targets :math:`(y - \\bar y) / s_y`
    (per column, :math:`s_y` the standard deviation, 1 where it is 0); the
    prediction is the members' mean mapped back.

    Parameters
    ----------
    hidden_layer_sizes, activation, n_members, max_iter, batch_size, learning_rate
        As in :class:`TabularClassifier`.
    learning_rate_init, beta_2, weight_decay, validation_fraction
        As in :class:`TabularClassifier`.
    dropout : float, default=0.0
        Dropout rate of the hidden layers (0: it cost R² on the regression sets).
    categorical_features, numeric, n_bins, max_categories, dtype
        As in :class:`TabularClassifier`.
    numeric_embedding, front_scale, ensemble_size
        As in :class:`TabularClassifier`.
    random_state, verbose
        As in :class:`TabularClassifier`.

    Attributes
    ----------
    preprocessor_ : TabularPreprocessor
    members_ : list of FCNNRegressor
    target_mean_, target_scale_ : ndarray of shape (n_outputs,)
    n_iter_, best_epochs_ : list of int
    n_features_in_ : int
    feature_names_in_ : ndarray of str

    Examples
    --------
    >>> from sklearn.datasets import make_regression
    >>> from skfcnn import TabularRegressor
    >>> X, y = make_regression(300, n_features=5, noise=1.0, random_state=0)
    >>> reg = TabularRegressor(n_members=2, random_state=0).fit(X, y)
    >>> bool(reg.score(X, y) > 0.9)
    True
    """

    def __init__(self, *, hidden_layer_sizes=(128, 128, 128), activation="relu", n_members=5,
                 max_iter=64, batch_size=256, learning_rate="constant", learning_rate_init=0.002,
                 beta_2=0.95, weight_decay=0.0, dropout=0.0, validation_fraction=0.2,
                 categorical_features="auto", numeric="smooth_clip", n_bins=16,
                 max_categories=32, dtype="float32", numeric_embedding="none",
                 front_scale=False, ensemble_size=1, random_state=None, verbose=0):
        _common_params(self, hidden_layer_sizes, activation, n_members, max_iter, batch_size,
                       learning_rate, learning_rate_init, beta_2, weight_decay, dropout,
                       validation_fraction, categorical_features, numeric, n_bins,
                       max_categories, dtype, numeric_embedding, front_scale, ensemble_size,
                       random_state, verbose)

    def fit(self, X, y, sample_weight=None):
        """Fit the preprocessor and the members (see :meth:`TabularClassifier.fit`).

        Returns
        -------
        self : TabularRegressor
        """
        self._validate_params()
        if y is None:
            raise ValueError(f"{type(self).__name__} requires y to be passed, but the target y "
                             "is None.")
        preprocessor, Xt = self._preprocess_fit(X)
        y = np.asarray(y, dtype=np.float64)
        Y = y.reshape(len(y), -1)
        mean, scale = Y.mean(axis=0), Y.std(axis=0)
        scale = np.where(scale > 0, scale, 1.0)
        Y = (Y - mean) / scale
        members = self._fit_members(FCNNRegressor, preprocessor, Xt,
                                    Y[:, 0] if y.ndim == 1 else Y, sample_weight)
        return self._commit(preprocessor, members, target_mean_=mean, target_scale_=scale,
                            _y_ndim=y.ndim)

    def predict(self, X):
        """The members' mean prediction, in the units of ``y``."""
        Xt = self._transform(X)
        mean = np.mean([member.predict(Xt).reshape(len(Xt), -1) for member in self.members_],
                       axis=0)
        out = mean * self.target_scale_ + self.target_mean_
        return out[:, 0] if self._y_ndim == 1 else out
