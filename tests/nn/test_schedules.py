"""Learning-rate schedules: values against their formulas, the unit protocol,
pickling, ``clone`` as an estimator parameter, ``repr`` and argument errors."""

import copy
import math
import pickle

import pytest
from sklearn.base import BaseEstimator, clone

from skfcnn.nn.schedules import (
    SCHEDULES,
    Constant,
    CosineAnnealing,
    ExponentialDecay,
    InverseScaling,
    LinearWarmup,
    MultiCycleCosine,
    ReduceOnPlateau,
    StepDecay,
    schedule_unit,
)

ETA0, ETA_MIN = 0.1, 0.01


# -- the unit protocol -----------------------------------------------------------------------
def test_units():
    assert Constant.unit == "epoch"
    assert InverseScaling.unit == "sample"
    for cls in (CosineAnnealing, StepDecay, ExponentialDecay, LinearWarmup):
        assert cls.unit == "epoch"
    assert schedule_unit(InverseScaling(0.1)) == "sample"
    assert schedule_unit(StepDecay(0.1)) == "epoch"


def _user_schedule(step):
    return 0.5 / (step + 1)


class _SampleSchedule:
    unit = "sample"

    def __call__(self, step):
        return 0.1


class _BadUnitSchedule:
    unit = "batch"

    def __call__(self, step):
        return 0.1


def test_schedule_unit_defaults_to_epoch_and_rejects_unknown_units():
    assert schedule_unit(_user_schedule) == "epoch"
    assert schedule_unit(_SampleSchedule()) == "sample"
    with pytest.raises(ValueError, match="'batch'"):
        schedule_unit(_BadUnitSchedule())


def test_registry():
    assert SCHEDULES == {"constant": Constant, "invscaling": InverseScaling,
                         "adaptive": ReduceOnPlateau, "cosine": CosineAnnealing,
                         "step": StepDecay, "exponential": ExponentialDecay,
                         "coslog": MultiCycleCosine}


# -- build: what the estimators make of a name -----------------------------------------------
def test_build_encodes_the_estimators_rules():
    def build(name, rate=0.1, n_epochs=9, power_t=0.25):
        return SCHEDULES[name].build(rate, n_epochs=n_epochs, power_t=power_t)

    assert build("constant") == Constant(0.1)
    assert build("invscaling") == InverseScaling(0.1, power_t=0.25)
    assert build("adaptive") == ReduceOnPlateau(0.1)
    assert build("cosine") == CosineAnnealing(0.1, n_epochs=9, min_learning_rate=0.1 / 100)
    assert build("step") == StepDecay(0.1, step_size=3, gamma=0.1)
    assert build("coslog") == MultiCycleCosine(0.1, n_epochs=9)
    assert build("step", n_epochs=2) == StepDecay(0.1, step_size=1, gamma=0.1)
    assert build("exponential") == ExponentialDecay(0.1, gamma=0.01 ** (1 / 9))
    assert build("exponential")(9) == pytest.approx(0.1 * 0.01, rel=1e-14)


def test_solvers_restrict_the_sgd_only_names():
    assert InverseScaling.solvers == ReduceOnPlateau.solvers == ("sgd",)
    for cls in (Constant, CosineAnnealing, StepDecay, ExponentialDecay, LinearWarmup):
        assert cls.solvers is None


# -- ReduceOnPlateau: a metric-driven schedule -----------------------------------------------
def test_reduce_on_plateau_is_constant_and_divides_until_the_floor():
    sched = ReduceOnPlateau(0.1)
    assert (sched.divisor, sched.min_learning_rate) == (5.0, 1e-6)
    assert [sched(e) for e in (0, 5, 500)] == [0.1, 0.1, 0.1]
    assert sched.on_plateau({"learning_rate": 0.1, "epoch": 3, "loss": 0.5}) == 5.0
    assert sched.on_plateau({"learning_rate": 1.1e-6}) == 5.0
    assert sched.on_plateau({"learning_rate": 1e-6}) is None  # at the floor: stop
    custom = ReduceOnPlateau(0.1, divisor=2.0, min_learning_rate=0.01)
    assert custom.on_plateau({"learning_rate": 0.02}) == 2.0
    assert custom.on_plateau({"learning_rate": 0.01}) is None


def test_linear_warmup_forwards_on_plateau_only_when_the_wrapped_has_one():
    warm = LinearWarmup(ReduceOnPlateau(0.1, divisor=3.0), 2)
    assert warm.on_plateau({"learning_rate": 0.1}) == 3.0
    assert not hasattr(LinearWarmup(Constant(0.1), 2), "on_plateau")
    assert getattr(LinearWarmup(Constant(0.1), 2), "on_plateau", None) is None


