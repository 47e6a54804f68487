"""The documentation: complete estimator docstrings and a Sphinx build without warnings.

The docstring tests parse the shared numpydoc docstrings with numpydoc's
``docscrape`` when it is installed (the ``docs`` extra) and with a plain
reading of the ``name : type`` lines otherwise.  The Sphinx build is skipped
where Sphinx is not installed (the ``test`` extra does not include it;
install the ``docs`` extra to run it).  It is nitpicky (``-n``): every
cross-reference must resolve, to our own objects or, through the intersphinx
inventories committed in ``docs/_inventories``, to Python's, SciPy's and
scikit-learn's, with no network access.  The examples are not executed
(``-D plot_gallery=0``): the build checks the pages, the docstrings and the
gallery's structure, while the examples have tests of their own.
"""

import ast
import os
import re
import shutil
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

from skfcnn import FCNNClassifier, FCNNRegressor, GradientCheckResult

ROOT = Path(__file__).resolve().parent.parent
TIME_LIMIT_S = 60
ESTIMATORS = [FCNNClassifier, FCNNRegressor]


def _sections(docstring):
    """``{section: [(name, type), ...]}`` for Parameters and Attributes."""
    try:
        from numpydoc.docscrape import NumpyDocString
    except ImportError:
        return _sections_by_regex(docstring)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # numpydoc warns about malformed sections
        parsed = NumpyDocString(docstring)
    return {section: [(item.name, item.type) for item in parsed[section]]
            for section in ("Parameters", "Attributes")}


def _sections_by_regex(docstring):
    """The same from the ``name : type`` lines at the section titles' indentation."""
    sections, current, indent, lines = {}, None, "", docstring.splitlines()
    for line, underline in zip(lines, lines[1:] + [""]):
        title = line.strip()
        if underline.strip() and set(underline.strip()) == {"-"} and title:
            current, indent = title, line[: len(line) - len(line.lstrip())]
            sections[current] = []
        elif current and re.match(rf"^{indent}\w+ : ", line):
            name, type_ = line.strip().split(" : ", 1)
            sections[current].append((name, type_))
    return {section: sections.get(section, []) for section in ("Parameters", "Attributes")}


def _default_in(type_):
    """The value after ``default=`` in a numpydoc type, evaluated as a literal."""
    match = re.search(r"default=(.+)$", type_)
    assert match, f"no default in {type_!r}"
    return ast.literal_eval(match.group(1))


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_every_parameter_is_documented_once_with_its_default(cls):
    documented = _sections(cls.__doc__)["Parameters"]
    names = [name for name, _ in documented]
    assert len(names) == len(set(names)), f"documented twice: {sorted(names)}"
    params = cls().get_params()
    assert set(names) == set(params), (
        f"undocumented: {sorted(set(params) - set(names))}; "
        f"not parameters: {sorted(set(names) - set(params))}")
    for name, type_ in documented:
        assert _default_in(type_) == params[name], name


def _fitted_estimators():
    """Fits that together set every public fitted attribute."""
    pd = pytest.importorskip("pandas")
    rng = np.random.RandomState(0)
    X = pd.DataFrame(rng.normal(size=(40, 3)), columns=["a", "b", "c"])
    y = (X["a"] > 0).astype(int)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for cls in ESTIMATORS:
            for params in ({}, {"early_stopping": True}, {"solver": "lbfgs"}):
                yield cls(hidden_layer_sizes=(3,), max_iter=3, **params).fit(X, y)


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_every_fitted_attribute_is_documented(cls):
    documented = {name for name, _ in _sections(cls.__doc__)["Attributes"]}
    fitted = set()
    for est in _fitted_estimators():
        if type(est) is cls:
            fitted |= {name for name in (*vars(est), *dir(type(est)))
                       if name.endswith("_") and not name.startswith("_")
                       and (name in vars(est)
                            or isinstance(getattr(type(est), name, None), property))}
    assert fitted, "no fitted estimator"
    assert documented == fitted, (
        f"undocumented: {sorted(fitted - documented)}; "
        f"not attributes: {sorted(documented - fitted)}")


def test_gradient_check_result_documents_its_fields_without_bare_bars():
    doc = GradientCheckResult.__doc__
    fields = [name for name, _ in _sections(doc)["Attributes"]]
    assert fields == list(GradientCheckResult._fields)
    # a bare |...| is a reStructuredText substitution reference: Sphinx fails on it
    outside_maths = re.sub(r":math:`[^`]*`|``[^`]*``", "", doc)
    assert "|" not in outside_maths


def test_sphinx_build_has_no_warnings(tmp_path):
    pytest.importorskip("sphinx")
    pytest.importorskip("numpydoc")
    # Build from a copy so that the generated files (autosummary stubs, the
    # gallery) never touch the checkout and parallel runs do not collide.
    generated = shutil.ignore_patterns("_build", "auto_examples", "gen_modules", "__pycache__")
    shutil.copytree(ROOT / "docs", tmp_path / "docs", ignore=generated)
    if (ROOT / "examples").is_dir():
        shutil.copytree(ROOT / "examples", tmp_path / "examples", ignore=generated)
    (tmp_path / "tests").mkdir()  # the developer guide includes its examples from there
    shutil.copy(ROOT / "tests" / "extending_examples.py", tmp_path / "tests")
    command = [
        sys.executable, "-m", "sphinx", "-W", "-n", "--keep-going", "-E", "-q",
        "-b", "html", "-D", "plot_gallery=0",
        "-d", str(tmp_path / "doctrees"),
        str(tmp_path / "docs"), str(tmp_path / "html"),
    ]
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=TIME_LIMIT_S,
                                env={**os.environ, "SKFCNN_DOCS_ONLINE": "0"})
    except subprocess.TimeoutExpired:
        pytest.fail(f"sphinx-build took more than {TIME_LIMIT_S} s")
    assert result.returncode == 0, (
        f"sphinx-build -W -n failed (exit code {result.returncode}):\n"
        f"{result.stderr}\n{result.stdout[-2000:]}"
    )
    for page in ("index", "quickstart", "user_guide", "saving", "api", "extending"):
        assert (tmp_path / "html" / f"{page}.html").is_file(), page
    classifier_page = tmp_path / "html" / "gen_modules" / "skfcnn.FCNNClassifier.html"
    classifier_html = classifier_page.read_text()
    assert 'id="skfcnn.FCNNClassifier.partial_fit"' in classifier_html
    # intersphinx links from the committed inventories, and our public aliases
    assert ("https://scikit-learn.org/stable/modules/generated/"
            "sklearn.neural_network.MLPClassifier.html") in classifier_html
    assert 'href="../api/losses.html#skfcnn.nn.Loss"' in classifier_html
