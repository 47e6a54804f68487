"""Activations: values, derivatives against finite differences, stability."""

import copy
import pickle
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from numpy.testing import assert_allclose, assert_array_equal
from scipy.special import expit
from scipy.special import softmax as scipy_softmax

from skfcnn.nn import GradientCheckError, check_activation
from skfcnn.nn import activations as activations_module
from skfcnn.nn.activations import (
    ACTIVATIONS,
    DERIVATIVES,
    HIDDEN_ACTIVATIONS,
    NEEDS_PREACTIVATION,
    OUTPUT_ACTIVATIONS,
    Activation,
    check_hidden_activations,
    get_activation,
)

FINITE_FLOAT64 = st.floats(allow_nan=False, allow_infinity=False, width=64)


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


# ---------------------------------------------------------------- registries


def test_registries_are_consistent():
    assert set(HIDDEN_ACTIVATIONS) == set(DERIVATIVES)
    assert set(HIDDEN_ACTIVATIONS) >= {"identity", "logistic", "tanh", "relu"}
    assert set(HIDDEN_ACTIVATIONS) >= {"leaky_relu", "elu", "softplus", "gelu", "swish"}
    assert NEEDS_PREACTIVATION == {"gelu", "swish"}
    assert NEEDS_PREACTIVATION <= set(DERIVATIVES)
    assert set(OUTPUT_ACTIVATIONS) >= {"identity", "logistic", "softmax"}
    assert set(ACTIVATIONS) >= set(DERIVATIVES) | set(OUTPUT_ACTIVATIONS)


# ------------------------------------------------------------- forward values

Z_GRID = np.array([[-30.0, -2.5, -0.3, 0.0, 0.7, 4.0, 30.0]])


@pytest.mark.parametrize(
    "name, reference",
    [
        ("identity", lambda z: z),
        ("logistic", lambda z: 1.0 / (1.0 + np.exp(-z))),
        ("tanh", np.tanh),
        ("relu", lambda z: np.where(z > 0, z, 0.0)),
        ("leaky_relu", lambda z: np.where(z > 0, z, 0.01 * z)),
        ("elu", lambda z: np.where(z > 0, z, np.exp(z) - 1)),
        ("softplus", lambda z: np.log1p(np.exp(z))),
        (
            "gelu",
            lambda z: 0.5 * z * (1 + np.tanh(np.sqrt(2 / np.pi) * (z + 0.044715 * z**3))),
        ),
        ("swish", lambda z: z / (1 + np.exp(-z))),
    ],
)
def test_forward_values_in_place(name, reference):
    Z = Z_GRID.copy()
    result = ACTIVATIONS[name](Z)
    assert_allclose(result, reference(Z_GRID), rtol=1e-14, atol=1e-300)
    if name != "identity":
        assert result is Z, "activations must work in place"
    assert_allclose(Z, reference(Z_GRID), rtol=1e-14, atol=1e-300)


def test_softmax_values_in_place():
    Z = np.array([[1.0, 2.0, 3.0], [-1.0, 0.0, 1000.0], [5.0, 5.0, 5.0]])
    expected = scipy_softmax(Z, axis=1)
    result = ACTIVATIONS["softmax"](Z)
    assert result is Z
    assert_allclose(Z, expected, rtol=1e-13, atol=1e-300)
    assert_allclose(Z[2], [1 / 3] * 3, rtol=1e-15)
    assert_array_equal(Z[1], [0.0, 0.0, 1.0])


def test_softmax_float32_stays_float32():
    Z = np.array([[1.0, 2.0, 3e38], [-3e38, 0.0, 3e38]], dtype=np.float32)
    with StrictNumerics():
        ACTIVATIONS["softmax"](Z)
    assert Z.dtype == np.float32
    assert np.all(np.isfinite(Z))
    assert_allclose(Z.sum(axis=1), 1.0, rtol=1e-6)


# ----------------------------------------------- derivatives vs finite diffs


def _finite_difference(name, z, h):
    forward = ACTIVATIONS[name]
    plus = forward(np.array([[z + h]]))[0, 0]
    minus = forward(np.array([[z - h]]))[0, 0]
    return (plus - minus) / (2 * h)


