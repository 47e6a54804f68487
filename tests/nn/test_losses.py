"""Losses: values against hand formulas, stability at 0/1, the output gradient."""

import copy
import pickle
import re
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from numpy.testing import assert_allclose, assert_array_equal

from skfcnn.nn import GradientCheckError, check_loss, numerical_gradient
from skfcnn.nn import losses as losses_module
from skfcnn.nn.activations import ACTIVATIONS, OUTPUT_ACTIVATIONS
from skfcnn.nn.losses import (
    LOSSES,
    OUTPUT_ACTIVATION_OF,
    VALID_OUTPUTS,
    Loss,
    check_loss_output,
    get_loss,
    loss_value,
    output_delta,
)

EPS64 = np.finfo(np.float64).eps
MAX_LOG_TERM = -np.log(EPS64)  # the largest value one clipped log term can take


class StrictNumerics:
    def __enter__(self):
        self._warnings = warnings.catch_warnings()
        self._warnings.__enter__()
        warnings.simplefilter("error")
        self._errstate = np.errstate(over="raise", divide="raise", invalid="raise")
        self._errstate.__enter__()
        return self

    def __exit__(self, *exc):
        self._errstate.__exit__(*exc)
        return self._warnings.__exit__(*exc)


def test_every_loss_has_a_canonical_output_activation():
    assert set(LOSSES) == set(OUTPUT_ACTIVATION_OF)
    assert set(OUTPUT_ACTIVATION_OF.values()) <= set(OUTPUT_ACTIVATIONS)
    canonical = {
        "squared_error": "identity",
        "log_loss": "softmax",
        "binary_log_loss": "logistic",
    }
    assert {k: OUTPUT_ACTIVATION_OF[k] for k in canonical} == canonical


#: The losses whose gradient after their canonical output is (Y - T) w / sum(w).
CANONICAL = sorted(name for name, obj in LOSSES.items()
                   if isinstance(obj, losses_module._CanonicalLoss))


def encode_targets(loss, rng, n_samples, n_outputs):
    """Targets of the kind each loss expects."""
    if loss == "log_loss":  # one-hot rows
        return np.eye(n_outputs)[rng.randint(n_outputs, size=n_samples)]
    if loss == "binary_log_loss":  # 0/1 indicators
        return (rng.uniform(size=(n_samples, n_outputs)) < 0.5).astype(float)
    if loss in ("squared_error", "absolute_error", "huber", "quantile"):  # real values
        return rng.normal(size=(n_samples, n_outputs))
    if loss == "poisson":  # counts
        return rng.poisson(2.0, size=(n_samples, n_outputs)).astype(float)
    raise AssertionError(f"no test targets for loss {loss!r}: add them here")


# -------------------------------------------------------- hand-written values

Y_TRUE_ONE_HOT = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0]])
Y_PROB = np.array([[0.7, 0.2, 0.1], [0.25, 0.25, 0.5]])


def test_squared_error_value():
    y_true = np.array([[1.0, -2.0], [0.5, 3.0], [0.0, 0.0]])
    y_pred = np.array([[1.5, -2.0], [0.0, 1.0], [1.0, -1.0]])
    per_sample = np.array([0.5 * 0.25, 0.5 * (0.25 + 4.0), 0.5 * 2.0])
    assert loss_value("squared_error", y_true, y_pred) == pytest.approx(per_sample.mean())
    weights = np.array([1.0, 3.0, 0.5])
    expected = np.dot(per_sample, weights) / weights.sum()
    assert loss_value("squared_error", y_true, y_pred, weights) == pytest.approx(expected)


def test_log_loss_value():
    expected = -(np.log(0.7) + np.log(0.5)) / 2
    assert loss_value("log_loss", Y_TRUE_ONE_HOT, Y_PROB) == pytest.approx(expected, rel=1e-14)
    weights = np.array([3.0, 1.0])
    expected = -(3 * np.log(0.7) + np.log(0.5)) / 4
    value = loss_value("log_loss", Y_TRUE_ONE_HOT, Y_PROB, weights)
    assert value == pytest.approx(expected, rel=1e-14)


