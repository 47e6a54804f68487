"""Every Python snippet of the README, the documentation pages and the docstrings runs as
written and prints what it shows.

**What counts as a snippet.**  In ``README.md``: the fenced blocks marked ``python``.  In
``docs/*.rst``: ``.. code-block::``/``.. code::`` blocks in Python (``python``, ``py``,
``python3``, ``pycon``), the literal blocks that follow a ``::`` (Sphinx highlights them as
Python, the configured default), and ``.. literalinclude::`` of a Python file, taken as the
page shows it (``:pyobject:``, ``:start-at:``, ``:end-at:``, ``:lines:``).  Console and bash
blocks are not Python and are not run.  ``docs/tracking.rst`` and ``docs/typing.rst`` have
tests of their own (``tests/test_tracking.py``, ``tests/test_typing.py``).

**How they run.**  The snippets of one page run in order in one namespace, as a reader who
pastes them one after the other into one session, in an empty temporary working directory,
with every warning an error: a snippet that warns is a snippet to fix.  A block that starts
with ``>>>`` runs through :mod:`doctest` with ``ELLIPSIS``, ``NORMALIZE_WHITESPACE`` and
pytest's ``NUMBER`` (a float matches to the precision it is written with), so every value a
page shows is a value it prints; other blocks may not show values (a page that wants to show
one writes the block in ``>>>`` form), which ``test_shown_values_are_doctests`` enforces.  A
block that imports a package that is not installed is skipped alone, naming it, when no
later block reads a name it binds (and the page has no checks of its own); otherwise the
page is skipped, naming it.  After the page, the ``distributed`` clients and clusters its
blocks made are closed (no process they started may outlive the page), and ``os.environ``,
dask's configuration and joblib's backends are put back as they were.

**Docstrings.**  The ``Examples`` section of every docstring in the package runs as a
doctest (the README's test command is a plain ``pytest`` over ``tests/``), module by module,
with the same options and warnings as errors; a module whose optional dependency is missing
is skipped, naming it.
"""

import ast
import contextlib
import copy
import doctest
import importlib
import importlib.util
import io
import multiprocessing
import os
import pkgutil
import re
import sys
import textwrap
import warnings
from pathlib import Path

import pytest
from _pytest.doctest import _get_checker, _get_number_flag

import skfcnn

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
#: Pages whose snippets other tests run.
TESTED_ELSEWHERE = {"tracking.rst", "typing.rst"}
PAGES = [ROOT / "README.md"] + [page for page in sorted(DOCS.glob("*.rst"))
                                if page.name not in TESTED_ELSEWHERE]
PYTHON = {"python", "py", "python3", "pycon"}
OPTION_FLAGS = (doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE | _get_number_flag())
#: The one command that builds the documentation, wherever one is given.
DOCS_BUILD = "sphinx-build -W -n docs docs/_build/html"


# -- finding the snippets -------------------------------------------------------------------
class Snippet:
    """One block of Python: its source as the reader sees it, where it is, and its kind."""

    def __init__(self, source, page, line):
        self.source, self.page, self.line = source, page, line
        self.is_doctest = source.lstrip().startswith(">>>")

    def __repr__(self):
        return f"{self.page.name}:{self.line}"


def _markdown_snippets(page):
    text = page.read_text()
    for match in re.finditer(r"^```(\w*)\n(.*?)^```", text, flags=re.S | re.M):
        if match.group(1) in PYTHON:
            yield Snippet(match.group(2), page, text[:match.start()].count("\n") + 2)


def _indented_body(lines, start, indent):
    """The lines from ``start`` indented deeper than ``indent`` (blank lines inside),
    their options (``:name: value`` lines at the top) apart."""
    body, end = [], start
    while end < len(lines) and (not lines[end].strip()
                                or len(lines[end]) - len(lines[end].lstrip()) > indent):
        body.append(lines[end])
        end += 1
    options, first = {}, 0
    for first, line in enumerate(body):  # noqa: B007 (read after the loop)
        option = re.match(r"\s*:([\w-]+):\s*(.*)$", line)
        if not option:
            break
        options[option.group(1)] = option.group(2).strip()
    else:
        first = len(body)
    text = textwrap.dedent("\n".join(body[first:])).strip("\n") + "\n"
    return text, options, end