def _analytic_derivative(name, z):
    Z = np.array([[z]], dtype=np.float64)
    A = ACTIVATIONS[name](Z.copy())
    delta = np.ones_like(A)
    result = DERIVATIVES[name](Z, A, delta)
    return result[0, 0], result, delta


@pytest.mark.parametrize("name", sorted(DERIVATIVES))
@pytest.mark.parametrize("z", [-7.3, -2.0, -0.61, -0.05, 0.05, 0.4, 1.3, 3.9])
def test_derivative_matches_finite_difference(name, z):
    h = 1e-6
    analytic, result, delta = _analytic_derivative(name, z)
    assert result is delta, "derivative must multiply delta in place"
    assert_allclose(analytic, _finite_difference(name, z, h), rtol=1e-7, atol=1e-10)


@settings(max_examples=60, deadline=None)
@given(
    name=st.sampled_from(sorted(DERIVATIVES)),
    z=st.floats(-20.0, 20.0, allow_nan=False),
    scale=st.floats(-5.0, 5.0, allow_nan=False),
)
def test_derivative_scales_delta_like_chain_rule(name, z, scale):
    h = 1e-6
    if name in ("relu", "leaky_relu") and abs(z) <= 2 * h:
        z = 0.5 + abs(z)  # stay off the kink: the derivative is undefined there
    Z = np.array([[z]])
    A = ACTIVATIONS[name](Z.copy())
    delta = np.array([[scale]])
    DERIVATIVES[name](Z, A, delta)
    expected = scale * _finite_difference(name, z, h)
    assert_allclose(delta[0, 0], expected, rtol=1e-6, atol=1e-9)


def test_relu_derivative_is_zero_at_and_below_zero():
    A = ACTIVATIONS["relu"](np.array([[-3.0, 0.0, 2.0]]))
    delta = np.array([[5.0, 5.0, 5.0]])
    DERIVATIVES["relu"](None, A, delta)
    assert_array_equal(delta, [[0.0, 0.0, 5.0]])


def test_piecewise_derivatives_on_each_side_of_zero():
    Z = np.array([[-3.0, -1e-300, 0.0, 1e-300, 2.0]])
    A = ACTIVATIONS["leaky_relu"](Z.copy())
    assert_array_equal(A, 0.01 * np.minimum(Z, 0) + np.maximum(Z, 0))
    delta = np.full_like(Z, 5.0)
    DERIVATIVES["leaky_relu"](None, A, delta)
    assert_array_equal(delta, [[0.05, 0.05, 0.05, 5.0, 5.0]])
    A = ACTIVATIONS["elu"](Z.copy())
    assert_allclose(A, [[np.expm1(-3.0), -1e-300, 0.0, 1e-300, 2.0]], rtol=1e-15)
    delta = np.full_like(Z, 5.0)
    DERIVATIVES["elu"](None, A, delta)
    assert_allclose(delta, [[5 * np.exp(-3.0), 5.0, 5.0, 5.0, 5.0]], rtol=1e-15)


def test_derivatives_use_outputs_not_inputs():
    """``derivative(None, A, delta)`` is expressed in the activation's output A."""
    A = np.array([[0.25, 0.5, 0.75]])
    delta = np.ones_like(A)
    DERIVATIVES["logistic"](None, A, delta)
    assert_allclose(delta, A * (1 - A))
    delta = np.ones_like(A)
    DERIVATIVES["tanh"](None, A, delta)
    assert_allclose(delta, 1 - A**2)
    delta = np.full_like(A, 3.0)
    DERIVATIVES["identity"](None, A, delta)
    assert_array_equal(delta, 3.0)
    delta = np.ones_like(A)
    DERIVATIVES["softplus"](None, A, delta)
    assert_allclose(delta, 1 - np.exp(-A), rtol=1e-15)


@pytest.mark.parametrize("name", sorted(set(DERIVATIVES) - NEEDS_PREACTIVATION))
def test_derivatives_outside_needs_preactivation_ignore_z(name):
    """The network passes Z=None to these; the result must not depend on Z."""
    Z = np.linspace(-6, 6, 25).reshape(5, 5)
    A = ACTIVATIONS[name](Z.copy())
    with_z = DERIVATIVES[name](Z, A, np.ones_like(Z))
    without_z = DERIVATIVES[name](None, A, np.ones_like(Z))
    assert_array_equal(with_z, without_z)


