r"""The ONNX form of each activation and layer step: two public registries.

:data:`ONNX_ACTIVATIONS` maps an activation's registered name (a key of
:data:`skfcnn.nn.activations.ACTIVATIONS`) or an activation class to its
*emitter*, ``emitter(builder, name, activation) -> str``: it writes the nodes
computing the activation of the tensor ``name`` with the
:class:`~skfcnn.onnx.GraphBuilder` ``builder`` and returns the output's name
(``activation`` is the object itself, for activations with parameters).
:data:`ONNX_LAYER_STEPS` does the same for the layer step classes of
:data:`skfcnn.nn.layers.LAYER_STEPS`, ``emitter(builder, name, step) -> str``.

Each built-in is written in basic operators, formula for formula as
:mod:`skfcnn.nn.activations` computes it (the same clipping, the same stable
forms), so that it runs in every opset from :data:`MIN_OPSET` on and on every
onnxruntime kernel, float32 and float64 alike.
"""

import numpy as np

from ..nn.activations import _GELU_CLIP, ACTIVATIONS, GELU_CUBIC, GELU_SCALE, LEAKY_SLOPE
from ..nn.layers import ActivationStep, BatchNormStep, DropoutStep

__all__ = ["MIN_OPSET", "ONNX_ACTIVATIONS", "ONNX_LAYER_STEPS", "NoOnnxForm",
           "activation_emitter", "batch_norm_affine", "register_activation",
           "register_layer_step", "step_emitter"]

#: The oldest opset of the default domain the graphs are written for (``Max`` and
#: ``Min`` broadcast from opset 8, ``ConstantOfShape`` exists from opset 9).
MIN_OPSET = 9


class NoOnnxForm(ValueError):
    """An object of the model has no emitter in the registries."""


# ------------------------------------------------------- the built-in activations
def _identity(builder, name, activation):
    r""":math:`f(z) = z`: no node."""
    return name


def _logistic(builder, name, activation):
    r""":math:`\sigma(z) = 1 / (1 + e^{-z})`: ``Sigmoid``."""
    return builder.node("Sigmoid", [name])


def _tanh(builder, name, activation):
    r""":math:`\tanh z`: ``Tanh``."""
    return builder.node("Tanh", [name])


def _relu(builder, name, activation):
    r""":math:`\max(z, 0)`: ``Relu``."""
    return builder.node("Relu", [name])


def _leaky_relu(builder, name, activation):
    r""":math:`\max(z, s z)`, :math:`s = 0.01`, as :class:`~skfcnn.nn.activations.LeakyReLU`."""
    return builder.node("Max", [name, builder.node("Mul", [name, builder.constant(LEAKY_SLOPE)])])


def _elu(builder, name, activation):
    r""":math:`\max(z, e^{\min(z, 0)} - 1)` (:math:`\alpha = 1`; ONNX has no ``expm1``)."""
    negative = builder.node("Min", [name, builder.constant(0.0)])
    negative = builder.node("Sub", [builder.node("Exp", [negative]), builder.constant(1.0)])
    return builder.node("Max", [name, negative])


def _softplus(builder, name, activation):
    r""":math:`\max(z, 0) + \log(1 + e^{-|z|})`, the stable form of :math:`\log(1 + e^z)`."""
    decay = builder.node("Exp", [builder.node("Neg", [builder.node("Abs", [name])])])
    tail = builder.node("Log", [builder.node("Add", [decay, builder.constant(1.0)])])
    return builder.node("Add", [builder.node("Relu", [name]), tail])


def _gelu(builder, name, activation):
    r""":math:`\tfrac12 z (1 + \tanh(\sqrt{2/\pi}\,(c + 0.044715\, c^3)))`, with :math:`c`
    the input clipped to :math:`\pm 10^4`, in :func:`~skfcnn.nn.activations._gelu_tanh`'s
    order (the tanh form, not ``Gelu``, which needs opset 20)."""
    clipped = builder.node("Min", [builder.node("Max", [name, builder.constant(-_GELU_CLIP)]),
                                   builder.constant(_GELU_CLIP)])
    inner = builder.node("Mul", [builder.node("Mul", [clipped, clipped]),
                                 builder.constant(GELU_CUBIC)])
    inner = builder.node("Mul", [builder.node("Add", [inner, builder.constant(1.0)]), clipped])
    tanh = builder.node("Tanh", [builder.node("Mul", [inner, builder.constant(GELU_SCALE)])])
    half = builder.node("Mul", [builder.node("Add", [tanh, builder.constant(1.0)]),
                                builder.constant(0.5)])
    return builder.node("Mul", [name, half])


