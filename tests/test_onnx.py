"""ONNX export (``skfcnn.onnx``): onnxruntime computes what ``predict`` and
``predict_proba`` compute, for every activation, option, target kind and dtype.

Each model is fitted briefly on a small draw and compared on a fresh draw of
the same distribution: labels equal, probabilities and outputs within
:data:`TOLERANCE` of our own.
"""

import warnings

import numpy as np
import pytest
from extending_examples import PseudoHuber, Softsign, softsign_onnx
from sklearn.datasets import make_circles
from sklearn.exceptions import ConvergenceWarning
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skfcnn import FCNNClassifier, FCNNRegressor
from skfcnn.nn import activations, layers
from skfcnn.nn.activations import HIDDEN_ACTIVATIONS

onnx = pytest.importorskip("onnx", reason="ONNX export needs onnx")
skl2onnx = pytest.importorskip("skl2onnx", reason="ONNX export needs skl2onnx")
ort = pytest.importorskip("onnxruntime", reason="running the ONNX graphs needs onnxruntime")

import skfcnn.onnx  # noqa: E402 (it imports skl2onnx)
from skfcnn.onnx import (  # noqa: E402
    MIN_OPSET,
    ONNX_ACTIVATIONS,
    ONNX_LAYER_STEPS,
    register_activation,
    register_layer_step,
)
from skfcnn.onnx._convert import label_array  # noqa: E402

DTYPES = [np.float32, np.float64]
#: Largest absolute difference allowed between onnxruntime's numbers and ours.
TOLERANCE = {np.float32: 1e-5, np.float64: 1e-10}
NO_ZIPMAP = {"zipmap": False}


# ------------------------------------------------------------------------- helpers
def _draw(n_rows, seed, dtype=np.float64, n_features=5):
    return np.random.default_rng(seed).normal(size=(n_rows, n_features)).astype(dtype)


def _train_test(dtype, n_features=5):
    """150 training rows and 100 held-out rows of one distribution."""
    return _draw(150, 0, dtype, n_features), _draw(100, 1, dtype, n_features)


def _multiclass(X):
    return (X[:, 0] > 0).astype(int) + (X[:, 1] + X[:, 2] > 0.5)