@pytest.mark.parametrize("name", sorted(NEEDS_PREACTIVATION))
def test_derivatives_in_needs_preactivation_read_z(name):
    Z = np.linspace(-3, 3, 12).reshape(3, 4)
    A = ACTIVATIONS[name](Z.copy())
    delta = np.ones_like(Z)
    DERIVATIVES[name](Z, A, delta)
    if name == "swish":
        sigma = expit(Z)
        expected = sigma + Z * sigma * (1 - sigma)
    else:
        c = np.sqrt(2 / np.pi)
        t = np.tanh(c * (Z + 0.044715 * Z**3))
        expected = 0.5 * (1 + t) + 0.5 * Z * (1 - t**2) * c * (1 + 3 * 0.044715 * Z**2)
    assert_allclose(delta, expected, rtol=1e-12, atol=1e-15)
    with pytest.raises(TypeError):
        DERIVATIVES[name](None, A, np.ones_like(Z))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", sorted(DERIVATIVES))
def test_activation_and_derivative_keep_dtype(name, dtype):
    Z = np.linspace(-4, 4, 10, dtype=dtype).reshape(2, 5)
    A = ACTIVATIONS[name](Z.copy())
    delta = DERIVATIVES[name](Z, A, np.ones_like(Z))
    assert A.dtype == delta.dtype == dtype
    reference = DERIVATIVES[name](Z.astype(np.float64), A.astype(np.float64), np.ones((2, 5)))
    assert_allclose(delta, reference, rtol=1e-5, atol=1e-6)


def test_check_hidden_activations():
    assert check_hidden_activations("tanh", 3) == ("tanh", "tanh", "tanh")
    assert check_hidden_activations("tanh", 0) == ()
    assert check_hidden_activations(["gelu", "relu"], 2) == ("gelu", "relu")
    with pytest.raises(ValueError, match=r"hidden_activation.*2 name.*3 hidden layer"):
        check_hidden_activations(["gelu", "relu"], 3)
    with pytest.raises(ValueError, match=r"'sigmoid' is not supported; allowed are \[.*'elu'"):
        check_hidden_activations("sigmoid", 1)
    with pytest.raises(ValueError, match=r"'softmax' is not supported"):
        check_hidden_activations(["relu", "softmax"], 2)
    with pytest.raises(ValueError, match="not supported"):
        check_hidden_activations([None], 1)
    with pytest.raises(TypeError, match=r"^hidden_activation must be a str, an activation "
                                        r"object or a sequence of them, one per hidden layer; "
                                        r"got None\.$"):
        check_hidden_activations(None, 1)


# --------------------------------------------------------------- stability


@settings(max_examples=60, deadline=None)
@given(
    logits=hnp.arrays(
        np.float64,
        st.tuples(st.integers(1, 6), st.integers(1, 7)),
        elements=st.floats(-1e300, 1e300, allow_nan=False, allow_infinity=False),
    )
)
def test_softmax_rows_finite_and_sum_to_one(logits):
    Z = logits.copy()
    with StrictNumerics():
        ACTIVATIONS["softmax"](Z)
    assert np.all(np.isfinite(Z))
    assert np.all((Z >= 0) & (Z <= 1))
    assert_allclose(Z.sum(axis=1), 1.0, rtol=0, atol=1e-12)
    # the largest logit of each row gets the largest probability
    rows = np.arange(Z.shape[0])
    assert_array_equal(Z[rows, logits.argmax(axis=1)], Z.max(axis=1))


@settings(max_examples=60, deadline=None)
@given(
    values=hnp.arrays(
        np.float64,
        st.tuples(st.integers(1, 4), st.integers(1, 5)),
        elements=FINITE_FLOAT64,
    ),
    name=st.sampled_from(sorted(DERIVATIVES)),
)
def test_hidden_activations_finite_on_any_finite_input(values, name):
    Z = values.copy()
    with StrictNumerics():
        ACTIVATIONS[name](Z)
        delta = np.ones_like(Z)
        DERIVATIVES[name](values, Z, delta)
    assert np.all(np.isfinite(Z))
    assert np.all(np.isfinite(delta))
    if name == "logistic":
        assert np.all((Z >= 0) & (Z <= 1))
        assert np.all((delta >= 0) & (delta <= 0.25))
    elif name == "tanh":
        assert np.all((Z >= -1) & (Z <= 1))
        assert np.all((delta >= 0) & (delta <= 1))
    elif name == "relu":
        assert_array_equal(Z, np.maximum(values, 0))
        assert_array_equal(delta, (values > 0).astype(float))
    elif name in ("elu", "softplus"):
        assert np.all(Z >= -1) and np.all((delta >= 0) & (delta <= 1))
    elif name in ("gelu", "swish"):  # bounded below, derivative bounded
        assert np.all(Z >= -0.3) and np.all((delta >= -0.2) & (delta <= 1.2))
    elif name == "leaky_relu":
        assert np.all(np.isin(delta, [0.01, 1.0]))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", sorted(DERIVATIVES))
