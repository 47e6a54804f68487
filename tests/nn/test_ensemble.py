"""The BatchEnsemble (TabM) in one network: EnsembleInput and the member steps, checked
against k plain networks built by hand, gradient-checked, initialised as TabM does."""

import copy
import pickle

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose, assert_array_equal

from skfcnn.nn import (
    EnsembleInput,
    FrontScale,
    MemberAdapterStep,
    MemberScaleStep,
    Network,
    PeriodicEmbedding,
    check_gradient,
    loss_value,
)
from skfcnn.nn._state_checks import StateError
from skfcnn.nn.mc_dropout import dropout_passes

SIZES = (3, 5, 4, 2)


def _net(k=3, output="identity", steps=(), seed=1, **options):
    net = Network(SIZES, "tanh", output, input_steps=[*steps, EnsembleInput(k)], **options)
    net.initialize(np.random.RandomState(seed))
    # every adapter, scale and member bias away from its initial value
    net.params += np.random.RandomState(seed + 1).normal(0.0, 0.2, net.params.size)
    return net


def _member_steps(net, layer):
    steps = {type(s): s for s in net.hidden_steps[layer]}
    return steps[MemberScaleStep], steps[MemberAdapterStep]


def _member_network(net, i):
    """Member ``i`` as a plain network: W_l (r_li s_li^T) and b_l s_li + c_li."""
    plain = Network(SIZES, "tanh", net.output_activation)
    r = net.bound_input_steps[-1].parameter_values()["adapter"][i]
    for layer in range(net.n_layers):
        s, c = np.ones(SIZES[layer + 1]), np.zeros(SIZES[layer + 1])
        if layer < net.n_hidden:
            scale, adapter = _member_steps(net, layer)
            s, c = scale.member_scale[i], scale.member_bias[i]
        plain.coefs[layer][...] = net.coefs[layer] * np.outer(r, s)
        plain.intercepts[layer][...] = net.intercepts[layer] * s + c
        if layer < net.n_hidden:
            r = adapter.member_adapter[i]
    return plain


@pytest.mark.parametrize("output, loss", [("identity", "squared_error"),
                                          ("softmax", "log_loss")])
def test_the_ensemble_is_the_mean_of_k_networks_built_by_hand(output, loss):
    rng = np.random.RandomState(0)
    X = rng.normal(size=(9, 3))
    Y = rng.normal(size=(9, 2)) if output == "identity" else np.eye(2)[rng.randint(2, size=9)]
    net = _net(4, output)
    members = [_member_network(net, i) for i in range(4)]
    assert_allclose(net.predict(X), np.mean([m.predict(X) for m in members], axis=0))
    assert_allclose(net.predict(X, raw_output=True),
                    np.mean([m.predict(X, raw_output=True) for m in members], axis=0))
    # the objective: the mean of the members' losses
    expected = np.mean([loss_value(loss, Y, m.predict(X)) for m in members])
    assert net.loss_gradient(X, Y, loss) == pytest.approx(expected, rel=1e-12)
    assert net.forward(X)[-1].shape == (4 * 9, 2)


NETWORKS = [
    dict(k=3),
    dict(k=2, output="softmax"),
    dict(k=1),
    dict(k=3, steps=(FrontScale(),)),
    dict(k=2, output="softmax", steps=(PeriodicEmbedding(columns=[0, 2], n_frequencies=3),)),
]


@pytest.mark.parametrize("setting", NETWORKS, ids=repr)
def test_the_ensemble_passes_the_gradient_check(setting):
    rng = np.random.RandomState(0)
    X = rng.normal(size=(7, 3))
    weights = rng.uniform(0.5, 2.0, size=7)
    softmax = setting.get("output") == "softmax"
    Y = np.eye(2)[rng.randint(2, size=7)] if softmax else rng.normal(size=(7, 2))
    net = _net(**setting)
    loss = "log_loss" if softmax else "squared_error"

    def objective(_):
        return net.loss_gradient(X, Y, loss, alpha=0.3, sample_weight=weights)

    objective(net.params)
    check_gradient(objective, net.params, net.grad.copy(), eps=1e-6)


@pytest.mark.parametrize("options", [dict(dropout=0.3), dict(batch_norm=True)], ids=repr)
def test_the_gradient_check_in_training_mode(options):
    rng = np.random.RandomState(0)
    X, Y = rng.normal(size=(8, 3)), rng.normal(size=(8, 2))
    weights = rng.uniform(0.5, 2.0, size=8)
    net = _net(3, **options)
    net.forward(X, training=True, rng=np.random.RandomState(3), sample_weight=weights)
    kwargs = dict(training=True, fixed_masks=True, update_stats=False)

    def objective(_):
        return net.loss_gradient(X, Y, "squared_error", 0.1, weights, **kwargs)

    objective(net.params)
    check_gradient(objective, net.params, net.grad.copy(), eps=1e-6)


