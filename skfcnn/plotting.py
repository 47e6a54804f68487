"""Plots of how a fitted estimator trained: :class:`LossCurveDisplay`.

An optional integration: importing this module needs scikit-learn but not
matplotlib (without it, drawing raises an ``ImportError`` naming the ``plot``
extra); where matplotlib is installed, its ``Axes`` class is imported with
the module, so that ``typing.get_type_hints`` resolves the annotations.  The
display follows scikit-learn's visualisation API (the constructor stores the
curves, :meth:`~LossCurveDisplay.plot` draws them,
:meth:`~LossCurveDisplay.from_estimator` reads them from a fitted model).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
from sklearn.base import BaseEstimator, is_classifier
from sklearn.pipeline import Pipeline
from sklearn.utils.validation import check_is_fitted

from .estimators.base import BaseFCNN
from .nn._optional import import_optional

if TYPE_CHECKING:
    from matplotlib.axes import Axes
else:  # the annotations' name at run time too (typing.get_type_hints), where installed
    try:
        from matplotlib.axes import Axes
    except ImportError:  # drawing then names the plot extra (import_optional)
        Axes = Any

__all__ = ["LossCurveDisplay"]

#: The validation curve to draw (``plot``'s ``validation``).
Validation = Literal["auto", "score", "loss"] | None

#: What ``validation`` may be in :meth:`LossCurveDisplay.plot`.
VALIDATION_OPTIONS = ("auto", "score", "loss", None)


def _fitted_model(estimator):
    """The fitted skfcnn estimator in ``estimator`` (itself, or a Pipeline's last step)."""
    model = estimator[-1] if isinstance(estimator, Pipeline) else estimator
    if not isinstance(model, BaseFCNN):
        where = "" if model is estimator else f" (the last step of the Pipeline {estimator!r})"
        raise TypeError(
            f"estimator must be an FCNNClassifier or an FCNNRegressor, or a Pipeline whose "
            f"last step is one; got {model!r}{where}."
        )
    check_is_fitted(model)
    return model


def _best_epoch(estimator):
    r"""The epoch whose parameters a fitted estimator holds because training restored
    them (``restore_best_weights``), and whether there is one.

    With ``early_stopping`` it is the first epoch :math:`e` of the last ``fit``
    call with the best validation score :math:`s_e` (or, when the resolved
    monitor is the loss: ``monitor='loss'``, or ``'auto'`` for the losses that
    choose it, the lowest validation loss :math:`v_e`); without a validation set
    and with ``restore_best_weights=True``, that of the lowest training
    objective :math:`J_e` of the call:

    .. math::

        e^\star = \operatorname*{arg\,max}_{e \in \text{last fit}} s_e
        \quad\text{or}\quad
        e^\star = \operatorname*{arg\,min}_{e \in \text{last fit}} v_e
        \quad\text{or}\quad
        e^\star = \operatorname*{arg\,min}_{e \in \text{last fit}} J_e.

    Training records it when it restores it (``_state.restored_epoch``); an
    epoch trained since (a ``partial_fit``, a warm start) or a call that
    restored nothing (``'lbfgs'``, ``restore_best_weights=False``) leaves none.

    Parameters
    ----------
    estimator : FCNNClassifier, FCNNRegressor or Pipeline
        A fitted estimator, or a Pipeline whose last step is one.

    Returns
    -------
    epoch : int or None
        1-based position in ``loss_curve_``; ``None`` when nothing was restored.
    restored : bool
        Whether an epoch was restored (``epoch is not None``).
    """
    epoch = getattr(_fitted_model(estimator)._state, "restored_epoch", None)
    return epoch, epoch is not None


class LossCurveDisplay:
    """The training loss per epoch, the validation curve and the best epoch.

    It is recommended to use :meth:`from_estimator` to create a
    ``LossCurveDisplay``; the constructor stores its parameters as attributes
    and :meth:`plot` draws them.  The training loss is drawn against the
    epoch (from 1) on ``ax_``; the validation loss, when drawn, on the same
    axis (one scale for both losses); the validation score, when drawn, on a
    second y axis ``ax2_`` sharing the x axis; the best epoch as a vertical
    line.

    Parameters
    ----------
    loss_curve : array-like of shape (n_epochs,)
        Training objective of each epoch (``loss_curve_``).
    validation_scores : array-like of shape (n_validated,), default=None
        Validation score of each validated epoch (``validation_scores_``).
        A curve shorter than ``loss_curve`` belongs to its last epochs.
    validation_loss_curve : array-like of shape (n_validated,), default=None
        Validation loss of each validated epoch (``validation_loss_curve_``),
        aligned like ``validation_scores``.
    best_epoch : int, default=None
        The 1-based epoch to mark (``None``: none; :meth:`from_estimator`
        gives one only when the model holds that epoch's parameters).
    best_restored : bool, default=False
        Whether the fitted model holds the parameters of ``best_epoch`` (early
        stopping restored them); the legend says so.
    monitor : {'score', 'loss'}, default='score'
        The validation quantity the best epoch was chosen by, which
        ``validation='auto'`` draws.
    score_name : str, default=None
        Name of the validation score on its axis (``'accuracy'``, ``'R²'``);
        ``None`` says "score".
    unit : {'epoch', 'iteration'}, default='epoch'
        What one entry of ``loss_curve`` is (an iteration for ``'lbfgs'``): the
        x axis label.
    estimator_name : str, default=None
        The title (``None``: no title).

    Attributes
    ----------
    ax_ : matplotlib Axes
        Axes with the training loss, the validation loss when it is drawn, and
        the best-epoch line.
    ax2_ : matplotlib Axes or None
        The second y axis (``ax_.twinx()``) with the validation score; ``None``
        when no validation score is drawn.
    figure_ : matplotlib Figure
        Figure containing the axes.
    lines_ : dict of str to matplotlib Line2D or None
        ``'loss'``: the training loss (on ``ax_``); ``'validation'``: the
        validation loss (on ``ax_``) or score (on ``ax2_``), or ``None``;
        ``'best'``: the vertical line at the best epoch (on ``ax_``) or ``None``.

    See Also
    --------
    sklearn.model_selection.LearningCurveDisplay : Scores against the training set size.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> from sklearn.datasets import load_digits
    >>> from skfcnn import FCNNClassifier, LossCurveDisplay
    >>> X, y = load_digits(return_X_y=True)
    >>> clf = FCNNClassifier(early_stopping=True, random_state=0).fit(X / 16, y)
    >>> display = LossCurveDisplay.from_estimator(clf)
    >>> sorted(display.lines_)
    ['best', 'loss', 'validation']
    >>> plt.show()
    """

    def __init__(self, *, loss_curve: Sequence[float],
                 validation_scores: Sequence[float] | None = None,
                 validation_loss_curve: Sequence[float] | None = None,
                 best_epoch: int | None = None, best_restored: bool = False,
                 monitor: Literal["score", "loss"] = "score", score_name: str | None = None,
                 unit: Literal["epoch", "iteration"] = "epoch",
                 estimator_name: str | None = None) -> None:
        self.loss_curve = loss_curve
        self.validation_scores = validation_scores
        self.validation_loss_curve = validation_loss_curve
        self.best_epoch = best_epoch
        self.best_restored = best_restored
        self.monitor = monitor
        self.score_name = score_name
        self.unit = unit
        self.estimator_name = estimator_name

    @classmethod
    def from_estimator(cls, estimator: BaseEstimator, *, ax: Axes | None = None,
                       validation: Validation = "auto", log_scale: bool = False,
                       mark_best: bool = True, loss_kw: dict | None = None,
                       validation_kw: dict | None = None,
                       best_kw: dict | None = None) -> LossCurveDisplay:
        """Plot the loss curve of a fitted estimator.

        Reads ``loss_curve_``, ``validation_scores_`` and
        ``validation_loss_curve_`` (``None`` unless early stopping ran),
        ``n_iter_``, ``monitor`` (resolved: ``'auto'`` is the loss for
        ``absolute_error``, ``huber`` and ``quantile``) and
        ``restore_best_weights``.  The best epoch is marked only when the
        model holds its parameters, restored at the end of the last ``fit``:
        with early stopping (``restore_best_weights='auto'`` or ``True``) the
        epoch of the best validation score, or of the lowest validation loss
        when the loss is monitored; without a validation set and
        ``restore_best_weights=True``, that of the lowest training objective.
        Nothing was restored otherwise (``'lbfgs'``, ``partial_fit``,
        ``restore_best_weights=False``, or ``'auto'`` without early
        stopping): no line is drawn.

        Parameters
        ----------
        estimator : FCNNClassifier, FCNNRegressor or Pipeline
            A fitted estimator, or a fitted Pipeline whose last step is one
            (its last step is plotted).
        ax : matplotlib Axes, default=None
            Axes to draw on (a validation score goes on ``ax.twinx()``);
            ``None`` creates a figure and axes.
        validation : {'auto', 'score', 'loss'} or None, default='auto'
            The validation curve to draw: ``'auto'`` the one ``monitor``
            (resolved) watched when the estimator has one (nothing
            otherwise), ``'score'`` or ``'loss'`` that one (a ``ValueError``
            when it is missing), ``None`` none.
        log_scale : bool, default=False
            Logarithmic y axis for the losses (the training loss, and the
            validation loss when it is drawn).
        mark_best : bool, default=True
            Draw a vertical line at the best epoch.
        loss_kw, validation_kw, best_kw : dict, default=None
            Keyword arguments of ``ax.plot`` for the training loss and the
            validation curve, and of ``ax.axvline`` for the best epoch.

        Returns
        -------
        display : LossCurveDisplay
            The display, drawn.

        Raises
        ------
        TypeError
            When ``estimator`` is not an skfcnn estimator (or a Pipeline ending
            in one).
        sklearn.exceptions.NotFittedError
            When it is not fitted.
        ValueError
            When ``validation`` asks for a curve the estimator does not have.
        """
        import_optional("matplotlib", f"{cls.__name__}.from_estimator", extra="plot")
        model = _fitted_model(estimator)
        epoch, restored = _best_epoch(model)
        display = cls(
            loss_curve=list(model.loss_curve_), validation_scores=model.validation_scores_,
            validation_loss_curve=model.validation_loss_curve_,
            best_epoch=epoch if restored else None, best_restored=restored,
            monitor=model._monitored(),
            score_name="accuracy" if is_classifier(model) else "R²",
            unit="iteration" if model.solver == "lbfgs" else "epoch",
            estimator_name=type(model).__name__,
        )
        return display.plot(ax=ax, validation=validation, log_scale=log_scale,
                            mark_best=mark_best, loss_kw=loss_kw, validation_kw=validation_kw,
                            best_kw=best_kw)

    def _validation_curve(self, validation):
        """``(kind, values)`` of the validation curve to draw (``(None, None)``: none)."""
        if validation not in VALIDATION_OPTIONS:
            raise ValueError(f"validation must be one of 'auto', 'score', 'loss' or None; "
                             f"got {validation!r}.")
        curves = {"score": self.validation_scores, "loss": self.validation_loss_curve}
        if validation == "auto":
            order = ("loss", "score") if self.monitor == "loss" else ("score", "loss")
            validation = next((kind for kind in order if curves[kind] is not None), None)
        if validation is None:
            return None, None
        if curves[validation] is None:
            attribute = "validation_scores" if validation == "score" else "validation_loss_curve"
            raise ValueError(
                f"validation={validation!r} needs a validation {validation} curve, but "
                f"{attribute} is None (the estimator was fitted without early_stopping); "
                "pass validation='auto' or None, or fit with early_stopping=True."
            )
        return validation, np.asarray(curves[validation], dtype=float)

    def _check_lengths(self, n_epochs, validation_values):
        if validation_values is not None and validation_values.size > n_epochs:
            raise ValueError(f"The validation curve has {validation_values.size} entries, more "
                             f"than loss_curve ({n_epochs}); it may have at most as many.")
        best = self.best_epoch
        if best is not None and not 1 <= best <= n_epochs:
            raise ValueError(f"best_epoch must be an {self.unit} from 1 to {n_epochs} (the "
                             f"length of loss_curve) or None; got {best!r}.")

    def plot(self, ax: Axes | None = None, *, validation: Validation = "auto",
             log_scale: bool = False, mark_best: bool = True, loss_kw: dict | None = None,
             validation_kw: dict | None = None, best_kw: dict | None = None) -> LossCurveDisplay:
        """Draw the curves.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Axes to draw on (a validation score goes on ``ax.twinx()``);
            ``None`` creates a figure and axes.
        validation : {'auto', 'score', 'loss'} or None, default='auto'
            The validation curve to draw: ``'auto'`` the ``monitor`` one when
            it is given, else the other one when given, else none; ``'score'``
            or ``'loss'`` that one (a ``ValueError`` when it is ``None``);
            ``None`` none.
        log_scale : bool, default=False
            Logarithmic y axis for the losses (the training loss, and the
            validation loss when it is drawn).
        mark_best : bool, default=True
            Draw a vertical line at ``best_epoch`` (when it is not ``None``).
        loss_kw, validation_kw, best_kw : dict, default=None
            Keyword arguments of ``ax.plot`` for the training loss and the
            validation curve, and of ``ax.axvline`` for the best epoch.

        Returns
        -------
        display : LossCurveDisplay
            This display, with ``ax_``, ``ax2_``, ``figure_`` and ``lines_``.
        """
        import_optional("matplotlib", f"{type(self).__name__}.plot", extra="plot")
        import matplotlib.pyplot as plt
        from matplotlib.ticker import MaxNLocator

        loss = np.asarray(self.loss_curve, dtype=float)
        kind, values = self._validation_curve(validation)
        self._check_lengths(loss.size, values)
        if ax is None:
            _, ax = plt.subplots()
        epochs = np.arange(1, loss.size + 1)
        (loss_line,) = ax.plot(epochs, loss, **{"label": "training loss", "color": "C0",
                                                **(loss_kw or {})})
        self.lines_ = {"loss": loss_line, "validation": None, "best": None}
        self.ax_, self.ax2_, self.figure_ = ax, None, ax.figure
        if kind is not None:
            self._plot_validation(kind, values, loss.size, validation_kw)
        if mark_best and self.best_epoch is not None:
            self.lines_["best"] = ax.axvline(self.best_epoch, **self._best_style(best_kw))
        ax.set_xlabel(self.unit)
        ax.set_ylabel("loss" if kind == "loss" else "training loss")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        if log_scale:
            ax.set_yscale("log")
        if self.estimator_name is not None:
            ax.set_title(self.estimator_name)
        handles = [line for line in self.lines_.values() if line is not None]
        # the top axes hold the legend (else the validation curve hides it); its "best"
        # place would see only their own line, and between a falling loss and a rising
        # score the middle right is usually free
        (self.ax2_ or ax).legend(handles=handles, labels=[h.get_label() for h in handles],
                                 loc="best" if self.ax2_ is None else "center right")
        return self

    def _plot_validation(self, kind, values, n_epochs, validation_kw):
        """The validation curve aligned with the last epochs: a loss on the training
        loss's axis (the same quantity, one scale), a score on a second y axis."""
        name = "loss" if kind == "loss" else (self.score_name or "score")
        if kind != "loss":
            self.ax2_ = self.ax_.twinx()
            self.ax2_.set_ylabel(f"validation {name}")
        epochs = np.arange(n_epochs - values.size + 1, n_epochs + 1)
        style = {"label": f"validation {name}", "color": "C1", **(validation_kw or {})}
        (self.lines_["validation"],) = (self.ax2_ or self.ax_).plot(epochs, values, **style)

    def _best_style(self, best_kw):
        what = f"best {self.unit}: {self.best_epoch}"
        label = f"{what} (restored)" if self.best_restored else what
        return {"label": label, "color": "0.35", "linestyle": "--", "linewidth": 1,
                **(best_kw or {})}
