"""Input steps (:mod:`skfcnn.nn.input_steps`): the front scale and the periodic embeddings,
alone and inside a network: their maths, gradients, learning-rate factors, layout,
copies, pickles and load checks."""

import copy
import math
import pickle

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose, assert_array_equal

from skfcnn.nn import (
    INPUT_STEPS,
    Adam,
    EnsembleInput,
    FrontScale,
    InputStep,
    Network,
    PeriodicEmbedding,
    check_gradient,
    numerical_gradient,
)
from skfcnn.nn._layout import n_parameters
from skfcnn.nn._state_checks import StateError
from skfcnn.nn.input_steps import bind_input_steps, dense_sizes, n_input_parameters
from skfcnn.nn.mc_dropout import dropout_passes
from skfcnn.nn.network import PREDICT_CHUNK

STEP = 1e-6


def _bound(step, n_inputs, rng, needs_input_delta=True, dtype=np.float64):
    """A bound copy of ``step`` on its own flat vectors, initialised from ``rng``."""
    size = n_input_parameters((step,), n_inputs)
    params, grad = np.zeros(size, dtype), np.zeros(size, dtype)
    bound, _ = step.bind(n_inputs, dtype, needs_input_delta, params, grad, 0)
    for name, value in step.initial_values(rng, n_inputs).items():
        bound.stored[name][...] = value / bound.factor
    bound.allocate(16)
    return bound, params, grad


def _network(steps, sizes=(3, 5, 2), **options):
    return Network(sizes, "tanh", "identity", input_steps=steps,
                   **options).initialize(np.random.RandomState(1))


# -------------------------------------------------------------- the steps alone
STEPS_ALONE = [
    FrontScale(),
    FrontScale(lr_factor=1.0),
    PeriodicEmbedding(),
    PeriodicEmbedding(columns=[2, 0], n_frequencies=4, embedding_size=2, lr_factor=1.0),
    PeriodicEmbedding(columns=[], n_frequencies=3),
]


