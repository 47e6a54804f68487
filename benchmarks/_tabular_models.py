"""The models of ``tabular.py``: a registry of factories over raw tables.

A factory takes the task kind, the table's numeric and categorical column
names, a seed and a thread count, and returns an unfitted estimator that fits
the raw DataFrame of ``_tabular_data.py`` (strings and ``NaN`` included) and
predicts its test rows.  Each model is at its library's defaults; what a factory
adds is only what the library needs to read the table: pandas ``category``
dtype for the boosters' native categorical support, the string "nan" for
CatBoost's categorical gaps, median imputation of pytabkit's numeric gaps
(it refuses ``NaN`` there), and for the MLPs the usual scikit-learn
preprocessing (impute, standardise, one-hot; a standardised target in
regression).  Seeds are fixed, output is silenced, threads are ``--threads``.

A model whose library is missing (or, for ``tabular``, whose class skfcnn does
not have yet) is *unavailable*: :func:`unavailable_reason` says why, and
``tabular.py`` skips it with that reason.

Nothing here is part of skfcnn; ``tabular.py`` puts this folder on ``sys.path``.
"""

import dataclasses
import functools
import importlib.util

import pandas as pd
from _tabular_data import column_kinds
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.compose import ColumnTransformer, TransformedTargetRegressor
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, StandardScaler

__all__ = ["MODELS", "QUICK_MODELS", "ModelSpec", "build", "unavailable_reason",
           "variant"]


@dataclasses.dataclass(frozen=True)
class ModelSpec:
    """One registered model.

    Attributes
    ----------
    name : str
        The key of :data:`MODELS`, used by ``--models``.
    factory : callable
        ``factory(task, numeric, categorical, seed, threads)`` -> unfitted estimator.
    requires : tuple of str
        Modules that must import (their absence is the reason it is skipped).
    description : str
        What the model is, for the report.
    needs_attribute : str or None
        A public name skfcnn must have (the tabular estimators, while planned).
    """

    name: str
    factory: object
    requires: tuple = ()
    description: str = ""
    needs_attribute: str | None = None


# ---------------------------------------------------------------------------------------
# What the libraries need to read a raw table
# ---------------------------------------------------------------------------------------
class CategoryDtype(TransformerMixin, BaseEstimator):
    """The ``columns`` of a DataFrame as pandas ``category``, with the categories
    seen in ``fit`` (a value unseen there becomes ``NaN``), so that the training
    and test codes agree."""

    def __init__(self, columns=()):
        self.columns = columns

    def fit(self, X, y=None):
        """Record each column's categories (its distinct non-missing strings)."""
        self.categories_ = {c: sorted(X[c].dropna().astype(str).unique())
                            for c in self.columns}
        return self

    def transform(self, X):
        """``X`` with each column cast to its recorded categories."""
        return X.astype({c: pd.CategoricalDtype(self.categories_[c])
                         for c in self.columns})


def _missing_as_string(X, columns):
    """``X`` with ``columns`` as plain strings, gaps as "nan" (CatBoost refuses NaN
    in a categorical feature)."""
    X = X.copy()
    for column in columns:
        X[column] = X[column].astype(object).map(
            lambda value: "nan" if pd.isna(value) else str(value)).astype(object)
    return X


def _impute_numeric(numeric):
    """Median imputation of the ``numeric`` columns, the others passed through
    unchanged: a DataFrame (numeric columns first) whose strings pytabkit still
    sees as categorical."""
    return ColumnTransformer([("numeric", SimpleImputer(strategy="median"), numeric)],
                             remainder="passthrough", verbose_feature_names_out=False
                             ).set_output(transform="pandas")


def _mlp_preprocessing(numeric, categorical):
    """The scikit-learn recipe: numeric median-imputed and standardised,
    categorical mode-imputed and one-hot encoded (unknown categories ignored)."""
    numeric_steps = make_pipeline(SimpleImputer(strategy="median"), StandardScaler())
    categorical_steps = make_pipeline(
        SimpleImputer(strategy="most_frequent"),
        OneHotEncoder(handle_unknown="ignore", sparse_output=False))
    return ColumnTransformer([("numeric", numeric_steps, numeric),
                              ("categorical", categorical_steps, categorical)])


def _scaled_target(task, model):
    """``model``, inside ``TransformedTargetRegressor(StandardScaler())`` for regression."""
    if task != "regression":
        return model
    return TransformedTargetRegressor(regressor=model, transformer=StandardScaler())


def _pick(task, classifier, regressor):
    """``classifier`` for classification tasks, ``regressor`` for regression."""
    return regressor if task == "regression" else classifier


# ---------------------------------------------------------------------------------------
# Factories
# ---------------------------------------------------------------------------------------
def _hgb(task, numeric, categorical, seed, threads):
    """HistGradientBoosting at its defaults, categorical columns native (dtype)."""
    from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor

    cls = _pick(task, HistGradientBoostingClassifier, HistGradientBoostingRegressor)
    return Pipeline([("category", CategoryDtype(categorical)),
                     ("model", cls(categorical_features="from_dtype", random_state=seed))])


def _lightgbm(task, numeric, categorical, seed, threads):
    """LightGBM at its defaults, categorical columns native (pandas ``category``)."""
    from lightgbm import LGBMClassifier, LGBMRegressor

    cls = _pick(task, LGBMClassifier, LGBMRegressor)
    return Pipeline([("category", CategoryDtype(categorical)),
                     ("model", cls(verbose=-1, random_state=seed, n_jobs=threads))])


