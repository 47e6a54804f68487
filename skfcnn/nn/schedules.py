r"""Learning-rate schedules: picklable callables from a step to a learning rate.

A schedule is any picklable callable ``schedule(step) -> float`` that may
carry a class attribute ``unit`` saying what ``step`` counts:

* ``"epoch"`` (the default for objects without ``unit``): ``step`` is the
  number of finished epochs, 0 for the first one, so the rate of epoch
  :math:`e` is ``schedule(e)``;
* ``"sample"``: ``step`` is the number of training samples seen so far
  (scikit-learn's ``t_``), read at the start of each epoch, as in
  scikit-learn's ``invscaling``.

The trainer asks for the rate once per epoch; :func:`schedule_unit` reads
the unit.  A *metric-driven* schedule also has ``on_plateau(record) ->
divisor or None``: when the monitored quantity has not improved for
``n_iter_no_change`` epochs, the trainer calls it with the epoch's record
(a dict with ``"epoch"``, ``"loss"``, ``"learning_rate"``,
``"validation_score"``, ... as the estimators' callbacks see it); a number
:math:`d` divides the rate by :math:`d` from then on and training goes on,
``None`` lets training stop (:class:`ReduceOnPlateau`).

The classes here store their constructor arguments verbatim as attributes
of the same name, validate them (``ValueError`` naming the argument and the
value), compare equal when their class and arguments are equal and have a
readable ``repr``, so they pickle, deep-copy and survive
``sklearn.base.clone`` as estimator parameters.

``SCHEDULES`` maps the estimators' ``learning_rate`` names to the classes.
For a name, the estimator calls the class's
``build(learning_rate_init, n_epochs=max_iter, power_t=power_t)``, whose
default is ``cls(learning_rate_init)``; a class whose ``solvers`` attribute
is a tuple of solver names applies to those solvers only, and the others get
:class:`Constant` (scikit-learn's rule for ``'invscaling'`` and
``'adaptive'``, which are for ``solver='sgd'``).  The attribute applies to
names only: a schedule object passed as ``learning_rate`` is used as given.
To add a schedule, register its class, ``SCHEDULES["name"] = MySchedule``.

:class:`LinearWarmup` wraps any epoch schedule with a linear warm-up.
"""
import math
from numbers import Integral

from ._hyperparameters import ValueObject
from ._hyperparameters import check_real as _check_real

__all__ = ["SCHEDULES", "Constant", "CosineAnnealing", "ExponentialDecay", "InverseScaling",
           "LinearWarmup", "MultiCycleCosine", "ReduceOnPlateau", "StepDecay", "schedule_unit"]

UNITS = ("epoch", "sample")


def schedule_unit(schedule):
    """What ``schedule``'s step counts: ``"epoch"`` (the default) or ``"sample"``.

    Parameters
    ----------
    schedule : callable
        A learning-rate schedule, with or without a ``unit`` attribute.

    Returns
    -------
    unit : {"epoch", "sample"}
    """
    unit = getattr(schedule, "unit", "epoch")
    if unit not in UNITS:
        raise ValueError(f"A schedule's 'unit' must be one of {UNITS}; "
                         f"{schedule!r} has unit={unit!r}.")
    return unit


def _check_int(name, value, low):
    """``value`` if it is an integer ``>= low``, else ``ValueError`` naming it."""
    if not isinstance(value, Integral) or isinstance(value, bool) or value < low:
        raise ValueError(f"The '{name}' parameter must be an integer >= {low}; "
                         f"got {value!r}.")
    return value


class _Schedule(ValueObject):
    """Equality, hash and ``repr`` from the constructor arguments; the default
    ``build`` and ``solvers``."""

    unit = "epoch"
    #: Solver names a ``learning_rate`` name of this class applies to (None: all).
    solvers = None

    @classmethod
    def build(cls, learning_rate_init, *, n_epochs, power_t):
        """The schedule the estimators build for this class's name.

        Parameters
        ----------
        learning_rate_init : float
            The estimator's ``learning_rate_init``.
        n_epochs : int
            The estimator's ``max_iter``.
        power_t : float
            The estimator's ``power_t``.

        Returns
        -------
        schedule : _Schedule
            ``cls(learning_rate_init)`` unless a subclass says otherwise.
        """
        return cls(learning_rate_init)

    @staticmethod
    def _check_step(step):
        if step < 0:
            raise ValueError(f"A schedule's step must be >= 0; got {step!r}.")


class Constant(_Schedule):
    r"""The same rate at every step.

    .. math:: \eta_e = \eta_0

    Parameters
    ----------
    learning_rate_init : float
        :math:`\eta_0 \ge 0`.
    """

    unit = "epoch"

    def __init__(self, learning_rate_init):
        _check_real("learning_rate_init", learning_rate_init)
        self.learning_rate_init = learning_rate_init

    def __call__(self, step: int) -> float:
        self._check_step(step)
        return self.learning_rate_init


