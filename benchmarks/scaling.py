"""Epoch time over network shapes: skfcnn against scikit-learn, PyTorch and the floor.

Run from the repository root::

    python benchmarks/scaling.py                  # every shape (about ten minutes, 2 cores)
    python benchmarks/scaling.py --quick          # smoke run: small shapes, one round
    python benchmarks/scaling.py --format rst     # tables for docs/performance.rst

One shape at a time moves away from a base point (10000 rows of 100 standardised
features, 10 classes, two hidden layers of 128 relu units, Adam, batch 200,
``alpha=1e-4``): the width (32, 128, 512, 2048), the depth (1, 2, 4 hidden
layers), the rows (1e3, 1e4, 1e5) and the batch size (32, 200, 1024, all rows),
in float64 and float32; then the shapes the tabular mode trains (3000 rows of
150 columns into three layers of 128, batch 256: one member, and one
BatchEnsemble of 8 members, which trains on 8 times the rows).  Each cell is the
median over ``--repeats`` interleaved rounds of the seconds per epoch: a
three-epoch fit less a one-epoch fit, divided by two (the setup of a fit, its
checks and first allocations, cancels out); each round also measures the
floor (one epoch of the matrix products at NumPy's rate plus one epoch of Adam
steps, :mod:`_matmul_limit`), and every ratio is taken within a round.

Last, ``GridSearchCV`` throughput: fits per second of a 8-setting, 3-fold search
on a small problem, skfcnn against scikit-learn's MLP, with ``n_jobs=1`` and 2.
"""

import os
import statistics
import sys
import time

import numpy as np
from sklearn.datasets import make_classification
from sklearn.model_selection import GridSearchCV
from sklearn.neural_network import MLPClassifier
from sklearn.preprocessing import StandardScaler

from skfcnn import FCNNClassifier
from skfcnn.nn import EnsembleInput

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
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
    torch_peer,
    write_report,
)
from _matmul_limit import FloorClock

BASE = dict(rows=10_000, features=100, width=128, depth=2, batch=200)
SWEEPS = {"width": (32, 128, 512, 2048), "depth": (1, 2, 4),
          "rows": (1_000, 10_000, 100_000), "batch": (32, 200, 1024, "all")}
QUICK_SWEEPS = {"width": (32, 256), "depth": (1, 3), "rows": (1_000, 3_000),
                "batch": (50, "all")}
QUICK_BASE = dict(rows=2_000, features=20, width=32, depth=2, batch=100)
TABULAR = [("tabular member", dict(rows=3_000, features=150, width=128, depth=3, batch=256),
            1),
           ("tabular BatchEnsemble of 8", dict(rows=3_000, features=150, width=128, depth=3,
                                               batch=256), 8)]
N_CLASSES = 10
EPOCHS = 2
SETTINGS = dict(activation="relu", solver="adam", alpha=1e-4, learning_rate_init=1e-3,
                tol=0.0, n_iter_no_change=10**6, shuffle=True, random_state=0)
GRID = {"hidden_layer_sizes": [(32,), (64,)], "alpha": [1e-4, 1e-2],
        "learning_rate_init": [1e-3, 1e-2]}


# ---------------------------------------------------------------------------------------
# The shapes
# ---------------------------------------------------------------------------------------
def shapes(quick):
    """``[(label, shape, members)]``: the base point, one sweep at a time, the tables'."""
    base, sweeps = (QUICK_BASE, QUICK_SWEEPS) if quick else (BASE, SWEEPS)
    found = [("base", dict(base), 1)]
    for name, values in sweeps.items():
        for value in values:
            if value != base[name]:
                found.append((f"{name} {value}", {**base, name: value}, 1))
    tabular = [(label, {**shape, "rows": 600} if quick else shape, k)
               for label, shape, k in TABULAR]
    return found + tabular