def _pyobject(source, name):
    """The lines of the top-level class or function ``name`` (decorators included)."""
    for node in ast.parse(source).body:
        if getattr(node, "name", None) == name:
            first = min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])])
            return "\n".join(source.splitlines()[first - 1:node.end_lineno]) + "\n"
    raise AssertionError(f"no top-level object {name!r}")


def _included(page, argument, options):
    """What ``.. literalinclude::`` shows, for the options our pages use."""
    path = (page.parent / argument).resolve()
    assert path.is_file(), f"{page.name} includes {argument}, which does not exist"
    known = {"pyobject", "start-at", "end-at", "start-after", "end-before", "lines",
             "language", "caption", "name", "dedent"}
    assert set(options) <= known, f"{page.name}: options not understood: {set(options) - known}"
    source = path.read_text()
    if "pyobject" in options:
        source = _pyobject(source, options["pyobject"])
    if "lines" in options:
        lines = source.splitlines()
        chosen = []
        for part in options["lines"].split(","):
            first, _, last = part.partition("-")
            chosen += lines[int(first) - 1:int(last or first)]
        source = "\n".join(chosen) + "\n"
    for option, keep_marker, after in (("start-at", True, True), ("start-after", False, True),
                                       ("end-at", True, False), ("end-before", False, False)):
        if option in options:
            position = source.index(options[option])
            if after:
                source = source[position if keep_marker else
                                source.index("\n", position) + 1:]
            else:
                source = source[:source.index("\n", position) + 1 if keep_marker else
                                position]
    return source, path


def _rst_snippets(page):
    lines = page.read_text().splitlines()
    index = 0
    while index < len(lines):
        line = lines[index]
        indent = len(line) - len(line.lstrip())
        directive = re.match(r"\s*\.\. (code-block|code|sourcecode|literalinclude)::\s*(.*)$",
                             line)
        if directive:
            text, options, end = _indented_body(lines, index + 1, indent)
            kind, argument = directive.groups()
            if kind == "literalinclude":
                if options.get("language", "python") in PYTHON and argument.endswith(".py"):
                    yield Snippet(_included(page, argument, options)[0], page, index + 1)
            elif argument.strip() in PYTHON:
                yield Snippet(text, page, index + 1)
            index = end
        elif line.rstrip().endswith("::") and not line.lstrip().startswith(".."):
            text, _, end = _indented_body(lines, index + 1, indent)
            yield Snippet(text, page, index + 2)  # a literal block: Python, highlighted so
            index = end
        elif line.lstrip().startswith(">>>"):  # a doctest block outside a literal block
            end = index
            while end < len(lines) and lines[end].strip():
                end += 1
            yield Snippet(textwrap.dedent("\n".join(lines[index:end])) + "\n", page,
                          index + 1)
            index = end
        else:
            index += 1


def snippets(page):
    return list(_markdown_snippets(page) if page.suffix == ".md" else _rst_snippets(page))


# -- running them ---------------------------------------------------------------------------
def _imported_modules(snippet):
    source = _as_python(snippet)
    names = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def _as_python(snippet):
    """The source of a snippet as Python (a doctest's examples, its outputs dropped)."""
    if not snippet.is_doctest:
        return snippet.source
    examples = doctest.DocTestParser().get_examples(snippet.source)
    return "".join(example.source for example in examples)


def _page_modules(page_snippets):
    return set().union(*(_imported_modules(s) for s in page_snippets))


def _missing_modules(page_snippets):
    return sorted(name for name in _page_modules(page_snippets)
                  if importlib.util.find_spec(name) is None)


def _names(snippet, context):
    """The names a snippet binds (``ast.Store``, with imports, functions and classes) or
    reads (``ast.Load``), anywhere in it."""
    names = set()
    for node in ast.walk(ast.parse(_as_python(snippet))):
        if isinstance(node, ast.Name) and isinstance(node.ctx, context):
            names.add(node.id)
        elif context is ast.Store and isinstance(node, (ast.Import, ast.ImportFrom)):
            names |= {(alias.asname or alias.name).split(".")[0] for alias in node.names}
        elif context is ast.Store and isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            names.add(node.name)
    return names


def _stands_alone(page_snippets, index):
    """Whether the page runs without block ``index``: no later block reads a name it binds."""
    read_later = set().union(*(_names(s, ast.Load) for s in page_snippets[index + 1:]))
    return not _names(page_snippets[index], ast.Store) & read_later


