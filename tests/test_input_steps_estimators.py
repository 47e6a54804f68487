"""The estimators' ``input_steps`` (RealMLP's front scale and periodic embeddings): fitted
in pipelines, gradient-checked, saved and cloned, refused where a part cannot follow;
``None`` leaves every result as it was."""

import copy
import pickle
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from conftest import BOTH, quiet_fit
from numpy.testing import assert_array_equal
from sklearn.base import clone
from sklearn.datasets import make_classification, make_regression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils._param_validation import InvalidParameterError

from skfcnn import FCNNClassifier, FCNNRegressor, check_gradients
from skfcnn.nn import EnsembleInput, FrontScale, PeriodicEmbedding

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


def _steps():
    return [FrontScale(), PeriodicEmbedding()]


def _data(cls, dtype=np.float64, n_samples=200, n_features=6):
    if cls is FCNNClassifier:
        X, y = make_classification(n_samples=n_samples, n_features=n_features,
                                   n_informative=min(4, n_features), n_redundant=0,
                                   n_classes=3, random_state=0)
    else:
        X, y = make_regression(n_samples=n_samples, n_features=n_features, noise=1.0,
                               random_state=0)
        y = y / y.std()
    return X.astype(dtype), y


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("cls", BOTH)
def test_a_pipeline_with_input_steps_fits_and_predicts_finite_values(cls, dtype):
    X, y = _data(cls, dtype)
    model = make_pipeline(StandardScaler(), cls(hidden_layer_sizes=(32,), max_iter=60,
                                                learning_rate_init=0.01,
                                                input_steps=_steps(), random_state=0))
    quiet_fit(model, X, y)
    est = model[-1]
    assert est.n_features_in_ == 6 and est.coefs_[0].shape == (24, 32)
    assert est.coefs_[0].dtype == dtype
    out = model.predict_proba(X) if cls is FCNNClassifier else model.predict(X)
    assert out.dtype == dtype and np.isfinite(out).all()
    assert model.score(X, y) > (0.9 if cls is FCNNClassifier else 0.95)
    scale = est._network.bound_input_steps[0].parameter_values()["scale"]
    assert not np.allclose(scale, 1.0)  # the steps trained
    assert model.transform(X[:5]).shape == (5, 32)


@pytest.mark.parametrize("cls", BOTH)
def test_none_and_an_empty_list_are_the_plain_network_bit_for_bit(cls):
    X, y = _data(cls, n_samples=80)
    fits = [quiet_fit(cls(hidden_layer_sizes=(8,), max_iter=5, random_state=0, **extra), X, y)
            for extra in ({}, {"input_steps": None}, {"input_steps": []})]
    for est in fits[1:]:
        assert_array_equal(est._network.params, fits[0]._network.params)
        assert est._network.input_steps == ()


@pytest.mark.parametrize("cls", BOTH)
def test_the_gradients_pass_the_check(cls):
    X, y = _data(cls, n_samples=12, n_features=3)
    est = cls(hidden_layer_sizes=(4,), activation="tanh", alpha=0.1,
              input_steps=[FrontScale(), PeriodicEmbedding(columns=[0, 2], n_frequencies=3)])
    result = check_gradients(est, X, y)
    n_outputs = 3 if cls is FCNNClassifier else 1
    # dense layers on 2 * (3 + 1) + 1 columns, the front scale, two columns' embeddings
    assert result.n_parameters == (9 + 1) * 4 + 5 * n_outputs + 3 + 2 * (3 + 3 + 9 + 3)


def test_the_gradients_pass_the_check_with_dropout_and_batch_norm():
    X, y = _data(FCNNRegressor, n_samples=12, n_features=3)
    est = FCNNRegressor(hidden_layer_sizes=(5,), dropout=0.3, batch_norm=True,
                        input_steps=[PeriodicEmbedding(n_frequencies=2), FrontScale()])
    check_gradients(est, X, y, sample_weight=np.linspace(0.5, 2.0, 12))


@pytest.mark.parametrize("cls", BOTH)
def test_lbfgs_trains_the_input_steps_too(cls):
    X, y = _data(cls, n_samples=100)
    est = quiet_fit(cls(hidden_layer_sizes=(16,), solver="lbfgs", max_iter=50, random_state=0,
                        input_steps=_steps()), StandardScaler().fit_transform(X), y)
    assert est.loss_curve_[-1] < est.loss_curve_[0]
    assert not np.allclose(est._network.bound_input_steps[0].stored["scale"], 1 / 6)


@pytest.mark.parametrize("cls", BOTH)
def test_pickle_copy_and_clone_give_the_same_predictions(cls):
    X, y = _data(cls, n_samples=80)
    est = quiet_fit(cls(hidden_layer_sizes=(8,), max_iter=5, random_state=0,
                        input_steps=_steps()), X, y)
    expected = est.predict(X)
    for twin in (pickle.loads(pickle.dumps(est)), copy.deepcopy(est)):
        assert_array_equal(twin.predict(X), expected)
        assert twin.get_params()["input_steps"] == est.input_steps
    cloned = clone(est)
    assert cloned.input_steps == est.input_steps and cloned.input_steps[0] is not \
        est.input_steps[0]
    assert_array_equal(quiet_fit(cloned, X, y).predict(X), expected)


def test_fit_never_changes_the_users_steps():
    steps = _steps()
    fields = [dict(vars(step)) for step in steps]
    est = quiet_fit(FCNNRegressor(hidden_layer_sizes=(8,), max_iter=3, input_steps=steps),
                    *_data(FCNNRegressor, n_samples=40))
    assert [vars(step) for step in steps] == fields
    assert est.input_steps is steps
    assert all(a is not b for a, b in zip(est._network.input_steps, steps))


