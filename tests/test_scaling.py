"""The recipes of ``docs/scaling.rst`` give the models that a local run gives.

One ``distributed.LocalCluster`` of two worker processes with one thread each serves the
module.  Clusters and Ray change the process that starts them, and the fixtures put it
back: every Nanny writes ``distributed.nanny.pre-spawn-environ`` (``OMP_NUM_THREADS=1``
and friends) and ``PYTHONHASHSEED`` into this process's ``os.environ`` before it spawns
its worker; joblib registers its dask backend on first use; importing ray and
``ray.init`` set ``RAY_*`` variables, and Ray's joblib backend registers itself and
rebases joblib's ``PicklingPool`` on Ray's pool.

Functions that run on the workers are defined inside functions, so that cloudpickle sends
them by value and the workers need not import this module.
"""

import contextlib
import os
import shutil
import tempfile
import warnings

import joblib
import numpy as np
import pytest
from sklearn.datasets import make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skfcnn import FCNNClassifier

BLAS_VARIABLES = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")
GRID = {"fcnnclassifier__alpha": [1e-4, 1.0], "fcnnclassifier__learning_rate_init": [1e-2, 1e-1]}
CHUNK = 100


@contextlib.contextmanager
def _restored_process_state():
    """Run the block, then give back ``os.environ`` and joblib's backends as they were."""
    from joblib.parallel import BACKENDS
    from joblib.pool import PicklingPool

    saved, backends, bases = dict(os.environ), dict(BACKENDS), PicklingPool.__bases__
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)
        BACKENDS.clear()
        BACKENDS.update(backends)
        PicklingPool.__bases__ = bases


def _import_distributed():
    return pytest.importorskip(
        "distributed", reason="distributed is not installed: pip install dask distributed")


def _local_cluster(distributed, n_workers):
    """Worker processes of one thread each, started through nannies.  No dashboard: where
    bokeh is missing, each scheduler that wants one appends a route to dask's config."""
    return distributed.LocalCluster(n_workers=n_workers, threads_per_worker=1, processes=True,
                                    dashboard_address=":0", scheduler_kwargs={"dashboard": False})


@pytest.fixture(scope="module")
def data():
    """300 rows, 10 features, 3 classes."""
    return make_classification(n_samples=300, n_features=10, n_informative=5, n_classes=3,
                               random_state=0)


@pytest.fixture(scope="module")
def client():
    """A client of two single-threaded worker processes, with the Nanny's default BLAS
    environment (the caller's ``OMP_NUM_THREADS`` and friends are hidden from it)."""
    distributed = _import_distributed()
    with _restored_process_state():
        for name in BLAS_VARIABLES:
            os.environ.pop(name, None)
        with _local_cluster(distributed, 2) as cluster, distributed.Client(cluster) as client:
            yield client


@pytest.fixture(scope="module")
def ray_backend():
    """Ray on two CPUs with its joblib backend registered; everything undone after."""
    with _restored_process_state():  # importing ray sets RAY_CLIENT_MODE too
        ray = pytest.importorskip("ray", reason="ray is not installed: pip install ray")
        from ray.util.joblib import register_ray

        os.environ["RAY_AUTH_MODE"] = "disabled"  # else ray.init writes a token to ~/.ray
        temp_dir = tempfile.mkdtemp(prefix="ray")
        try:
            ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False,
                     configure_logging=False, _temp_dir=temp_dir)
        except (RuntimeError, OSError, ray.exceptions.RayError) as error:  # could not start
            shutil.rmtree(temp_dir, ignore_errors=True)
            pytest.skip(f"ray failed to start: {error!r}")
        register_ray()
        try:
            yield
        finally:
            ray.shutdown()
            shutil.rmtree(temp_dir, ignore_errors=True)


def _model():
    return FCNNClassifier(hidden_layer_sizes=(8,), max_iter=20, random_state=0)


def _pid_scorer(folder):
    """Accuracy that also leaves a file named after the id of the process it ran in."""
    folder.mkdir()

    def accuracy(estimator, X, y):
        (folder / str(os.getpid())).touch()
        return estimator.score(X, y)
    return accuracy