class InverseScaling(_Schedule):
    r"""Rate decaying as a power of the samples seen (scikit-learn's ``invscaling``).

    With :math:`t` the number of training samples seen (``unit = "sample"``):

    .. math:: \eta_t = \frac{\eta_0}{(t + 1)^{p}}

    Parameters
    ----------
    learning_rate_init : float
        :math:`\eta_0 \ge 0`.
    power_t : float, default=0.5
        The exponent :math:`p \ge 0`.
    """

    unit = "sample"
    solvers = ("sgd",)

    @classmethod
    def build(cls, learning_rate_init, *, n_epochs, power_t):
        """``InverseScaling(learning_rate_init, power_t)``."""
        return cls(learning_rate_init, power_t)

    def __init__(self, learning_rate_init, power_t=0.5):
        _check_real("learning_rate_init", learning_rate_init)
        _check_real("power_t", power_t)
        self.learning_rate_init = learning_rate_init
        self.power_t = power_t

    def __call__(self, step: int) -> float:
        self._check_step(step)
        return self.learning_rate_init / (step + 1) ** self.power_t


class CosineAnnealing(_Schedule):
    r"""Cosine annealing (Loshchilov & Hutter, 2017), optionally with warm restarts.

    Within a period of length :math:`T` that started at epoch :math:`s`, the
    rate of epoch :math:`e` is

    .. math::
        \eta_e = \eta_{\min} + \tfrac12 (\eta_0 - \eta_{\min})
                 \left(1 + \cos\frac{\pi (e - s)}{T}\right),

    from :math:`\eta_0` at the start down to :math:`\eta_{\min}` at its end.
    Without restarts there is one period, :math:`s = 0`, :math:`T =`
    ``n_epochs``.  With warm restarts (SGDR) the periods are

    .. math:: T_i = T_0 \, m^i, \qquad s_i = \sum_{j < i} T_j,

    with :math:`T_0` = ``restart_period`` and :math:`m` = ``restart_mult``,
    and the rate jumps back to :math:`\eta_0` at each :math:`s_i`.  In both
    cases ``n_epochs`` is the length of the whole schedule: from epoch
    ``n_epochs`` on, the rate stays at :math:`\eta_{\min}`.  To end on a full
    period with restarts, choose ``n_epochs`` as a sum of periods, e.g.
    :math:`T_0 (1 + m + m^2)`.

    Parameters
    ----------
    learning_rate_init : float
        :math:`\eta_0 \ge 0`, the rate at the start of each period.
    n_epochs : int
        Length of the schedule in epochs, ``>= 1`` (the estimators use ``max_iter``).
    min_learning_rate : float, default=0.0
        :math:`\eta_{\min}`, with :math:`0 \le \eta_{\min} \le \eta_0`.
    restart_period : int or None, default=None
        :math:`T_0 \ge 1`, the length of the first period; ``None`` means no restarts.
    restart_mult : float, default=1.0
        :math:`m \ge 1`, the factor by which each period is longer than the last.
    """

    unit = "epoch"

    @classmethod
    def build(cls, learning_rate_init, *, n_epochs, power_t):
        """Down to 1% of ``learning_rate_init`` over ``n_epochs``, no restarts."""
        return cls(learning_rate_init, n_epochs, min_learning_rate=learning_rate_init / 100)

    def __init__(self, learning_rate_init, n_epochs, min_learning_rate=0.0,
                 restart_period=None, restart_mult=1.0):
        _check_real("learning_rate_init", learning_rate_init)
        _check_int("n_epochs", n_epochs, 1)
        _check_real("min_learning_rate", min_learning_rate, 0.0, learning_rate_init)
        if restart_period is not None:
            _check_int("restart_period", restart_period, 1)
        _check_real("restart_mult", restart_mult, 1.0)
        self.learning_rate_init = learning_rate_init
        self.n_epochs = n_epochs
        self.min_learning_rate = min_learning_rate
        self.restart_period = restart_period
        self.restart_mult = restart_mult

    def _position(self, epoch):
        """``(epoch - s, T)``: where ``epoch`` lies in its period, and the period's length."""
        if self.restart_period is None:
            return epoch, self.n_epochs
        period = self.restart_period
        if self.restart_mult == 1:
            return epoch % period, period
        start = 0.0
        while epoch >= start + period:
            start += period
            period *= self.restart_mult
        return epoch - start, period

    def __call__(self, step: int) -> float:
        self._check_step(step)
        if step >= self.n_epochs:
            return self.min_learning_rate
        elapsed, period = self._position(step)
        low, high = self.min_learning_rate, self.learning_rate_init
        return low + 0.5 * (high - low) * (1.0 + math.cos(math.pi * elapsed / period))