def _skipped_blocks(page_snippets, has_checks):
    """The blocks that import a missing package and that the page can run without, with
    what they miss; and what the page misses (a page with checks of its own needs all)."""
    alone, page_missing = {}, set()
    for index, snippet in enumerate(page_snippets):
        missing = _missing_modules([snippet])
        if missing and not has_checks and _stands_alone(page_snippets, index):
            alone[snippet] = missing
        else:
            page_missing |= set(missing)
    return alone, sorted(page_missing)


def _run_doctest(snippet, namespace):
    test = doctest.DocTestParser().get_doctest(snippet.source, namespace, repr(snippet),
                                               str(snippet.page), snippet.line - 1)
    runner = doctest.DocTestRunner(checker=_get_checker(), optionflags=OPTION_FLAGS)
    report = io.StringIO()
    runner.run(test, out=report.write, clear_globs=False)
    namespace.update(test.globs)  # a DocTest runs in a copy of the namespace it is given
    assert not runner.failures, f"{snippet} does not print what it shows:\n{report.getvalue()}"


def _run(snippet, namespace):
    if snippet.is_doctest:
        _run_doctest(snippet, namespace)
        return
    code = compile(snippet.source, str(snippet.page), "exec")
    try:
        exec(code, namespace)
    except Exception as error:
        raise AssertionError(f"{snippet} fails: {error!r}\n{snippet.source}") from error


def _keep_clusters(namespace, opened):
    """Add to ``opened`` the ``distributed`` clients and clusters that ``namespace`` holds
    (a cluster a client was made from included), so that they are closed after the page."""
    if "distributed" not in sys.modules:
        return
    from distributed import Client
    from distributed.deploy import Cluster

    for value in list(namespace.values()):
        if isinstance(value, Client):
            opened.setdefault(id(value), value)
            value = value.cluster
        if isinstance(value, Cluster):
            opened.setdefault(id(value), value)


def _close_clusters(opened):
    """Close the clients, then the clusters (which waits for their processes to end)."""
    if not opened:
        return
    from distributed import Client

    for item in sorted(opened.values(), key=lambda item: not isinstance(item, Client)):
        item.close()


def _dask_config():
    """A copy of dask's configuration and of the defaults it is made from, where dask is
    imported.  A scheduler without bokeh appends a route to a list of the configuration in
    place, a list the defaults of ``distributed`` share."""
    dask = sys.modules.get("dask")
    return copy.deepcopy((dask.config.config, dask.config.defaults)) if dask else None


def _restore_dask_config(saved):
    """Dask's configuration and defaults as ``saved``, with the defaults of the packages
    imported since (the caller imports dask and distributed first where a page uses them,
    so that these are saved too)."""
    if saved is None:
        return
    dask = sys.modules["dask"]
    config, defaults = copy.deepcopy(saved)
    dask.config.defaults[:len(defaults)] = defaults
    dask.config.config.clear()
    dask.config.config.update(config)
    for added in dask.config.defaults[len(defaults):]:
        dask.config.update(dask.config.config, copy.deepcopy(added), priority="old")


#: What a page's snippets leave behind that the next test must not see.
@contextlib.contextmanager
def _page_session(tmp_path, monkeypatch):
    """Run the page in ``tmp_path`` with warnings as errors; yield the dict in which the
    caller keeps the clients and clusters the page opens, and undo the page after."""
    from joblib.parallel import BACKENDS
    from joblib.pool import PicklingPool

    monkeypatch.chdir(tmp_path)
    saved_environ, saved_backends = dict(os.environ), dict(BACKENDS)
    saved_bases = PicklingPool.__bases__  # Ray's joblib backend rebases it on Ray's pool
    saved_config = _dask_config()
    children = set(multiprocessing.active_children())
    opened = {}
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            # A scheduler's HTTP server (dashboard or not) asks for port 8787 and, where a
            # cluster of the page or of another process has it, says so and takes another
            # port, leaving the socket that failed to bind to the garbage collector: a page
            # that starts several clusters does both, as the reader's session would.
            warnings.filterwarnings("ignore", r"Port \d+ is already in use", UserWarning)
            warnings.filterwarnings("ignore", r"unclosed <socket\.socket", ResourceWarning,
                                    module=r"distributed\.node")
            yield opened
    finally:
        try:
            _close_clusters(opened)  # first: a client puts back the dask config it set
        finally:
            os.environ.clear()  # a Nanny writes OMP_NUM_THREADS and friends into it
            os.environ.update(saved_environ)
            _restore_dask_config(saved_config)
            BACKENDS.clear()  # joblib registers its dask backend on first use
            BACKENDS.update(saved_backends)
            PicklingPool.__bases__ = saved_bases
            with contextlib.suppress(ImportError):
                import matplotlib.pyplot as plt
                plt.close("all")
    left = set(multiprocessing.active_children()) - children
    assert not left, f"processes the page started outlive it: {left}"


