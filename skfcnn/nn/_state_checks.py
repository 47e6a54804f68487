"""What a loaded :class:`~skfcnn.nn.network.Network` state must be.

A pickle or a skops file is data from outside: every array is checked against
the layer sizes and the dtype the state declares, the parameters and running
statistics must be finite, and every name must be one the registries know.  A
state that fails gets a ``ValueError`` naming its field, never a network that
predicts (a parameter vector two entries short would otherwise give an output
bias of shape ``(1,)``, broadcast silently).
"""

import numbers

import numpy as np

from ._layout import n_parameters
from ._protocols import Activation
from .activations import ACTIVATIONS, check_hidden_activations
from .dropout import check_dropout

__all__ = ["StateError", "checked_network_state"]

FLOAT_DTYPES = (np.dtype(np.float64), np.dtype(np.float32))


class StateError(ValueError):
    """A loaded state that does not hold together; ``field`` names the bad entry."""

    def __init__(self, field, problem):
        super().__init__(f"The loaded state is invalid: {field} {problem}. The file is "
                         "damaged or was not written by skfcnn; refit the model or load "
                         "another file.")
        self.field = field


def _array(value, name, shape, dtype):
    """``value``: an ndarray of ``shape`` and ``dtype`` with finite values."""
    if not isinstance(value, np.ndarray):
        raise StateError(name, f"is {type(value).__name__}, not an ndarray")
    if value.shape != shape:
        raise StateError(name, f"has shape {value.shape}; the layer sizes need {shape}")
    if value.dtype != dtype:
        raise StateError(name, f"has dtype {value.dtype}; the state declares {dtype}")
    if not np.isfinite(value).all():
        raise StateError(name, "holds non-finite values (NaN or infinity)")
    return value


def _layer_sizes(state):
    sizes = state.get("layer_sizes")
    if (not isinstance(sizes, (tuple, list)) or len(sizes) < 2
            or not all(isinstance(n, numbers.Integral) and not isinstance(n, bool) and n >= 1
                       for n in sizes)):
        raise StateError("_network.layer_sizes", f"is {sizes!r}; expected a tuple of at "
                                                 "least two positive ints")
    return tuple(int(n) for n in sizes)


def _options(state, n_hidden):
    """The activations and dropout rates: known names or objects, one per hidden layer."""
    output = state.get("output_activation")
    if not isinstance(output, str) or output not in ACTIVATIONS:
        raise StateError("_network.output_activation",
                         f"is {output!r}; expected one of {sorted(ACTIVATIONS)}")
    for field, check in (("hidden_activations", check_hidden_activations),
                         ("dropout_rates", check_dropout)):
        value = state.get(field)
        if not isinstance(value, (tuple, list)) or len(value) != n_hidden:
            raise StateError(f"_network.{field}", f"is {value!r}; expected one entry per "
                                                  f"hidden layer ({n_hidden})")
        try:
            check(value, n_hidden)
        except (TypeError, ValueError) as error:
            raise StateError(f"_network.{field}", f"is {value!r}: {error}") from None


def checked_network_state(state):
    """``state`` (a network's ``__getstate__()``, older formats completed with their
    defaults) once every field is checked; ``StateError`` naming the first bad one."""
    if not isinstance(state, dict):
        raise StateError("_network", f"is {type(state).__name__}, not a network's state")
    layer_sizes = _layer_sizes(state)
    n_hidden = len(layer_sizes) - 2
    if "hidden_activations" not in state:  # pickled before the options existed
        state["hidden_activations"] = check_hidden_activations(
            state.get("hidden_activation"), n_hidden)
    for field, default in (("dropout", 0.0), ("dropout_rates", (0.0,) * n_hidden),
                           ("batch_norm", False), ("running_means", []),
                           ("running_vars", [])):
        state.setdefault(field, default)
    _options(state, n_hidden)
    dtype = state.get("dtype")
    if not isinstance(dtype, np.dtype) or dtype not in FLOAT_DTYPES:
        raise StateError("_network.dtype", f"is {dtype!r}; expected float64 or float32")
    hidden = layer_sizes[1:-1] if state["batch_norm"] is True else ()
    if not isinstance(state["batch_norm"], bool):
        raise StateError("_network.batch_norm", f"is {state['batch_norm']!r}, not a bool")
    size = n_parameters(layer_sizes) + 2 * sum(hidden)
    for field in ("params", "grad") if "grad" in state else ("params",):
        _array(state.get(field), f"_network.{field}", (size,), dtype)
    state.setdefault("grad", np.zeros_like(state["params"]))  # not saved: a buffer
    for field in ("running_means", "running_vars"):
        values = state[field]
        if not isinstance(values, list) or len(values) != len(hidden):
            raise StateError(f"_network.{field}", f"holds {_count(values)} arrays; "
                                                  f"expected {len(hidden)}")
        for i, n in enumerate(hidden):
            _array(values[i], f"_network.{field}[{i}]", (n,), dtype)
    if any((var < 0).any() for var in state["running_vars"]):
        raise StateError("_network.running_vars", "holds negative variances")
    return state


def _count(values):
    return len(values) if isinstance(values, (list, tuple)) else type(values).__name__
