"""Checkpoint and resume (issue 21): a fit killed at epoch 50 of 100 and run again goes
on from its last checkpoint and ends bit for bit where the uninterrupted fit ends, also
when the kill comes in the middle of writing a checkpoint; what does not match is
refused by name."""

import os
import pickle
import signal
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.datasets import make_classification, make_regression

from skfcnn import Checkpoint, FCNNClassifier, FCNNRegressor, load_checkpoint

ROOT = Path(__file__).resolve().parent.parent

#: Early stopping that restores its best epoch, a schedule, batch norm, dropout and
#: clipping: everything a resumed fit must carry over.
SETTINGS = {
    "adam-cosine": {"solver": "adam", "learning_rate": "cosine", "learning_rate_init": 0.003,
                    "monitor": "loss"},
    "sgd-adaptive": {"solver": "sgd", "learning_rate": "adaptive", "learning_rate_init": 0.05,
                     "batch_norm": True, "dropout": 0.1, "max_grad_norm": 1.0},
}
COMMON = {"hidden_layer_sizes": (16,), "early_stopping": True, "n_iter_no_change": 30,
          "max_iter": 100, "random_state": 0}


def data():
    return make_classification(n_samples=300, n_features=6, n_informative=4, n_classes=3,
                               random_state=0)


def quiet(call, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return call(*args, **kwargs)


class Crash:
    """A callback that raises at the end of epoch ``n`` (the process 'dies' there)."""

    def __init__(self, n):
        self.n = n

    def on_epoch_end(self, run):
        if run.state.n_iter >= self.n:
            raise RuntimeError("crash")
        return False


class CountEpochs:
    """A callback that counts the epochs this fit call runs."""

    def __init__(self):
        self.epochs = 0

    def on_epoch_end(self, run):
        self.epochs += 1
        return False


def assert_same_fit(a, b, X):
    np.testing.assert_array_equal(a._network.params, b._network.params)
    assert a.loss_curve_ == b.loss_curve_ and a.n_iter_ == b.n_iter_
    assert a.validation_scores_ == b.validation_scores_
    np.testing.assert_array_equal(a.predict_proba(X), b.predict_proba(X))
    np.testing.assert_array_equal(a._optimizer_state.__dict__.get("first_moment", 0),
                                  b._optimizer_state.__dict__.get("first_moment", 0))


@pytest.mark.parametrize("setting", SETTINGS)
def test_a_crashed_fit_resumes_bit_for_bit(setting, tmp_path):
    X, y = data()
    params = {**COMMON, **SETTINGS[setting]}
    reference = quiet(FCNNClassifier(**params).fit, X, y)
    path = tmp_path / "fit.ckpt"
    crashed = FCNNClassifier(**params, callbacks=[Checkpoint(path, every=10), Crash(55)])
    with pytest.raises(RuntimeError, match="crash"):
        quiet(crashed.fit, X, y)
    assert load_checkpoint(path).n_iter_ == 50  # the last periodic checkpoint
    count = CountEpochs()
    resumed = FCNNClassifier(**params, callbacks=[Checkpoint(path, every=10), count])
    quiet(resumed.fit, X, y)
    assert count.epochs == reference.n_iter_ - 50  # went on from epoch 50
    assert_same_fit(resumed, reference, X)
    assert load_checkpoint(path).n_iter_ == reference.n_iter_  # the finished checkpoint


def test_early_stopping_that_stops_after_the_resume_restores_the_same_best(tmp_path):
    X, y = data()
    params = {**COMMON, "n_iter_no_change": 5, "learning_rate_init": 0.01, "monitor": "loss"}
    reference = quiet(FCNNClassifier(**params).fit, X, y)
    best = int(np.argmin(reference.validation_loss_curve_)) + 1
    assert 10 < best < reference.n_iter_ < 100  # stopped early, restored an earlier epoch
    crash_at = reference.n_iter_ - 2
    with pytest.raises(RuntimeError):
        quiet(FCNNClassifier(**params, callbacks=[Checkpoint(tmp_path / "c", every=2),
                                                  Crash(crash_at)]).fit, X, y)
    resumed = quiet(FCNNClassifier(**params, callbacks=[Checkpoint(tmp_path / "c", every=2)])
                    .fit, X, y)
    assert_same_fit(resumed, reference, X)


SCRIPT = """
import os, signal, sys, warnings
import numpy as np
sys.path.insert(0, {tests!r})
from test_checkpoint import COMMON, SETTINGS, data
from skfcnn import Checkpoint, FCNNClassifier
import skfcnn.estimators.checkpoint as checkpoint

warnings.simplefilter("ignore")
X, y = data()
mode, path = sys.argv[1], sys.argv[2]


class KillAt:
    def on_epoch_begin(self, run):  # after the checkpoint of the same epoch start
        if run.state.n_iter == 50:
            os.kill(os.getpid(), signal.SIGKILL)


callbacks = [Checkpoint(path, every=10)]
if mode == "kill":
    callbacks.append(KillAt())
else:  # kill in the middle of writing the checkpoint of epoch 50
    dump, writes = checkpoint._dump, []

    def half_then_kill(content, file):
        writes.append(1)
        if len(writes) == 5:
            import pickle
            data = pickle.dumps(content)
            file.write(data[: len(data) // 2])
            file.flush()
            os.kill(os.getpid(), signal.SIGKILL)
        dump(content, file)

    checkpoint._dump = half_then_kill
FCNNClassifier(**COMMON, **SETTINGS["adam-cosine"], callbacks=callbacks).fit(X, y)
"""


@pytest.mark.parametrize("mode, resumed_from", [("kill", 50), ("kill-in-write", 40)])
def test_a_killed_process_resumes_bit_for_bit(mode, resumed_from, tmp_path):
    """SIGKILL at epoch 50, or halfway through writing the checkpoint of epoch 50
    (the file then still holds epoch 40's, whole): the fit run again in another
    process ends as the uninterrupted one."""
    path = tmp_path / "fit.ckpt"
    script = tmp_path / "script.py"
    script.write_text(SCRIPT.format(tests=str(ROOT / "tests")))
    env = {k: v for k, v in os.environ.items() if k != "PYTHONWARNINGS"}
    result = subprocess.run([sys.executable, str(script), mode, str(path)], cwd=tmp_path,
                            env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == -signal.SIGKILL, result.stderr
    if mode == "kill-in-write":
        assert (tmp_path / "fit.ckpt.tmp").stat().st_size > 0  # the torn write
    assert load_checkpoint(path).n_iter_ == resumed_from
    X, y = data()
    params = {**COMMON, **SETTINGS["adam-cosine"]}
    count = CountEpochs()
    resumed = quiet(FCNNClassifier(**params, callbacks=[Checkpoint(path, every=10), count])
                    .fit, X, y)
    reference = quiet(FCNNClassifier(**params).fit, X, y)
    assert count.epochs == reference.n_iter_ - resumed_from
    assert_same_fit(resumed, reference, X)


def _unfinished(tmp_path, **params):
    X, y = data()
    path = tmp_path / "fit.ckpt"
    with pytest.raises(RuntimeError):
        quiet(FCNNClassifier(**{**COMMON, **params},
                             callbacks=[Checkpoint(path, every=10), Crash(25)]).fit, X, y)
    return X, y, path


def test_a_checkpoint_of_other_parameters_or_data_is_refused_by_name(tmp_path):
    X, y, path = _unfinished(tmp_path)
    other = FCNNClassifier(**{**COMMON, "alpha": 0.01}, callbacks=[Checkpoint(path)])
    with pytest.raises(ValueError, match=r"unfinished fit with other parameters \(alpha="
                                         r"0.0001 there, 0.01 here\).*resume=False"):
        other.fit(X, y)
    assert not hasattr(other, "_network")  # refused before training: nothing changed
    with pytest.raises(ValueError, match="unfinished fit of other data"):
        FCNNClassifier(**COMMON, callbacks=[Checkpoint(path)]).fit(X[:-1], y[:-1])
    Xr, yr = make_regression(n_samples=300, n_features=6, random_state=0)
    yr = yr / yr.std()
    with pytest.raises(ValueError, match="unfinished fit of FCNNClassifier, not FCNNRegressor"):
        FCNNRegressor(**COMMON, callbacks=[Checkpoint(path)]).fit(Xr, yr)


def test_resume_false_and_a_finished_checkpoint_start_over(tmp_path):
    X, y, path = _unfinished(tmp_path)
    count = CountEpochs()
    est = quiet(FCNNClassifier(**COMMON, callbacks=[Checkpoint(path, resume=False), count])
                .fit, X, y)
    assert count.epochs == est.n_iter_  # from the first epoch
    again = CountEpochs()  # the checkpoint is finished now: fit starts over, as always
    quiet(FCNNClassifier(**COMMON, callbacks=[Checkpoint(path), again]).fit, X, y)
    assert again.epochs == est.n_iter_


def test_the_checkpoint_model_is_the_model_at_that_epoch(tmp_path):
    """Without early stopping and with a constant rate, the model saved at epoch 20 of
    a 40-epoch fit is the model of a 20-epoch fit."""
    X, y = data()
    params = {"hidden_layer_sizes": (8,), "random_state": 0, "learning_rate_init": 0.01}
    path = tmp_path / "fit.ckpt"
    with pytest.raises(RuntimeError):
        quiet(FCNNClassifier(**params, max_iter=40,
                             callbacks=[Checkpoint(path, every=20), Crash(30)]).fit, X, y)
    model = load_checkpoint(path)
    twenty = quiet(FCNNClassifier(**params, max_iter=20).fit, X, y)
    np.testing.assert_array_equal(model.predict_proba(X), twenty.predict_proba(X))
    assert model.loss_curve_ == twenty.loss_curve_ and model.callbacks is None
    quiet(model.partial_fit, X, y)  # a model that goes on training


def test_a_damaged_checkpoint_is_refused(tmp_path):
    X, y, path = _unfinished(tmp_path)
    path.write_bytes(path.read_bytes()[:100])
    with pytest.raises(ValueError, match="is not a readable skfcnn checkpoint"):
        load_checkpoint(path)
    with pytest.raises(ValueError, match="is not a readable skfcnn checkpoint"):
        FCNNClassifier(**COMMON, callbacks=[Checkpoint(path)]).fit(X, y)
    path.write_bytes(pickle.dumps({"something": "else"}))
    with pytest.raises(ValueError, match="is not an skfcnn checkpoint of format 1"):
        load_checkpoint(path)


def test_a_checkpoint_whose_model_state_is_tampered_is_refused_naming_the_field(tmp_path):
    X, y, path = _unfinished(tmp_path)
    content = pickle.loads(path.read_bytes())
    network = content["model"]._network
    network.params = network.params[:-2].copy()
    path.write_bytes(pickle.dumps(content))
    with pytest.raises(ValueError, match=r"_network\.params has shape"):
        FCNNClassifier(**COMMON, callbacks=[Checkpoint(path)]).fit(X, y)


def test_checkpoint_needs_a_stochastic_solver_and_a_valid_every(tmp_path):
    X, y = data()
    with pytest.raises(ValueError, match=r"Checkpoint, which needs a stochastic solver.*"
                                         "solver='lbfgs'"):
        FCNNClassifier(solver="lbfgs", callbacks=[Checkpoint(tmp_path / "c")]).fit(X, y)
    with pytest.raises(ValueError, match="Checkpoint's every must be an int >= 1; got "
                                         "every=0"):
        FCNNClassifier(callbacks=[Checkpoint(tmp_path / "c", every=0)]).fit(X, y)


def test_checkpoint_clones_pickles_and_leaves_partial_fit_alone(tmp_path):
    X, y = data()
    est = FCNNClassifier(callbacks=[Checkpoint(tmp_path / "c", every=3)])
    assert clone(est).get_params()["callbacks"] == [Checkpoint(tmp_path / "c", every=3)]
    assert pickle.loads(pickle.dumps(est)).callbacks == est.callbacks
    quiet(est.partial_fit, X, y, classes=[0, 1, 2])
    assert not (tmp_path / "c").exists()  # partial_fit calls are yours to pickle
    assert repr(Checkpoint("c", every=3)) == "Checkpoint('c', every=3, resume=True)"
