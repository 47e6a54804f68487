"""
Two rings, three hidden units: momentum SGD on make_circles
===========================================================

The third seed tutorial trains a 2 -> 3 -> 2 network (logistic hidden layer,
softmax output) on 100 points of :func:`~sklearn.datasets.make_circles` with
full-batch gradient descent and classical momentum (lr 0.02, momentum 0.9,
300 iterations), and shows that every training point ends up on the right side.

Here the same experiment is one :class:`~skfcnn.FCNNClassifier`.  Two
differences in convention:

* the tutorial *summed* the gradient over the 100 samples; ``skfcnn`` (like
  scikit-learn) *averages* it, so the tutorial's lr 0.02 becomes
  ``learning_rate_init=2.0``;
* for two classes the output is one logistic unit (scikit-learn's choice)
  instead of a two-unit softmax; the two are equivalent.

Run ``python plot_circles.py [OUTPUT_DIR]``; the figures are written there.
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
import numpy as np
from scipy.special import expit
from sklearn.datasets import make_circles
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier

from skfcnn import FCNNClassifier

# 300 fixed iterations with tol=0 always "reach max_iter": that is intended here.
warnings.filterwarnings("ignore", category=ConvergenceWarning)

out_dir = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(".")
out_dir.mkdir(parents=True, exist_ok=True)

# %%
# The data: 50 points on an outer ring (class 0) and 50 in the centre (class 1).
X, y = make_circles(n_samples=100, shuffle=False, factor=0.3, noise=0.1, random_state=0)

# %%
# The tutorial's training recipe, spelled with scikit-learn's parameter names:
# one batch of all 100 samples, classical (not Nesterov) momentum, no L2
# penalty, and exactly 300 iterations (``tol=0`` and a huge
# ``n_iter_no_change`` switch early stopping off).
params = dict(
    hidden_layer_sizes=(3,),
    activation="logistic",
    solver="sgd",
    momentum=0.9,
    nesterovs_momentum=False,
    batch_size=100,
    learning_rate_init=2.0,
    max_iter=300,
    tol=0.0,
    n_iter_no_change=1000,
    alpha=0.0,
    random_state=0,
)
clf = FCNNClassifier(**params)
start = time.perf_counter()
clf.fit(X, y)
fit_time = time.perf_counter() - start
train_acc = clf.score(X, y)

# scikit-learn's MLPClassifier with the same settings (and a constant rate).
ref = MLPClassifier(learning_rate="constant", **params)
start = time.perf_counter()
ref.fit(X, y)
ref_time = time.perf_counter() - start

print(f"iterations: {clf.n_iter_}")
print(f"final loss: {clf.loss_curve_[-1]:.6f} (sklearn {ref.loss_curve_[-1]:.6f})")
print(f"training accuracy: {train_acc:.3f}")
print(f"sklearn training accuracy: {ref.score(X, y):.3f}")
print(f"fit time: {fit_time:.3f} s (sklearn {ref_time:.3f} s)")

# %%
# The cost per iteration: a plateau while the hidden units organise, then a
# fast drop once the rings become separable in the hidden space.
fig, ax = plt.subplots(figsize=(6, 4))
ax.plot(np.arange(1, clf.n_iter_ + 1), clf.loss_curve_, label="skfcnn")
ax.plot(np.arange(1, ref.n_iter_ + 1), ref.loss_curve_, "--", label="sklearn MLP")
ax.set_xlabel("iteration")
ax.set_ylabel("cross-entropy")
ax.set_title("Cost per iteration")
ax.legend()
fig.tight_layout()
fig.savefig(out_dir / "circles_loss.png", dpi=100)
plt.close(fig)

# %%
# The decision boundary over a 200 x 200 grid on [-2, 2]^2.
grid = np.linspace(-2, 2, 200)
xx, yy = np.meshgrid(grid, grid)
proba = clf.predict_proba(np.c_[xx.ravel(), yy.ravel()])[:, 1].reshape(xx.shape)

fig, ax = plt.subplots(figsize=(5, 5))
ax.contourf(xx, yy, proba, levels=[0, 0.5, 1], colors=["#f4c7c3", "#c6dbef"], alpha=0.8)
ax.contour(xx, yy, proba, levels=[0.5], colors="k", linewidths=1)
ax.scatter(X[y == 0, 0], X[y == 0, 1], c="tab:red", edgecolor="k", label="class 0 (ring)")
ax.scatter(X[y == 1, 0], X[y == 1, 1], c="tab:blue", edgecolor="k", label="class 1 (centre)")
ax.set_xlim(-2, 2)
ax.set_ylim(-2, 2)
ax.set_aspect("equal")
ax.set_title(f"Decision boundary (train accuracy {train_acc:.2f})")
ax.legend(loc="upper right", fontsize="small")
fig.tight_layout()
fig.savefig(out_dir / "circles_decision_boundary.png", dpi=100)
plt.close(fig)

# %%
# The inputs projected onto the three hidden units.  In this space a plane
# separates the centre from the ring, which is all the output unit can draw.
hidden = expit(X @ clf.coefs_[0] + clf.intercepts_[0])

fig = plt.figure(figsize=(6, 5))
ax = fig.add_subplot(projection="3d")
ax.scatter(*hidden[y == 0].T, c="tab:red", edgecolor="k", label="class 0 (ring)")
ax.scatter(*hidden[y == 1].T, c="tab:blue", edgecolor="k", label="class 1 (centre)")
ax.set_xlabel("$h_1$")
ax.set_ylabel("$h_2$")
ax.set_zlabel("$h_3$")
ax.set_title("Inputs projected onto the hidden layer")
ax.legend(fontsize="small")
fig.tight_layout()
fig.savefig(out_dir / "circles_hidden_3d.png", dpi=100)
plt.close(fig)

print(f"figures written to {out_dir.resolve()}")
