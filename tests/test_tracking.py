"""``docs/tracking.rst``: every snippet runs as written, prints what it shows, and does
what the page says it does.

**How the page runs.**  A *section* is the text under one title of the page (the
lowest-level title above a snippet).  The ``.. code-block:: python`` snippets of one
section run in order in one fresh namespace, as a reader who starts a new Python session
for each subsection and pastes its snippets one after the other; the sections run in the
page's order, each in its own test, all in one empty temporary working directory (where
MLflow's ``mlflow.db`` and ``mlruns/`` go, and nowhere else).  Every warning is an error,
except the few third-party ones filtered by category and message in ``THIRD_PARTY``,
each with the reason.

**What the page shows.**  A comment on the line of a ``print(...)`` call is what that call
prints: the text must be equal, except that ``...`` stands for any text and a decimal
number matches to the precision it is written with (``0.97`` matches ``0.9736``).  Every
such line must run.  Comments on other lines are prose.

**What is checked besides.**  After a section has run, its test checks with calls of its
own what the page says happened: what the MLflow run holds, that the logged models load
and predict exactly as the fitted pipeline, that ``log_model`` without trusted types fails
with skops' untrusted-type error, that the types the page lists are the ones skops
reports, the searches' scores and that trials were pruned.

**Optional packages.**  The MLflow sections need mlflow (with SQLAlchemy, for the SQLite
store) and skops; the Optuna sections need optuna (and optuna-integration for
``OptunaSearchCV``).  Each is skipped, with the reason, where its packages are missing:
the MLflow tests run without Optuna and the Optuna tests without MLflow.  MLflow runs
offline: telemetry off (``MLFLOW_DISABLE_TELEMETRY``, ``DO_NOT_TRACK``), a local store, and
whatever MLflow or Optuna state a section changes (autologging, tracking URI, active run,
Optuna's verbosity) is put back afterwards.
"""

import builtins
import contextlib
import importlib.metadata
import io
import re
import sys
import textwrap
import tokenize
import warnings
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent
PAGE = ROOT / "docs" / "tracking.rst"
TITLE_UNDERLINE = re.compile(r"^([=\-~^\"'`#*+])\1+\s*$")

CLASSIFIER_TYPE = "skfcnn.estimators.classifier.FCNNClassifier"
REGRESSOR_TYPE = "skfcnn.estimators.regressor.FCNNRegressor"
MLP_ADAM_TYPE = "sklearn.neural_network._stochastic_optimizers.AdamOptimizer"

#: Warnings from other packages that a snippet cannot avoid: (category, message regex, why).
THIRD_PARTY = [
    (DeprecationWarning, r"The ``noload`` loader strategy is deprecated",
     "SQLAlchemy 2.1 deprecates a loader MLflow's SQL store uses (on importing the store)"),
    (UserWarning, r".*Any type hint is inferred as AnyType",  # after a colour code
     "MLflow's signature inference warns about its own wrapper's type hints (autolog hides "
     "it from users, but only by how it shows warnings, which an error filter overrides)"),
    (FutureWarning, r"`y_pred` was renamed to `y_proba`",
     "MLflow's autolog computes log_loss with scikit-learn 1.9's deprecated keyword"),
    (Warning, r"OptunaSearchCV is experimental",  # ExperimentalWarning(Warning)
     "optuna-integration marks OptunaSearchCV experimental (optuna's ExperimentalWarning)"),
    (FutureWarning, r"`optuna\.terminator` module has been deprecated",
     "optuna-integration's OptunaSearchCV reports to optuna.terminator, deprecated in optuna"),
]


# -- reading the page -----------------------------------------------------------------------
def _sections(text):
    """``[(title, [(first line number, source), ...]), ...]`` in page order, for the
    sections that hold Python snippets."""
    lines = text.splitlines()
    sections, title = [], None
    for number, line in enumerate(lines):
        following = lines[number + 1] if number + 1 < len(lines) else ""
        if (line.strip() and TITLE_UNDERLINE.match(following)
                and len(following.strip()) >= len(line.strip())):
            title = line.strip()
        elif re.match(r"^\.\. code-block::\s*python\s*$", line):
            assert title, f"tracking.rst:{number + 1}: a snippet before the first title"
            body, end = [], number + 1
            while end < len(lines) and (not lines[end].strip() or lines[end][0] == " "):
                body.append(lines[end])
                end += 1
            assert not any(re.match(r"\s+:\w", row) for row in body[:2]), "options unexpected"
            source = textwrap.dedent("\n".join(body)).strip("\n") + "\n"
            if not sections or sections[-1][0] != title:
                sections.append((title, []))
            sections[-1][1].append((number + 2, source))
    return sections