def test_binary_log_loss_value():
    y_true = np.array([[1.0, 0.0], [0.0, 0.0], [1.0, 1.0]])
    y_prob = np.array([[0.9, 0.2], [0.4, 0.1], [0.6, 0.99]])
    per_sample = -np.array(
        [
            np.log(0.9) + np.log(0.8),
            np.log(0.6) + np.log(0.9),
            np.log(0.6) + np.log(0.99),
        ]
    )
    value = loss_value("binary_log_loss", y_true, y_prob)
    assert value == pytest.approx(per_sample.mean(), rel=1e-14)


def test_loss_value_returns_python_float():
    for loss in LOSSES:
        value = loss_value(loss, Y_TRUE_ONE_HOT, Y_PROB)
        assert type(value) is float


def test_zero_weight_samples_are_ignored():
    y_true = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 0.0]])
    y_prob = np.array([[0.8, 0.2], [0.9, 0.1], [0.6, 0.4]])
    weights = np.array([1.0, 0.0, 1.0])
    kept = [0, 2]
    for loss in LOSSES:
        weighted = loss_value(loss, y_true, y_prob, weights)
        assert weighted == pytest.approx(loss_value(loss, y_true[kept], y_prob[kept]))


# ---------------------------------------------------------------- stability


@st.composite
def probability_problems(draw):
    n_samples = draw(st.integers(1, 6))
    n_outputs = draw(st.integers(2, 5))
    # probabilities that are often exactly 0 or 1
    element = st.one_of(st.sampled_from([0.0, 1.0]), st.floats(0.0, 1.0))
    y_prob = draw(hnp.arrays(np.float64, (n_samples, n_outputs), elements=element))
    classes = draw(hnp.arrays(np.int64, n_samples, elements=st.integers(0, n_outputs - 1)))
    one_hot = np.eye(n_outputs)[classes]
    indicators = draw(hnp.arrays(np.float64, (n_samples, n_outputs),
                                 elements=st.sampled_from([0.0, 1.0])))
    weights = draw(
        st.none()
        | hnp.arrays(np.float64, n_samples, elements=st.floats(0.01, 10.0))
    )
    return y_prob, one_hot, indicators, weights


@settings(max_examples=60, deadline=None)
@given(problem=probability_problems())
def test_log_losses_finite_and_non_negative_at_zero_and_one(problem):
    y_prob, one_hot, indicators, weights = problem
    n_outputs = y_prob.shape[1]
    with StrictNumerics():
        log_loss = loss_value("log_loss", one_hot, y_prob, weights)
        binary = loss_value("binary_log_loss", indicators, y_prob, weights)
    assert np.isfinite(log_loss) and 0 <= log_loss <= MAX_LOG_TERM * (1 + 1e-12)
    assert np.isfinite(binary) and 0 <= binary <= n_outputs * MAX_LOG_TERM * (1 + 1e-12)


@settings(max_examples=40, deadline=None)
@given(
    arrays=st.integers(1, 5).flatmap(
        lambda n: st.tuples(
            *[
                hnp.arrays(
                    np.float64,
                    (n, 3),
                    elements=st.floats(-1e100, 1e100, allow_nan=False),
                )
                for _ in range(2)
            ]
        )
    )
)
def test_squared_error_finite_and_non_negative(arrays):
    y_true, y_pred = arrays
    with StrictNumerics():
        value = loss_value("squared_error", y_true, y_pred)
    assert np.isfinite(value) and value >= 0
    expected = 0.5 * np.mean(np.sum((y_pred - y_true) ** 2, axis=1))
    # relative precision is lost only below the normal range (subnormal results)
    assert value == pytest.approx(expected, rel=1e-12, abs=np.finfo(np.float64).tiny)
    if np.array_equal(y_true, y_pred):
        assert value == 0.0


