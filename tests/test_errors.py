"""Bad input gets a ``ValueError`` or ``TypeError`` that names the argument the user
passed, the value and what is allowed (issue 11), and leaves a fitted model as it was."""

import pickle

import numpy as np
import pytest
from conftest import BOTH, data_for, quiet_fit
from sklearn.linear_model import LogisticRegression

from skfcnn import FCNNClassifier, FCNNRegressor, check_gradients


@pytest.fixture(scope="module")
def circles(small_circles):
    return small_circles


@pytest.fixture(scope="module")
def regression(small_regression):
    return small_regression


@pytest.mark.parametrize("layer", [0.5, "0", None, True])
def test_transform_names_a_layer_that_is_not_an_int(layer, circles):
    est = quiet_fit(FCNNClassifier(hidden_layer_sizes=(4,), max_iter=2), *circles)
    with pytest.raises(TypeError, match=f"layer must be an int.*got layer={layer!r}"):
        est.transform(circles[0], layer=layer)


@pytest.mark.parametrize("weight", [-1.0, np.inf, np.nan, "2"])
def test_class_weight_values_must_be_finite_and_non_negative(weight, circles):
    with pytest.raises(ValueError, match=r"class_weight must give each class a finite weight"):
        FCNNClassifier(hidden_layer_sizes=(4,), max_iter=2, class_weight={0: weight}).fit(
            *circles)


class Returns:
    """A schedule that returns ``value`` at every step."""

    def __init__(self, value):
        self.value = value

    def __call__(self, step):
        return self.value


@pytest.mark.parametrize("value", ["0.1", None, -0.1, np.nan, np.inf])
@pytest.mark.parametrize("cls", BOTH)
def test_a_schedule_that_gives_no_valid_rate_is_named(cls, value, circles, regression):
    X, y = data_for(cls, circles, regression)
    est = quiet_fit(cls(hidden_layer_sizes=(4,), max_iter=2, random_state=0), X, y)
    before = pickle.dumps(est)
    est.set_params(learning_rate=Returns(value), warm_start=True)
    with pytest.raises(ValueError, match=r"learning_rate=.*Returns.*gave the rate.*finite real"):
        quiet_fit(est, X, y)
    est.set_params(learning_rate="constant", warm_start=False)
    assert pickle.dumps(est) == before


@pytest.mark.parametrize("kwargs, match", [
    ({"eps": 0}, r"eps must be a finite real > 0; got eps=0"),
    ({"eps": np.nan}, r"eps must be a finite real > 0"),
    ({"rtol": np.nan}, r"rtol must be a finite real >= 0"),
    ({"atol": -1.0}, r"atol must be a finite real >= 0"),
])
def test_check_gradients_names_a_bad_tolerance(kwargs, match, circles):
    X, y = circles
    with pytest.raises(ValueError, match=match):
        check_gradients(FCNNClassifier(hidden_layer_sizes=(3,)), X[:10], y[:10], **kwargs)


def test_check_gradients_says_which_estimators_it_checks(circles):
    with pytest.raises(TypeError, match="FCNNClassifier or FCNNRegressor; got estimator="):
        check_gradients(LogisticRegression(), *circles)


def test_validation_weights_without_a_validation_set_are_an_error(circles):
    X, y = circles
    with pytest.raises(ValueError, match="sample_weight_val was given without X_val"):
        FCNNClassifier(early_stopping=True).fit(X, y, sample_weight_val=np.ones(5))


def test_a_validation_set_with_lbfgs_is_an_error(circles):
    X, y = circles
    with pytest.raises(ValueError, match=r"solver='lbfgs'.*stochastic solver"):
        FCNNClassifier(early_stopping=True, solver="lbfgs").fit(X, y, X_val=X, y_val=y)


@pytest.mark.parametrize("bad", ["nan", "width", "length"])
@pytest.mark.parametrize("cls", BOTH)
def test_a_bad_validation_set_is_named_as_such(cls, bad, circles, regression):
    X, y = data_for(cls, circles, regression)
    X_val, y_val = X[:20].copy(), y[:20]
    if bad == "nan":
        X_val[0, 0] = np.nan
    elif bad == "width":
        X_val = X_val[:, :1]
    else:
        y_val = y_val[:10]
    with pytest.raises(ValueError, match=r"validation set \(X_val, y_val, sample_weight_val\)"):
        cls(early_stopping=True, max_iter=2).fit(X, y, X_val=X_val, y_val=y_val)


def test_a_callback_that_returns_an_array_is_named(circles):
    def answers_an_array(history):
        return np.array([False, True])

    with pytest.raises(TypeError, match=r"callback must return a bool.*answers_an_array"):
        FCNNClassifier(max_iter=3, callbacks=[answers_an_array]).fit(*circles)


def test_regressor_errors_name_the_argument_too(regression):
    X, y = regression
    with pytest.raises(TypeError, match="layer must be an int"):
        quiet_fit(FCNNRegressor(hidden_layer_sizes=(3,), max_iter=2), X, y).transform(X, "1")


def test_check_gradients_names_y_for_a_bad_y(circles):
    X, y = circles
    est = quiet_fit(FCNNClassifier(hidden_layer_sizes=(3,), max_iter=2), X, y)
    with pytest.raises(ValueError, match=r"^y has classes not in the training labels"):
        check_gradients(est, X[:10], np.full(10, 7))


