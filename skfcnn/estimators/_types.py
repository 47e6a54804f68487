"""The types of the estimators' parameters and arguments, for annotations.

Aliases only: nothing here is checked at run time (``_parameter_constraints``
does that), but every name resolves at run time, so that the modules import
these at their top and ``typing.get_type_hints`` reads their annotations
(sphinx-autodoc-typehints, beartype, typeguard, pydantic).  ``ArrayLike`` is
what ``X`` may be: NumPy's array-likes or a SciPy sparse matrix or array
(``SparseMatrix``).  SciPy ships no annotations: mypy
sees a sparse matrix as ``Any``, while pyright reads SciPy's source and needs
it accepted.

A string option with a fixed set of values is a ``Literal`` of exactly the
values its constraint accepts (a test compares them), so a type checker
reports a misspelt one.  The names of a public registry (``activation``,
``solver``, ``learning_rate``, ``loss``) are plain ``str``: a name a user
registers is valid at run time, so a ``Literal`` of the built-in names would
reject correct code.
"""

import sys
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal, Protocol, TypeVar

import numpy as np
from numpy.typing import ArrayLike as NumpyArrayLike
from numpy.typing import NDArray

from ..nn._protocols import Activation, Loss
from ..nn.input_steps import InputStep
from ..nn.optimizers import Optimizer
from ..training.callbacks import Callback

if sys.version_info >= (3, 11):
    from typing import Self
elif TYPE_CHECKING:
    from typing_extensions import Self
else:  # Python 3.10 at run time: typing_extensions is not a dependency
    try:
        from typing_extensions import Self
    except ImportError:  # what typing.get_type_hints then reports for the estimators' fit
        Self = Any

__all__ = ["ActivationParam", "ArrayLike", "BatchSizeParam", "CallbackParam",
           "ClassWeightParam", "DropoutParam", "FloatArray", "HiddenLayerSizes", "InitParam",
           "InputStepsParam", "LossParam", "Method", "MonitorParam", "RandomStateParam",
           "RestoreParam", "ScheduleParam", "Self", "SolverParam", "SparseMatrix"]


class SparseMatrix(Protocol):
    """A SciPy sparse matrix or array, recognised by a method rather than its class,
    so that ``ArrayLike`` has no ``Any`` in it where SciPy is untyped (mypy still
    reports ``X=object()``)."""

    def tocsr(self) -> Any: ...


#: The data arguments: an array-like, or (``X``) a sparse matrix or array.
ArrayLike = NumpyArrayLike | SparseMatrix
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
#: ``init``: an initialiser of :data:`skfcnn.nn.initializers.INITIALIZERS` (not an
#: extension point: the estimators accept the names it has when they are imported).
InitParam = Literal["glorot_uniform", "glorot_normal", "he_uniform", "he_normal", "normal",
                    "uniform", "zeros"]
#: ``monitor``: what early stopping and ``restore_best_weights`` watch.
MonitorParam = Literal["auto", "score", "loss"]
#: ``restore_best_weights``: a bool, or ``"auto"`` (restore with early stopping only).
RestoreParam = bool | Literal["auto"]
#: ``random_state``: scikit-learn's.
RandomStateParam = int | np.random.RandomState | None
#: ``class_weight``: a weight per class, ``"balanced"`` or ``None``.
ClassWeightParam = Mapping[Any, float] | Literal["balanced"] | None
#: ``callbacks``: hook objects or plain callables ``history -> stop``.
CallbackParam = Sequence[Callback | Callable[[dict], Any]] | None
#: ``input_steps``: the steps before the first dense layer, in order, or ``None``.
InputStepsParam = Sequence[InputStep] | None
#: What ``predict_proba``, ``transform`` and a regressor's ``predict`` return.
FloatArray = NDArray[np.floating]
#: A method a decorator returns with its signature unchanged.
Method = TypeVar("Method", bound=Callable[..., Any])