@pytest.mark.parametrize("page", PAGES, ids=lambda page: page.name)
def test_page_snippets_run_and_print_what_they_show(page, tmp_path, monkeypatch, subtests):
    page_snippets = snippets(page)
    if not page_snippets:
        pytest.skip(f"{page.name} has no Python snippet")
    skipped, missing = _skipped_blocks(page_snippets, page.name in PAGE_CHECKS)
    if missing:
        pytest.skip(f"{page.name}'s snippets import {', '.join(missing)}, not installed")
    for name in sorted({"dask", "distributed"} & _page_modules(page_snippets)):
        if importlib.util.find_spec(name) is not None:
            importlib.import_module(name)  # now, so that the session saves their configuration
    namespace = {"__name__": "__main__"}
    with _page_session(tmp_path, monkeypatch) as opened:
        for snippet in page_snippets:
            if snippet in skipped:
                with subtests.test(msg=repr(snippet)):
                    pytest.skip(f"{snippet} imports {', '.join(skipped[snippet])}, "
                                "not installed")
                continue
            try:
                _run(snippet, namespace)
            finally:
                _keep_clusters(namespace, opened)
    for check in PAGE_CHECKS.get(page.name, ()):
        check(namespace, tmp_path)


def test_a_block_with_a_missing_import_is_skipped_alone_when_the_page_runs_without_it():
    page = DOCS / "example.rst"
    blocks = [Snippet(source, page, line) for line, source in enumerate([
        "import numpy as np\nx = np.ones(3)\n",
        "import not_installed_abc\nfrom not_installed_abc import z\ny = z(x)\n",
        "import not_installed_def as nd\nw = nd.w\n",
        "print(x.sum(), w)\n"])]
    skipped, missing = _skipped_blocks(blocks, has_checks=False)
    assert skipped == {blocks[1]: ["not_installed_abc"]}  # nothing after it reads y or z
    assert missing == ["not_installed_def"]  # the last block reads w
    assert _skipped_blocks(blocks[:2], has_checks=True) == ({}, ["not_installed_abc"])


def test_the_scaling_page_runs_without_its_dask_ml_and_ray_blocks():
    """No block of ``docs/scaling.rst`` reads what its dask-ml or Ray block binds, so either
    is skipped alone where its package is missing."""
    page_snippets = snippets(DOCS / "scaling.rst")
    optional = [index for index, snippet in enumerate(page_snippets)
                if _imported_modules(snippet) & {"dask_ml", "ray"}]
    assert len(optional) == 2
    assert all(_stands_alone(page_snippets, index) for index in optional)


def _readme_checks(namespace, tmp_path):
    """What the README's snippets leave: a skops file and an ONNX model of ``clf``."""
    assert (tmp_path / "model.skops").is_file()
    assert namespace["clf"].predict(namespace["X"][:5]).shape == (5,)
    assert type(namespace["onx"]).__name__ == "ModelProto"


#: Checks of what a page's snippets leave that their outputs do not show.
PAGE_CHECKS = {"README.md": [_readme_checks]}


def test_every_page_has_the_snippets_we_expect():
    """The finder sees the blocks (a change of markup would otherwise skip them silently)."""
    found = {page.name: snippets(page) for page in PAGES}
    assert len(found["README.md"]) == 4
    assert sum(s.is_doctest for s in found["README.md"]) == 2
    assert len(found["index.rst"]) == 1 and found["index.rst"][0].is_doctest
    assert len(found["quickstart.rst"]) == 5
    assert all(s.is_doctest for s in found["quickstart.rst"])
    assert len(found["saving.rst"]) == 6
    assert len(found["extending.rst"]) == 12  # the loss rules (2), the layer steps (2), the
    # input step (1)
    assert "import numpy as np" in found["extending.rst"][0].source
    assert len(found["scaling.rst"]) == 10
    for page_snippets in found.values():
        for snippet in page_snippets:
            ast.parse(_as_python(snippet))  # every block is Python
            if not snippet.is_doctest:
                assert ">>>" not in snippet.source, f"{snippet}: half doctest, half code"
    for page in PAGES:  # no example skipped where it is shown
        assert "doctest: +SKIP" not in page.read_text(), page.name