def data(shape, dtype):
    """Standardised ``make_classification`` rows of the shape, in ``dtype``."""
    X, y = make_classification(n_samples=shape["rows"], n_features=shape["features"],
                               n_informative=min(20, shape["features"] - 2),
                               n_classes=N_CLASSES, random_state=0)
    return StandardScaler().fit_transform(X).astype(dtype), y


def batch_size(shape):
    return shape["rows"] if shape["batch"] == "all" else shape["batch"]


def layer_sizes(shape):
    return (shape["features"], *[shape["width"]] * shape["depth"], N_CLASSES)


def n_params(sizes):
    return sum((a + 1) * b for a, b in zip(sizes[:-1], sizes[1:]))


def factories(shape, members, dtype, torch_mod, threads):
    """``{library: factory}`` of the shape (ours alone for an ensemble); a factory
    takes the number of epochs and returns a new model."""
    hidden = (shape["width"],) * shape["depth"]
    common = dict(hidden_layer_sizes=hidden, batch_size=batch_size(shape), **SETTINGS)
    steps = {"input_steps": [EnsembleInput(members)]} if members > 1 else {}
    made = {"skfcnn": lambda epochs: FCNNClassifier(max_iter=epochs, **common, **steps)}
    if members > 1:
        return made
    made["sklearn"] = lambda epochs: MLPClassifier(max_iter=epochs, **common)
    if torch_mod is not None:
        made["torch"] = lambda epochs: torch_mod.TorchMLP(
            hidden, batch_size=batch_size(shape), learning_rate_init=1e-3, alpha=1e-4,
            epochs=epochs, dtype=dtype, threads=threads, random_state=0)
    return made


# ---------------------------------------------------------------------------------------
# Measuring
# ---------------------------------------------------------------------------------------
def floor_clock(X, shape, members):
    """The floor of the shape: a BatchEnsemble multiplies :math:`k` times the rows
    (one matrix per layer, :math:`k` row blocks) and updates one network's parameters
    plus its per-member vectors."""
    sizes = layer_sizes(shape)
    extra = members * (shape["features"] + 3 * shape["width"] * shape["depth"]) \
        if members > 1 else 0
    rows = np.tile(X, (members, 1)) if members > 1 else X
    return FloorClock(rows, sizes, batch_size(shape) * members, n_params(sizes) + extra)


def measure_shape(shape, members, dtype, torch_mod, threads, repeats, epochs=EPOCHS):
    """``{name: [seconds per epoch, one per round]}`` with ``"floor"``."""
    X, y = data(shape, dtype)
    made = factories(shape, members, dtype, torch_mod, threads)
    for factory in made.values():  # warm-up on a slice
        quiet_fit(factory(1), X[:1000], y[:1000])
    clock = floor_clock(X, shape, members)
    times = {name: [] for name in [*made, "floor"]}
    for _ in range(repeats):
        for name, factory in made.items():
            longer = quiet_fit(factory(epochs + 1), X, y)
            times[name].append((longer - quiet_fit(factory(1), X, y)) / epochs)
        times["floor"].append(sum(clock()))
    return times


def grid_throughput(quick):
    """``{(library, n_jobs): fits per second}`` of ``GridSearchCV`` on a small problem."""
    X, y = make_classification(n_samples=300 if quick else 1000, n_features=20,
                               n_informative=10, random_state=0)
    X = StandardScaler().fit_transform(X)
    n_fits = 3 * np.prod([len(v) for v in GRID.values()])
    rates = {}
    for n_jobs in (1, 2):
        for name, cls in (("skfcnn", FCNNClassifier), ("sklearn", MLPClassifier)):
            search = GridSearchCV(cls(max_iter=20 if quick else 50, random_state=0), GRID,
                                  cv=3, n_jobs=n_jobs)
            with no_convergence_warnings():
                search.fit(X[:100], y[:100])  # warm-up: the workers start
                start = time.perf_counter()
                search.fit(X, y)
            rates[name, n_jobs] = n_fits / (time.perf_counter() - start)
            log(f"GridSearchCV {name}, n_jobs={n_jobs}: {rates[name, n_jobs]:.1f} fits/s")
    return rates


