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
2. The floor: ``numpy.matmul`` alone on the shapes of one epoch, plus one
   epoch's Adam steps; and the bare NumPy epoch (``_bare_epoch.py``: skfcnn's
   arithmetic, bit for bit, with nothing around it), which splits the distance to
   the floor into the library's part and the arithmetic's; both measured in the
   same rounds as the fits.
3. A tiny network (make_circles, 3 logistic units, 300 full-batch SGD steps), and
   one ``partial_fit`` of its 100 rows.
4. Prediction: ``predict`` of one row (median of many calls) and
   ``predict_proba`` of the 60000 training rows, on the float64 models of 1.
5. Peak memory of one epoch's ``fit`` (tracemalloc; NumPy reports to it).
6. A profile of skfcnn's float32 epoch by kind of work.
7. A one-epoch fit on ``X`` and on a fresh copy of ``X``, alternated: whether
   where ``X`` lies in memory changes the epoch.

Every figure is the median over ``--repeats`` interleaved rounds, with its range
(``median [low-high]``), after untimed warm-up fits: each round fits every
library and dtype once and measures the floor right before and right after
skfcnn's fit (the round's floor is their mean), so that a change in machine
load hits all of them, and every ratio is taken within a round (ours against the
peer or the floor of the same round), then its median and range over the
rounds are reported.  Benchmarks, not tests: nothing here asserts a time.
"""

import functools
import os
import statistics
import sys
import time
import tracemalloc

import numpy as np
from sklearn.datasets import make_classification
from sklearn.preprocessing import StandardScaler

from skfcnn import FCNNClassifier

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _bare_epoch import BareEpoch
from _common import (
    add_output_argument,
    benchmark_parser,
    environment_lines,
    load_average,
    log,
    markdown,
    no_convergence_warnings,
    paired_ratios,
    parse_epoch_arguments,
    quiet_fit,
    spread,
    torch_peer,
    write_report,
)
from _ledger import PARTS, REST, epoch_ledger
from _matmul_limit import FloorClock, batch_sizes, epoch_flops
from _profile import CATEGORIES, profile_fit
from _small_calls import (
    LIBRARIES,
    batch_predict,
    one_row_latency,
    partial_fit_latency,
    tiny_network,
)

HIDDEN = (256, 128)
LAYER_SIZES = (784, *HIDDEN, 10)
N_PARAMS = sum((a + 1) * b for a, b in zip(LAYER_SIZES[:-1], LAYER_SIZES[1:]))
N_INFORMATIVE = 50
CLASS_SEP = 2.0  # with the default 1.0, 3 epochs reach only ~50% held-out accuracy, still
#                  rising steeply: too noisy a check that both libraries learn alike
MNIST = dict(hidden_layer_sizes=HIDDEN, activation="relu", solver="adam", alpha=1e-4,
             batch_size=200, learning_rate_init=1e-3, tol=0.0, n_iter_no_change=10**6,
             shuffle=True, random_state=0)
DTYPES = (np.float64, np.float32)
#: The goals of the issue on speed: the largest ratio ours / peer of each figure.
TARGETS = {"f64_sklearn": 0.75, "f32_torch": 0.85, "floor": 1.25, "tiny": 0.25,
           "one_row": 0.30, "proba": 1.0}
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
    for dtype in DTYPES:
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


def run_rounds(factories, floors, bares, data, y, epochs, repeats):
    """``{key: [seconds per epoch, one per round]}`` for every library and dtype,
    ``("matmul", dtype)``, ``("adam", dtype)`` for the floor and ``("bare", dtype)`` for
    the bare NumPy epoch (``bares``), measured in the same rounds; and the last fitted
    model of each key.

    In each round and dtype the floor is measured right before skfcnn's fit and right
    after it, and the round's floor is the mean of the two: the machine's speed drifts
    over seconds, and the ratio to the floor pairs the two measurements closest in time.
    The bare epochs run right after that.
    """
    times = {key: [] for key in [*factories, *((part, dtype) for part in ("matmul", "adam",
                                                                          "bare")
                                               for dtype in DTYPES)]}
    models = {}
    for repeat in range(repeats):
        for dtype in DTYPES:
            before = floors[dtype]()
            for key in (k for k in factories if k[1] is dtype):
                models[key] = model = factories[key]()
                times[key].append(quiet_fit(model, data[dtype][0], y) / epochs)
                if key[0] == "skfcnn":
                    after = floors[dtype]()
                    times["bare", dtype].append(sum(bares[dtype]()[0] for _ in range(epochs))
                                                / epochs)
            times["matmul", dtype].append((before[0] + after[0]) / 2)
            times["adam", dtype].append((before[1] + after[1]) / 2)
            log(f"round {repeat + 1}/{repeats}, {dtype.__name__}: " + ", ".join(
                f"{key[0]} {times[key][-1]:.3f} s" for key in times if key[1] is dtype))
    return times, models


# ---------------------------------------------------------------------------------------
# 3-5, 7. Tiny network, prediction, memory, a fresh X
# ---------------------------------------------------------------------------------------
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


def fresh_copy_epochs(X, y, repeats):
    """``{"X": [...], "copy": [...]}``: seconds of a one-epoch skfcnn fit on ``X`` (used
    by every fit before) and on a copy of it made just before, alternated."""
    times = {"X": [], "copy": []}
    for _ in range(repeats):
        times["X"].append(quiet_fit(FCNNClassifier(max_iter=1, **MNIST), X, y))
        fresh = X.copy()
        times["copy"].append(quiet_fit(FCNNClassifier(max_iter=1, **MNIST), fresh, y))
        del fresh
    return times


# ---------------------------------------------------------------------------------------
# Report
# ---------------------------------------------------------------------------------------
def ratio_row(what, ours, peer, peer_name, unit, target, fmt="{:.3f}"):
    """A table row: our times and the peer's (median [range] over the rounds), the
    ratio of each round (median [range]), and whether its median meets ``target``."""
    if peer is None:
        return [what, spread(ours, fmt, unit), f"{peer_name}: skipped", "-",
                "-" if target is None else f"<= {target:g}x", "-"]
    ratios = paired_ratios(ours, peer)
    ratio = statistics.median(ratios)
    met = "-" if target is None else ("yes" if ratio <= target else "**no**")
    return [what, spread(ours, fmt, unit), f"{peer_name}: " + spread(peer, fmt, unit),
            spread(ratios, "{:.2f}"), "-" if target is None else f"<= {target:g}x", met]


def floor_times(times, dtype):
    """Per-round floor seconds: the matrix products plus the Adam steps."""
    return [a + b for a, b in zip(times["matmul", dtype], times["adam", dtype])]


def epoch_rows(times, accuracy, epochs):
    """Table 1's rows: seconds per epoch against each peer and the floor, accuracy."""
    f64, f32 = DTYPES
    torch = {d: times.get(("torch", d)) for d in DTYPES}
    rows = [
        ratio_row("1. epoch, float64", times["skfcnn", f64], times["sklearn", f64],
                  "sklearn", " s", TARGETS["f64_sklearn"]),
        ratio_row("1. epoch, float32", times["skfcnn", f32], torch[f32], "PyTorch", " s",
                  TARGETS["f32_torch"]),
        ratio_row("1. epoch, float64 / floor", times["skfcnn", f64], floor_times(times, f64),
                  "floor", " s", TARGETS["floor"]),
        ratio_row("1. epoch, float32 / floor", times["skfcnn", f32], floor_times(times, f32),
                  "floor", " s", TARGETS["floor"]),
        *(ratio_row(f"1. epoch, {d.__name__} / bare NumPy epoch (the same numbers)",
                    times["skfcnn", d], times["bare", d], "bare", " s", None) for d in DTYPES),
        ratio_row("1. epoch, float32 (vs sklearn)", times["skfcnn", f32],
                  times["sklearn", f32], "sklearn", " s", None),
        ratio_row("1. epoch, float64 (vs PyTorch)", times["skfcnn", f64], torch[f64],
                  "PyTorch", " s", None),
    ]
    for dtype in DTYPES:
        ours, theirs = accuracy["skfcnn", dtype], accuracy["sklearn", dtype]
        gap = 100 * (ours - theirs)
        peer = f"sklearn: {theirs:.4f}"
        if torch[dtype] is not None:
            peer += f" (PyTorch: {accuracy['torch', dtype]:.4f})"
        rows.append([f"1. held-out accuracy after {epochs} epoch(s), {dtype.__name__}",
                     f"{ours:.4f}", peer, f"{gap:+.2f} points", "within 1 point",
                     "yes" if abs(gap) <= 1 else "**no**"])
    return rows