def test_sample_weights_whose_sum_overflows_are_named(regression):
    X, y = regression
    with pytest.raises(ValueError, match=r"sample_weight .*sums to inf: scale the weights"):
        FCNNRegressor(max_iter=2).fit(X, y, sample_weight=np.full(len(y), 1e307))


def test_a_rejected_warm_start_names_the_loss_and_changes_nothing(regression):
    X, y = regression
    est = quiet_fit(FCNNRegressor(hidden_layer_sizes=(3,), max_iter=2, warm_start=True), X, y)
    before = pickle.dumps(est)
    est.set_params(loss="poisson")
    with pytest.raises(ValueError, match=r"same output.*loss='poisson'.*'exp'"):
        quiet_fit(est, X, np.abs(y))
    assert est.out_activation_ == "identity"
    est.set_params(loss="squared_error")
    assert pickle.dumps(est) == before


@pytest.mark.parametrize("frame", [False, True])
def test_datetime_features_are_named(frame, circles):
    """scikit-learn 1.9's MLP trains on them as nanosecond counts; we say what to do."""
    X, y = circles
    dates = np.array(["2020-01-01", "2021-06-30"] * 60, dtype="datetime64[ns]")
    X_dates = np.column_stack([dates, dates[::-1]])  # two datetime64 features
    if frame:
        pd = pytest.importorskip("pandas")
        X_dates = pd.DataFrame({"x": X[:, 0], "when": dates})
    named = "'when'" if frame else r"every feature \(dtype datetime64\[ns\]\)"
    with pytest.raises(ValueError, match=f"^X has datetime or timedelta features: {named}"):
        FCNNClassifier(max_iter=2).fit(X_dates, y)
    est = quiet_fit(FCNNClassifier(hidden_layer_sizes=(3,), max_iter=2), X, y)
    with pytest.raises(ValueError, match=r"validation set.*datetime or timedelta"):
        est.set_params(early_stopping=True).fit(X, y, X_val=X_dates, y_val=y)


def test_numeric_strings_are_converted_as_scikit_learn_does(circles):
    X, y = circles
    as_text = X.astype(str)
    ours = quiet_fit(FCNNClassifier(hidden_layer_sizes=(3,), max_iter=3, random_state=0),
                     as_text, y)
    plain = quiet_fit(FCNNClassifier(hidden_layer_sizes=(3,), max_iter=3, random_state=0),
                      as_text.astype(float), y)
    np.testing.assert_array_equal(ours._network.params, plain._network.params)


def test_a_validation_set_with_too_few_outputs_is_named(regression):
    X, y = regression
    Y = np.column_stack([y, -y])
    with pytest.raises(ValueError, match=r"y_val has 1 output\(s\); y has 2"):
        FCNNRegressor(early_stopping=True, max_iter=2).fit(X, Y, X_val=X[:10], y_val=y[:10])


@pytest.mark.parametrize("params, pattern", [
    ({"loss": "huber", "huber_delta": True}, r"huber_delta=True is invalid for loss='huber'"),
    ({"loss": "quantile", "quantile": [0.5, 0.2]},
     r"quantile=\[0.5, 0.2\] is invalid for loss='quantile'.*strictly increasing"),
])
def test_a_bad_loss_parameter_is_named_as_the_estimator_parameter(params, pattern, regression):
    """Issue 21: huber_delta=True was refused as the loss's own ``delta``."""
    with pytest.raises(ValueError, match=pattern):
        FCNNRegressor(**params).fit(*regression)


class _SquaredErrorObject:
    """A user loss (half the squared error) whose gradient can be given a wrong shape."""

    @staticmethod
    def make(reshape):
        from skfcnn.nn import Loss

        class UserLoss(Loss):
            name = "user_squared_error"

            def per_sample(self, y_true, y_pred):
                return 0.5 * ((y_pred - y_true) ** 2).sum(axis=1)

            def gradient(self, y_true, y_pred, sample_weight=None, out=None,
                         output_activation=None):
                return reshape((y_pred - y_true) / len(y_true))

        return UserLoss()


@pytest.mark.parametrize("n_outputs", [1, 2])
@pytest.mark.parametrize("solver", ["adam", "lbfgs"])
@pytest.mark.parametrize("reshape", [np.ravel, np.transpose, lambda d: d[:1]],
                         ids=["flat", "transposed", "one_row"])
def test_a_loss_gradient_of_the_wrong_shape_names_the_loss(reshape, solver, n_outputs,
                                                          regression):
    """Issue 21: NumPy's matmul message used to surface instead."""
    X, y = regression
    Y = np.column_stack([y] * n_outputs) if n_outputs > 1 else y
    loss = _SquaredErrorObject.make(reshape)
    est = FCNNRegressor(hidden_layer_sizes=(3,), loss=loss, solver=solver, max_iter=2)
    n_rows = str(X.shape[0]) if solver == "lbfgs" else r"\d+"  # a batch with adam
    expected = rf"\({n_rows}, {n_outputs}\)"
    with pytest.raises(ValueError, match=r"loss=.*UserLoss.*its gradient returned ndarray of "
                                         r"shape .* it must be an ndarray of shape "
                                         rf"\(n_samples, n_outputs\) = {expected}"):
        est.fit(X, Y)
    assert not hasattr(est, "_network")
    good = _SquaredErrorObject.make(lambda d: d)
    with np.errstate(all="raise"):
        quiet_fit(est.set_params(loss=good), X, Y)
