"""What scikit-learn's MLP refuses to add (issue 4): the estimator-level features."""

import pickle

import numpy as np
import pytest
from conftest import BOTH, data_for
from sklearn.base import clone
from sklearn.datasets import make_classification
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import balanced_accuracy_score, recall_score
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skfcnn import FCNNClassifier, FCNNRegressor, check_gradients
from skfcnn.nn.transforms import clip_gradient

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


@pytest.fixture(scope="module")
def digits(digits_400):
    return digits_400


@pytest.fixture(scope="module")
def regression(regression_300):
    return regression_300


class StopAfter:
    """A picklable callback that stops training after ``n`` epochs and keeps what it saw."""

    def __init__(self, n):
        self.n = n
        self.seen = []

    def __call__(self, history):
        self.seen.append(history)
        return history["epoch"] >= self.n


# -- class_weight --------------------------------------------------------------------------
@pytest.fixture(scope="module")
def imbalanced():
    X, y = make_classification(n_samples=6000, n_features=10, weights=[0.95, 0.05],
                               class_sep=0.5, random_state=0)
    return train_test_split(X, y, stratify=y, random_state=0)


def test_balanced_class_weight_raises_minority_recall(imbalanced):
    X_train, X_test, y_train, y_test = imbalanced
    params = dict(hidden_layer_sizes=(16,), learning_rate_init=0.01, random_state=0)
    plain = FCNNClassifier(**params).fit(X_train, y_train)
    balanced = FCNNClassifier(class_weight="balanced", **params).fit(X_train, y_train)
    plain_recall = recall_score(y_test, plain.predict(X_test))
    balanced_recall = recall_score(y_test, balanced.predict(X_test))
    assert plain_recall < 0.3 < 0.5 < balanced_recall  # measured: 0.07 and 0.68
    assert balanced_accuracy_score(y_test, balanced.predict(X_test)) > \
        balanced_accuracy_score(y_test, plain.predict(X_test)) + 0.1


def test_class_weight_dict_equals_sample_weight_and_combines(digits):
    X, y = digits
    params = dict(hidden_layer_sizes=(8,), max_iter=5, random_state=0)
    weights = {3: 4.0, 7: 0.5}
    per_sample = np.array([weights.get(label, 1.0) for label in y])
    by_class = FCNNClassifier(class_weight=weights, **params).fit(X, y)
    by_sample = FCNNClassifier(**params).fit(X, y, sample_weight=per_sample)
    np.testing.assert_allclose(by_class._network.params, by_sample._network.params)
    extra = np.random.default_rng(0).uniform(0.5, 2.0, len(y))
    both = FCNNClassifier(class_weight=weights, **params).fit(X, y, sample_weight=extra)
    product = FCNNClassifier(**params).fit(X, y, sample_weight=extra * per_sample)
    np.testing.assert_allclose(both._network.params, product._network.params)


def test_class_weight_errors_and_partial_fit(digits):
    X, y = digits
    with pytest.raises(ValueError, match=r"class_weight names classes \[42\]"):
        FCNNClassifier(class_weight={42: 2.0}, max_iter=2).fit(X, y)
    with pytest.raises(AttributeError, match="has no attribute 'partial_fit'") as error:
        FCNNClassifier(class_weight="balanced").partial_fit(X, y, classes=np.arange(10))
    assert "not available with class_weight='balanced'" in str(error.value.__cause__)
    clf = FCNNClassifier(class_weight={0: 3.0}, hidden_layer_sizes=(4,))
    clf.partial_fit(X[y != 0], y[y != 0], classes=np.arange(10))  # a chunk without class 0
    assert clf.n_iter_ == 1


# -- early stopping on the validation loss or a given validation set -----------------------
@pytest.mark.parametrize("cls", BOTH)
def test_early_stopping_on_validation_loss(cls, digits, regression):
    X, y = data_for(cls, digits, regression)
    est = cls(early_stopping=True, monitor="loss", hidden_layer_sizes=(16,),
              learning_rate_init=0.01, n_iter_no_change=5, max_iter=300, random_state=0)
    est.fit(X, y)
    curve = est.validation_loss_curve_
    assert len(curve) == len(est.validation_scores_) == est.n_iter_ < 300
    best = int(np.argmin(curve))
    # stopped n_iter_no_change + 1 epochs after the last improvement of the loss by tol
    assert est.n_iter_ - 1 - best <= est.n_iter_no_change + 1
    assert all(value > min(curve) - est.tol for value in curve[best + 1:])


