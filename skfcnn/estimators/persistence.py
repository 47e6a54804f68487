"""A fitted estimator as plain data, for pickle and skops alike.

``BaseFCNN.__getstate__`` passes the estimator's attributes through
:func:`to_plain` and ``__setstate__`` through :func:`from_plain`.  Plain data
is what skops can load without trusting any type but the estimator's own:
dicts, lists, tuples, strings, numbers, NumPy arrays and random generators
(and scikit-learn's own estimators, e.g. a multilabel model's ``LabelBinarizer``,
which skops trusts).
What is not plain is turned into a tagged dict ``{"__skfcnn__": kind, ...}``:

* the :class:`~skfcnn.nn.network.Network`: its options, its flat parameter
  vector and its batch-norm running statistics (the gradient vector, a
  buffer, is not stored but rebuilt as zeros: the file is half as large);
* the :class:`~skfcnn.training.state.TrainingState` and the
  :class:`~skfcnn.nn.optimizers.OptimizerState`: their attributes;
* NumPy dtypes: their ``str``;
* an object of a class in one of the public registries (an optimiser, a
  schedule, an activation, a loss), a parameter or a fitted attribute: the
  registry, the name and the object's attributes.

Loading rebuilds objects only from these kinds and these registries, so a
file names no class to import: an object of any other class (a user's
callback, say) is left to pickle or skops as it is, and skops asks the user to
trust its type.
"""

import numpy as np

from ..nn.activations import ACTIVATIONS
from ..nn.losses import LOSSES
from ..nn.network import Network
from ..nn.optimizers import OPTIMIZERS, OptimizerState
from ..nn.schedules import SCHEDULES
from ..training.state import TrainingState

__all__ = ["REGISTRIES", "from_plain", "to_plain"]

#: The registries whose classes an object is rebuilt from, by registry and entry name.
REGISTRIES = {"activations": ACTIVATIONS, "losses": LOSSES, "optimizers": OPTIMIZERS,
              "schedules": SCHEDULES}

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


def _registered(value):
    registry, name = value["registry"], value["name"]
    entries = REGISTRIES.get(registry, {})
    if name not in entries:
        raise ValueError(f"The file holds an object of {registry!r} entry {name!r}, which "
                         f"this process has not registered; register it before loading.")
    return _restore(_class_of(entries[name]), from_plain(value["state"]))


def _network(value):
    state = from_plain(value["state"])
    state["grad"] = np.zeros_like(state["params"])
    return _restore(Network, state)


_BUILDERS = {
    "dtype": lambda value: np.dtype(value["str"]),
    "network": _network,
    "training_state": lambda value: _restore(TrainingState, from_plain(value["state"])),
    "optimizer_state": lambda value: _restore(OptimizerState, from_plain(value["state"])),
    "registered": _registered,
}


def from_plain(value):
    """The inverse of :func:`to_plain`: tagged dicts rebuilt, the rest as it is."""
    if type(value) is dict:
        if value.get(TAG) in _BUILDERS:
            return _BUILDERS[value[TAG]](value)
        return {key: from_plain(item) for key, item in value.items()}
    if type(value) in (list, tuple):
        items = [from_plain(item) for item in value]
        return items if isinstance(value, list) else tuple(items)
    return value
