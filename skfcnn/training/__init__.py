"""Training: the stochastic loop, its record and rules, and full-batch L-BFGS.

Imports :mod:`skfcnn.nn` only (and from scikit-learn only its warning
classes); receives plain values (arrays, numbers, the network, the optimiser,
a :class:`~skfcnn.training.state.TrainingConfig`), never an estimator.
"""

from .lbfgs import train_lbfgs
from .loop import train
from .state import TrainingConfig, TrainingState

__all__ = ["TrainingConfig", "TrainingState", "train", "train_lbfgs"]
