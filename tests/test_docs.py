"""The Sphinx documentation builds without a single warning.

Skipped where Sphinx is not installed (the ``test`` extra does not include
it; install the ``docs`` extra to run it).  The examples are not executed
(``-D plot_gallery=0``): the build checks the pages, the docstrings and the
gallery's structure, while the examples have tests of their own.
"""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("sphinx")
pytest.importorskip("numpydoc")

ROOT = Path(__file__).resolve().parent.parent
TIME_LIMIT_S = 60


def test_sphinx_build_has_no_warnings(tmp_path):
    # Build from a copy so that the generated files (autosummary stubs, the
    # gallery) never touch the checkout and parallel runs do not collide.
    generated = shutil.ignore_patterns("_build", "auto_examples", "gen_modules", "__pycache__")
    shutil.copytree(ROOT / "docs", tmp_path / "docs", ignore=generated)
    if (ROOT / "examples").is_dir():
        shutil.copytree(ROOT / "examples", tmp_path / "examples", ignore=generated)
    command = [
        sys.executable, "-m", "sphinx", "-W", "--keep-going", "-E", "-q",
        "-b", "html", "-D", "plot_gallery=0",
        "-d", str(tmp_path / "doctrees"),
        str(tmp_path / "docs"), str(tmp_path / "html"),
    ]
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=TIME_LIMIT_S)
    except subprocess.TimeoutExpired:
        pytest.fail(f"sphinx-build took more than {TIME_LIMIT_S} s")
    assert result.returncode == 0, (
        f"sphinx-build -W failed (exit code {result.returncode}):\n"
        f"{result.stderr}\n{result.stdout[-2000:]}"
    )
    for page in ("index", "quickstart", "user_guide", "api"):
        assert (tmp_path / "html" / f"{page}.html").is_file(), page
    classifier_page = tmp_path / "html" / "gen_modules" / "skfcnn.FCNNClassifier.html"
    assert 'id="skfcnn.FCNNClassifier.partial_fit"' in classifier_page.read_text()
