"""skfcnn: fully connected neural networks with a scikit-learn API."""

from ._estimators import FCNNClassifier, FCNNRegressor
from ._gradcheck import GradientCheckResult, check_gradients

__version__ = "0.1.0"

__all__ = [
    "FCNNClassifier",
    "FCNNRegressor",
    "GradientCheckResult",
    "__version__",
    "check_gradients",
]
