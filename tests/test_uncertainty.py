"""Predictive uncertainty by Monte Carlo dropout: ``FCNNRegressor.predict(X,
return_std=True)`` and the core's ``skfcnn.nn.mc_dropout``."""

import warnings

import numpy as np
import pytest
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skfcnn import FCNNClassifier, FCNNRegressor
from skfcnn.nn.mc_dropout import dropout_mean_std, dropout_passes


def _fit(est, X, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return est.fit(X, y)


@pytest.fixture(scope="module")
def sine():
    """``sin(2x)`` with noise 0.1 on [-2, 2], a dropout network fitted to it."""
    rng = np.random.RandomState(0)
    X = rng.uniform(-2, 2, (400, 1))
    y = np.sin(2 * X.ravel()) + 0.1 * rng.randn(400)
    est = FCNNRegressor(hidden_layer_sizes=(64, 64), dropout=0.1, max_iter=300,
                        learning_rate_init=0.01, random_state=0)
    return _fit(est, X, y), X, y


def test_the_spread_grows_outside_the_training_range(sine):
    est, _, _ = sine
    inside = np.linspace(-1.5, 1.5, 31).reshape(-1, 1)
    outside = np.array([[-4.0], [-3.5], [3.5], [4.0]])
    _, std_inside = est.predict(inside, return_std=True)
    _, std_outside = est.predict(outside, return_std=True)
    assert std_outside.min() > 2 * std_inside.max()
    mean, _ = est.predict(inside, return_std=True)  # the mean still fits the curve
    assert np.abs(mean - np.sin(2 * inside.ravel())).max() < 0.25


def test_the_mean_is_close_to_the_deterministic_prediction(sine):
    est, X, _ = sine
    mean, std = est.predict(X[:50], return_std=True)
    assert mean.shape == std.shape == (50,) and (std >= 0).all()
    assert np.abs(mean - est.predict(X[:50])).max() < 3 * std.max()


def test_the_passes_are_reproducible_under_random_state(sine):
    est, X, _ = sine
    first, again = est.predict(X[:20], return_std=True), est.predict(X[:20], return_std=True)
    np.testing.assert_array_equal(first[1], again[1])
    other = est.set_params(random_state=1).predict(X[:20], return_std=True)
    est.set_params(random_state=0)
    assert not np.array_equal(first[1], other[1])
    assert np.abs(first[1] - other[1]).max() < 0.5 * first[1].max()  # the same estimate


def test_more_passes_agree_with_the_core_on_every_output():
    rng = np.random.RandomState(1)
    X = rng.randn(120, 4)
    Y = np.column_stack([X[:, 0], X[:, 1] - X[:, 2]])
    est = _fit(FCNNRegressor(hidden_layer_sizes=(16,), dropout=0.2, batch_norm=True,
                             max_iter=50, random_state=0), X, Y)
    mean, std = est.predict(X[:7], return_std=True, n_passes=10)
    assert mean.shape == std.shape == (7, 2)
    seed = np.random.RandomState(0).randint(np.iinfo(np.int32).max)  # as the estimator
    core = dropout_mean_std(est._network, X[:7], 10, np.random.default_rng(seed))
    np.testing.assert_allclose(mean, core[0], rtol=0, atol=1e-12)
    np.testing.assert_allclose(std, core[1], rtol=0, atol=1e-12)


def test_float32_stays_float32():
    rng = np.random.RandomState(0)
    X = rng.randn(80, 3).astype(np.float32)
    est = _fit(FCNNRegressor(hidden_layer_sizes=(8,), dropout=0.1, max_iter=20,
                             random_state=0), X, X[:, 0])
    mean, std = est.predict(X, return_std=True, n_passes=5)
    assert mean.dtype == std.dtype == np.float32


def test_a_pipeline_passes_return_std_on(sine):
    _, X, y = sine
    pipe = _fit(make_pipeline(StandardScaler(), FCNNRegressor(
        hidden_layer_sizes=(16,), dropout=0.1, max_iter=30, random_state=0)), X, y)
    mean, std = pipe.predict(X[:5], return_std=True)
    assert mean.shape == std.shape == (5,)


def test_without_dropout_the_error_says_what_to_do(sine):
    _, X, y = sine
    est = _fit(FCNNRegressor(hidden_layer_sizes=(8,), max_iter=5, random_state=0), X, y)
    with pytest.raises(ValueError, match=r"needs dropout > 0; this model was fitted with "
                                         r"dropout=0\.0.*BaggingRegressor"):
        est.predict(X, return_std=True)
    np.testing.assert_array_equal(est.predict(X), est.predict(X))  # plain predict unchanged


@pytest.mark.parametrize("n_passes", [1, 0, 2.5, True])
def test_n_passes_must_be_an_int_of_at_least_two(sine, n_passes):
    est, X, _ = sine
    with pytest.raises(ValueError, match=rf"n_passes must be an int >= 2; got "
                                         rf"n_passes={n_passes!r}"):
        est.predict(X[:3], return_std=True, n_passes=n_passes)


def test_the_classifier_recipe_averages_probabilities(digits):
    X, y = digits
    clf = _fit(FCNNClassifier(hidden_layer_sizes=(32,), dropout=0.2, max_iter=30,
                              random_state=0), X, y)
    passes = dropout_passes(clf._network, X[:10], 20, np.random.default_rng(0))
    assert passes.shape == (20, 10, 10)
    np.testing.assert_allclose(passes.sum(axis=2), 1.0, rtol=1e-12)
    mean = passes.mean(axis=0)
    assert (mean.argmax(axis=1) == clf.predict(X[:10])).mean() >= 0.8
    assert passes.std(axis=0).max() > 0


def test_several_quantiles_are_sorted_in_every_pass():
    rng = np.random.RandomState(0)
    X = rng.randn(200, 2)
    y = X[:, 0] + rng.randn(200) * (0.2 + np.abs(X[:, 1]))
    est = _fit(FCNNRegressor(loss="quantile", quantile=[0.1, 0.5, 0.9], hidden_layer_sizes=(16,),
                             dropout=0.2, max_iter=30, random_state=0), X, y)
    mean, std = est.predict(X[:20], return_std=True, n_passes=8)
    assert mean.shape == std.shape == (20, 3)
    assert (np.diff(mean, axis=1) >= 0).all()


def test_sparse_input_gives_the_dense_numbers(sine):
    import scipy.sparse as sp

    est, X, _ = sine
    dense = est.predict(X[:6], return_std=True, n_passes=5)
    sparse = est.predict(sp.csr_matrix(X[:6]), return_std=True, n_passes=5)
    np.testing.assert_allclose(sparse[0], dense[0], rtol=1e-12)
    np.testing.assert_allclose(sparse[1], dense[1], rtol=1e-12)


@pytest.mark.parametrize("n_rows, n_passes", [(1, 3 * 4096 + 5), (3, 2000), (7, 10)])
def test_passes_in_groups_give_the_mean_and_std_of_every_pass(n_rows, n_passes):
    """Past the chunk (4096 rows times passes) the passes run in groups whose means
    and squared deviations are merged: the same numbers as from every pass at once."""
    rng = np.random.RandomState(2)
    X = rng.randn(60, 3)
    est = _fit(FCNNRegressor(hidden_layer_sizes=(8,), dropout=0.3, max_iter=5,
                             random_state=0), X, np.column_stack([X[:, 0], X[:, 1]]))
    passes = dropout_passes(est._network, X[:n_rows], n_passes, np.random.default_rng(5))
    mean, std = dropout_mean_std(est._network, X[:n_rows], n_passes, np.random.default_rng(5))
    np.testing.assert_allclose(mean, passes.mean(axis=0), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(std, passes.std(axis=0), rtol=1e-10, atol=1e-14)
    assert np.all(std > 0)


def test_the_memory_of_return_std_does_not_grow_with_the_passes():
    """Issue 21: 40960 passes on one row peaked at 52 MB (5 MB at 4096): every pass
    was tiled at once.  Now the peak is that of one chunk of passes."""
    import tracemalloc

    rng = np.random.RandomState(0)
    X = rng.randn(200, 5)
    est = _fit(FCNNRegressor(hidden_layer_sizes=(100,), dropout=0.1, max_iter=5,
                             random_state=0), X, X.sum(axis=1))

    def peak(n_passes):
        tracemalloc.start()
        try:
            est.predict(X[:1], return_std=True, n_passes=n_passes)
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()

    one_chunk, ten_chunks = peak(4096), peak(40960)
    assert ten_chunks < 1.2 * one_chunk, (one_chunk, ten_chunks)
    # one chunk: the tiled first-layer output (4096 x 100 float64) and its masks
    assert one_chunk < 4 * 4096 * 100 * 8, one_chunk


def test_several_quantiles_sort_each_pass_before_the_mean():
    rng = np.random.RandomState(3)
    X = rng.randn(300, 2)
    y = X[:, 0] + 0.5 * rng.randn(300)
    est = _fit(FCNNRegressor(hidden_layer_sizes=(16,), loss="quantile", quantile=[0.1, 0.9],
                             dropout=0.3, max_iter=20, random_state=0), X, y)
    mean, std = est.predict(X[:5], return_std=True, n_passes=50)
    seed = np.random.RandomState(0).randint(np.iinfo(np.int32).max)  # as the estimator
    passes = dropout_passes(est._network, X[:5], 50, np.random.default_rng(seed))
    passes.sort(axis=2)
    np.testing.assert_allclose(mean, passes.mean(axis=0), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(std, passes.std(axis=0), rtol=1e-10, atol=1e-14)
    assert np.all(mean[:, 0] <= mean[:, 1])


def test_each_pass_goes_through_the_losss_own_postprocess():
    """Issue 22: MC dropout applied the quantile loss's sorting by name of the rule;
    a user loss's postprocess (here: predictions of magnitude only) applies too."""
    from skfcnn.nn.losses import SquaredError

    class Magnitude(SquaredError):
        def postprocess(self, outputs):
            return np.abs(outputs)  # a new array, not in place

    rng = np.random.RandomState(4)
    X = rng.randn(200, 2)
    est = _fit(FCNNRegressor(hidden_layer_sizes=(16,), loss=Magnitude(), dropout=0.3,
                             max_iter=20, random_state=0), X, X[:, 0])
    mean, std = est.predict(X[:6], return_std=True, n_passes=40)
    seed = np.random.RandomState(0).randint(np.iinfo(np.int32).max)  # as the estimator
    passes = np.abs(dropout_passes(est._network, X[:6], 40, np.random.default_rng(seed)))
    np.testing.assert_allclose(mean.ravel(), passes.mean(axis=0).ravel(), rtol=1e-12)
    np.testing.assert_allclose(std.ravel(), passes.std(axis=0).ravel(), rtol=1e-10, atol=1e-14)
    assert np.all(mean >= 0)
