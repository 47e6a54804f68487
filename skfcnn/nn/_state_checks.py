"""What a loaded :class:`~skfcnn.nn.network.Network` state must be.

A pickle or a skops file is data from outside: every array is checked against
the layer sizes and the dtype the state declares, the parameters and running
statistics must be finite, and every name must be one the registries know.  A
state that fails gets a ``ValueError`` naming its field, never a network that
predicts (a parameter vector two entries short would otherwise give an output
bias of shape ``(1,)``, broadcast silently).
"""

import numbers
from types import SimpleNamespace

import numpy as np

from . import layers
from ._layout import n_parameters, n_step_parameters, slot_lists, step_slots
from .activations import ACTIVATIONS, check_hidden_activations
from .dropout import check_dropout
from .input_steps import check_input_steps, dense_sizes, n_input_parameters, n_members

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
                           ("batch_norm", False), ("input_steps", ())):
        state.setdefault(field, default)
    _options(state, n_hidden)
    dtype = state.get("dtype")
    if not isinstance(dtype, np.dtype) or dtype not in FLOAT_DTYPES:
        raise StateError("_network.dtype", f"is {dtype!r}; expected float64 or float32")
    if not isinstance(state["batch_norm"], bool):
        raise StateError("_network.batch_norm", f"is {state['batch_norm']!r}, not a bool")
    sizes, n_input = _input_layout(state, layer_sizes)
    steps = _planned_steps(state, layer_sizes)
    size = n_parameters(sizes) + n_step_parameters(steps) + n_input
    for field in ("params", "grad") if "grad" in state else ("params",):
        _array(state.get(field), f"_network.{field}", (size,), dtype)
    state.setdefault("grad", np.zeros_like(state["params"]))  # not saved: a buffer
    _check_running_state(state, steps, dtype)
    return state


def _planned_steps(state, layer_sizes):
    """The layer steps the state's options build (:data:`~skfcnn.nn.layers.LAYER_STEPS`),
    whose slots say what the parameter vector and the running state hold."""
    options = SimpleNamespace(**state)
    options.layer_sizes, options.n_hidden = layer_sizes, len(layer_sizes) - 2
    options.n_members = n_members(state["input_steps"])  # checked by _input_layout
    try:
        return [layers.build_steps(options, layer) for layer in range(options.n_hidden)]
    except (AttributeError, TypeError, ValueError) as error:
        raise StateError("_network", f"does not build its layer steps: {error}") from None


def _input_layout(state, layer_sizes):
    """The dense layers' sizes and the number of the input steps' parameters that the
    state's ``input_steps`` (:mod:`~skfcnn.nn.input_steps`) give on its features."""
    steps = state["input_steps"]
    try:
        steps = state["input_steps"] = check_input_steps(steps)
        return dense_sizes(layer_sizes, steps), n_input_parameters(steps, layer_sizes[0])
    except (AttributeError, TypeError, ValueError) as error:
        raise StateError("_network.input_steps", f"is {steps!r}: {error}") from None


def _check_running_state(state, steps, dtype):
    """Each step's running-state list (e.g. ``running_means``): one array per step
    that has it, of its slot's shape and the state's dtype, finite, and what the
    step's ``check_running`` asks (batch norm: no negative variance)."""
    for name in slot_lists(layers.LAYER_STEPS, (), "running"):
        state.setdefault(name, [])  # pickled before the step existed: no such steps
    expected = {}
    for step, slot, shape in step_slots(steps, "running"):
        expected.setdefault(slot.views, []).append((type(step), slot, shape))
    for name in slot_lists(layers.LAYER_STEPS, (), "running"):
        values, wanted = state[name], expected.get(name, [])
        if not isinstance(values, list) or len(values) != len(wanted):
            raise StateError(f"_network.{name}", f"holds {_count(values)} arrays; "
                                                 f"expected {len(wanted)}")
        for i, (_, _, shape) in enumerate(wanted):
            _array(values[i], f"_network.{name}[{i}]", shape, dtype)
        for value, (step_class, slot, _) in zip(values, wanted):
            problem = step_class.check_running(slot, value)
            if problem:
                raise StateError(f"_network.{name}", problem)


def _count(values):
    return len(values) if isinstance(values, (list, tuple)) else type(values).__name__
