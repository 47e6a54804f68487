"""
Robust regression: 10 % gross outliers in the targets
=====================================================

One training target in ten is corrupted by a gross error; the held-out
targets are clean.  The squared error chases the outliers; the absolute error
(median regression) and the Huber loss, whose threshold ``huber_delta``
follows the residuals' own scale by default, largely ignore them
(:ref:`robust-quantile` in the user guide).  The data are seed 5's 2-D function
:math:`f(x, y) = \\sin x + x \\cos y + y + 3^{x/3}` on :math:`[-10, 10]^2` with
noise 0.5.

Against scikit-learn's robust regressors on the same data:
:class:`~sklearn.linear_model.HuberRegressor` (linear: it cannot follow this
function, whatever the outliers) and
:class:`~sklearn.ensemble.HistGradientBoostingRegressor` with
``loss="absolute_error"``.  The figure is R² on the clean held-out targets.

Run ``python plot_robust_regression.py [OUTPUT_DIR]``; the figure is written there.
"""

# %%
# Setup: a non-interactive backend and the output folder (first argument).
import sys
import warnings
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from sklearn.ensemble import HistGradientBoostingRegressor
from sklearn.linear_model import HuberRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skfcnn import FCNNRegressor

out_dir = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(".")
out_dir.mkdir(parents=True, exist_ok=True)


def seed5(points):
    x, y = points[:, 0], points[:, 1]
    return np.sin(x) + x * np.cos(y) + y + 3 ** (x / 3)


# %%
# 2000 training points, 10 % of their targets shifted by +-(30 to 60) (the
# target's own standard deviation is about 9); 10000 clean held-out points.
rng = np.random.default_rng(0)
X_train, X_test = rng.uniform(-10, 10, (2000, 2)), rng.uniform(-10, 10, (10000, 2))
y_train = seed5(X_train) + 0.5 * rng.standard_normal(2000)
y_test = seed5(X_test)
outliers = rng.random(2000) < 0.1
y_train[outliers] += rng.choice([-1, 1], outliers.sum()) * rng.uniform(30, 60, outliers.sum())
print(f"outliers: {outliers.mean():.3f} of the training targets")


# %%
# Ours: three networks that differ only in ``loss``; the target is used as it
# is (a StandardScaler on it would take the outliers into its scale).
def network(loss):
    return make_pipeline(StandardScaler(), FCNNRegressor(
        loss=loss, hidden_layer_sizes=(64, 64, 64), activation="gelu",
        learning_rate_init=0.003, max_iter=1000, n_iter_no_change=30, random_state=0))


models = {
    "squared_error": network("squared_error"),
    "absolute_error": network("absolute_error"),
    "huber": network("huber"),
    "HuberRegressor": make_pipeline(StandardScaler(), HuberRegressor(max_iter=1000)),
    "HistGradientBoosting absolute_error": HistGradientBoostingRegressor(
        loss="absolute_error", random_state=0),
}
scores = {}
with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # convergence of the last epochs
    for name, model in models.items():
        scores[name] = model.fit(X_train, y_train).score(X_test, y_test)
        print(f"{name} clean held-out R2: {scores[name]:.4f}")

# %%
# Held-out R² of each model on the clean targets.
fig, ax = plt.subplots(figsize=(8, 3.8))
names = list(scores)
ax.barh(names, [scores[n] for n in names], color=["C3", "C0", "C0", "C7", "C7"])
ax.set_xlim(min(0.0, min(scores.values())), 1.1)
ax.invert_yaxis()
ax.set_xlabel("R² on clean held-out targets")
for i, name in enumerate(names):
    ax.text(max(scores[name], 0) + 0.01, i, f"{scores[name]:.3f}", va="center")
fig.tight_layout()
fig.savefig(out_dir / "robust_regression.png", dpi=100)
plt.close(fig)
print(f"figures written to {out_dir.resolve()}")
