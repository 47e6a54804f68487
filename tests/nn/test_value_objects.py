"""One value-object base for every extension point's objects, and AdamW as Adam behind
the one decoupled decay: ``repr``, equality and hashing from the fields, whichever the
object is (activation, loss, optimiser, transform, schedule)."""

import copy
import pickle

import numpy as np
import pytest

from skfcnn.nn import (
    _hyperparameters,
    _protocols,
    activations,
    losses,
    optimizers,
    schedules,
    transforms,
)
from skfcnn.nn._hyperparameters import HyperParameters, ValueObject


def _registered_objects():
    yield from activations.ACTIVATIONS.values()
    yield from losses.LOSSES.values()
    yield from (cls() for cls in optimizers.OPTIMIZERS.values())
    yield from (cls.build(0.1, n_epochs=10, power_t=0.5) for cls in schedules.SCHEDULES.values())
    yield schedules.LinearWarmup(schedules.Constant(0.1), 3)
    yield transforms.ClipByGlobalNorm(1.0)
    yield transforms.DecoupledWeightDecay(0.1)
    yield transforms.chain(transforms.ClipByGlobalNorm(1.0), optimizers.Adam())


def test_there_is_one_value_object_base_under_every_old_name():
    assert _protocols.ValueObject is ValueObject is HyperParameters
    assert _hyperparameters.HyperParameters is ValueObject
    for obj in _registered_objects():
        assert isinstance(obj, ValueObject), obj


@pytest.mark.parametrize("obj", list(_registered_objects()), ids=repr)
def test_every_object_equals_and_hashes_as_its_copies(obj):
    for twin in (copy.deepcopy(obj), pickle.loads(pickle.dumps(obj))):
        assert twin == obj and hash(twin) == hash(obj) and repr(twin) == repr(obj)


class _Scaled(ValueObject):
    def __init__(self, scale, weights=None):
        self.scale = scale
        self.weights = weights


class _NoConstructor(ValueObject):
    pass


def test_the_fields_are_the_constructor_arguments_when_it_stores_them():
    obj = _Scaled(2.0)
    assert repr(obj) == "_Scaled(scale=2.0, weights=None)"
    assert obj == _Scaled(2.0) and obj != _Scaled(3.0) and hash(obj) == hash(_Scaled(2.0))
    obj._cache = np.zeros(3)  # not an argument (e.g. an old pickle's state set aside)
    assert obj == _Scaled(2.0) and repr(obj) == "_Scaled(scale=2.0, weights=None)"


def test_the_fields_are_the_attributes_without_such_a_constructor():
    a, b = _NoConstructor(), _NoConstructor()
    assert a == b and repr(a) == "_NoConstructor()"
    a.slope = 0.5
    assert a != b and repr(a) == "_NoConstructor(slope=0.5)"
    b.slope = 0.5
    assert a == b and hash(a) == hash(b)


def test_array_fields_compare_by_dtype_shape_and_values():
    a = _Scaled(1.0, np.array([1.0, 2.0]))
    assert a == _Scaled(1.0, np.array([1.0, 2.0])) and hash(a) == hash(copy.deepcopy(a))
    assert a != _Scaled(1.0, np.array([1.0, 3.0]))
    assert a != _Scaled(1.0, np.array([1.0, 2.0], dtype=np.float32))
    assert a != _Scaled(1.0, [1.0, 2.0])
    assert _Scaled(1.0) != _NoConstructor()  # another class


def test_an_old_adamw_with_its_state_aside_still_equals_a_new_one():
    old = optimizers.AdamW(weight_decay=0.2)
    old.__dict__["_legacy_state"] = optimizers.OptimizerState(t=3)
    assert old == optimizers.AdamW(weight_decay=0.2)
    assert repr(old) == "AdamW(beta_1=0.9, beta_2=0.999, epsilon=1e-08, weight_decay=0.2)"


def test_adamw_decays_through_the_transform(monkeypatch):
    calls = []
    real = transforms.DecoupledWeightDecay.apply

    def counted(step, *args):
        calls.append(step.weight_decay)
        return real(step, *args)

    monkeypatch.setattr(transforms.DecoupledWeightDecay, "apply", counted)
    params = np.linspace(-1.0, 1.0, 7)
    opt = optimizers.AdamW(weight_decay=0.3)
    state = opt.init(params, decay_mask=np.arange(7) % 2)
    for _ in range(3):
        opt.update(params, np.ones(7), 0.1, state)
    assert calls == [0.3, 0.3, 0.3]  # the one implementation of the decay


def test_adamw_refuses_a_bad_weight_decay_naming_it():
    with pytest.raises(ValueError, match=r"'weight_decay'.*-1"):
        optimizers.AdamW(weight_decay=-1)
