"""skfcnn: fully connected neural networks with a scikit-learn API."""

__version__ = "0.1.0"

__all__ = ["__version__"]
