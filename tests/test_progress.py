"""``verbose=2`` in a terminal: a tqdm bar with the loss in its postfix, the
per-epoch lines written above it (never over it), and nothing of the bar left on
the screen when the call ends; for the stochastic solvers and for L-BFGS.

The "terminal" is one stream for stdout and stderr, as on a screen, rendered
the way a terminal would: ``\\r`` returns to the start of the line and the
characters after it overwrite what was there.
"""

import contextlib
import io
import re
import warnings

import pytest

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
