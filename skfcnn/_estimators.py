"""Where skfcnn 0.1.0 defined the estimators: its pickles name this module."""

from .estimators import FCNNClassifier, FCNNRegressor  # noqa: F401