def test_extending_names_files_that_exist_or_says_where_they_went():
    """Each ``.py`` file the developer guide names is in the package now, or the page
    says what it became."""
    text = (DOCS / "extending.rst").read_text()
    moved = text[text.index("Since 0.1 the private modules"):text.index(".. list-table::")]
    for name in set(re.findall(r"``([\w/]+\.py)``", text)):
        exists = (ROOT / "skfcnn" / name).is_file() or (ROOT / name).is_file()
        assert exists or re.search(rf"``{re.escape(name)}``\s+(is|became)\s", moved), name
    for name in re.findall(r"``((?:estimators|training|nn)/\w+\.py)``", moved):
        assert (ROOT / "skfcnn" / name).is_file(), name


def test_readme_speed_figures_are_the_performance_page_s():
    """The README's speed paragraph quotes ``docs/performance.rst``'s run: every figure in
    it is on that page."""
    readme = (ROOT / "README.md").read_text()
    speed = readme[readme.index("## Speed"):readme.index("## Layout")]
    performance = (DOCS / "performance.rst").read_text()
    figures = set(re.findall(r"\d+(?:\.\d+)?", speed))
    assert len(figures) > 15
    for figure in figures:
        assert re.search(rf"(?<![\d.]){re.escape(figure)}(?![\d])", performance), figure


def test_shown_values_are_doctests():
    """A value shown beside code (``print(x)  # 0.97``) is not checked: show it as a
    doctest's output instead."""
    for page in PAGES:
        for snippet in snippets(page):
            if snippet.is_doctest:
                continue
            for number, line in enumerate(snippet.source.splitlines()):
                assert not re.match(r"print\(.*#", line), (
                    f"{snippet} line {number + 1} shows a value in a comment: {line}")


def test_one_docs_build_command_everywhere():
    """README, pages, conf.py and CI give the same build command, the nitpicky one of
    ``tests/test_docs.py``."""
    files = [ROOT / "README.md", DOCS / "conf.py", *DOCS.glob("*.rst")]
    commands = []
    for path in files:
        commands += [(path.name, m) for m in
                     re.findall(r"sphinx-build[^`\n]*", path.read_text())]
        assert "make html" not in path.read_text(), path.name
    assert commands
    for name, command in commands:
        assert command.strip() == DOCS_BUILD, f"{name}: {command!r}"


# -- docstrings -----------------------------------------------------------------------------
def _package_modules():
    """The package's modules with docstring examples, and those that cannot be imported
    here (an optional dependency missing: their test says so)."""
    names = []
    for module in pkgutil.walk_packages(skfcnn.__path__, prefix="skfcnn."):
        if module.name == "skfcnn.__main__":
            continue  # the demo, which runs on import (tests/test_demo.py runs it)
        try:
            imported = importlib.import_module(module.name)
        except ModuleNotFoundError:
            names.append(module.name)
            continue
        if any(test.examples for test in doctest.DocTestFinder().find(imported)):
            names.append(module.name)
    return sorted(names)


@pytest.mark.parametrize("module_name", _package_modules())
def test_docstring_examples_run(module_name, tmp_path, monkeypatch):
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as error:
        pytest.skip(f"{module_name} needs {error.name}, not installed")
    tests = [test for test in doctest.DocTestFinder(exclude_empty=True).find(module)
             if test.examples]
    if not tests:
        pytest.skip(f"{module_name} has no docstring example")
    skipped = [f"{test.name}: {example.source.strip()}" for test in tests
               for example in test.examples if example.options.get(doctest.SKIP)]
    assert not skipped, f"examples that do not run (+SKIP): {skipped}"
    runner = doctest.DocTestRunner(checker=_get_checker(), optionflags=OPTION_FLAGS)
    report = io.StringIO()
    with _page_session(tmp_path, monkeypatch):
        for test in tests:
            runner.run(test, out=report.write)
    assert not runner.failures, report.getvalue()


def test_the_estimators_examples_are_collected():
    modules = _package_modules()
    assert {"skfcnn.estimators.classifier", "skfcnn.estimators.regressor"} <= set(modules)
