"""The layout's rules, each one line (README, "Layout"), enforced on every import.

* ``skfcnn/nn/``: pure NumPy and SciPy; imports nothing from scikit-learn or
  the rest of skfcnn.
* ``skfcnn/training/``: imports ``skfcnn.nn`` only (and from scikit-learn only
  its warning classes).
* ``skfcnn/estimators/``: the scikit-learn contract; private scikit-learn
  names only through ``estimators/_compat.py``.
* ``import skfcnn`` and ``import skfcnn.nn`` load no scikit-learn.
"""

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "skfcnn"
MODULES = sorted(PACKAGE.rglob("*.py"))


def _module_name(path):
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path):
    """``(module, imported name or None)`` of every import statement in ``path``."""
    tree = ast.parse(path.read_text(), filename=str(path))
    package = _module_name(path) if path.name == "__init__.py" \
        else _module_name(path).rpartition(".")[0]
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(alias.name, None) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            found += [(base, alias.name) for alias in node.names]
    return found


def _in(module, prefix):
    return module == prefix or module.startswith(prefix + ".")


def _folder(path):
    relative = path.relative_to(PACKAGE).parts
    return relative[0] if len(relative) > 1 else None


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_each_folder_imports_only_what_its_rule_allows(path):
    folder, problems = _folder(path), []
    for module, name in _imports(path):
        full = f"{module}.{name}" if name else module
        if folder == "nn":
            if _in(module, "sklearn") or (_in(module, "skfcnn") and not _in(full, "skfcnn.nn")):
                problems.append(full)
        elif folder == "training":
            if _in(module, "sklearn") and module != "sklearn.exceptions":
                problems.append(full)
            if _in(module, "skfcnn") and not (_in(full, "skfcnn.nn")
                                              or _in(full, "skfcnn.training")):
                problems.append(full)
    assert not problems, f"{path.relative_to(PACKAGE)} breaks its folder's rule: {problems}"


def _private(module, name):
    parts = module.split(".") + ([name] if name else [])
    return any(part.startswith("_") for part in parts[1:])


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_private_scikit_learn_names_only_through_the_compatibility_module(path):
    if path == PACKAGE / "estimators" / "_compat.py":
        return
    private = [f"{module}.{name}" for module, name in _imports(path)
               if _in(module, "sklearn") and _private(module, name)]
    assert not private, f"{path.relative_to(PACKAGE)} imports {private}; use estimators/_compat.py"


@pytest.mark.parametrize("statement", ["import skfcnn", "import skfcnn.nn",
                                       "import skfcnn.nn; skfcnn.nn.Network((2, 3, 1), "
                                       "'relu', 'identity')"])
def test_importing_the_core_loads_no_scikit_learn(statement):
    code = f"import sys; {statement}; print('sklearn' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "False"


def test_the_estimators_load_on_first_use():
    code = ("import sys, skfcnn; before = 'sklearn' in sys.modules; "
            "cls = skfcnn.FCNNClassifier; print(before, 'sklearn' in sys.modules, "
            "cls.__module__)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.split()
    assert out == ["False", "True", "skfcnn.estimators.classifier"]


def test_every_module_is_within_the_size_limit():
    too_long = {str(p.relative_to(PACKAGE)): n for p in MODULES
                if (n := len(p.read_text().splitlines())) > 500}
    assert not too_long, f"modules over 500 lines: {too_long}"
