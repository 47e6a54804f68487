r"""The network's forward pass at prediction time as ONNX nodes.

Step for step what :meth:`skfcnn.nn.Network.predict` computes: each layer's
dense part :math:`Z_l = A_{l-1} W_l + b_l`, then each hidden layer's steps that
act at prediction time (dropout, training-only, has none).  A step right after
the dense part whose prediction form is affine (it has a ``prediction_affine``
method returning :math:`(s, t)`, as batch norm does) is folded into it,

.. math:: (A W + b)\, s + t = A\, (W \operatorname{diag} s) + (b s + t),

so the graph has one ``MatMul`` and one ``Add`` per layer whatever the options.
"""

import numpy as np

from ..nn.activations import get_activation
from ..nn.layers import ActivationStep
from ._registry import NoOnnxForm, activation_emitter, batch_norm_affine, step_emitter

__all__ = ["emit_logits", "emit_output_activation", "prediction_steps"]


def prediction_steps(network, layer):
    """The steps of weight layer ``layer`` that act at prediction time (none for
    the output layer, whose activation is applied apart)."""
    if layer >= network.n_hidden:
        return []
    return [step for step in network.hidden_steps[layer]
            if not getattr(step, "training_only", False)]


def _folded(weights, bias, step):
    """``weights`` and ``bias`` with the affine ``step`` folded in (float64)."""
    scale, shift = batch_norm_affine(step)
    return (np.asarray(weights, np.float64) * scale,
            np.asarray(bias, np.float64) * scale + shift)


def emit_logits(builder, name, network):
    """Write the forward pass up to the output pre-activation :math:`Z_L`.

    Parameters
    ----------
    builder : GraphBuilder
    name : str
        The input tensor, in the builder's dtype.
    network : skfcnn.nn.Network
        The fitted network (its weights are cast to the builder's dtype).

    Returns
    -------
    str
        The name of :math:`Z_L` (e.g. the logits).

    Raises
    ------
    ValueError
        When a hidden layer has a step or an activation without an ONNX form,
        naming the layer and the object; for a network with input steps.
    """
    if getattr(network, "input_steps", ()):
        raise NoOnnxForm(f"input_steps={list(network.input_steps)!r} have no ONNX form: "
                         "export a model fitted with input_steps=None.")
    for layer in range(network.n_layers):
        weights, bias = network.coefs[layer], network.intercepts[layer]
        steps = prediction_steps(network, layer)
        emitters = [_emitter(step, layer) for step in steps]
        if steps and hasattr(steps[0], "prediction_affine"):
            weights, bias = _folded(weights, bias, steps[0])
            steps, emitters = steps[1:], emitters[1:]
        name = builder.dense(name, weights, bias)
        for step, emitter in zip(steps, emitters):
            name = emitter(builder, name, step)
    return name


def _emitter(step, layer):
    """``step``'s emitter, checked (with its activation's) before any node is written."""
    try:
        emitter = step_emitter(step)
        if type(step) is ActivationStep:
            activation_emitter(step.activation)
    except NoOnnxForm as error:
        raise NoOnnxForm(f"hidden layer {layer}: {error}") from None
    return emitter


def emit_output_activation(builder, name, network, loss=None):
    """The network's output activation on the pre-activation ``name``.

    ``loss`` (the estimator's, for the message) is named when the activation
    has no ONNX form.
    """
    activation = network.output_activation
    try:
        emitter = activation_emitter(activation)
    except NoOnnxForm as error:
        raise NoOnnxForm(f"output layer (the output activation of loss={loss!r}): "
                         f"{error}") from None
    return emitter(builder, name, get_activation(activation, "output_activation"))