def _swish(builder, name, activation):
    r""":math:`z\, \sigma(z)`: ``Mul`` of the input and its ``Sigmoid``."""
    return builder.node("Mul", [name, builder.node("Sigmoid", [name])])


def _softmax(builder, name, activation):
    r"""Row-wise softmax: ``Softmax`` over axis 1 (the same in every opset for 2-D input)."""
    return builder.node("Softmax", [name], axis=1)


def _exp(builder, name, activation):
    r""":math:`e^{\min(z, \log x_\text{max})}`, as :class:`~skfcnn.nn.activations.Exp`."""
    dtype = builder.dtype
    bound = np.nextafter(np.log(np.finfo(dtype).max).astype(dtype), dtype.type(0))
    return builder.node("Exp", [builder.node("Min", [name, builder.constant(bound)])])


#: Activation name or class -> ``emitter(builder, name, activation) -> str``.
ONNX_ACTIVATIONS = {
    "identity": _identity, "logistic": _logistic, "tanh": _tanh, "relu": _relu,
    "leaky_relu": _leaky_relu, "elu": _elu, "softplus": _softplus, "gelu": _gelu,
    "swish": _swish, "softmax": _softmax, "exp": _exp,
}


# ----------------------------------------------------------- the built-in steps
def batch_norm_affine(step):
    r"""The prediction-time form of ``step``, one with a ``prediction_affine`` method
    (batch norm), as :math:`y = z s + t` in float64: returns ``(s, t)``.

    .. math:: s = \frac{\gamma}{\sqrt{\bar\sigma^2 + \epsilon}}, \qquad t = \beta - \bar\mu s

    for batch norm (:func:`skfcnn.nn.batch_norm.affine`).
    """
    return step.prediction_affine()


def _batch_norm(builder, name, step):
    r""":math:`z s + t` (:func:`batch_norm_affine`), where it cannot be folded into the
    dense layer before it."""
    scale, shift = batch_norm_affine(step)
    scaled = builder.node("Mul", [name, builder.constant(scale.reshape(1, -1), "bn_scale")])
    return builder.node("Add", [scaled, builder.constant(shift.reshape(1, -1), "bn_shift")])


def _activation_step(builder, name, step):
    """The layer's activation, from :data:`ONNX_ACTIVATIONS`."""
    return activation_emitter(step.activation)(builder, name, step.activation)


def _dropout(builder, name, step):
    """Nothing: dropout acts in training only."""
    return name


#: Layer step class -> ``emitter(builder, name, step) -> str``.
ONNX_LAYER_STEPS = {BatchNormStep: _batch_norm, ActivationStep: _activation_step,
                    DropoutStep: _dropout}


# ---------------------------------------------------------------------- look-ups
def _describe(key):
    return key if isinstance(key, str) else getattr(key, "__qualname__", repr(key))


def _known(registry):
    return sorted(_describe(key) for key in registry)


