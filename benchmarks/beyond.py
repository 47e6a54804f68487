"""What the features beyond scikit-learn's MLP buy on real tasks, in one run.

``python benchmarks/beyond.py [--output PATH]`` prints a markdown table: each
task with scikit-learn's MLP as the baseline, our same-settings baseline, and
our estimator with one feature switched on; held-out scores and fit times.
"""

import argparse
import sys
import time
import warnings

import numpy as np
from sklearn.compose import TransformedTargetRegressor
from sklearn.datasets import load_digits, make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import balanced_accuracy_score, recall_score
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skfcnn import FCNNClassifier, FCNNRegressor

FUNCTION = dict(hidden_layer_sizes=(64, 64, 64), learning_rate_init=0.01, batch_size=64,
                max_iter=300, tol=0.0, n_iter_no_change=1000, random_state=0)
DIGITS = dict(hidden_layer_sizes=(256,), learning_rate_init=0.001, max_iter=150, tol=0.0,
              n_iter_no_change=1000, random_state=0)
IMBALANCED = dict(hidden_layer_sizes=(16,), learning_rate_init=0.01, random_state=0)

FUNCTION_ROWS = [  # (label, class, extra parameters)
    ("scikit-learn MLPRegressor", MLPRegressor, {}),
    ("skfcnn, same settings", FCNNRegressor, {}),
    ("skfcnn + cosine annealing", FCNNRegressor, {"learning_rate": "cosine"}),
    ("skfcnn + warm-up + cosine", FCNNRegressor, {"learning_rate": "cosine",
                                                  "warmup_epochs": 10}),
    ("skfcnn + batch norm", FCNNRegressor, {"batch_norm": True}),
]
DIGITS_ROWS = [
    ("scikit-learn MLPClassifier", MLPClassifier, {}),
    ("skfcnn, same settings", FCNNClassifier, {}),
    ("skfcnn + dropout 0.3", FCNNClassifier, {"dropout": 0.3}),
    ("skfcnn + cosine annealing", FCNNClassifier, {"learning_rate": "cosine"}),
    ("skfcnn + batch norm", FCNNClassifier, {"batch_norm": True}),
    ("skfcnn + adamw", FCNNClassifier, {"solver": "adamw", "alpha": 0.0}),
    ("skfcnn + early stopping on val. loss", FCNNClassifier,
     {"early_stopping": True, "monitor": "loss", "n_iter_no_change": 10}),
]
IMBALANCED_ROWS = [
    ("scikit-learn MLPClassifier", MLPClassifier, {}),
    ("skfcnn, same settings", FCNNClassifier, {}),
    ("skfcnn + class_weight='balanced'", FCNNClassifier, {"class_weight": "balanced"}),
]


def seed_function(points):
    x, y = points[:, 0], points[:, 1]
    return np.sin(x) + x * np.cos(y) + y + 3 ** (x / 3)


def timed_fit(model, X, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        start = time.perf_counter()
        model.fit(X, y)
    return time.perf_counter() - start


def function_rows():
    rng = np.random.default_rng(0)
    X_train, X_test = rng.uniform(-10, 10, (1000, 2)), rng.uniform(-10, 10, (10000, 2))
    for label, cls, extra in FUNCTION_ROWS:
        model = TransformedTargetRegressor(
            regressor=make_pipeline(StandardScaler(), cls(**FUNCTION, **extra)),
            transformer=StandardScaler())
        seconds = timed_fit(model, X_train, seed_function(X_train))
        score = model.score(X_test, seed_function(X_test))
        yield "2-D function (R², 10000 fresh points)", label, f"{score:.4f}", seconds


def digits_rows():
    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, stratify=y,
                                                        random_state=0)
    for label, cls, extra in DIGITS_ROWS:
        model = make_pipeline(StandardScaler(), cls(**{**DIGITS, **extra}))
        seconds = timed_fit(model, X_train, y_train)
        yield "digits (held-out accuracy)", label, f"{model.score(X_test, y_test):.4f}", seconds


def imbalanced_rows():
    X, y = make_classification(n_samples=6000, n_features=10, weights=[0.95, 0.05],
                               class_sep=0.5, random_state=0)
    X_train, X_test, y_train, y_test = train_test_split(X, y, stratify=y, random_state=0)
    for label, cls, extra in IMBALANCED_ROWS:
        model = cls(**IMBALANCED, **extra)
        seconds = timed_fit(model, X_train, y_train)
        predicted = model.predict(X_test)
        score = (f"minority recall {recall_score(y_test, predicted):.3f}, balanced accuracy "
                 f"{balanced_accuracy_score(y_test, predicted):.3f}")
        yield "imbalanced 95/5 (held-out)", label, score, seconds


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", help="also write the table to this file")
    args = parser.parse_args(argv)
    lines = ["| task | model | held-out score | fit time (s) |", "|---|---|---|---:|"]
    print("\n".join(lines), flush=True)
    for rows in (function_rows, digits_rows, imbalanced_rows):
        for task, label, score, seconds in rows():
            line = f"| {task} | {label} | {score} | {seconds:.2f} |"
            print(line, flush=True)
            lines.append(line)
    if args.output:
        with open(args.output, "w") as handle:
            handle.write("\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