@pytest.mark.parametrize("loss", sorted(LOSSES))
def test_loss_is_zero_for_a_perfect_prediction(loss):
    one_hot = np.eye(4)[[0, 3, 1, 1, 2]]
    with StrictNumerics():
        value = loss_value(loss, one_hot, one_hot.copy())
        weighted = loss_value(loss, one_hot, one_hot.copy(), np.arange(1.0, 6.0))
    # log losses clip probabilities at eps, so a perfect prediction costs
    # -log(1 - eps) ~ eps per logarithm (one per output for binary_log_loss):
    # zero up to machine precision
    bound = 4 * 1.01 * EPS64
    assert 0 <= value <= bound
    assert 0 <= weighted <= bound
    if loss == "squared_error":
        assert value == weighted == 0.0


def test_worst_prediction_is_finite_and_large():
    one_hot = np.eye(3)[[0, 1]]
    wrong = np.eye(3)[[2, 0]]
    assert loss_value("log_loss", one_hot, wrong) == pytest.approx(MAX_LOG_TERM)
    value = loss_value("binary_log_loss", one_hot, wrong)
    assert value == pytest.approx(2 * MAX_LOG_TERM)


def test_float32_clipping_uses_float32_eps():
    one_hot = np.eye(2, dtype=np.float32)
    wrong = one_hot[::-1].copy()
    value = loss_value("log_loss", one_hot, wrong)
    assert value == pytest.approx(-np.log(np.finfo(np.float32).eps), rel=1e-6)


# ------------------------------------------------------------- output_delta


def test_output_delta_formula_and_out_buffer():
    y_true = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 0.0]])
    y_pred = np.array([[0.6, 0.4], [0.3, 0.7], [0.1, 0.9]])
    assert_allclose(output_delta(y_true, y_pred), (y_pred - y_true) / 3, rtol=1e-15)
    weights = np.array([2.0, 1.0, 1.0])
    expected = (y_pred - y_true) * (weights / 4)[:, None]
    buffer = y_pred.copy()
    result = output_delta(y_true, buffer, weights, out=buffer)
    assert result is buffer
    assert_allclose(buffer, expected, rtol=1e-15)


@pytest.mark.parametrize("loss", CANONICAL)
@pytest.mark.parametrize("weighted", [False, True])
def test_output_delta_is_gradient_wrt_pre_activation(loss, weighted):
    """(Y - T) w / sum(w) is dL/dZ for each loss with its canonical output."""
    rng = np.random.RandomState(42)
    n_samples, n_outputs = 5, 3
    activation = ACTIVATIONS[OUTPUT_ACTIVATION_OF[loss]]
    y_true = encode_targets(loss, rng, n_samples, n_outputs)
    weights = rng.uniform(0.2, 3.0, n_samples) if weighted else None
    logits = rng.normal(scale=2.0, size=n_samples * n_outputs)

    def objective(flat):
        y_pred = activation(flat.reshape(n_samples, n_outputs).copy())
        return loss_value(loss, y_true, y_pred, weights)

    numeric = numerical_gradient(objective, logits)
    y_pred = activation(logits.reshape(n_samples, n_outputs).copy())
    analytic = output_delta(y_true, y_pred, weights)
    assert_allclose(analytic.ravel(), numeric, rtol=1e-6, atol=1e-9)


@pytest.mark.skipif("poisson" not in LOSSES, reason="no poisson loss")
def test_poisson_value_is_half_deviance():
    y_true = np.array([[0.0, 2.0], [3.0, 1.0]])
    y_pred = np.array([[0.5, 2.0], [1.5, 4.0]])
    per_sample = np.array(
        [
            0.5 + 0.0,
            (3 * np.log(3 / 1.5) - 3 + 1.5) + (np.log(1 / 4) - 1 + 4),
        ]
    )
    value = loss_value("poisson", y_true, y_pred)
    assert value == pytest.approx(per_sample.mean(), rel=1e-14)
    assert loss_value("poisson", y_true, y_true.copy()) == 0.0


