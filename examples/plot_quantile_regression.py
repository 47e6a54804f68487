"""
Quantile regression: a 5-95 % prediction interval from one network
==================================================================

``FCNNRegressor(loss="quantile", quantile=[0.05, 0.5, 0.95])`` fits three
conditional quantiles with one network, one output each (the pinball loss,
:ref:`robust-quantile` in the user guide).  The data are seed 5's 2-D function
:math:`f(x, y) = \\sin x + x \\cos y + y + 3^{x/3}` on :math:`[-10, 10]^2` with
noise that grows with :math:`|x|` (standard deviation :math:`0.5 + 0.3 |x|`),
so a good interval must widen towards both ends of :math:`x`.

Against scikit-learn's quantile tools on the same data, one model per
quantile: :class:`~sklearn.ensemble.HistGradientBoostingRegressor` with
``loss="quantile"`` and the linear
:class:`~sklearn.linear_model.QuantileRegressor`.  Held-out figures: the
coverage of the 5-95 % interval (0.90 is right) and the mean pinball loss
over the three quantiles (lower is better).

Run ``python plot_quantile_regression.py [OUTPUT_DIR]``; the figure is written there.
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
from sklearn.compose import TransformedTargetRegressor
from sklearn.ensemble import HistGradientBoostingRegressor
from sklearn.linear_model import QuantileRegressor
from sklearn.metrics import mean_pinball_loss
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skfcnn import FCNNRegressor

out_dir = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(".")
out_dir.mkdir(parents=True, exist_ok=True)
QUANTILES = [0.05, 0.5, 0.95]


def seed5(points):
    x, y = points[:, 0], points[:, 1]
    return np.sin(x) + x * np.cos(y) + y + 3 ** (x / 3)


def noisy(points, rng):
    return seed5(points) + (0.5 + 0.3 * np.abs(points[:, 0])) * rng.standard_normal(len(points))


# %%
# 2000 training points, 10000 held out.
rng = np.random.default_rng(0)
X_train, X_test = rng.uniform(-10, 10, (2000, 2)), rng.uniform(-10, 10, (10000, 2))
y_train, y_test = noisy(X_train, rng), noisy(X_test, rng)

# %%
# Ours: inputs and target standardised (quantiles move with an affine map of
# the target), three layers of 64 GELU units, Adam.  The pinball loss falls
# slowly for long: ``n_iter_no_change=30`` lets training go on past the first
# plateau.
ours = TransformedTargetRegressor(
    regressor=make_pipeline(StandardScaler(), FCNNRegressor(
        loss="quantile", quantile=QUANTILES, hidden_layer_sizes=(64, 64, 64),
        activation="gelu", learning_rate_init=0.003, max_iter=1000, n_iter_no_change=30,
        random_state=0)),
    transformer=StandardScaler())


def per_quantile(make):
    """One scikit-learn model per quantile, their predictions side by side."""
    models = [make(q).fit(X_train, y_train) for q in QUANTILES]
    return lambda X: np.column_stack([model.predict(X) for model in models])


with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # convergence of the last epochs
    ours.fit(X_train, y_train)
    predictors = {
        "ours": ours.predict,
        "HistGradientBoosting": per_quantile(lambda q: HistGradientBoostingRegressor(
            loss="quantile", quantile=q, random_state=0)),
        "QuantileRegressor": per_quantile(lambda q: QuantileRegressor(
            quantile=q, alpha=0.0, solver="highs")),
    }

predictions = {name: predict(X_test) for name, predict in predictors.items()}
for name, pred in predictions.items():
    coverage = np.mean((y_test >= pred[:, 0]) & (y_test <= pred[:, 2]))
    pinball = np.mean([mean_pinball_loss(y_test, pred[:, i], alpha=q)
                       for i, q in enumerate(QUANTILES)])
    crossing = np.mean(np.diff(pred, axis=1) < 0)
    print(f"{name} coverage of the 5-95% interval: {coverage:.3f}")
    print(f"{name} mean pinball loss: {pinball:.4f}")
    print(f"{name} crossing quantiles: {crossing:.4f}")

# %%
# The intervals along :math:`x` at :math:`y = 0`, with the true 5 % and 95 %
# quantiles of the noise (:math:`f \\pm 1.645\\,\\sigma(x)`).
line = np.column_stack([np.linspace(-10, 10, 400), np.zeros(400)])
sigma = 0.5 + 0.3 * np.abs(line[:, 0])
fig, axes = plt.subplots(1, 3, figsize=(15, 4.2), sharey=True)
for ax, (name, predict) in zip(axes, predictors.items()):
    pred = predict(line)
    ax.fill_between(line[:, 0], seed5(line) - 1.645 * sigma, seed5(line) + 1.645 * sigma,
                    color="grey", alpha=0.25, label="true 5-95 %")
    ax.plot(line[:, 0], pred[:, 1], color="C0", label="predicted median")
    ax.plot(line[:, 0], pred[:, 0], color="C1", lw=1, label="predicted 5 % and 95 %")
    ax.plot(line[:, 0], pred[:, 2], color="C1", lw=1)
    ax.set_title(name)
    ax.set_xlabel("x (y = 0)")
axes[0].legend(loc="upper left")
fig.tight_layout()
fig.savefig(out_dir / "quantile_regression.png", dpi=100)
plt.close(fig)
print(f"figures written to {out_dir.resolve()}")
