"""The gradient check: central differences on known functions, error reports."""

import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose, assert_array_equal

from skfcnn.nn import GradientCheckError, check_gradient, numerical_gradient


def quadratic(seed, n):
    r"""f(p) = 1/2 p^T A p + b^T p + c with symmetric A; gradient A p + b."""
    rng = np.random.RandomState(seed)
    M = rng.normal(size=(n, n))
    A = M + M.T
    b = rng.normal(size=n)

    def fun(p):
        return float(0.5 * p @ A @ p + b @ p + 3.0)

    def gradient(p):
        return A @ p + b

    return fun, gradient, rng.normal(size=n)


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 12))
def test_numerical_gradient_of_quadratic_is_exact(seed, n):
    fun, gradient, params = quadratic(seed, n)
    before = params.copy()
    numeric = numerical_gradient(fun, params)
    # central differences are exact for quadratics up to rounding ~ eps |f| / h
    assert_allclose(numeric, gradient(before), rtol=1e-7, atol=1e-8)
    assert numeric.dtype == np.float64 and numeric.shape == (n,)
    assert_array_equal(params, before)


def test_params_restored_bit_for_bit():
    params = np.array([0.1, 1e-12, 3.0, -7.25, 1 / 3])
    before = params.copy()
    object_before = params
    numerical_gradient(lambda p: float(np.sum(np.sin(p))), params, eps=1e-3)
    assert params is object_before
    assert params.tobytes() == before.tobytes()


def test_numerical_gradient_perturbs_in_place_for_views():
    """``fun`` may ignore its argument and read the vector through a view."""
    params = np.array([1.0, 2.0, 3.0, 4.0])
    matrix = params.reshape(2, 2)  # a view, like Network.coefs

    def fun(_ignored):
        return float(np.sum(matrix**2))

    assert_allclose(numerical_gradient(fun, params), 2 * params, rtol=1e-9)


def test_numerical_gradient_error_is_second_order():
    """For f = sum p^3 the central-difference error is exactly h^2 per entry."""
    params = np.array([0.5, -1.0, 2.0])
    exact = 3 * params**2
    for h in (1e-2, 1e-3):
        numeric = numerical_gradient(lambda p: float(np.sum(p**3)), params, eps=h)
        assert_allclose(numeric - exact, h**2, rtol=1e-4)


def test_check_gradient_returns_small_float_on_correct_gradient():
    fun, gradient, params = quadratic(0, 6)
    result = check_gradient(fun, params, gradient(params))
    assert type(result) is float
    assert 0.0 <= result < 1e-8


def test_check_gradient_accepts_float32_gradient_of_float64_params():
    fun, gradient, params = quadratic(1, 4)
    result = check_gradient(fun, params, gradient(params).astype(np.float32), rtol=1e-6)
    assert result < 1e-5


def test_check_gradient_raises_on_wrong_entry_and_names_it():
    fun, gradient, params = quadratic(2, 5)
    wrong = gradient(params)
    wrong[3] += 0.5
    with pytest.raises(GradientCheckError) as excinfo:
        check_gradient(fun, params, wrong)
    message = str(excinfo.value)
    assert re.search(r"parameter 3\b", message), message
    numeric = numerical_gradient(fun, params)
    assert repr(wrong[3]) in message
    assert repr(numeric[3]) in message
    assert isinstance(excinfo.value, ValueError)


def test_check_gradient_reports_worst_entry():
    fun, gradient, params = quadratic(3, 6)
    wrong = gradient(params)
    wrong[1] += 1e-3
    wrong[4] -= 2.0
    with pytest.raises(GradientCheckError, match=r"parameter 4\b"):
        check_gradient(fun, params, wrong)


def test_check_gradient_tolerances():
    fun, gradient, params = quadratic(4, 3)
    slightly_off = gradient(params) * (1 + 1e-4)
    with pytest.raises(GradientCheckError):
        check_gradient(fun, params, slightly_off, rtol=1e-5, atol=0.0)
    error = check_gradient(fun, params, slightly_off, rtol=1e-3, atol=0.0)
    assert error == pytest.approx(np.max(np.abs(gradient(params) * 1e-4)), rel=1e-2)


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_check_gradient_rejects_non_finite_gradient(bad):
    fun, gradient, params = quadratic(5, 3)
    wrong = gradient(params)
    wrong[0] = bad
    with pytest.raises(GradientCheckError):
        check_gradient(fun, params, wrong)


def test_check_gradient_of_empty_vector():
    assert check_gradient(lambda p: 0.0, np.empty(0), np.empty(0)) == 0.0


def test_check_gradient_does_not_pass_when_function_is_nan_somewhere():
    params = np.array([1.0, 2.0])

    def fun(p):  # sqrt(p0 - 1) is nan at p0 - h: the numeric entry 0 is nan
        with np.errstate(invalid="ignore"):
            return float(np.sqrt(p[0] - 1.0) + p[1] ** 2)

    wrong = np.array([0.0, 100.0])  # entry 1 should be 4
    try:
        result = check_gradient(fun, params, wrong)
    except GradientCheckError:
        return
    raise AssertionError(f"check_gradient passed a wrong gradient, returned {result!r}")
