"""skfcnn against scikit-learn's MLP on the seed tasks, in one run.

Run from the repository root::

    python benchmarks/compare_sklearn.py              # best of 3 fits per cell
    python benchmarks/compare_sklearn.py --quick      # one fit per cell
    python benchmarks/compare_sklearn.py --output results.md

Every row fits the *same* model with the *same* parameters twice, once with
skfcnn's estimator and once with scikit-learn's (only the class changes), on the
same data, and reports the score of each and the best-of-N wall time of
``fit`` alone (``time.perf_counter`` around the call; data generation, scoring
and model construction are not timed).  The fits of the two libraries alternate
so that a change in machine load affects both.  ``ConvergenceWarning`` is
silenced in the timed fits: some rows run to ``max_iter`` on purpose.

The last row is an overhead measurement rather than a fit: ``predict`` of a
single (already scaled) row, called 1000 times on the fitted digits/adam
network, reported in microseconds per call.

Timings depend on the BLAS library and its thread count, printed at the top;
on a shared machine, look at the load average printed before and after.
"""

import functools
import os
import platform
import sys
import time

import numpy as np
import threadpoolctl
from sklearn.base import clone
from sklearn.compose import TransformedTargetRegressor
from sklearn.datasets import make_circles
from sklearn.metrics import r2_score
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skfcnn import FCNNClassifier, FCNNRegressor

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import (
    THREAD_VARIABLES,
    add_output_argument,
    benchmark_parser,
    best_alternating,
    digits_split,
    load_average,
    markdown,
    no_convergence_warnings,
    quiet_fit,
    scaled_target,
    seconds,
    seed5_data,
    versions_line,
    write_report,
)

# ---------------------------------------------------------------------------------------
# The settings of every row.  Both libraries get exactly these keyword arguments.
# ---------------------------------------------------------------------------------------
CIRCLES = dict(  # seed 3: the tutorial's full-batch momentum SGD, exactly 300 iterations
    hidden_layer_sizes=(3,), activation="logistic", solver="sgd", momentum=0.9,
    nesterovs_momentum=False, batch_size=100, learning_rate_init=2.0, max_iter=300,
    tol=0.0, n_iter_no_change=1000, alpha=0.0, random_state=0,
)
FUNCTION_STOCHASTIC = dict(  # seed 5, shared by the adam and sgd rows
    hidden_layer_sizes=(64, 64, 64), learning_rate_init=0.01, batch_size=64,
    max_iter=1000, tol=1e-6, n_iter_no_change=50, random_state=0,
)
DIGITS = dict(hidden_layer_sizes=(100,), random_state=0)  # everything else default

ROWS = [
    # (task, solver, estimator kind, keyword arguments)
    ("circles (seed 3, train acc)", "sgd", "classifier", CIRCLES),
    ("function (seed 5, test R²)", "adam", "regressor",
     dict(FUNCTION_STOCHASTIC, solver="adam")),
    ("function (seed 5, test R²)", "sgd", "regressor",
     dict(FUNCTION_STOCHASTIC, solver="sgd")),
    # lbfgs: tol=1e-6 (not the default 1e-4); on this task both run to max_iter=1000
    # with either tol, so the choice does not change the row.
    ("function (seed 5, test R²)", "lbfgs", "regressor",
     dict(hidden_layer_sizes=(64, 64, 64), solver="lbfgs", max_iter=1000, tol=1e-6,
          random_state=0)),
    ("digits (test acc)", "adam", "classifier", dict(DIGITS, solver="adam")),
    # sgd's default learning_rate_init=0.001 is too small for 200 epochs on digits
    # (the loss is still falling fast at the end); 0.01 with the default
    # Nesterov momentum 0.9 converges.
    ("digits (test acc)", "sgd", "classifier",
     dict(DIGITS, solver="sgd", learning_rate_init=0.01)),
    ("digits (test acc)", "lbfgs", "classifier", dict(DIGITS, solver="lbfgs", max_iter=200)),
]

#: The model whose single-row ``predict`` latency is measured (a row of ROWS).
LATENCY_ROW = ("digits (test acc)", "adam")
LATENCY_CALLS = 1000