SECTIONS = dict(_sections(PAGE.read_text()))


def _shown(source):
    """``{line: shown text}`` for the ``print(...)`` lines that end with a comment."""
    shown, code_on_line = {}, {}
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        row = token.start[0]
        if token.type == tokenize.COMMENT:
            if re.search(r"\bprint\(", code_on_line.get(row, "")):
                shown[row] = token.string[1:].strip()
        elif token.type not in (tokenize.NL, tokenize.NEWLINE, tokenize.INDENT,
                                tokenize.DEDENT, tokenize.ENCODING):
            code_on_line[row] = code_on_line.get(row, "") + token.string
    return shown


def _matches(shown, printed):
    """Whether ``printed`` is ``shown``: ``...`` matches anything, a decimal number in
    ``shown`` matches one printed in its place that rounds to it."""
    pattern, numbers = "", []
    for part in re.split(r"(\.\.\.|-?\d+\.\d+(?:e[-+]?\d+)?)", shown):
        if part == "...":
            pattern += ".*?"
        elif re.fullmatch(r"-?\d+\.\d+(?:e[-+]?\d+)?", part):
            pattern += r"(-?\d+(?:\.\d+)?(?:e[-+]?\d+)?)"
            numbers.append(part)
        else:
            pattern += re.escape(part)
    match = re.fullmatch(pattern, printed.strip(), flags=re.S)
    if not match:
        return False
    for written, actual in zip(numbers, match.groups()):
        mantissa = written.split("e")[0]
        exponent = int(written.split("e")[1]) if "e" in written else 0
        half_unit = 0.5 * 10.0 ** (exponent - len(mantissa.split(".")[1]))
        if abs(float(actual) - float(written)) > half_unit * (1 + 1e-9):
            return False
    return True


def test_matches_reads_numbers_to_their_precision():
    assert _matches("0.97", "0.9736842105263158")
    assert not _matches("0.97", "0.9649122807017544")
    assert _matches("{'a': 41, 'b': 0.0154}", "{'a': 41, 'b': 0.01537578087179389}")
    assert not _matches("{'a': 41, 'b': 0.0154}", "{'a': 42, 'b': 0.01537578087179389}")
    assert _matches("['x', ...]", "['x', 'y', 'z']")
    assert not _matches("(16,)", "(16, 16)")
    assert _matches("13 of 20 trials pruned", "13 of 20 trials pruned\n")


def test_every_section_with_snippets_has_its_checks_in_page_order():
    assert list(SECTIONS) == list(CHECKS), "a section of the page is not tested, or moved"
    for title, blocks in SECTIONS.items():
        assert any(_shown(source) for _, source in blocks), f"{title!r} shows nothing"
        for line, source in blocks:
            compile(source, f"tracking.rst:{line}", "exec")


# -- running a section ----------------------------------------------------------------------
class _Recorder:
    """A ``print`` for the snippets: prints, and keeps what each line of the page printed."""

    def __init__(self, filenames):
        self.filenames, self.printed = filenames, {}

    def __call__(self, *args, sep=" ", end="\n", file=None, flush=False):
        caller = sys._getframe(1)
        key = (caller.f_code.co_filename, caller.f_lineno)
        if file is None and caller.f_code.co_filename in self.filenames:
            text = sep.join(str(arg) for arg in args) + end
            self.printed[key] = self.printed.get(key, "") + text
        builtins.print(*args, sep=sep, end=end, file=file, flush=flush)