@pytest.mark.parametrize("cls", BOTH)
def test_fit_with_a_given_validation_set(cls, digits, regression):
    X, y = data_for(cls, digits, regression)
    X_train, X_val, y_train, y_val = train_test_split(X, y, test_size=0.25, random_state=0)
    est = cls(early_stopping=True, hidden_layer_sizes=(16,), learning_rate_init=0.01,
              max_iter=60, random_state=0)
    est.fit(X_train, y_train, X_val=X_val, y_val=y_val)
    assert est.t_ == est.n_iter_ * X_train.shape[0]  # nothing held out of X_train
    # the best epoch's parameters were restored: their score is the best score
    assert est.score(X_val, y_val) == pytest.approx(est.best_validation_score_)
    weights = np.where(np.arange(len(y_val)) % 2 == 0, 1.0, 0.0)
    weighted = clone(est).fit(X_train, y_train, X_val=X_val, y_val=y_val,
                              sample_weight_val=weights)
    assert weighted.score(X_val[weights > 0], y_val[weights > 0]) == pytest.approx(
        weighted.best_validation_score_)


def test_validation_set_errors(digits):
    X, y = digits
    with pytest.raises(ValueError, match="early_stopping=False"):
        FCNNClassifier().fit(X, y, X_val=X, y_val=y)
    with pytest.raises(ValueError, match="together"):
        FCNNClassifier(early_stopping=True).fit(X, y, X_val=X)
    with pytest.raises(ValueError, match="X has 63 features"):
        FCNNClassifier(early_stopping=True).fit(X, y, X_val=X[:, 1:], y_val=y)
    with pytest.raises(ValueError, match=r"y_val has classes not in the training labels"):
        FCNNClassifier(early_stopping=True).fit(X[y < 5], y[y < 5], X_val=X, y_val=y)


def _best_epoch_replay(cls, X, y, params):
    """Fits to ``max_iter``, with ``restore_best_weights=True``, and up to the best epoch."""
    last = cls(**params).fit(X, y)
    best_epoch = int(np.argmin(last.loss_curve_)) + 1
    assert best_epoch < params["max_iter"]  # this noisy run's best epoch is not its last
    restored = cls(restore_best_weights=True, **params).fit(X, y)
    replay = cls(**{**params, "max_iter": best_epoch}).fit(X, y)
    return last, restored, replay


@pytest.mark.parametrize("cls", BOTH)
def test_restore_best_weights(cls, digits, regression):
    X, y = data_for(cls, digits, regression)
    rate = 1.0 if cls is FCNNClassifier else 0.3  # too large on purpose: a noisy run
    params = dict(hidden_layer_sizes=(16,), solver="sgd", learning_rate_init=rate,
                  momentum=0.9 if cls is FCNNClassifier else 0.95, max_iter=30, tol=0.0,
                  n_iter_no_change=30, random_state=0)
    _, restored, replay = _best_epoch_replay(cls, X, y, params)
    np.testing.assert_allclose(restored._network.params, replay._network.params)
    # early stopping restores by default ('auto'); False keeps the last epoch. It stops
    # only after n_iter_no_change epochs without progress, so the best is not the last
    stopping = dict(hidden_layer_sizes=(16,), early_stopping=True, n_iter_no_change=3,
                    learning_rate_init=0.01, random_state=0)
    kept = cls(restore_best_weights=False, **stopping).fit(X, y)
    plain = cls(**stopping).fit(X, y)
    assert kept.n_iter_ == plain.n_iter_ < 200
    assert plain.score(X, y) != kept.score(X, y)
    assert not np.allclose(kept._network.params, plain._network.params)


@pytest.mark.parametrize("cls", BOTH)
def test_restore_best_weights_restores_batch_norm_statistics(cls, digits, regression):
    """The running statistics come back with the weights: the model is the best epoch's."""
    X, y = data_for(cls, digits, regression)
    rate = 1.0 if cls is FCNNClassifier else 0.3  # too large on purpose: a noisy run
    params = dict(hidden_layer_sizes=(16,), solver="sgd", learning_rate_init=rate,
                  momentum=0.95, max_iter=30, tol=0.0, n_iter_no_change=30,
                  batch_norm=True, random_state=0)
    last, restored, replay = _best_epoch_replay(cls, X, y, params)
    np.testing.assert_array_equal(restored._network.params, replay._network.params)
    for ours, best, final in zip(restored._network.running_vars, replay._network.running_vars,
                                 last._network.running_vars):
        np.testing.assert_array_equal(ours, best)
        assert not np.allclose(ours, final)
    np.testing.assert_array_equal(restored.predict(X), replay.predict(X))


