"""A layer step's own parameters and running state, declared as slots and kept by the
network that names no particular step: laid out, bound, reset, pickled, checked on load."""

import pickle

import numpy as np
import pytest
from numpy.testing import assert_array_equal

from skfcnn.nn import Network, layers
from skfcnn.nn.layers import LayerStep, Slot


class RunningPeak(LayerStep):
    """The identity, keeping the running peak :math:`\\max |z|` of each unit in training."""

    running = (Slot("peak", 0.0, "peaks"),)

    def __init__(self, units):
        self.units = units

    @classmethod
    def build(cls, network, layer):
        return cls(network.layer_sizes[layer + 1])

    @classmethod
    def check_running(cls, slot, array):
        return "holds negative peaks" if (array < 0).any() else None

    def forward(self, Z, run):
        if run.training and run.update_stats:
            np.maximum(self.peak, np.abs(Z).max(axis=0), out=self.peak)
        return Z

    def backward(self, delta, run):
        return delta


@pytest.fixture
def with_peak(monkeypatch):
    monkeypatch.setattr(layers, "LAYER_STEPS", [layers.BatchNormStep, RunningPeak,
                                                layers.ActivationStep, layers.DropoutStep])


def _trained(**options):
    rng = np.random.RandomState(0)
    net = Network((3, 4, 5, 2), "relu", "identity", **options).initialize(rng)
    X, Y = rng.normal(size=(6, 3)), rng.normal(size=(6, 2))
    net.loss_gradient(X, Y, "squared_error", training=True, rng=np.random.default_rng(0))
    return net, X


def test_running_state_is_kept_by_the_network_under_the_slots_list(with_peak):
    net, X = _trained(batch_norm=True)
    assert [p.shape for p in net.peaks] == [(4,), (5,)]
    assert net.peaks[1] is net.hidden_steps[1][1].peak
    assert (net.peaks[0] > 0).all()  # moved in training
    assert net.params.size == sum((a + 1) * b for a, b in [(3, 4), (4, 5), (5, 2)]) + 18
    assert [id(a) for a in net.running_state] == [  # list by list, as the lists are declared
        id(a) for a in net.running_means + net.running_vars + net.peaks]
    assert "peaks" in net.__getstate__() and "bn_gammas" not in net.__getstate__()
    twin = pickle.loads(pickle.dumps(net))
    for ours, theirs in zip(twin.running_state, net.running_state):
        assert_array_equal(ours, theirs)
    assert twin.hidden_steps[0][1].peak is twin.peaks[0]
    assert_array_equal(twin.predict(X), net.predict(X))
    net.initialize(np.random.RandomState(1))
    assert_array_equal(net.peaks[0], 0.0)  # the slot's initial value


@pytest.mark.parametrize("tamper, pattern", [
    (lambda state: state["peaks"].pop(), r"_network\.peaks holds 1 arrays; expected 2"),
    (lambda state: state.__setitem__("peaks", [np.zeros(3), np.zeros(5)]),
     r"_network\.peaks\[0\] has shape \(3,\); the layer sizes need \(4,\)"),
    (lambda state: state["peaks"][1].__setitem__(0, np.inf),
     r"_network\.peaks\[1\] holds non-finite values"),
    (lambda state: state["peaks"][1].__setitem__(0, -1.0), r"_network\.peaks holds negative"),
    (lambda state: state.pop("peaks"), r"_network\.peaks holds 0 arrays; expected 2"),
])
def test_a_loaded_running_state_is_checked_by_its_slots(with_peak, tamper, pattern):
    net, _ = _trained()
    state = net.__getstate__()
    tamper(state)
    with pytest.raises(ValueError, match=pattern):
        Network.__new__(Network).__setstate__(state)


def test_a_network_without_the_step_has_empty_lists(with_peak, monkeypatch):
    monkeypatch.setattr(RunningPeak, "build", classmethod(lambda cls, network, layer: None))
    net, _ = _trained(dropout=0.5)
    assert net.peaks == [] and net.running_state == [] and net.running_means == []
    assert net.dropout_masks[0] is not None
    twin = pickle.loads(pickle.dumps(net))
    assert twin.peaks == []