# ------------------------------------------- non-canonical (loss, output) pairs

NON_CANONICAL = [("squared_error", "logistic"), ("squared_error", "softmax")]


def test_valid_outputs_registry():
    assert set(VALID_OUTPUTS) == set(LOSSES)
    for loss, output in OUTPUT_ACTIVATION_OF.items():
        assert output in VALID_OUTPUTS[loss]  # the canonical pair is always valid
    assert VALID_OUTPUTS["squared_error"] == {"identity", "logistic", "softmax"}
    assert VALID_OUTPUTS["log_loss"] == {"softmax"}
    assert VALID_OUTPUTS["binary_log_loss"] == {"logistic"}
    for outputs in VALID_OUTPUTS.values():
        assert outputs <= set(OUTPUT_ACTIVATIONS)


@pytest.mark.parametrize("loss, output", NON_CANONICAL)
@pytest.mark.parametrize("weighted", [False, True])
def test_non_canonical_output_delta_is_gradient_wrt_pre_activation(loss, output, weighted):
    rng = np.random.RandomState(7)
    n_samples, n_outputs = 6, 4
    activation = ACTIVATIONS[output]
    y_true = np.eye(n_outputs)[rng.randint(n_outputs, size=n_samples)]
    weights = rng.uniform(0.2, 3.0, n_samples) if weighted else None
    logits = rng.normal(scale=2.0, size=n_samples * n_outputs)

    def objective(flat):
        y_pred = activation(flat.reshape(n_samples, n_outputs).copy())
        return loss_value(loss, y_true, y_pred, weights)

    numeric = numerical_gradient(objective, logits)
    y_pred = activation(logits.reshape(n_samples, n_outputs).copy())
    analytic = output_delta(y_true, y_pred, weights, loss=loss, output_activation=output)
    assert_allclose(analytic.ravel(), numeric, rtol=1e-6, atol=1e-10)
    # and it is not the canonical (y - t) / n: the Jacobian matters
    canonical = output_delta(y_true, y_pred, weights)
    assert np.abs(canonical - analytic).max() > 1e-2


def test_non_canonical_output_delta_hand_formulas():
    y_true = np.array([[1.0, 0.0], [0.0, 1.0]])
    y_pred = np.array([[0.7, 0.4], [0.2, 0.9]])
    weights = np.array([3.0, 1.0])
    g = (y_pred - y_true) * (weights / 4)[:, None]
    logistic = output_delta(y_true, y_pred, weights, loss="squared_error",
                            output_activation="logistic")
    assert_allclose(logistic, g * y_pred * (1 - y_pred), rtol=1e-15)
    probs = np.array([[0.7, 0.3], [0.2, 0.8]])
    g = (probs - y_true) * (weights / 4)[:, None]
    softmax = output_delta(y_true, probs, weights, loss="squared_error",
                           output_activation="softmax")
    expected = probs * (g - (g * probs).sum(axis=1, keepdims=True))
    assert_allclose(softmax, expected, rtol=1e-14)
    assert_allclose(softmax.sum(axis=1), 0.0, atol=1e-16)  # softmax is shift-invariant


@pytest.mark.parametrize("loss, output", NON_CANONICAL)
def test_non_canonical_output_delta_into_y_pred_itself(loss, output):
    rng = np.random.RandomState(3)
    y_true = np.eye(3)[rng.randint(3, size=5)]
    y_pred = ACTIVATIONS[output](rng.normal(size=(5, 3)))
    expected = output_delta(y_true, y_pred, loss=loss, output_activation=output)
    buffer = y_pred.copy()
    result = output_delta(y_true, buffer, None, buffer, loss, output)
    assert result is buffer
    assert_allclose(buffer, expected, rtol=1e-15)