# -- hidden-layer outputs -----------------------------------------------------------------
@pytest.mark.parametrize("cls", BOTH)
def test_transform_gives_hidden_layer_activations(cls, digits, regression):
    X, y = data_for(cls, digits, regression)
    est = cls(hidden_layer_sizes=(7, 5), max_iter=3, random_state=0).fit(X, y)
    first = np.maximum(X @ est.coefs_[0] + est.intercepts_[0], 0)
    second = np.maximum(first @ est.coefs_[1] + est.intercepts_[1], 0)
    np.testing.assert_allclose(est.transform(X, layer=0), first)
    np.testing.assert_allclose(est.transform(X), second)
    np.testing.assert_allclose(est.transform(X, layer=-2), first)
    assert list(est.get_feature_names_out()) == [f"{cls.__name__.lower()}{i}" for i in range(5)]
    with pytest.raises(ValueError, match="layer=2 is out of range"):
        est.transform(X, layer=2)


def test_transform_feeds_another_model_and_pandas_output(digits):
    pd = pytest.importorskip("pandas")
    X, y = digits
    pipe = make_pipeline(StandardScaler(), FCNNClassifier((32,), max_iter=200, random_state=0),
                         LogisticRegression(max_iter=500))
    assert pipe.fit(X, y).score(X, y) > 0.95
    est = FCNNClassifier((6,), max_iter=3, random_state=0).fit(X, y).set_output(
        transform="pandas")
    frame = est.transform(X)
    assert isinstance(frame, pd.DataFrame) and frame.shape == (len(X), 6)
    assert list(frame.columns) == list(est.get_feature_names_out())


def test_pandas_output_names_the_units_of_the_layer_asked_for(digits):
    pd = pytest.importorskip("pandas")
    X, y = digits
    frame_in = pd.DataFrame(X[:50], index=np.arange(100, 150))
    est = FCNNClassifier((7, 4), max_iter=3, random_state=0).fit(X, y)
    est.set_output(transform="pandas")
    first = est.transform(frame_in.to_numpy(), layer=0)
    assert list(first.columns) == [f"fcnnclassifier_layer0_{i}" for i in range(7)]
    last = est.transform(frame_in.to_numpy())
    assert list(last.columns) == [f"fcnnclassifier{i}" for i in range(4)]
    np.testing.assert_allclose(first.to_numpy(), est.set_output(transform="default")
                               .transform(X[:50], layer=0))


@pytest.mark.parametrize("cls", BOTH)
def test_lbfgs_ignores_dropout_and_keeps_batch_norm_statistics(cls, digits, regression):
    """Documented: lbfgs evaluates the network in prediction mode, like scikit-learn
    ignores the parameters of the solvers it does not use."""
    X, y = data_for(cls, digits, regression)
    plain = cls(hidden_layer_sizes=(8,), solver="lbfgs", max_iter=5, random_state=0).fit(X, y)
    dropped = cls(hidden_layer_sizes=(8,), solver="lbfgs", max_iter=5, dropout=0.5,
                  random_state=0).fit(X, y)
    np.testing.assert_array_equal(dropped.coefs_[0], plain.coefs_[0])
    normed = cls(hidden_layer_sizes=(8,), solver="lbfgs", max_iter=5, batch_norm=True,
                 random_state=0).fit(X, y)
    assert np.isfinite(normed.loss_) and normed.loss_ < normed.loss_curve_[0]
    np.testing.assert_array_equal(normed._network.running_means[0], 0.0)
    np.testing.assert_array_equal(normed._network.running_vars[0], 1.0)


# -- training control ------------------------------------------------------------------------
@pytest.mark.parametrize("dtype, huge", [(np.float32, 3e19), (np.float64, 3e160)])
def test_clip_gradient_clips_a_gradient_whose_squared_norm_overflows(dtype, huge):
    grad = np.array([huge, -huge, 0.0, huge / 2], dtype=dtype)
    with np.errstate(over="ignore"):
        clipped = clip_gradient(grad.copy(), 2.0)
    assert clipped.dtype == dtype
    np.testing.assert_allclose(clipped, [2 / 1.5, -2 / 1.5, 0.0, 1 / 1.5], rtol=1e-6)


def test_clip_gradient_rescales_to_the_norm():
    grad = np.array([3.0, 4.0])
    np.testing.assert_allclose(clip_gradient(grad, 1.0), [0.6, 0.8])
    small = np.array([0.3, 0.4])
    np.testing.assert_array_equal(clip_gradient(small, 1.0), [0.3, 0.4])