@contextlib.contextmanager
def _page_warnings():
    """Every warning an error, but ``THIRD_PARTY``'s."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for category, message, _ in THIRD_PARTY:
            warnings.filterwarnings("ignore", message=message, category=category)
        yield


def run_section(title):
    """Run the section's snippets in a fresh namespace, with warnings as errors but
    ``THIRD_PARTY``; check what they print against the page; return the namespace."""
    blocks = SECTIONS[title]
    filenames = {f"tracking.rst:{line}" for line, _ in blocks}
    recorder = _Recorder(filenames)
    namespace = {"__name__": "__main__", "print": recorder}
    with _page_warnings():
        for line, source in blocks:
            exec(compile(source, f"tracking.rst:{line}", "exec"), namespace)
    for line, source in blocks:
        for row, shown in _shown(source).items():
            where = f"tracking.rst:{line + row - 1}"
            printed = recorder.printed.get((f"tracking.rst:{line}", row))
            assert printed is not None, f"{where}: this print did not run"
            assert _matches(shown, printed), f"{where}: shows {shown!r}, prints {printed!r}"
    return namespace


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    """The one working directory of the whole page."""
    return tmp_path_factory.mktemp("tracking")


@pytest.fixture
def mlflow(monkeypatch, workdir):
    """mlflow, imported with telemetry off, in the page's directory; MLflow's global state
    (autologging, tracking URI, active run) put back afterwards."""
    monkeypatch.setenv("MLFLOW_DISABLE_TELEMETRY", "true")
    monkeypatch.setenv("DO_NOT_TRACK", "true")
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    monkeypatch.chdir(workdir)
    pytest.importorskip("skops", reason="MLflow saves the page's models with skops")
    for store_package in ("sqlalchemy", "alembic"):
        pytest.importorskip(store_package, reason=(
            "the page's SQLite store needs SQLAlchemy and Alembic (installed with mlflow; "
            "with mlflow-skinny, install them too)"))
    mlflow = pytest.importorskip("mlflow", minversion="3.14", reason=(
        "the MLflow sections need mlflow 3.14 or later (skops by default)"))
    importlib.import_module("mlflow.sklearn")  # the flavour, as an attribute of mlflow
    from sklearn.pipeline import Pipeline

    pipeline_fit = Pipeline.fit
    try:
        yield mlflow
    finally:
        while mlflow.active_run() is not None:
            mlflow.end_run()
        mlflow.sklearn.autolog(disable=True)  # takes autologging's patches off scikit-learn
        mlflow.set_tracking_uri(None)
    assert Pipeline.fit is pipeline_fit
    assert not (ROOT / "mlruns").exists() and not (ROOT / "mlflow.db").exists()


@pytest.fixture
def optuna(monkeypatch, workdir):
    """optuna, in the page's directory; its logging verbosity put back afterwards."""
    monkeypatch.chdir(workdir)
    optuna = pytest.importorskip("optuna", reason="the Optuna sections need optuna")
    verbosity = optuna.logging.get_verbosity()
    try:
        yield optuna
    finally:
        optuna.logging.set_verbosity(verbosity)


# -- MLflow ---------------------------------------------------------------------------------
def _quietly(function, *args, **kwargs):
    """``function(*args, **kwargs)`` under the page's warning rules."""
    with _page_warnings():
        return function(*args, **kwargs)


def _flavor(mlflow, model_uri):
    return mlflow.models.get_model_info(model_uri).flavors["sklearn"]