class StepDecay(_Schedule):
    r"""Rate multiplied by :math:`\gamma` every ``step_size`` epochs.

    .. math:: \eta_e = \eta_0 \, \gamma^{\lfloor e / k \rfloor}

    Parameters
    ----------
    learning_rate_init : float
        :math:`\eta_0 \ge 0`.
    step_size : int, default=10
        :math:`k \ge 1`, the number of epochs between decays.
    gamma : float, default=0.1
        The factor :math:`\gamma \in (0, 1]`.
    """

    unit = "epoch"

    @classmethod
    def build(cls, learning_rate_init, *, n_epochs, power_t):
        """A tenth every ``max(1, n_epochs // 3)`` epochs (three decays in all)."""
        return cls(learning_rate_init, step_size=max(1, n_epochs // 3), gamma=0.1)

    def __init__(self, learning_rate_init, step_size=10, gamma=0.1):
        _check_real("learning_rate_init", learning_rate_init)
        _check_int("step_size", step_size, 1)
        _check_real("gamma", gamma, 0.0, 1.0, low_closed=False)
        self.learning_rate_init = learning_rate_init
        self.step_size = step_size
        self.gamma = gamma

    def __call__(self, step: int) -> float:
        self._check_step(step)
        return self.learning_rate_init * self.gamma ** (step // self.step_size)


class ExponentialDecay(_Schedule):
    r"""Rate multiplied by :math:`\gamma` every epoch.

    .. math:: \eta_e = \eta_0 \, \gamma^{e}

    Parameters
    ----------
    learning_rate_init : float
        :math:`\eta_0 \ge 0`.
    gamma : float, default=0.95
        The factor :math:`\gamma \in (0, 1]`.
    """

    unit = "epoch"

    @classmethod
    def build(cls, learning_rate_init, *, n_epochs, power_t):
        r"""Down to 1% of ``learning_rate_init`` over ``n_epochs`` :math:`T`:
        :math:`\gamma = 0.01^{1/T}`."""
        return cls(learning_rate_init, gamma=0.01 ** (1.0 / n_epochs))

    def __init__(self, learning_rate_init, gamma=0.95):
        _check_real("learning_rate_init", learning_rate_init)
        _check_real("gamma", gamma, 0.0, 1.0, low_closed=False)
        self.learning_rate_init = learning_rate_init
        self.gamma = gamma

    def __call__(self, step: int) -> float:
        self._check_step(step)
        return self.learning_rate_init * self.gamma**step


class ReduceOnPlateau(_Schedule):
    r"""A constant rate, divided on each plateau (scikit-learn's ``adaptive``).

    A metric-driven schedule: :math:`\eta_0` at every epoch, times the factor
    the trainer keeps.  Each time the monitored quantity has not improved for
    ``n_iter_no_change`` epochs, :meth:`on_plateau` answers ``divisor``
    :math:`d` while the current rate :math:`\eta` is above
    ``min_learning_rate`` :math:`\eta_{\min}`, and the trainer goes on with

    .. math:: \eta \leftarrow \eta / d;

    once :math:`\eta \le \eta_{\min}` it answers ``None`` and training
    stops.  Registered as ``'adaptive'``, for ``solver='sgd'`` only.

    Parameters
    ----------
    learning_rate_init : float
        :math:`\eta_0 \ge 0`.
    divisor : float, default=5.0
        :math:`d > 1`.
    min_learning_rate : float, default=1e-6
        :math:`\eta_{\min} \ge 0`.
    """

    unit = "epoch"
    solvers = ("sgd",)

    def __init__(self, learning_rate_init, divisor=5.0, min_learning_rate=1e-6):
        _check_real("learning_rate_init", learning_rate_init)
        _check_real("divisor", divisor, 1.0, low_closed=False)
        _check_real("min_learning_rate", min_learning_rate)
        self.learning_rate_init = learning_rate_init
        self.divisor = divisor
        self.min_learning_rate = min_learning_rate

    def __call__(self, step: int) -> float:
        self._check_step(step)
        return self.learning_rate_init

    def on_plateau(self, record):
        """``divisor`` while ``record["learning_rate"]`` is above ``min_learning_rate``.

        Parameters
        ----------
        record : dict
            The epoch's record; ``record["learning_rate"]`` is the rate of the
            next epoch (with the divisions so far).

        Returns
        -------
        divisor : float or None
            What to divide the rate by, or ``None`` to let training stop.
        """
        return self.divisor if record["learning_rate"] > self.min_learning_rate else None


class LinearWarmup(_Schedule):
    r"""A linear warm-up in front of any epoch schedule.

    For the first :math:`w` = ``warmup_epochs`` epochs the wrapped schedule's
    rate is scaled up linearly, reaching it in full at epoch :math:`w - 1`:

    .. math::
        \eta_e = \begin{cases}
            \eta^{\mathrm{wrapped}}_e \, \dfrac{e + 1}{w} & e < w, \\
            \eta^{\mathrm{wrapped}}_e & e \ge w.
        \end{cases}

    The wrapped schedule runs on the same epoch count (the warm-up overlaps
    its first epochs rather than delaying it).  ``warmup_epochs=0`` leaves it
    unchanged.  The warm-up counts epochs, so the wrapped schedule must too:
    wrapping a ``unit = "sample"`` schedule (e.g. :class:`InverseScaling`)
    raises ``ValueError``.  A metric-driven schedule stays one: its
    ``on_plateau`` is the wrapped schedule's.

    Parameters
    ----------
    schedule : callable
        The schedule to warm up: a callable ``step -> rate`` whose ``unit``
        is ``"epoch"`` (or absent).
    warmup_epochs : int
        :math:`w \ge 0`.
    """

    unit = "epoch"

    def __init__(self, schedule, warmup_epochs):
        if not callable(schedule):
            raise ValueError(f"The 'schedule' parameter must be a callable step -> "
                             f"learning rate; got {schedule!r}.")
        if schedule_unit(schedule) != "epoch":
            raise ValueError(
                f"The 'schedule' parameter of LinearWarmup must count epochs (unit='epoch'); "
                f"got {schedule!r} with unit={schedule_unit(schedule)!r}, whose steps are "
                "samples seen. Use an epoch schedule or no warm-up.")
        _check_int("warmup_epochs", warmup_epochs, 0)
        self.schedule = schedule
        self.warmup_epochs = warmup_epochs

    def __call__(self, step: int) -> float:
        self._check_step(step)
        rate = self.schedule(step)
        if step < self.warmup_epochs:
            return rate * (step + 1) / self.warmup_epochs
        return rate

    @property
    def on_plateau(self):
        """The wrapped schedule's ``on_plateau`` (``AttributeError`` if it has none)."""
        return self.schedule.on_plateau


class MultiCycleCosine(_Schedule):
    r"""RealMLP's multi-cycle cosine schedule on a logarithmic time axis ("coslog").

    With training progress :math:`t = (e + \tfrac12) / E` at the middle of
    epoch :math:`e` of :math:`E` = ``n_epochs``, the rate is

    .. math::
        \eta_e = \eta_0 \cdot \tfrac12 \Bigl(1 - \cos\bigl(2\pi \log_2(1 + (2^k - 1)\,t)
        \bigr)\Bigr),

    :math:`k` = ``n_cycles`` cosine cycles that grow twice as long each time:
    the rate is zero at :math:`t = (2^j - 1)/(2^k - 1)`, :math:`j = 0, \dots, k`
    (for :math:`k = 4`: :math:`0, 1/15, 3/15, 7/15, 1`), and peaks at
    :math:`\eta_0` in the middle of each cycle (Holzmüller et al., 2024, whose
    RealMLP steps it every batch; here it is read once an epoch, at the
    epoch's middle, so no epoch has a zero rate).  From epoch ``n_epochs`` on
    the rate is zero.

    Parameters
    ----------
    learning_rate_init : float
        :math:`\eta_0 \ge 0`, the peak rate.
    n_epochs : int
        :math:`E \ge 1`, the length of the schedule (the estimators use ``max_iter``).
    n_cycles : int, default=4
        :math:`k \ge 1`.
    """

    unit = "epoch"

    @classmethod
    def build(cls, learning_rate_init, *, n_epochs, power_t):
        """Four cycles over ``n_epochs`` with peak ``learning_rate_init``."""
        return cls(learning_rate_init, n_epochs)

    def __init__(self, learning_rate_init, n_epochs, n_cycles=4):
        _check_real("learning_rate_init", learning_rate_init)
        _check_int("n_epochs", n_epochs, 1)
        _check_int("n_cycles", n_cycles, 1)
        self.learning_rate_init = learning_rate_init
        self.n_epochs = n_epochs
        self.n_cycles = n_cycles

    def __call__(self, step: int) -> float:
        self._check_step(step)
        if step >= self.n_epochs:
            return 0.0
        t = (step + 0.5) / self.n_epochs
        phase = math.log2(1.0 + (2.0**self.n_cycles - 1.0) * t)
        return self.learning_rate_init * 0.5 * (1.0 - math.cos(2.0 * math.pi * phase))


#: Every schedule class by name: the estimators' ``learning_rate``.
SCHEDULES = {"constant": Constant, "invscaling": InverseScaling, "adaptive": ReduceOnPlateau,
             "cosine": CosineAnnealing, "step": StepDecay, "exponential": ExponentialDecay,
             "coslog": MultiCycleCosine}
