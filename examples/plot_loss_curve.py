"""
Loss curves, validation curves and the best epoch
=================================================

:class:`~skfcnn.LossCurveDisplay` draws how a fitted estimator trained: the
training objective of every epoch, the validation score of early stopping on
a second y axis (a validation loss shares the training loss's axis), and a
vertical line at the best epoch when the model holds its parameters: the one
early stopping restored (or, with ``restore_best_weights=True`` and no
validation set, the one with the lowest training loss).

Two models are shown side by side:

* an :class:`~skfcnn.FCNNClassifier` on scikit-learn's 8 x 8 digits with
  ``early_stopping=True``: training goes on for ``n_iter_no_change`` epochs
  past the best validation accuracy, then the best epoch's weights come back;
* an :class:`~skfcnn.FCNNRegressor` on a smooth 1-D function, whose loss falls
  over several orders of magnitude: ``log_scale=True`` shows all of them.

Both are :class:`~sklearn.pipeline.Pipeline` objects; the display plots
their last step.

Run ``python plot_loss_curve.py [OUTPUT_DIR]``; the figure is written there.
"""

# %%
# Setup: a non-interactive backend and the output folder (first argument).
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skfcnn import FCNNClassifier, FCNNRegressor, LossCurveDisplay

out_dir = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(".")
out_dir.mkdir(parents=True, exist_ok=True)

# %%
# The classifier: 100 ReLU units, Adam, early stopping on a held-out tenth of
# the training data (stratified); training stops once the validation accuracy
# has not improved for 10 epochs, and the best epoch's weights are restored
# (``restore_best_weights='auto'``).
X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.25, stratify=y, random_state=0)
classifier = make_pipeline(StandardScaler(), FCNNClassifier(
    hidden_layer_sizes=(100,), alpha=0.1, learning_rate_init=0.003, early_stopping=True,
    n_iter_no_change=10, max_iter=300, random_state=0))
classifier.fit(X_train, y_train)
net = classifier[-1]
best = int(np.argmax(net.validation_scores_)) + 1  # the epoch early stopping restored

print(f"epochs: {net.n_iter_}")
print(f"best epoch: {best}")
print(f"best validation accuracy: {net.best_validation_score_:.4f}")
print(f"held-out accuracy: {classifier.score(X_test, y_test):.4f}")

# %%
# The regressor: :math:`y = \sin(2x)` on 400 points of :math:`[-3, 3]`, two
# tanh layers of 32 units, Adam on mini-batches of 50, no validation set.
# With ``tol=0`` training stops once the training loss has not reached a new
# low for ``n_iter_no_change=10`` epochs in a row; the model keeps its last
# epoch, not the one with the lowest training loss (``best_loss_``), as in
# scikit-learn (``restore_best_weights='auto'``), so no epoch is marked.
rng = np.random.default_rng(0)
X_fun = rng.uniform(-3, 3, size=(500, 1))
y_fun = np.sin(2 * X_fun[:, 0])
X_fun_train, X_fun_test, y_fun_train, y_fun_test = train_test_split(
    X_fun, y_fun, test_size=100, random_state=0)
regressor = make_pipeline(StandardScaler(), FCNNRegressor(
    hidden_layer_sizes=(32, 32), activation="tanh", learning_rate_init=0.01,
    batch_size=50, tol=0.0, max_iter=1000, random_state=0))
regressor.fit(X_fun_train, y_fun_train)

print(f"regressor epochs: {regressor[-1].n_iter_}")
print(f"lowest training loss: {regressor[-1].best_loss_:.2e}")
print(f"held-out R2: {regressor.score(X_fun_test, y_fun_test):.4f}")

# %%
# The two displays, one per axes.  The classifier's validation accuracy is on
# the right-hand axis; the dashed line is the restored epoch.  The
# regressor's loss is on a logarithmic axis, with no line: nothing was restored.
fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4.5))
LossCurveDisplay.from_estimator(classifier, ax=left)
display = LossCurveDisplay.from_estimator(regressor, ax=right, log_scale=True)
fig.tight_layout()
fig.savefig(out_dir / "loss_curve_display.png", dpi=100)
plt.close(fig)

print(f"regressor best epoch: {display.best_epoch}")
print(f"figures written to {out_dir.resolve()}")