@pytest.mark.parametrize("cls", BOTH)
def test_max_grad_norm_bounds_every_update(cls, monkeypatch, digits, regression):
    X, y = data_for(cls, digits, regression)
    import skfcnn.nn.optimizers as optimizers

    norms, real_update = [], optimizers.Adam.update

    def spy(self, params, grad, rate, state):
        norms.append(float(np.linalg.norm(grad)))
        return real_update(self, params, grad, rate, state)

    monkeypatch.setattr(optimizers.Adam, "update", spy)
    cls(hidden_layer_sizes=(8,), max_iter=3, random_state=0).fit(X, y * 50)
    assert max(norms) > 0.5  # without clipping the gradients are large
    norms.clear()
    cls(hidden_layer_sizes=(8,), max_iter=3, max_grad_norm=0.5, random_state=0).fit(X, y * 50)
    assert max(norms) <= 0.5 * (1 + 1e-9)


@pytest.mark.parametrize("cls", BOTH)
def test_callbacks_see_the_history_and_can_stop(cls, digits, regression):
    X, y = data_for(cls, digits, regression)
    est = cls(hidden_layer_sizes=(8,), callbacks=[StopAfter(4)], random_state=0).fit(X, y)
    assert est.n_iter_ == 4
    seen = est.callbacks[0].seen
    assert [h["epoch"] for h in seen] == [1, 2, 3, 4]
    assert seen[-1]["loss"] == est.loss_curve_[-1] and seen[-1]["learning_rate"] == 0.001
    assert set(seen[0]) >= {"epoch", "loss", "loss_curve", "validation_score",
                            "validation_loss", "learning_rate", "fit_time"}
    assert clone(est).callbacks[0].n == 4 and pickle.loads(pickle.dumps(est)).n_iter_ == 4
    with pytest.raises(TypeError, match="'callbacks' parameter must be callable"):
        cls(callbacks=["stop"]).fit(X, y)


@pytest.mark.parametrize("cls", BOTH)
def test_fit_time_per_epoch_and_verbose_progress(cls, capsys, digits, regression):
    X, y = data_for(cls, digits, regression)
    est = cls(hidden_layer_sizes=(8,), max_iter=5, verbose=2, random_state=0).fit(X, y)
    assert len(est.fit_time_) == est.n_iter_ == 5 and all(t > 0 for t in est.fit_time_)
    est.partial_fit(X, y)
    assert len(est.fit_time_) == 6
    assert capsys.readouterr().out.count("Iteration") == 6  # verbose 2 also prints


# -- the public gradient check --------------------------------------------------------------
@pytest.mark.parametrize("cls, params", [
    (FCNNClassifier, dict(activation="tanh", alpha=0.1, class_weight="balanced")),
    (FCNNClassifier, dict(activation="logistic", hidden_layer_sizes=(4, 3))),
    (FCNNRegressor, dict(alpha=0.5, hidden_layer_sizes=(4, 3))),
    (FCNNRegressor, dict(loss="poisson", activation="tanh", hidden_layer_sizes=(4,))),
])
def test_check_gradients_passes_for_the_exact_configuration(cls, params, digits, regression):
    X, y = data_for(cls, digits, regression)
    X, y = X[:25], (y[:25] if cls is FCNNClassifier else np.abs(y[:25]))
    est = cls(**{"hidden_layer_sizes": (5,), "random_state": 0, **params})
    result = check_gradients(est, X, y, sample_weight=np.linspace(0.5, 2, 25))
    assert result.max_abs_error < 1e-7 and result.n_parameters > 20


def test_check_gradients_checks_float32_models_in_float64_and_leaves_them(digits):
    X, y = digits
    est = FCNNClassifier(hidden_layer_sizes=(5,), max_iter=3, random_state=0)
    est.fit(X.astype(np.float32), y)
    before = est._network.params.copy()
    assert check_gradients(est, X[:20], y[:20]).max_abs_error < 1e-7
    np.testing.assert_array_equal(est._network.params, before)
    assert est._network.params.dtype == np.float32


def test_check_gradients_catches_a_broken_derivative(monkeypatch, digits):
    from skfcnn.nn import activations
    from skfcnn.nn.gradcheck import GradientCheckError

    X, y = digits
    tanh = activations.ACTIVATIONS["tanh"]
    real = tanh.derivative

    def broken(*args):  # a 1% error in the derivative (applied in place, as they work)
        delta = real(*args)
        delta *= 1.01
        return delta

    monkeypatch.setattr(tanh, "derivative", broken)
    with pytest.raises(GradientCheckError, match=r"parameter \d+: backprop gives"):
        check_gradients(FCNNClassifier(hidden_layer_sizes=(5,), activation="tanh"),
                        X[:20], y[:20])
