"""scikit-learn's own MLP tests, run on our estimators.

The installed scikit-learn's ``sklearn/neural_network/tests/test_mlp.py`` is
copied with its import of ``MLPClassifier`` and ``MLPRegressor`` pointed at
``FCNNClassifier`` and ``FCNNRegressor``, and run in a subprocess.  Every test
passes except those that read or set scikit-learn's *private* internals, which
our estimators do not have (listed in :data:`PRIVATE`, each with what it reads).
"""

import importlib.util
import re
import subprocess
import sys
from pathlib import Path

import pytest

SPEC = importlib.util.find_spec("sklearn.neural_network.tests.test_mlp")

#: Tests that need scikit-learn's private MLP internals, and what they read.
PRIVATE = {
    "test_fit": "sets coefs_ by hand, then calls _initialize and _backprop",
    "test_gradient": "calls the private _loss_grad_lbfgs",
    "test_learning_rate_warmstart": "reads _optimizer.learning_rate",
    "test_adaptive_learning_rate": "reads _optimizer.learning_rate",
    "test_n_iter_no_change": "reads _no_improvement_count",
    "test_n_iter_no_change_inf": "reads _no_improvement_count",
}

IMPORT = "from sklearn.neural_network import MLPClassifier, MLPRegressor"
OURS = "from skfcnn import FCNNClassifier as MLPClassifier, FCNNRegressor as MLPRegressor"
CONFTEST = '''import pytest


@pytest.fixture
def global_random_seed():  # scikit-learn's conftest gives one; its default is 42
    return 42
'''


@pytest.mark.skipif(SPEC is None or SPEC.origin is None,
                    reason="this scikit-learn installation ships no tests")
def test_scikit_learns_mlp_tests_pass_on_our_estimators(tmp_path):
    source = Path(SPEC.origin).read_text()
    assert IMPORT in source, "scikit-learn's test file no longer imports the MLP this way"
    (tmp_path / "test_sklearn_mlp.py").write_text(source.replace(IMPORT, OURS))
    (tmp_path / "conftest.py").write_text(CONFTEST)
    deselect = " and ".join(f"not {name}" for name in PRIVATE)
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-k", deselect,
         "test_sklearn_mlp.py"],
        cwd=tmp_path, capture_output=True, text=True, timeout=600)
    summary = result.stdout.strip().splitlines()[-1] if result.stdout.strip() else ""
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    passed = int(re.search(r"(\d+) passed", summary).group(1))
    assert passed >= 50 and "failed" not in summary, summary
