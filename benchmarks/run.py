"""skfcnn's speed against scikit-learn's MLP, PyTorch (CPU) and the matmul limit.

Run from the repository root::

    python benchmarks/run.py                  # the full run (a few minutes on 2 cores)
    python benchmarks/run.py --quick          # smoke run: smaller data, one repeat
    python benchmarks/run.py --skip-torch --output results.md

OpenBLAS reads ``OPENBLAS_CORETYPE`` / ``OPENBLAS_L2_SIZE``; when they force a
slower kernel than the CPU's own, benchmark with
``env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python benchmarks/run.py``
(the header says whether they are set and which kernel threadpoolctl reports).

What is measured, all in one run, on the same data with the same settings:

1. MNIST-shaped data (``make_classification``: 60000 training rows, 784
   features, 10 classes, plus 10000 held-out rows, standardised), hidden
   layers (256, 128), relu, Adam, batch 200, learning rate 1e-3, default L2
   ``alpha=1e-4``: seconds per epoch of ``fit`` with ``max_iter=E``, ``tol=0``
   and an unreachable ``n_iter_no_change`` (the fit time divided by ``E``), in
   float64 and float32, for skfcnn, scikit-learn and PyTorch (same threads as
   NumPy's BLAS), and the held-out accuracy of each after those epochs.
2. The matmul limit: ``numpy.matmul`` alone on the shapes of one epoch.
3. A tiny network (make_circles, 3 logistic units, 300 full-batch SGD steps).
4. Prediction: ``predict`` of one row (median of many calls) and
   ``predict_proba`` of the 60000 training rows, on the float64 models of 1.
5. Peak memory of one epoch's ``fit`` (tracemalloc; NumPy reports to it).
6. A profile of skfcnn's float32 epoch by kind of work.

Timings are the best of ``--repeats`` runs after untimed warm-up fits; the
libraries alternate within each repeat so that a change in machine load hits
all of them.  Benchmarks, not tests: nothing here asserts a time.
"""

import functools
import os
import statistics
import sys
import time
import tracemalloc

import numpy as np
from sklearn.datasets import make_circles, make_classification
from sklearn.neural_network import MLPClassifier
from sklearn.preprocessing import StandardScaler

from skfcnn import FCNNClassifier

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import (
    add_output_argument,
    benchmark_parser,
    best_alternating,
    environment_lines,
    load_average,
    log,
    markdown,
    no_convergence_warnings,
    parse_epoch_arguments,
    quiet_fit,
    seconds,
    torch_peer,
    write_report,
)
from _matmul_limit import adam_epoch_seconds, batch_sizes, epoch_flops, matmul_epoch_seconds
from _profile import CATEGORIES, profile_fit

HIDDEN = (256, 128)
LAYER_SIZES = (784, *HIDDEN, 10)
N_PARAMS = sum((a + 1) * b for a, b in zip(LAYER_SIZES[:-1], LAYER_SIZES[1:]))
N_INFORMATIVE = 50
CLASS_SEP = 2.0  # with the default 1.0, 3 epochs reach only ~50% held-out accuracy, still
#                  rising steeply: too noisy a check that both libraries learn alike
MNIST = dict(hidden_layer_sizes=HIDDEN, activation="relu", solver="adam", alpha=1e-4,
             batch_size=200, learning_rate_init=1e-3, tol=0.0, n_iter_no_change=10**6,
             shuffle=True, random_state=0)
CIRCLES = dict(hidden_layer_sizes=(3,), activation="logistic", solver="sgd", momentum=0.9,
               nesterovs_momentum=False, batch_size=100, learning_rate_init=2.0,
               max_iter=300, tol=0.0, n_iter_no_change=1000, alpha=0.0, random_state=0)
LIBRARIES = {"skfcnn": FCNNClassifier, "sklearn": MLPClassifier}
MB = 2.0**20


# ---------------------------------------------------------------------------------------
# Setup
# ---------------------------------------------------------------------------------------
def mnist_data(n_train, n_test):
    """Standardised MNIST-shaped data: ``{dtype: (X_train, X_test)}``, ``y_train, y_test``."""
    X, y = make_classification(n_samples=n_train + n_test, n_features=784,
                               n_informative=N_INFORMATIVE, n_classes=10, class_sep=CLASS_SEP,
                               random_state=0)
    X_train, X_test, y_train, y_test = X[:n_train], X[n_train:], y[:n_train], y[n_train:]
    scaler = StandardScaler().fit(X_train)
    X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)
    data = {np.float64: (np.ascontiguousarray(X_train), np.ascontiguousarray(X_test))}
    data[np.float32] = tuple(a.astype(np.float32) for a in data[np.float64])
    return data, y_train, y_test


