"""The estimators' parameters: their constraints and what they build.

Turns validated parameter values into the core's objects (optimiser,
learning-rate schedule, network options) so that :mod:`~skfcnn.estimators.base` only orchestrates.
"""

import inspect
import math
from functools import cache
from numbers import Integral, Real

import numpy as np
from scipy.sparse import issparse

from ..nn import losses, optimizers, schedules, transforms
from ..nn._views import Names
from ..nn.activations import ACTIVATIONS, check_hidden_activations
from ..nn.initializers import INITIALIZERS
from ..nn.input_steps import InputStep
from ..training.callbacks import HOOKS, has_hooks
from ._compat import HasMethods, Interval, Options, StrOptions, _assert_all_finite, make_constraint

__all__ = ["PARAMETER_CONSTRAINTS", "REGRESSOR_LOSS_CONSTRAINTS", "hidden_layer_sizes",
           "make_loss", "make_optimizer", "make_schedule", "make_transforms"]

#: The stochastic solvers' names, read from the registry at each use.
STOCHASTIC_SOLVERS = Names(optimizers.OPTIMIZERS, lambda optimizer: True)


class _RegistryNames(StrOptions):
    """The names of a registry (and ``extra`` ones), read when a value is checked:
    a name registered after import is valid too.  ``where(entry)`` keeps only the
    entries it is true for (e.g. the hidden activations)."""

    def __init__(self, registry, extra=(), where=None):
        self.registry, self.extra, self.where = registry, tuple(extra), where
        super().__init__(set(self.options))

    @property
    def options(self):
        names = [name for name, entry in self.registry.items()
                 if self.where is None or self.where(entry)]
        return {*self.extra, *names}

    @options.setter
    def options(self, value):  # StrOptions.__init__ assigns it; the registry decides
        pass


class _SequenceOf(Options):
    """A list or tuple whose every element satisfies one of ``elements``.

    ``fit`` validates it with the other parameters, so that a bad element is
    reported as scikit-learn reports every invalid parameter, naming the
    parameter.  (An ``Options`` subclass only because scikit-learn's
    ``make_constraint`` accepts no other custom constraint.)
    """

    def __init__(self, elements, description):
        super().__init__(object, set())
        self.elements, self.description = tuple(elements), description

    def is_satisfied_by(self, val):
        return (isinstance(val, (list, tuple)) and all(
            any(element.is_satisfied_by(item) for element in self.elements) for item in val))

    def __str__(self):
        return f"a list or tuple of {self.description}"


class _PerLayer(_SequenceOf):
    """A :class:`_SequenceOf` with one element per hidden layer: the length is checked
    later, against ``hidden_layer_sizes``."""

    def __str__(self):
        return f"{super().__str__()}, one per hidden layer"


_ACTIVATION_NAME = _RegistryNames(ACTIVATIONS, where=lambda activation: activation.hidden)
#: A user's activation (see :class:`skfcnn.nn.Activation`).
_ACTIVATION_OBJECT = HasMethods(["forward", "derivative"])
_DROPOUT_RATE = Interval(Real, 0, 1, closed="left")
#: A user's loss (see :class:`skfcnn.nn.Loss`) or optimiser (:mod:`skfcnn.nn.optimizers`).
LOSS_OBJECT = HasMethods(["value", "gradient"])
_OPTIMIZER_OBJECT = HasMethods(["init", "update"])
#: The output activations of the classifier: the losses it may use can follow one of them.
CLASSIFIER_OUTPUTS = frozenset({"softmax", "logistic"})


def loss_names(classifier):
    """The registered losses of the classifier (those that may follow one of its
    outputs) or of the regressor (the others), read when a value is checked."""
    if classifier:
        return _RegistryNames(losses.LOSSES, where=lambda loss: loss.outputs & CLASSIFIER_OUTPUTS)
    return _RegistryNames(losses.LOSSES,
                          where=lambda loss: loss.output_activation not in CLASSIFIER_OUTPUTS)


#: The regressor's parameters of its configurable losses (``huber``, ``quantile``); the
#: contents of a list of quantiles are checked in ``fit`` (:func:`make_loss`).
REGRESSOR_LOSS_CONSTRAINTS: dict = {
    "huber_delta": [Interval(Real, 0, None, closed="neither"), None],
    "quantile": [Interval(Real, 0, 1, closed="neither"), list, tuple, np.ndarray],
}


