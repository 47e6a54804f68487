"""``verbose=2`` in a terminal: a tqdm bar with the loss in its postfix, the
per-epoch lines and the warnings written above it (never over it), the loss
visible at 50 columns, and nothing of the bar left on the screen when the call
ends; for the stochastic solvers and for L-BFGS; and the user guide's bar over a
``partial_fit`` loop.

The "terminal" is one stream for stdout and stderr, as on a screen, rendered
the way a terminal would: ``\\r`` returns to the start of the line and the
characters after it overwrite what was there.
"""

import contextlib
import io
import os
import re
import sys
import textwrap
import warnings
from pathlib import Path

import pytest
from sklearn.exceptions import ConvergenceWarning

from skfcnn import FCNNClassifier, FCNNRegressor
from skfcnn.training.callbacks import ProgressBar
from skfcnn.training.loop import TrainingRun

tqdm = pytest.importorskip("tqdm", reason="verbose=2's progress bar needs tqdm")

LINE = re.compile(r"^(Iteration \d+, loss = \d+\.\d{8}|Validation score: \d\.\d{6}|"
                  r"Training loss did not improve.*|Validation score did not improve.*)$")


def render(text):
    """The lines a terminal shows after printing ``text`` (trailing blanks dropped)."""
    screen = []
    for raw in text.split("\n"):
        line, cursor = [], 0
        for piece in re.split(r"(\r)", raw):
            if piece == "\r":
                cursor = 0
                continue
            for char in piece:
                if cursor < len(line):
                    line[cursor] = char
                else:
                    line.append(char)
                cursor += 1
        screen.append("".join(line).rstrip())
    return [line for line in screen if line]


def run_in_terminal(estimator, X, y):
    stream = io.StringIO()
    with contextlib.redirect_stdout(stream), contextlib.redirect_stderr(stream), \
            warnings.catch_warnings():
        warnings.simplefilter("ignore")
        estimator.fit(X, y)
    return stream.getvalue()


@pytest.mark.parametrize("solver", ["adam", "sgd", "lbfgs"])
@pytest.mark.parametrize("cls", [FCNNClassifier, FCNNRegressor])
def test_the_screen_shows_the_lines_and_no_bar(cls, solver, digits, regression):
    X, y = digits if cls is FCNNClassifier else regression
    est = cls(hidden_layer_sizes=(8,), max_iter=6, solver=solver, verbose=2, random_state=0)
    text = run_in_terminal(est, X, y)
    unit = "iteration" if solver == "lbfgs" else "epoch"
    assert f"{unit}s:" in text and "loss=" in text  # a bar was drawn, the loss in it
    screen = render(text)
    assert all(LINE.match(line) for line in screen), screen
    assert [line for line in screen if line.startswith("Iteration")] == [
        f"Iteration {k}, loss = {loss:.8f}" for k, loss in enumerate(est.loss_curve_, 1)]


def test_validation_and_stopping_lines_go_above_the_bar(digits):
    X, y = digits
    est = FCNNClassifier(hidden_layer_sizes=(8,), max_iter=200, early_stopping=True,
                         n_iter_no_change=2, tol=0.5, verbose=2, random_state=0)
    screen = render(run_in_terminal(est, X, y))
    assert all(LINE.match(line) for line in screen), screen
    assert sum(line.startswith("Validation score: ") for line in screen) == est.n_iter_
    assert screen[-1].startswith("Validation score did not improve") and est.n_iter_ == 4


def test_the_bar_is_cleared_and_the_writer_restored_when_training_fails():
    run = TrainingRun(None, None, None, None, None, None)
    bar = ProgressBar(total=3)
    stream = io.StringIO()
    with contextlib.redirect_stdout(stream), contextlib.redirect_stderr(stream):
        bar.on_fit_begin(run)
        assert run.write == bar._write
        run.write("a line")
        bar.on_fit_end(run)  # as fit_hooks calls it, however the call ends
    assert run.write is print and bar.bar is None
    assert render(stream.getvalue()) == ["a line"]


def test_without_verbose_2_there_is_no_bar(digits):
    X, y = digits
    text = run_in_terminal(FCNNClassifier(hidden_layer_sizes=(8,), max_iter=3, verbose=1,
                                          random_state=0), X, y)
    assert "epochs:" not in text and render(text) == [
        line for line in text.splitlines() if line]


# ------------------------------------------------------ warnings, narrow terminals
WARNED = re.compile(r"^\S+\.py:\d+: ConvergenceWarning: (Stochastic Optimizer: Maximum "
                    r"iterations \(6\) reached|lbfgs failed to converge after 6 )")


class NarrowTerminal(io.StringIO):
    """A stream that reports a terminal of :data:`COLUMNS` columns, as a tty would."""

    COLUMNS, FILENO = 50, 1001

    def fileno(self):
        return self.FILENO


@pytest.fixture
def narrow(monkeypatch):
    """Terminal size queries answer 50 columns for :class:`NarrowTerminal` streams."""
    real = os.get_terminal_size

    def size(fd=None):
        if fd == NarrowTerminal.FILENO:
            return os.terminal_size((NarrowTerminal.COLUMNS, 24))
        return real() if fd is None else real(fd)

    monkeypatch.setattr(os, "get_terminal_size", size)
    return NarrowTerminal()


def _no_convergence(solver):
    return {"max_iter": 6, "solver": solver, "verbose": 2, "random_state": 0,
            "hidden_layer_sizes": (8,), **({"tol": 0.0} if solver == "lbfgs" else {})}