def test_registry_builds_from_learning_rate_init_and_the_documented_kwargs():
    assert SCHEDULES["constant"](0.1)(7) == 0.1
    assert SCHEDULES["invscaling"](0.1, power_t=0.5)(3) == pytest.approx(0.05, rel=1e-15)
    assert SCHEDULES["cosine"](0.1, n_epochs=10, min_learning_rate=0.0, restart_period=None,
                               restart_mult=1.0)(10) == 0.0
    assert SCHEDULES["step"](0.1, step_size=2, gamma=0.5)(3) == 0.05
    assert SCHEDULES["exponential"](0.1, gamma=0.5)(2) == 0.025


# -- the existing schedules are unchanged ----------------------------------------------------
def test_constant_and_inverse_scaling_values():
    assert [Constant(0.3)(t) for t in (0, 1, 1000)] == [0.3, 0.3, 0.3]
    sched = InverseScaling(0.2, power_t=0.25)
    for t in (0, 1, 99, 12345):
        assert sched(t) == 0.2 / (t + 1) ** 0.25
    assert InverseScaling(0.2).power_t == 0.5


# -- cosine annealing ------------------------------------------------------------------------
def _cosine(e, period, eta0=ETA0, eta_min=ETA_MIN):
    return eta_min + 0.5 * (eta0 - eta_min) * (1 + math.cos(math.pi * e / period))


def test_cosine_start_middle_end_and_after():
    sched = CosineAnnealing(ETA0, n_epochs=20, min_learning_rate=ETA_MIN)
    assert sched(0) == ETA0
    assert sched(10) == pytest.approx((ETA0 + ETA_MIN) / 2, rel=1e-15)
    assert sched(20) == ETA_MIN
    assert sched(21) == sched(500) == ETA_MIN
    for e in (1, 5, 13, 19):
        assert sched(e) == pytest.approx(_cosine(e, 20), rel=1e-14)
    rates = [sched(e) for e in range(21)]
    assert all(a > b for a, b in zip(rates, rates[1:]))


def test_cosine_default_minimum_is_zero():
    sched = CosineAnnealing(0.4, n_epochs=4)
    assert sched(2) == pytest.approx(0.2, rel=1e-15)
    assert sched(4) == 0.0


def test_cosine_warm_restarts_with_a_fixed_period():
    sched = CosineAnnealing(ETA0, n_epochs=30, min_learning_rate=ETA_MIN, restart_period=10)
    for start in (0, 10, 20):
        assert sched(start) == ETA0  # reset at each boundary
        assert sched(start + 5) == pytest.approx((ETA0 + ETA_MIN) / 2, rel=1e-15)
        assert sched(start + 9) == pytest.approx(_cosine(9, 10), rel=1e-14)
    assert sched(30) == ETA_MIN