def check_autologging(mlflow, tmp_path, monkeypatch):
    from skfcnn import FCNNClassifier

    # the page's reason for SQLite: MLflow refuses a folder of files unless told to allow it
    monkeypatch.delenv("MLFLOW_ALLOW_FILE_STORE", raising=False)
    with pytest.raises(mlflow.exceptions.MlflowException, match="MLFLOW_ALLOW_FILE_STORE"):
        mlflow.MlflowClient(tracking_uri=(tmp_path / "mlruns").as_uri())

    ns = run_section("Autologging")
    model, X_test, y_test = ns["model"], ns["X_test"], ns["y_test"]
    run = mlflow.get_run(ns["run"].info.run_id)
    params = run.data.params
    assert {f"fcnnclassifier__{name}" for name in FCNNClassifier().get_params()} <= set(params)
    assert {"steps", "standardscaler__with_mean", "memory"} <= set(params)
    assert params["fcnnclassifier__max_iter"] == "500"
    metrics = run.data.metrics
    assert {"training_accuracy_score", "training_f1_score", "training_log_loss",
            "training_precision_score", "training_recall_score", "training_roc_auc",
            "training_score", "Pipeline_score_X_test"} == set(metrics)
    assert metrics["training_accuracy_score"] >= 0.95
    assert metrics["Pipeline_score_X_test"] == pytest.approx(model.score(X_test, y_test))
    assert metrics["training_log_loss"] < 0.2
    artifacts = {item.path for item in mlflow.MlflowClient().list_artifacts(run.info.run_id)}
    assert {"estimator.html", "training_confusion_matrix.png"} <= artifacts

    logged = mlflow.search_logged_models(
        filter_string=f"source_run_id = '{run.info.run_id}'", output_format="list")
    assert [model_.name for model_ in logged] == ["model"]
    assert _flavor(mlflow, logged[0].model_uri)["serialization_format"] == "cloudpickle"
    assert mlflow.models.get_model_info(logged[0].model_uri).signature is not None
    np.testing.assert_array_equal(
        mlflow.sklearn.load_model(logged[0].model_uri).predict_proba(X_test),
        model.predict_proba(X_test))

    # the page disabled autologging: a fit starts no run
    runs_before = len(mlflow.search_runs(search_all_experiments=True))
    model.fit(ns["X_train"], ns["y_train"])
    assert mlflow.active_run() is None
    assert len(mlflow.search_runs(search_all_experiments=True)) == runs_before

    # the page's claim: autolog with skops cannot trust our class, so no model is saved
    _quietly(mlflow.sklearn.autolog, serialization_format="skops", silent=True)
    try:
        with mlflow.start_run() as skops_run:
            _quietly(model.fit, ns["X_train"], ns["y_train"])
    finally:
        mlflow.sklearn.autolog(disable=True)
    statuses = [str(model_.status) for model_ in mlflow.search_logged_models(
        filter_string=f"source_run_id = '{skops_run.info.run_id}'", output_format="list")]
    assert statuses and not any("READY" in status for status in statuses), statuses
    data = mlflow.get_run(skops_run.info.run_id).data
    assert data.params["fcnnclassifier__max_iter"] == "500"
    assert "training_score" not in data.metrics  # "the parameters only"


def _untrusted(model):
    import skops.io as sio

    return sio.get_untrusted_types(data=sio.dumps(model))


def check_logging_with_skops(mlflow, tmp_path, monkeypatch):
    from sklearn.base import clone
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from skfcnn import FCNNClassifier, FCNNRegressor

    text = PAGE.read_text()
    ns = run_section("Logging a model with skops")
    model, X_train, X_test = ns["model"], ns["X_train"], ns["X_test"]

    # the default fails with skops' untrusted-type error, naming our class
    with mlflow.start_run(), pytest.raises(
            mlflow.exceptions.MlflowException,
            match=rf"untrusted types.*Untrusted types found in the file: \['{CLASSIFIER_TYPE}'\]"):
        _quietly(mlflow.sklearn.log_model, model, name="default")
    # trusting the list the page shows is enough
    assert ns["trusted"] == [CLASSIFIER_TYPE]
    # requirements.txt names skfcnn where it is installed from a wheel, not editable
    requirements = Path(mlflow.pyfunc.get_model_dependencies(ns["info"].model_uri))
    listed = {re.split(r"[=<>~ ]", row)[0] for row in requirements.read_text().split()}
    assert {"scikit-learn", "skops"} <= listed
    mapped = "skfcnn" in importlib.metadata.packages_distributions().get("skfcnn", [])
    assert ("skfcnn" in listed) == mapped, (sorted(listed), mapped)
    flavor = _flavor(mlflow, ns["info"].model_uri)
    assert flavor["serialization_format"] == "skops"
    assert flavor["skops_trusted_types"] == [CLASSIFIER_TYPE]
    for loaded in (mlflow.pyfunc.load_model(ns["info"].model_uri),
                   mlflow.sklearn.load_model(ns["info"].model_uri)):
        np.testing.assert_array_equal(loaded.predict(X_test), model.predict(X_test))
        np.testing.assert_array_equal(loaded.predict(X_train), model.predict(X_train))
    assert ns["pyfunc_model"].metadata.get_input_schema() is not None  # from input_example
    np.testing.assert_array_equal(ns["sklearn_model"].predict_proba(X_test),
                                  model.predict_proba(X_test))
    # the last snippet: cloudpickle, no types to trust
    assert _flavor(mlflow, ns["pickled"].model_uri)["serialization_format"] == "cloudpickle"
    np.testing.assert_array_equal(ns["loaded"].predict(X_test), model.predict(X_test))

    # the page's table of types to trust
    for shown in (CLASSIFIER_TYPE, REGRESSOR_TYPE, MLP_ADAM_TYPE):
        assert f'``["{shown}"]``' in text
    X, y = ns["X_train"], ns["y_train"]
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=ConvergenceWarning)  # 20 epochs: enough
        for options in ({}, {"solver": "sgd"}, {"solver": "lbfgs"}, {"early_stopping": True},
                        {"batch_norm": True, "dropout": 0.1}):
            classifier = FCNNClassifier(max_iter=20, random_state=0, **options).fit(X, y)
            assert _untrusted(classifier) == [CLASSIFIER_TYPE], options
        assert _untrusted(make_pipeline(StandardScaler(), FCNNRegressor(max_iter=20))
                          .fit(X, X[:, 0])) == [REGRESSOR_TYPE]
        assert _untrusted(clone(model).set_params(fcnnclassifier=MLPClassifier(
            max_iter=20, random_state=0)).fit(X, y)) == [MLP_ADAM_TYPE]