@pytest.mark.parametrize("step", STEPS_ALONE, ids=repr)
def test_each_step_alone_passes_the_gradient_check(step):
    rng = np.random.RandomState(0)
    X = rng.normal(size=(6, 3))
    bound, params, grad = _bound(step, 3, rng)
    weights = rng.normal(size=(6, step.n_outputs(3)))  # J = sum(G * step(X))

    def objective(_):
        return float(np.sum(weights * bound.forward(X, None)))

    objective(params)
    input_delta = bound.backward(weights.copy(), None).copy()
    check_gradient(objective, params, grad.copy(), eps=STEP)
    numeric = numerical_gradient(
        lambda flat: float(np.sum(weights * bound.predict(flat.reshape(X.shape)))),
        X.ravel().copy(), STEP)
    assert_allclose(input_delta.ravel(), numeric, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("step", [FrontScale(), PeriodicEmbedding()], ids=repr)
def test_the_first_step_gives_no_input_delta(step):
    bound, _, grad = _bound(step, 3, np.random.RandomState(0), needs_input_delta=False)
    X = np.random.RandomState(1).normal(size=(4, 3))
    out = bound.forward(X, None)
    assert bound.backward(np.ones_like(out), None) is None
    assert np.any(grad != 0)


def test_front_scale_by_hand():
    X = np.array([[1.0, -2.0, 3.0], [0.5, 0.0, -1.0]])
    bound, params, grad = _bound(FrontScale(lr_factor=6.0), 3, np.random.RandomState(0))
    assert_allclose(bound.parameter_values()["scale"], 1.0)  # the identity at first
    assert_allclose(params, 1 / 6)  # stored divided by the factor
    bound.stored["scale"][...] = np.array([2.0, 1.0, -1.0]) / 6
    assert_allclose(bound.forward(X, None), X * [2.0, 1.0, -1.0])
    G = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    assert_allclose(bound.backward(G, None), G * [2.0, 1.0, -1.0])
    assert_allclose(grad, 6.0 * (X * G).sum(axis=0))  # dJ/ds' = c dJ/ds


def test_periodic_embedding_by_hand():
    """Column 2's block, then column 0's, each [e_1, e_2, x]; column 1 passed last."""
    X = np.array([[0.3, -1.0, 2.0], [-0.7, 4.0, 0.1]])
    step = PeriodicEmbedding(columns=[2, 0], n_frequencies=2, embedding_size=2,
                             lr_factor=0.5)
    bound, _, _ = _bound(step, 3, np.random.RandomState(0))
    w1 = np.array([[0.1, -0.2], [0.3, 0.05]])
    b1 = np.array([[0.5, 1.0], [-1.0, 0.0]])
    W2 = np.array([[[1.0, 2.0], [3.0, -1.0]], [[0.5, 0.0], [-2.0, 1.5]]])  # (m, E, K)
    b2 = np.array([[0.1, 0.2], [-0.3, 0.4]])
    for name, value in zip(("frequencies", "phases", "weights", "biases"), (w1, b1, W2, b2)):
        bound.stored[name][...] = value / 0.5
    expected = np.empty((2, 7))
    for i in range(2):
        row = []
        for k, j in enumerate([2, 0]):
            h = [math.cos(2 * math.pi * w1[k, f] * X[i, j] + b1[k, f]) for f in range(2)]
            e = [sum(W2[k, o, f] * h[f] for f in range(2)) + b2[k, o] for o in range(2)]
            row += [*e, X[i, j]]
        expected[i] = [*row, X[i, 1]]
    assert_allclose(bound.forward(X, None), expected, rtol=1e-13)
    assert_allclose(bound.predict(X), expected, rtol=1e-13)
    assert step.n_outputs(3) == 7


def test_periodic_embedding_initialisation_follows_realmlp():
    step = PeriodicEmbedding()
    values = step.initial_values(np.random.RandomState(0), 200)
    assert values["frequencies"].shape == (200, 16)
    assert abs(values["frequencies"].std() - 0.1) < 0.005
    assert np.abs(values["phases"]).max() <= math.pi
    assert values["phases"].min() < -3 and values["phases"].max() > 3
    for name in ("weights", "biases"):
        assert np.abs(values[name]).max() <= 0.25 and np.abs(values[name]).max() > 0.24
    assert values["weights"].shape == (200, 3, 16) and values["biases"].shape == (200, 3)
    assert step.n_outputs(5) == 20 and PeriodicEmbedding(columns=[1]).n_outputs(5) == 8


# ------------------------------------------------------- inside a network
NETWORK_STEPS = [
    (FrontScale(),),
    (PeriodicEmbedding(columns=[2, 0], n_frequencies=4, embedding_size=2),),
    (FrontScale(), PeriodicEmbedding(columns=[1], n_frequencies=3)),
    (PeriodicEmbedding(n_frequencies=3), FrontScale(lr_factor=2.0),
     PeriodicEmbedding(columns=[0, 5], n_frequencies=2)),
]


@pytest.mark.parametrize("steps", NETWORK_STEPS, ids=repr)
@pytest.mark.parametrize("loss, output", [("squared_error", "identity"),
                                          ("log_loss", "softmax")])
def test_a_network_with_input_steps_passes_the_gradient_check(steps, loss, output):
    rng = np.random.RandomState(0)
    X = rng.normal(size=(7, 3))
    Y = rng.normal(size=(7, 2)) if loss == "squared_error" else np.eye(2)[rng.randint(2, size=7)]
    weights = rng.uniform(0.5, 2.0, size=7)
    net = Network((3, 5, 4, 2), "tanh", output, input_steps=steps).initialize(
        np.random.RandomState(1))

    def objective(_):
        return net.loss_gradient(X, Y, loss, alpha=0.3, sample_weight=weights)

    objective(net.params)
    check_gradient(objective, net.params, net.grad.copy(), eps=STEP)


def test_gradient_check_with_batch_norm_and_dropout_in_training_mode():
    rng = np.random.RandomState(0)
    X, Y = rng.normal(size=(8, 3)), rng.normal(size=(8, 2))
    net = _network((FrontScale(), PeriodicEmbedding(n_frequencies=3)), (3, 6, 2),
                   batch_norm=True, dropout=0.3)
    net.forward(X, training=True, rng=np.random.default_rng(0))
    kwargs = {"training": True, "fixed_masks": True, "update_stats": False}

    def objective(_):
        return net.loss_gradient(X, Y, "squared_error", **kwargs)

    objective(net.params)
    check_gradient(objective, net.params, net.grad.copy(), eps=STEP)


def test_layer_sizes_keep_the_raw_features_and_coefs_the_embedded_width():
    net = _network((FrontScale(), PeriodicEmbedding(columns=[0, 2])))
    assert net.layer_sizes == (3, 5, 2) and net.dense_sizes == (9, 5, 2)
    assert [c.shape for c in net.coefs] == [(9, 5), (5, 2)]
    n_dense = n_parameters(net.dense_sizes)
    assert net.params.size == n_dense + 3 + 2 * (16 + 16 + 48 + 3)
    scale = net.bound_input_steps[0].stored["scale"]
    assert np.shares_memory(scale, net.params[n_dense : n_dense + 3])  # after the rest
    assert dense_sizes((3, 5, 2), ()) == (3, 5, 2)


def test_the_parameters_come_after_everything_else_and_leave_it_as_it_was():
    """The dense layers and batch norm keep their layout and their draws; a front
    scale at 1 gives the function of the network without it."""
    plain = Network((3, 5, 2), "tanh", "identity", batch_norm=True).initialize(
        np.random.RandomState(1))
    scaled = Network((3, 5, 2), "tanh", "identity", batch_norm=True,
                     input_steps=[FrontScale()]).initialize(np.random.RandomState(1))
    assert_array_equal(scaled.params[: plain.params.size], plain.params)
    assert scaled.params.size == plain.params.size + 3
    X = np.random.RandomState(2).normal(size=(5, 3))
    assert_allclose(scaled.predict(X), plain.predict(X), rtol=1e-14)


@pytest.mark.parametrize("steps", NETWORK_STEPS[1:], ids=repr)
def test_forward_predict_chunks_and_hidden_outputs_agree(steps):
    net = _network(steps)
    X = np.random.RandomState(3).normal(size=(2 * PREDICT_CHUNK + 5, 3))
    forward = net.forward(X)
    assert_allclose(net.predict(X), forward[-1], rtol=1e-12)
    assert_allclose(net.transform_inputs(X), forward[0], rtol=1e-12)
    hidden = np.tanh(net.transform_inputs(X[:9]) @ net.coefs[0] + net.intercepts[0])
    assert_allclose(net.predict(X[:9], n_layers=1), hidden, rtol=1e-12)


def test_a_sparse_input_gives_the_dense_numbers():
    net = _network((FrontScale(), PeriodicEmbedding(columns=[1])))
    X = np.random.RandomState(4).normal(size=(6, 3)) * (np.arange(3) != 2)
    Y = np.random.RandomState(5).normal(size=(6, 2))
    dense_value = net.loss_gradient(X, Y, "squared_error")
    dense_grad = net.grad.copy()
    assert net.loss_gradient(sp.csr_matrix(X), Y, "squared_error") == dense_value
    assert_array_equal(net.grad, dense_grad)
    assert_array_equal(net.predict(sp.csr_matrix(X)), net.predict(X))


def test_copy_pickle_and_release_buffers_keep_the_predictions():
    net = _network((FrontScale(), PeriodicEmbedding()), dtype=np.float32)
    X = np.random.RandomState(6).normal(size=(10, 3)).astype(np.float32)
    net.loss_gradient(X, np.ones((10, 2), np.float32), "squared_error")
    expected = net.predict(X)
    assert expected.dtype == np.float32
    for twin in (net.copy(), pickle.loads(pickle.dumps(net)), copy.deepcopy(net)):
        assert twin.input_steps == net.input_steps
        assert_array_equal(twin.predict(X), expected)
        assert not np.shares_memory(twin.params, net.params)
        assert np.shares_memory(twin.bound_input_steps[1].stored["weights"], twin.params)
    net.release_buffers()
    assert_array_equal(net.predict(X), expected)
    assert "bound_input_steps" not in net.__getstate__()


def test_the_users_step_is_copied_and_never_changed():
    step = PeriodicEmbedding(columns=[0])
    fields = dict(vars(step))
    net = _network([step, FrontScale()])
    net.loss_gradient(np.ones((2, 3)), np.ones((2, 2)), "squared_error")
    assert vars(step) == fields
    assert net.input_steps[0] == step and net.input_steps[0] is not step
    step.lr_factor = 5.0  # a later change reaches no network
    assert net.input_steps[0].lr_factor == 0.1


def test_monte_carlo_dropout_runs_the_input_steps_at_prediction_time():
    net = _network((FrontScale(), PeriodicEmbedding(n_frequencies=3)), dropout=0.4)
    plain = Network(net.dense_sizes, "tanh", "identity", dropout=0.4)
    plain.params[...] = net.params[: plain.params.size]
    X = np.random.RandomState(7).normal(size=(5, 3))
    passes = dropout_passes(net, X, 4, np.random.default_rng(0))
    expected = dropout_passes(plain, net.transform_inputs(X), 4, np.random.default_rng(0))
    assert_array_equal(passes, expected)


# ------------------------------------------------------------ learning-rate factors
@pytest.mark.parametrize("cls", [FrontScale, PeriodicEmbedding])
def test_the_lr_factor_leaves_the_function_at_initialisation(cls):
    X = np.random.RandomState(8).normal(size=(6, 3))
    nets = [_network([cls(lr_factor=c)]) for c in (1.0, 0.1, 6.0, 49.0)]
    for net in nets[1:]:
        assert_allclose(net.predict(X), nets[0].predict(X), rtol=1e-13)
    n_dense = n_parameters(nets[0].dense_sizes)
    assert_allclose(nets[2].params[n_dense:] * 6.0, nets[0].params[n_dense:], rtol=1e-15)


@pytest.mark.parametrize("cls, factor", [(FrontScale, 6.0), (PeriodicEmbedding, 0.1)])
def test_adams_first_step_on_theta_is_lr_factor_times_larger(cls, factor):
    X = np.random.RandomState(9).normal(size=(20, 3))
    Y = np.random.RandomState(10).normal(size=(20, 2))
    moves = []
    for c in (1.0, factor):
        net = _network([cls(lr_factor=c)])
        before = {k: v.copy() for k, v in net.bound_input_steps[0].parameter_values().items()}
        optimizer = Adam(epsilon=1e-12)
        state = optimizer.init(net.params)
        net.loss_gradient(X, Y, "squared_error")
        optimizer.update(net.params, net.grad, 1e-3, state)
        after = net.bound_input_steps[0].parameter_values()
        moves.append(np.concatenate([(after[k] - before[k]).ravel() for k in before]))
    assert np.abs(moves[0]).max() > 1e-4  # a step was taken
    assert_allclose(moves[1], factor * moves[0], rtol=1e-5, atol=1e-12)


# ------------------------------------------------------------ checks and errors
@pytest.mark.parametrize("step, pattern", [
    (PeriodicEmbedding(columns=[3]), r"columns must be distinct column indices in \[0, 3\)"),
    (PeriodicEmbedding(columns=[0, 0]), r"got columns=\[0, 0\]"),
    (PeriodicEmbedding(columns=[True]), r"got columns=\[True\]"),
    (PeriodicEmbedding(columns="a"), r"got columns='a'"),
    (PeriodicEmbedding(n_frequencies=0), r"n_frequencies must be an int >= 1"),
    (PeriodicEmbedding(embedding_size=1.5), r"embedding_size must be an int >= 1"),
    (PeriodicEmbedding(sigma=-1.0), r"'sigma' parameter must be a real number in \(0"),
    (FrontScale(lr_factor=0), r"'lr_factor' parameter must be a real number in \(0"),
])
def test_bad_arguments_are_named(step, pattern):
    with pytest.raises(ValueError, match=pattern):
        Network((3, 4, 1), "relu", "identity", input_steps=[step])


@pytest.mark.parametrize("steps", [FrontScale(), [object()], "front_scale"])
def test_input_steps_must_be_a_list_of_input_steps(steps):
    with pytest.raises(TypeError, match="input_steps"):
        Network((3, 4, 1), "relu", "identity", input_steps=steps)


@pytest.mark.parametrize("tamper, pattern", [
    (lambda state: state.__setitem__("input_steps", (object(),)),
     r"_network\.input_steps is \(<object"),
    (lambda state: state.__setitem__("input_steps", (PeriodicEmbedding(columns=[7]),)),
     r"_network\.input_steps is .*columns=\[7\]"),
    (lambda state: state.__setitem__("input_steps", (FrontScale(),)),
     r"_network\.params has shape \(\d+,\); the layer sizes need"),
    (lambda state: state.__setitem__("input_steps", ()),
     r"_network\.params has shape"),
    (lambda state: state["params"].__setitem__(-1, np.nan), r"_network\.params holds non-finite"),
])
def test_a_loaded_state_is_checked_against_its_input_steps(tamper, pattern):
    state = _network((FrontScale(), PeriodicEmbedding(columns=[0]))).__getstate__()
    tamper(state)
    with pytest.raises(StateError, match=pattern):
        Network.__new__(Network).__setstate__(state)


def test_a_state_saved_before_input_steps_loads_without_them():
    net = Network((3, 4, 1), "relu", "identity").initialize(np.random.RandomState(0))
    state = net.__getstate__()
    del state["input_steps"]
    twin = Network.__new__(Network)
    twin.__setstate__(state)
    assert twin.input_steps == () and twin.bound_input_steps == []
    assert_array_equal(twin.predict(np.ones((2, 3))), net.predict(np.ones((2, 3))))


def test_the_registry_and_the_value_objects():
    assert INPUT_STEPS == {"front_scale": FrontScale, "periodic_embedding": PeriodicEmbedding,
                           "ensemble": EnsembleInput}
    assert all(issubclass(cls, InputStep) for cls in INPUT_STEPS.values())
    step = PeriodicEmbedding(columns=[1, 2], sigma=0.2)
    assert repr(step) == ("PeriodicEmbedding(columns=[1, 2], n_frequencies=16, "
                          "embedding_size=3, sigma=0.2, lr_factor=0.1)")
    assert step == copy.deepcopy(step) == pickle.loads(pickle.dumps(step))
    assert step != PeriodicEmbedding(columns=[1, 2]) and FrontScale() != FrontScale(1.0)
    assert hash(FrontScale()) == hash(FrontScale(6.0))


def test_bind_input_steps_binds_in_order_and_only_later_steps_pass_errors_back():
    steps = (FrontScale(), PeriodicEmbedding(columns=[0]), FrontScale())
    size = n_input_parameters(steps, 3)
    params, grad = np.arange(size, dtype=float), np.zeros(size)
    bound = bind_input_steps(steps, 3, np.float64, params, grad, 0)
    assert [b.needs_input_delta for b in bound] == [False, True, True]
    assert [b.n_inputs for b in bound] == [3, 3, 6]
    assert_array_equal(bound[0].stored["scale"], [0, 1, 2])
    assert bound[2].stored["scale"][-1] == size - 1