def _search(X, y, scoring):
    pipeline = make_pipeline(StandardScaler(), _model())
    with warnings.catch_warnings():
        # scikit-learn hands the main process's warning filters to the joblib workers
        warnings.simplefilter("ignore", ConvergenceWarning)
        return GridSearchCV(pipeline, GRID, cv=3, scoring=scoring).fit(X, y)


def _pids(folder):
    return {int(path.name) for path in folder.iterdir()}


def _assert_same_search(remote, local):
    scores = local.cv_results_["mean_test_score"]
    assert len(np.unique(scores)) == len(scores), "ties would make best_params_ moot"
    for key in ("mean_test_score", "split0_test_score", "split1_test_score",
                "split2_test_score", "rank_test_score"):
        np.testing.assert_array_equal(remote.cv_results_[key], local.cv_results_[key], key)
    assert remote.best_params_ == local.best_params_


def test_grid_search_on_the_dask_cluster_matches_a_local_run(client, data, tmp_path):
    X, y = data
    local = _search(X, y, _pid_scorer(tmp_path / "local"))
    with joblib.parallel_config(backend="dask"):
        remote = _search(X, y, _pid_scorer(tmp_path / "dask"))
    assert _pids(tmp_path / "local") == {os.getpid()}
    worker_pids = set(client.run(os.getpid).values())
    assert _pids(tmp_path / "dask") and _pids(tmp_path / "dask") <= worker_pids
    _assert_same_search(remote, local)


def test_grid_search_on_ray_matches_a_local_run(ray_backend, data, tmp_path):
    X, y = data
    local = _search(X, y, _pid_scorer(tmp_path / "local"))
    with joblib.parallel_config(backend="ray", n_jobs=2):
        remote = _search(X, y, _pid_scorer(tmp_path / "ray"))
    assert _pids(tmp_path / "ray") and os.getpid() not in _pids(tmp_path / "ray")
    _assert_same_search(remote, local)


def _local_loop(X, y):
    """The reference: ``partial_fit`` over consecutive chunks in memory."""
    model, classes = _model(), np.unique(y)
    for start in range(0, len(X), CHUNK):
        model.partial_fit(X[start:start + CHUNK], y[start:start + CHUNK],
                          classes=classes if start == 0 else None)
    assert model.t_ == len(X)  # every row seen once
    return model


def test_partial_fit_over_a_memory_mapped_file_matches_the_loop_in_memory(data, tmp_path):
    X, y = data
    np.save(tmp_path / "X.npy", X)
    np.save(tmp_path / "y.npy", y)
    X_disk = np.load(tmp_path / "X.npy", mmap_mode="r")
    y_disk = np.load(tmp_path / "y.npy", mmap_mode="r")
    model = _model()
    for start in range(0, len(X_disk), CHUNK):
        model.partial_fit(X_disk[start:start + CHUNK], y_disk[start:start + CHUNK],
                          classes=[0, 1, 2] if start == 0 else None)
    np.testing.assert_array_equal(model.predict_proba(X), _local_loop(X, y).predict_proba(X))


def test_partial_fit_chained_on_the_cluster_matches_a_local_loop(client, data, tmp_path):
    X, y = data
    paths = []
    for k, start in enumerate(range(0, len(X), CHUNK)):
        paths.append(tmp_path / f"chunk{k}.npz")
        np.savez(paths[-1], X=X[start:start + CHUNK], y=y[start:start + CHUNK])

    def train_on(model, path, classes=None):
        with np.load(path) as chunk:
            return model.partial_fit(chunk["X"], chunk["y"], classes=classes)

    model = _model()
    for k, path in enumerate(paths):
        model = client.submit(train_on, model, path, classes=[0, 1, 2] if k == 0 else None)
    model = model.result()
    assert model.t_ == len(X)
    np.testing.assert_array_equal(model.predict_proba(X), _local_loop(X, y).predict_proba(X))