def torch_model(torch_mod, epochs, dtype, threads, **options):
    """The PyTorch peer with :data:`MNIST`'s network, batch, learning rate and L2
    (``options``: those of ``options.py``, such as ``dropout``)."""
    return torch_mod.TorchMLP(HIDDEN, batch_size=MNIST["batch_size"],
                              learning_rate_init=MNIST["learning_rate_init"],
                              alpha=MNIST["alpha"], epochs=epochs, dtype=dtype,
                              threads=threads, random_state=0, **options)


# ---------------------------------------------------------------------------------------
# 1. MNIST-shaped epochs
# ---------------------------------------------------------------------------------------
def make_models(epochs, torch_mod, threads):
    """``{(library, dtype): factory}``; each factory returns a fresh unfitted model."""
    factories = {}
    for dtype in (np.float64, np.float32):
        for name, cls in LIBRARIES.items():
            factories[name, dtype] = (lambda cls=cls: cls(max_iter=epochs, **MNIST))
        if torch_mod is not None:
            factories["torch", dtype] = functools.partial(torch_model, torch_mod, epochs,
                                                          dtype, threads)
    return factories


def warm_up(factories, data, y_train):
    """One untimed 1-epoch-sized fit per library and dtype on a slice of the data."""
    for (name, dtype), factory in factories.items():
        X = data[dtype][0][:2000]
        model = factory()
        if name == "torch":
            model.epochs = 1
        else:
            model.set_params(max_iter=1)
        quiet_fit(model, X, y_train[:2000])


def run_epochs(factories, data, y_train, y_test, epochs, repeats):
    """Best seconds per epoch, held-out accuracy and the last fitted model of each."""
    best = {key: np.inf for key in factories}
    accuracy, models = {}, {}
    for repeat in range(repeats):
        for key, factory in factories.items():
            X_train, X_test = data[key[1]]
            model = factory()
            per_epoch = quiet_fit(model, X_train, y_train) / epochs
            best[key] = min(best[key], per_epoch)
            accuracy[key] = model.score(X_test, y_test)
            models[key] = model
            log(f"repeat {repeat + 1}/{repeats}: {key[0]} {key[1].__name__}: "
                f"{per_epoch:.3f} s/epoch, accuracy {accuracy[key]:.4f}")
    return best, accuracy, models


# ---------------------------------------------------------------------------------------
# 3-5. Tiny network, prediction, memory
# ---------------------------------------------------------------------------------------
def tiny_network(repeats):
    """Best fit seconds and train accuracy of each library on make_circles (CIRCLES)."""
    X, y = make_circles(n_samples=100, factor=0.3, noise=0.1, random_state=0)
    best, scores = {}, {}
    for cls in LIBRARIES.values():  # warm-up
        quiet_fit(cls(**CIRCLES), X, y)
    for _ in range(repeats):
        for name, cls in LIBRARIES.items():
            model = cls(**CIRCLES)
            best[name] = min(best.get(name, np.inf), quiet_fit(model, X, y))
            scores[name] = model.score(X, y)
    return best, scores


def one_row_latency(models, row, calls, repeats):
    """Median microseconds of ``predict(row)`` over ``calls * repeats`` timed calls each."""
    for model in models.values():
        for _ in range(200):
            model.predict(row)
    times = {name: [] for name in models}
    clock = time.perf_counter
    for _ in range(repeats):
        for name, model in models.items():
            predict, record = model.predict, times[name].append
            for _ in range(calls):
                start = clock()
                predict(row)
                record(clock() - start)
    return {name: statistics.median(values) * 1e6 for name, values in times.items()}


def batch_predict(models, X, repeats):
    """Best seconds of ``predict_proba(X)`` of each model, after an untimed warm-up."""
    for model in models.values():
        model.predict_proba(X[:1000])
    return best_alternating(repeats, {name: functools.partial(seconds, model.predict_proba, X)
                                      for name, model in models.items()})