def matmul_rows(times, flops):
    """Table 2's rows: the matmul-alone epoch as a share of each library's, per round."""
    rows = []
    for dtype in DTYPES:
        matmul = times["matmul", dtype]
        rate = flops / statistics.median(matmul) / 1e9

        def share(name, dtype=dtype, matmul=matmul):
            return statistics.median(paired_ratios(matmul, times[name, dtype]))
        peers = ", ".join(f"{label} {share(name):.0%}" for name, label in
                          (("sklearn", "sklearn"), ("torch", "PyTorch")) if (name, dtype) in times)
        ours = [100 * x for x in paired_ratios(matmul, times["skfcnn", dtype])]
        rows.append([f"2. share of the matmul rate, {dtype.__name__} ({rate:.0f} GFLOP/s, "
                     f"{spread(matmul)} s/epoch)", spread(ours, "{:.0f}", "%"), peers, "-",
                     ">= 75%", "yes" if share("skfcnn") >= 0.75 else "**no**"])
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
               f"{total:.3f} s); an unprofiled epoch (table 1, median): {epoch_seconds:.3f} s; "
               f"its matrix products alone at the machine's rate (table 2, median): "
               f"{matmul_seconds:.3f} s",
               "- profiling adds a cost per Python call, so Python overhead looks larger "
               "here than in the unprofiled run"])