def test_hidden_activations_at_extremes(name, dtype):
    big = np.finfo(dtype).max
    values = np.array([[-big, -1e30, -800.0, -50.0, 50.0, 800.0, 1e30, big]], dtype=dtype)
    Z = values.copy()
    with StrictNumerics():
        ACTIVATIONS[name](Z)
        delta = DERIVATIVES[name](values, Z, np.ones_like(Z))
    assert Z.dtype == delta.dtype == dtype
    assert np.all(np.isfinite(Z)) and np.all(np.isfinite(delta))
    positive = values > 0
    if name in ("relu", "leaky_relu", "elu", "softplus", "gelu", "swish"):
        # all these are z (slope 1) for large z
        assert_array_equal(Z[positive], values[positive])
        assert_array_equal(delta[positive], 1.0)
    if name in ("relu", "softplus", "gelu", "swish"):
        assert np.all(np.abs(Z[~positive]) <= 1e-15) and np.all(np.abs(delta[~positive]) <= 1e-15)
    if name == "elu":
        assert_array_equal(Z[~positive], -1.0)


@pytest.mark.parametrize("name", ["logistic", "tanh"])
def test_saturating_activations_at_extremes(name):
    big = np.finfo(np.float64).max
    Z = np.array([[-big, -1e300, -800.0, 800.0, 1e300, big]])
    with StrictNumerics():
        ACTIVATIONS[name](Z)
    low = 0.0 if name == "logistic" else -1.0
    assert_array_equal(Z, [[low, low, low, 1.0, 1.0, 1.0]])


needs_exp = pytest.mark.skipif("exp" not in ACTIVATIONS, reason="no exp activation")


@needs_exp
@settings(max_examples=40, deadline=None)
@given(
    values=hnp.arrays(
        np.float64,
        st.tuples(st.integers(1, 4), st.integers(1, 5)),
        elements=FINITE_FLOAT64,
    )
)
def test_exp_output_finite_on_any_finite_input(values):
    Z = values.copy()
    with StrictNumerics():
        ACTIVATIONS["exp"](Z)
    assert np.all(np.isfinite(Z)) and np.all(Z >= 0)
    moderate = values < 700
    assert_allclose(Z[moderate], np.exp(values[moderate]), rtol=1e-15)


@needs_exp
def test_exp_output_finite_on_large_float32_input():
    Z = np.array([[1.0, 88.8, 1e30, 3e38]], dtype=np.float32)
    with StrictNumerics():
        ACTIVATIONS["exp"](Z)
    assert Z.dtype == np.float32
    assert np.all(np.isfinite(Z))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_fast_sigmoid_matches_expit_to_two_ulps(dtype):
    """swish's logistic factor: expit's formulas in plain ufuncs, no overflow anywhere."""
    from skfcnn.nn.activations import _sigmoid

    big = np.finfo(dtype).max
    z = np.concatenate([np.linspace(-120, 120, 20001),
                        [0.0, -0.0, 1e-30, -1e-30, 80, -80, 700, -700, -big, big]]).astype(dtype)
    with StrictNumerics():
        ours = _sigmoid(z)
    reference = expit(z)
    assert ours.dtype == dtype
    normal = reference >= np.finfo(dtype).tiny
    assert_allclose(ours[normal], reference[normal], rtol=2.5 * np.finfo(dtype).eps, atol=0)
    assert np.all(np.abs(ours[~normal] - reference[~normal]) <= np.finfo(dtype).tiny)
    assert np.all(ours[z == 0] == 0.5) and ours[-1] == 1 and ours[-2] == 0


