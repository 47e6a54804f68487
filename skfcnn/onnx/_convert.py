r"""The skl2onnx converters and shape calculators of the two estimators.

The classifier's graph computes what ``predict_proba`` and ``predict`` do,
from the logits :math:`Z_L`:

* one class: probability 1, the class;
* two classes (one logistic output): :math:`[\sigma(-z), \sigma(z)]`, the
  second class where :math:`\sigma(z) > 0.5`;
* more classes: :math:`\operatorname{softmax}(z)`, its first arg-max;
* multilabel: :math:`\sigma(z)` clipped into :math:`[\text{tiny}, 1 - \epsilon]`,
  the indicator :math:`\sigma(z) > 0.5`;

probabilities below the dtype's smallest normal number reported as that
number.  Labels are ``int64`` for integer (and integral float or bool) classes,
strings otherwise, as skl2onnx writes them; its options ``zipmap``, ``nocl``
and ``output_class_labels`` are handled by its own classifier parser.  The
regressor's single output has shape ``[N, n_outputs]``, as skl2onnx writes
``MLPRegressor`` (our ``predict`` returns one output as a 1-D array); with
several quantiles (``loss='quantile'``) each row is sorted, as ``predict``
sorts it.
"""

import numpy as np
from onnx import TensorProto, numpy_helper
from skl2onnx.common.data_types import (
    DoubleTensorType,
    FloatTensorType,
    Int64TensorType,
    guess_proto_type,
)
from skl2onnx.common.shape_calculator import (
    calculate_linear_classifier_output_shapes,
    calculate_linear_regressor_output_shapes,
)
from skl2onnx.common.utils_classifier import get_label_classes
from sklearn.utils.validation import check_is_fitted

from ..nn.losses import get_loss
from ._builder import GraphBuilder
from ._network import emit_logits, emit_output_activation
from ._registry import MIN_OPSET

__all__ = ["CLASSIFIER_OPTIONS", "classifier_shapes", "convert_classifier",
           "convert_regressor", "regressor_shapes"]

#: skl2onnx's classifier options, as its ``MLPClassifier`` declares them.
CLASSIFIER_OPTIONS = {"zipmap": [True, False, "columns"], "output_class_labels": [False, True],
                      "nocl": [True, False]}


def _graph_proto_dtype(input_type):
    """DOUBLE for a double input, FLOAT for anything else (as skl2onnx's MLP does)."""
    proto = guess_proto_type(input_type)
    return proto if proto == TensorProto.DOUBLE else TensorProto.FLOAT


def _start(scope, operator, container):
    """The builder and the logits :math:`Z_L` of ``operator``'s model."""
    if container.target_opset < MIN_OPSET:
        raise ValueError(f"target_opset={container.target_opset} is too old for "
                         f"{type(operator.raw_operator).__name__}; allowed is {MIN_OPSET} "
                         f"or later.")
    input_variable = operator.inputs[0]
    builder = GraphBuilder(scope, container, _graph_proto_dtype(input_variable.type))
    name = input_variable.full_name
    if guess_proto_type(input_variable.type) != builder.proto_dtype:
        name = builder.cast(name, builder.proto_dtype)
    return builder, emit_logits(builder, name, operator.raw_operator._network)


def _is_multilabel(model):
    return getattr(model, "_y_type", None) == "multilabel-indicator"


def label_array(classes):
    """``classes`` as the graph holds them: ``int64`` for numbers (integers, bools,
    integral floats: scikit-learn takes no other float labels), else strings, as
    skl2onnx's shape calculator declares them."""
    classes = np.asarray(classes)
    if classes.dtype.kind in "biuf":
        return classes.astype(np.int64)
    return np.asarray([str(label) for label in classes], dtype=object)


def _multilabel(builder, logits, label, proba):
    positive = builder.node("Sigmoid", [logits])
    eps, tiny = np.finfo(builder.dtype).eps, np.finfo(builder.dtype).tiny
    clipped = builder.node("Max", [positive, builder.constant(tiny)])
    builder.node("Min", [clipped, builder.constant(1 - eps)], output=proba)
    above = builder.node("Greater", [positive, builder.constant(0.5)])
    builder.node("Cast", [above], output=label, to=TensorProto.INT64)