def ledger_lines(ledgers):
    """Section 6b: one real epoch by part, next to the floor's two parts."""
    parts = [*PARTS, REST, "epoch", "floor matmul", "floor Adam"]
    rows = [[part] + [f"{ledgers[dtype][part]:.3f}" if part in ledgers[dtype] else "-"
                      for dtype in DTYPES] for part in parts]  # "-": an older skfcnn's
    rows.append(["epoch - floor"] + [f"{d['epoch'] - d['floor matmul'] - d['floor Adam']:.3f}"
                                     for d in (ledgers[dtype] for dtype in DTYPES)])
    return (["", "### 6b. One epoch by part, timed (the fastest of up to 2 one-epoch fits; "
             "the floor's parts measured right before and after)", ""]
            + markdown(["part", *(f"{dtype.__name__} (s)" for dtype in DTYPES)], rows))


def fresh_lines(fresh):
    """Section 7: a one-epoch fit on ``X`` against one on a fresh copy of it."""
    ratios = paired_ratios(fresh["copy"], fresh["X"])
    return ["", "### 7. A fresh copy of X (one-epoch float64 fits, alternated)", "",
            f"- on X: {spread(fresh['X'])} s; on a copy made just before: "
            f"{spread(fresh['copy'])} s; copy / X per round: {spread(ratios, '{:.2f}')}"]