def make_loss(est):
    """The loss ``est`` trains with: a user's object, or a registered name, as it is,
    unless its registered object takes some of the estimator's parameters (its
    ``estimator_parameters``: ``huber_delta``, ``quantile``): then that object
    configured with their values (``ValueError`` for a bad one, e.g. a list of
    quantiles not strictly increasing).  The other losses ignore those parameters."""
    if not isinstance(est.loss, str):
        return est.loss
    entry = losses.LOSSES[est.loss]
    taken = getattr(entry, "estimator_parameters", None)
    if not taken:
        return est.loss
    values = {name: getattr(est, name) for name in taken}
    try:
        return entry.configured(**values)
    except (TypeError, ValueError) as error:  # the loss names its own argument: name ours
        given = ", ".join(f"{name}={value!r}" for name, value in values.items())
        raise type(error)(f"{given} is invalid for loss={est.loss!r}: {error}") from error


PARAMETER_CONSTRAINTS: dict = {
    "hidden_layer_sizes": ["array-like", Interval(Integral, 1, None, closed="left")],
    "activation": [_ACTIVATION_NAME, _ACTIVATION_OBJECT,
                   _PerLayer([_ACTIVATION_NAME, _ACTIVATION_OBJECT], "such names or objects")],
    "solver": [_RegistryNames(optimizers.OPTIMIZERS, extra=("lbfgs",)), _OPTIMIZER_OBJECT],
    "alpha": [Interval(Real, 0, None, closed="left")],
    "batch_size": [StrOptions({"auto"}), Interval(Integral, 1, None, closed="left")],
    "learning_rate": [_RegistryNames(schedules.SCHEDULES), callable],
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
    "dropout": [_DROPOUT_RATE, _PerLayer([_DROPOUT_RATE], "such rates")],
    "batch_norm": ["boolean"],
    "init": [StrOptions(set(INITIALIZERS))],
    "init_scale": [Interval(Real, 0, None, closed="neither"), None],
    "weight_decay": [Interval(Real, 0, None, closed="left"), None],
    "warmup_epochs": [Interval(Integral, 0, None, closed="left")],
    "monitor": [StrOptions({"auto", "score", "loss"})],
    "restore_best_weights": [StrOptions({"auto"}), "boolean"],
    "max_grad_norm": [Interval(Real, 0, None, closed="neither"), None],
    "callbacks": [list, tuple, None],
    "input_steps": [_SequenceOf([make_constraint(InputStep)], "input steps (InputStep)"),
                    None],
}

def hidden_layer_sizes(value):
    """The hidden layer sizes as a list of positive ints (``ValueError`` otherwise)."""
    sizes = [value] if isinstance(value, Integral) else list(value)
    if any(not isinstance(n, Integral) or n <= 0 for n in sizes):
        raise ValueError(
            f"The 'hidden_layer_sizes' parameter must be a positive int or a "
            f"sequence of positive ints; got {value!r}."
        )
    return [int(n) for n in sizes]


#: Elements per chunk of :func:`check_input_values` (512 KB in float64).
_CHUNK_ELEMENTS = 65536