def _probabilities(builder, logits, n_classes):
    """``(probabilities before the floor at tiny, index of each row's class)``."""
    if n_classes == 1:
        ones = builder.node("ConstantOfShape", [builder.node("Shape", [logits])],
                            value=_tensor_of_one(builder))
        return ones, builder.node("ArgMax", [ones], axis=1, keepdims=0)
    if n_classes == 2:
        positive = builder.node("Sigmoid", [logits])
        negative = builder.node("Sigmoid", [builder.node("Neg", [logits])])
        proba = builder.node("Concat", [negative, positive], axis=1)
        index = builder.cast(builder.node("Greater", [positive, builder.constant(0.5)]),
                             TensorProto.INT64)
        flat = builder.constant(np.array([-1]), "flat_shape", dtype=np.int64)
        return proba, builder.node("Reshape", [index, flat])
    proba = builder.node("Softmax", [logits], axis=1)
    return proba, builder.node("ArgMax", [proba], axis=1, keepdims=0)


def _tensor_of_one(builder):
    return numpy_helper.from_array(np.ones(1, builder.dtype), "one")


def convert_classifier(scope, operator, container):
    """skl2onnx converter of :class:`~skfcnn.FCNNClassifier`: outputs label, probabilities."""
    model = operator.raw_operator
    builder, logits = _start(scope, operator, container)
    label, proba = operator.outputs[0].full_name, operator.outputs[1].full_name
    if _is_multilabel(model):
        _multilabel(builder, logits, label, proba)
        return
    unfloored, index = _probabilities(builder, logits, len(model.classes_))
    builder.node("Max", [unfloored, builder.constant(np.finfo(builder.dtype).tiny)],
                 output=proba)
    classes = label_array(get_label_classes(scope, model))
    classes = builder.constant(classes, "classes", dtype=classes.dtype)
    builder.node("Gather", [classes, index], output=label, axis=0)


def convert_regressor(scope, operator, container):
    """skl2onnx converter of :class:`~skfcnn.FCNNRegressor`: one ``[N, n_outputs]`` output."""
    model = operator.raw_operator
    builder, logits = _start(scope, operator, container)
    out = emit_output_activation(builder, logits, model._network, getattr(model, "loss", None))
    if getattr(get_loss(getattr(model, "_loss_name", "squared_error")), "sorted_outputs",
               False):
        out = _sorted_rows(builder, out, model._network.layer_sizes[-1])
    builder.node("Identity", [out], output=operator.outputs[0].full_name)


def _sorted_rows(builder, name, n_columns):
    r"""Each row of ``name`` in increasing order, as ``predict`` sorts several quantiles:
    :math:`-\operatorname{TopK}_k(-x)` (opset 9's ``TopK`` gives the largest only)."""
    values, indices = builder.unique_name("sorted"), builder.unique_name("order")
    inputs, attributes = [builder.node("Neg", [name])], {"axis": 1}
    if builder.target_opset < 10:
        attributes["k"] = n_columns
    else:
        inputs.append(builder.constant(np.array([n_columns]), "k", dtype=np.int64))
    builder.container.add_node("TopK", inputs, [values, indices],
                               name=builder.scope.get_unique_operator_name("TopK"),
                               **attributes)
    return builder.node("Neg", [values])


def _tensor_type(operator):
    """The probabilities' or predictions' tensor type: the graph's dtype."""
    double = _graph_proto_dtype(operator.inputs[0].type) == TensorProto.DOUBLE
    return DoubleTensorType if double else FloatTensorType


def classifier_shapes(operator):
    """skl2onnx's linear classifier shapes, with a multilabel model's ``[N, n_labels]``
    label and probabilities in the graph's dtype."""
    calculate_linear_classifier_output_shapes(operator)
    model, n_rows = operator.raw_operator, operator.inputs[0].get_first_dimension()
    if _is_multilabel(model):
        operator.outputs[0].set_type(Int64TensorType([n_rows, len(model.classes_)]))
    operator.outputs[1].set_type(_tensor_type(operator)([n_rows, len(model.classes_)]))


def regressor_shapes(operator):
    """skl2onnx's linear regressor checks, and the output ``[N, n_outputs]``."""
    check_is_fitted(operator.raw_operator)  # NotFittedError, not AttributeError: _network
    calculate_linear_regressor_output_shapes(operator)
    n_outputs = operator.raw_operator._network.layer_sizes[-1]
    operator.outputs[0].set_type(
        _tensor_type(operator)([operator.inputs[0].get_first_dimension(), n_outputs]))
