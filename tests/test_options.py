"""The options beyond scikit-learn's MLP (issue 4), estimator by estimator.

Each test fits small data with a fixed ``random_state`` and checks behaviour
and numbers: what every activation, solver, schedule, dropout, batch
normalisation, initialiser and classifier loss does at the estimator level.
What tests/test_beyond.py already covers (class_weight against sample_weight,
early stopping on a given validation set, transform, callbacks, clipping,
check_gradients) is not repeated here.
"""

import math
import pickle

import numpy as np
import pytest
from conftest import BOTH
from scipy.special import expit
from sklearn.base import clone
from sklearn.datasets import make_classification
from sklearn.utils import get_tags

import skfcnn.estimators.fitting
from skfcnn import FCNNClassifier, FCNNRegressor
from skfcnn.nn import optimizers
from skfcnn.nn.activations import HIDDEN_ACTIVATIONS
from skfcnn.nn.schedules import ExponentialDecay

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
ACTIVATIONS = list(HIDDEN_ACTIVATIONS)  # every registered hidden activation
STOCHASTIC = list(optimizers.OPTIMIZERS)  # every registered optimiser


@pytest.fixture(scope="module")
def digits(digits_400):
    return digits_400


def data_for(cls, circles, parabola):
    return circles[:2] if cls is FCNNClassifier else parabola


class RateLog:
    """A picklable callback that keeps the learning rate each epoch hands on."""

    def __init__(self):
        self.rates = []

    def __call__(self, history):
        self.rates.append(history["learning_rate"])
        return False