def _incremental():
    """dask-ml's ``Incremental``, or a skip naming why it cannot be used here."""
    pytest.importorskip("dask_ml", reason="dask-ml is not installed: pip install dask-ml")
    try:
        from dask_ml.wrappers import Incremental
    except (ImportError, AttributeError) as error:  # dask-ml lags behind scikit-learn
        pytest.skip(f"dask_ml.wrappers does not import with this scikit-learn: {error!r}")
    return Incremental


def test_incremental_over_a_dask_array_on_disk_matches_a_local_loop(client, data, tmp_path):
    Incremental = _incremental()
    import dask.array as da
    from distributed import get_task_stream

    X, y = data
    da.to_npy_stack(tmp_path / "X", da.from_array(X, chunks=(CHUNK, -1)), axis=0)
    da.to_npy_stack(tmp_path / "y", da.from_array(y, chunks=CHUNK), axis=0)
    X_dask, y_dask = da.from_npy_stack(tmp_path / "X"), da.from_npy_stack(tmp_path / "y")
    assert X_dask.chunks == ((CHUNK,) * 3, (X.shape[1],))
    with get_task_stream(client) as stream:
        incremental = Incremental(_model(), shuffle_blocks=False).fit(X_dask, y_dask,
                                                                      classes=[0, 1, 2])
    steps = sorted(task["key"][1] for task in stream.data
                   if isinstance(task["key"], tuple) and task["key"][0].startswith("fit-"))
    assert steps == [-1, 0, 1, 2]  # the model, then one partial_fit task per block
    local = _local_loop(X, y)
    np.testing.assert_array_equal(incremental.estimator_.predict_proba(X),
                                  local.predict_proba(X))
    np.testing.assert_array_equal(incremental.predict_proba(X_dask).compute(),
                                  local.predict_proba(X))


def _blas_report():
    """A function that imports NumPy and lists ``(user_api, num_threads)`` of the BLAS and
    OpenMP pools loaded; made here so that cloudpickle sends it by value."""
    def blas_threads():
        import numpy  # noqa: F401  (loads numpy's BLAS)
        from threadpoolctl import threadpool_info

        return sorted({(pool["user_api"], pool["num_threads"]) for pool in threadpool_info()})
    return blas_threads


def test_nanny_workers_start_with_one_blas_thread(client):
    environments = client.run(lambda: {name: os.environ.get(name) for name in BLAS_VARIABLES})
    assert list(environments.values()) == [dict.fromkeys(BLAS_VARIABLES, "1")] * 2
    for report in client.run(_blas_report()).values():
        assert ("blas", 1) in report and {threads for _, threads in report} == {1}


def test_a_worker_plugin_sets_the_blas_threads_and_restores_them(client):
    from distributed import WorkerPlugin

    class BLASThreads(WorkerPlugin):
        def __init__(self, threads):
            self.threads = threads

        def setup(self, worker):
            from threadpoolctl import threadpool_limits

            self.limits = threadpool_limits(limits=self.threads, user_api="blas")

        def teardown(self, worker):
            self.limits.restore_original_limits()

    client.register_plugin(BLASThreads(2), name="blas-threads")
    try:
        during = client.run(_blas_report())
        in_a_task = client.submit(_blas_report(), pure=False).result()
    finally:
        client.unregister_worker_plugin("blas-threads")
    assert all(("blas", 2) in report for report in during.values())
    assert ("blas", 2) in in_a_task
    assert all(("blas", 1) in report for report in client.run(_blas_report()).values())


@pytest.mark.parametrize("how", ["environment", "dask config"])
def test_the_workers_take_their_blas_threads_from_the_environment_or_config(how):
    import dask

    distributed = _import_distributed()
    with _restored_process_state(), contextlib.ExitStack() as stack:
        for name in BLAS_VARIABLES:
            os.environ.pop(name, None)  # set in the environment, they would beat the config
            if how == "environment":
                os.environ[name] = "2"
        if how == "dask config":
            stack.enter_context(dask.config.set(
                {f"distributed.nanny.pre-spawn-environ.{name}": 2 for name in BLAS_VARIABLES}))
        cluster = stack.enter_context(_local_cluster(distributed, 1))
        client = stack.enter_context(distributed.Client(cluster, set_as_default=False))
        [report] = client.run(_blas_report()).values()
    assert ("blas", 2) in report