@pytest.mark.parametrize("loss", CANONICAL)
def test_canonical_pairs_keep_the_fast_path(loss):
    """Naming the canonical pair gives exactly (y - t) w / sum(w), as before."""
    rng = np.random.RandomState(5)
    y_true = encode_targets(loss, rng, 4, 3)
    y_pred = ACTIVATIONS[OUTPUT_ACTIVATION_OF[loss]](rng.normal(size=(4, 3)))
    weights = rng.uniform(0.5, 2.0, 4)
    for w in (None, weights):
        old = output_delta(y_true, y_pred, w)
        new = output_delta(y_true, y_pred, w, loss=loss,
                           output_activation=OUTPUT_ACTIVATION_OF[loss])
        assert np.array_equal(old, new)


@pytest.mark.parametrize(
    "loss, output",
    [("log_loss", "logistic"), ("binary_log_loss", "softmax"), ("poisson", "identity"),
     ("squared_error", "exp"), ("log_loss", "identity")],
)
def test_invalid_pairs_are_rejected(loss, output):
    y = np.full((2, 2), 0.5)
    pattern = rf"loss '{loss}' cannot follow the output activation '{output}'; allowed"
    with pytest.raises(ValueError, match=pattern):
        check_loss_output(loss, output)
    with pytest.raises(ValueError, match=pattern):
        output_delta(y, y.copy(), loss=loss, output_activation=output)


def test_unknown_loss_is_rejected():
    with pytest.raises(ValueError, match=r"loss 'hinge' is not supported; allowed are \["):
        check_loss_output("hinge", "identity")
    check_loss_output("squared_error", "softmax")  # valid: no error


# ------------------------------------------------------- losses as objects


class PseudoHuber(Loss):
    r"""A user's loss after the identity,
    :math:`\ell_i = \sum_k \delta^2 (\sqrt{1 + (r_{ik} / \delta)^2} - 1)`, :math:`r = y - t`."""

    name = "pseudo_huber"

    def __init__(self, delta=1.0):
        self.delta = delta

    def per_sample(self, y_true, y_pred):
        r = (y_pred - y_true) / self.delta
        return self.delta**2 * (np.sqrt(1 + r**2) - 1).sum(axis=1)

    def gradient(self, y_true, y_pred, sample_weight=None, out=None, output_activation=None):
        r = y_pred - y_true
        delta = r / np.sqrt(1 + (r / self.delta) ** 2)
        weights = np.ones(len(r)) if sample_weight is None else sample_weight
        delta *= (weights / weights.sum())[:, None]
        if out is None:
            return delta
        out[...] = delta
        return out


class BareMeanAbsolute:
    """The bare protocol: value and gradient only (after the default identity)."""

    def value(self, y_true, y_pred, sample_weight=None):
        return float(np.abs(y_pred - y_true).sum(axis=1).mean())

    def gradient(self, y_true, y_pred, sample_weight=None, out=None, output_activation=None):
        return np.sign(y_pred - y_true) / len(y_true)


def test_the_registry_holds_one_object_per_name_and_the_rest_is_derived():
    for name, loss in LOSSES.items():
        assert isinstance(loss, Loss) and loss.name == name and get_loss(name) is loss
    assert OUTPUT_ACTIVATION_OF == {n: loss.output_activation for n, loss in LOSSES.items()}
    assert VALID_OUTPUTS == {n: loss.outputs for n, loss in LOSSES.items()}
    assert all(isinstance(outputs, frozenset) for outputs in VALID_OUTPUTS.values())