class HalveEvery:
    """A user schedule: ``rate`` halved every ``every`` epochs (picklable, no ``unit``)."""

    def __init__(self, rate, every):
        self.rate = rate
        self.every = every

    def __call__(self, epoch):
        return self.rate * 0.5 ** (epoch // self.every)


class PerSample:
    """A user schedule counting samples seen: ``rate / (1 + t / scale)``."""

    unit = "sample"

    def __init__(self, rate, scale):
        self.rate = rate
        self.scale = scale

    def __call__(self, samples_seen):
        return self.rate / (1.0 + samples_seen / self.scale)


def manual_hidden(name, Z):
    """The hidden activations written out from their formulas (not from skfcnn)."""
    if name == "gelu":
        return 0.5 * Z * (1 + np.tanh(np.sqrt(2 / np.pi) * (Z + 0.044715 * Z**3)))
    return {
        "identity": lambda z: z,
        "logistic": expit,
        "tanh": np.tanh,
        "relu": lambda z: np.maximum(z, 0),
        "leaky_relu": lambda z: np.where(z > 0, z, 0.01 * z),
        "elu": lambda z: np.where(z > 0, z, np.expm1(np.minimum(z, 0))),
        "softplus": lambda z: np.logaddexp(0, z),
        "swish": lambda z: z * expit(z),
    }[name](Z)


# -- activations ------------------------------------------------------------------------------
# 300 epochs each (no early stop: logistic starts slowly); measured test accuracy on the
# circles / training R² on the parabola: >= 0.95 / 0.97 for every nonlinear activation;
# identity is a linear model and must fail both
@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_every_activation_learns_circles_and_a_parabola(activation, circles, parabola):
    X, y, X_test, y_test = circles
    params = dict(hidden_layer_sizes=(16,), activation=activation, learning_rate_init=0.02,
                  tol=0.0, n_iter_no_change=1000, max_iter=300, random_state=0)
    clf = FCNNClassifier(**params).fit(X, y)
    reg = FCNNRegressor(**params).fit(*parabola)
    for est in (clf, reg):
        assert np.all(np.isfinite(est.loss_curve_))
        assert est.loss_curve_[-1] < est.loss_curve_[0]
    if activation == "identity":
        assert clf.score(X_test, y_test) < 0.65 and reg.score(*parabola) < 0.05
    else:
        assert clf.score(X_test, y_test) > 0.9
        assert reg.score(*parabola) > 0.85
        assert clf.loss_ < 0.5 * clf.loss_curve_[0]


@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_each_hidden_layer_applies_its_own_activation(activation, circles):
    X, y = circles[:2]
    other = "tanh" if activation != "tanh" else "relu"
    clf = FCNNClassifier(hidden_layer_sizes=(5, 4), activation=[activation, other],
                         max_iter=3, random_state=0).fit(X, y)
    first = manual_hidden(activation, X @ clf.coefs_[0] + clf.intercepts_[0])
    second = manual_hidden(other, first @ clf.coefs_[1] + clf.intercepts_[1])
    np.testing.assert_allclose(clf.transform(X, layer=0), first, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(clf.transform(X), second, rtol=1e-10, atol=1e-12)
    logits = second @ clf.coefs_[2] + clf.intercepts_[2]
    np.testing.assert_allclose(clf.predict_proba(X)[:, 1], expit(logits).ravel(), rtol=1e-10)


def test_a_list_of_one_activation_equals_the_name(circles):
    X, y = circles[:2]
    params = dict(hidden_layer_sizes=(6, 5), max_iter=5, random_state=0)
    by_name = FCNNClassifier(activation="elu", **params).fit(X, y)
    by_list = FCNNClassifier(activation=("elu", "elu"), **params).fit(X, y)
    np.testing.assert_array_equal(by_name.predict_proba(X), by_list.predict_proba(X))


@pytest.mark.parametrize("cls", BOTH)
def test_unknown_activation_names_are_rejected_naming_the_parameter(cls, circles, parabola):
    X, y = data_for(cls, circles, parabola)
    for activation in (["relu", "sigmoid"], ["relu", 3], ("tanh", None)):
        with pytest.raises(ValueError, match=r"'activation' parameter.*list or tuple of such "
                                             r"names.*Got \["):
            cls(hidden_layer_sizes=(4, 3), activation=list(activation)).fit(X, y)


@pytest.mark.parametrize("cls", BOTH)
def test_activation_list_of_the_wrong_length_is_rejected(cls, circles, parabola):
    X, y = data_for(cls, circles, parabola)
    with pytest.raises(ValueError, match=r"one name per hidden layer.*2 name\(s\).*"
                                         r"1 hidden layer"):
        cls(hidden_layer_sizes=(4,), activation=["relu", "tanh"]).fit(X, y)
    with pytest.raises(ValueError, match=r"0 name\(s\).*2 hidden layer"):
        cls(hidden_layer_sizes=(4, 3), activation=[]).fit(X, y)


def test_activation_length_error_names_the_estimator_parameter(circles):
    X, y = circles[:2]
    with pytest.raises(ValueError, match=r"\bactivation\b"):
        FCNNClassifier(hidden_layer_sizes=(4,), activation=["relu", "tanh"]).fit(X, y)


# -- solvers ------------------------------------------------------------------------------------
SOLVER_RATES = {"sgd": 0.05, "adam": 0.01, "lbfgs": 0.001, "rmsprop": 0.005, "adagrad": 0.1,
                "adamw": 0.01}


@pytest.mark.parametrize("solver", list(SOLVER_RATES))
@pytest.mark.parametrize("cls", BOTH)
def test_every_solver_learns(cls, solver, circles, parabola):
    X, y = data_for(cls, circles, parabola)
    est = cls(hidden_layer_sizes=(16,), activation="tanh", solver=solver,
              learning_rate_init=SOLVER_RATES[solver], max_iter=400, n_iter_no_change=50,
              random_state=0).fit(X, y)
    assert np.all(np.isfinite(est.loss_curve_))
    assert est.loss_ < 0.25 * est.loss_curve_[0]
    if cls is FCNNClassifier:
        X_test, y_test = circles[2:]
        assert est.score(X_test, y_test) > 0.9  # measured 0.95-0.98
    else:
        assert est.score(X, y) > 0.9  # measured 0.95-1.0


def _weight_norm(est):
    return sum(float(np.sum(coef**2)) for coef in est.coefs_)


def test_adamw_weight_decay_shrinks_the_weights(circles):
    X, y = circles[:2]
    params = dict(hidden_layer_sizes=(16,), solver="adamw", alpha=0.0, learning_rate_init=0.01,
                  max_iter=100, tol=0.0, n_iter_no_change=1000, random_state=0)
    plain = FCNNClassifier(weight_decay=0.0, **params).fit(X, y)
    decayed = FCNNClassifier(weight_decay=1.0, **params).fit(X, y)
    assert _weight_norm(decayed) < 0.7 * _weight_norm(plain)  # measured 0.50
    assert decayed.score(X, y) > 0.95  # measured 0.985: still a good fit
    # weight_decay=0 is exactly Adam; with the other solvers None (the default) and 0
    # mean no decay
    adam = dict(params, solver="adam")
    np.testing.assert_array_equal(plain._network.params,
                                  FCNNClassifier(**adam).fit(X, y)._network.params)
    np.testing.assert_array_equal(
        FCNNClassifier(weight_decay=None, **adam).fit(X, y)._network.params,
        FCNNClassifier(weight_decay=0.0, **adam).fit(X, y)._network.params)


def test_adamw_decay_is_decoupled_and_skips_the_biases(circles):
    # one full-batch step from the same start: both take the same Adam step from the
    # same gradient, so adamw - adam is -rate * weight_decay * theta, on the weights only
    X, y = circles[:2]
    params = dict(hidden_layer_sizes=(6,), alpha=0.0, learning_rate_init=0.01, max_iter=1,
                  batch_size=200, shuffle=False, random_state=0)
    start = FCNNClassifier(solver="adam", **{**params, "learning_rate_init": 1e-300}).fit(X, y)
    adam = FCNNClassifier(solver="adam", **params).fit(X, y)
    adamw = FCNNClassifier(solver="adamw", weight_decay=0.3, **params).fit(X, y)
    for layer in range(2):
        np.testing.assert_allclose(adamw.coefs_[layer] - adam.coefs_[layer],
                                   -0.01 * 0.3 * start.coefs_[layer], rtol=1e-9, atol=1e-15)
        np.testing.assert_array_equal(adamw.intercepts_[layer], adam.intercepts_[layer])


# -- learning-rate schedules ---------------------------------------------------------------------
N_EPOCHS = 9
BASE_RATE = 0.01


def expected_rates(name, solver, n_samples):
    """The rate of epochs 0 .. N_EPOCHS from the documented formulas."""
    epochs = np.arange(N_EPOCHS + 1)
    low = BASE_RATE / 100
    if name == "invscaling" and solver == "sgd":
        return BASE_RATE / (epochs * n_samples + 1) ** 0.5
    if name == "cosine":
        cosine = low + 0.5 * (BASE_RATE - low) * (1 + np.cos(np.pi * epochs / N_EPOCHS))
        return np.where(epochs < N_EPOCHS, cosine, low)
    if name == "step":
        return BASE_RATE * 0.1 ** (epochs // 3)  # k = max(1, 9 // 3) epochs a step
    if name == "exponential":
        return BASE_RATE * (0.01 ** (1 / N_EPOCHS)) ** epochs
    return np.full(N_EPOCHS + 1, BASE_RATE)  # also adaptive (no plateau here)


@pytest.mark.parametrize("name", ["constant", "invscaling", "adaptive", "cosine", "step",
                                  "exponential"])
@pytest.mark.parametrize("solver", STOCHASTIC)
def test_every_schedule_with_every_stochastic_solver(name, solver, circles):
    X, y = circles[:2]
    log = RateLog()
    clf = FCNNClassifier(hidden_layer_sizes=(8,), solver=solver, learning_rate=name,
                         learning_rate_init=BASE_RATE, max_iter=N_EPOCHS, tol=0.0,
                         n_iter_no_change=1000, callbacks=[log], random_state=0).fit(X, y)
    assert clf.n_iter_ == N_EPOCHS
    # the callback sees the rate of the next epoch: epochs 1 .. N_EPOCHS
    np.testing.assert_allclose(log.rates, expected_rates(name, solver, len(X))[1:], rtol=1e-12)
    assert clf.loss_ < clf.loss_curve_[0]


def test_the_optimiser_gets_the_scheduled_rate(monkeypatch, circles):
    X, y = circles[:2]
    used, real_update = [], optimizers.SGD.update

    def spy(self, params, grad, learning_rate, *args, **kwargs):
        used.append(learning_rate)
        return real_update(self, params, grad, learning_rate, *args, **kwargs)

    monkeypatch.setattr(optimizers.SGD, "update", spy)
    FCNNClassifier(hidden_layer_sizes=(8,), solver="sgd", learning_rate="cosine",
                   learning_rate_init=BASE_RATE, warmup_epochs=3, batch_size=100,
                   max_iter=N_EPOCHS, tol=0.0, n_iter_no_change=1000,
                   random_state=0).fit(X, y)
    cosine = expected_rates("cosine", "sgd", len(X))[:N_EPOCHS]
    warmup = np.minimum((np.arange(N_EPOCHS) + 1) / 3, 1.0)
    np.testing.assert_allclose(used, np.repeat(cosine * warmup, 2), rtol=1e-12)


@pytest.mark.parametrize("name", ["constant", "adaptive", "cosine", "step", "exponential",
                                  "invscaling"])
@pytest.mark.parametrize("solver", ["sgd", "adam"])
def test_every_schedule_learns_circles(name, solver, circles):
    X, y, X_test, y_test = circles
    rate = 0.1 if solver == "sgd" else 0.02
    clf = FCNNClassifier(hidden_layer_sizes=(16,), activation="tanh", solver=solver,
                         learning_rate=name, learning_rate_init=rate, power_t=0.1,
                         max_iter=300, n_iter_no_change=50, random_state=0).fit(X, y)
    assert clf.score(X_test, y_test) > 0.9


@pytest.mark.parametrize("schedule", ["constant", "cosine", "exponential"])
def test_warmup_scales_the_first_epochs_linearly(schedule, circles):
    X, y = circles[:2]
    log = RateLog()
    FCNNClassifier(hidden_layer_sizes=(8,), learning_rate=schedule, learning_rate_init=BASE_RATE,
                   warmup_epochs=4, max_iter=N_EPOCHS, tol=0.0, n_iter_no_change=1000,
                   callbacks=[log], random_state=0).fit(X, y)
    epochs = np.arange(1, N_EPOCHS + 1)
    ramp = np.minimum((epochs + 1) / 4, 1.0)
    np.testing.assert_allclose(log.rates, expected_rates(schedule, "adam", 200)[1:] * ramp,
                               rtol=1e-12)
    if schedule == "constant":
        assert log.rates[:4] == pytest.approx([BASE_RATE / 2, BASE_RATE * 3 / 4, BASE_RATE,
                                               BASE_RATE])


def test_warmup_changes_training_and_zero_is_no_warmup(circles):
    X, y = circles[:2]
    params = dict(hidden_layer_sizes=(8,), max_iter=5, random_state=0)
    plain = FCNNClassifier(**params).fit(X, y)
    zero = FCNNClassifier(warmup_epochs=0, **params).fit(X, y)
    warm = FCNNClassifier(warmup_epochs=3, **params).fit(X, y)
    np.testing.assert_array_equal(plain._network.params, zero._network.params)
    assert not np.allclose(plain._network.params, warm._network.params)


def test_warmup_needs_a_schedule_counting_epochs(circles):
    X, y = circles[:2]
    with pytest.raises(ValueError, match=r"warmup_epochs=2 needs a schedule counted in epochs"):
        FCNNClassifier(solver="sgd", learning_rate="invscaling", warmup_epochs=2).fit(X, y)
    with pytest.raises(ValueError, match=r"warmup_epochs=2 needs a schedule counted in epochs"):
        FCNNClassifier(learning_rate=PerSample(0.01, 100), warmup_epochs=2).fit(X, y)
    # adam treats 'invscaling' as 'constant', as scikit-learn does: it can be warmed up
    FCNNClassifier(learning_rate="invscaling", warmup_epochs=2, max_iter=2).fit(X, y)


def test_user_schedule_object_sets_the_rate_pickles_and_clones(circles):
    X, y = circles[:2]
    log = RateLog()
    schedule = HalveEvery(0.02, every=3)
    clf = FCNNClassifier(hidden_layer_sizes=(8,), learning_rate=schedule,
                         learning_rate_init=0.5,  # not used with a schedule object
                         max_iter=N_EPOCHS, tol=0.0, n_iter_no_change=1000, callbacks=[log],
                         random_state=0).fit(X, y)
    np.testing.assert_allclose(log.rates, [0.02 * 0.5 ** (e // 3) for e in range(1, 10)])
    twin = clone(clf)
    assert twin.learning_rate is not schedule
    assert (twin.learning_rate.rate, twin.learning_rate.every) == (0.02, 3)
    np.testing.assert_array_equal(twin.fit(X, y).predict_proba(X), clf.predict_proba(X))
    restored = pickle.loads(pickle.dumps(clf))
    np.testing.assert_array_equal(restored.predict_proba(X), clf.predict_proba(X))
    assert isinstance(restored.learning_rate, HalveEvery)


def test_ready_made_schedule_objects_and_per_sample_schedules(circles):
    X, y = circles[:2]
    log = RateLog()
    FCNNClassifier(hidden_layer_sizes=(8,), learning_rate=ExponentialDecay(0.02, gamma=0.5),
                   max_iter=4, tol=0.0, callbacks=[log], random_state=0).fit(X, y)
    np.testing.assert_allclose(log.rates, [0.01, 0.005, 0.0025, 0.00125])
    log = RateLog()
    clf = FCNNClassifier(hidden_layer_sizes=(8,), learning_rate=PerSample(0.02, 100.0),
                         batch_size=50, max_iter=4, tol=0.0, callbacks=[log],
                         random_state=0).fit(X, y)
    # a 'sample' schedule is read at the start of each epoch, with t_ samples seen
    np.testing.assert_allclose(log.rates, [0.02 / (1 + 200 * e / 100.0) for e in (1, 2, 3, 4)])
    assert clf.t_ == 800
    assert vars(clone(clf).learning_rate) == {"rate": 0.02, "scale": 100.0}


def test_schedules_continue_across_warm_start_fits(circles):
    X, y = circles[:2]
    log = RateLog()
    clf = FCNNClassifier(hidden_layer_sizes=(8,), learning_rate="cosine",
                         learning_rate_init=BASE_RATE, max_iter=N_EPOCHS, tol=0.0,
                         n_iter_no_change=1000, callbacks=[log], random_state=0).fit(X, y)
    clf.set_params(warm_start=True).fit(X, y)
    # the second fit starts at epoch N_EPOCHS, where the cosine has reached its floor
    np.testing.assert_allclose(log.rates, np.r_[expected_rates("cosine", "adam", 200)[1:],
                                                np.full(N_EPOCHS, BASE_RATE / 100)])
    log.rates.clear()
    clf.set_params(warm_start=False).fit(X, y)  # a fresh fit starts the schedule afresh
    np.testing.assert_allclose(log.rates, expected_rates("cosine", "adam", 200)[1:])


# -- dropout ------------------------------------------------------------------------------------
@pytest.mark.parametrize("cls", BOTH)
def test_dropout_is_deterministic_under_random_state(cls, circles, parabola):
    X, y = data_for(cls, circles, parabola)
    params = dict(hidden_layer_sizes=(16,), dropout=0.3, max_iter=20)
    first = cls(random_state=0, **params).fit(X, y)
    second = cls(random_state=0, **params).fit(X, y)
    np.testing.assert_array_equal(first._network.params, second._network.params)
    assert first.loss_curve_ == second.loss_curve_
    other_seed = cls(random_state=1, **params).fit(X, y)
    assert not np.allclose(first._network.params, other_seed._network.params)
    # the same seed without dropout trains differently: the masks are really drawn
    no_dropout = cls(random_state=0, **{**params, "dropout": 0.0}).fit(X, y)
    assert not np.allclose(first._network.params, no_dropout._network.params)


@pytest.mark.parametrize("cls", BOTH)
def test_dropout_starts_from_the_weights_without_dropout(cls, circles, parabola, monkeypatch):
    """The mask generator is seeded after the initial weights, so they do not change."""
    X, y = data_for(cls, circles, parabola)
    started = []
    monkeypatch.setattr(skfcnn.estimators.fitting, "train",
                        lambda network, *args, **kwargs: started.append(network.params.copy()))
    for dropout in (0.0, 0.4):
        cls(hidden_layer_sizes=(8, 6), dropout=dropout, random_state=3).fit(X, y)
    np.testing.assert_array_equal(*started)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dropout_draws_the_same_masks_in_either_dtype(dtype, circles):
    X, y = circles[:2]
    params = dict(hidden_layer_sizes=(8,), dropout=0.5, max_iter=1, random_state=0)
    single = FCNNClassifier(**params).fit(X.astype(np.float32), y)
    double = FCNNClassifier(**params).fit(X.astype(dtype), y)
    masks = [single._network.dropout_masks[0], double._network.dropout_masks[0]]
    np.testing.assert_array_equal(masks[0] > 0, masks[1] > 0)


@pytest.mark.parametrize("continue_by", ["partial_fit", "warm_start"])
def test_changed_dropout_and_activation_take_effect_when_training_continues(continue_by,
                                                                           circles):
    """Never silently the old setting: the fitted network follows the new parameters."""
    X, y = circles[:2]
    est = FCNNClassifier(hidden_layer_sizes=(8, 6), max_iter=3, random_state=0,
                         warm_start=continue_by == "warm_start")
    est.partial_fit(X, y, classes=[0, 1]) if continue_by == "partial_fit" else est.fit(X, y)
    est.set_params(dropout=[0.3, 0.0], activation="tanh")
    est.partial_fit(X, y) if continue_by == "partial_fit" else est.fit(X, y)
    network = est._network
    assert network.dropout_rates == (0.3, 0.0) and network.hidden_activations == ("tanh",) * 2
    mask = network.dropout_masks[0]
    assert mask is not None and 0 < np.mean(mask == 0) < 1 and network.dropout_masks[1] is None
    first = np.tanh(X @ est.coefs_[0] + est.intercepts_[0])
    second = np.tanh(first @ est.coefs_[1] + est.intercepts_[1])
    np.testing.assert_allclose(est.transform(X), second, rtol=1e-12)


@pytest.mark.parametrize("cls", BOTH)
def test_changed_batch_norm_cannot_continue_training(cls, circles, parabola):
    X, y = data_for(cls, circles, parabola)
    est = cls(hidden_layer_sizes=(8,), max_iter=3, random_state=0, warm_start=True).fit(X, y)
    est.set_params(batch_norm=True)
    with pytest.raises(ValueError, match=r"need the batch_norm of the fitted model \(False\); "
                                         r"got batch_norm=True"):
        est.fit(X, y)
    with pytest.raises(ValueError, match="batch_norm"):
        est.partial_fit(X, y)
    est.set_params(warm_start=False).fit(X, y)  # a refit builds the new network
    assert est._network.batch_norm


def test_dropout_is_off_in_predict_and_transform(circles):
    X, y = circles[:2]
    clf = FCNNClassifier(hidden_layer_sizes=(16, 8), dropout=0.5, max_iter=30,
                         random_state=0).fit(X, y)
    proba = clf.predict_proba(X)
    np.testing.assert_array_equal(proba, clf.predict_proba(X))
    np.testing.assert_array_equal(clf.predict(X), clf.predict(X))
    hidden = np.maximum(X @ clf.coefs_[0] + clf.intercepts_[0], 0)
    hidden = np.maximum(hidden @ clf.coefs_[1] + clf.intercepts_[1], 0)
    np.testing.assert_allclose(clf.transform(X), hidden, rtol=1e-12)
    logits = hidden @ clf.coefs_[2] + clf.intercepts_[2]
    np.testing.assert_allclose(proba[:, 1], expit(logits).ravel(), rtol=1e-12)
    # one row at a time: no mask, so each row's prediction stands on its own
    np.testing.assert_allclose(clf.predict_proba(X[7:8]), proba[7:8], rtol=1e-12)


@pytest.mark.parametrize("cls", BOTH)
@pytest.mark.parametrize("dropout, message", [
    (1.0, r"'dropout' parameter.*\[0.0, 1.0\)"),
    (-0.1, r"'dropout' parameter"),
    ([0.2, 1.0], r"'dropout' parameter.*list or tuple of such rates"),
    ([0.2, True], r"'dropout' parameter"),
    ([0.2], r"dropout.*one rate per hidden layer.*1 rate\(s\).*2 hidden layer"),
    ((0.1, 0.2, 0.3), r"dropout.*3 rate\(s\).*2 hidden layer"),
])
def test_bad_dropout_values_are_rejected(cls, dropout, message, circles, parabola):
    X, y = data_for(cls, circles, parabola)
    with pytest.raises(ValueError, match=message):
        cls(hidden_layer_sizes=(4, 3), dropout=dropout).fit(X, y)


def test_per_layer_dropout_rates(circles):
    X, y = circles[:2]
    params = dict(hidden_layer_sizes=(64, 8), max_iter=3, random_state=0)
    clf = FCNNClassifier(dropout=[0.4, 0.0], **params).fit(X, y)
    first, second = clf._network.dropout_masks  # the last training batch's masks
    assert second is None  # no mask where the rate is 0
    assert set(np.unique(first)) == {0.0, 1 / 0.6}  # inverted dropout: kept units scaled
    assert np.mean(first == 0) == pytest.approx(0.4, abs=0.03)  # 12800 draws
    # a list of zeros is no dropout at all; [p, 0] and [0, p] differ
    zeros = FCNNClassifier(dropout=[0.0, 0.0], **params).fit(X, y)
    np.testing.assert_array_equal(zeros._network.params,
                                  FCNNClassifier(**params).fit(X, y)._network.params)
    swapped = FCNNClassifier(dropout=[0.0, 0.4], **params).fit(X, y)
    assert not np.allclose(swapped._network.params, clf._network.params)


def test_dropout_with_partial_fit_is_reproducible(circles):
    X, y = circles[:2]
    runs = []
    for _ in range(2):
        clf = FCNNClassifier(hidden_layer_sizes=(16,), dropout=0.3, random_state=3)
        for _ in range(4):
            clf.partial_fit(X, y, classes=[0, 1])
        runs.append(clf._network.params.copy())
    np.testing.assert_array_equal(*runs)


# -- batch normalisation --------------------------------------------------------------------------
@pytest.mark.parametrize("cls", BOTH)
def test_batch_norm_predicts_with_running_statistics(cls, circles, parabola):
    X, y = data_for(cls, circles, parabola)
    est = cls(hidden_layer_sizes=(16, 8), batch_norm=True, learning_rate_init=0.01,
              max_iter=100, random_state=0).fit(X, y)
    network = est._network
    assert not np.allclose(network.running_means[0], 0)  # they moved during training
    batch = est.predict(X)
    for row in (0, 17, len(X) - 1):
        np.testing.assert_allclose(est.predict(X[row : row + 1]), batch[row : row + 1],
                                   rtol=1e-12, atol=1e-14)
    # the forward pass written out: normalise with the running mean and variance
    out = X
    for layer in range(2):
        z = out @ est.coefs_[layer] + est.intercepts_[layer]
        z = (z - network.running_means[layer]) / np.sqrt(network.running_vars[layer] + 1e-5)
        out = np.maximum(network.bn_gammas[layer] * z + network.bn_betas[layer], 0)
    np.testing.assert_allclose(est.transform(X), out, rtol=1e-10, atol=1e-12)
    final = (out @ est.coefs_[2] + est.intercepts_[2]).ravel()
    if cls is FCNNClassifier:
        np.testing.assert_allclose(est.predict_proba(X)[:, 1], expit(final), rtol=1e-10)
    else:
        np.testing.assert_allclose(batch, final, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("dropout", [0.0, 0.3])
@pytest.mark.parametrize("cls", BOTH)
def test_batch_norm_partial_fit_calls_equal_fit_epochs(cls, dropout, circles, parabola):
    X, y = data_for(cls, circles, parabola)
    params = dict(hidden_layer_sizes=(8,), batch_norm=True, dropout=dropout, batch_size=50,
                  shuffle=False, random_state=0)
    full = cls(max_iter=5, tol=0.0, **params).fit(X, y)
    stream = cls(**params)
    kwargs = {"classes": [0, 1]} if cls is FCNNClassifier else {}
    predictions = []
    for _ in range(5):
        stream.partial_fit(X, y, **kwargs)
        predictions.append(stream.predict(X[:5]))
    np.testing.assert_allclose(stream._network.params, full._network.params, rtol=1e-12)
    for name in ("running_means", "running_vars"):
        np.testing.assert_allclose(getattr(stream._network, name),
                                   getattr(full._network, name), rtol=1e-12)
    assert stream.n_iter_ == 5 and not np.allclose(predictions[0], predictions[-1])


@pytest.mark.parametrize("solver", ["adam", "sgd"])
def test_batch_norm_learns_circles(solver, circles):
    X, y, X_test, y_test = circles
    clf = FCNNClassifier(hidden_layer_sizes=(16,), batch_norm=True, solver=solver,
                         learning_rate_init=0.05 if solver == "sgd" else 0.01, batch_size=50,
                         max_iter=200, n_iter_no_change=30, random_state=0).fit(X, y)
    assert clf.score(X_test, y_test) > 0.9


def test_batch_norm_zero_weight_equals_removing_the_row(circles):
    X, y = circles[:2]
    weights = np.where(np.arange(len(y)) % 4 == 0, 0.0, 1.0)
    params = dict(hidden_layer_sizes=(8,), batch_norm=True, max_iter=5, random_state=0)
    weighted = FCNNClassifier(**params).fit(X, y, sample_weight=weights)
    removed = FCNNClassifier(**params).fit(X[weights > 0], y[weights > 0])
    np.testing.assert_allclose(weighted.predict_proba(X), removed.predict_proba(X),
                               rtol=1e-7)


# -- dtype -------------------------------------------------------------------------------------
@pytest.mark.parametrize("params", [
    dict(dropout=0.2), dict(batch_norm=True), dict(activation=["gelu", "swish"]),
    dict(activation=["leaky_relu", "elu"]), dict(activation=["softplus", "tanh"]),
    dict(solver="adamw"), dict(solver="rmsprop"), dict(solver="adagrad"),
    dict(learning_rate="cosine", warmup_epochs=2), dict(init="he_normal"),
    dict(loss="squared_error"), dict(max_grad_norm=0.1),
])
def test_float32_stays_float32_with_every_option(params, circles):
    X, y = circles[:2]
    params = {"hidden_layer_sizes": (8, 6), "max_iter": 10, "random_state": 0, **params}
    single = FCNNClassifier(**params).fit(X.astype(np.float32), y)
    double = FCNNClassifier(**params).fit(X, y)
    assert single._network.params.dtype == np.float32
    assert all(stat.dtype == np.float32 for stat in single._network.running_vars)
    proba = single.predict_proba(X.astype(np.float32))
    assert proba.dtype == single.transform(X.astype(np.float32)).dtype == np.float32
    np.testing.assert_allclose(proba, double.predict_proba(X), atol=1e-5)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_batch_norm_leaves_the_redundant_hidden_biases_alone(dtype, circles):
    X, y = circles[0].astype(dtype), circles[1]
    params = dict(hidden_layer_sizes=(8,), batch_norm=True, random_state=0)
    start = FCNNClassifier(max_iter=1, learning_rate_init=1e-30, **params).fit(X, y)
    trained = FCNNClassifier(max_iter=50, **params).fit(X, y)
    assert np.abs(trained.intercepts_[0] - start.intercepts_[0]).max() < 1e-6


# -- initialisation -----------------------------------------------------------------------------
FAN_IN, FAN_OUT = 400, 300


@pytest.fixture(scope="module")
def wide():
    rng = np.random.RandomState(0)
    return rng.normal(size=(40, FAN_IN)), rng.normal(size=40)


def initial(wide, **params):
    """The first layer right after initialisation (one epoch with a negligible step)."""
    reg = FCNNRegressor(hidden_layer_sizes=(FAN_OUT,), learning_rate_init=1e-300, max_iter=1,
                        random_state=0, **params).fit(*wide)
    return reg.coefs_[0], reg.intercepts_[0]


@pytest.mark.parametrize("init, scale, std, biases", [
    ("glorot_uniform", None, math.sqrt(6 / (FAN_IN + FAN_OUT)) / math.sqrt(3), True),
    ("glorot_normal", None, math.sqrt(2 / (FAN_IN + FAN_OUT)), False),
    ("he_uniform", None, math.sqrt(6 / FAN_IN) / math.sqrt(3), False),
    ("he_normal", None, math.sqrt(2 / FAN_IN), False),
    ("normal", None, 0.01, False),
    ("uniform", None, 1 / math.sqrt(3), False),
    ("glorot_uniform", 3.0, 3 * math.sqrt(6 / (FAN_IN + FAN_OUT)) / math.sqrt(3), True),
    ("he_normal", 2.0, 2 * math.sqrt(2 / FAN_IN), False),
    ("normal", 0.1, 0.1, False),
    ("uniform", 0.5, 0.5 / math.sqrt(3), False),
])
def test_initialisers_draw_the_documented_scale(init, scale, std, biases, wide):
    coef, intercept = initial(wide, init=init, init_scale=scale)
    # 120 000 draws: the sample std is within 1 % of the true one (about 0.2 % s.e.)
    assert coef.std() == pytest.approx(std, rel=0.01)
    assert abs(coef.mean()) < 0.01 * std
    if init.endswith("uniform"):
        bound = std * math.sqrt(3)
        assert bound * 0.999 < np.abs(coef).max() <= bound
    # only glorot_uniform draws the biases (scikit-learn's scheme); the others start
    # them at 0 (here moved by one step of 1e-300)
    assert (np.abs(intercept).max() > 1e-3) == biases


def test_glorot_uniform_is_scikit_learn_s_default(wide):
    default = initial(wide)
    explicit = initial(wide, init="glorot_uniform", init_scale=1.0)
    for a, b in zip(default, explicit):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("activation", ["logistic", "relu"])
def test_zeros_init_keeps_hidden_units_identical(activation, circles):
    X, y = circles[:2]
    clf = FCNNClassifier(hidden_layer_sizes=(6,), activation=activation, init="zeros",
                         solver="sgd", learning_rate_init=0.1, max_iter=50,
                         random_state=0).fit(X, y)
    W, b, V = clf.coefs_[0], clf.intercepts_[0], clf.coefs_[1]
    np.testing.assert_allclose(W, np.repeat(W[:, :1], 6, axis=1), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(b, b[0], rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(V, np.repeat(V[:1], 6, axis=0), rtol=1e-12, atol=1e-15)
    if activation == "logistic":  # sigma(0) = 1/2: the units move, but together
        assert np.abs(V).max() > 1e-3
    else:  # relu(0) = 0 with derivative 0: the hidden layer never moves
        assert not W.any() and not V.any()
    transformed = clf.transform(X)
    np.testing.assert_allclose(transformed, np.repeat(transformed[:, :1], 6, axis=1))


# -- classifier loss ------------------------------------------------------------------------------
def test_squared_error_loss_is_half_the_mean_squared_distance(circles, digits):
    for X, y in (circles[:2], digits):
        clf = FCNNClassifier(hidden_layer_sizes=(8,), loss="squared_error", solver="lbfgs",
                             alpha=0.0, max_iter=30, random_state=0).fit(X, y)
        proba = clf.predict_proba(X)
        if proba.shape[1] == 2:  # one logistic output
            expected = 0.5 * np.mean((proba[:, 1] - y) ** 2)
        else:
            onehot = (y[:, None] == clf.classes_).astype(float)
            expected = 0.5 * np.mean(np.sum((proba - onehot) ** 2, axis=1))
        assert clf.loss_ == pytest.approx(expected, rel=1e-9)
        np.testing.assert_allclose(proba.sum(axis=1), 1.0)
        log_loss = FCNNClassifier(hidden_layer_sizes=(8,), solver="lbfgs", alpha=0.0,
                                  max_iter=30, random_state=0).fit(X, y)
        assert not np.allclose(log_loss._network.params, clf._network.params)


@pytest.mark.parametrize("solver", ["adam", "sgd"])
def test_squared_error_loss_learns_digits_and_circles(solver, circles, digits):
    X, y, X_test, y_test = circles
    rate = 0.01 if solver == "adam" else 0.3
    params = dict(hidden_layer_sizes=(32,), loss="squared_error", solver=solver,
                  learning_rate_init=rate, max_iter=300, random_state=0)
    assert FCNNClassifier(**params).fit(X, y).score(X_test, y_test) > 0.9
    X, y = digits
    clf = FCNNClassifier(**params).fit(X[:300], y[:300])
    assert clf.score(X[300:], y[300:]) > 0.85


# -- class_weight (what tests/test_beyond.py does not cover) -------------------------------------
def test_class_weight_with_string_labels(circles):
    X, y = circles[:2]
    labels = np.array(["inner", "outer"])[y]
    params = dict(hidden_layer_sizes=(8,), max_iter=5, random_state=0)
    by_class = FCNNClassifier(class_weight={"outer": 3.0}, **params).fit(X, labels)
    by_sample = FCNNClassifier(**params).fit(X, labels, sample_weight=np.where(y == 1, 3.0, 1))
    np.testing.assert_allclose(by_class._network.params, by_sample._network.params)
    with pytest.raises(ValueError, match=r"class_weight names classes \['middle'\].*"
                                         r"\['inner', 'outer'\]"):
        FCNNClassifier(class_weight={"middle": 2.0}, **params).fit(X, labels)


def test_balanced_class_weight_on_a_90_10_problem():
    X, y = make_classification(n_samples=2000, n_features=8, weights=[0.9, 0.1],
                               class_sep=0.6, random_state=1)
    X_train, X_test, y_train, y_test = X[:1500], X[1500:], y[:1500], y[1500:]
    params = dict(hidden_layer_sizes=(16,), learning_rate_init=0.01, max_iter=100,
                  random_state=0)
    plain = FCNNClassifier(**params).fit(X_train, y_train)
    balanced = FCNNClassifier(class_weight="balanced", **params).fit(X_train, y_train)

    def minority_recall(est):
        return np.mean(est.predict(X_test[y_test == 1]) == 1)

    # measured on 53 minority rows: 0.38 without weights, 0.70 with balanced weights
    assert minority_recall(plain) < 0.5 < 0.6 < minority_recall(balanced)


def test_balanced_class_weight_counts_weighted_samples(circles):
    X, y = circles[0][:60], circles[1][:60]
    weights = np.random.RandomState(0).randint(0, 4, len(y))
    params = dict(hidden_layer_sizes=(8,), class_weight="balanced", max_iter=5,
                  random_state=0)
    weighted = FCNNClassifier(**params).fit(X, y, sample_weight=weights)
    repeated = FCNNClassifier(**params).fit(np.repeat(X, weights, axis=0),
                                            np.repeat(y, weights))
    np.testing.assert_allclose(weighted.predict_proba(X), repeated.predict_proba(X),
                               rtol=1e-7)


def test_class_weight_turns_off_the_multilabel_tag():
    assert get_tags(FCNNClassifier()).classifier_tags.multi_label
    assert not get_tags(FCNNClassifier(class_weight="balanced")).classifier_tags.multi_label


def test_partial_fit_is_unavailable_with_balanced_class_weight():
    assert hasattr(FCNNClassifier(class_weight={0: 2.0}), "partial_fit")
    assert not hasattr(FCNNClassifier(class_weight="balanced"), "partial_fit")


# -- a user-given validation set (what tests/test_beyond.py does not cover) ----------------------
def test_validation_set_errors_of_the_regressor(parabola):
    X, y = parabola
    X2 = np.hstack([X, X])
    reg = FCNNRegressor(early_stopping=True, max_iter=5)
    with pytest.raises(ValueError, match=r"X has 2 features, but FCNNRegressor is expecting 1"):
        reg.fit(X, y, X_val=X2[:20], y_val=y[:20])
    with pytest.raises(ValueError, match=r"inconsistent numbers of samples: \[20, 19\]"):
        reg.fit(X, y, X_val=X[:20], y_val=y[:19])
    with pytest.raises(ValueError, match=r"sample_weight.shape == \(19,\)"):
        reg.fit(X, y, X_val=X[:20], y_val=y[:20], sample_weight_val=np.ones(19))


def test_lbfgs_best_loss_is_none_or_the_lowest_loss(circles):
    clf = FCNNClassifier(hidden_layer_sizes=(8,), solver="lbfgs", max_iter=20,
                         random_state=0).fit(*circles[:2])
    assert len(clf.loss_curve_) == clf.n_iter_ > 0
    assert clf.best_loss_ == min(clf.loss_curve_)


# -- everything at once: persistence ------------------------------------------------------------
@pytest.mark.parametrize("cls", BOTH)
def test_pickle_round_trip_with_every_option(cls, circles, parabola):
    X, y = data_for(cls, circles, parabola)
    est = cls(hidden_layer_sizes=(12, 6), activation=["gelu", "elu"], dropout=[0.2, 0.1],
              batch_norm=True, solver="adamw", weight_decay=0.05, learning_rate="cosine",
              warmup_epochs=3, init="he_normal", max_grad_norm=5.0, batch_size=50,
              max_iter=30, random_state=0).fit(X, y)
    restored = pickle.loads(pickle.dumps(est))
    method = "predict_proba" if cls is FCNNClassifier else "predict"
    np.testing.assert_array_equal(getattr(restored, method)(X), getattr(est, method)(X))
    np.testing.assert_array_equal(restored.transform(X, layer=0), est.transform(X, layer=0))
    assert restored.get_params().keys() == est.get_params().keys()
    assert restored.loss_curve_ == est.loss_curve_
    # training goes on identically: optimiser state, running statistics and the
    # random generator of the dropout masks are all in the pickle
    kwargs = {"classes": [0, 1]} if cls is FCNNClassifier else {}
    est.partial_fit(X, y, **kwargs)
    restored.partial_fit(X, y, **kwargs)
    np.testing.assert_array_equal(restored._network.params, est._network.params)
    np.testing.assert_array_equal(restored._network.running_vars[1],
                                  est._network.running_vars[1])
    # and a clone refits to the same model
    first = cls(**est.get_params()).set_params(random_state=0).fit(X, y)
    np.testing.assert_array_equal(clone(first).fit(X, y)._network.params,
                                  first._network.params)
