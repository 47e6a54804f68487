"""Memory is bounded and stated (issue 21): the peak and the retained memory of every
public call, measured with tracemalloc (NumPy reports its buffers to it) on an input
large enough that anything proportional to it would show, against the bounds the
user guide states ("Memory" in the guarantees).  With ``s`` the itemsize, ``n`` the
rows, ``d`` the features, ``W`` the widths of the hidden and output layers summed,
``P`` the number of parameters, ``b`` the rows of a batch and ``k`` the outputs:

=====================  ===============================================================
call                   peak (on top of the input), at most
=====================  ===============================================================
stochastic ``fit``     ``b (d + 4 W) s + 12 P s + 2 MB``; early stopping adds
                       ``(n d + 3 n k) s``: the split copies ``X`` and the encoded
                       targets
``partial_fit``        the same, with ``b`` the batch size
L-BFGS ``fit``         ``3 n W s + 32 P s + 2 MB`` (scipy keeps 10 pairs of vectors)
``predict``,           ``2 n k s + 2 * 4096 W s + 2 MB``: 4096 rows at a time
``predict_proba``
``return_std=True``    ``4 n k s + 4 * 4096 W s + 2 MB``, whatever ``n_passes``
``skfcnn.onnx``        ``6 P s + 2 MB``
=====================  ===============================================================

A fitted estimator retains ``16 P s + 2 * 4096 W s + 1 MB`` at most, whatever ``n``:
no buffer sized for a whole batch of training rows survives the fit.  These are
behaviours, not timings: the counts are exact for a given NumPy.
"""

import tracemalloc
import warnings

import numpy as np
import pytest

from skfcnn import FCNNClassifier, FCNNRegressor

MB = 2**20
CHUNK = 4096  # skfcnn.nn.network.PREDICT_CHUNK


def measured(call):
    """``(result, peak, retained)`` bytes allocated by ``call()``."""
    tracemalloc.start()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # a 2-epoch fit has not converged
            result = call()
        retained, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return result, peak, retained


@pytest.fixture(scope="module")
def large():
    """30000 x 60 float64 (14 MB): a copy of it, or buffers of every row, would show."""
    rng = np.random.RandomState(0)
    X = rng.standard_normal((30000, 60))
    y = X[:, :3].sum(axis=1)
    return X, y, (y > 0).astype(int)


def sizes(est):
    network = est._network
    return (network.dtype.itemsize, sum(network.layer_sizes[1:]), network.params.size,
            network.layer_sizes[-1])


def stochastic_bound(est, batch, n_features):
    s, W, P, _ = sizes(est)
    return batch * (n_features + 4 * W) * s + 12 * P * s + 2 * MB


def retained_bound(est):
    s, W, P, _ = sizes(est)
    return 16 * P * s + 2 * CHUNK * W * s + 1 * MB


@pytest.mark.parametrize("batch_size", [200, 30000], ids=["batch_200", "full_batch"])
@pytest.mark.parametrize("cls", [FCNNClassifier, FCNNRegressor])
def test_a_stochastic_fit_peaks_with_the_batch_and_retains_no_batch(cls, batch_size, large):
    X, y, labels = large
    est = cls(hidden_layer_sizes=(64, 32), max_iter=2, batch_size=batch_size, random_state=0)
    _, peak, retained = measured(lambda: est.fit(X, labels if cls is FCNNClassifier else y))
    assert peak <= stochastic_bound(est, batch_size, X.shape[1]), peak
    # issue 21: the activation and error buffers of a full batch (1.34 x the input on
    # a full-batch or L-BFGS fit) were kept by the fitted estimator
    assert retained <= retained_bound(est), retained
    if batch_size == 200:  # nothing proportional to the rows: no copy of X
        assert peak < 0.25 * X.nbytes


def test_early_stopping_adds_one_copy_of_the_input(large):
    X, _, labels = large
    est = FCNNClassifier(hidden_layer_sizes=(64, 32), max_iter=2, early_stopping=True,
                         random_state=0)
    _, peak, retained = measured(lambda: est.fit(X, labels))
    s, _, _, k = sizes(est)
    assert peak <= stochastic_bound(est, 200, X.shape[1]) + X.nbytes + 3 * X.shape[0] * k * s
    assert retained <= retained_bound(est)


def test_an_lbfgs_fit_peaks_with_the_whole_batch_and_retains_none_of_it(large):
    X, y, _ = large
    est = FCNNRegressor(hidden_layer_sizes=(64, 32), solver="lbfgs", max_iter=3,
                        random_state=0)
    _, peak, retained = measured(lambda: est.fit(X, y))
    s, W, P, _ = sizes(est)
    assert peak <= 3 * X.shape[0] * W * s + 32 * P * s + 2 * MB, peak
    assert retained <= retained_bound(est), retained


def test_partial_fit_peaks_with_its_batches(large):
    X, y, _ = large
    est = FCNNRegressor(hidden_layer_sizes=(64, 32), random_state=0).partial_fit(X[:500], y[:500])
    _, peak, retained = measured(lambda: est.partial_fit(X, y))
    assert peak <= stochastic_bound(est, 200, X.shape[1])
    assert retained <= retained_bound(est)


@pytest.mark.parametrize("method", ["predict", "predict_proba"])
def test_predictions_peak_with_their_output_and_one_chunk(method, large):
    X, _, labels = large
    est = FCNNClassifier(hidden_layer_sizes=(64, 32), max_iter=1, random_state=0)
    measured(lambda: est.fit(X[:2000], labels[:2000]))
    s, W, _, k = sizes(est)
    out, peak, retained = measured(lambda: getattr(est, method)(X))
    assert peak <= 2 * X.shape[0] * max(k, 2) * s + 2 * CHUNK * W * s + 2 * MB, peak
    assert retained <= out.nbytes + 64 * 1024  # the result, and nothing else


def test_return_std_peaks_with_one_chunk_of_passes(large):
    X, y, _ = large
    est = FCNNRegressor(hidden_layer_sizes=(64, 32), dropout=0.1, max_iter=1, random_state=0)
    measured(lambda: est.fit(X[:2000], y[:2000]))
    s, W, _, k = sizes(est)
    for rows, n_passes in ((10000, 20), (1, 40960)):
        _, peak, _ = measured(lambda: est.predict(X[:rows], return_std=True, n_passes=n_passes))
        assert peak <= 4 * rows * k * s + 4 * CHUNK * W * s + 2 * MB, (rows, n_passes, peak)


def test_the_onnx_export_peaks_with_the_parameters(large):
    pytest.importorskip("skl2onnx", reason="skl2onnx is not installed (the onnx extra)")
    import skfcnn.onnx

    X, y, _ = large
    est = FCNNRegressor(hidden_layer_sizes=(512, 256), max_iter=1, random_state=0)
    measured(lambda: est.fit(X[:1000], y[:1000]))
    s, _, P, _ = sizes(est)
    _, peak, _ = measured(lambda: skfcnn.onnx.to_onnx(est, X[:1]))
    assert peak <= 6 * P * s + 2 * MB, peak