def test_initialisation_follows_tabm():
    net = Network(SIZES, "relu", "identity", input_steps=[EnsembleInput(5)])
    net.initialize(np.random.RandomState(0))
    plain = Network(SIZES, "relu", "identity").initialize(np.random.RandomState(0))
    for coef, plain_coef in zip(net.coefs, plain.coefs):  # the shared layers drawn first
        assert_array_equal(coef, plain_coef)
    first = net.bound_input_steps[0].stored["adapter"]
    assert first.shape == (5, 3) and set(np.unique(first)) == {-1.0, 1.0}
    (s1, r2), (s2, head) = _member_steps(net, 0), _member_steps(net, 1)
    for scale in (s1, s2):
        assert_array_equal(scale.member_scale, 1.0)
        assert_array_equal(scale.member_bias, 0.0)
    assert_array_equal(r2.member_adapter, 1.0)
    assert head.member_adapter.shape == (5, 4)
    assert set(np.unique(head.member_adapter)) == {-1.0, 1.0}  # a head per member
    normal = EnsembleInput(5, init="normal").initial_values(np.random.RandomState(0), 3)
    assert len(np.unique(normal["adapter"])) == 15


def test_the_layout_adds_k_vectors_per_layer_after_the_rest():
    k = 4
    net = _net(k)
    plain = Network(SIZES, "tanh", "identity")
    extra = net.params.size - plain.params.size
    assert extra == 2 * k * 5 + k * 5 + 2 * k * 4 + k * 4 + k * 3
    net.params[: plain.params.size] = plain.params  # dense part first, same layout
    assert_array_equal(net.coefs[1], plain.coefs[1])


def test_chunks_sparse_copies_and_pickles_predict_the_same():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(10, 3))
    net = _net(3)
    expected = net.predict(X)
    from skfcnn.nn import network as network_module
    chunk, network_module.PREDICT_CHUNK = network_module.PREDICT_CHUNK, 4
    try:
        assert_allclose(net.predict(X), expected)
    finally:
        network_module.PREDICT_CHUNK = chunk
    assert_allclose(net.predict(sp.csr_matrix(X)), expected)
    assert_allclose(net.copy().predict(X), expected)
    assert_allclose(pickle.loads(pickle.dumps(net)).predict(X), expected)
    net.forward(X[:2])  # smaller buffers in use, then a larger batch
    net.release_buffers()
    assert_allclose(net.predict(X), expected)


@pytest.mark.parametrize("n_layers", [1, 2])
def test_hidden_outputs_are_the_mean_of_the_members_own(n_layers):
    """A hidden layer's output leaves out the next layer's adapters (the output layer's are
    random signs, which would cancel in the mean)."""
    X = np.random.RandomState(0).normal(size=(6, 3))
    net = _net(4)
    members = [_member_network(net, i) for i in range(4)]
    expected = np.mean([m.predict(X, n_layers=n_layers) for m in members], axis=0)
    assert_allclose(net.predict(X, n_layers=n_layers), expected)


def test_a_smaller_batch_after_a_larger_one_in_training_mode():
    """The last batch of an epoch is smaller: buffers sliced to fewer rows, with dropout,
    batch norm and an input step before the ensemble (gradient-checked)."""
    rng = np.random.RandomState(0)
    X, Y = rng.normal(size=(11, 3)), rng.normal(size=(11, 2))
    weights = rng.uniform(0.5, 2.0, size=11)
    net = _net(3, steps=(FrontScale(),), dropout=0.3, batch_norm=True)
    kwargs = dict(training=True, update_stats=False)
    net.loss_gradient(X, Y, "squared_error", 0.1, weights, rng=np.random.RandomState(1),
                      **kwargs)
    small = slice(0, 4)
    net.forward(X[small], rng=np.random.RandomState(2), sample_weight=weights[small],
                **kwargs)
    twin = net.copy()  # fresh buffers, the same masks drawn again below

    def objective(_):
        return net.loss_gradient(X[small], Y[small], "squared_error", 0.1, weights[small],
                                 fixed_masks=True, **kwargs)

    value = objective(net.params)
    check_gradient(objective, net.params, net.grad.copy(), eps=1e-6)
    twin.forward(X[small], rng=np.random.RandomState(2), sample_weight=weights[small],
                 **kwargs)
    assert twin.loss_gradient(X[small], Y[small], "squared_error", 0.1, weights[small],
                              fixed_masks=True, **kwargs) == value


def test_the_ensemble_must_be_the_last_input_step_and_its_arguments_are_named():
    with pytest.raises(ValueError, match="EnsembleInput must be the last"):
        Network(SIZES, "tanh", "identity", input_steps=[EnsembleInput(2), FrontScale()])
    for step, pattern in [(EnsembleInput(0), "n_members=0"), (EnsembleInput(2.0), "n_members"),
                          (EnsembleInput(True), "n_members"),
                          (EnsembleInput(init="ones"), "init='ones'")]:
        with pytest.raises(ValueError, match=pattern):
            Network(SIZES, "tanh", "identity", input_steps=[step])


def test_a_loaded_state_is_checked_against_the_ensemble():
    state = copy.deepcopy(_net(3).__getstate__())
    state["input_steps"] = (EnsembleInput(4),)  # another k: other member slots
    with pytest.raises(StateError, match="params"):
        Network.__new__(Network).__setstate__(state)


def test_monte_carlo_dropout_of_an_ensemble_is_refused():
    net = _net(2, dropout=0.2)
    with pytest.raises(ValueError, match="ensemble"):
        dropout_passes(net, np.ones((2, 3)), 4, np.random.RandomState(0))
