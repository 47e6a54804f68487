"""skfcnn: fully connected neural networks with a scikit-learn API.

The estimators are imported on first use, so that ``import skfcnn.nn`` (the
pure-NumPy core) does not load scikit-learn.
"""

from typing import TYPE_CHECKING

__version__ = "0.2.0.dev0"

if TYPE_CHECKING:  # what type checkers see of the lazy names below
    from .estimators.checkpoint import Checkpoint, load_checkpoint
    from .estimators.classifier import FCNNClassifier
    from .estimators.gradcheck import GradientCheckResult, check_gradients
    from .estimators.regressor import FCNNRegressor
    from .plotting import LossCurveDisplay
    from .tabular.estimators import TabularClassifier, TabularRegressor
    from .tabular.preprocessing import (
        PiecewiseLinearEncoder,
        SmoothClipScaler,
        TabularPreprocessor,
    )

#: Public name -> the module that defines it.
_LAZY = {
    "Checkpoint": "skfcnn.estimators.checkpoint",
    "FCNNClassifier": "skfcnn.estimators.classifier",
    "FCNNRegressor": "skfcnn.estimators.regressor",
    "GradientCheckResult": "skfcnn.estimators.gradcheck",
    "LossCurveDisplay": "skfcnn.plotting",
    "PiecewiseLinearEncoder": "skfcnn.tabular.preprocessing",
    "SmoothClipScaler": "skfcnn.tabular.preprocessing",
    "TabularClassifier": "skfcnn.tabular.estimators",
    "TabularPreprocessor": "skfcnn.tabular.preprocessing",
    "TabularRegressor": "skfcnn.tabular.estimators",
    "check_gradients": "skfcnn.estimators.gradcheck",
    "load_checkpoint": "skfcnn.estimators.checkpoint",
}

__all__ = sorted([*_LAZY, "__version__"])


def __getattr__(name):
    if name in _LAZY:
        import importlib

        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'skfcnn' has no attribute {name!r}")


def __dir__():
    return sorted({*globals(), *_LAZY})
