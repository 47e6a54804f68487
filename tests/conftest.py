"""The data sets the test modules share, loaded once per session.

``BOTH`` lists the two estimators; ``data_for(cls, classification, regression)``
picks the data set that suits ``cls``.  Modules needing a larger version of a
data set alias it (``digits_400``, ``regression_300``).
"""

import warnings

import numpy as np
import pytest
from sklearn.datasets import load_digits, make_circles, make_regression
from sklearn.preprocessing import StandardScaler

from skfcnn import FCNNClassifier, FCNNRegressor

BOTH = [FCNNClassifier, FCNNRegressor]


def data_for(cls, classification, regression):
    """The classification data for the classifier, the regression data otherwise."""
    return classification if cls is FCNNClassifier else regression


def quiet_fit(estimator, X, y, **kwargs):
    """``estimator.fit(X, y, **kwargs)`` without its warnings (convergence, mostly)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return estimator.fit(X, y, **kwargs)


def _digits(n_rows):
    X, y = load_digits(return_X_y=True)
    return X[:n_rows] / 16.0, y[:n_rows]


@pytest.fixture(scope="session")
def digits():
    """The first 300 of scikit-learn's 8 x 8 digits, scaled to [0, 1]: 10 classes."""
    return _digits(300)


@pytest.fixture(scope="session")
def digits_400():
    return _digits(400)


@pytest.fixture(scope="session")
def regression():
    """150 rows of a 5-feature linear problem with noise 1, the target scaled to std 1."""
    X, y = make_regression(n_samples=150, n_features=5, noise=1.0, random_state=0)
    return X, y / y.std()


@pytest.fixture(scope="session")
def regression_300():
    """300 rows of a 5-feature linear problem with noise 5, the target scaled to std 1."""
    X, y = make_regression(n_samples=300, n_features=5, noise=5.0, random_state=0)
    return X, y / y.std()


@pytest.fixture(scope="session")
def circles():
    """Two concentric noisy circles, standardised: 200 rows to train, 200 to test."""
    X, y = make_circles(n_samples=400, factor=0.4, noise=0.15, random_state=0)
    X = StandardScaler().fit_transform(X)
    return X[:200], y[:200], X[200:], y[200:]


@pytest.fixture(scope="session")
def parabola():
    """y = x² on [-1, 1]: no linear model fits it (R² = 0 for a line)."""
    X = np.linspace(-1, 1, 100).reshape(-1, 1)
    return X, X.ravel() ** 2


@pytest.fixture(scope="session")
def small_circles():
    """120 rows of two noisy concentric circles (factor 0.4), not scaled."""
    return make_circles(n_samples=120, factor=0.4, noise=0.1, random_state=0)


@pytest.fixture(scope="session")
def small_regression():
    """120 rows of a 3-feature linear problem with noise 1, the target scaled to std 1."""
    X, y = make_regression(n_samples=120, n_features=3, noise=1.0, random_state=0)
    return X, y / y.std()
