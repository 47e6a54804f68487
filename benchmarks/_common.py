"""What the benchmark scripts share: the environment header, quiet timed fits,
best-of timings, markdown tables, the common command-line options and the seed
tasks' data.

Each script puts its own folder on ``sys.path`` and imports this module by name,
as it imports ``_matmul_limit``; nothing here is part of skfcnn.
"""

import argparse
import contextlib
import os
import platform
import statistics
import sys
import time
import warnings

import numpy as np
import sklearn
import threadpoolctl
from sklearn.compose import TransformedTargetRegressor
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import skfcnn

__all__ = [
    "THREAD_VARIABLES", "add_output_argument", "benchmark_parser", "best_alternating",
    "best_of", "blas_threads", "cpu_name", "digits_split", "environment_lines",
    "load_average", "log", "markdown", "no_convergence_warnings",
    "parse_epoch_arguments", "quiet_fit", "scaled_target", "seconds", "seed5_data",
    "seed5_function", "table_header", "table_row", "torch_peer", "versions_line",
    "write_report",
]

#: The environment variables that change what BLAS does: OpenBLAS's forced kernel
#: and cache size (they can make it slower than the CPU's own), and the thread counts.
THREAD_VARIABLES = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "OPENBLAS_THREAD_TIMEOUT",
                    "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


# ---------------------------------------------------------------------------------------
# Environment
# ---------------------------------------------------------------------------------------
def log(message):
    """Print a time-stamped progress line to stderr (stdout holds the report)."""
    print(f"  [{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def torch_peer(skip):
    """The PyTorch peer of the MNIST-shaped scripts, and what the header says of it.

    Parameters
    ----------
    skip : bool
        True for ``--skip-torch``: do not even try to import torch.

    Returns
    -------
    module : module or None
        ``_torch_mlp``, or None when PyTorch is skipped or not importable.
    note : str
        The torch version, or why PyTorch is left out.
    threads : int
        The threads PyTorch gets: NumPy's BLAS threads (:func:`blas_threads`), so
        that both libraries use the same cores.
    """
    threads = blas_threads()
    if skip:
        return None, "skipped (--skip-torch)", threads
    try:
        import _torch_mlp
    except ImportError as exc:
        return None, f"not importable ({exc}); PyTorch rows are skipped", threads
    return _torch_mlp, _torch_mlp.torch_version(), threads


def blas_threads():
    """The largest thread count among the loaded BLAS libraries (1 when none says)."""
    infos = [i for i in threadpoolctl.threadpool_info() if i.get("user_api") == "blas"]
    return max((i.get("num_threads") or 1 for i in infos), default=1)


def cpu_name():
    """The CPU's model name from ``/proc/cpuinfo``, else what :mod:`platform` knows."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as file:
            for line in file:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def versions_line(torch_note=None):
    """``- Python ..., numpy ..., scikit-learn ..., skfcnn ...[, torch NOTE]``."""
    line = (f"- Python {platform.python_version()}, numpy {np.__version__}, "
            f"scikit-learn {sklearn.__version__}, skfcnn {skfcnn.__version__}")
    return line if torch_note is None else f"{line}, torch {torch_note}"


def environment_lines(torch_note):
    """The header's environment: versions, CPU, every threadpool (the BLAS kernel
    threadpoolctl reports) and whether each of :data:`THREAD_VARIABLES` is set.

    Parameters
    ----------
    torch_note : str
        The torch version, or why PyTorch is left out (from :func:`torch_peer`).

    Returns
    -------
    list of str
        Markdown list items.
    """
    lines = [versions_line(torch_note),
             f"- machine: {platform.machine()}, {cpu_name()}, "
             f"{os.cpu_count()} CPUs visible"]
    for info in threadpoolctl.threadpool_info():
        lines.append(f"- {info.get('user_api')}: {info.get('internal_api')} "
                     f"{info.get('version')}, architecture {info.get('architecture', '-')}, "
                     f"threading {info.get('threading_layer', '-')}, num_threads="
                     f"{info.get('num_threads')} [{os.path.basename(info.get('filepath', ''))}]")
    for name in THREAD_VARIABLES:
        lines.append(f"- {name}: " + (repr(os.environ[name]) if name in os.environ
                                       else "not set"))
    return lines


def load_average():
    """``load average a, b, c`` (1, 5, 15 minutes): how busy the machine was."""
    try:
        return "load average {:.2f}, {:.2f}, {:.2f}".format(*os.getloadavg())
    except OSError:
        return "load average unavailable"


# ---------------------------------------------------------------------------------------
# Timing
# ---------------------------------------------------------------------------------------
@contextlib.contextmanager
def no_convergence_warnings():
    """Silence ``ConvergenceWarning``: benchmark fits stop at ``max_iter`` on purpose."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        yield


def seconds(function, *args):
    """Wall seconds (``time.perf_counter``) of one call ``function(*args)``."""
    start = time.perf_counter()
    function(*args)
    return time.perf_counter() - start


def quiet_fit(model, X, y):
    """Seconds of ``model.fit(X, y)``, ``ConvergenceWarning`` silenced."""
    with no_convergence_warnings():
        return seconds(model.fit, X, y)


def best_of(repeats, function, *args):
    """The fewest seconds of ``repeats`` calls ``function(*args)`` (the least disturbed)."""
    return min(seconds(function, *args) for _ in range(repeats))