@pytest.mark.parametrize("loss", sorted(LOSSES))
@pytest.mark.parametrize("weighted", [False, True])
def test_the_objects_give_the_functions_numbers_bit_for_bit(loss, weighted):
    rng = np.random.RandomState(11)
    y_true = encode_targets(loss, rng, 6, 3)
    weights = rng.uniform(0.2, 3.0, 6) if weighted else None
    obj = LOSSES[loss]
    for output in sorted(VALID_OUTPUTS[loss]):
        y_pred = ACTIVATIONS[output](rng.normal(size=(6, 3)))
        assert obj.value(y_true, y_pred, weights) == loss_value(loss, y_true, y_pred, weights)
        assert_array_equal(obj(y_true, y_pred), obj.per_sample(y_true, y_pred))
        # an adaptive threshold (Huber's) depends on the weights: per sample, hold it
        held = obj.frozen(y_true, y_pred, weights) if hasattr(obj, "frozen") else obj
        mean = np.mean(held(y_true, y_pred)) if weights is None else \
            np.dot(held(y_true, y_pred), weights) / weights.sum()
        assert obj.value(y_true, y_pred, weights) == pytest.approx(mean, rel=1e-14)
        expected = output_delta(y_true, y_pred, weights, loss=loss, output_activation=output)
        assert_array_equal(obj.gradient(y_true, y_pred, weights, None, output), expected)
        buffer = y_pred.copy()  # into y_pred itself, as the network does
        result = obj.gradient(y_true, buffer, weights, buffer, output)
        assert result is buffer
        assert_array_equal(buffer, expected)
    if loss in ("squared_error", "log_loss", "binary_log_loss", "poisson"):  # canonical pairs
        canonical = output_delta(y_true, y_pred, weights)
        assert_array_equal(obj.gradient(y_true, y_pred, weights), canonical)


def test_for_output_returns_the_loss_or_raises_as_check_loss_output():
    for name, loss in LOSSES.items():
        for output in VALID_OUTPUTS[name]:
            assert loss.for_output(output) is loss
    with pytest.raises(ValueError, match=r"^loss 'log_loss' cannot follow the output "
                                         r"activation 'logistic'; allowed outputs for it "
                                         r"are \['softmax'\]\.$"):
        LOSSES["log_loss"].for_output("logistic")  # binary_log_loss is a loss of its own
    with pytest.raises(ValueError, match=r"'poisson' cannot follow.*'identity'"):
        LOSSES["poisson"].gradient(np.ones((2, 1)), np.ones((2, 1)), output_activation="identity")


def test_get_loss_accepts_names_and_objects_only():
    user, bare = PseudoHuber(), BareMeanAbsolute()
    assert get_loss(user) is user and get_loss(bare) is bare
    with pytest.raises(ValueError, match=rf"^loss 'hinge' is not supported; allowed are "
                                         rf"{re.escape(str(sorted(LOSSES)))} or an object "
                                         rf"with value\("):
        get_loss("hinge")
    for wrong in (None, 2.0, ACTIVATIONS["relu"], PseudoHuber):
        with pytest.raises(TypeError, match=r"^objective must be a name from \[.*\] or an "
                                            r"object with value.*gradient.*; got "):
            get_loss(wrong, "objective")


def test_the_functions_accept_loss_objects():
    rng = np.random.RandomState(2)
    y_true, y_pred = rng.normal(size=(5, 2)), rng.normal(size=(5, 2))
    weights = rng.uniform(0.5, 2.0, 5)
    user = PseudoHuber(0.7)
    assert loss_value(user, y_true, y_pred, weights) == user.value(y_true, y_pred, weights)
    r = (y_pred - y_true) / 0.7
    per_sample = 0.49 * (np.sqrt(1 + r**2) - 1).sum(axis=1)
    assert user.value(y_true, y_pred) == pytest.approx(per_sample.mean(), rel=1e-14)
    assert user.value(y_true, y_pred, weights) == pytest.approx(
        np.dot(per_sample, weights) / weights.sum(), rel=1e-14)
    assert_array_equal(output_delta(y_true, y_pred, weights, loss=user),
                       user.gradient(y_true, y_pred, weights))
    check_loss_output(user, "identity")
    with pytest.raises(ValueError, match=r"'pseudo_huber' cannot follow the output activation "
                                         r"'softmax'; allowed outputs for it are \['identity'\]"):
        check_loss_output(user, "softmax")
    bare = BareMeanAbsolute()
    check_loss_output(bare, "identity")  # the default output activation
    with pytest.raises(ValueError, match=r"cannot follow the output activation 'exp'"):
        check_loss_output(bare, "exp")
    assert loss_value(bare, y_true, y_pred) == bare.value(y_true, y_pred)


