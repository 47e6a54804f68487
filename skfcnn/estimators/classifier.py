"""``FCNNClassifier``: label encoding, class weights and probabilities.

The shared parameters and fitting steps are in :mod:`skfcnn.estimators.base`.
"""

from __future__ import annotations

from numbers import Real

import numpy as np
from scipy.special import expit
from sklearn.base import ClassifierMixin
from sklearn.preprocessing import LabelBinarizer
from sklearn.utils.multiclass import check_classification_targets, type_of_target, unique_labels
from sklearn.utils.validation import column_or_1d

from ..nn.activations import softmax
from ..nn.losses import check_loss_output
from ._compat import StrOptions, _fit_context, available_if
from ._types import (
    ActivationParam,
    ArrayLike,
    BatchSizeParam,
    CallbackParam,
    ClassWeightParam,
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
from .docstrings import CLASSIFIER_DOC, substitute
from .fitting import transaction
from .params import LOSS_OBJECT, loss_names

__all__ = ["FCNNClassifier"]


def _balanced_weights(Y, sample_weight):
    r"""Per-sample weights of ``class_weight='balanced'``, counting weighted samples.

    Class :math:`c` gets :math:`W / (K\, W_c)`, with :math:`W` the total sample
    weight, :math:`W_c` that of class :math:`c` and :math:`K` the number of
    classes, so a sample of weight :math:`k` counts as :math:`k` repeated rows
    (scikit-learn's ``compute_class_weight`` with ``sample_weight``).  ``Y`` is
    the encoded target (one 0/1 column for two classes, one-hot otherwise).
    """
    if Y.shape[1] == 1:
        Y = np.hstack([1.0 - Y, Y])
    weight = np.ones(Y.shape[0]) if sample_weight is None else sample_weight
    class_totals = weight @ Y
    per_class = np.divide(weight.sum(), Y.shape[1] * class_totals,
                          out=np.zeros_like(class_totals), where=class_totals > 0)
    return Y @ per_class


#: The classifier's ``'log_loss'`` is the cross-entropy of its output: the multiclass
#: one after softmax, the per-label (binary) one after the logistic output.
_LOGISTIC_FORM = {"log_loss": "binary_log_loss"}

#: The target types scikit-learn's ``check_classification_targets`` accepts.
_CLASSIFICATION_TARGETS = frozenset({"binary", "multiclass", "multiclass-multioutput",
                                     "multilabel-indicator", "multilabel-sequences"})


#: Label dtypes whose type of target is decided by their number of distinct values
#: alone (bool, integers, str): ``type_of_target`` finds exactly that.
_LABEL_KINDS = frozenset("biuU")


def _classification_target_type(y):
    """``(type_of_target(y), labels)``: the type computed once, and for a column of bool,
    integer or string labels their sorted distinct values, found directly (what
    ``type_of_target`` decides from: "binary" for at most two, else "multiclass"; it
    costs 100 us on 100 labels, a sixth of a small ``partial_fit``), else ``None``.
    Any other type raises scikit-learn's own error."""
    if isinstance(y, np.ndarray) and y.ndim == 1 and y.dtype.kind in _LABEL_KINDS:
        labels = np.unique(y)
        return ("binary" if labels.size <= 2 else "multiclass"), labels
    y_type = type_of_target(y, input_name="y")
    if y_type not in _CLASSIFICATION_TARGETS:
        check_classification_targets(y)  # raises, with scikit-learn's message
    return y_type, None


def _weighted_mean(values, sample_weight):
    return float(np.average(values, weights=sample_weight))



class FCNNClassifier(ClassifierMixin, BaseFCNN):
    __doc__ = CLASSIFIER_DOC

    _parameter_constraints: dict = {
        **BaseFCNN._parameter_constraints,
        "loss": [loss_names(classifier=True), LOSS_OBJECT],
        "class_weight": [dict, StrOptions({"balanced"}), None],
    }

    def __init__(
        self,
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
        loss: LossParam = "log_loss",
        class_weight: ClassWeightParam = None,
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
        input_steps: InputStepsParam = None,
    ) -> None:
        _store_params(self, locals())

    def _is_multilabel(self):
        return self._y_type == "multilabel-indicator"

    def _setup_labels(self, y, y_type=None, labels=None):
        """``classes_``, the output layer and the loss for targets ``y``.

        Labels of one column need only their sorted unique values (what
        ``LabelBinarizer`` would find, at a third of its cost: this is most of a
        small fit's fixed overhead); other targets are fitted by a binarizer.
        ``y_type`` is ``type_of_target(y)`` and ``labels`` the sorted distinct labels
        when the caller already has them.
        """
        self._y_type = type_of_target(y, input_name="y") if y_type is None else y_type
        if self._y_type in ("binary", "multiclass") and y.ndim == 1 and y.dtype != object:
            self._label_binarizer = None
            self.classes_ = np.unique(y) if labels is None else labels
        else:
            self._label_binarizer = LabelBinarizer().fit(y)
            self.classes_ = self._label_binarizer.classes_
            self._y_type = self._label_binarizer.y_type_
        self.out_activation_ = "softmax" if self._y_type == "multiclass" else "logistic"

    def _set_loss(self):
        """The loss of this call (``loss`` may have changed since the labels were set):
        ``loss`` itself, or for a name its form for the logistic output of binary and
        multilabel targets (:data:`_LOGISTIC_FORM`); it must suit the output.  A loss
        object with ``for_output`` is bound to the output (label smoothing's :math:`K`)."""
        loss = self.loss
        if isinstance(loss, str) and self.out_activation_ == "logistic":
            loss = _LOGISTIC_FORM.get(loss, loss)
        check_loss_output(loss, self.out_activation_)
        if not isinstance(loss, str) and callable(getattr(loss, "for_output", None)):
            loss = loss.for_output(self.out_activation_)
        self._loss_name = loss

    def _validate_targets(self, X, y, sample_weight, reset, validation=False, with_type=False):
        """Validated ``X, y, sample_weight`` (and ``type_of_target(y)`` with ``with_type``)."""
        X, y, sample_weight = self._validate_X_y(
            X, y, sample_weight, reset, input_name="X_val" if validation is True else "X")
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        y_type, labels = _classification_target_type(y)
        if with_type:
            return X, y, sample_weight, y_type, labels
        if validation and not self._is_multilabel():
            unknown = np.setdiff1d(unique_labels(y) if labels is None else labels,
                                   self.classes_, assume_unique=True)
            if unknown.size:
                name = validation if isinstance(validation, str) else "y_val"
                raise ValueError(f"{name} has classes not in the training labels: "
                                 f"{unknown.tolist()!r}; allowed are {self.classes_.tolist()!r}.")
        return X, y, sample_weight

    def _class_weights(self, y, sample_weight):
        """``sample_weight`` times the weight of each sample's class."""
        if self.class_weight is None:
            return sample_weight
        if self._is_multilabel():
            raise ValueError("class_weight is not supported for multilabel targets; got "
                             f"class_weight={self.class_weight!r}.")
        if self.class_weight == "balanced":
            weights = _balanced_weights(self._encode(y), sample_weight)
        else:
            unknown = [c for c in self.class_weight if c not in set(self.classes_.tolist())]
            bad = {c: w for c, w in self.class_weight.items()
                   if not (isinstance(w, Real) and np.isfinite(w) and w >= 0)}
            if bad:
                raise ValueError(f"class_weight must give each class a finite weight >= 0; "
                                 f"got {bad!r} in class_weight={self.class_weight!r}.")
            if unknown:
                raise ValueError(f"class_weight names classes {unknown!r} that are not in "
                                 f"classes_={self.classes_.tolist()!r}.")
            weights = np.ones(len(y))
            for label, weight in self.class_weight.items():
                weights[y == label] = weight
        return weights if sample_weight is None else sample_weight * weights

    def _encode(self, y):
        """One-hot (multiclass), one 0/1 column (binary) or the indicator matrix.

        Labels of ``classes_`` (sorted) are located with a binary search, which
        is what ``LabelBinarizer.transform`` computes without its per-call
        target checks; anything else (multilabel, one class, unknown labels)
        goes through the binarizer.
        """
        classes = self.classes_
        if not self._is_multilabel() and len(classes) > 1 and y.ndim == 1:
            index = np.minimum(np.searchsorted(classes, y), len(classes) - 1)
            if np.array_equal(classes[index], y):
                if len(classes) == 2:
                    return index.astype(np.float64)[:, np.newaxis]
                Y = np.zeros((len(y), len(classes)))
                Y[np.arange(len(y)), index] = 1.0
                return Y
        return self._binarizer().transform(y).astype(np.float64, copy=False)

    def _binarizer(self):
        """The fitted ``LabelBinarizer`` (fitted on ``classes_`` when not needed before)."""
        if self._label_binarizer is None:
            self._label_binarizer = LabelBinarizer().fit(self.classes_)
        return self._label_binarizer

    def _validation_score(self, network, X, Y, sample_weight):
        """Accuracy (subset accuracy for multilabel) on encoded targets."""
        out = network.predict(X)
        if out.shape[1] > 1 and not self._is_multilabel():
            right = out.argmax(axis=1) == Y.argmax(axis=1)
        else:
            right = np.all((out > 0.5) == (Y > 0.5), axis=1)
        return _weighted_mean(right, sample_weight)

    @transaction
    @_fit_context(prefer_skip_nested_validation=True)
    @substitute
    def fit(self, X: ArrayLike, y: ArrayLike, sample_weight: ArrayLike | None = None, *,
            X_val: ArrayLike | None = None, y_val: ArrayLike | None = None,
            sample_weight_val: ArrayLike | None = None) -> Self:
        """Fit the model to data ``X`` and labels ``y``.

        Parameters
        ----------
        %(X_fit)s
        y : array-like of shape (n_samples,) or (n_samples, n_labels)
            Class labels (strings or integers), or a label-indicator matrix
            for multilabel classification.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weight of each sample in the loss (multiplied by
            ``class_weight``).
        %(validation_set)s

        Returns
        -------
        self : FCNNClassifier
            The fitted estimator.
        """
        warm = self.warm_start and hasattr(self, "_network")
        X, y, sample_weight, y_type, labels = self._validate_targets(
            X, y, sample_weight, reset=not warm, with_type=True)
        if warm:
            classes = unique_labels(y) if labels is None else labels
            if set(classes) != set(self.classes_):
                raise ValueError(
                    "warm_start can only be used where `y` has the same classes as in "
                    f"the previous call to fit. Previously got {self.classes_}, `y` has "
                    f"{classes}."
                )
        else:
            self._setup_labels(y, y_type, labels)
        self._set_loss()
        validation_set = self._validate_validation_set(X, X_val, y_val, sample_weight_val)
        sample_weight = self._class_weights(y, sample_weight)
        return self._fit(X, self._encode(y), sample_weight, incremental=False,
                         validation_set=validation_set, y=y)

    @available_if(_check_stochastic)
    @transaction
    @_fit_context(prefer_skip_nested_validation=True)
    @substitute
    def partial_fit(self, X: ArrayLike, y: ArrayLike, sample_weight: ArrayLike | None = None,
                    classes: ArrayLike | None = None) -> Self:
        """Run exactly one epoch of training over ``X``, ``y``.

        Parameters
        ----------
        %(X_fit)s
        y : array-like of shape (n_samples,) or (n_samples, n_labels)
            Class labels, all among ``classes`` (first call) or ``classes_``.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weight of each sample in the loss.
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
                "classes must be passed on the first call to partial_fit: got "
                "classes=None; pass every label that can appear, e.g. "
                "classes=np.unique(y_all)."
            )
        X, y, sample_weight, y_type, labels = self._validate_targets(
            X, y, sample_weight, reset=first, with_type=True)
        if first:
            if y_type == "multilabel-indicator":
                self._setup_labels(y, y_type)
            else:
                self._setup_labels(unique_labels(classes))
        elif classes is not None and not np.array_equal(unique_labels(classes), self.classes_):
            raise ValueError(
                f"classes={np.asarray(classes).tolist()!r} differs from "
                f"classes_={self.classes_.tolist()!r} of the earlier calls to partial_fit."
            )
        if not self._is_multilabel():
            unknown = np.setdiff1d(unique_labels(y) if labels is None else labels,
                                   self.classes_, assume_unique=True)
            if unknown.size:
                raise ValueError(
                    f"`y` has classes not in `self.classes_`: {unknown.tolist()!r}; "
                    f"allowed are {self.classes_.tolist()!r}."
                )
        self._set_loss()
        sample_weight = self._class_weights(y, sample_weight)
        return self._fit(X, self._encode(y), sample_weight, incremental=True, y=y)

    @substitute
    def predict_proba(self, X: ArrayLike) -> FloatArray:
        """Probability of each class.

        Parameters
        ----------
        %(X_predict)s

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Rows sum to 1 (for multilabel: each label's own probability);
            columns follow ``classes_``.  One column when there is one class.
        """
        if getattr(getattr(self, "_network", None), "n_members", 1) > 1:
            proba = self._members_proba(X)  # the members' mean probabilities
        else:
            logits = self._forward(X, raw_output=True)
            if len(self.classes_) == 1:
                return np.ones_like(logits)
            if self._is_multilabel():  # each label's probability, strictly inside (0, 1)
                return np.clip(expit(logits), np.finfo(logits.dtype).tiny,
                               1 - np.finfo(logits.dtype).eps)
            if logits.shape[1] == 1:  # expit(-z), not 1 - expit(z): exact for large z
                proba = np.hstack([expit(-logits), expit(logits)])
            else:
                proba = softmax(logits)
        # a probability that underflows is reported as the smallest normal
        # number, never 0, so that predict_log_proba stays finite
        return np.maximum(proba, np.finfo(proba.dtype).tiny, out=proba)

    def _members_proba(self, X):
        """An ensemble's (:class:`~skfcnn.nn.EnsembleInput`) probabilities: the mean of
        its members', what :meth:`predict` decides from."""
        mean = self._forward(X)
        if len(self.classes_) == 1:
            return np.ones_like(mean)
        if self._is_multilabel():
            return np.clip(mean, np.finfo(mean.dtype).tiny, 1 - np.finfo(mean.dtype).eps)
        return np.hstack([1 - mean, mean]) if mean.shape[1] == 1 else mean

    @substitute
    def predict_log_proba(self, X: ArrayLike) -> FloatArray:
        """Logarithm of each class probability.

        Parameters
        ----------
        %(X_predict)s

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
            ``log(predict_proba(X))``; always finite, since probabilities that
            underflow are reported as the smallest normal number (log about
            -708 in float64) instead of 0.
        """
        return np.log(self.predict_proba(X))

    @substitute
    def predict(self, X: ArrayLike) -> np.ndarray:
        """Most probable class of each sample (each label above 0.5 for multilabel).

        Parameters
        ----------
        %(X_predict)s

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_labels)
            Labels from ``classes_``, or a label-indicator matrix.
        """
        out = self._forward(X)
        if self._is_multilabel():
            return self._binarizer().inverse_transform(out)
        if out.shape[1] > 1:
            return self.classes_[np.argmax(out, axis=1)]
        if len(self.classes_) == 1:
            return np.repeat(self.classes_, out.shape[0])
        return self.classes_[(out[:, 0] > 0.5).astype(np.intp)]  # LabelBinarizer's rule

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = self.class_weight is None
        return tags