def spread(values, fmt="{:.3f}", unit=""):
    """``median [low-high]`` of ``values``: the centre and the range over the repeats."""
    values = list(values)
    middle = statistics.median(values)
    if len(values) == 1:
        return fmt.format(middle) + unit
    return f"{fmt.format(middle)}{unit} [{fmt.format(min(values))}-{fmt.format(max(values))}]"


def paired_ratios(ours, theirs):
    """Per-repeat ratios ``ours[i] / theirs[i]``: both sides of a ratio measured in the
    same round, so that a busy spell moves both (their median is the figure quoted)."""
    return [a / b for a, b in zip(ours, theirs)]


def best_alternating(repeats, measures):
    """``{name: fewest seconds}`` over ``repeats`` rounds of every measure.

    Parameters
    ----------
    repeats : int
        Rounds; each calls every measure once, in order, so that a change in
        machine load hits all of them alike.
    measures : dict of str to callable
        ``{name: measure}``; a measure takes no argument and returns seconds.
    """
    best = dict.fromkeys(measures, np.inf)
    for _ in range(repeats):
        for name, measure in measures.items():
            best[name] = min(best[name], measure())
    return best


# ---------------------------------------------------------------------------------------
# Report
# ---------------------------------------------------------------------------------------
def table_row(cells):
    """One markdown table row of ``cells`` (anything ``str`` can print)."""
    return "| " + " | ".join(str(cell) for cell in cells) + " |"


def table_header(header, left=1):
    """The header row and the alignment row: ``left`` text columns, then numbers."""
    return [table_row(header), "|" + "|".join(["---"] * left
                                              + ["---:"] * (len(header) - left)) + "|"]


def markdown(header, rows, left=1):
    """A markdown table: :func:`table_header` and a :func:`table_row` per row."""
    return table_header(header, left) + [table_row(row) for row in rows]


def write_report(path, lines):
    """Write ``lines`` to ``path`` (``--output``), one a line; nothing when None."""
    if path:
        with open(path, "w", encoding="utf-8") as file:
            file.write("\n".join(lines) + "\n")


# ---------------------------------------------------------------------------------------
# Command line
# ---------------------------------------------------------------------------------------
def benchmark_parser(doc):
    """An argument parser described by the first line of the script's docstring."""
    return argparse.ArgumentParser(description=doc.splitlines()[0])


def add_output_argument(parser, what="report"):
    """``--output PATH``: also write the ``what`` there (see :func:`write_report`)."""
    parser.add_argument("--output", metavar="PATH", help=f"also write the {what} here")


def parse_epoch_arguments(parser, argv, *, quick_help, epochs, repeats):
    """Parse the MNIST-shaped scripts' ``--quick --skip-torch --epochs --repeats``.

    Parameters
    ----------
    parser : argparse.ArgumentParser
        With the script's own options already added.
    argv : list of str or None
        The arguments (None: ``sys.argv[1:]``).
    quick_help : str
        What ``--quick`` does in this script.
    epochs, repeats : int
        Defaults of ``--epochs`` and ``--repeats`` without ``--quick`` (1 with it).

    Returns
    -------
    argparse.Namespace
        With ``epochs`` and ``repeats`` resolved to at least 1.
    """
    parser.add_argument("--quick", action="store_true", help=quick_help)
    parser.add_argument("--skip-torch", action="store_true", help="leave PyTorch out")
    parser.add_argument("--epochs", type=int, help=f"epochs per timed fit (default {epochs})")
    parser.add_argument("--repeats", type=int, help=f"timed fits per cell (default {repeats})")
    args = parser.parse_args(argv)
    args.epochs = args.epochs or (1 if args.quick else epochs)
    args.repeats = args.repeats or (1 if args.quick else repeats)
    if args.epochs < 1 or args.repeats < 1:
        parser.error("--epochs and --repeats must be at least 1")
    return args


# ---------------------------------------------------------------------------------------
# The seed tasks (compare_sklearn.py, beyond.py)
# ---------------------------------------------------------------------------------------
def seed5_function(points):
    """Seed 5's target :math:`\\sin x + x \\cos y + y + 3^{x/3}` of 2-D ``points``."""
    x, y = points[:, 0], points[:, 1]
    return np.sin(x) + x * np.cos(y) + y + 3 ** (x / 3)


def seed5_data():
    """``X_train, y_train, X_test, y_test``: 1000 and 10000 uniform points of
    :math:`[-10, 10]^2` and their :func:`seed5_function` values."""
    rng = np.random.default_rng(0)
    X_train = rng.uniform(-10, 10, size=(1000, 2))
    X_test = rng.uniform(-10, 10, size=(10000, 2))
    return X_train, seed5_function(X_train), X_test, seed5_function(X_test)


def scaled_target(estimator):
    """``estimator`` with standardised inputs and target, as seed 5 fits it."""
    return TransformedTargetRegressor(regressor=make_pipeline(StandardScaler(), estimator),
                                      transformer=StandardScaler())


def digits_split():
    """``X_train, X_test, y_train, y_test`` of digits: a stratified 75/25 split."""
    X, y = load_digits(return_X_y=True)
    return train_test_split(X, y, test_size=0.25, stratify=y, random_state=0)
