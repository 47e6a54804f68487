"""scikit-learn's own estimator checks, with no expected failures."""

from sklearn.utils.estimator_checks import parametrize_with_checks

from skfcnn import FCNNClassifier, FCNNRegressor

ESTIMATORS = [
    FCNNClassifier(),
    FCNNRegressor(),
    FCNNClassifier(solver="sgd"),
    FCNNRegressor(solver="sgd"),
    FCNNClassifier(solver="lbfgs"),
    FCNNRegressor(solver="lbfgs"),
    FCNNClassifier(solver="sgd", learning_rate="adaptive"),
    FCNNRegressor(solver="sgd", learning_rate="adaptive"),
]


@parametrize_with_checks(ESTIMATORS)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)
