"""A fitted estimator as plain data, for pickle and skops alike.

``BaseFCNN.__getstate__`` passes the estimator's attributes through
:func:`to_plain` and ``__setstate__`` through :func:`from_plain`.  Plain data
is what skops can load without trusting any type but the estimator's own:
dicts, lists, tuples, strings, numbers, NumPy arrays and random generators
(and scikit-learn's own estimators, e.g. a multilabel model's ``LabelBinarizer``,
which skops trusts).
What is not plain is turned into a tagged dict ``{"__skfcnn__": kind, ...}``:

* the :class:`~skfcnn.nn.network.Network`: its options, its flat parameter
  vector and its layer steps' running state (batch norm's running statistics,
  in the lists the steps name; the gradient vector, a buffer, is not stored
  but rebuilt as zeros: the file is half as large);
* the :class:`~skfcnn.training.state.TrainingState` and the
  :class:`~skfcnn.nn.optimizers.OptimizerState`: their attributes;
* NumPy dtypes: their ``str``;
* an object of a class in one of the public registries (an optimiser, a
  schedule, an activation, a loss, an input step), a parameter or a fitted
  attribute: the registry, the name and the object's attributes.

Loading rebuilds objects only from these kinds and these registries, so a
file names no class to import: an object of any other class (a user's
callback, say) is left to pickle or skops as it is, and skops asks the user to
trust its type.
"""

import numpy as np

from ..nn._state_checks import StateError
from ..nn.activations import ACTIVATIONS
from ..nn.input_steps import INPUT_STEPS
from ..nn.losses import LOSSES
from ..nn.network import Network
from ..nn.optimizers import OPTIMIZERS, OptimizerState
from ..nn.schedules import SCHEDULES
from ..training.state import TrainingState

__all__ = ["REGISTRIES", "from_plain", "saved_format", "to_plain"]

#: The registries whose classes an object is rebuilt from, by registry and entry name.
REGISTRIES = {"activations": ACTIVATIONS, "losses": LOSSES, "optimizers": OPTIMIZERS,
              "schedules": SCHEDULES, "input_steps": INPUT_STEPS}

TAG = "__skfcnn__"


def _class_of(entry):
    """The class of a registry entry: the entry itself or, for an instance, its type."""
    return entry if isinstance(entry, type) else type(entry)


def _registry_key(value):
    """``(registry, name)`` of the first entry whose class is ``type(value)``, or None."""
    for registry, entries in REGISTRIES.items():
        for name, entry in entries.items():
            if _class_of(entry) is type(value):
                return registry, name
    return None


def _attributes(obj):
    """What pickle stores of ``obj``: its ``__getstate__()`` (``None`` for no attributes)."""
    state = obj.__getstate__() if hasattr(obj, "__getstate__") else vars(obj)
    return {} if state is None else state


def to_plain(value):
    """``value`` with every network, record, optimiser state, dtype and registered
    object inside it (in dicts, lists and tuples) turned into tagged plain data."""
    if type(value) is dict:
        return {key: to_plain(item) for key, item in value.items()}
    if type(value) in (list, tuple):
        items = [to_plain(item) for item in value]
        return items if isinstance(value, list) else tuple(items)
    if isinstance(value, np.dtype):
        return {TAG: "dtype", "str": value.str}
    if isinstance(value, Network):
        state = {k: v for k, v in value.__getstate__().items() if k != "grad"}
        return {TAG: "network", "state": to_plain(state)}
    if type(value) in (TrainingState, OptimizerState):
        kind = "training_state" if type(value) is TrainingState else "optimizer_state"
        return {TAG: kind, "state": to_plain(_attributes(value))}
    key = None if isinstance(value, (str, int, float, np.ndarray)) else _registry_key(value)
    if key is not None:
        return {TAG: "registered", "registry": key[0], "name": key[1],
                "state": to_plain(_attributes(value))}
    return value


def _restore(cls, state):
    obj = cls.__new__(cls)
    if hasattr(obj, "__setstate__"):
        obj.__setstate__(state)
    else:
        vars(obj).update(state)
    return obj


def _registered(value, name):
    registry, entry = value["registry"], value["name"]
    entries = REGISTRIES.get(registry, {})
    if entry not in entries:
        raise StateError(name, f"is an object of {registry!r} entry {entry!r}, which this "
                               "process has not registered; register it before loading")
    return _restore(_class_of(entries[entry]), from_plain(value["state"], f"{name}."))


def _network(value, name):
    return _restore(Network, from_plain(value["state"], f"{name}."))  # checks its fields


_BUILDERS = {
    "dtype": lambda value, name: np.dtype(value["str"]),
    "network": _network,
    "training_state": lambda value, name: _restore(TrainingState,
                                                   from_plain(value["state"], f"{name}.")),
    "optimizer_state": lambda value, name: _restore(OptimizerState,
                                                    from_plain(value["state"], f"{name}.")),
    "registered": _registered,
}


def _built(value, name):
    """A tagged entry rebuilt; ``StateError`` naming it when it lost a key or holds a
    value its builder refuses (the network names its own fields)."""
    try:
        return _BUILDERS[value[TAG]](value, name)
    except KeyError as error:
        raise StateError(name, f"(a {value[TAG]!r} entry) has no {error.args[0]!r} "
                               "key") from None
    except TypeError as error:  # e.g. a dtype string NumPy does not know
        raise StateError(name, f"(a {value[TAG]!r} entry) is invalid: {error}") from None


def from_plain(value, name=""):
    """The inverse of :func:`to_plain`: tagged dicts rebuilt, the rest as it is;
    ``name`` is where ``value`` sits in the state, for the errors."""
    if type(value) is dict:
        if value.get(TAG) in _BUILDERS:
            return _built(value, name.rstrip("."))
        return {key: from_plain(item, f"{name}{key}.") for key, item in value.items()}
    if type(value) in (list, tuple):
        items = [from_plain(item, f"{name.rstrip('.')}[{index}].")
                 for index, item in enumerate(value)]
        return items if isinstance(value, list) else tuple(items)
    return value


def saved_format(state, newest):
    """The format of a saved estimator ``state`` (taken out of it): 1 for the first
    pickles, which did not record it; ``StateError`` for a format this version cannot
    read, or a missing one in a state of tagged plain data (format 3 on)."""
    if "_skfcnn_pickle_format" not in state:
        if any(type(value) is dict and TAG in value for value in state.values()):
            raise StateError("_skfcnn_pickle_format", "is missing from a state of format "
                                                      "3 or later")
        return 1
    saved = state.pop("_skfcnn_pickle_format")
    if isinstance(saved, bool) or not isinstance(saved, int) or not 1 <= saved <= newest:
        raise StateError("_skfcnn_pickle_format", f"is {saved!r}; this skfcnn reads "
                                                  f"formats 1 to {newest}")
    return saved
