"""Inference speed of the ONNX export: onnxruntime on our model, our own predict,
and scikit-learn's MLPClassifier exported the same way.

Run from the repository root::

    python benchmarks/onnx_inference.py            # the full run (about a minute)
    python benchmarks/onnx_inference.py --quick    # smoke run: a few seconds

On a machine whose environment forces an OpenBLAS kernel, benchmark with
``env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python benchmarks/onnx_inference.py``
(the header shows the kernel threadpoolctl reports).

Both models have the same MNIST-shaped architecture, 784 -> 100 (relu) -> 10
(softmax), float32 throughout, fitted for a few epochs on ``make_classification``
rows (this measures inference, not accuracy).  Both are converted by
``skl2onnx.to_onnx`` with ``zipmap=False`` (ours through ``skfcnn.onnx``) and run
on onnxruntime's CPU provider with ``intra_op_num_threads`` set to NumPy's BLAS
thread count, so that every library uses the same cores.  What is measured:

* one-row latency: the median of ``--calls`` x ``--repeats`` timed calls on a
  single held-out row (after untimed warm-up calls);
* throughput on 60000 rows: the median of ``--repeats`` timed calls on all of
  them at once.

An onnxruntime call computes labels and probabilities together; ours are
shown for ``predict`` (labels) and ``predict_proba``.  Benchmarks, not tests:
nothing here asserts a time.
"""

import os
import statistics
import sys
import time

import numpy as np
import onnx
import onnxruntime
import skl2onnx
from sklearn.datasets import make_classification
from sklearn.neural_network import MLPClassifier
from sklearn.preprocessing import StandardScaler

import skfcnn.onnx  # noqa: F401 (registers our converters with skl2onnx)
from skfcnn import FCNNClassifier

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import (
    add_output_argument,
    benchmark_parser,
    blas_threads,
    environment_lines,
    load_average,
    log,
    markdown,
    no_convergence_warnings,
    write_report,
)

HIDDEN = (100,)
N_FEATURES, N_CLASSES = 784, 10
#: The rows of the results table, in order (the smoke test checks each is printed).
ROWS = ("skfcnn predict (NumPy)", "skfcnn predict_proba (NumPy)",
        "onnxruntime on skfcnn's export", "scikit-learn MLPClassifier predict_proba",
        "onnxruntime on scikit-learn's MLP export")


def parse_args(argv):
    """The options; ``--quick`` shrinks the data, the fits and the repeats."""
    parser = benchmark_parser(__doc__)
    add_output_argument(parser)
    parser.add_argument("--quick", action="store_true",
                        help="smoke run: 6000 rows, 1 epoch, 100 calls, 2 repeats")
    parser.add_argument("--calls", type=int, help="one-row calls per repeat (default 1000)")
    parser.add_argument("--repeats", type=int, help="repeats of each timing (default 7)")
    args = parser.parse_args(argv)
    args.n_rows = 6000 if args.quick else 60000
    args.n_fit, args.epochs = (1000, 1) if args.quick else (5000, 3)
    args.calls = args.calls or (100 if args.quick else 1000)
    args.repeats = args.repeats or (2 if args.quick else 7)
    if args.calls < 1 or args.repeats < 1:
        parser.error("--calls and --repeats must be at least 1")
    return args


def mnist_shaped(n_rows):
    """``X, y``: ``n_rows`` + 1000 held-out rows of 784 standardised float32 features."""
    X, y = make_classification(n_samples=n_rows + 1000, n_features=N_FEATURES,
                               n_informative=50, n_classes=N_CLASSES, random_state=0)
    X = StandardScaler().fit_transform(X).astype(np.float32)
    return X, y


def fitted_models(X, y, epochs):
    """Our classifier and scikit-learn's, same architecture, fitted for ``epochs``."""
    settings = {"hidden_layer_sizes": HIDDEN, "activation": "relu", "max_iter": epochs,
                "random_state": 0, "batch_size": 200}
    with no_convergence_warnings():
        return (FCNNClassifier(**settings).fit(X, y), MLPClassifier(**settings).fit(X, y))


def session(model, X_sample, threads):
    """An onnxruntime session on ``model``'s skl2onnx graph (no ZipMap), ``threads``
    intra-op threads, one inter-op thread."""
    graph = skl2onnx.to_onnx(model, X_sample, options={type(model): {"zipmap": False}})
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads, options.inter_op_num_threads = threads, 1
    options.execution_mode = onnxruntime.ExecutionMode.ORT_SEQUENTIAL
    return onnxruntime.InferenceSession(graph.SerializeToString(), options,
                                        providers=["CPUExecutionProvider"])


