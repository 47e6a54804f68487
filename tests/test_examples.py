"""Run every ``examples/plot_*.py`` script and check what it prints and draws.

Each script runs in a fresh interpreter with the output folder as its first
argument; it must exit with status 0, write at least one PNG there, and print
its key numbers on lines of the form ``<name>: <number>``, which are held
against the targets below (the seed tutorials' results).
"""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("matplotlib")

EXAMPLES_DIR = Path(__file__).resolve().parent.parent / "examples"
EXAMPLES = sorted(EXAMPLES_DIR.glob("plot_*.py"))

# Per script: printed name -> (comparison, target).
TARGETS = {
    "plot_circles.py": {
        "training accuracy": ("==", 1.0),
        "sklearn training accuracy": ("==", 1.0),
    },
    "plot_function_regression.py": {
        "held-out R2": (">=", 0.99),
        "sklearn held-out R2": (">=", 0.99),
    },
    "plot_digits.py": {
        "held-out accuracy": (">=", 0.97),
        "sklearn held-out accuracy": (">=", 0.97),
    },
    "plot_grid_search_streaming.py": {
        "best CV accuracy": (">=", 0.95),
        "streaming held-out accuracy": (">=", 0.95),
    },
    "plot_loss_curve.py": {
        "best validation accuracy": (">=", 0.95),
        "held-out accuracy": (">=", 0.95),
        "held-out R2": (">=", 0.99),
    },
    "plot_mc_dropout.py": {  # the spread grows away from the data and ranks the errors
        "MC dropout R2 inside the training range": (">=", 0.98),
        "MC dropout std ratio outside/inside": (">=", 2.0),
        "MC dropout Spearman(std, abs error)": (">=", 0.5),
        "GP R2 inside the training range": (">=", 0.98),
    },
    "plot_quantile_regression.py": {  # one network, a calibrated 5-95 % interval
        "ours coverage of the 5-95% interval": (">=", 0.86),
        "ours crossing quantiles": ("<=", 0.0),
        "ours mean pinball loss": ("<=", 0.6),
        "QuantileRegressor mean pinball loss": (">=", 1.0),  # linear: it cannot follow f
    },
    "plot_robust_regression.py": {  # 10 % gross outliers in the training targets
        "absolute_error clean held-out R2": (">=", 0.98),
        "huber clean held-out R2": (">=", 0.98),
        "squared_error clean held-out R2": ("<=", 0.95),
        "HistGradientBoosting absolute_error clean held-out R2": (">=", 0.95),
    },
    "plot_tabular.py": {  # a raw credit table: the tabular mode beats gradient boosting
        "tabular AUC": (">=", 0.84),
        "gradient boosting AUC": ("<=", 0.84),
    },
    "plot_init_study.py": {  # seed 4: good inits learn, all-zero weights never do
        "glorot_uniform held-out accuracy": (">=", 0.93),
        "he_normal held-out accuracy": (">=", 0.93),
        "normal held-out accuracy": (">=", 0.88),
        "zeros held-out accuracy": ("<=", 0.5),
        "zeros unit spread": ("<=", 0.0),  # the hidden units stay identical
    },
}


def _printed_value(stdout, name):
    """The number on the line that starts with ``name:``."""
    match = re.search(rf"^{re.escape(name)}: ([-+0-9.eE]+)", stdout, flags=re.MULTILINE)
    assert match, f"no line {name!r}: <number> in the output:\n{stdout}"
    return float(match.group(1))


def _run(path, out_dir):
    env = dict(os.environ, MPLBACKEND="Agg")
    # The examples train small networks: BLAS threads only add overhead there
    # and, on a busy machine, make the run many times slower.
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        env.setdefault(var, "1")
    try:
        return subprocess.run(
            [sys.executable, str(path), str(out_dir)],
            check=True, capture_output=True, text=True, env=env, timeout=120,
        )
    except subprocess.CalledProcessError as exc:
        pytest.fail(
            f"{path.name} exited with status {exc.returncode}\n"
            f"--- stdout ---\n{exc.stdout}\n--- stderr ---\n{exc.stderr}"
        )


def test_every_example_has_targets():
    assert EXAMPLES, f"no examples found in {EXAMPLES_DIR}"
    assert {path.name for path in EXAMPLES} <= set(TARGETS)


@pytest.mark.parametrize("path", EXAMPLES, ids=[path.stem for path in EXAMPLES])
def test_example_runs(path, tmp_path):
    out_dir = tmp_path / "figures"  # not there yet: the script must create it
    result = _run(path, out_dir)
    assert result.returncode == 0, result.stderr

    pngs = sorted(out_dir.glob("*.png"))
    assert pngs, f"{path.name} wrote no PNG into {out_dir}\nstderr:\n{result.stderr}"
    assert all(png.stat().st_size > 0 for png in pngs)

    for name, (op, target) in TARGETS.get(path.name, {}).items():
        value = _printed_value(result.stdout, name)
        if op == "==":
            assert value == pytest.approx(target), f"{path.name}: {name} = {value}"
        elif op == "<=":
            assert value <= target, f"{path.name}: {name} = {value} > {target}"
        else:
            assert value >= target, f"{path.name}: {name} = {value} < {target}"


@pytest.mark.parametrize("path", EXAMPLES, ids=[path.stem for path in EXAMPLES])
def test_example_is_gallery_style(path):
    """A module docstring whose first line is the title, underlined with '='."""
    source = path.read_text()
    assert source.startswith(('"""\n', 'r"""\n')), f"{path.name} must open with its docstring"
    lines = source.split("\n")
    title, underline = lines[1], lines[2]
    assert title.strip() and set(underline) == {"="} and len(underline) >= len(title)
    assert "# %%" in source
    assert 'matplotlib.use("Agg")' in source