def fit_peak_memory(X, y):
    """``{library: bytes}``: tracemalloc's peak of what one epoch's ``fit`` allocates
    on top of what existed before (``X`` is not counted: it is already there)."""
    peaks = {}
    for name, cls in LIBRARIES.items():
        model = cls(max_iter=1, **MNIST)
        tracemalloc.start()
        try:
            quiet_fit(model, X, y)
            peaks[name] = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    return peaks


# ---------------------------------------------------------------------------------------
# Report
# ---------------------------------------------------------------------------------------
def ratio_row(what, ours, peer, peer_name, unit, target, fmt="{:.3f}"):
    """A table row comparing ours with a peer; ``target`` is the largest ratio allowed."""
    if peer is None:
        return [what, fmt.format(ours) + unit, f"{peer_name}: skipped", "-",
                "-" if target is None else f"<= {target:g}x", "-"]
    ratio = ours / peer
    met = "-" if target is None else ("yes" if ratio <= target else "**no**")
    return [what, fmt.format(ours) + unit, f"{peer_name}: " + fmt.format(peer) + unit,
            f"{ratio:.2f}", "-" if target is None else f"<= {target:g}x", met]


def epoch_rows(best, accuracy, epochs):
    """Table 1's rows: seconds per epoch against each peer, held-out accuracy."""
    f64, f32 = np.float64, np.float32
    torch_ok = ("torch", f32) in best
    rows = [
        ratio_row("1. epoch, float64", best["skfcnn", f64], best["sklearn", f64],
                  "sklearn", " s", 0.6),
        ratio_row("1. epoch, float32", best["skfcnn", f32],
                  best["torch", f32] if torch_ok else None, "PyTorch", " s", 1.0),
        ratio_row("1. epoch, float32 (vs sklearn)", best["skfcnn", f32], best["sklearn", f32],
                  "sklearn", " s", None),
        ratio_row("1. epoch, float64 (vs PyTorch)", best["skfcnn", f64],
                  best["torch", f64] if torch_ok else None, "PyTorch", " s", None),
    ]
    for dtype in (f64, f32):
        ours, theirs = accuracy["skfcnn", dtype], accuracy["sklearn", dtype]
        gap = 100 * (ours - theirs)
        peer = f"sklearn: {theirs:.4f}"
        if torch_ok:
            peer += f" (PyTorch: {accuracy['torch', dtype]:.4f})"
        rows.append([f"1. held-out accuracy after {epochs} epoch(s), {dtype.__name__}",
                     f"{ours:.4f}", peer, f"{gap:+.2f} points", "within 1 point",
                     "yes" if abs(gap) <= 1 else "**no**"])
    return rows


def matmul_rows(matmul, best):
    """Table 2's rows: the matmul-alone epoch as a share of each library's."""
    rows = []
    for dtype in (np.float64, np.float32):
        seconds, rate = matmul[dtype]
        share = seconds / best["skfcnn", dtype]
        peers = f"sklearn {seconds / best['sklearn', dtype]:.0%}"
        if ("torch", dtype) in best:
            peers += f", PyTorch {seconds / best['torch', dtype]:.0%}"
        rows.append([f"2. share of the matmul rate, {dtype.__name__} ({rate:.0f} GFLOP/s, "
                     f"{seconds:.3f} s/epoch)", f"{share:.0%}", peers, "-", ">= 75%",
                     "yes" if share >= 0.75 else "**no**"])
    return rows


def profile_lines(shares, profiled, epoch_seconds, matmul_seconds):
    """Section 6: the profile's seconds by kind of work, and how to read them."""
    total = sum(shares.values())
    rows = [[name, f"{shares.get(name, 0.0):.3f}", f"{shares.get(name, 0.0) / total:.1%}"]
            for name in CATEGORIES if shares.get(name, 0.0) > 0]
    return (["", "### 6. Where skfcnn's time goes (a one-epoch float32 fit under cProfile, "
               "the fastest of up to 2)", ""]
            + markdown(["kind of work", "seconds (profiled)", "share"], rows)
            + ["", f"- profiled fit: {profiled:.3f} s, setup included (attributed: "
               f"{total:.3f} s); an unprofiled epoch (table 1): {epoch_seconds:.3f} s; its "
               f"matrix products alone at the machine's rate (table 2): {matmul_seconds:.3f} s",
               "- profiling adds a cost per Python call, so Python overhead looks larger "
               "here than in the unprofiled run"])


