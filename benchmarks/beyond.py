"""What the features beyond scikit-learn's MLP buy on real tasks, in one run.

``python benchmarks/beyond.py [--output PATH]`` prints a markdown table: each
task with scikit-learn's MLP as the baseline, our same-settings baseline, and
our estimator with one feature switched on; held-out scores and fit times.
"""

import os
import sys

from sklearn.datasets import make_classification
from sklearn.metrics import balanced_accuracy_score, recall_score
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skfcnn import FCNNClassifier, FCNNRegressor

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import (
    add_output_argument,
    benchmark_parser,
    digits_split,
    quiet_fit,
    scaled_target,
    seed5_data,
    table_header,
    table_row,
    write_report,
)

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


def function_rows():
    """``(task, label, score, fit seconds)`` of each FUNCTION_ROWS model on seed 5."""
    X_train, y_train, X_test, y_test = seed5_data()
    for label, cls, extra in FUNCTION_ROWS:
        model = scaled_target(cls(**FUNCTION, **extra))
        seconds = quiet_fit(model, X_train, y_train)
        score = model.score(X_test, y_test)
        yield "2-D function (R², 10000 fresh points)", label, f"{score:.4f}", seconds


def digits_rows():
    """``(task, label, score, fit seconds)`` of each DIGITS_ROWS model on digits."""
    X_train, X_test, y_train, y_test = digits_split()
    for label, cls, extra in DIGITS_ROWS:
        model = make_pipeline(StandardScaler(), cls(**{**DIGITS, **extra}))
        seconds = quiet_fit(model, X_train, y_train)
        yield "digits (held-out accuracy)", label, f"{model.score(X_test, y_test):.4f}", seconds


def imbalanced_rows():
    """``(task, label, score, fit seconds)`` of each IMBALANCED_ROWS model, 95/5 classes."""
    X, y = make_classification(n_samples=6000, n_features=10, weights=[0.95, 0.05],
                               class_sep=0.5, random_state=0)
    X_train, X_test, y_train, y_test = train_test_split(X, y, stratify=y, random_state=0)
    for label, cls, extra in IMBALANCED_ROWS:
        model = cls(**IMBALANCED, **extra)
        seconds = quiet_fit(model, X_train, y_train)
        predicted = model.predict(X_test)
        score = (f"minority recall {recall_score(y_test, predicted):.3f}, balanced accuracy "
                 f"{balanced_accuracy_score(y_test, predicted):.3f}")
        yield "imbalanced 95/5 (held-out)", label, score, seconds


def main(argv=None):
    """Print the table a row at a time (each is slow), then write it to ``--output``."""
    parser = benchmark_parser(__doc__)
    add_output_argument(parser, "table")
    args = parser.parse_args(argv)
    lines = table_header(["task", "model", "held-out score", "fit time (s)"], left=3)
    print("\n".join(lines), flush=True)
    for rows in (function_rows, digits_rows, imbalanced_rows):
        for task, label, score, seconds in rows():
            lines.append(table_row([task, label, score, f"{seconds:.2f}"]))
            print(lines[-1], flush=True)
    write_report(args.output, lines)
    return 0


if __name__ == "__main__":
    sys.exit(main())