#: The columns of the report's table (the first two are text).
HEADER = ["task", "solver", "our score", "sklearn's score", "our fit time (s)",
          "sklearn's fit time (s)", "time ratio (ours/sklearn)", "n_iter (ours/sklearn)"]

CLASSES = {
    "classifier": (FCNNClassifier, MLPClassifier),
    "regressor": (FCNNRegressor, MLPRegressor),
}


# ---------------------------------------------------------------------------------------
# Data and models
# ---------------------------------------------------------------------------------------
def load_tasks():
    """``{task: (X_train, y_train, X_test, y_test, build, score)}``."""
    tasks = {}

    X, y = make_circles(n_samples=100, shuffle=False, factor=0.3, noise=0.1,
                        random_state=0)
    tasks["circles (seed 3, train acc)"] = (
        X, y, X, y, lambda est: est, lambda model, X, y: model.score(X, y))

    tasks["function (seed 5, test R²)"] = (
        *seed5_data(), scaled_target, lambda model, X, y: r2_score(y, model.predict(X)))

    X_train, X_test, y_train, y_test = digits_split()
    tasks["digits (test acc)"] = (
        X_train, y_train, X_test, y_test, lambda est: make_pipeline(StandardScaler(), est),
        lambda model, X, y: model.score(X, y))
    return tasks


def final_estimator(model):
    """The network inside a (TransformedTarget) pipeline, or the model itself."""
    if isinstance(model, TransformedTargetRegressor):
        model = model.regressor_
    return model[-1] if hasattr(model, "steps") else model


def timed_fit(template, X, y):
    """A fresh clone of ``template`` fitted on ``X, y``, and the seconds ``fit`` took."""
    model = clone(template)
    return model, quiet_fit(model, X, y)


def run_row(task, kind, params, repeats):
    """``models, scores, best``: the last fit, its score and the best fit seconds of
    each library (``"ours"``, ``"sklearn"``), the two alternating ``repeats`` times."""
    X_train, y_train, X_test, y_test, build, score = task
    ours_cls, theirs_cls = CLASSES[kind]
    templates = {"ours": build(ours_cls(**params)), "sklearn": build(theirs_cls(**params))}
    best = {"ours": np.inf, "sklearn": np.inf}
    models, scores = {}, {}
    for _ in range(repeats):
        for name, template in templates.items():
            model, taken = timed_fit(template, X_train, y_train)
            best[name] = min(best[name], taken)
            value = score(model, X_test, y_test)
            if name in scores and not np.isclose(value, scores[name], rtol=0, atol=1e-12):
                print(f"  note: {name}'s score changed between repeats "
                      f"({scores[name]:.6f} -> {value:.6f})", file=sys.stderr)
            models[name], scores[name] = model, value
    return models, scores, best


def predict_latency(models, row, repeats):
    """``{name: best-of-repeats microseconds per predict call on one row}``; the
    libraries alternate, after an untimed warm-up of 100 calls each."""
    for model in models.values():
        for _ in range(100):
            model.predict(row)
    measures = {name: functools.partial(seconds, _calls, model.predict, row)
                for name, model in models.items()}
    best = best_alternating(repeats, measures)
    return {name: total / LATENCY_CALLS * 1e6 for name, total in best.items()}


def _calls(function, argument):
    """``LATENCY_CALLS`` calls ``function(argument)``: the timed unit of the latency row."""
    for _ in range(LATENCY_CALLS):
        function(argument)


def warm_up():
    """One tiny untimed fit per library, class and solver, so that the first timed
    fit does not pay for lazy imports and first BLAS calls."""
    X, y = make_circles(n_samples=40, noise=0.1, random_state=0)
    with no_convergence_warnings():
        for classes in CLASSES.values():
            for cls in classes:
                for solver in ("sgd", "adam", "lbfgs"):
                    cls(hidden_layer_sizes=(4,), solver=solver, max_iter=3,
                        random_state=0).fit(X, y).predict(X)


