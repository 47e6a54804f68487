"""The developer guide's worked examples (``tests/extending_examples.py``), each used
where a name is accepted: they train, pass the gradient check, clone, pickle, and
a registered name builds them."""

import pickle
import warnings

import numpy as np
import pytest
from extending_examples import (
    Adamax,
    GradientNorms,
    HalfCosine,
    LearnableScale,
    LearnedShift,
    PseudoHuber,
    Softsign,
    learnable_scale_onnx,
)
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import clone

from skfcnn import FCNNClassifier, FCNNRegressor, check_gradients
from skfcnn.nn import ACTIVATIONS, LOSSES, FrontScale, Network, check_gradient, layers
from skfcnn.nn.mc_dropout import dropout_passes
from skfcnn.nn.optimizers import OPTIMIZERS
from skfcnn.nn.schedules import SCHEDULES

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


@pytest.fixture(scope="module")
def circles(small_circles):
    return small_circles


@pytest.fixture(scope="module")
def regression(small_regression):
    return small_regression


def test_softsign_forward_and_derivative_follow_their_formulas():
    z = np.linspace(-5, 5, 41)
    assert_allclose(Softsign().forward(z.copy()), z / (1 + np.abs(z)))
    a = Softsign().forward(z.copy())
    assert_allclose(Softsign().derivative(None, a, np.ones_like(z)), 1 / (1 + np.abs(z)) ** 2)


@pytest.mark.parametrize("activation", [Softsign(), [Softsign(), "tanh"]])
def test_a_user_activation_trains_and_passes_the_gradient_check(activation, circles):
    X, y = circles
    est = FCNNClassifier(hidden_layer_sizes=(6, 4), activation=activation, max_iter=300,
                         learning_rate_init=0.01, random_state=0).fit(X, y)
    assert est.score(X, y) > 0.95
    check_gradients(est, X[:20], y[:20])
    network = Network((3, 4, 2), Softsign(), "identity").initialize(np.random.RandomState(0))
    X = np.random.RandomState(1).normal(size=(5, 3))
    Y = np.random.RandomState(2).normal(size=(5, 2))

    def objective(params):
        return network.loss_gradient(X, Y, "squared_error")

    objective(network.params)
    check_gradient(objective, network.params, network.grad.copy())


def test_pseudo_huber_value_and_gradient(regression):
    loss, rng = PseudoHuber(delta=0.5), np.random.RandomState(0)
    y_true, y_pred, w = rng.normal(size=(6, 2)), rng.normal(size=(6, 2)), rng.uniform(size=6)
    r = y_pred - y_true
    assert_allclose(loss.value(y_true, y_pred, w),
                    np.average(0.25 * (np.sqrt(1 + (r / 0.5) ** 2) - 1).sum(axis=1), weights=w))
    expected = w[:, None] / w.sum() * r / np.sqrt(1 + (r / 0.5) ** 2)
    assert_allclose(loss.gradient(y_true, y_pred, w), expected)


def test_pseudo_huber_resists_outliers_where_squared_error_does_not(regression):
    X, y = regression
    dirty = y.copy()
    dirty[::10] += 30  # every tenth target is a gross outlier
    kwargs = dict(hidden_layer_sizes=(16,), max_iter=500, learning_rate_init=0.01,
                  random_state=0)
    robust = FCNNRegressor(loss=PseudoHuber(delta=0.5), **kwargs).fit(X, dirty)
    plain = FCNNRegressor(**kwargs).fit(X, dirty)
    assert robust.score(X, y) > 0.9 > plain.score(X, y) + 0.1
    check_gradients(robust, X[:20], dirty[:20])


def test_adamax_follows_its_formula_and_trains(circles):
    rng = np.random.RandomState(0)
    params, grads = rng.normal(size=7), [rng.normal(size=7) for _ in range(3)]
    opt = Adamax(beta_1=0.8, beta_2=0.9, epsilon=1e-6)
    ours, state = params.copy(), opt.init(params)
    m, u = np.zeros(7), np.zeros(7)
    for t, g in enumerate(grads, start=1):
        opt.update(ours, g, 0.1, state)
        m, u = 0.8 * m + 0.2 * g, np.maximum(0.9 * u, np.abs(g))
        params = params - 0.1 / (1 - 0.8**t) * m / (u + 1e-6)
    assert_allclose(ours, params, rtol=1e-12)
    assert opt == Adamax(beta_1=0.8, beta_2=0.9, epsilon=1e-6)  # init/update left it as it was
    X, y = circles
    est = FCNNClassifier(hidden_layer_sizes=(8,), solver=Adamax(), max_iter=300,
                         learning_rate_init=0.02, random_state=0).fit(X, y)
    assert est.score(X, y) > 0.95 and est._optimizer == Adamax()


