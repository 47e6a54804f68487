"""The layout of a network's flat parameter vector.

``W_1, b_1, W_2, b_2, ..., W_L, b_L`` (each weight matrix row-major, of shape
``(n_{l-1}, n_l)``), then the parameters of the hidden layers' steps, layer by
layer, step by step, slot by slot (:class:`~skfcnn.nn.layers.Slot`): with
batch normalisation ``gamma_1, beta_1, gamma_2, beta_2, ...``; last the input
steps' arrays (:mod:`skfcnn.nn.input_steps`, which binds them; ``W_1`` then has a
row per column of their output).  These helpers cut the vector into reshaped
views and hand the steps theirs.
"""

import math

import numpy as np

__all__ = ["n_parameters"]


def n_parameters(layer_sizes):
    """Number of weights and biases of a network with these layer sizes."""
    return sum((a + 1) * b for a, b in zip(layer_sizes[:-1], layer_sizes[1:]))


def _layer_views(flat, layer_sizes):
    """Split ``flat`` into per-layer weight and bias views."""
    coefs, intercepts, start = [], [], 0
    for fan_in, fan_out in zip(layer_sizes[:-1], layer_sizes[1:]):
        stop = start + fan_in * fan_out
        coefs.append(flat[start:stop].reshape(fan_in, fan_out))
        intercepts.append(flat[stop : stop + fan_out])
        start = stop + fan_out
    return coefs, intercepts


def step_slots(hidden_steps, kind):
    """``(step, slot, shape)`` of every ``kind`` slot (``"parameters"`` or
    ``"running"``) of the steps, in their order in the flat vector."""
    return [(step, slot, tuple(step.slot_shape(slot)))
            for steps in hidden_steps for step in steps for slot in getattr(step, kind)]


def n_step_parameters(hidden_steps):
    """Number of parameters of the steps."""
    return sum(math.prod(shape) for _, _, shape in step_slots(hidden_steps, "parameters"))


def bind_step_parameters(hidden_steps, params, grad, start):
    """Give every step views of its parameters in ``params[start:]`` (as attributes
    named by its slots) and of their gradients in ``grad[start:]`` (``<name>_grad``)."""
    for step, slot, shape in step_slots(hidden_steps, "parameters"):
        stop = start + math.prod(shape)
        setattr(step, slot.name, params[start:stop].reshape(shape))
        setattr(step, f"{slot.name}_grad", grad[start:stop].reshape(shape))
        start = stop


def slot_lists(step_classes, hidden_steps, kind, field="views"):
    """``{list name: [the slot's array of each step that has it]}`` of every slot of
    ``step_classes`` naming a network list (its ``field``); empty lists included."""
    lists = {getattr(slot, field): [] for cls in step_classes for slot in getattr(cls, kind)
             if getattr(slot, field) is not None}
    suffix = "_grad" if field == "grad_views" else ""
    for step, slot, _ in step_slots(hidden_steps, kind):
        if getattr(slot, field) is not None:
            lists[getattr(slot, field)].append(getattr(step, slot.name + suffix))
    return lists


def new_running_state(hidden_steps, dtype):
    """``{list name: [a new array of each step's slot]}`` of the steps' running state,
    each at its slot's initial value."""
    lists = {}
    for _, slot, shape in step_slots(hidden_steps, "running"):
        lists.setdefault(slot.views, []).append(np.full(shape, slot.initial, dtype))
    return lists


def bind_running_state(hidden_steps, lists):
    """Give every step its running-state arrays, the next ones of ``lists`` (as
    :func:`new_running_state` made them), as attributes named by its slots."""
    taken = {}
    for step, slot, _ in step_slots(hidden_steps, "running"):
        index = taken[slot.views] = taken.get(slot.views, -1) + 1
        setattr(step, slot.name, lists[slot.views][index])


def bind_steps(step_classes, hidden_steps, params, grad, start, running_lists):
    """Bind every step's parameters (from ``params[start:]``, ``grad[start:]``) and
    running state (from ``running_lists``); returns the parameter view lists the
    slots of ``step_classes`` name (``{"bn_gammas": [...], ...}``)."""
    bind_step_parameters(hidden_steps, params, grad, start)
    bind_running_state(hidden_steps, running_lists)
    return {**slot_lists(step_classes, hidden_steps, "parameters"),
            **slot_lists(step_classes, hidden_steps, "parameters", "grad_views")}


def reset_steps(hidden_steps):
    """Every step's parameters and running state at their slots' initial values."""
    for kind in ("parameters", "running"):
        for step, slot, _ in step_slots(hidden_steps, kind):
            getattr(step, slot.name)[...] = slot.initial


def weight_mask(params, layer_sizes):
    """A vector like ``params``: 1 at every weight of the dense layers of ``layer_sizes``,
    0 elsewhere (the biases, the steps' parameters)."""
    mask = np.zeros_like(params)
    for coef in _layer_views(mask, layer_sizes)[0]:
        coef[...] = 1
    return mask


def copied_arrays(value):
    """``value`` with every array in it (in lists, at any depth) copied."""
    if isinstance(value, list):
        return [copied_arrays(item) for item in value]
    return value.copy() if isinstance(value, np.ndarray) else value
