"""The small graph builder an ONNX emitter writes its nodes with.

It wraps skl2onnx's ``scope`` (unique names) and ``container`` (nodes and
initializers) and knows the graph's floating-point dtype, so that an emitter
never has to: constants come out in that dtype, nodes get unique names.
"""

import numpy as np
from onnx import TensorProto, helper

__all__ = ["GraphBuilder"]


class GraphBuilder:
    """Adds nodes and constants to the ONNX graph being converted.

    An emitter (see :func:`skfcnn.onnx.register_activation`) gets one and calls
    :meth:`node` and :meth:`constant`; every name it returns is a tensor name
    to pass on as an input.

    Parameters
    ----------
    scope : skl2onnx.common._topology.Scope
        Gives unique names.
    container : skl2onnx.common._container.ModelComponentContainer
        Receives the nodes and the initializers.
    proto_dtype : int
        ``onnx.TensorProto.FLOAT`` or ``onnx.TensorProto.DOUBLE``: the dtype of
        every floating-point tensor of the graph.

    Attributes
    ----------
    proto_dtype : int
        As given.
    dtype : numpy.dtype
        The same dtype in NumPy (``float32`` or ``float64``).
    target_opset : int
        The opset of the default ONNX domain the graph is built for.
    """

    def __init__(self, scope, container, proto_dtype):
        self.scope, self.container, self.proto_dtype = scope, container, proto_dtype
        self.dtype = np.dtype(helper.tensor_dtype_to_np_dtype(proto_dtype))
        self.target_opset = container.target_opset

    def unique_name(self, hint):
        """A tensor name not used yet in the graph, starting with ``hint``."""
        return self.scope.get_unique_variable_name(hint)

    def constant(self, value, hint="constant", dtype=None):
        """An initializer holding ``value``; returns its name.

        Parameters
        ----------
        value : float, array-like or str
            A scalar becomes a 0-d tensor (it broadcasts against anything).
        hint : str, default="constant"
            The start of its name.
        dtype : numpy dtype, default=None
            ``None``: the graph's floating-point dtype (the attribute ``dtype``); else
            e.g. ``np.int64``, or ``object`` for strings.
        """
        array = np.asarray(value, dtype=self.dtype if dtype is None else dtype)
        name = self.unique_name(hint)
        if array.dtype.kind in "OUS":
            content = [str(item).encode("utf-8") for item in array.ravel()]
            self.container.add_initializer(name, TensorProto.STRING, list(array.shape),
                                           content)
        else:
            proto = helper.np_dtype_to_tensor_dtype(array.dtype)
            self.container.add_initializer(name, proto, list(array.shape), array.ravel())
        return name

    def node(self, op_type, inputs, output=None, **attributes):
        """Add one node of the default ONNX domain; returns its (single) output's name.

        Parameters
        ----------
        op_type : str
            An ONNX operator, e.g. ``"Add"``, ``"Tanh"``.
        inputs : str or list of str
            Tensor names (the graph's input, earlier outputs, :meth:`constant` s).
        output : str, default=None
            The output's name; ``None``: a new unique one.
        **attributes
            The operator's attributes, e.g. ``axis=1``.
        """
        inputs = [inputs] if isinstance(inputs, str) else list(inputs)
        output = self.unique_name(op_type.lower()) if output is None else output
        self.container.add_node(op_type, inputs, output,
                                name=self.scope.get_unique_operator_name(op_type),
                                **attributes)
        return output

    def dense(self, inputs, weights, bias):
        r""":math:`X W + b` with ``weights`` and ``bias`` cast to the graph's dtype."""
        weights = self.constant(weights, "coefficient")
        bias = self.constant(np.reshape(bias, (1, -1)), "intercept")
        return self.node("Add", [self.node("MatMul", [inputs, weights]), bias])

    def cast(self, name, proto_dtype):
        """``name`` cast to ``proto_dtype`` (an ``onnx.TensorProto`` type)."""
        return self.node("Cast", [name], to=proto_dtype)