def _extremes(values):
    """``(max, min)`` of ``values`` (NaN if any is NaN), reading it from memory once.

    Chunk by chunk along the first axis, so that the second reduction finds
    each chunk still in cache: 60000 x 784 float64 takes 32 ms instead of 48.
    """
    row_size = max(1, values.size // values.shape[0])
    step = max(1, _CHUNK_ELEMENTS // row_size)
    starts = range(0, values.shape[0], step)
    highs = np.empty(len(starts), values.dtype)
    lows = np.empty(len(starts), values.dtype)
    for i, start in enumerate(starts):
        chunk = values[start : start + step]
        highs[i], lows[i] = chunk.max(), chunk.min()
    return float(highs.max()), float(lows.min())


def check_input_values(X, estimator_name):
    """Reject non-finite values in one pass over ``X``.

    A NaN or an infinity raises scikit-learn's own ``ValueError`` (as
    ``validate_data`` would); one chunked pass of two reductions replaces
    scikit-learn's finiteness check.  Features far from unit scale are warned
    about once per fit, by
    :func:`skfcnn.estimators._input_checks.warn_if_unscaled_features`.
    """
    values = X.data if issparse(X) else X
    if values.size == 0:
        return
    high, low = _extremes(values)
    if not (math.isfinite(high) and math.isfinite(low)):
        _assert_all_finite(values, input_name="X", estimator_name=estimator_name)


def check_hidden_activation(activation, n_hidden):
    """``activation`` as the network takes it (a name or object, or a list of them),
    checked against the number of hidden layers (errors name ``activation``)."""
    if isinstance(activation, (list, tuple)):
        activation = list(activation)
    check_hidden_activations(activation, n_hidden, name="activation")
    return activation


def check_callbacks(callbacks):
    """``callbacks`` as a tuple of callables ``callback(history) -> bool`` or objects
    with training hooks (:mod:`skfcnn.training.callbacks`); ``TypeError`` naming a bad one."""
    callbacks = tuple(callbacks or ())
    for callback in callbacks:
        if not (callable(callback) or has_hooks(callback)):
            raise TypeError(
                f"Each element of the 'callbacks' parameter must be callable as "
                f"callback(history) -> bool or have training hooks ({', '.join(HOOKS)}); "
                f"got {callback!r}."
            )
    return callbacks


#: Optimiser arguments named otherwise among the estimators' parameters (scikit-learn's names).
OPTIMIZER_ALIASES = {"nesterov": "nesterovs_momentum"}


@cache
def _argument_names(cls):
    return tuple(name for name, parameter in inspect.signature(cls).parameters.items()
                 if parameter.kind in (parameter.POSITIONAL_OR_KEYWORD, parameter.KEYWORD_ONLY))


def make_optimizer(est):
    """The optimiser of ``est.solver``: a user's object as it is (it holds only
    hyper-parameters: its state is apart), or ``OPTIMIZERS[solver]`` built by name.

    Each constructor argument gets the estimator's parameter of the same name
    (``nesterov`` gets ``nesterovs_momentum``, see :data:`OPTIMIZER_ALIASES`);
    an argument the estimator has no parameter for, or whose parameter is
    ``None``, keeps the class default (``weight_decay=None`` is AdamW's 0.01).
    """
    if not isinstance(est.solver, str):
        return est.solver
    cls = optimizers.OPTIMIZERS[est.solver]
    params = _argument_names(type(est))
    kwargs = {}
    for name in _argument_names(cls):
        source = OPTIMIZER_ALIASES.get(name, name)
        if source in params and getattr(est, source) is not None:
            kwargs[name] = getattr(est, source)
    return cls(**kwargs)


def make_transforms(est, optimizer):
    """The gradient transforms before ``optimizer``'s update, in their order.

    Clipping (``max_grad_norm``), then decoupled weight decay
    (``weight_decay > 0``) unless the optimiser takes ``weight_decay``
    itself (AdamW); an empty list when neither applies.
    """
    steps = []
    if est.max_grad_norm is not None:
        steps.append(transforms.ClipByGlobalNorm(est.max_grad_norm))
    if est.weight_decay and "weight_decay" not in _argument_names(type(optimizer)):
        steps.append(transforms.DecoupledWeightDecay(est.weight_decay))
    return steps


@cache
def _init_takes_mask(cls):
    return "decay_mask" in inspect.signature(cls.init).parameters


def init_state(step, network):
    """``step.init`` for ``network``; a step whose ``init`` takes a ``decay_mask``
    (AdamW, DecoupledWeightDecay) decays the weights only."""
    if _init_takes_mask(type(step)):
        return step.init(network.params, decay_mask=network.weight_mask())
    return step.init(network.params)


def _named_schedule(est, name):
    """``SCHEDULES[name].build(...)``; :class:`~skfcnn.nn.schedules.Constant` when the
    class's ``solvers`` leaves ``est.solver`` out (scikit-learn's 'sgd'-only names)."""
    cls = schedules.SCHEDULES[name]
    solvers = getattr(cls, "solvers", None)
    if solvers is not None and est.solver not in solvers:
        cls = schedules.Constant
    build = getattr(cls, "build", None)
    if build is None:
        return cls(est.learning_rate_init)
    return build(est.learning_rate_init, n_epochs=est.max_iter, power_t=est.power_t)


def make_schedule(est):
    """The learning-rate schedule of ``est`` (``learning_rate`` name or object, warm-up)."""
    if callable(est.learning_rate):
        schedule = est.learning_rate
    else:
        schedule = _named_schedule(est, est.learning_rate)
    if est.warmup_epochs:
        if schedules.schedule_unit(schedule) != "epoch":
            raise ValueError(
                f"warmup_epochs={est.warmup_epochs} needs a schedule counted in epochs; "
                f"learning_rate={est.learning_rate!r} counts samples. Use warmup_epochs=0 "
                "or another learning_rate."
            )
        schedule = schedules.LinearWarmup(schedule, est.warmup_epochs)
    return schedule