def _on_stderr(message, category, filename, lineno, file=None, line=None):
    """Python's own display of a warning, outside pytest's recording."""
    sys.stderr.write(warnings.formatwarning(message, category, filename, lineno, line))


@pytest.mark.parametrize("solver", ["adam", "lbfgs"])
def test_a_warning_during_training_is_written_above_the_bar(solver, digits):
    X, y = digits
    est, stream = FCNNClassifier(**_no_convergence(solver)), io.StringIO()
    with contextlib.redirect_stdout(stream), contextlib.redirect_stderr(stream), \
            warnings.catch_warnings():
        warnings.simplefilter("always")
        warnings.showwarning = _on_stderr  # as Python shows them (pytest records them)
        est.fit(X, y)
        assert warnings.showwarning is _on_stderr  # the bar's writer is gone with the bar
    screen = render(stream.getvalue())
    warned = [line for line in screen if "Warning" in line]
    assert len(warned) == 1 and WARNED.match(warned[0]), screen  # whole, not after a bar
    # the warning names the user's line (its stacklevel), and Python shows that line
    assert all(LINE.match(line) or line is warned[0] or line == "  est.fit(X, y)"
               for line in screen), screen
    assert sum(line.startswith("Iteration") for line in screen) == est.n_iter_


@pytest.mark.parametrize("solver", ["adam", "lbfgs"])
def test_the_warning_stays_a_warning_for_filters_and_pytest(solver, digits):
    X, y = digits
    stream, shown = io.StringIO(), warnings.showwarning
    with contextlib.redirect_stdout(stream), contextlib.redirect_stderr(stream):
        with pytest.warns(ConvergenceWarning, match="converge"):
            FCNNClassifier(**_no_convergence(solver)).fit(X, y)
        assert warnings.showwarning is shown
        with warnings.catch_warnings():
            warnings.simplefilter("error", ConvergenceWarning)
            with pytest.raises(ConvergenceWarning):
                FCNNClassifier(**_no_convergence(solver)).fit(X, y)
        assert warnings.showwarning is shown
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            FCNNClassifier(**_no_convergence(solver)).fit(X, y)
    assert "ConvergenceWarning" not in stream.getvalue()  # recorded, raised, ignored
    assert render(stream.getvalue())[0].startswith("Iteration 1, loss = ")


def _bar_frames(text):
    """Every drawing of a bar with a loss (the pieces between carriage returns)."""
    return [piece for piece in re.split(r"[\r\n]", text) if "loss=" in piece]


@pytest.mark.parametrize("solver", ["adam", "lbfgs"])
def test_a_narrow_terminal_shows_the_loss(solver, digits, narrow):
    X, y = digits
    est = FCNNClassifier(hidden_layer_sizes=(8,), max_iter=150, solver=solver, verbose=2,
                         random_state=0)
    with contextlib.redirect_stdout(narrow), contextlib.redirect_stderr(narrow), \
            warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est.fit(X, y)
    unit = "iteration" if solver == "lbfgs" else "epoch"
    frames = _bar_frames(narrow.getvalue())
    assert frames and all(len(frame) <= NarrowTerminal.COLUMNS - 1 for frame in frames)
    for frame in frames:  # the count and the whole loss first, what follows may be cut
        done, loss = re.match(rf"^{unit}s: (\d+)/150, loss=(\S+) \|", frame).groups()
        assert loss == f"{est.loss_curve_[int(done) - 1]:.6g}", frame
    assert int(re.match(rf"^{unit}s: (\d+)", frames[-1]).group(1)) == est.n_iter_
    assert all(LINE.match(line) for line in render(narrow.getvalue()))


# ------------------------------------------------------------- partial_fit loops
USER_GUIDE = Path(__file__).resolve().parent.parent / "docs" / "user_guide.rst"


def _partial_fit_recipe():
    """The user guide's code block that wraps a ``partial_fit`` loop in tqdm."""
    blocks = re.findall(r"\.\. code-block:: python\n\n((?:    .*\n|\n)+)", USER_GUIDE.read_text())
    found = [textwrap.dedent(block) for block in blocks
             if "partial_fit" in block and "tqdm" in block]
    assert len(found) == 1, found
    return found[0]


def test_the_user_guide_recipe_shows_partial_fit_progress(narrow):
    namespace = {}
    with contextlib.redirect_stdout(narrow), contextlib.redirect_stderr(narrow), \
            warnings.catch_warnings():
        warnings.simplefilter("error")  # the recipe warns about nothing
        exec(compile(_partial_fit_recipe(), str(USER_GUIDE), "exec"), namespace)
    clf = namespace["clf"]
    assert len(clf.loss_curve_) == 150 and clf.n_iter_ == 150  # 50 epochs of 3 calls
    frames = _bar_frames(narrow.getvalue())
    assert frames and all(len(frame) <= NarrowTerminal.COLUMNS - 1 for frame in frames)
    for frame in frames:  # after epoch k: the loss of its last call, 3 k
        done, loss = re.match(r"^epochs: (\d+)/50, loss=(\S+) \|", frame).groups()
        assert loss == f"{clf.loss_curve_[3 * int(done) - 1]:.6g}", frame
    assert render(narrow.getvalue()) == []  # leave=False: the bar is cleared
    assert clf.score(namespace["X"], namespace["y"]) > 0.9