def test_registered_names_build_the_examples(circles, regression, monkeypatch):
    monkeypatch.setitem(ACTIVATIONS, "softsign", Softsign())
    monkeypatch.setitem(LOSSES, "pseudo_huber", PseudoHuber())
    monkeypatch.setitem(OPTIMIZERS, "adamax", Adamax)
    monkeypatch.setitem(SCHEDULES, "half_cosine", HalfCosine)
    X, y = regression
    est = FCNNRegressor(hidden_layer_sizes=(5,), activation="softsign", loss="pseudo_huber",
                        solver="adamax", beta_1=0.8, learning_rate="half_cosine", max_iter=20,
                        random_state=0).fit(X, y)
    assert est._optimizer == Adamax(beta_1=0.8)
    assert est._network.hidden_activations[0] is ACTIVATIONS["softsign"] or \
        est._network.hidden_activations[0] == "softsign"
    history = est.loss_curve_
    assert history[-1] < history[0]
    schedule = HalfCosine.build(0.001, n_epochs=20, power_t=0.5)
    assert schedule(0) == 0.001 and schedule(20) == 0.0005


def test_user_objects_clone_and_pickle_with_the_estimator(regression):
    X, y = regression
    est = FCNNRegressor(hidden_layer_sizes=(5,), activation=Softsign(), loss=PseudoHuber(0.3),
                        solver=Adamax(beta_2=0.99), learning_rate=HalfCosine(0.01, 10),
                        max_iter=10, random_state=0)
    twin = clone(est)
    assert twin.get_params() == est.get_params()
    assert twin.activation is not est.activation and twin.activation == est.activation
    est.fit(X, y)
    again = pickle.loads(pickle.dumps(est))
    assert_array_equal(again.predict(X), est.predict(X))
    assert_array_equal(again.partial_fit(X, y).predict(X), est.partial_fit(X, y).predict(X))
    assert_array_equal(clone(est).fit(X, y).predict(X), twin.fit(X, y).predict(X))


