"""skl2onnx's classifier parser, with ZipMap working on float64 graphs.

ONNX's ``ZipMap`` (domain ``ai.onnx.ml``) takes ``tensor(float)`` only, and
skl2onnx's own classifier parser feeds it the probabilities in the graph's
dtype: for float64 input it writes a graph onnxruntime refuses to load (as it
does for scikit-learn's own classifiers).  :func:`parse_classifier` inserts a
``Cast`` to float32 right before ``ZipMap`` in that case only, so that the
label and the probabilities are computed in float64 and only the dictionaries
of ``output_probability`` hold float32 values (what ``ZipMap`` can hold).
Everything else (``zipmap=False``, ``zipmap='columns'``, ``nocl``,
``output_class_labels``, float32 input) is skl2onnx's own parser unchanged.
"""

from onnx import TensorProto
from skl2onnx._parse import _apply_zipmap, _parse_sklearn_classifier, _parse_sklearn_simple_model
from skl2onnx.common.data_types import FloatTensorType, guess_proto_type
from sklearn.utils.validation import check_is_fitted

__all__ = ["parse_classifier"]


def _zipmap_of_doubles(scope, model, inputs):
    """Whether skl2onnx would feed float64 probabilities into ``ZipMap``."""
    options = scope.get_options(model, {"zipmap": True})
    return (options["zipmap"] is True and not options.get("output_class_labels", False)
            and guess_proto_type(inputs[0].type) == TensorProto.DOUBLE)


def parse_classifier(scope, model, inputs, custom_parsers=None):
    """The outputs of the classifier ``model``: skl2onnx's, with float64
    probabilities cast to float32 before ``ZipMap``.

    Parameters
    ----------
    scope : skl2onnx.common._topology.Scope
    model : FCNNClassifier
    inputs : list of skl2onnx.common._topology.Variable
    custom_parsers : dict, default=None
        skl2onnx's custom parsers, passed on.

    Returns
    -------
    list of skl2onnx.common._topology.Variable
        ``output_label`` and ``output_probability`` (a sequence of maps, class
        to float32 probability) with ZipMap; skl2onnx's outputs otherwise.
    """
    check_is_fitted(model)  # NotFittedError, not skl2onnx's "number of classes" message
    if not _zipmap_of_doubles(scope, model, inputs):
        return _parse_sklearn_classifier(scope, model, inputs, custom_parsers=custom_parsers)
    label, probabilities = _parse_sklearn_simple_model(scope, model, inputs,
                                                       custom_parsers=custom_parsers)
    cast = scope.declare_local_operator("SklearnCast")
    cast.inputs.append(probabilities)
    floats = scope.declare_local_variable("probabilities_float", FloatTensorType())
    cast.outputs.append(floats)
    return _apply_zipmap(True, scope, model, floats.type, [label, floats])
