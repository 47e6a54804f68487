"""The small calls of ``run.py``: the tiny network's fit and ``partial_fit``, one-row
``predict`` and ``predict_proba`` of many rows, each timed once per round and
reported as the median and range over the rounds."""

import statistics
import time

from _common import no_convergence_warnings, quiet_fit, seconds
from sklearn.datasets import make_circles
from sklearn.neural_network import MLPClassifier

from skfcnn import FCNNClassifier

LIBRARIES = {"skfcnn": FCNNClassifier, "sklearn": MLPClassifier}
CIRCLES = dict(hidden_layer_sizes=(3,), activation="logistic", solver="sgd", momentum=0.9,
               nesterovs_momentum=False, batch_size=100, learning_rate_init=2.0,
               max_iter=300, tol=0.0, n_iter_no_change=1000, alpha=0.0, random_state=0)


def tiny_network(repeats):
    """``{library: [fit seconds, one per round]}`` and the train accuracy of each on
    make_circles (CIRCLES)."""
    X, y = make_circles(n_samples=100, factor=0.3, noise=0.1, random_state=0)
    times, scores = {name: [] for name in LIBRARIES}, {}
    for cls in LIBRARIES.values():  # warm-up
        quiet_fit(cls(**CIRCLES), X, y)
    for _ in range(repeats):
        for name, cls in LIBRARIES.items():
            model = cls(**CIRCLES)
            times[name].append(quiet_fit(model, X, y))
            scores[name] = model.score(X, y)
    return times, scores


def partial_fit_latency(repeats, calls):
    """``{library: [median microseconds of one partial_fit, one per round]}``: 100 rows
    of make_circles into the tiny network (CIRCLES), after 100 untimed calls."""
    X, y = make_circles(n_samples=100, factor=0.3, noise=0.1, random_state=0)
    settings = {k: v for k, v in CIRCLES.items() if k not in ("max_iter", "n_iter_no_change",
                                                              "tol")}
    models = {name: cls(**settings) for name, cls in LIBRARIES.items()}
    with no_convergence_warnings():
        for model in models.values():
            model.partial_fit(X, y, classes=[0, 1])
            for _ in range(100):
                model.partial_fit(X, y)
        times = {name: [] for name in models}
        clock = time.perf_counter
        for _ in range(repeats):
            for name, model in models.items():
                spent = []
                for _ in range(calls):
                    start = clock()
                    model.partial_fit(X, y)
                    spent.append(clock() - start)
                times[name].append(statistics.median(spent) * 1e6)
    return times


def one_row_latency(models, row, calls, repeats):
    """``{name: [median microseconds of predict(row) over calls, one per round]}``."""
    for model in models.values():
        for _ in range(200):
            model.predict(row)
    times = {name: [] for name in models}
    clock = time.perf_counter
    for _ in range(repeats):
        for name, model in models.items():
            predict, calls_times = model.predict, []
            for _ in range(calls):
                start = clock()
                predict(row)
                calls_times.append(clock() - start)
            times[name].append(statistics.median(calls_times) * 1e6)
    return times


def batch_predict(models, X, repeats):
    """``{name: [seconds of predict_proba(X), one per round]}``, after a warm-up."""
    for model in models.values():
        model.predict_proba(X[:1000])
    times = {name: [] for name in models}
    for _ in range(repeats):
        for name, model in models.items():
            times[name].append(seconds(model.predict_proba, X))
    return times
