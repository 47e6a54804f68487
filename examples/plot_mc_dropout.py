"""
Monte Carlo dropout: an uncertainty that grows away from the data
=================================================================

A regressor trained with dropout can leave dropout on at prediction time:
``predict(X, return_std=True)`` runs 100 forward passes with new masks and
returns their mean and standard deviation (:ref:`mc-dropout` in the user
guide).  Here the target is :math:`x \\sin x` with noise 0.3, observed on
:math:`[-5, 5]`; the predictions go on to :math:`[-8, 8]`, where the network
has seen nothing.  The spread should be small where the data are and grow
outside, and rank the points by how wrong the mean is.

The nearest tool of scikit-learn is
:class:`~sklearn.gaussian_process.GaussianProcessRegressor` (its
``predict(X, return_std=True)`` is the convention we follow), fitted to the
same data.  Both are held against the true function on a grid.

Run ``python plot_mc_dropout.py [OUTPUT_DIR]``; the figure is written there.
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
from scipy.stats import spearmanr
from sklearn.gaussian_process import GaussianProcessRegressor
from sklearn.gaussian_process.kernels import RBF, ConstantKernel, WhiteKernel
from sklearn.metrics import r2_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skfcnn import FCNNRegressor

out_dir = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(".")
out_dir.mkdir(parents=True, exist_ok=True)


def target(x):
    return x * np.sin(x)


# %%
# Data: 500 noisy points on [-5, 5]; a grid on [-8, 8] to predict.
rng = np.random.default_rng(0)
X = rng.uniform(-5, 5, size=(500, 1))
y = target(X[:, 0]) + 0.3 * rng.standard_normal(500)
grid = np.linspace(-8, 8, 321).reshape(-1, 1)
inside = np.abs(grid[:, 0]) <= 5

# %%
# Ours: two layers of 128 ReLU units with dropout 0.1, Adam.  The Gaussian
# process: a scaled RBF kernel plus white noise, its hyper-parameters fitted
# by maximum likelihood.
ours = make_pipeline(StandardScaler(), FCNNRegressor(
    hidden_layer_sizes=(128, 128), dropout=0.1, learning_rate_init=0.003, max_iter=400,
    random_state=0))
gp = GaussianProcessRegressor(ConstantKernel() * RBF() + WhiteKernel(), normalize_y=True,
                              random_state=0)
with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # the GP's kernel bounds, the network's last epochs
    ours.fit(X, y)
    gp.fit(X, y)

results = {}
for name, model in [("MC dropout", ours), ("GP", gp)]:
    mean, std = model.predict(grid, return_std=True)
    error = np.abs(mean - target(grid[:, 0]))
    results[name] = mean, std
    print(f"{name} R2 inside the training range: "
          f"{r2_score(target(grid[inside, 0]), mean[inside]):.4f}")
    print(f"{name} mean std inside: {std[inside].mean():.3f}")
    print(f"{name} mean std outside: {std[~inside].mean():.3f}")
    print(f"{name} std ratio outside/inside: {std[~inside].mean() / std[inside].mean():.2f}")
    print(f"{name} mean abs error outside: {error[~inside].mean():.3f}")
    print(f"{name} Spearman(std, abs error): {spearmanr(std, error).statistic:.3f}")

# %%
# Both spreads grow outside [-5, 5] and rank the grid points by their error
# about as well; neither is calibrated far from the data (the error there is
# several times the standard deviation): an uncertainty of the model, to be
# read as a warning, not as an interval of the target (for that, see the
# quantile regression example).
fig, axes = plt.subplots(1, 2, figsize=(12, 4.5), sharey=True)
for ax, (name, (mean, std)) in zip(axes, results.items()):
    ax.plot(grid[:, 0], target(grid[:, 0]), color="black", lw=1, label="x sin x")
    ax.scatter(X[:, 0], y, s=4, color="grey", alpha=0.5, label="training data")
    ax.plot(grid[:, 0], mean, color="C0", label="mean")
    ax.fill_between(grid[:, 0], mean - 2 * std, mean + 2 * std, color="C0", alpha=0.25,
                    label="mean ± 2 std")
    ax.axvspan(-8, -5, color="C3", alpha=0.05)
    ax.axvspan(5, 8, color="C3", alpha=0.05)
    ax.set_ylim(-12, 12)
    ax.set_title(name)
    ax.set_xlabel("x")
axes[0].legend(loc="upper center")
fig.tight_layout()
fig.savefig(out_dir / "mc_dropout.png", dpi=100)
plt.close(fig)
print(f"figures written to {out_dir.resolve()}")
