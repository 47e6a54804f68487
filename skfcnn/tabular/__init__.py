"""The table recipe: the tabular estimators and the preprocessing transformers
for raw tables (numeric, categorical and missing values), each usable on its own.

Nothing else in skfcnn imports this package; it builds on
:mod:`skfcnn.estimators` and :mod:`skfcnn.nn`.
"""

from .estimators import TabularClassifier, TabularRegressor
from .preprocessing import (
    NUMERIC_SCALERS,
    PiecewiseLinearEncoder,
    SmoothClipScaler,
    TabularPreprocessor,
)

__all__ = ["NUMERIC_SCALERS", "PiecewiseLinearEncoder", "SmoothClipScaler",
           "TabularClassifier", "TabularPreprocessor", "TabularRegressor"]
