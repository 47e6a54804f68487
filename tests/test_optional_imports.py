"""Optional packages: when one is missing, the error (or, for ``verbose=2``'s bar, the
warning) names what needs it, the package and the command that installs it, from an
index and from a clone, with the original error chained.

Each test makes a package unimportable (``sys.modules[name] = None``, which is what
Python reports as not installed) through ``monkeypatch``, which puts every entry back
afterwards, so that the rest of the suite sees the real packages.
"""

import importlib
import re
import sys
import warnings

import pytest
from sklearn.exceptions import ConvergenceWarning

from skfcnn import FCNNClassifier
from skfcnn.nn._optional import import_optional, install_hint
from skfcnn.plotting import LossCurveDisplay

ONNX_HINT = re.escape("pip install 'skfcnn[onnx]' (from a clone: pip install -e '.[onnx]')")


def _hide(monkeypatch, *names):
    """Make the packages ``names`` (and their loaded submodules) unimportable."""
    for name in names:
        for loaded in [key for key in sys.modules if key.startswith(name + ".")]:
            monkeypatch.delitem(sys.modules, loaded)
        monkeypatch.setitem(sys.modules, name, None)


def _forget(monkeypatch, module):
    """Drop ``module`` and its submodules from ``sys.modules`` (restored afterwards),
    so that the next import runs its code again."""
    for loaded in [key for key in sys.modules if key == module or key.startswith(module + ".")]:
        monkeypatch.delitem(sys.modules, loaded)


# -------------------------------------------------------------------------- helper
def test_the_hint_names_the_extra_or_the_package():
    assert install_hint("skl2onnx", "onnx") == (
        "pip install 'skfcnn[onnx]' (from a clone: pip install -e '.[onnx]')")
    assert install_hint("tqdm") == "pip install tqdm"


def test_a_missing_module_is_said_not_installed(monkeypatch):
    _hide(monkeypatch, "json")
    with pytest.raises(ImportError) as caught:
        import_optional("json.decoder", "the feature", extra="plot", package="jsonlib")
    assert str(caught.value) == (
        "the feature needs jsonlib, which is not installed: pip install 'skfcnn[plot]' "
        "(from a clone: pip install -e '.[plot]')")
    assert isinstance(caught.value.__cause__, ModuleNotFoundError)


def test_a_broken_package_is_said_to_fail_with_its_own_error(monkeypatch, tmp_path):
    (tmp_path / "brokenpkg_for_skfcnn_tests.py").write_text(
        "raise ImportError('needs libfoo.so')\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(ImportError, match=r"^the feature needs brokenpkg_for_skfcnn_tests, "
                                          r"which failed to import \(needs libfoo\.so\): "
                                          r"pip install brokenpkg_for_skfcnn_tests$") as caught:
        import_optional("brokenpkg_for_skfcnn_tests", "the feature")
    assert str(caught.value.__cause__) == "needs libfoo.so"
    assert "brokenpkg_for_skfcnn_tests" not in sys.modules


def test_an_installed_module_is_returned():
    assert import_optional("json", "the feature") is importlib.import_module("json")


# ---------------------------------------------------------------------- skfcnn.onnx
@pytest.mark.parametrize("missing", ["skl2onnx", "onnx"])
def test_import_skfcnn_onnx_names_the_onnx_extra(monkeypatch, missing):
    _forget(monkeypatch, "skfcnn.onnx")
    _hide(monkeypatch, missing)
    with pytest.raises(ImportError, match=f"^skfcnn.onnx needs {missing}, which is not "
                                          f"installed: {ONNX_HINT}$") as caught:
        importlib.import_module("skfcnn.onnx")
    assert isinstance(caught.value.__cause__, ModuleNotFoundError)
    assert "skfcnn.onnx" not in sys.modules  # a failed import leaves nothing half-made


# -------------------------------------------------------------------------- plotting
def test_the_display_names_the_plot_extra(monkeypatch):
    _hide(monkeypatch, "matplotlib")
    hint = re.escape("pip install 'skfcnn[plot]' (from a clone: pip install -e '.[plot]')")
    with pytest.raises(ImportError, match=f"^LossCurveDisplay.plot needs matplotlib, which "
                                          f"is not installed: {hint}$") as caught:
        LossCurveDisplay(loss_curve=[2.0, 1.0]).plot()
    assert isinstance(caught.value.__cause__, ModuleNotFoundError)


# ------------------------------------------------------------------ verbose=2's bar
def test_verbose_2_without_tqdm_warns_and_prints_the_lines(monkeypatch, capsys, digits):
    # A warning, not an error: MLPClassifier(verbose=2) runs without tqdm, and so must a
    # drop-in replacement; the lines of verbose=1 still say how training goes.
    _hide(monkeypatch, "tqdm")
    X, y = digits
    shown = warnings.showwarning
    est = FCNNClassifier(hidden_layer_sizes=(8,), max_iter=3, verbose=2, random_state=0)
    with pytest.warns(UserWarning, match=r"^verbose=2's progress bar needs tqdm, which is "
                                         r"not installed: pip install tqdm; training goes "
                                         r"on without the bar\.$"), \
            warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # 3 epochs: expected
        est.fit(X, y)
    assert warnings.showwarning is shown
    captured = capsys.readouterr()
    assert captured.out.splitlines()[:3] == [
        f"Iteration {k}, loss = {loss:.8f}" for k, loss in enumerate(est.loss_curve_, 1)]
    assert "epochs:" not in captured.err
