"""``fit`` and ``partial_fit`` as one transaction.

Every check comes first (the parameters, through ``_parameter_constraints``;
the data and the validation set; the callbacks, the schedule and the
optimiser, built from the registries); training then runs on a *new* state
(a fresh network, or a copy of the fitted one for ``warm_start`` and
``partial_fit``, with copies of the optimiser's state, of the record of
training and of the random generators); the fitted attributes change only in
:meth:`FitMixin._commit`, when training ends normally, is interrupted
(``KeyboardInterrupt``: the last finished epoch is kept) or diverges with a
restorable model (the last parameters with a finite loss are kept, and the
error is raised).  Any other error leaves the estimator exactly as it was
before the call (:func:`transaction`).
"""

import copy
import functools
from types import SimpleNamespace

import numpy as np
from sklearn.base import is_classifier
from sklearn.model_selection import train_test_split
from sklearn.utils import check_random_state

from ..nn.input_steps import dense_sizes
from ..nn.losses import get_loss, loss_rule, loss_value
from ..nn.network import PREDICT_CHUNK, Network
from ..nn.transforms import chain
from ..training.lbfgs import train_lbfgs
from ..training.loop import KEPT, DivergenceError, all_finite, train
from ..training.state import TrainingConfig, TrainingState, Validation
from . import checkpoint
from ._input_checks import warn_if_unscaled_features, warn_if_unscaled_target
from ._sklearn_callbacks import SklearnCallbacks
from ._types import Method
from .params import (
    check_callbacks,
    check_hidden_activation,
    hidden_layer_sizes,
    init_state,
    make_optimizer,
    make_schedule,
    make_transforms,
)

__all__ = ["FitMixin", "transaction"]

#: What a divergence error says when no epoch (L-BFGS iteration) of the call finished with a
#: finite loss: the checkpoint then holds only the starting point, which trained on nothing.
NOTHING_TRAINED = ("no iteration of this call finished with a finite loss, so the estimator "
                   "was left as it was before this call")
#: What a divergence error says when no parameters that predict finite values were found.
NOT_KEPT = ("no parameters that give finite predictions were found, so the estimator was "
            "left as it was before this call")


def transaction(method: "Method") -> "Method":
    """``method`` (``fit`` or ``partial_fit``) leaves the estimator as it was when it
    raises, unless it kept a model on purpose (divergence: ``error.model_kept``).

    The estimator's attributes are restored from a shallow copy taken before the
    call: training itself never changes the objects the estimator holds (it
    works on new ones), so the copy is all the earlier model needs.
    """
    @functools.wraps(method)
    def transactional(estimator, *args, **kwargs):
        before = dict(vars(estimator))
        try:
            return method(estimator, *args, **kwargs)
        except BaseException as error:
            if not getattr(error, "model_kept", False):
                vars(estimator).clear()
                vars(estimator).update(before)
            raise
    return transactional  # type: ignore[return-value]  # functools.wraps keeps it


class _Fit:
    """The state one call trains: committed to the estimator only when training ends.

    The network, the optimiser's state and the record are new objects (copies
    when training goes on); the random generators of ``partial_fit`` go on
    being the estimator's own, so their state is saved for :meth:`rewind`
    (copying a ``RandomState`` costs several times more).
    """

    def __init__(self, network, optimizer, optimizer_state, state, rng, mask_rng,
                 shared_rngs=False):
        self.network, self.optimizer, self.optimizer_state = network, optimizer, optimizer_state
        self.state, self.rng, self.mask_rng = state, rng, mask_rng
        self.saved = None
        if shared_rngs:
            mask_state = None if mask_rng is None else mask_rng.bit_generator.state
            self.saved = (rng.get_state(), mask_state)

    def rewind(self):
        """Put the estimator's own generators back as they were before this call."""
        if self.saved is not None:
            self.rng.set_state(self.saved[0])
            if self.mask_rng is not None and self.saved[1] is not None:
                self.mask_rng.bit_generator.state = self.saved[1]