# ---------------------------------------------------------------------------------------
# Report
# ---------------------------------------------------------------------------------------
def ratio_cell(times, name, peer):
    """The median of the per-round ratios ``name / peer``, or ``-``."""
    if name not in times or peer not in times:
        return "-"
    return f"{statistics.median(paired_ratios(times[name], times[peer])):.2f}"


def shape_row(label, shape, members, times):
    sizes = "-".join(str(n) for n in layer_sizes(shape))
    ours = statistics.median(times["skfcnn"])
    return [label, f"{shape['rows']} x {sizes}, batch {batch_size(shape)}"
            + (f", k={members}" if members > 1 else ""),
            f"{ours:.4f}", ratio_cell(times, "skfcnn", "sklearn"),
            ratio_cell(times, "skfcnn", "torch"), ratio_cell(times, "skfcnn", "floor")]


HEADER = ["shape", "rows x layers", "ours (s/epoch)", "ours / sklearn", "ours / PyTorch",
          "ours / floor"]


def rst_table(title, header, rows):
    """An rst ``csv-table`` of the rows."""
    def quoted(cell):
        return '"' + str(cell).replace('"', '""') + '"'
    return ([f".. csv-table:: {title}", "   :header: " + ", ".join(map(quoted, header)), ""]
            + ["   " + ", ".join(map(quoted, row)) for row in rows] + [""])


def table(title, header, rows, form):
    if form == "rst":
        return rst_table(title, header, rows)
    return ["", f"### {title}", ""] + markdown(header, rows) + [""]


def grid_rows(rates):
    return [[f"n_jobs={n}", f"{rates['skfcnn', n]:.1f}", f"{rates['sklearn', n]:.1f}",
             f"{rates['skfcnn', n] / rates['sklearn', n]:.2f}"] for n in (1, 2)]


def parse_args(argv):
    parser = benchmark_parser(__doc__)
    add_output_argument(parser)
    parser.add_argument("--format", choices=("markdown", "rst"), default="markdown",
                        help="table style (rst: csv-tables for the docs)")
    return parse_epoch_arguments(parser, argv, epochs=EPOCHS, repeats=3,
                                 quick_help="smoke run: small shapes, one round")


def main(argv=None):
    wall = time.perf_counter()
    args = parse_args(argv)
    torch_mod, torch_note, threads = torch_peer(args.skip_torch)
    head = (["# skfcnn epoch time over network shapes", ""] + environment_lines(torch_note)
            + [f"- an epoch: ({args.epochs + 1}-epoch fit - 1-epoch fit) / {args.epochs}; "
               f"medians over {args.repeats} interleaved round(s), ratios within a round",
               f"- before: {load_average()}", ""])
    print("\n".join(head), flush=True)
    body = []
    for dtype in (np.float64, np.float32):
        rows = []
        for label, shape, members in shapes(args.quick):
            times = measure_shape(shape, members, dtype, torch_mod, threads, args.repeats,
                                  args.epochs)
            rows.append(shape_row(label, shape, members, times))
            log(f"{dtype.__name__} {label}: " + " | ".join(rows[-1][2:]))
        body += table(f"Seconds per epoch, {dtype.__name__}", HEADER, rows, args.format)
    rates = grid_throughput(args.quick)
    body += table("GridSearchCV, 8 settings x 3 folds: fits per second",
                  ["", "skfcnn", "scikit-learn", "ratio"], grid_rows(rates), args.format)
    tail = [f"- after: {load_average()}",
            f"- total time: {time.perf_counter() - wall:.0f} s"]
    print("\n".join(body + tail), flush=True)
    write_report(args.output, head + body + tail)


if __name__ == "__main__":
    main()