def _catboost(task, numeric, categorical, seed, threads):
    """CatBoost at its defaults, categorical columns native (``cat_features``)."""
    from catboost import CatBoostClassifier, CatBoostRegressor

    cls = _pick(task, CatBoostClassifier, CatBoostRegressor)
    model = cls(verbose=0, thread_count=threads, random_seed=seed,
                cat_features=list(categorical), allow_writing_files=False)
    strings = FunctionTransformer(_missing_as_string, kw_args={"columns": list(categorical)})
    return Pipeline([("strings", strings), ("model", model)])


def _sklearn_mlp(task, numeric, categorical, seed, threads):
    """scikit-learn's MLP at its defaults after the usual preprocessing."""
    from sklearn.neural_network import MLPClassifier, MLPRegressor

    model = _pick(task, MLPClassifier, MLPRegressor)(random_state=seed)
    return _scaled_target(task, make_pipeline(_mlp_preprocessing(numeric, categorical),
                                              model))


def _ours(task, numeric, categorical, seed, threads, **params):
    """skfcnn's FCNN at its defaults (plus ``params``) after the usual preprocessing."""
    import skfcnn

    cls = _pick(task, skfcnn.FCNNClassifier, skfcnn.FCNNRegressor)
    return _scaled_target(task, make_pipeline(_mlp_preprocessing(numeric, categorical),
                                              cls(random_state=seed, **params)))


def _tabular(task, numeric_columns, categorical_columns, seed, threads, **params):
    """skfcnn's tabular estimator on the raw table, at its defaults plus ``params``
    (which may name its own ``numeric`` and ``categorical_features``: the columns
    are not passed, the estimator finds them)."""
    import skfcnn

    cls = _pick(task, skfcnn.TabularClassifier, skfcnn.TabularRegressor)
    return cls(**{"random_state": seed, **params})


def _pytabkit(stem, task, numeric, categorical, seed, threads):
    """pytabkit's ``{stem}_Classifier`` / ``{stem}_Regressor`` at their defaults on
    the CPU, numeric gaps median-imputed (it refuses ``NaN`` there)."""
    import pytabkit

    cls = getattr(pytabkit, f"{stem}_{_pick(task, 'Classifier', 'Regressor')}")
    model = cls(device="cpu", n_threads=threads, random_state=seed, verbosity=0)
    return Pipeline([("impute", _impute_numeric(list(numeric))), ("model", model)])


_SPECS = [
    ModelSpec("hgb", _hgb, (), "HistGradientBoosting, defaults, native categorical/NaN"),
    ModelSpec("lightgbm", _lightgbm, ("lightgbm",), "LightGBM, defaults, native categorical"),
    ModelSpec("catboost", _catboost, ("catboost",), "CatBoost, defaults, cat_features"),
    ModelSpec("sklearn_mlp", _sklearn_mlp, (), "scikit-learn MLP, defaults, one-hot"),
    ModelSpec("ours", _ours, (), "skfcnn FCNN, defaults, one-hot"),
    ModelSpec("ours_es", functools.partial(_ours, early_stopping=True), (),
              "skfcnn FCNN, early_stopping=True, one-hot"),
    ModelSpec("tabular", _tabular, (), "skfcnn Tabular*, defaults, raw table",
              "TabularClassifier"),
    ModelSpec("realmlp_td", functools.partial(_pytabkit, "RealMLP_TD"), ("pytabkit",),
              "pytabkit RealMLP-TD, defaults, CPU, numeric NaN imputed"),
    ModelSpec("tabm_d", functools.partial(_pytabkit, "TabM_D"), ("pytabkit",),
              "pytabkit TabM-D, defaults, CPU, numeric NaN imputed"),
]

#: Name -> :class:`ModelSpec`, in the report's order.
MODELS = {spec.name: spec for spec in _SPECS}

#: The models of ``--quick`` when ``--models`` is not given: the fast ones.
QUICK_MODELS = ("hgb", "lightgbm", "catboost", "sklearn_mlp", "ours", "ours_es", "tabular")


def variant(name, params):
    """A :class:`ModelSpec` ``tabular[name]``: the tabular estimator with ``params``.

    Parameters
    ----------
    name : str
        The variant's label (``--variant NAME=JSON``).
    params : dict
        Keyword arguments that override the estimator's defaults.
    """
    shown = ", ".join(f"{key}={value!r}" for key, value in params.items())
    return ModelSpec(f"tabular[{name}]", functools.partial(_tabular, **params), (),
                     f"skfcnn Tabular*, {shown}", "TabularClassifier")


def unavailable_reason(spec):
    """Why ``spec`` cannot run here (a module not installed, a name skfcnn lacks),
    or None.  A module that is installed but fails to import fails the model on
    every set instead, with its error."""
    for module in spec.requires:  # found, not imported: torch stays out of this process
        if importlib.util.find_spec(module) is None:
            return f"{module} is not installed"
    if spec.needs_attribute:
        import skfcnn

        if not hasattr(skfcnn, spec.needs_attribute):
            return f"skfcnn has no {spec.needs_attribute} yet"
    return None


def build(spec, task, X, seed, threads):
    """The unfitted estimator of ``spec`` for the raw table ``X`` of ``task``."""
    numeric, categorical = column_kinds(X)
    return spec.factory(task, numeric, categorical, seed, threads)
