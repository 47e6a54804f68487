"""The seeds' tasks (../shared/SEEDS.md), held to their figures."""

import numpy as np
import pytest
from sklearn.compose import TransformedTargetRegressor
from sklearn.datasets import load_digits, make_circles
from sklearn.model_selection import GridSearchCV, cross_val_score, train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skfcnn import FCNNClassifier, FCNNRegressor


def seed_function(points):
    """Seed 5's target f(x, y) = sin(x) + x cos(y) + y + 3^(x/3)."""
    x, y = points[:, 0], points[:, 1]
    return np.sin(x) + x * np.cos(y) + y + 3 ** (x / 3)


def circles_network(random_state):
    """Seed 3: 2 -> 3 logistic -> 2, full-batch SGD with momentum 0.9, 300 steps.

    The seed sums the gradient over 100 samples with lr 0.02; we average it,
    so the same step needs ``learning_rate_init = 0.02 * 100 = 2.0``.
    """
    return FCNNClassifier(
        hidden_layer_sizes=(3,), activation="logistic", solver="sgd", momentum=0.9,
        nesterovs_momentum=False, batch_size=100, learning_rate_init=2.0, max_iter=300,
        tol=0.0, n_iter_no_change=1000, alpha=0.0, random_state=random_state,
    )


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("random_state", [0, 1, 2, 3, 4])
def test_circles_every_training_sample_right(random_state):
    X, y = make_circles(n_samples=100, shuffle=False, factor=0.3, noise=0.1, random_state=0)
    clf = circles_network(random_state).fit(X, y)
    assert clf.n_iter_ == 300
    assert clf.score(X, y) == 1.0
    # the cost curve falls: the last cost is a small fraction of the first
    assert clf.loss_curve_[-1] < 0.1 * clf.loss_curve_[0]


def test_function_regression_r2():
    rng = np.random.default_rng(0)
    X_train = rng.uniform(-10, 10, size=(1000, 2))
    X_test = rng.uniform(-10, 10, size=(10000, 2))
    model = TransformedTargetRegressor(
        regressor=make_pipeline(
            StandardScaler(),
            FCNNRegressor(hidden_layer_sizes=(64, 64, 64), learning_rate_init=0.01,
                          batch_size=64, max_iter=1000, tol=1e-6, n_iter_no_change=50,
                          random_state=0),
        ),
        transformer=StandardScaler(),
    )
    model.fit(X_train, seed_function(X_train))
    assert model.score(X_test, seed_function(X_test)) >= 0.99


def test_digits_held_out_accuracy():
    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.25, stratify=y, random_state=0
    )
    model = make_pipeline(StandardScaler(), FCNNClassifier(random_state=0))
    model.fit(X_train, y_train)
    assert model.score(X_test, y_test) >= 0.97


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_grid_search_over_pipeline_on_circles():
    X, y = make_circles(n_samples=200, factor=0.3, noise=0.1, random_state=0)
    pipe = make_pipeline(StandardScaler(), FCNNClassifier(max_iter=300, random_state=0))
    grid = GridSearchCV(
        pipe,
        {"fcnnclassifier__hidden_layer_sizes": [(1,), (16,)],
         "fcnnclassifier__learning_rate_init": [1e-3, 1e-2]},
        cv=3,
    ).fit(X, y)
    # one hidden unit cannot separate a ring from its centre; sixteen can
    assert grid.best_params_["fcnnclassifier__hidden_layer_sizes"] == (16,)
    assert grid.best_score_ >= 0.95
    assert cross_val_score(grid.best_estimator_, X, y, cv=3).mean() >= 0.95


def test_streaming_partial_fit_over_chunks():
    X, y = make_circles(n_samples=3000, factor=0.3, noise=0.1, random_state=1)
    X_test, y_test = make_circles(n_samples=500, factor=0.3, noise=0.1, random_state=2)
    clf = FCNNClassifier(hidden_layer_sizes=(16,), learning_rate_init=0.01, random_state=0)
    scores = []
    for _ in range(20):
        for start in range(0, 3000, 500):
            chunk = slice(start, start + 500)
            clf.partial_fit(X[chunk], y[chunk], classes=[0, 1])
        scores.append(clf.score(X_test, y_test))
    assert clf.n_iter_ == 120 == len(clf.loss_curve_)
    assert scores[0] < 0.9 <= 0.97 <= scores[-1]