def test_partial_fit_goes_on_and_a_change_of_steps_is_refused():
    X, y = _data(FCNNRegressor, n_samples=60)
    est = FCNNRegressor(hidden_layer_sizes=(8,), random_state=0, input_steps=_steps())
    est.partial_fit(X, y).partial_fit(X, y)
    assert len(est.loss_curve_) == 2
    est.set_params(input_steps=[FrontScale()])
    with pytest.raises(ValueError, match=r"partial_fit need the input_steps of the fitted "
                                         r"model \(\[FrontScale\(lr_factor=6\.0\), Periodic"):
        est.partial_fit(X, y)
    est.set_params(input_steps=None, warm_start=True)
    with pytest.raises(ValueError, match=r"got input_steps=None\. Set warm_start=False"):
        est.fit(X, y)
    est.set_params(input_steps=_steps())  # equal objects: the same model goes on
    quiet_fit(est, X, y)


def test_sparse_input_fits_the_dense_numbers():
    X, y = _data(FCNNClassifier, n_samples=60)
    X[X < 0] = 0
    fits = [quiet_fit(FCNNClassifier(hidden_layer_sizes=(8,), max_iter=3, random_state=0,
                                     input_steps=_steps()), data, y)
            for data in (X, sp.csr_matrix(X))]
    assert_array_equal(fits[1]._network.params, fits[0]._network.params)
    assert_array_equal(fits[1].predict_proba(sp.csr_matrix(X)), fits[0].predict_proba(X))


def test_monte_carlo_dropout_with_input_steps():
    X, y = _data(FCNNRegressor, n_samples=60)
    est = quiet_fit(FCNNRegressor(hidden_layer_sizes=(16,), dropout=0.2, max_iter=5,
                                  random_state=0, input_steps=_steps()), X, y)
    mean, std = est.predict(X, return_std=True, n_passes=20)
    assert mean.shape == std.shape == (60,) and (std > 0).all()
    assert np.corrcoef(mean, est.predict(X))[0, 1] > 0.95


@pytest.mark.parametrize("value", [FrontScale(), [FrontScale(), "front_scale"], [object()],
                                   "periodic_embedding"])
def test_an_invalid_input_steps_is_named(value):
    X, y = _data(FCNNRegressor, n_samples=20)
    with pytest.raises(InvalidParameterError, match=r"'input_steps' parameter"):
        FCNNRegressor(input_steps=value).fit(X, y)


def test_steps_that_cannot_take_the_features_are_named():
    X, y = _data(FCNNRegressor, n_samples=20)
    with pytest.raises(ValueError, match=r"input_steps=\[PeriodicEmbedding\(columns=\[6\].* "
                                         r"cannot take the 6 features of X: .*\[0, 6\)"):
        FCNNRegressor(input_steps=[PeriodicEmbedding(columns=[6])]).fit(X, y)


def test_a_file_saved_before_the_parameter_loads_without_steps():
    X, y = _data(FCNNClassifier, n_samples=40)
    est = quiet_fit(FCNNClassifier(hidden_layer_sizes=(4,), max_iter=2, random_state=0), X, y)
    state = est.__getstate__()
    del state["input_steps"]
    loaded = FCNNClassifier.__new__(FCNNClassifier)
    loaded.__setstate__(state)
    assert loaded.input_steps is None
    assert_array_equal(loaded.predict_proba(X), est.predict_proba(X))


def test_onnx_export_refuses_input_steps():
    pytest.importorskip("skl2onnx")
    pytest.importorskip("onnx")
    from skfcnn.onnx import to_onnx

    X, y = _data(FCNNRegressor, np.float32, n_samples=40)
    est = quiet_fit(FCNNRegressor(hidden_layer_sizes=(4,), max_iter=2, input_steps=_steps()),
                    X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(ValueError, match=r"input_steps=\[FrontScale\(lr_factor=6\.0\), "
                                             r"PeriodicEmbedding.* have no ONNX form"):
            to_onnx(est, X[:1])


@pytest.mark.parametrize("n_classes", [2, 3])
def test_an_ensemble_classifier_gives_its_members_mean_probabilities(n_classes):
    """``predict_proba`` of a BatchEnsemble is the mean of its members' probabilities, the
    numbers ``predict`` decides from (not the probabilities of the mean logits)."""
    X, y = make_classification(n_samples=300, n_features=6, n_informative=4,
                               n_redundant=0, n_classes=n_classes, random_state=0)
    clf = quiet_fit(FCNNClassifier(hidden_layer_sizes=(16,), max_iter=30, random_state=0,
                                   input_steps=[EnsembleInput(4)]), X, y)
    network, proba = clf._network, clf.predict_proba(X)
    blocks = network.forward(X)[-1].reshape(4, len(X), -1)  # each member's outputs
    mean = blocks.mean(axis=0)
    expected = np.hstack([1 - mean, mean]) if n_classes == 2 else mean
    np.testing.assert_allclose(proba, expected, rtol=1e-12)
    assert_array_equal(clf.classes_[proba.argmax(axis=1)], clf.predict(X))
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)


def test_check_gradients_of_an_ensemble_with_a_loss_that_reads_the_targets():
    X, y = _data(FCNNRegressor, n_samples=40)
    reg = FCNNRegressor(hidden_layer_sizes=(4,), loss="huber", max_iter=3,
                        input_steps=[EnsembleInput(3)])
    assert check_gradients(reg, X, y).max_rel_error < 1e-4