# -- Optuna ---------------------------------------------------------------------------------
def check_optuna_search_cv(optuna, tmp_path, monkeypatch):
    pytest.importorskip("optuna_integration",
                        reason="OptunaSearchCV comes with optuna-integration")
    ns = run_section("Searching a pipeline with OptunaSearchCV")
    search = ns["search"]
    assert search.best_score_ > 0.95
    assert search.score(ns["X_test"], ns["y_test"]) > 0.93
    states = [trial.state for trial in search.trials_]
    assert states == [optuna.trial.TrialState.COMPLETE] * 10
    assert 4 <= search.best_params_["fcnnclassifier__hidden_layer_sizes"] <= 64
    assert 1e-5 <= search.best_params_["fcnnclassifier__alpha"] <= 1e-1
    assert search.best_estimator_[-1].hidden_layer_sizes == \
        search.best_params_["fcnnclassifier__hidden_layer_sizes"]
    assert search.trials_dataframe().shape[0] == 10


def check_pruning(optuna, tmp_path, monkeypatch):
    ns = run_section("Pruning over ``partial_fit`` epochs")
    study, state = ns["study"], optuna.trial.TrialState
    assert isinstance(study.sampler, optuna.samplers.TPESampler)
    assert isinstance(study.pruner, optuna.pruners.MedianPruner)
    pruned = study.get_trials(states=[state.PRUNED])
    complete = study.get_trials(states=[state.COMPLETE])
    assert len(pruned) >= 1 and len(complete) >= 3
    assert len(pruned) + len(complete) == len(study.trials) == 20
    assert [trial.state for trial in study.trials[:3]] == [state.COMPLETE] * 3
    for trial in pruned:  # its best score so far below the completed trials' median
        step = trial.last_step
        median = np.median([other.intermediate_values[step] for other in complete
                            if other.number < trial.number])
        assert max(trial.intermediate_values.values()) < median
    assert all(5 <= trial.last_step < 29 for trial in pruned)
    assert all(trial.last_step == 29 for trial in complete)
    assert study.best_value > 0.95
    epochs = sum(trial.last_step + 1 for trial in study.trials)
    assert epochs < 20 * 30
    text = " ".join(PAGE.read_text().split())
    assert f"the 20 trials ran {epochs} of their 600 epochs" in text


CHECKS = {
    "Autologging": ("mlflow", check_autologging),
    "Logging a model with skops": ("mlflow", check_logging_with_skops),
    "Searching a pipeline with OptunaSearchCV": ("optuna", check_optuna_search_cv),
    "Pruning over ``partial_fit`` epochs": ("optuna", check_pruning),
}


@pytest.mark.parametrize("title", list(CHECKS))
def test_section(title, request, tmp_path, monkeypatch):
    fixture, check = CHECKS[title]
    check(request.getfixturevalue(fixture), tmp_path, monkeypatch)
