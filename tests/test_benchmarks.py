"""The benchmark scripts still run and print every row (smoke runs, no time asserted).

They import the package's internals (the Adam optimiser for the matmul-share
bound, run.py's data and settings for options.py), so a change there could
break them silently; ``--quick --skip-torch`` runs each in a few seconds.
"""

import os
import re
import subprocess
import sys

import pytest

BENCHMARKS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                          "benchmarks")


def run_script(name, *args):
    result = subprocess.run([sys.executable, os.path.join(BENCHMARKS, name), *args],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


def table_rows(report):
    return [line for line in report.splitlines()
            if line.startswith("| ") and not line.startswith("| comparison")]


def test_run_py_prints_every_comparison_and_the_adam_bound():
    report = run_script("run.py", "--quick", "--skip-torch", "--repeats", "2")
    rows = table_rows(report)
    for label in ("1. epoch, float64", "1. epoch, float32", "1. epoch, float64 / floor",
                  "1. epoch, float32 / floor", "2. share of the matmul rate",
                  "3. tiny partial_fit",
                  "3. tiny network fit", "4. predict one row", "4. predict_proba",
                  "5. fit peak memory", "matrix multiplies (numpy.matmul)",
                  "optimiser updates"):
        assert any(row.startswith(f"| {label}") for row in rows), label
    assert any("PyTorch: skipped" in row for row in rows)
    assert not any(re.search(r"PyTorch: \d", row) for row in rows)  # skipped, as asked
    assert report.count("matmul + Adam") == 2  # the bound, in both dtypes
    for dtype in ("float64", "float32"):
        label = f"| 1. epoch, {dtype} / bare NumPy epoch (the same numbers) |"
        assert any(row.startswith(label) for row in rows), label
    assert report.count("the bare NumPy epoch (_bare_epoch.py") == 2
    assert "### 7. A fresh copy of X" in report and "copy / X per round" in report
    for label in ("matrix products (numpy.matmul", "optimiser passes (Adam's blocks)",
                  "checkpoint copy and L2 term", "batch gather", "the rest:", "epoch - floor"):
        assert any(row.startswith(f"| {label}") for row in rows), label
    # every timed figure: the median and the range over the rounds, ratios within rounds
    epoch = next(row for row in rows if row.startswith("| 1. epoch, float64 / floor"))
    assert re.search(r"\| \d+\.\d+ s \[\d+\.\d+-\d+\.\d+\] \| floor: ", epoch), epoch


def test_options_py_prints_one_row_per_option():
    sys.path.insert(0, BENCHMARKS)
    try:
        from options import OPTIONS
    finally:
        sys.path.remove(BENCHMARKS)
    report = run_script("options.py", "--quick", "--skip-torch")
    rows = table_rows(report)[1:]  # after the header's separator line
    assert [row.split(" | ")[0][2:] for row in rows] == [label for label, _, _ in OPTIONS]
    assert all(row.endswith("| - | - |") for row in rows)  # no PyTorch column values


def test_saving_py_prints_a_row_per_format():
    report = run_script("saving.py", "--quick")
    rows = [row.split(" | ")[0][2:] for row in table_rows(report)[1:]]
    expected = ["pickle, skfcnn", "pickle, scikit-learn"]
    try:
        import skops  # noqa: F401
        expected += ["skops, skfcnn", "skops, scikit-learn"]
        import onnxruntime  # noqa: F401
        import skl2onnx  # noqa: F401
        expected += ["ONNX, skfcnn"]
    except ImportError:
        pass
    assert rows == expected


def test_scaling_py_prints_every_shape_and_the_grid_search():
    sys.path.insert(0, BENCHMARKS)
    try:
        from scaling import shapes
    finally:
        sys.path.remove(BENCHMARKS)
    report = run_script("scaling.py", "--quick", "--skip-torch", "--epochs", "1")
    rows = table_rows(report)
    labels = [label for label, _, _ in shapes(quick=True)]
    for label in labels:  # once per dtype
        assert sum(row.startswith(f"| {label} |") for row in rows) == 2, label
    assert "tabular BatchEnsemble of 8" in labels
    grid = [row for row in rows if row.startswith("| n_jobs=")]
    assert [row.split(" | ")[0] for row in grid] == ["| n_jobs=1", "| n_jobs=2"]
    base = next(row for row in rows if row.startswith("| base |")).rstrip(" |").split(" | ")
    assert base[4] == "-" and float(base[3]) > 0 and float(base[5]) > 0  # no PyTorch asked


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")  # one epoch
def test_epoch_ledger_times_every_part_and_puts_numpy_back():
    import numpy as np
    from sklearn.datasets import make_classification

    from skfcnn import FCNNClassifier
    from skfcnn.nn import optimizers

    sys.path.insert(0, BENCHMARKS)
    try:
        from _ledger import PARTS, REST, epoch_ledger
    finally:
        sys.path.remove(BENCHMARKS)
    X, y = make_classification(n_samples=400, n_features=20, random_state=0)
    matmul, copyto, block = np.matmul, np.copyto, optimizers.Adam._update_block

    def make():
        return FCNNClassifier(hidden_layer_sizes=(16,), max_iter=1, random_state=0)
    ledger = epoch_ledger(make, X, y, floor=lambda: (1.0, 3.0), repeats=1)
    assert np.matmul is matmul and np.copyto is copyto  # restored
    assert optimizers.Adam._update_block is block
    assert all(ledger[part] > 0 for part in PARTS), ledger  # every part was timed
    assert ledger["floor matmul"] == 1.0 and ledger["floor Adam"] == 3.0
    assert abs(sum(ledger[p] for p in PARTS) + ledger[REST] - ledger["epoch"]) < 1e-12
    assert 0 < sum(ledger[p] for p in PARTS) < ledger["epoch"]


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")  # two epochs
def test_bare_epoch_gives_skfcnns_numbers_bit_for_bit(dtype, monkeypatch):
    """The bare NumPy epoch of run.py is a yardstick only if it does skfcnn's arithmetic:
    from the same start and row order, the same parameters and losses, every bit."""
    import numpy as np
    from sklearn.datasets import make_classification
    from sklearn.preprocessing import LabelBinarizer

    import skfcnn.estimators.fitting as fitting
    from skfcnn import FCNNClassifier

    sys.path.insert(0, BENCHMARKS)
    try:
        from _bare_epoch import BareEpoch
    finally:
        sys.path.remove(BENCHMARKS)
    X, y = make_classification(n_samples=450, n_features=12, n_informative=8, n_classes=3,
                               random_state=0)
    X = X.astype(dtype)
    start, train = {}, fitting.train

    def spy(network, optimizer, optimizer_state, X, Y, sample_weight, state, config, rng,
            *args, **kwargs):
        start["params"], start["rng"] = network.params.copy(), rng.get_state()
        return train(network, optimizer, optimizer_state, X, Y, sample_weight, state,
                     config, rng, *args, **kwargs)
    monkeypatch.setattr(fitting, "train", spy)
    model = FCNNClassifier(hidden_layer_sizes=(40, 20), max_iter=2, batch_size=100, tol=0,
                           n_iter_no_change=100, random_state=0).fit(X, y)
    rng = np.random.RandomState()
    rng.set_state(start["rng"])
    params = start["params"]
    bare = BareEpoch(X, LabelBinarizer().fit_transform(y).astype(dtype), params,
                     [12, 40, 20, 3], model.alpha, model.learning_rate_init, 100, rng)
    losses = [bare()[1] for _ in range(2)]
    assert losses == model.loss_curve_
    trained = np.concatenate([np.concatenate([c.ravel(), b])
                              for c, b in zip(model.coefs_, model.intercepts_)])
    assert params.dtype == trained.dtype and np.array_equal(params, trained)