# ------------------------------------------------- activations as objects


class ScaledTanh(Activation):
    r"""A user's activation, :math:`f(z) = \tanh(s z)`, :math:`f'(z) = s (1 - A^2)`."""

    name = "scaled_tanh"

    def __init__(self, scale=2.0):
        self.scale = scale

    def forward(self, Z):
        Z *= self.scale
        return np.tanh(Z, out=Z)

    def derivative(self, Z, A, delta):
        delta *= self.scale * (1 - A**2)
        return delta


class Bare:
    """The bare protocol, no base class."""

    def forward(self, Z):
        return Z

    def derivative(self, Z, A, delta):
        return delta


def test_the_registry_holds_one_object_per_name_and_the_rest_is_derived():
    for name, activation in ACTIVATIONS.items():
        assert isinstance(activation, Activation) and activation.name == name
        assert get_activation(name) is activation
        assert callable(activation.forward) and callable(activation.derivative)
    assert DERIVATIVES == {n: a.derivative for n, a in ACTIVATIONS.items() if a.hidden}
    assert HIDDEN_ACTIVATIONS == tuple(n for n, a in ACTIVATIONS.items() if a.hidden)
    assert NEEDS_PREACTIVATION == {n for n, a in ACTIVATIONS.items() if a.needs_preactivation}
    assert OUTPUT_ACTIVATIONS == ("identity", "logistic", "softmax", "exp")
    assert not ACTIVATIONS["softmax"].hidden and not ACTIVATIONS["exp"].hidden
    with pytest.raises(NotImplementedError, match="Softmax has no derivative"):
        ACTIVATIONS["softmax"].derivative(None, np.ones((1, 2)), np.ones((1, 2)))


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_the_module_functions_are_the_objects_methods(name):
    Z = np.linspace(-3, 3, 12).reshape(3, 4)
    forward = getattr(activations_module, name)
    assert forward == ACTIVATIONS[name].forward
    assert_array_equal(forward(Z.copy()), ACTIVATIONS[name](Z.copy()))
    if name in DERIVATIVES:
        assert getattr(activations_module, f"{name}_derivative") == DERIVATIVES[name]


def test_get_activation_accepts_names_and_objects_only():
    user = ScaledTanh()
    assert get_activation(user) is user
    bare = Bare()
    assert get_activation(bare, "hidden_activation") is bare
    with pytest.raises(ValueError, match=r"^hidden_activation 'sigmoid' is not supported; "
                                         r"allowed are \['elu', .*'tanh'\] or an object with "
                                         r"forward\(Z\) and derivative\(Z, A, delta\)"):
        get_activation("sigmoid", "hidden_activation")
    for wrong in (None, 3, object(), ScaledTanh):  # a class is not an instance
        with pytest.raises(TypeError, match=r"^activation must be a name from \['elu', .*\] "
                                            r"or an object with forward.*; got "):
            get_activation(wrong)


def test_check_hidden_activations_accepts_objects_alone_and_per_layer():
    user = ScaledTanh(0.5)
    assert check_hidden_activations(user, 2) == (user, user)
    assert check_hidden_activations(["relu", user], 2) == ("relu", user)
    assert check_hidden_activations((Bare(),), 1)[0].__class__ is Bare
    with pytest.raises(ValueError, match=r"^hidden_activation must be a str or a sequence "
                                         r"with one name per hidden layer: got 2 name\(s\) "
                                         r"\[ScaledTanh\(scale=0.5\), 'relu'\] for 3 hidden "
                                         r"layer\(s\)\.$"):
        check_hidden_activations([user, "relu"], 3)
    for output_only in (ACTIVATIONS["softmax"], "exp"):  # no derivative
        with pytest.raises(ValueError, match=r"is not supported; allowed are \[.*\] or an"):
            check_hidden_activations(["relu", output_only], 2, name="activation")


def test_a_registered_activation_is_accepted_by_name(monkeypatch):
    monkeypatch.setitem(ACTIVATIONS, "scaled_tanh", ScaledTanh())
    assert check_hidden_activations("scaled_tanh", 1) == ("scaled_tanh",)
    assert get_activation("scaled_tanh") is ACTIVATIONS["scaled_tanh"]
    with pytest.raises(ValueError, match=r"allowed are \[.*'scaled_tanh', 'softplus'"):
        check_hidden_activations("nope", 1)