# ---------------------------------------------------------------------------------------
# Report
# ---------------------------------------------------------------------------------------
def environment_lines():
    """This report's compact environment: versions, threadpools, the variables set."""
    lines = [versions_line(), f"- machine: {platform.machine()}, {os.cpu_count()} CPUs visible"]
    for info in threadpoolctl.threadpool_info():
        where = os.path.basename(info.get("filepath", ""))
        lines.append(
            f"- {info.get('user_api')}: {info.get('internal_api')} {info.get('version')} "
            f"({info.get('architecture', '-')}, {info.get('threading_layer', '-')}), "
            f"num_threads={info.get('num_threads')} [{where}]")
    set_vars = [f"{name}={os.environ[name]}" for name in THREAD_VARIABLES
                if name in os.environ]
    lines.append(f"- thread variables set: {', '.join(set_vars) if set_vars else 'none'}")
    return lines


def settings_lines():
    """Every row's keyword arguments, as both libraries get them."""
    lines = []
    for task, solver, kind, params in ROWS:
        shown = ", ".join(f"{key}={value!r}" for key, value in params.items())
        lines.append(f"- {task} / {solver}: {kind}({shown})")
    lines.append(f"- predict latency: one scaled digits row, {LATENCY_CALLS} calls of "
                 f"`predict` on the fitted {LATENCY_ROW[0]} / {LATENCY_ROW[1]} network")
    return lines


def parse_args(argv):
    """``--repeats``, ``--quick`` (one repeat) and ``--output``."""
    parser = benchmark_parser(__doc__)
    parser.add_argument("--repeats", type=int, default=3,
                        help="fits per cell; the best time is reported (default 3)")
    parser.add_argument("--quick", action="store_true", help="same as --repeats 1")
    add_output_argument(parser)
    args = parser.parse_args(argv)
    args.repeats = 1 if args.quick else args.repeats
    if args.repeats < 1:
        parser.error("--repeats must be at least 1")
    return args


def fit_rows(tasks, repeats):
    """A table row per entry of ROWS, and the fitted models of LATENCY_ROW."""
    rows, latency_models = [], None
    for task_name, solver, kind, params in ROWS:
        models, scores, best = run_row(tasks[task_name], kind, params, repeats)
        n_iter = "/".join(str(final_estimator(models[name]).n_iter_)
                          for name in ("ours", "sklearn"))
        rows.append([task_name, solver, f"{scores['ours']:.4f}", f"{scores['sklearn']:.4f}",
                     f"{best['ours']:.3f}", f"{best['sklearn']:.3f}",
                     f"{best['ours'] / best['sklearn']:.2f}", n_iter])
        print(f"  done: {task_name} / {solver}", file=sys.stderr, flush=True)
        if (task_name, solver) == LATENCY_ROW:
            latency_models = models
    return rows, latency_models


def latency_row(models, X_test, repeats):
    """The table row of single-row ``predict`` latency of the fitted ``models``."""
    row = models["ours"][:-1].transform(X_test[:1])  # the network alone, no scaler
    latency = predict_latency({name: model[-1] for name, model in models.items()},
                              row, repeats)
    return [f"digits predict, 1 row x{LATENCY_CALLS} (µs/call)", LATENCY_ROW[1], "-",
            "-", f"{latency['ours']:.1f} µs", f"{latency['sklearn']:.1f} µs",
            f"{latency['ours'] / latency['sklearn']:.2f}", "-"]


def main(argv=None):
    """Print the header, then the table once every row is measured."""
    args = parse_args(argv)
    head = ["# skfcnn vs scikit-learn MLP", ""] + environment_lines()
    head += [f"- repeats: best of {args.repeats} fit(s) per cell",
             f"- before: {load_average()}", "", "Settings (identical for both libraries):",
             ""] + settings_lines() + [""]
    print("\n".join(head), flush=True)

    tasks = load_tasks()
    warm_up()
    total = time.perf_counter()
    rows, latency_models = fit_rows(tasks, args.repeats)
    rows.append(latency_row(latency_models, tasks[LATENCY_ROW[0]][2], args.repeats))
    total = time.perf_counter() - total

    table = markdown(HEADER, rows, left=2)
    tail = ["", f"- after: {load_average()}", f"- total time: {total:.1f} s"]
    print("\n".join(table + tail))
    write_report(args.output, head + table + tail)


if __name__ == "__main__":
    main()
