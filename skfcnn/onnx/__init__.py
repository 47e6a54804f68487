r"""ONNX export of :class:`~skfcnn.FCNNClassifier` and :class:`~skfcnn.FCNNRegressor`.

Importing this module registers both estimators with skl2onnx (a converter,
a shape calculator and, for the classifier, skl2onnx's classifier parser), so
that ``skl2onnx.to_onnx(model, X_sample)`` converts them alone or inside a
:class:`~sklearn.pipeline.Pipeline`, with the classifier options ``zipmap``,
``nocl`` and ``output_class_labels``::

    import skfcnn.onnx
    onx = skfcnn.onnx.to_onnx(model, X_train[:1])     # or skl2onnx.to_onnx
    session = onnxruntime.InferenceSession(onx.SerializeToString())

The graph is float32 for float32 input and float64 for float64 input (the
model's weights are cast to it).  It computes what ``predict`` and
``predict_proba`` compute: every built-in hidden activation in our exact
formula (one per layer where given so), batch norm with its running
statistics folded into the dense layers, no dropout, and the output
activations ``identity``, ``logistic``, ``softmax`` and ``exp``.

A user activation or layer step has no ONNX form until it is given one:
:func:`register_activation` and :func:`register_layer_step` add an *emitter*
``emitter(builder, name, obj) -> str`` to :data:`ONNX_ACTIVATIONS` or
:data:`ONNX_LAYER_STEPS`; it writes the nodes with a :class:`GraphBuilder`
and returns its output's name.  Without one the conversion stops with a
``ValueError`` naming the object and the layer.

ONNX's ``ZipMap`` holds float32 values only: with float64 input and the
default ``zipmap=True`` the label and the probabilities are computed in
float64 and cast to float32 just before ``ZipMap`` (the dictionaries of
``output_probability`` hold float32); ``zipmap=False`` or ``'columns'`` keeps
float64 probabilities.

This module needs the ``skl2onnx`` and ``onnx`` packages (the ``onnx``
extra, which also installs ``onnxruntime`` to run the graphs); without them
importing it raises an ``ImportError`` naming the command that installs them.
``import skfcnn`` does not import it.
"""

from ..nn._optional import import_optional

import_optional("onnx", "skfcnn.onnx", extra="onnx")  # first: skl2onnx imports it
skl2onnx = import_optional("skl2onnx", "skfcnn.onnx", extra="onnx")

from ._builder import GraphBuilder  # noqa: E402 (after the checks above)
from ._convert import (  # noqa: E402
    CLASSIFIER_OPTIONS,
    classifier_shapes,
    convert_classifier,
    convert_regressor,
    regressor_shapes,
)
from ._parser import parse_classifier  # noqa: E402
from ._registry import (  # noqa: E402
    MIN_OPSET,
    ONNX_ACTIVATIONS,
    ONNX_LAYER_STEPS,
    NoOnnxForm,
    register_activation,
    register_layer_step,
)

__all__ = ["MIN_OPSET", "ONNX_ACTIVATIONS", "ONNX_LAYER_STEPS", "GraphBuilder", "NoOnnxForm",
           "register_activation", "register_converters", "register_layer_step", "to_onnx"]

#: The skl2onnx aliases of the two estimators.
ALIASES = {"FCNNClassifier": "SkfcnnFCNNClassifier", "FCNNRegressor": "SkfcnnFCNNRegressor"}


def register_converters():
    """Register both estimators with skl2onnx (done once, on import; harmless again).

    The classifier gets skl2onnx's classifier options, so its classifier
    parser (label, probabilities, ZipMap) handles it.
    """
    from ..estimators import FCNNClassifier, FCNNRegressor

    skl2onnx.update_registered_converter(
        FCNNClassifier, ALIASES["FCNNClassifier"], classifier_shapes, convert_classifier,
        options=CLASSIFIER_OPTIONS, parser=parse_classifier)
    skl2onnx.update_registered_converter(
        FCNNRegressor, ALIASES["FCNNRegressor"], regressor_shapes, convert_regressor)


def _initial_types(model):
    """``[("X", tensor type [None, n_features_in_])]`` in the fitted network's dtype."""
    from skl2onnx.common.data_types import DoubleTensorType, FloatTensorType

    network = getattr(model, "_network", None)
    n_features = getattr(model, "n_features_in_", None)
    if network is None or n_features is None:
        raise ValueError(f"X_sample=None needs a fitted FCNNClassifier or FCNNRegressor "
                         f"(to read its input width and dtype); got {model!r}. Pass "
                         f"X_sample, e.g. X_train[:1].")
    tensor = DoubleTensorType if network.dtype == "float64" else FloatTensorType
    return [("X", tensor([None, int(n_features)]))]


def to_onnx(model, X_sample=None, **kwargs):
    """The ONNX graph of ``model``: :func:`skl2onnx.to_onnx` once the converters are
    registered.

    Parameters
    ----------
    model : estimator
        A fitted :class:`~skfcnn.FCNNClassifier` or :class:`~skfcnn.FCNNRegressor`,
        or a pipeline ending in one.
    X_sample : array-like, default=None
        A few input rows: their dtype makes the graph float32 or float64
        (a float64 classifier's ``ZipMap`` dictionaries hold float32, the only
        type ``ZipMap`` takes; pass ``options={"zipmap": False}`` for float64
        probabilities).
        ``None`` (only for our estimators themselves): one input ``"X"`` of
        ``n_features_in_`` columns in the model's own dtype.
    **kwargs
        Passed on to :func:`skl2onnx.to_onnx`: ``target_opset`` (at least
        :data:`MIN_OPSET`), ``options`` (e.g. ``{"zipmap": False}``),
        ``initial_types``, ...

    Returns
    -------
    onnx.ModelProto
    """
    final = model.steps[-1][1] if hasattr(model, "steps") else model
    refusal = getattr(final, "_onnx_refusal", None)  # a model that says it has no form
    if refusal:
        raise NoOnnxForm(f"{type(final).__name__} cannot be exported to ONNX: {refusal}")
    if X_sample is None and kwargs.get("initial_types") is None:
        kwargs["initial_types"] = _initial_types(model)
    return skl2onnx.to_onnx(model, X_sample, **kwargs)


register_converters()
