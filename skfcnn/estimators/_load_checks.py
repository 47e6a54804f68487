"""A loaded estimator's state is checked like what is passed to ``fit``.

The network checks its own fields (:mod:`skfcnn.nn._state_checks`) as it is
rebuilt; here the estimator's fitted attributes are checked against it: the
numbers of features, outputs and layers, the feature names, the classes, the
loss and the optimiser's state.  A state that does not hold together gets a
``ValueError`` naming the field, never an estimator that predicts.
"""

import numpy as np

from ..nn._state_checks import StateError
from ..nn.losses import LOSSES, Loss, check_loss_output
from ..nn.network import Network
from ..nn.optimizers import OPTIMIZERS

__all__ = ["check_loaded_state"]

#: What every fitted estimator holds besides its network, since skfcnn 0.1.0.
FITTED = ("n_features_in_", "n_outputs_", "n_layers_", "out_activation_", "_loss_name",
          "_state", "_optimizer", "_optimizer_state", "_rng", "n_iter_", "loss_curve_", "t_")
CLASSIFIER_FITTED = ("classes_", "_y_type", "_label_binarizer")
#: What only the end of a fit sets (``n_features_in_`` and ``classes_`` come before).
COMMITTED = ("n_iter_", "loss_curve_", "t_", "_state")


def _expected_outputs(state):
    """The classifier's number of outputs for its classes (1 for one or two classes,
    except multilabel: one per label)."""
    classes = state.get("classes_")
    if not isinstance(classes, np.ndarray) or classes.ndim != 1:
        raise StateError("classes_", f"is {type(classes).__name__}; expected a 1-D ndarray")
    if len(classes) == 0 or (classes.dtype != object and np.any(classes[1:] <= classes[:-1])):
        raise StateError("classes_", f"is {classes!r}; expected sorted, distinct labels")
    multilabel = state.get("_y_type") == "multilabel-indicator"
    return len(classes) if multilabel or len(classes) > 2 else 1


def _check_sizes(state, network, classifier):
    sizes = network.layer_sizes
    expected = {"n_features_in_": sizes[0], "n_outputs_": sizes[-1], "n_layers_": len(sizes)}
    if classifier:
        outputs = _expected_outputs(state)
        if outputs != sizes[-1]:
            raise StateError("classes_", f"holds {len(state['classes_'])} classes, which "
                                         f"need {outputs} output(s); the network has "
                                         f"{sizes[-1]}")
    for field, value in expected.items():
        if state.get(field) != value:
            raise StateError(field, f"is {state.get(field)!r}; the network's layer sizes "
                                    f"{sizes} give {value}")
    names = state.get("feature_names_in_")
    if names is not None and (not isinstance(names, np.ndarray) or names.shape != sizes[:1]):
        raise StateError("feature_names_in_", f"holds {np.shape(names)} names for "
                                              f"{sizes[0]} features")


def _check_loss(state, network):
    loss = state.get("_loss_name")
    if not (isinstance(loss, Loss) or (isinstance(loss, str) and loss in LOSSES)):
        raise StateError("_loss_name", f"is {loss!r}; expected one of {sorted(LOSSES)} "
                                       "or a loss object")
    try:
        check_loss_output(LOSSES[loss] if isinstance(loss, str) else loss,
                          network.output_activation)
    except ValueError as error:
        raise StateError("_loss_name", f"is {loss!r}: {error}") from None


def _check_optimizer_state(state, network):
    """Finite entries; with a registered optimiser, vectors of the parameters' shape."""
    optimizer_state = state.get("_optimizer_state")
    if optimizer_state is None:
        return
    registered = isinstance(state.get("_optimizer"),
                            tuple(type(entry) if not isinstance(entry, type) else entry
                                  for entry in OPTIMIZERS.values()))
    for name, value in vars(optimizer_state).items():
        if not isinstance(value, np.ndarray) or name == "scratch":
            continue
        field = f"_optimizer_state.{name}"
        if registered and value.shape != network.params.shape:
            raise StateError(field, f"has shape {value.shape}; the parameters have "
                                    f"{network.params.shape}")
        if value.dtype.kind == "f" and not np.isfinite(value).all():
            raise StateError(field, "holds non-finite values (NaN or infinity)")


def check_loaded_state(state, classifier, parameters=()):
    """``StateError`` (a ``ValueError``) naming the first of the ``parameters`` missing
    from the estimator's ``state``, or the first fitted attribute that does not agree
    with its network; an unfitted state needs only its parameters."""
    missing = [name for name in parameters if name not in state]
    if missing:
        raise StateError(missing[0], "is missing (a parameter of the estimator)")
    if "_network" not in state:  # unfitted; or a copy taken during a first fit (by
        if any(name in state for name in COMMITTED):  # scikit-learn's callbacks), before
            raise StateError("_network", "is missing, yet the state holds the attributes "
                                         "of a finished fit")  # the commit
        return
    fitted = FITTED + CLASSIFIER_FITTED if classifier else FITTED
    missing = [name for name in fitted if name not in state] if parameters else ()
    if missing:
        raise StateError(missing[0], "is missing (a fitted attribute)")
    network = state["_network"]
    if not isinstance(network, Network):
        raise StateError("_network", f"is {type(network).__name__}, not a Network")
    _check_sizes(state, network, classifier)
    _check_loss(state, network)
    _check_optimizer_state(state, network)
