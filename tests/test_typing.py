"""The public API is typed (``py.typed``): mypy checks a user's script against our
annotations, accepting correct use and naming wrong arguments.

Skipped where mypy is not installed.  mypy runs from the repository root, so
that it reads the package's source (an editable install hides it from mypy).
"""

import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
pytest.importorskip("mypy", reason="mypy is not installed: the annotations are not checked")

GOOD = """
    import numpy as np
    from sklearn.datasets import make_classification

    from skfcnn import FCNNClassifier, FCNNRegressor, LossCurveDisplay, check_gradients
    from skfcnn.nn import Network, get_activation

    X, y = make_classification(n_samples=60, random_state=0)
    clf: FCNNClassifier = FCNNClassifier(hidden_layer_sizes=(8,), activation=["relu"]).fit(X, y)
    proba: np.ndarray = clf.predict_proba(X)
    clf = clf.partial_fit(X, y)
    reg: FCNNRegressor = FCNNRegressor(hidden_layer_sizes=8, solver="lbfgs").fit(X, proba[:, 1])
    y_pred: np.ndarray = reg.predict(X)
    mean, std = FCNNRegressor(dropout=0.1).fit(X, y).predict(X, return_std=True)
    worst: int = check_gradients(clf, X[:10], y[:10]).worst_parameter
    net = Network((5, 3, 1), "relu", "identity").initialize(np.random.RandomState(0))
    out: np.ndarray = net.predict(np.zeros((2, 5)))
    display = LossCurveDisplay.from_estimator(clf, log_scale=True)
    act = get_activation("gelu")
"""

BAD = {
    'FCNNClassifier(hidden_layer_sizes="wide")': r'"hidden_layer_sizes" .* "str"',
    'FCNNClassifier(monitor="accuracy")': r'"monitor" .* "Literal\[\'accuracy\'\]"',
    "check_gradients(FCNNClassifier(), [[0.0]], [0], eps='small')": r'"eps" .* "str"',
    "FCNNRegressor(solver=0.1)": r'"solver" .* "float"',
}


def _mypy(tmp_path, source):
    script = tmp_path / "user.py"
    script.write_text(textwrap.dedent(source))
    command = [sys.executable, "-m", "mypy", "--follow-imports=silent",
               "--ignore-missing-imports", "--no-incremental", "--cache-dir", str(tmp_path),
               "--show-error-codes", str(script)]
    result = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, timeout=300)
    return result.returncode, result.stdout


def test_the_package_says_it_is_typed():
    assert (ROOT / "skfcnn" / "py.typed").is_file()


def test_mypy_accepts_correct_use(tmp_path):
    code, out = _mypy(tmp_path, textwrap.dedent(GOOD) + "reveal_type(clf.fit(X, y))\n")
    assert code == 0, out
    assert 'Revealed type is "skfcnn.estimators.classifier.FCNNClassifier"' in out


def test_mypy_names_each_wrong_argument(tmp_path):
    lines = ["from skfcnn import FCNNClassifier, FCNNRegressor, check_gradients"]
    lines += list(BAD)
    code, out = _mypy(tmp_path, "\n".join(lines) + "\n")
    assert code == 1, out
    errors = [line for line in out.splitlines() if ": error:" in line]
    assert len(errors) == len(BAD), out
    for (_, pattern), error in zip(BAD.items(), errors):
        assert re.search(pattern, error), (pattern, error)