def activation_emitter(activation):
    """The emitter of ``activation``, a registered name or an activation object.

    An object is looked up by its exact class, then by the name under which an
    equal object is registered in :data:`skfcnn.nn.activations.ACTIVATIONS` (a
    built-in given as an object, ``GELU()``).

    Raises
    ------
    NoOnnxForm
        A ``ValueError`` naming the activation, when neither is registered.
    """
    if isinstance(activation, str):
        if activation in ONNX_ACTIVATIONS:
            return ONNX_ACTIVATIONS[activation]
        hint = repr(activation)
    else:
        if type(activation) in ONNX_ACTIVATIONS:
            return ONNX_ACTIVATIONS[type(activation)]
        for name, registered in ACTIVATIONS.items():
            if name in ONNX_ACTIVATIONS and type(registered) is type(activation) \
                    and registered == activation:
                return ONNX_ACTIVATIONS[name]
        names = [name for name, registered in ACTIVATIONS.items()
                 if type(registered) is type(activation) and registered == activation]
        hint = repr(names[0]) if names else type(activation).__qualname__
    raise NoOnnxForm(
        f"activation {activation!r} has no ONNX form; skfcnn.onnx.ONNX_ACTIVATIONS knows "
        f"{_known(ONNX_ACTIVATIONS)}. Give it one with skfcnn.onnx.register_activation("
        f"{hint}, emitter), emitter(builder, name, activation) -> output name.")


def step_emitter(step):
    """The emitter of the layer step ``step``, by its exact class.

    Raises
    ------
    NoOnnxForm
        A ``ValueError`` naming the step's class, when it is not registered.
    """
    emitter = ONNX_LAYER_STEPS.get(type(step))
    if emitter is None:
        name = type(step).__qualname__
        raise NoOnnxForm(
            f"layer step {name} has no ONNX form; skfcnn.onnx.ONNX_LAYER_STEPS knows "
            f"{_known(ONNX_LAYER_STEPS)}. Give it one with skfcnn.onnx.register_layer_step("
            f"{name}, emitter), emitter(builder, name, step) -> output name.")
    return emitter


def _check_emitter(emitter):
    if not callable(emitter):
        raise TypeError(f"emitter must be callable as emitter(builder, name, obj) -> str; "
                        f"got {emitter!r}.")


def register_activation(key, emitter):
    """Give an activation its ONNX form.

    Parameters
    ----------
    key : str or type
        The activation's name in :data:`skfcnn.nn.activations.ACTIVATIONS` (for a
        model given ``activation="name"``) or its class (for a model given an
        object of it; matched exactly, not by subclass).
    emitter : callable
        ``emitter(builder, name, activation) -> str``: writes the activation of
        the tensor ``name`` with the :class:`~skfcnn.onnx.GraphBuilder` and returns
        the output's name; ``activation`` is the object (its parameters).

    Returns
    -------
    callable
        ``emitter``.

    Examples
    --------
    Softsign, :math:`z / (1 + |z|)`, an activation of your own:

    >>> import numpy as np
    >>> from skfcnn.nn import Activation
    >>> from skfcnn.onnx import register_activation
    >>> class Softsign(Activation):
    ...     name = "softsign"
    ...     def forward(self, Z):
    ...         Z /= 1 + np.abs(Z)
    ...         return Z
    ...     def derivative(self, Z, A, delta):
    ...         delta *= (1 - np.abs(A)) ** 2
    ...         return delta
    >>> def softsign(builder, name, activation):
    ...     denominator = builder.node("Add", [builder.node("Abs", [name]),
    ...                                        builder.constant(1.0)])
    ...     return builder.node("Div", [name, denominator])
    >>> register_activation(Softsign, softsign)  # models with Softsign() now export
    <function softsign at 0x...>
    """
    if not isinstance(key, (str, type)):
        raise TypeError(f"key must be an activation name (str) or an activation class; "
                        f"got {key!r}.")
    _check_emitter(emitter)
    ONNX_ACTIVATIONS[key] = emitter
    return emitter


def register_layer_step(step_class, emitter):
    """Give a layer step class (of :data:`skfcnn.nn.layers.LAYER_STEPS`) its ONNX form.

    Parameters
    ----------
    step_class : type
        The step's class (matched exactly).
    emitter : callable
        ``emitter(builder, name, step) -> str``: the step at prediction time
        (its ``predict``) on the tensor ``name``; returns the output's name.

    Returns
    -------
    callable
        ``emitter``.
    """
    if not isinstance(step_class, type):
        raise TypeError(f"step_class must be a layer step class; got {step_class!r}.")
    _check_emitter(emitter)
    ONNX_LAYER_STEPS[step_class] = emitter
    return emitter
