"""The scikit-learn contract: parameters and their constraints, validation,
labels, tags and shared docstrings; builds the core's objects from the
registries of :mod:`skfcnn.nn` and trains them with :mod:`skfcnn.training`."""

from .classifier import FCNNClassifier
from .gradcheck import GradientCheckResult, check_gradients
from .regressor import FCNNRegressor

__all__ = ["FCNNClassifier", "FCNNRegressor", "GradientCheckResult", "check_gradients"]