# ---------------------------------------------------------------------------------------
# Main
# ---------------------------------------------------------------------------------------
def parse_args(argv):
    """The options; ``--quick`` also shrinks the data and the latency calls."""
    parser = benchmark_parser(__doc__)
    add_output_argument(parser)
    args = parse_epoch_arguments(parser, argv, epochs=3, repeats=3, quick_help=(
        "smoke run: 6000 training rows, 1 epoch, 1 repeat"))
    args.n_train, args.n_test = (6000, 1000) if args.quick else (60000, 10000)
    args.calls = 200 if args.quick else 1000
    return args


def header_lines(args, torch_mod, torch_note, threads):
    """The report's title, environment and settings."""
    return (["# skfcnn speed: against scikit-learn's MLP, PyTorch (CPU) and the matmul limit",
             ""] + environment_lines(torch_note)
            + [f"- PyTorch threads: set to {threads} (NumPy's BLAS)" if torch_mod else
               "- PyTorch: rows skipped",
               f"- data: make_classification({args.n_train}+{args.n_test} rows, 784 features, "
               f"n_informative={N_INFORMATIVE}, 10 classes, class_sep={CLASS_SEP}, "
               f"random_state=0), standardised on the training rows; {args.n_test} held out",
               f"- {args.epochs} epoch(s) per timed fit, best of {args.repeats}",
               f"- before: {load_average()}", ""])


def measure(args, torch_mod, threads):
    """Every measurement of the report, in a dict."""
    data, y_train, y_test = mnist_data(args.n_train, args.n_test)
    factories = make_models(args.epochs, torch_mod, threads)
    log("warm-up")
    warm_up(factories, data, y_train)
    r = dict(zip(("best", "accuracy", "models"),
                 run_epochs(factories, data, y_train, y_test, args.epochs, args.repeats)))
    log("matmul limit")
    r["sizes"] = batch_sizes(args.n_train, MNIST["batch_size"])
    r["flops"] = epoch_flops(LAYER_SIZES, r["sizes"])
    r["matmul"] = {}
    for dtype in (np.float64, np.float32):
        seconds = matmul_epoch_seconds(data[dtype][0], LAYER_SIZES, MNIST["batch_size"],
                                       max(args.repeats, 2))
        r["matmul"][dtype] = (seconds, r["flops"] / seconds / 1e9)
    r["adam"] = {dtype: adam_epoch_seconds(N_PARAMS, len(r["sizes"]), dtype, max(args.repeats, 2))
                 for dtype in (np.float64, np.float32)}
    log("tiny network")
    r["tiny"], r["tiny_scores"] = tiny_network(1 if args.quick else max(args.repeats, 10))
    log("prediction")
    f64_models = {name: r["models"][name, np.float64] for name in LIBRARIES}
    X_train, X_test = data[np.float64]
    r["latency"] = one_row_latency(f64_models, X_test[:1], args.calls, args.repeats)
    r["proba"] = batch_predict(f64_models, X_train, args.repeats)
    log("peak memory")
    r["peaks"] = fit_peak_memory(X_train, y_train)
    r["X_bytes"], r["itemsize"] = X_train.nbytes, X_train.itemsize
    log("profile")
    r["shares"], r["profiled"] = fastest_profile(data[np.float32][0], y_train,
                                                 min(args.repeats, 2))
    return r


def fastest_profile(X, y, repeats):
    """The profile of the fastest of ``repeats`` one-epoch fits (the least disturbed)."""
    best = None
    with no_convergence_warnings():
        for _ in range(repeats):
            shares, seconds = profile_fit(FCNNClassifier(max_iter=1, **MNIST), X, y)
            if best is None or seconds < best[1]:
                best = shares, seconds
    return best