def onnx_call(ort_session):
    """``f(X) -> [label, probabilities]``, one onnxruntime run."""
    name = ort_session.get_inputs()[0].name
    return lambda X: ort_session.run(None, {name: X})


def median_seconds(function, X, calls, repeats):
    """Median wall seconds of ``calls * repeats`` calls ``function(X)``, after warm-up."""
    for _ in range(min(calls, 50)):
        function(X)
    clock, times = time.perf_counter, []
    for _ in range(calls * repeats):
        start = clock()
        function(X)
        times.append(clock() - start)
    return statistics.median(times)


def measure(functions, X, args):
    """``{row: (one-row seconds, all-rows seconds)}``; the libraries alternate per repeat."""
    row, batch = X[-1:], X[: args.n_rows]
    one = {name: [] for name in functions}
    many = {name: [] for name in functions}
    for _ in range(args.repeats):
        for name, function in functions.items():
            one[name].append(median_seconds(function, row, args.calls, 1))
            many[name].append(median_seconds(function, batch, 1, 1))
    return {name: (statistics.median(one[name]), statistics.median(many[name]))
            for name in functions}


def header_lines(args, threads):
    """Title, environment, versions, thread settings and data."""
    title = ("# ONNX inference: onnxruntime on skfcnn's export, against its own predict "
             "and scikit-learn's MLP")
    versions = (f"- onnxruntime {onnxruntime.__version__}, skl2onnx {skl2onnx.__version__}, "
                f"onnx {onnx.__version__}")
    thread_line = (f"- threads: NumPy's BLAS {threads} (threadpoolctl); onnxruntime "
                   f"intra_op_num_threads={threads}, inter_op_num_threads=1, sequential")
    model = (f"- model: 784 -> {' -> '.join(map(str, HIDDEN))} (relu) -> 10 (softmax), "
             f"float32, {args.epochs} epoch(s) on {args.n_fit} make_classification rows")
    timings = (f"- timings: one row, median of {args.calls} x {args.repeats} calls; "
               f"{args.n_rows} rows, median of {args.repeats} calls")
    return ([title, ""] + environment_lines(None)
            + [versions, thread_line, model, timings, f"- before: {load_average()}", ""])


def result_rows(times, n_rows):
    """One table row per measured function, in :data:`ROWS` order."""
    rows = []
    for name in ROWS:
        latency, batch = times[name]
        rows.append([name, f"{latency * 1e6:.1f}", f"{batch * 1e3:.1f}",
                     f"{n_rows / batch / 1e6:.2f}"])
    return rows


def agreement_lines(ours, ours_session, X):
    """How far onnxruntime's numbers are from ours on the timed rows."""
    labels, proba = onnx_call(ours_session)(X)
    line = (f"- onnxruntime vs skfcnn on the {len(X)} rows: labels equal "
            f"{np.mean(labels == ours.predict(X)):.2%}, max |probability difference| "
            f"{np.abs(proba - ours.predict_proba(X)).max():.2e}")
    return [line]


def main(argv=None):
    """Print the header, measure, print the table; ``--output`` gets both."""
    args = parse_args(argv)
    threads = blas_threads()
    head = header_lines(args, threads)
    print("\n".join(head), flush=True)
    log("data and fits")
    X, y = mnist_shaped(args.n_rows)
    ours, theirs = fitted_models(X[: args.n_fit], y[: args.n_fit], args.epochs)
    log("export")
    ours_session = session(ours, X[:1], threads)
    theirs_session = session(theirs, X[:1], threads)
    functions = dict(zip(ROWS, (ours.predict, ours.predict_proba, onnx_call(ours_session),
                                theirs.predict_proba, onnx_call(theirs_session))))
    log("timings")
    times = measure(functions, X, args)
    body = (["## Results", ""]
            + markdown(["what", "one row (µs)", f"{args.n_rows} rows (ms)",
                        "million rows per second"], result_rows(times, args.n_rows))
            + [""] + agreement_lines(ours, ours_session, X[: args.n_rows])
            + [f"- after: {load_average()}"])
    print("\n".join(body), flush=True)
    write_report(args.output, head + body)


if __name__ == "__main__":
    main()
