"""``python -m skfcnn``: a one-minute tour with only the runtime dependencies.

Fits both estimators through scikit-learn pipelines (circles classification
with a small grid search, and the 2-D function regression of the seeds) and
prints scores and fit times.
"""

import time
import warnings

import numpy as np
from sklearn.compose import TransformedTargetRegressor
from sklearn.datasets import make_circles
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from . import FCNNClassifier, FCNNRegressor, __version__


def _timed(fit):
    start = time.perf_counter()
    model = fit()
    return model, time.perf_counter() - start


def demo_circles():
    """Grid search over a StandardScaler + FCNNClassifier pipeline on circles."""
    X, y = make_circles(n_samples=600, factor=0.3, noise=0.1, random_state=0)
    X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)
    search = GridSearchCV(
        make_pipeline(StandardScaler(), FCNNClassifier(max_iter=500, random_state=0)),
        {"fcnnclassifier__hidden_layer_sizes": [(2,), (16,)],
         "fcnnclassifier__learning_rate_init": [0.001, 0.01]},
        cv=3,
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        search, seconds = _timed(lambda: search.fit(X_train, y_train))
    stopped = sum(issubclass(w.category, ConvergenceWarning) for w in caught)
    print("make_circles classification (GridSearchCV, 4 candidates x 3 folds)")
    print(f"  best parameters : {search.best_params_}")
    print(f"  cv accuracy     : {search.best_score_:.3f}")
    print(f"  test accuracy   : {search.score(X_test, y_test):.3f}")
    print(f"  search time     : {seconds:.2f} s ({stopped} of 12 fits stopped at max_iter)")


def seed_function(points):
    """f(x, y) = sin(x) + x cos(y) + y + 3^(x/3)."""
    x, y = points[:, 0], points[:, 1]
    return np.sin(x) + x * np.cos(y) + y + 3 ** (x / 3)


def demo_function():
    """Fit the 2-D function with standardised inputs and target."""
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
    model, seconds = _timed(lambda: model.fit(X_train, seed_function(X_train)))
    print("f(x, y) = sin(x) + x cos(y) + y + 3^(x/3) regression (1000 points, 64-64-64 relu)")
    print(f"  held-out R^2    : {model.score(X_test, seed_function(X_test)):.4f}")
    print(f"  epochs          : {model.regressor_[-1].n_iter_}")
    print(f"  fit time        : {seconds:.2f} s")


def main():
    """Run the demo."""
    print(f"skfcnn {__version__}: fully connected neural networks, scikit-learn API\n")
    demo_circles()
    print()
    demo_function()


if __name__ == "__main__":
    main()