def result_rows(r, args):
    """The results table's rows and the fitted float64 model's bytes."""
    fitted = r["models"]["skfcnn", np.float64]
    model_bytes = sum(a.nbytes for a in (*fitted.coefs_, *fitted.intercepts_))
    allowed = 10 * model_bytes + 50 * MB
    tiny, scores, peaks = r["tiny"], r["tiny_scores"], r["peaks"]
    rows = epoch_rows(r["best"], r["accuracy"], args.epochs) + matmul_rows(r["matmul"], r["best"])
    rows.append(ratio_row(f"3. tiny network fit, 300 iterations (train accuracy "
                          f"{scores['skfcnn']:.2f} vs {scores['sklearn']:.2f})",
                          tiny["skfcnn"], tiny["sklearn"], "sklearn", " s", 0.25, "{:.4f}"))
    rows.append(ratio_row(f"4. predict one row (median of {args.calls * args.repeats} calls)",
                          r["latency"]["skfcnn"], r["latency"]["sklearn"], "sklearn", " µs",
                          0.5, "{:.1f}"))
    rows.append(ratio_row(f"4. predict_proba, {args.n_train} rows", r["proba"]["skfcnn"],
                          r["proba"]["sklearn"], "sklearn", " s", 1.0))
    rows.append(["5. fit peak memory, 1 epoch, float64 (allocated on top of X)",
                 f"{peaks['skfcnn'] / MB:.1f} MB", f"sklearn: {peaks['sklearn'] / MB:.1f} MB",
                 f"{peaks['skfcnn'] / peaks['sklearn']:.2f}",
                 f"<= 10 x model + 50 MB = {allowed / MB:.1f} MB",
                 "yes" if peaks["skfcnn"] <= allowed else "**no**"])
    return rows, model_bytes


def note_lines(r, model_bytes):
    """The notes under the results table (matmul rate, Adam bound, memory)."""
    matmul, peaks, itemsize = r["matmul"], r["peaks"], r["itemsize"]
    per_batch = MNIST["batch_size"] * (LAYER_SIZES[0] + 2 * sum(LAYER_SIZES[1:])) * itemsize
    return [
        "",
        f"- 2. one epoch is {r['flops'] / 1e9:.1f} GFLOP of matrix products "
        f"({len(r['sizes'])} batches); numpy.matmul alone: "
        + "; ".join(f"{matmul[d][1]:.0f} GFLOP/s in {d.__name__} ({matmul[d][0]:.3f} s "
                    "per epoch)" for d in (np.float64, np.float32)),
        *adam_floor_lines(r),
        f"- 5. X is {r['X_bytes'] / MB:.1f} MB, the model {model_bytes / MB:.2f} MB "
        f"({model_bytes // itemsize} parameters), per-batch activations, errors and the "
        f"gathered batch about {per_batch / MB:.2f} MB; peak in use during fit: skfcnn "
        f"X + {peaks['skfcnn'] / MB:.1f} MB, sklearn X + {peaks['sklearn'] / MB:.1f} MB",
    ]


def adam_floor_lines(r):
    """What the matrix products and the Adam steps alone would take (table 2's bound)."""
    lines = [f"- 2. the bound Adam sets: a step is 12 element-wise NumPy passes over the "
             f"{N_PARAMS} parameters (cache-blocked; the square root and the division cost "
             "most), one step per batch. An epoch doing nothing but the matrix products and "
             "these steps, with no other work at all, would reach:"]
    for dtype in (np.float64, np.float32):
        matmul, adam = r["matmul"][dtype][0], r["adam"][dtype]
        floor = matmul + adam
        peer = r["best"]["sklearn", dtype]
        lines.append(f"  - {dtype.__name__}: Adam {adam:.3f} s per epoch "
                     f"({adam / len(r['sizes']) * 1e3:.2f} ms a step); matmul + Adam "
                     f"{floor:.3f} s = {matmul / floor:.0%} of the matmul rate, "
                     f"{floor / peer:.2f}x scikit-learn's epoch")
    return lines


def main(argv=None):
    """Print the header, measure, print the results; ``--output`` gets both."""
    wall = time.perf_counter()
    args = parse_args(argv)
    torch_mod, torch_note, threads = torch_peer(args.skip_torch)
    head = header_lines(args, torch_mod, torch_note, threads)
    print("\n".join(head), flush=True)
    r = measure(args, torch_mod, threads)
    rows, model_bytes = result_rows(r, args)
    body = (["## Results", ""]
            + markdown(["comparison", "skfcnn", "peer", "ratio (ours/peer)", "target", "met"],
                       rows)
            + note_lines(r, model_bytes)
            + profile_lines(r["shares"], r["profiled"], r["best"]["skfcnn", np.float32],
                            r["matmul"][np.float32][0]))
    tail = ["", f"- after: {load_average()}",
            f"- total time: {time.perf_counter() - wall:.0f} s (data generation included)"]
    print("\n".join(body + tail), flush=True)
    write_report(args.output, head + body + tail)


if __name__ == "__main__":
    main()