# ---------------------------------------------------------------------------------------
# Main
# ---------------------------------------------------------------------------------------
def parse_args(argv):
    """The options; ``--quick`` also shrinks the data and the latency calls."""
    parser = benchmark_parser(__doc__)
    add_output_argument(parser)
    args = parse_epoch_arguments(parser, argv, epochs=3, repeats=5, quick_help=(
        "smoke run: 6000 training rows, 1 epoch, 1 round"))
    args.n_train, args.n_test = (6000, 1000) if args.quick else (60000, 10000)
    args.calls = 200 if args.quick else 1000
    return args


def header_lines(args, torch_mod, torch_note, threads):
    """The report's title, environment and settings."""
    return (["# skfcnn speed: against scikit-learn's MLP, PyTorch (CPU) and the floor", ""]
            + environment_lines(torch_note)
            + [f"- PyTorch threads: set to {threads} (NumPy's BLAS)" if torch_mod else
               "- PyTorch: rows skipped",
               f"- data: make_classification({args.n_train}+{args.n_test} rows, 784 features, "
               f"n_informative={N_INFORMATIVE}, 10 classes, class_sep={CLASS_SEP}, "
               f"random_state=0), standardised on the training rows; {args.n_test} held out",
               f"- {args.epochs} epoch(s) per timed fit; every figure is the median "
               f"[range] over {args.repeats} interleaved round(s), each ratio taken within "
               "a round",
               f"- before: {load_average()}", ""])


