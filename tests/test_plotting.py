"""``skfcnn.LossCurveDisplay``: the drawn data are the fitted curves, both losses
share one axis, the score's second axis and the best-epoch line appear exactly
when they should (the line only for an epoch the model holds), and the errors
name what is wrong."""

import pickle
import re
import sys
import warnings

import numpy as np
import pytest
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import skfcnn
from skfcnn import FCNNClassifier, FCNNRegressor
from skfcnn.plotting import LossCurveDisplay

matplotlib = pytest.importorskip("matplotlib", reason="LossCurveDisplay draws with matplotlib")
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402 (after choosing the backend)

SMALL = {"hidden_layer_sizes": (8,), "random_state": 0, "learning_rate_init": 0.01}


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def _fit(estimator, X, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return estimator.fit(X, y)


@pytest.fixture(scope="module")
def stopped(digits):
    """A classifier that stopped early, some epochs after its best validation score."""
    X, y = digits
    clf = _fit(FCNNClassifier(**SMALL, early_stopping=True, n_iter_no_change=3,
                              max_iter=60), X, y)
    best = int(np.argmax(clf.validation_scores_)) + 1
    assert best < clf.n_iter_ == len(clf.loss_curve_)  # else the tests below cannot fail
    return clf


@pytest.fixture(scope="module")
def regressor(regression):
    X, y = regression
    return _fit(FCNNRegressor(**SMALL, max_iter=25), X, y)


def _xy(line):
    return np.asarray(line.get_xdata(), dtype=float), np.asarray(line.get_ydata(), dtype=float)


def test_it_is_the_lazy_public_name():
    assert skfcnn.LossCurveDisplay is LossCurveDisplay
    assert "LossCurveDisplay" in dir(skfcnn)


def test_early_stopping_draws_loss_score_and_restored_epoch(stopped):
    display = LossCurveDisplay.from_estimator(stopped)
    n = len(stopped.loss_curve_)
    x, y = _xy(display.lines_["loss"])
    np.testing.assert_array_equal(x, np.arange(1, n + 1))
    np.testing.assert_array_equal(y, stopped.loss_curve_)
    x, y = _xy(display.lines_["validation"])
    np.testing.assert_array_equal(x, np.arange(1, n + 1))
    np.testing.assert_array_equal(y, stopped.validation_scores_)
    assert display.lines_["validation"].axes is display.ax2_
    assert display.ax2_ is not display.ax_ and display.ax2_.get_shared_x_axes().joined(
        display.ax_, display.ax2_)
    assert set(display.figure_.axes) == {display.ax_, display.ax2_}

    best = int(np.argmax(stopped.validation_scores_)) + 1
    assert stopped.validation_scores_[best - 1] == stopped.best_validation_score_
    np.testing.assert_array_equal(display.lines_["best"].get_xdata(), [best, best])
    assert display.lines_["best"].get_label() == f"best epoch: {best} (restored)"
    assert (display.best_epoch, display.best_restored) == (best, True)

    assert display.ax_.get_xlabel() == "epoch"
    assert display.ax_.get_ylabel() == "training loss"
    assert display.ax2_.get_ylabel() == "validation accuracy"
    assert display.ax_.get_title() == "FCNNClassifier"
    legend = display.ax2_.get_legend()
    assert [t.get_text() for t in legend.get_texts()] == [
        "training loss", "validation accuracy", f"best epoch: {best} (restored)"]
    assert display.ax_.get_yscale() == "linear"


# Changed on purpose (issue 20): the validation loss was drawn on a second y axis, on
# its own scale, so that two losses of one size looked apart; it now shares the training
# loss's axis.
def test_validation_loss_shares_the_training_loss_axis_with_log_scale(stopped):
    display = LossCurveDisplay.from_estimator(stopped, validation="loss", log_scale=True)
    np.testing.assert_array_equal(_xy(display.lines_["validation"])[1],
                                  stopped.validation_loss_curve_)
    assert display.lines_["validation"].axes is display.ax_ and display.ax2_ is None
    assert display.figure_.axes == [display.ax_]
    assert display.ax_.get_ylabel() == "loss"
    assert display.lines_["validation"].get_label() == "validation loss"
    assert display.ax_.get_yscale() == "log"
    low, high = display.ax_.get_ylim()  # one scale holds both curves
    curves = np.concatenate([stopped.loss_curve_, stopped.validation_loss_curve_])
    assert low <= curves.min() and curves.max() <= high
    legend = display.ax_.get_legend()
    assert [t.get_text() for t in legend.get_texts()][:2] == ["training loss",
                                                              "validation loss"]
    # the marked epoch is still the monitored one (the best score)
    best = int(np.argmax(stopped.validation_scores_)) + 1
    assert display.best_epoch == best


def test_log_scale_leaves_a_score_axis_linear(stopped):
    display = LossCurveDisplay.from_estimator(stopped, log_scale=True)
    assert display.ax_.get_yscale() == "log"
    assert display.ax2_.get_yscale() == "linear"


def test_monitor_loss_marks_the_lowest_validation_loss(digits):
    X, y = digits
    clf = _fit(FCNNClassifier(**SMALL, early_stopping=True, monitor="loss",
                              n_iter_no_change=3, max_iter=60), X, y)
    display = LossCurveDisplay.from_estimator(clf)  # 'auto': the monitored curve
    np.testing.assert_array_equal(_xy(display.lines_["validation"])[1],
                                  clf.validation_loss_curve_)
    assert display.lines_["validation"].axes is display.ax_ and display.ax2_ is None
    best = int(np.argmin(clf.validation_loss_curve_)) + 1
    np.testing.assert_array_equal(display.lines_["best"].get_xdata(), [best, best])


def test_monitor_auto_is_resolved_to_the_loss_for_huber(regression):
    X, y = regression
    reg = _fit(FCNNRegressor(**SMALL, loss="huber", early_stopping=True, n_iter_no_change=3,
                             max_iter=60), X, y)
    assert reg.monitor == "auto"
    display = LossCurveDisplay.from_estimator(reg)
    assert display.monitor == "loss"
    np.testing.assert_array_equal(_xy(display.lines_["validation"])[1],
                                  reg.validation_loss_curve_)
    assert display.lines_["validation"].axes is display.ax_ and display.ax2_ is None
    best = int(np.argmin(reg.validation_loss_curve_)) + 1
    assert best != int(np.argmax(reg.validation_scores_)) + 1  # else this cannot fail
    assert (display.best_epoch, display.best_restored) == (best, True)


# Changed on purpose (issue 20): an epoch the model does not hold was marked "best
# epoch"; only a restored one is marked now.
def test_restore_best_weights_false_marks_no_epoch(digits):
    X, y = digits
    clf = _fit(FCNNClassifier(**SMALL, early_stopping=True, restore_best_weights=False,
                              n_iter_no_change=3, max_iter=60), X, y)
    assert int(np.argmax(clf.validation_scores_)) + 1 < clf.n_iter_  # the last is not best
    display = LossCurveDisplay.from_estimator(clf)
    assert display.lines_["best"] is None and display.best_epoch is None
    assert display.lines_["validation"] is not None
    assert [t.get_text() for t in display.ax2_.get_legend().get_texts()] == [
        "training loss", "validation accuracy"]


def test_validation_none_draws_no_second_axis(stopped):
    display = LossCurveDisplay.from_estimator(stopped, validation=None, mark_best=False)
    assert display.ax2_ is None
    assert display.lines_ == {"loss": display.lines_["loss"], "validation": None,
                              "best": None}
    assert display.figure_.axes == [display.ax_]


# Changed on purpose (issue 20): without a validation set, restore_best_weights='auto'
# restores nothing, so no epoch is marked (the lowest loss was, though not held).
def test_without_validation_nothing_restored_nothing_marked(regressor):
    display = LossCurveDisplay.from_estimator(regressor, log_scale=True)
    assert display.ax2_ is None and display.lines_["validation"] is None
    assert display.figure_.axes == [display.ax_]
    np.testing.assert_array_equal(_xy(display.lines_["loss"])[1], regressor.loss_curve_)
    assert display.lines_["best"] is None and display.best_epoch is None
    assert [t.get_text() for t in display.ax_.get_legend().get_texts()] == ["training loss"]
    assert display.ax_.get_yscale() == "log"
    assert display.ax_.get_title() == "FCNNRegressor"


def test_without_validation_a_restored_lowest_training_loss_is_marked(regression):
    X, y = regression
    reg = _fit(FCNNRegressor(**SMALL, max_iter=25, restore_best_weights=True), X, y)
    display = LossCurveDisplay.from_estimator(reg)
    best = int(np.argmin(reg.loss_curve_)) + 1
    assert reg.loss_curve_[best - 1] == reg.best_loss_
    np.testing.assert_array_equal(display.lines_["best"].get_xdata(), [best, best])
    assert display.lines_["best"].get_label() == f"best epoch: {best} (restored)"


def test_a_loaded_model_marks_the_epoch_it_restored(regression):
    X, y = regression
    reg = _fit(FCNNRegressor(**SMALL, max_iter=25, restore_best_weights=True), X, y)
    best = int(np.argmin(reg.loss_curve_)) + 1
    loaded = pickle.loads(pickle.dumps(reg))
    display = LossCurveDisplay.from_estimator(loaded)
    assert (display.best_epoch, display.best_restored) == (best, True)


def test_restored_without_validation_looks_at_the_last_fit_only(regression):
    X, y = regression
    reg = FCNNRegressor(**SMALL, max_iter=10, warm_start=True, restore_best_weights=True)
    _fit(reg, X, y)
    _fit(reg.set_params(alpha=30.0), X, y)  # a larger penalty: a higher objective
    start = len(reg.loss_curve_) - reg.n_iter_
    assert int(np.argmin(reg.loss_curve_)) < start  # best_loss_ is the first fit's
    best = start + int(np.argmin(reg.loss_curve_[start:])) + 1
    display = LossCurveDisplay.from_estimator(reg)
    assert (display.best_epoch, display.best_restored) == (best, True)
    np.testing.assert_array_equal(_xy(display.lines_["loss"])[0],
                                  np.arange(1, len(reg.loss_curve_) + 1))


# Changed on purpose (issue 20): L-BFGS restores no iteration, so none is marked (the
# "best iteration" label is checked with the constructor below).
def test_lbfgs_counts_iterations(regression):
    X, y = regression
    reg = _fit(FCNNRegressor(**SMALL, solver="lbfgs", max_iter=15, restore_best_weights=True),
               X, y)
    display = LossCurveDisplay.from_estimator(reg)
    assert display.ax_.get_xlabel() == "iteration"
    np.testing.assert_array_equal(_xy(display.lines_["loss"])[1], reg.loss_curve_)
    assert display.lines_["best"] is None
    display = LossCurveDisplay(loss_curve=reg.loss_curve_, best_epoch=3, best_restored=True,
                               unit="iteration").plot()
    assert display.lines_["best"].get_label() == "best iteration: 3 (restored)"


def test_a_pipeline_plots_its_last_step(digits):
    X, y = digits
    pipe = _fit(make_pipeline(StandardScaler(), FCNNClassifier(**SMALL, max_iter=10)), X, y)
    display = LossCurveDisplay.from_estimator(pipe)
    np.testing.assert_array_equal(_xy(display.lines_["loss"])[1], pipe[-1].loss_curve_)
    assert display.ax_.get_title() == "FCNNClassifier"


def test_the_given_axes_are_used(stopped):
    fig, (left, right) = plt.subplots(1, 2)
    display = LossCurveDisplay.from_estimator(stopped, ax=right)
    assert display.ax_ is right and display.figure_ is fig
    assert display.lines_["loss"].axes is right
    assert display.ax2_.get_shared_x_axes().joined(right, display.ax2_)
    assert not left.lines


def test_style_keywords_reach_the_lines(stopped):
    display = LossCurveDisplay.from_estimator(
        stopped, loss_kw={"color": "red", "label": "J"}, validation_kw={"linewidth": 3},
        best_kw={"color": "green"})
    assert display.lines_["loss"].get_color() == "red"
    assert display.lines_["loss"].get_label() == "J"
    assert display.lines_["validation"].get_linewidth() == 3
    assert display.lines_["best"].get_color() == "green"


def test_the_constructor_aligns_a_short_validation_curve_with_the_last_epochs():
    display = LossCurveDisplay(loss_curve=[5.0, 4.0, 3.0, 2.0, 1.5],
                               validation_scores=[0.5, 0.8, 0.7], best_epoch=4,
                               score_name="accuracy").plot()
    x, y = _xy(display.lines_["validation"])
    np.testing.assert_array_equal(x, [3, 4, 5])
    np.testing.assert_array_equal(y, [0.5, 0.8, 0.7])
    assert display.ax_.get_title() == ""
    assert display.lines_["best"].get_label() == "best epoch: 4"


def test_errors_name_the_problem(regressor, digits):
    with pytest.raises(NotFittedError, match="FCNNClassifier"):
        LossCurveDisplay.from_estimator(FCNNClassifier())
    with pytest.raises(NotFittedError):
        LossCurveDisplay.from_estimator(make_pipeline(StandardScaler(), FCNNRegressor()))
    X, y = digits
    mlp = _fit(MLPClassifier(hidden_layer_sizes=(3,), max_iter=3), X, y)
    with pytest.raises(TypeError, match=r"estimator must be an FCNNClassifier.*MLPClassifier"):
        LossCurveDisplay.from_estimator(mlp)
    with pytest.raises(TypeError, match=r"LogisticRegression.*last step of the Pipeline"):
        LossCurveDisplay.from_estimator(make_pipeline(StandardScaler(), LogisticRegression()))
    with pytest.raises(ValueError, match=r"validation='score' needs a validation score curve"):
        LossCurveDisplay.from_estimator(regressor, validation="score")
    with pytest.raises(ValueError, match=r"validation='loss'.*validation_loss_curve is None"):
        LossCurveDisplay.from_estimator(regressor, validation="loss")
    with pytest.raises(ValueError, match=r"validation must be one of .*; got 'both'"):
        LossCurveDisplay.from_estimator(regressor, validation="both")


def test_inconsistent_display_data_are_refused():
    with pytest.raises(ValueError, match=r"best_epoch must be an epoch from 1 to 2 .*got 3"):
        LossCurveDisplay(loss_curve=[2.0, 1.0], best_epoch=3).plot()
    with pytest.raises(ValueError, match=r"validation curve has 3 entries, more than"):
        LossCurveDisplay(loss_curve=[2.0, 1.0], validation_loss_curve=[1, 2, 3]).plot()


# Changed on purpose (issue 20): the message ("... requires matplotlib") now also names
# the extra that installs it, from an index and from a clone.
def test_without_matplotlib_the_error_names_the_caller_and_the_extra(monkeypatch, regressor):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    extra = re.escape("pip install 'skfcnn[plot]' (from a clone: pip install -e '.[plot]')")
    with pytest.raises(ImportError, match="LossCurveDisplay.from_estimator needs matplotlib, "
                                          f"which is not installed: {extra}") as caught:
        LossCurveDisplay.from_estimator(regressor)
    assert isinstance(caught.value.__cause__, ImportError)
    with pytest.raises(ImportError, match=f"LossCurveDisplay.plot needs matplotlib.*{extra}"):
        LossCurveDisplay(loss_curve=[1.0]).plot()


def test_an_epoch_trained_after_the_restore_unmarks_it(stopped, digits):
    """The restored epoch is recorded by training, not inferred from the settings: a
    pickle keeps it, and a partial_fit (the model moves on) or a refit with L-BFGS
    (nothing restored) drops it."""
    X, y = digits
    best = int(np.argmax(stopped.validation_scores_)) + 1
    again = pickle.loads(pickle.dumps(stopped))
    assert LossCurveDisplay.from_estimator(again).best_epoch == best
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        again.set_params(early_stopping=False).partial_fit(X, y)
    display = LossCurveDisplay.from_estimator(again, validation=None)
    assert display.best_epoch is None and display.lines_["best"] is None
    plt.close(display.figure_)
    lbfgs = _fit(FCNNClassifier(**SMALL, solver="lbfgs", max_iter=5), X, y)
    assert LossCurveDisplay.from_estimator(lbfgs).best_epoch is None
