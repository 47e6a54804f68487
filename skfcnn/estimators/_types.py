"""The types of the estimators' parameters and arguments, for annotations.

Aliases only: nothing here is checked at run time (``_parameter_constraints``
does that).  Sparse matrices are accepted wherever ``ArrayLike`` is written for
``X``; SciPy has no type stubs, so a type checker sees them as ``Any``.
"""

from collections.abc import Callable, Mapping, Sequence
from typing import Any, Literal, TypeVar

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ..nn._protocols import Activation, Loss
from ..nn.optimizers import Optimizer
from ..training.callbacks import Callback

__all__ = ["ActivationParam", "ArrayLike", "BatchSizeParam", "CallbackParam",
           "ClassWeightParam", "DropoutParam", "FloatArray", "HiddenLayerSizes", "LossParam",
           "Method", "RandomStateParam", "ScheduleParam", "SolverParam"]

#: ``hidden_layer_sizes``: one width per hidden layer (an int for one layer).
HiddenLayerSizes = int | Sequence[int]
#: ``activation``: a registered name or an object, for every hidden layer or one each.
ActivationParam = str | Activation | Sequence[str | Activation]
#: ``solver``: a registered name, or an optimiser object.
SolverParam = str | Optimizer
#: ``learning_rate``: a registered schedule's name, or a schedule ``step -> rate``.
ScheduleParam = str | Callable[[int], float]
#: ``loss``: a registered name, or a loss object.
LossParam = str | Loss
#: ``batch_size``: a number of rows, or ``"auto"``.
BatchSizeParam = int | Literal["auto"]
#: ``dropout``: one rate for every hidden layer, or one each.
DropoutParam = float | Sequence[float]
#: ``random_state``: scikit-learn's.
RandomStateParam = int | np.random.RandomState | None
#: ``class_weight``: a weight per class, ``"balanced"`` or ``None``.
ClassWeightParam = Mapping[Any, float] | Literal["balanced"] | None
#: ``callbacks``: hook objects or plain callables ``history -> stop``.
CallbackParam = Sequence[Callback | Callable[[dict], Any]] | None
#: What ``predict_proba``, ``transform`` and a regressor's ``predict`` return.
FloatArray = NDArray[np.floating]
#: A method a decorator returns with its signature unchanged.
Method = TypeVar("Method", bound=Callable[..., Any])