def measure(args, torch_mod, threads):
    """Every measurement of the report, in a dict."""
    data, y_train, y_test = mnist_data(args.n_train, args.n_test)
    factories = make_models(args.epochs, torch_mod, threads)
    log("warm-up")
    warm_up(factories, data, y_train)
    floors = {dtype: FloorClock(data[dtype][0], LAYER_SIZES, MNIST["batch_size"], N_PARAMS)
              for dtype in DTYPES}
    bares = {dtype: BareEpoch.for_data(data[dtype][0], y_train, LAYER_SIZES, MNIST)
             for dtype in DTYPES}
    r = dict(zip(("times", "models"), run_rounds(factories, floors, bares, data, y_train,
                                                 args.epochs, args.repeats)))
    r["accuracy"] = {key: model.score(data[key[1]][1], y_test)
                     for key, model in r["models"].items()}
    r["sizes"] = batch_sizes(args.n_train, MNIST["batch_size"])
    r["flops"] = epoch_flops(LAYER_SIZES, r["sizes"])
    log("tiny network")
    r["tiny"], r["tiny_scores"] = tiny_network(max(args.repeats, 1 if args.quick else 10))
    r["partial"] = partial_fit_latency(args.repeats, args.calls // 4)
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
    with no_convergence_warnings():
        r["ledger"] = {dtype: epoch_ledger(lambda: FCNNClassifier(max_iter=1, **MNIST),
                                           data[dtype][0], y_train, floors[dtype],
                                           min(args.repeats, 2)) for dtype in DTYPES}
    log("a fresh copy of X")
    r["fresh"] = fresh_copy_epochs(X_train, y_train, max(args.repeats, 2))
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
    rows = epoch_rows(r["times"], r["accuracy"], args.epochs) + matmul_rows(r["times"],
                                                                             r["flops"])
    rows.append(ratio_row(f"3. tiny network fit, 300 iterations (train accuracy "
                          f"{scores['skfcnn']:.2f} vs {scores['sklearn']:.2f})",
                          tiny["skfcnn"], tiny["sklearn"], "sklearn", " s", TARGETS["tiny"],
                          "{:.4f}"))
    rows.append(ratio_row(f"3. tiny partial_fit, 100 rows (median of {args.calls // 4} calls "
                          "a round)", r["partial"]["skfcnn"], r["partial"]["sklearn"],
                          "sklearn", " µs", None, "{:.0f}"))
    rows.append(ratio_row(f"4. predict one row (median of {args.calls} calls a round)",
                          r["latency"]["skfcnn"], r["latency"]["sklearn"], "sklearn", " µs",
                          TARGETS["one_row"], "{:.1f}"))
    rows.append(ratio_row(f"4. predict_proba, {args.n_train} rows", r["proba"]["skfcnn"],
                          r["proba"]["sklearn"], "sklearn", " s", TARGETS["proba"]))
    rows.append(["5. fit peak memory, 1 epoch, float64 (allocated on top of X)",
                 f"{peaks['skfcnn'] / MB:.1f} MB", f"sklearn: {peaks['sklearn'] / MB:.1f} MB",
                 f"{peaks['skfcnn'] / peaks['sklearn']:.2f}",
                 f"<= 10 x model + 50 MB = {allowed / MB:.1f} MB",
                 "yes" if peaks["skfcnn"] <= allowed else "**no**"])
    return rows, model_bytes


def note_lines(r, model_bytes):
    """The notes under the results table (matmul rate, Adam bound, memory)."""
    times, peaks, itemsize = r["times"], r["peaks"], r["itemsize"]
    per_batch = MNIST["batch_size"] * (LAYER_SIZES[0] + 2 * sum(LAYER_SIZES[1:])) * itemsize
    return [
        "",
        f"- 2. one epoch is {r['flops'] / 1e9:.1f} GFLOP of matrix products "
        f"({len(r['sizes'])} batches); numpy.matmul alone: "
        + "; ".join(f"{r['flops'] / statistics.median(times['matmul', d]) / 1e9:.0f} GFLOP/s "
                    f"in {d.__name__} ({spread(times['matmul', d])} s per epoch)"
                    for d in DTYPES),
        *adam_floor_lines(r),
        f"- 5. X is {r['X_bytes'] / MB:.1f} MB, the model {model_bytes / MB:.2f} MB "
        f"({model_bytes // itemsize} parameters), per-batch activations, errors and the "
        f"gathered batch about {per_batch / MB:.2f} MB; peak in use during fit: skfcnn "
        f"X + {peaks['skfcnn'] / MB:.1f} MB, sklearn X + {peaks['sklearn'] / MB:.1f} MB",
    ]


def adam_floor_lines(r):
    """What the matrix products and the Adam steps alone take: the floor of table 1."""
    times = r["times"]
    lines = [f"- 2. the floor: the matrix products plus one Adam step per batch (12 "
             f"element-wise NumPy passes over the {N_PARAMS} parameters, cache-blocked), "
             "measured in every round; an epoch doing nothing else would take:"]
    for dtype in DTYPES:
        adam, floor = times["adam", dtype], floor_times(times, dtype)
        share = paired_ratios(times["matmul", dtype], floor)
        to_sklearn = statistics.median(paired_ratios(floor, times["sklearn", dtype]))
        bare = paired_ratios(times["bare", dtype], floor)
        lines.append(f"  - {dtype.__name__}: Adam {spread(adam)} s per epoch; matmul + Adam "
                     f"{spread(floor)} s = {statistics.median(share):.0%} of the matmul "
                     f"rate, {to_sklearn:.2f}x scikit-learn's epoch; the bare NumPy epoch "
                     f"(_bare_epoch.py: skfcnn's numbers, nothing around them) "
                     f"{spread(times['bare', dtype])} s = {spread(bare, '{:.2f}')}x the floor")
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
    times = r["times"]
    body = (["## Results", ""]
            + markdown(["comparison", "skfcnn", "peer", "ratio (ours/peer)", "target", "met"],
                       rows)
            + note_lines(r, model_bytes)
            + profile_lines(r["shares"], r["profiled"],
                            statistics.median(times["skfcnn", np.float32]),
                            statistics.median(times["matmul", np.float32]))
            + ledger_lines(r["ledger"])
            + fresh_lines(r["fresh"]))
    tail = ["", f"- after: {load_average()}",
            f"- total time: {time.perf_counter() - wall:.0f} s (data generation included)"]
    print("\n".join(body + tail), flush=True)
    write_report(args.output, head + body + tail)


if __name__ == "__main__":
    main()