def test_a_user_loss_gradient_is_its_value_gradient():
    rng = np.random.RandomState(4)
    y_true, weights = rng.normal(size=(4, 3)), rng.uniform(0.5, 2.0, 4)
    user, y_pred = PseudoHuber(0.5), rng.normal(size=12)
    numeric = numerical_gradient(lambda p: user.value(y_true, p.reshape(4, 3), weights), y_pred)
    analytic = user.gradient(y_true, y_pred.reshape(4, 3), weights)
    assert_allclose(analytic.ravel(), numeric, rtol=1e-6, atol=1e-10)


def test_outputs_default_to_the_output_activation_and_may_be_set():
    user = PseudoHuber()
    assert user.outputs == {"identity"} and user.for_output("identity") is user
    user.output_activation = "exp"
    assert user.outputs == {"exp"}
    user.outputs = frozenset({"exp", "identity"})  # an instance may widen them
    assert user.for_output("identity") is user
    assert LOSSES["squared_error"].outputs == {"identity", "logistic", "softmax"}


def test_losses_pickle_copy_compare_and_print():
    user = PseudoHuber(2.0)
    for twin in (pickle.loads(pickle.dumps(user)), copy.deepcopy(user), PseudoHuber(2.0)):
        assert twin == user and hash(twin) == hash(user)
    assert user != PseudoHuber(1.0) and user != LOSSES["squared_error"]
    assert repr(user) == "PseudoHuber(delta=2.0)"
    assert repr(LOSSES["log_loss"]) == "LogLoss()"
    for loss in LOSSES.values():
        assert pickle.loads(pickle.dumps(loss)) == loss == copy.deepcopy(loss)
    with pytest.raises(NotImplementedError, match="Loss must define gradient"):
        Loss().gradient(y_true=None, y_pred=None)


# ------------------------------------------------------- check_loss


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("loss, output", sorted((loss, output) for loss, outputs in
                                                VALID_OUTPUTS.items() for output in outputs))
def test_every_pair_passes_check_loss(loss, output, weighted):
    rng = np.random.RandomState(8)
    y_true = encode_targets(loss, rng, 5, 3)
    weights = rng.uniform(0.2, 3.0, 5) if weighted else None
    Z = rng.normal(size=(5, 3))
    assert 0 <= check_loss(loss, y_true, Z, output, weights) < 1e-8
    if output == OUTPUT_ACTIVATION_OF[loss]:
        assert check_loss(LOSSES[loss], y_true, Z, sample_weight=weights) < 1e-8


def test_check_loss_checks_user_objects_and_catches_a_wrong_gradient():
    rng = np.random.RandomState(9)
    y_true, Z, weights = rng.normal(size=(4, 2)), rng.normal(size=(4, 2)), rng.uniform(1, 2, 4)
    assert check_loss(PseudoHuber(0.5), y_true, Z, sample_weight=weights) < 1e-8
    assert check_loss(BareMeanAbsolute(), y_true, Z) < 1e-8  # after the default identity

    class Unweighted(PseudoHuber):  # forgot the sample weights
        def gradient(self, y_true, y_pred, sample_weight=None, out=None,
                     output_activation=None):
            return super().gradient(y_true, y_pred, None, out, output_activation)

    with pytest.raises(GradientCheckError, match=r"parameter \d+: backprop gives"):
        check_loss(Unweighted(0.5), y_true, Z, sample_weight=weights)
    with pytest.raises(ValueError, match=r"'pseudo_huber' cannot follow.*'softmax'"):
        check_loss(PseudoHuber(), y_true, Z, "softmax")
