"""skfcnn: fully connected neural networks with a scikit-learn API."""

from ._estimators import FCNNClassifier, FCNNRegressor

__version__ = "0.1.0"

__all__ = ["FCNNClassifier", "FCNNRegressor", "__version__"]
