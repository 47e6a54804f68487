"""The tabular recipe's loss and schedule: label smoothing and the multi-cycle cosine."""

import math
import pickle
import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning

from skfcnn.nn import LOSSES, SCHEDULES
from skfcnn.nn.gradcheck import check_loss
from skfcnn.nn.schedules import MultiCycleCosine
from skfcnn.nn.smoothing import LabelSmoothing


def _one_hot(labels, k):
    return np.eye(k)[labels]


@pytest.mark.parametrize("output, k", [("softmax", 3), ("softmax", 5), ("logistic", 1),
                                       ("logistic", 3)])
@pytest.mark.parametrize("weighted", [False, True])
def test_label_smoothing_gradient_matches_central_differences(output, k, weighted):
    rng = np.random.RandomState(0)
    Z = rng.normal(size=(7, k))
    Y = _one_hot(rng.randint(k, size=7), k) if output == "softmax" else \
        (rng.uniform(size=(7, k)) > 0.5).astype(float)
    weights = rng.uniform(0.5, 2, size=7) if weighted else None
    check_loss(LabelSmoothing(0.2, output), Y, Z, output_activation=output,
               sample_weight=weights)


def test_smoothed_targets_by_hand():
    Y = np.array([[0.0, 1.0, 0.0, 0.0]])
    assert np.allclose(LabelSmoothing(0.1).smoothed(Y), [[0.025, 0.925, 0.025, 0.025]])
    binary = LabelSmoothing(0.1, "logistic").smoothed(np.array([[1.0], [0.0]]))
    assert np.allclose(binary, [[0.95], [0.05]])


def test_zero_smoothing_is_the_plain_log_loss():
    rng = np.random.RandomState(1)
    P = rng.dirichlet(np.ones(4), size=6)
    Y = _one_hot(rng.randint(4, size=6), 4)
    assert LabelSmoothing(0.0).value(Y, P) == pytest.approx(LOSSES["log_loss"].value(Y, P))
    p = rng.uniform(0.05, 0.95, size=(6, 1))
    t = (rng.uniform(size=(6, 1)) > 0.5).astype(float)
    assert LabelSmoothing(0.0, "logistic").value(t, p) == pytest.approx(
        LOSSES["binary_log_loss"].value(t, p))


def test_smoothing_value_by_hand():
    # one row, two classes, p = (0.2, 0.8), label 1, eps = 0.5: targets (0.25, 0.75)
    value = LabelSmoothing(0.5).value(np.array([[0.0, 1.0]]), np.array([[0.2, 0.8]]))
    assert value == pytest.approx(-(0.25 * math.log(0.2) + 0.75 * math.log(0.8)))


def test_for_output_binds_and_refuses_others():
    loss = LabelSmoothing(0.1)
    assert loss.for_output("softmax") is loss
    assert loss.for_output("logistic") == LabelSmoothing(0.1, "logistic")
    with pytest.raises(ValueError, match="identity"):
        loss.for_output("identity")


@pytest.mark.parametrize("bad", [-0.1, 1.0, float("nan"), "0.1"])
def test_smoothing_out_of_range_names_the_argument(bad):
    with pytest.raises(ValueError, match=r"'smoothing'.*got"):
        LabelSmoothing(bad)


def test_label_smoothing_pickles_and_compares_equal():
    loss = LabelSmoothing(0.3, "logistic")
    assert pickle.loads(pickle.dumps(loss)) == loss
    assert loss != LabelSmoothing(0.3)


def test_classifier_binds_smoothing_to_its_output():
    from sklearn.datasets import make_classification

    from skfcnn import FCNNClassifier

    for n_classes, output in [(2, "logistic"), (3, "softmax")]:
        X, y = make_classification(200, n_classes=n_classes, n_informative=4, random_state=0)
        fits = {}
        for loss in (LabelSmoothing(0.1), "log_loss"):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                fits[str(loss)] = FCNNClassifier(loss=loss, max_iter=400, tol=0,
                                                 random_state=0).fit(X, y)
        clf, plain = fits[str(LabelSmoothing(0.1))], fits["log_loss"]
        assert clf._loss_name == LabelSmoothing(0.1, output)
        assert clf.loss == LabelSmoothing(0.1)  # the parameter is left as given
        # smoothed targets keep the probabilities away from 0 and 1
        confidence = clf.predict_proba(X).max(axis=1).mean()
        assert confidence < plain.predict_proba(X).max(axis=1).mean() - 0.02
        assert clf.score(X, y) > 0.95


def test_multi_cycle_cosine_zeros_and_peaks():
    schedule = MultiCycleCosine(2.0, 150)
    rates = np.array([schedule(e) for e in range(150)])
    # zeros at t = 0, 1/15, 3/15, 7/15, 1: epochs 0, 10, 30, 70 sit half an epoch after them
    for epoch in (0, 10, 30, 70):
        assert rates[epoch] < 0.05 * 2.0
        assert rates[epoch] == rates[max(epoch - 2, 0):epoch + 3].min()
    # peaks in the middle of each cycle (log2(1 + 15 t) = j + 1/2)
    for j in range(4):
        t = (2 ** (j + 0.5) - 1) / 15
        assert rates[int(t * 150)] > 0.97 * 2.0
    assert rates.max() <= 2.0 and rates.min() >= 0.0
    assert schedule(150) == 0.0 and schedule(10**6) == 0.0


def test_multi_cycle_cosine_formula_and_registry():
    schedule = MultiCycleCosine(1.0, 10, n_cycles=2)
    t = 3.5 / 10
    expected = 0.5 * (1 - math.cos(2 * math.pi * math.log2(1 + 3 * t)))
    assert schedule(3) == pytest.approx(expected)
    assert SCHEDULES["coslog"].build(0.5, n_epochs=20, power_t=0.5) == MultiCycleCosine(0.5, 20)
    with pytest.raises(ValueError, match="'n_cycles'"):
        MultiCycleCosine(1.0, 10, n_cycles=0)