def test_cosine_warm_restarts_with_growing_periods():
    # periods 4, 8, 16 start at epochs 0, 4, 12 (and 28 would be the next)
    sched = CosineAnnealing(ETA0, n_epochs=124, min_learning_rate=ETA_MIN, restart_period=4,
                            restart_mult=2)
    for start, period in ((0, 4), (4, 8), (12, 16), (28, 32), (60, 64)):
        assert sched(start) == ETA0
        assert sched(start + period // 2) == pytest.approx((ETA0 + ETA_MIN) / 2, rel=1e-15)
        for offset in (1, period - 1):
            assert sched(start + offset) == pytest.approx(_cosine(offset, period), rel=1e-14)
    assert sched(124) == sched(130) == ETA_MIN  # n_epochs = 4 + 8 + 16 + 32 + 64 ends it


def test_cosine_restarts_stop_at_n_epochs_even_mid_period():
    sched = CosineAnnealing(ETA0, n_epochs=15, min_learning_rate=ETA_MIN, restart_period=10)
    assert sched(14) == pytest.approx(_cosine(4, 10), rel=1e-14)
    assert sched(15) == sched(20) == ETA_MIN


def test_cosine_warm_restarts_with_a_fractional_multiplier():
    # periods 2, 3, 4.5 start at 0, 2, 5 and 9.5: epoch 10 is 0.5 into the fourth
    sched = CosineAnnealing(ETA0, n_epochs=50, min_learning_rate=ETA_MIN, restart_period=2,
                            restart_mult=1.5)
    assert sched(2) == sched(5) == ETA0
    assert sched(9) == pytest.approx(_cosine(4, 4.5), rel=1e-14)
    assert sched(10) == pytest.approx(_cosine(0.5, 6.75), rel=1e-14)


# -- step and exponential decay --------------------------------------------------------------
def test_step_decay_values():
    sched = StepDecay(ETA0, step_size=3, gamma=0.5)
    expected = [0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.025, 0.025]
    assert [sched(e) for e in range(8)] == pytest.approx(expected, rel=1e-15)
    assert sched(30) == pytest.approx(ETA0 * 0.5**10, rel=1e-15)
    default = StepDecay(1.0)
    assert (default.step_size, default.gamma) == (10, 0.1)
    assert default(9) == 1.0 and default(10) == pytest.approx(0.1, rel=1e-15)


def test_exponential_decay_values():
    sched = ExponentialDecay(ETA0, gamma=0.9)
    for e in (0, 1, 2, 17):
        assert sched(e) == pytest.approx(ETA0 * 0.9**e, rel=1e-15)
    assert sched(0) == ETA0
    assert ExponentialDecay(1.0).gamma == 0.95


# -- linear warm-up --------------------------------------------------------------------------
def test_linear_warmup_ramp_then_the_wrapped_schedule():
    inner = CosineAnnealing(ETA0, n_epochs=20, min_learning_rate=ETA_MIN)
    sched = LinearWarmup(inner, warmup_epochs=4)
    for e in range(4):
        assert sched(e) == pytest.approx(inner(e) * (e + 1) / 4, rel=1e-15)
    assert sched(0) == pytest.approx(ETA0 / 4, rel=1e-15)
    for e in (4, 10, 20, 25):
        assert sched(e) == inner(e)


def test_linear_warmup_of_a_constant_rises_linearly():
    sched = LinearWarmup(Constant(0.8), warmup_epochs=4)
    assert [sched(e) for e in range(6)] == pytest.approx([0.2, 0.4, 0.6, 0.8, 0.8, 0.8])


def test_linear_warmup_accepts_plain_functions_and_zero_epochs():
    assert LinearWarmup(_user_schedule, 2)(0) == pytest.approx(0.25)
    sched = LinearWarmup(StepDecay(0.1, 1, 0.5), warmup_epochs=0)
    assert [sched(e) for e in range(3)] == [0.1, 0.05, 0.025]


def test_linear_warmup_refuses_sample_schedules():
    with pytest.raises(ValueError, match="unit='epoch'"):
        LinearWarmup(InverseScaling(0.1), 3)
    with pytest.raises(ValueError, match="sample"):
        LinearWarmup(_SampleSchedule(), 3)


# -- pickling, copying, clone, repr, equality ------------------------------------------------
ALL = [
    Constant(0.05),
    InverseScaling(0.05, power_t=0.3),
    CosineAnnealing(0.01, n_epochs=100, min_learning_rate=0.001, restart_period=10,
                    restart_mult=2.0),
    StepDecay(0.1, step_size=5, gamma=0.5),
    ExponentialDecay(0.1, gamma=0.9),
    LinearWarmup(CosineAnnealing(0.01, n_epochs=50), warmup_epochs=5),
    ReduceOnPlateau(0.01, divisor=2.0, min_learning_rate=1e-4),
]
IDS = [type(s).__name__ for s in ALL]


@pytest.mark.parametrize("schedule", ALL, ids=IDS)
def test_pickles_to_an_equal_schedule_with_the_same_rates(schedule):
    restored = pickle.loads(pickle.dumps(schedule))
    assert restored is not schedule
    assert type(restored) is type(schedule) and restored == schedule
    assert [restored(e) for e in range(0, 60, 7)] == [schedule(e) for e in range(0, 60, 7)]


class _Dummy(BaseEstimator):
    def __init__(self, learning_rate="constant"):
        self.learning_rate = learning_rate


@pytest.mark.parametrize("schedule", ALL, ids=IDS)
def test_clone_as_an_estimator_parameter(schedule):
    est = _Dummy(learning_rate=schedule)
    cloned = clone(est)
    assert cloned.learning_rate == schedule
    assert cloned.learning_rate is not schedule  # deep-copied, as clone does
    assert cloned.get_params() == est.get_params()
    assert copy.deepcopy(schedule) == schedule
    assert repr(schedule) in repr(est)


def test_equality_and_hash_follow_class_and_arguments():
    assert StepDecay(0.1, 5, 0.5) == StepDecay(0.1, step_size=5, gamma=0.5)
    assert hash(StepDecay(0.1, 5, 0.5)) == hash(StepDecay(0.1, 5, 0.5))
    assert StepDecay(0.1, 5, 0.5) != StepDecay(0.1, 5, 0.25)
    assert ExponentialDecay(0.1, 0.5) != StepDecay(0.1, 1, 0.5)
    assert Constant(0.1) != 0.1
    assert (LinearWarmup(Constant(0.1), 2) == LinearWarmup(Constant(0.1), 2)
            != LinearWarmup(Constant(0.1), 3))


@pytest.mark.parametrize("schedule, text", [
    (Constant(0.05), "Constant(learning_rate_init=0.05)"),
    (InverseScaling(0.05), "InverseScaling(learning_rate_init=0.05, power_t=0.5)"),
    (CosineAnnealing(0.01, 100),
     "CosineAnnealing(learning_rate_init=0.01, n_epochs=100, min_learning_rate=0.0, "
     "restart_period=None, restart_mult=1.0)"),
    (StepDecay(0.1), "StepDecay(learning_rate_init=0.1, step_size=10, gamma=0.1)"),
    (ExponentialDecay(0.1), "ExponentialDecay(learning_rate_init=0.1, gamma=0.95)"),
    (LinearWarmup(Constant(0.1), 3),
     "LinearWarmup(schedule=Constant(learning_rate_init=0.1), warmup_epochs=3)"),
    (ReduceOnPlateau(0.1),
     "ReduceOnPlateau(learning_rate_init=0.1, divisor=5.0, min_learning_rate=1e-06)"),
])
def test_repr_is_readable(schedule, text):
    assert repr(schedule) == text


# -- argument errors -------------------------------------------------------------------------
@pytest.mark.parametrize("make, name, value", [
    (lambda: Constant(-0.1), "learning_rate_init", "-0.1"),
    (lambda: Constant(float("nan")), "learning_rate_init", "nan"),
    (lambda: Constant("0.1"), "learning_rate_init", "'0.1'"),
    (lambda: InverseScaling(0.1, power_t=-1), "power_t", "-1"),
    (lambda: CosineAnnealing(-1.0, 10), "learning_rate_init", "-1.0"),
    (lambda: CosineAnnealing(0.1, 0), "n_epochs", "0"),
    (lambda: CosineAnnealing(0.1, 2.5), "n_epochs", "2.5"),
    (lambda: CosineAnnealing(0.1, 10, min_learning_rate=-0.01), "min_learning_rate", "-0.01"),
    (lambda: CosineAnnealing(0.1, 10, min_learning_rate=0.2), "min_learning_rate", "0.2"),
    (lambda: CosineAnnealing(0.1, 10, restart_period=0), "restart_period", "0"),
    (lambda: CosineAnnealing(0.1, 10, restart_period=5, restart_mult=0.5), "restart_mult",
     "0.5"),
    (lambda: StepDecay(0.1, step_size=0), "step_size", "0"),
    (lambda: StepDecay(0.1, gamma=0.0), "gamma", "0.0"),
    (lambda: StepDecay(0.1, gamma=-0.5), "gamma", "-0.5"),
    (lambda: StepDecay(0.1, gamma=1.5), "gamma", "1.5"),
    (lambda: ExponentialDecay(0.1, gamma=0), "gamma", "0"),
    (lambda: ExponentialDecay(-0.1), "learning_rate_init", "-0.1"),
    (lambda: LinearWarmup(Constant(0.1), -1), "warmup_epochs", "-1"),
    (lambda: LinearWarmup(Constant(0.1), True), "warmup_epochs", "True"),
    (lambda: LinearWarmup(0.1, 3), "schedule", "0.1"),
    (lambda: ReduceOnPlateau(-0.1), "learning_rate_init", "-0.1"),
    (lambda: ReduceOnPlateau(0.1, divisor=1.0), "divisor", "1.0"),
    (lambda: ReduceOnPlateau(0.1, divisor=float("inf")), "divisor", "inf"),
    (lambda: ReduceOnPlateau(0.1, min_learning_rate=-1e-6), "min_learning_rate", "-1e-06"),
])
def test_bad_arguments_raise_naming_argument_and_value(make, name, value):
    with pytest.raises(ValueError, match=rf"'{name}'.*got {value}\."):
        make()


@pytest.mark.parametrize("schedule", ALL, ids=IDS)
def test_negative_step_is_an_error(schedule):
    with pytest.raises(ValueError, match="step"):
        schedule(-1)