def _fit(model, X, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return model.fit(X, y)


def _classifier(**params):
    return FCNNClassifier(**{"hidden_layer_sizes": (8,), "max_iter": 20, "random_state": 0,
                             **params})


def _regressor(**params):
    return FCNNRegressor(**{"hidden_layer_sizes": (8,), "max_iter": 20, "random_state": 0,
                            **params})


def _run(onx, X):
    """``{output name: value}`` of the graph ``onx`` on ``X``."""
    session = ort.InferenceSession(onx.SerializeToString(),
                                   providers=["CPUExecutionProvider"])
    values = session.run(None, {session.get_inputs()[0].name: X})
    return dict(zip((o.name for o in session.get_outputs()), values))


def _check_classifier(model, X, onx):
    """Labels equal, probabilities within tolerance; returns the largest difference."""
    out = _run(onx, X)
    assert out["probabilities"].dtype == X.dtype
    np.testing.assert_array_equal(out["label"], model.predict(X))
    error = np.abs(out["probabilities"] - model.predict_proba(X)).max()
    assert error <= TOLERANCE[X.dtype.type], error
    return error


def _check_regressor(model, X, onx):
    (predicted,) = _run(onx, X).values()
    expected = model.predict(X)
    assert predicted.dtype == X.dtype
    assert predicted.shape == (X.shape[0], 1 if expected.ndim == 1 else expected.shape[1])
    error = np.abs(predicted - expected.reshape(predicted.shape)).max()
    assert error <= TOLERANCE[X.dtype.type], error
    return error


@pytest.fixture
def restore_registries():
    """Undo what a test adds to the ONNX registries."""
    saved = dict(ONNX_ACTIVATIONS), dict(ONNX_LAYER_STEPS)
    yield
    for registry, before in zip((ONNX_ACTIVATIONS, ONNX_LAYER_STEPS), saved):
        registry.clear()
        registry.update(before)


# ------------------------------------------------------------ activations and steps
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("activation", [*HIDDEN_ACTIVATIONS, ["relu", "gelu"],
                                        ["swish", "elu"], activations.GELU()])
def test_every_hidden_activation_matches_predict_proba(activation, dtype):
    X, X_test = _train_test(dtype)
    sizes = (8, 6) if isinstance(activation, list) else (8,)
    model = _fit(_classifier(hidden_layer_sizes=sizes, activation=activation), X,
                 _multiclass(X))
    _check_classifier(model, X_test * 3, skfcnn.onnx.to_onnx(model, X[:1], options=NO_ZIPMAP))


def _graph_ops(onx):
    return [node.op_type for node in onx.graph.node]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("dropout", [0.0, 0.3])
def test_batch_norm_is_folded_and_dropout_dropped(dtype, dropout):
    X, X_test = _train_test(dtype)
    model = _fit(_classifier(hidden_layer_sizes=(8, 6), activation=["tanh", "softplus"],
                             batch_norm=True, dropout=dropout, max_iter=30), X, _multiclass(X))
    assert not np.allclose(model._network.running_means[0], 0)  # the statistics moved
    onx = skfcnn.onnx.to_onnx(model, X[:1], options=NO_ZIPMAP)
    assert _graph_ops(onx).count("MatMul") == 3  # one per layer, batch norm inside it
    assert "Dropout" not in _graph_ops(onx)
    _check_classifier(model, X_test, onx)


class Scale(layers.LayerStep):
    """A user layer step, :math:`y = 2 z` (the example of :mod:`skfcnn.nn.layers`)."""

    def __init__(self, factor):
        self.factor = factor

    @classmethod
    def build(cls, network, layer):
        return cls(2.0)

    def forward(self, Z, run):
        Z *= self.factor
        return Z

    def backward(self, delta, run):
        delta *= self.factor
        return delta


def _emit_scale(builder, name, step):
    return builder.node("Mul", [name, builder.constant(step.factor)])


@pytest.mark.parametrize("dtype", DTYPES)
def test_a_user_layer_step_needs_an_emitter(monkeypatch, restore_registries, dtype):
    monkeypatch.setattr(layers, "LAYER_STEPS", [layers.BatchNormStep, layers.ActivationStep,
                                                Scale, layers.DropoutStep])
    X, X_test = _train_test(dtype)
    model = _fit(_classifier(hidden_layer_sizes=(8, 6), batch_norm=True), X, _multiclass(X))
    with pytest.raises(ValueError, match=r"hidden layer 0: layer step Scale has no ONNX form"):
        skfcnn.onnx.to_onnx(model, X[:1], options=NO_ZIPMAP)
    register_layer_step(Scale, _emit_scale)
    _check_classifier(model, X_test, skfcnn.onnx.to_onnx(model, X[:1], options=NO_ZIPMAP))


@pytest.mark.parametrize("dtype", DTYPES)
def test_a_user_activation_object_needs_an_emitter(restore_registries, dtype):
    X, X_test = _train_test(dtype)
    model = _fit(_classifier(hidden_layer_sizes=(8, 6), activation=["relu", Softsign()]), X,
                 _multiclass(X))
    with pytest.raises(ValueError, match=r"hidden layer 1: activation Softsign\(\) has no ONNX"):
        skfcnn.onnx.to_onnx(model, X[:1], options=NO_ZIPMAP)
    assert register_activation(Softsign, softsign_onnx) is softsign_onnx
    _check_classifier(model, X_test * 3, skfcnn.onnx.to_onnx(model, X[:1], options=NO_ZIPMAP))


class SoftsignPseudoHuber(PseudoHuber):
    """A user loss after a user output activation (registered as ``"softsign"``)."""

    name, output_activation = "softsign_pseudo_huber", "softsign"


@pytest.mark.parametrize("dtype", DTYPES)
def test_a_user_output_activation_needs_an_emitter(monkeypatch, restore_registries, dtype):
    monkeypatch.setitem(activations.ACTIVATIONS, "softsign", Softsign())
    X, X_test = _train_test(dtype)
    model = _fit(_regressor(loss=SoftsignPseudoHuber()), X, np.tanh(X[:, :2]))
    with pytest.raises(ValueError, match=r"output layer .*SoftsignPseudoHuber.*'softsign'"):
        skfcnn.onnx.to_onnx(model, X[:1])
    by_name = _fit(_regressor(activation="softsign"), X, X[:, 0])
    with pytest.raises(ValueError, match=r"register_activation\('softsign', emitter\)"):
        skfcnn.onnx.to_onnx(by_name, X[:1])
    register_activation("softsign", softsign_onnx)  # by name: hidden and output layers
    _check_regressor(model, X_test, skfcnn.onnx.to_onnx(model, X[:1]))
    _check_regressor(by_name, X_test * 3, skfcnn.onnx.to_onnx(by_name, X[:1]))


def test_registering_checks_its_arguments():
    with pytest.raises(TypeError, match="key must be an activation name"):
        register_activation(Softsign(), softsign_onnx)
    with pytest.raises(TypeError, match="emitter must be callable"):
        register_activation("softsign", "Div")
    with pytest.raises(TypeError, match="step_class must be a layer step class"):
        register_layer_step(Scale(2.0), _emit_scale)
    assert "softsign" not in ONNX_ACTIVATIONS and Scale not in ONNX_LAYER_STEPS


# --------------------------------------------------------------- classifier targets
def _targets(kind, X):
    y = _multiclass(X)
    return {
        "binary int": (X[:, 0] > 0).astype(int) * 7 - 3,
        "binary str": np.where(X[:, 0] > 0, "yes", "no"),
        "binary bool": X[:, 0] > 0,
        "multiclass int": y * 10,
        "multiclass float": y.astype(float),
        "multiclass str": np.array(["ant", "bee", "cat"])[y],
        "multilabel": np.column_stack([X[:, 0] > 0, X[:, 1] > 0.3, X[:, 2] < 0]).astype(int),
        "one class": np.full(X.shape[0], "only"),
    }[kind]


TARGETS = ["binary int", "binary str", "binary bool", "multiclass int", "multiclass float",
           "multiclass str", "multilabel", "one class"]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("kind", TARGETS)
def test_labels_and_probabilities_of_every_target_kind(kind, dtype):
    X, X_test = _train_test(dtype)
    model = _fit(_classifier(), X, _targets(kind, X))
    _check_classifier(model, X_test, skfcnn.onnx.to_onnx(model, X[:1], options=NO_ZIPMAP))


def test_zipmap_gives_one_dictionary_per_row():
    X, X_test = _train_test(np.float32)
    model = _fit(_classifier(), X, _targets("multiclass str", X))
    out = _run(skfcnn.onnx.to_onnx(model, X[:1]), X_test)
    np.testing.assert_array_equal(out["output_label"], model.predict(X_test))
    zipped = np.array([[row[c] for c in model.classes_] for row in out["output_probability"]])
    assert np.abs(zipped - model.predict_proba(X_test)).max() <= 1e-5


def test_zipmap_columns_gives_one_output_per_class():
    X, X_test = _train_test(np.float32)
    model = _fit(_classifier(), X, _targets("multiclass int", X))
    out = _run(skfcnn.onnx.to_onnx(model, X[:1], options={"zipmap": "columns"}), X_test)
    assert list(out) == ["output_label", "i0", "i10", "i20"]
    columns = np.column_stack([out[f"i{c}"] for c in model.classes_])
    assert np.abs(columns - model.predict_proba(X_test)).max() <= 1e-5


def test_nocl_labels_are_class_indices_and_output_class_labels_lists_the_classes():
    X, X_test = _train_test(np.float32)
    model = _fit(_classifier(), X, _targets("multiclass str", X))
    indices = _run(skfcnn.onnx.to_onnx(model, X[:1], options={"zipmap": False, "nocl": True}),
                   X_test)["label"]
    np.testing.assert_array_equal(model.classes_[indices], model.predict(X_test))
    out = _run(skfcnn.onnx.to_onnx(model, X[:1], options={"zipmap": False,
                                                          "output_class_labels": True}), X_test)
    np.testing.assert_array_equal(out["class_labels"], model.classes_)


# ------------------------------------------------------------------------ regressor
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("loss", ["squared_error", "poisson"])
@pytest.mark.parametrize("n_outputs", [1, 3])
def test_regressor_outputs_of_shape_rows_by_outputs(n_outputs, loss, dtype):
    X, X_test = _train_test(dtype)
    y = np.exp(X[:, :n_outputs] / 2) if loss == "poisson" else X[:, :n_outputs] * [1, -2, 3][
        :n_outputs]
    model = _fit(_regressor(loss=loss, activation="gelu"), X,
                 y[:, 0] if n_outputs == 1 else y)
    onx = skfcnn.onnx.to_onnx(model, X[:1])
    assert ("Exp" in _graph_ops(onx)) == (loss == "poisson")
    _check_regressor(model, X_test, onx)


@pytest.mark.parametrize("target_opset", [MIN_OPSET, 13, 17])
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("params", [{"loss": "huber"},
                                    {"loss": "quantile", "quantile": [0.1, 0.5, 0.9]}])
def test_robust_and_quantile_regressors_export_with_sorted_quantiles(params, dtype,
                                                                      target_opset):
    X, X_test = _train_test(dtype)
    y = X[:, 0] - 2 * X[:, 1] + np.random.default_rng(2).standard_t(2, size=X.shape[0])
    model = _fit(_regressor(**params), X, y)
    raw = model._network.predict(X_test.astype(model._network.dtype))
    several = "quantile" in params
    assert not several or (np.diff(raw, axis=1) < 0).any()  # crossed before sorting
    onx = skfcnn.onnx.to_onnx(model, X[:1], target_opset=target_opset)
    assert ("TopK" in _graph_ops(onx)) == several
    _check_regressor(model, X_test, onx)  # each row sorted, as predict sorts it


# -------------------------------------------------------------- pipelines and dtypes
@pytest.mark.parametrize("estimator", [FCNNClassifier, FCNNRegressor])
def test_skl2onnx_converts_them_inside_a_pipeline(estimator):
    X, X_test = _train_test(np.float32)
    X, X_test = X * 10 + 5, X_test * 10 + 5
    classifier = estimator is FCNNClassifier
    model = _fit(make_pipeline(StandardScaler(), (_classifier if classifier else _regressor)(
        batch_norm=True)), X, _multiclass(X) if classifier else X[:, 0] - X[:, 1])
    options = {FCNNClassifier: NO_ZIPMAP} if classifier else None
    onx = skl2onnx.to_onnx(model, X[:1], options=options)
    if classifier:
        _check_classifier(model, X_test, onx)
    else:
        _check_regressor(model, X_test, onx)


@pytest.mark.parametrize("model_dtype", DTYPES)
@pytest.mark.parametrize("graph_dtype", DTYPES)
def test_the_graph_dtype_follows_the_input_not_the_model(model_dtype, graph_dtype):
    X, X_test = _train_test(model_dtype)
    model = _fit(_regressor(batch_norm=True), X, X[:, 0] * X[:, 1])
    onx = skfcnn.onnx.to_onnx(model, X[:1].astype(graph_dtype))
    proto = onnx.TensorProto.FLOAT if graph_dtype == np.float32 else onnx.TensorProto.DOUBLE
    assert {t.data_type for t in onx.graph.initializer} == {proto}
    assert onx.graph.input[0].type.tensor_type.elem_type == proto
    predicted = _run(onx, X_test.astype(graph_dtype))["variable"][:, 0]
    # computed in the graph's dtype from weights of the model's: the coarser one's precision
    coarser = np.float32 if np.float32 in (model_dtype, graph_dtype) else np.float64
    assert np.abs(predicted - model.predict(X_test)).max() <= TOLERANCE[coarser]


@pytest.mark.parametrize("dtype", DTYPES)
def test_to_onnx_without_a_sample_uses_the_model_dtype(dtype):
    X, X_test = _train_test(dtype)
    model = _fit(_classifier(), X, _multiclass(X))
    onx = skfcnn.onnx.to_onnx(model, options=NO_ZIPMAP)
    assert onx.graph.input[0].type.tensor_type.shape.dim[1].dim_value == X.shape[1]
    _check_classifier(model, X_test, onx)
    with pytest.raises(ValueError, match="X_sample=None needs a fitted FCNNClassifier"):
        skfcnn.onnx.to_onnx(_fit(make_pipeline(StandardScaler(), model), X, _multiclass(X)))


@pytest.mark.parametrize("target_opset", [MIN_OPSET, 13, 17])
def test_every_supported_opset_gives_the_same_numbers(target_opset):
    X, X_test = _train_test(np.float64)
    model = _fit(_classifier(hidden_layer_sizes=(8, 6), activation=["gelu", "elu"],
                             batch_norm=True), X, _multiclass(X))
    onx = skfcnn.onnx.to_onnx(model, X[:1], options=NO_ZIPMAP, target_opset=target_opset)
    assert max(o.version for o in onx.opset_import if o.domain == "") <= target_opset
    _check_classifier(model, X_test, onx)


def test_an_opset_older_than_the_minimum_is_refused():
    X, _ = _train_test(np.float64)
    model = _fit(_regressor(), X, X[:, 0])
    with pytest.raises(ValueError, match=f"target_opset={MIN_OPSET - 1} is too old"):
        skfcnn.onnx.to_onnx(model, X[:1], target_opset=MIN_OPSET - 1)


# ----------------------------------------------------- float64 graphs and ZipMap
#: ZipMap holds float32 only: a float64 graph's probabilities are cast to it at the end,
#: so they differ from ours by that rounding alone (half a float32 ulp below 1).
CAST = np.finfo(np.float32).eps / 2


def _check_zipmap(model, X, onx, tolerance):
    """The ZipMap outputs: labels equal, one {class: probability} per row within
    ``tolerance``; returns the session's output types."""
    out = _run(onx, X)
    np.testing.assert_array_equal(out["output_label"], model.predict(X))
    keys = label_array(model.classes_)
    zipped = np.array([[row[key] for key in keys] for row in out["output_probability"]])
    assert np.abs(zipped - model.predict_proba(X)).max() <= tolerance
    session = ort.InferenceSession(onx.SerializeToString(), providers=["CPUExecutionProvider"])
    return [o.type for o in session.get_outputs()]


@pytest.mark.parametrize("kind", TARGETS)
def test_a_float64_graph_with_zipmap_loads_and_matches(kind):
    X, X_test = _train_test(np.float64)
    model = _fit(_classifier(), X, _targets(kind, X))
    onx = skfcnn.onnx.to_onnx(model, X[:1])  # zipmap: skl2onnx's default
    assert onx.graph.input[0].type.tensor_type.elem_type == onnx.TensorProto.DOUBLE
    assert {t.data_type for t in onx.graph.initializer
            if t.data_type in (onnx.TensorProto.FLOAT, onnx.TensorProto.DOUBLE)} == {
        onnx.TensorProto.DOUBLE}  # computed in float64 ...
    types = _check_zipmap(model, X_test, onx, CAST)  # ... and cast for ZipMap only
    assert types[1].endswith("tensor(float)))")
    _check_classifier(model, X_test, skfcnn.onnx.to_onnx(model, X[:1], options=NO_ZIPMAP))


@pytest.mark.parametrize("dtype", DTYPES)
def test_zipmap_columns_nocl_and_class_labels_in_either_dtype(dtype):
    X, X_test = _train_test(dtype)
    model = _fit(_classifier(), X, _targets("multiclass str", X))
    out = _run(skfcnn.onnx.to_onnx(model, X[:1], options={"zipmap": "columns"}), X_test)
    assert list(out) == ["output_label", "sant", "sbee", "scat"]  # skl2onnx's names
    columns = np.column_stack([out[f"s{name}"] for name in model.classes_])
    assert columns.dtype == dtype  # no ZipMap node: no cast
    assert np.abs(columns - model.predict_proba(X_test)).max() <= TOLERANCE[dtype]
    options = {"zipmap": False, "nocl": True}
    indices = _run(skfcnn.onnx.to_onnx(model, X[:1], options=options), X_test)["label"]
    np.testing.assert_array_equal(model.classes_[indices], model.predict(X_test))
    options = {"zipmap": False, "output_class_labels": True}
    out = _run(skfcnn.onnx.to_onnx(model, X[:1], options=options), X_test)
    np.testing.assert_array_equal(out["class_labels"], model.classes_)
    _check_zipmap(model, X_test, skfcnn.onnx.to_onnx(model, X[:1]),
                  CAST if dtype == np.float64 else TOLERANCE[dtype])


@pytest.mark.parametrize("kind", ["binary int", "multiclass str", "multilabel"])
def test_a_float64_pipeline_with_zipmap_loads_and_matches(kind):
    X, X_test = _train_test(np.float64)
    X, X_test = X * 10 + 5, X_test * 10 + 5
    model = _fit(make_pipeline(StandardScaler(), _classifier(batch_norm=True)), X,
                 _targets(kind, (X - 5) / 10))
    _check_zipmap(model, X_test, skl2onnx.to_onnx(model, X[:1]), CAST)
    onx = skl2onnx.to_onnx(model, X[:1], options={FCNNClassifier: NO_ZIPMAP})
    _check_classifier(model, X_test, onx)


def test_the_readme_onnx_line_runs_in_onnxruntime():
    """The README's example as it stands (float64 ``make_circles``, a classifier
    streamed with ``partial_fit``, a pipeline) and its ONNX line, run by onnxruntime."""
    X, y = make_circles(n_samples=300, factor=0.3, noise=0.1, random_state=0)
    clf = FCNNClassifier(hidden_layer_sizes=(16,), learning_rate_init=0.01, random_state=0)
    for start in range(0, 300, 100):
        clf.partial_fit(X[start:start + 100], y[start:start + 100], classes=[0, 1])
    assert X.dtype == np.float64
    _check_zipmap(clf, X, skfcnn.onnx.to_onnx(clf, X[:1]), CAST)
    pipeline = _fit(make_pipeline(StandardScaler(), FCNNClassifier(
        hidden_layer_sizes=(16,), learning_rate_init=0.01, max_iter=50, random_state=0)), X, y)
    _check_zipmap(pipeline, X, skl2onnx.to_onnx(pipeline, X[:1]), CAST)
    reg = _fit(_regressor(), X, X[:, 0] * X[:, 1])
    _check_regressor(reg, X, skfcnn.onnx.to_onnx(reg, X[:1]))


@pytest.mark.parametrize("cls", [FCNNClassifier, FCNNRegressor])
@pytest.mark.parametrize("in_pipeline", [False, True])
def test_an_unfitted_estimator_is_not_fitted_error(cls, in_pipeline):
    """Issue 21: skl2onnx's "No known ways to retrieve the number of classes"
    (classifier) or AttributeError: _network (regressor) came out instead."""
    from sklearn.exceptions import NotFittedError

    model = cls(hidden_layer_sizes=(3,))
    model = make_pipeline(model) if in_pipeline else model
    X = np.zeros((1, 2))
    with pytest.raises(NotFittedError, match=f"This {cls.__name__} instance is not fitted"):
        skl2onnx.to_onnx(model, X)
    with pytest.raises(NotFittedError):
        skfcnn.onnx.to_onnx(model, X)