def test_a_callback_sees_every_gradient_and_stops_training(circles):
    X, y = circles
    norms = GradientNorms(stop_below=0.3)
    est = FCNNClassifier(hidden_layer_sizes=(8,), batch_size=40, max_iter=500,
                         learning_rate_init=0.02, callbacks=[norms], random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # stopping by a callback is no convergence failure
        est.fit(X, y)
    assert est.loss_curve_[-1] < 0.3 <= min(est.loss_curve_[:-1])
    assert len(norms.norms_) == 3 * est.n_iter_  # three batches of 40 per epoch
    assert all(n > 0 for n in norms.norms_)


# -- a layer step with a parameter -------------------------------------------------------
@pytest.fixture
def learnable_scale(monkeypatch):
    """The guide's one line: the step at its place in LAYER_STEPS (after batch norm)."""
    monkeypatch.setattr(layers, "LAYER_STEPS", [layers.BatchNormStep, LearnableScale,
                                                layers.ActivationStep, layers.DropoutStep])


def test_a_step_declares_its_parameters_and_the_network_lays_them_out(learnable_scale):
    net = Network((3, 4, 5, 2), "tanh", "identity", batch_norm=True, dropout=0.5)
    kinds = [[type(step) for step in steps] for steps in net.hidden_steps]
    assert kinds == [[layers.BatchNormStep, LearnableScale, layers.ActivationStep,
                      layers.DropoutStep]] * 2
    dense = 3 * 4 + 4 + 4 * 5 + 5 + 5 * 2 + 2
    assert net.params.size == net.grad.size == dense + 3 * 4 + 3 * 5
    # layer by layer, step by step: gamma_1, beta_1, scale_1, gamma_2, beta_2, scale_2
    starts = {"gamma": (0, 12), "beta": (4, 17), "scale": (8, 22)}
    for layer, steps in enumerate(net.hidden_steps):
        for step in steps[:2]:
            for name in ("gamma", "beta") if step is steps[0] else ("scale",):
                start = dense + starts[name][layer]
                view = getattr(step, name)
                assert np.shares_memory(view, net.params[start : start + view.size])
                assert np.shares_memory(getattr(step, f"{name}_grad"), net.grad[start:])
    assert_array_equal(net.hidden_steps[1][1].scale, 1.0)  # its slot's initial value
    assert net.bn_gammas[1] is net.hidden_steps[1][0].gamma
    net.hidden_steps[0][1].scale[...] = 3.0
    net.initialize(np.random.RandomState(0))
    assert_array_equal(net.hidden_steps[0][1].scale, 1.0)
    assert_array_equal(net.weight_mask()[dense:], 0.0)  # never penalised nor decayed


@pytest.mark.parametrize("batch_norm", [False, True])
def test_the_learnable_scale_passes_the_gradient_check(learnable_scale, batch_norm):
    rng = np.random.RandomState(0)
    net = Network((3, 4, 5, 2), "tanh", "identity", batch_norm=batch_norm)
    net.initialize(rng)
    for steps in net.hidden_steps:
        steps[-2].scale[...] = rng.uniform(0.5, 2.0, size=steps[-2].units)
    X, Y = rng.normal(size=(7, 3)), rng.normal(size=(7, 2))

    def objective(params):
        return net.loss_gradient(X, Y, "squared_error", alpha=0.1, training=True,
                                 update_stats=False)

    objective(net.params)
    scale_grad = net.hidden_steps[0][-2].scale_grad
    assert np.abs(scale_grad).max() > 1e-3  # the step writes its gradient
    check_gradient(objective, net.params, net.grad.copy())


def test_the_learnable_scale_trains_clones_and_pickles(learnable_scale, circles):
    X, y = circles
    est = FCNNClassifier(hidden_layer_sizes=(6, 4), batch_norm=True, max_iter=300,
                         learning_rate_init=0.01, random_state=0).fit(X, y)
    assert est.score(X, y) > 0.95
    scales = [steps[1].scale for steps in est._network.hidden_steps]
    assert all(isinstance(steps[1], LearnableScale) for steps in est._network.hidden_steps)
    assert not np.allclose(scales[0], 1.0)  # trained with the weights
    check_gradients(est, X[:20], y[:20])
    assert clone(est).get_params() == est.get_params()
    saved = pickle.dumps(est)
    loaded = pickle.loads(saved)
    assert_array_equal(loaded.predict_proba(X), est.predict_proba(X))
    assert_array_equal(loaded._network.hidden_steps[0][1].scale, scales[0])
    layers.LAYER_STEPS.remove(LearnableScale)  # a process without the step
    with pytest.raises(ValueError, match=r"_network\.params has shape"):
        pickle.loads(saved)


def test_monte_carlo_dropout_predicts_through_the_learnable_scale(learnable_scale):
    rng = np.random.RandomState(0)
    net = Network((3, 6, 2), "relu", "identity", dropout=0.5).initialize(rng)
    net.hidden_steps[0][0].scale[...] = 0.0  # the layer's output is 0 whatever the mask
    passes = dropout_passes(net, rng.normal(size=(4, 3)), 5, np.random.default_rng(0))
    assert_array_equal(passes, np.broadcast_to(net.intercepts[1], passes.shape))


def test_the_learnable_scale_exports_to_onnx_with_its_emitter(learnable_scale, regression,
                                                               monkeypatch):
    ort = pytest.importorskip("onnxruntime")
    onnx_export = pytest.importorskip("skfcnn.onnx")
    X, y = regression
    est = FCNNRegressor(hidden_layer_sizes=(5,), max_iter=50, random_state=0).fit(X, y)
    with pytest.raises(ValueError, match="layer step LearnableScale has no ONNX form"):
        onnx_export.to_onnx(est, X[:1])
    monkeypatch.setitem(onnx_export.ONNX_LAYER_STEPS, LearnableScale, learnable_scale_onnx)
    session = ort.InferenceSession(onnx_export.to_onnx(est, X[:1]).SerializeToString(),
                                   providers=["CPUExecutionProvider"])
    (predicted,) = session.run(None, {session.get_inputs()[0].name: X})
    assert_allclose(predicted.ravel(), est.predict(X), rtol=1e-10, atol=1e-12)


def test_estimators_with_the_learnable_scale_pass_the_estimator_checks(learnable_scale):
    from sklearn.utils.estimator_checks import check_estimator

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for est in (FCNNClassifier(hidden_layer_sizes=(16,)), FCNNRegressor(batch_norm=True)):
            check_estimator(est)


# -- an input step ----------------------------------------------------------------------
def test_the_learned_shift_passes_the_gradient_check_first_and_later():
    rng = np.random.RandomState(0)
    X, Y = rng.normal(size=(7, 3)), rng.normal(size=(7, 2))
    for steps in ([LearnedShift(lr_factor=3.0)], [FrontScale(), LearnedShift()]):
        net = Network((3, 4, 2), "tanh", "identity", input_steps=steps).initialize(rng)
        net.params[-3:] = rng.normal(size=3)  # a shift away from 0

        def objective(params, net=net):
            return net.loss_gradient(X, Y, "squared_error", alpha=0.1)

        objective(net.params)
        assert np.abs(net.grad[-3:]).max() > 1e-3  # the step writes its gradient
        check_gradient(objective, net.params, net.grad.copy())


def test_the_learned_shift_trains_clones_and_pickles(regression):
    X, y = regression
    est = FCNNRegressor(hidden_layer_sizes=(8,), max_iter=50, learning_rate_init=0.01,
                        random_state=0, input_steps=[LearnedShift(), FrontScale()]).fit(X, y)
    shift = est._network.bound_input_steps[0].parameter_values()["shift"]
    assert not np.allclose(shift, 0.0)  # trained with the weights
    check_gradients(est, X[:20], y[:20])
    assert clone(est).get_params() == est.get_params()
    loaded = pickle.loads(pickle.dumps(est))
    assert_array_equal(loaded.predict(X), est.predict(X))