def test_user_activations_pickle_copy_compare_and_print():
    user = ScaledTanh(3.0)
    for twin in (pickle.loads(pickle.dumps(user)), copy.deepcopy(user), ScaledTanh(3.0)):
        assert twin == user and hash(twin) == hash(user) and twin is not user
    assert user != ScaledTanh(2.0) and user != Bare() and user != "scaled_tanh"
    assert repr(user) == "ScaledTanh(scale=3.0)"
    assert repr(ACTIVATIONS["relu"]) == "ReLU()"
    assert pickle.loads(pickle.dumps(ACTIVATIONS["gelu"])) == ACTIVATIONS["gelu"]
    with_array = ScaledTanh(np.array([1.0, 2.0]))  # an unhashable attribute
    assert with_array == ScaledTanh(np.array([1.0, 2.0])) != ScaledTanh(np.array([1.0, 3.0]))
    assert hash(with_array) == hash(copy.deepcopy(with_array))
    Z = np.linspace(-2, 2, 6).reshape(2, 3)
    assert_allclose(user(Z.copy()), np.tanh(3 * Z), rtol=1e-15)  # calling is forward


# ------------------------------------------------ check_activation


@pytest.mark.parametrize("name", sorted(DERIVATIVES))
def test_every_hidden_activation_passes_check_activation(name):
    assert 0 <= check_activation(name) < 1e-8
    assert check_activation(ACTIVATIONS[name], Z=np.linspace(-4, 4, 14).reshape(2, 7) + 0.01,
                            random_state=3) < 1e-8


def test_check_activation_checks_user_objects_and_catches_a_wrong_derivative():
    assert check_activation(ScaledTanh(0.7)) < 1e-8

    class Forgot(ScaledTanh):  # the chain rule's factor s is missing
        def derivative(self, Z, A, delta):
            delta *= 1 - A**2
            return delta

    with pytest.raises(GradientCheckError, match=r"gradient check failed at parameter \d+"):
        check_activation(Forgot(0.7))
    with pytest.raises(ValueError, match="'sigmoid' is not supported"):
        check_activation("sigmoid")


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
@pytest.mark.parametrize("n_rows", [1, 50, 200, 3000])
def test_relu_and_elu_keep_the_bits_of_the_scalar_zero(dtype, n_rows):
    # relu and elu take max/min against shared zeros (zeros_for) on batch-sized
    # arrays: the same bits as against the scalar 0, signed zeros and NaN included
    rng = np.random.default_rng(0)
    Z = rng.standard_normal((n_rows, 128)).astype(dtype)
    Z.flat[:6] = [-0.0, 0.0, np.nan, np.inf, -np.inf, -1e-30]
    relu = ACTIVATIONS["relu"](Z.copy())
    np.testing.assert_array_equal(relu.view(np.uint8), np.maximum(Z, 0).view(np.uint8))
    with np.errstate(over="ignore", invalid="ignore"):
        elu = ACTIVATIONS["elu"](Z.copy())
        expected = np.maximum(Z, np.expm1(np.minimum(Z, 0)))
    np.testing.assert_array_equal(elu.view(np.uint8), expected.view(np.uint8))
    delta = np.ones_like(Z)
    slope = np.minimum(elu, 0) + 1
    DERIVATIVES["elu"](None, elu, delta)
    np.testing.assert_array_equal(delta, slope)


def test_shared_zeros_are_read_only_and_sized_by_the_call():
    from skfcnn.nn._blocks import ZEROS_MAX, ZEROS_MIN, zeros_for

    Z = np.ones((64, 128))
    zeros = zeros_for(Z)
    assert zeros.shape == Z.shape and zeros.dtype == Z.dtype and not zeros.any()
    assert not zeros.flags.writeable
    with pytest.raises(ValueError, match="read-only"):
        zeros[0, 0] = 1.0
    assert zeros_for(np.ones(ZEROS_MIN - 1)) == 0  # tiny: the scalar
    assert zeros_for(np.ones(ZEROS_MAX + 1, np.float32)) == 0  # memory-bound: the scalar
    assert zeros_for(np.ones((100, 100), np.float32)).dtype == np.float32