class FitMixin:
    """The fitting steps the classifier and the regressor share."""

    @property
    def _loss(self):
        """The loss object of the fitted (or being fitted) model, from ``_loss_name``.

        ``_loss_name`` is what is pickled: the loss as the fit resolved it, a
        registered name (as in 0.1.0's files) or the (configured) loss object;
        every rule of the loss is read from this object
        (:func:`~skfcnn.nn.losses.loss_rule`), never from its name."""
        return get_loss(self._loss_name)

    def _network_options(self):
        """Keyword arguments of ``Network`` that differ from plain dense layers."""
        options = {}
        if isinstance(self.dropout, (list, tuple)) or self.dropout > 0:
            options["dropout"] = self.dropout
        if self.batch_norm:
            options["batch_norm"] = True
        return options

    def _layer_sizes(self, X, Y):
        return (X.shape[1], *hidden_layer_sizes(self.hidden_layer_sizes), Y.shape[1])

    def _new_network(self, X, Y, rng):
        """A network drawn from ``rng`` for the current parameters and data."""
        sizes = self._layer_sizes(X, Y)
        activation = check_hidden_activation(self.activation, len(sizes) - 2)
        input_steps = tuple(self.input_steps or ())
        try:
            dense_sizes(sizes, input_steps)
        except ValueError as error:
            raise ValueError(f"input_steps={self.input_steps!r} cannot take the {sizes[0]} "
                             f"features of X: {error}") from None
        network = Network(sizes, activation, self.out_activation_, X.dtype,
                          input_steps=input_steps, **self._network_options())
        init = {} if self.init == "glorot_uniform" and self.init_scale is None \
            else {"init": self.init, "scale": self.init_scale}
        return network.initialize(rng, **init)

    def _warm_network(self, X, Y, incremental=False):
        """A copy of the fitted network, checked against the data and reconfigured."""
        fitted = self._network
        sizes = self._layer_sizes(X, Y)
        if sizes != fitted.layer_sizes:
            caller = "partial_fit" if incremental else "warm_start=True"
            what = "the data and hidden_layer_sizes" + (
                " (and quantile: one output per level)" if hasattr(self, "quantile") else "")
            raise ValueError(
                f"{caller} needs the same layer sizes as the fitted model: it has "
                f"{fitted.layer_sizes}, {what} give {sizes}. "
                + ("Call fit to start again." if incremental
                   else "Set warm_start=False to refit.")
            )
        if self.out_activation_ != fitted.output_activation:
            raise ValueError(
                f"warm_start=True needs the same output as the fitted model: it has "
                f"{fitted.output_activation!r}, the parameters now (loss={self.loss!r}) "
                f"give {self.out_activation_!r}. Set warm_start=False to refit."
            )
        self._check_kept_options(fitted)
        network = fitted.copy()
        self._apply_changed_options(network)
        return network

    def _check_kept_options(self, fitted):
        """A warm start or ``partial_fit`` keeps the fitted ``batch_norm`` and ``input_steps``
        (they decide the parameters' layout)."""
        kept = {"batch_norm": (bool(self.batch_norm), fitted.batch_norm),
                "input_steps": (tuple(self.input_steps or ()), fitted.input_steps)}
        for name, (given, fitted_value) in kept.items():
            if given != fitted_value:
                shown = list(fitted_value) if name == "input_steps" else fitted_value
                raise ValueError(
                    f"warm_start=True and partial_fit need the {name} of the fitted model "
                    f"({shown}); got {name}={getattr(self, name)!r}. Set warm_start=False "
                    "(or call fit) to refit."
                )

    def _apply_changed_options(self, network):
        """A changed ``activation`` or ``dropout`` takes effect on the continued network,
        as scikit-learn's MLP uses its current ``activation`` when it continues."""
        activation, dropout = self.activation, self.dropout
        activation = list(activation) if isinstance(activation, (list, tuple)) else activation
        dropout = list(dropout) if isinstance(dropout, (list, tuple)) else dropout
        if activation != network.hidden_activation or dropout != network.dropout:
            check_hidden_activation(activation, network.n_hidden)
            network.configure(activation, dropout)

    def _new_fit(self, X, Y, incremental):
        """The network, optimiser, record and generators this call trains."""
        warm = hasattr(self, "_network") and (self.warm_start or incremental)
        going_on = incremental and hasattr(self, "_rng")
        rng = self._rng if going_on else check_random_state(self.random_state)
        network = self._warm_network(X, Y, incremental) if warm else self._new_network(X, Y, rng)
        mask_rng = getattr(self, "_mask_rng", None) if going_on else None
        new_mask_rng = "dropout" in self._network_options() and mask_rng is None
        if new_mask_rng:
            # masks from NumPy's Generator: it fills a float32 or float64 buffer in
            # place, twice as fast as RandomState; seeded after the initial weights,
            # which are therefore those of the same model without dropout
            mask_rng = np.random.default_rng(rng.randint(np.iinfo(np.int32).max))
        if not warm:
            return _Fit(network, None, None, TrainingState(), rng, mask_rng)
        optimizer_state = copy.deepcopy(getattr(self, "_optimizer_state", None))
        state = self._state.copy()  # without its checkpoints
        if self._state.last_good is not None:  # the last parameters known to give a finite
            state.last_good = self._state.last_good.copy_for(network)  # loss go on too
        return _Fit(network, self._optimizer, optimizer_state, state, rng, mask_rng,
                    shared_rngs=going_on)

    def _fit(self, X, Y, sample_weight, incremental, validation_set=None, y=None):
        """Check, train a new state for one epoch or up to ``max_iter``, then commit.

        The warnings of the data checks and of training are raised from frames at a
        fixed depth below the public method (their ``stacklevel`` points at the
        user's line): keep those calls here.
        """
        self._check_call(incremental, sample_weight)
        stochastic = self.solver != "lbfgs"
        if not incremental or not hasattr(self, "_network"):
            self._warn_if_unscaled(X, Y, stochastic)
        fit, config, optimizer = self._prepare(X, Y, sample_weight, incremental,
                                               validation_set, stochastic)
        X = X.astype(fit.network.dtype, copy=False)
        Y = Y.astype(fit.network.dtype, copy=False)
        extra = self._sklearn_callbacks(X, y, sample_weight, config)
        n_iter_before = fit.state.n_iter
        try:
            if stochastic:
                self._fit_stochastic(fit, optimizer, config, X, Y, sample_weight,
                                     validation_set, extra)
            else:
                self._fit_lbfgs(fit, config, X, Y, sample_weight, extra)
        except DivergenceError as error:
            self._on_divergence(error, fit, X, n_iter_before)
            raise
        except BaseException:
            fit.rewind()
            raise
        self._commit(fit)
        self._end_sklearn_callbacks(extra, X, y)
        return self

    def _check_call(self, incremental, sample_weight):
        """The checks of one call that its parameters alone decide."""
        if incremental and self.early_stopping:
            raise ValueError("partial_fit does not support early_stopping=True; "
                             "pass early_stopping=False or use fit.")
        with np.errstate(over="ignore"):  # an overflowing sum is named just below
            total = None if sample_weight is None else float(sample_weight.sum())
        if total is not None and not total > 0:
            raise ValueError("sample_weight (times class_weight) must have a positive sum.")
        if total is not None and not np.isfinite(total):
            raise ValueError(f"sample_weight (times class_weight) sums to {total!r}: scale "
                             "the weights down (only their ratios matter).")

    def _prepare(self, X, Y, sample_weight, incremental, validation_set, stochastic):
        """``(fit, config, optimizer)``: the state this call trains, with the checkpoint
        to go on from (if any), its complete settings and its optimiser."""
        schedule = make_schedule(self) if stochastic else None
        callbacks = check_callbacks(self.callbacks)
        optimizer = make_optimizer(self) if stochastic else None
        fit = self._new_fit(X, Y, incremental)
        if not incremental:
            fit.state.start_call()
        fit.resume = None
        if not stochastic:
            checkpoint.check_solver(self)
        elif not incremental:  # checkpoints of a fit; and the unfinished one to go on from
            callbacks, fit.resume = checkpoint.bind(
                self, callbacks, fit, (X, Y, sample_weight, *(validation_set or ())))
        return fit, self._training_config(incremental, schedule, callbacks, fit), optimizer

    def _on_divergence(self, error, fit, X, n_iter_before):
        """Commit what trained, or leave the estimator as it was; say which in ``error``."""
        # an epoch (L-BFGS iteration: scipy records non-finite ones too) of this call
        trained = any(map(np.isfinite, fit.state.loss_curve[n_iter_before:]))
        if trained and self._predicts_finite(fit.network, X):
            self._commit(fit)
            error.model_kept = True
        else:  # nothing trained or nothing usable to keep: the estimator stays as it was
            fit.rewind()
            error.args = (error.args[0].replace(KEPT, NOT_KEPT if trained
                                                else NOTHING_TRAINED),)

    def _warn_if_unscaled(self, X, Y, stochastic):
        """:class:`~skfcnn.exceptions.DataScaleWarning` for features far from unit scale
        (any solver), and for a regressor's targets when the output is the identity
        and the solver stochastic (L-BFGS's line search reaches any output scale; an
        exponential output reaches a count of 1000 at 7)."""
        name = type(self).__name__
        warn_if_unscaled_features(X, getattr(self, "feature_names_in_", None), name)
        if stochastic and not is_classifier(self) and self.out_activation_ == "identity":
            warn_if_unscaled_target(Y, name)

    @staticmethod
    def _predicts_finite(network, X):
        """Whether ``network`` predicts finite values on (the first chunk of) ``X``."""
        with np.errstate(all="ignore"):
            return all_finite(network.predict(X[:PREDICT_CHUNK]))

    def _fit_lbfgs(self, fit, config, X, Y, sample_weight, callbacks):
        train_lbfgs(fit.network, X, Y, sample_weight, fit.state, config, callbacks)

    def _training_config(self, incremental, schedule, callbacks, fit):
        """The settings of this call, complete (never changed after): ``schedule`` is
        ``None`` for L-BFGS (full batch, no epochs: its iterations are counted as
        epochs); ``callbacks`` are the checked ones with their checkpoint writers;
        ``fit`` gives the masks' generator and the checkpoint to resume."""
        stochastic = schedule is not None
        restore = self.restore_best_weights
        validating = stochastic and self.early_stopping and not incremental
        training_mode = stochastic and bool(self._network_options())
        return TrainingConfig(
            loss=self._loss_name, alpha=self.alpha, schedule=schedule,
            batch_size=self.batch_size if stochastic else None,
            shuffle=stochastic and self.shuffle,
            max_epochs=1 if incremental else self.max_iter, tol=self.tol,
            n_iter_no_change=self.n_iter_no_change, verbose=int(self.verbose),
            check_convergence=not incremental, monitor=self._monitored(),
            restore_best=stochastic and not incremental and (
                validating if restore == "auto" else restore),
            callbacks=callbacks,
            forward_kwargs={"training": True, "rng": fit.mask_rng} if training_mode else {},
            first_epoch=checkpoint.first_epoch(fit.resume, self.max_iter),
            max_fun=None if stochastic else self.max_fun,
        )

    def _monitored(self):
        """``monitor``, with ``'auto'`` resolved: the loss's own choice (``'loss'``
        for the median, Huber and quantile regressors: the validation R² rewards
        the mean), else ``'score'``, scikit-learn's."""
        if self.monitor != "auto":
            return self.monitor
        return loss_rule(self._loss_name, "monitor")

    def _optimizer_for(self, fit, optimizer):
        """``optimizer`` with its state (the kept one when it is of the same kind), behind
        the gradient transforms of this call (``max_grad_norm``, ``weight_decay``)."""
        if type(fit.optimizer) is not type(optimizer) or fit.optimizer_state is None:
            fit.optimizer_state = init_state(optimizer, fit.network)
        fit.optimizer = optimizer
        steps = make_transforms(self, optimizer)
        if not steps:
            return optimizer, fit.optimizer_state
        states = [init_state(step, fit.network) for step in steps]
        return chain(*steps, optimizer), (*states, fit.optimizer_state)

    def _fit_stochastic(self, fit, optimizer, config, X, Y, sample_weight, validation_set,
                        callbacks):
        validation = None
        if self.early_stopping:
            if validation_set is None:
                X, Y, sample_weight, validation_set = self._split_validation(
                    X, Y, sample_weight, fit.rng)
            X_val, Y_val, w_val = validation_set
            validation = Validation(X_val.astype(X.dtype, copy=False),
                                    Y_val.astype(X.dtype, copy=False), w_val,
                                    self._validation_score, self._validation_loss)
        step, step_state = self._optimizer_for(fit, optimizer)
        order = None
        if fit.resume is not None:  # an unfinished checkpoint of this fit: go on from it
            step_state, order = checkpoint.apply_resume(fit.resume, fit, config, X.shape[0])
        train(fit.network, step, step_state, X, Y, sample_weight, fit.state, config, fit.rng,
              validation, callbacks, order)

    def _split_validation(self, X, Y, sample_weight, rng):
        """Hold out ``validation_fraction`` of the rows (stratified for single-label classes)."""
        stratify = None
        if is_classifier(self) and not self._is_multilabel():  # class labels, not the
            # one-hot rows, which scikit-learn would join into one string per row
            stratify = Y[:, 0] if Y.shape[1] == 1 else Y.argmax(axis=1)
        n_val = int(np.ceil(self.validation_fraction * X.shape[0]))  # train_test_split's rule
        needed = 2 if stratify is None else max(2, Y.shape[1] if Y.shape[1] > 1 else 2)
        if stratify is not None and np.unique(stratify, return_counts=True)[1].min() < 2:
            # a class of one sample: the split's own error, word for word scikit-learn's
            # MLP's, which stratifies two classes on its label column as strings
            labels = (stratify > 0.5).astype(str) if Y.shape[1] == 1 else stratify
            train_test_split(X, stratify=labels, test_size=self.validation_fraction)
        if n_val < needed:
            raise ValueError(
                f"The validation set is too small ({n_val} sample(s), at least {needed} "
                f"needed): increase validation_fraction={self.validation_fraction} or the "
                "size of the data."
            )
        arrays = [X, Y] if sample_weight is None else [X, Y, sample_weight]
        parts = train_test_split(*arrays, random_state=rng,
                                 test_size=self.validation_fraction, stratify=stratify)
        w_train, w_val = (parts[4], parts[5]) if sample_weight is not None else (None, None)
        return parts[0], parts[2], w_train, (parts[1], parts[3], w_val)

    def _validation_loss(self, network, X, Y, sample_weight):
        """Mean loss of the held-out set (without the L2 penalty)."""
        with np.errstate(over="ignore", invalid="ignore"):
            value = loss_value(self._loss_name, Y, network.predict(X), sample_weight)
        return value if np.isfinite(value) else np.inf

    def _training_problem(self, X, y, sample_weight=None):
        """What the fitted model's training minimises on ``(X, y)``: its network, the
        encoded targets, the sample (times class) weights, the loss and ``alpha``,
        and whether the network trains in another mode than it predicts."""
        X, y, sample_weight = self._validate_targets(X, y, sample_weight, reset=False,
                                                     validation="y")
        if hasattr(self, "_class_weights"):
            sample_weight = self._class_weights(y, sample_weight)
        return SimpleNamespace(network=self._network, X=X, Y=self._encode(y),
                               sample_weight=sample_weight, loss=self._loss_name,
                               alpha=self.alpha, training_mode=bool(self._network_options()))

    # -- the commit --------------------------------------------------------------------
    def _model_attributes(self, network):
        """The fitted attributes of a model that predicts with ``network``."""
        return {"_network": network, "n_outputs_": network.layer_sizes[-1],
                "n_layers_": len(network.layer_sizes)}

    def _commit(self, fit):
        """The trained state becomes the estimator's fitted model (without buffers
        larger than a prediction chunk: L-BFGS's hold every training row)."""
        fit.network.release_buffers(PREDICT_CHUNK)
        vars(self).update(self._model_attributes(fit.network))
        self._optimizer, self._optimizer_state = fit.optimizer, fit.optimizer_state
        self._state, self._rng, self._mask_rng = fit.state, fit.rng, fit.mask_rng
        self._publish_state()

    def _publish_state(self):
        state = self._state
        self.loss_curve_ = list(state.loss_curve)
        self.loss_ = state.loss_curve[-1] if state.loss_curve else np.nan
        self.n_iter_ = state.n_iter - state.fit_start  # scikit-learn's: of the last fit
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

    # -- scikit-learn's callback API -----------------------------------------------------
    def _sklearn_callbacks(self, X, y, sample_weight, config):
        """The bridge to callbacks set with ``set_callbacks`` (none: an empty tuple)."""
        if not getattr(self, "_skl_callbacks", None):
            return ()
        stochastic = config.schedule is not None  # L-BFGS: iterations, one more begun
        n_subtasks = config.max_epochs if stochastic else self.max_iter + 1
        context = self._init_callback_context(max_subtasks=n_subtasks)
        metadata = None if sample_weight is None else {"sample_weight": sample_weight}
        context.call_on_fit_task_begin(estimator=self, X=X, y=y, metadata=metadata)
        task_name = "epoch" if stochastic else "iteration"
        return (SklearnCallbacks(self, context, X, y, metadata, self._model_attributes,
                                 task_name),)

    def _end_sklearn_callbacks(self, extra, X, y):
        for bridge in extra:
            bridge.context.call_on_fit_task_end(
                estimator=self, X=X, y=y, metadata=bridge.data["metadata"],
                reconstruction_attributes=lambda: self._model_attributes(self._network))
