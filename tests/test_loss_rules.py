"""A loss carries its own rules (issue 22, item 2): which targets it accepts, how many
outputs, how the outputs are post-processed, its default monitor, its frozen form and
its tags; the estimators read them from the loss object and never name a loss.

A user's loss that needs positive targets has its rule enforced by ``fit`` with an
error naming ``y`` (``y_val`` for the validation set), and its tag set; the built-in
rules work as before (Poisson's non-negative targets, several quantiles sorted).
"""

import pickle

import numpy as np
import pytest
from conftest import quiet_fit
from sklearn.base import clone

from skfcnn import FCNNClassifier, FCNNRegressor
from skfcnn.nn import Loss
from skfcnn.nn.losses import LOSS_RULES, LOSSES, Poisson, Quantile, loss_rule

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


def _half_squares(y_true, y_pred):
    return 0.5 * np.square(y_pred - y_true).sum(axis=1)


def _plain_gradient(y_true, y_pred, sample_weight=None, out=None):
    delta = np.subtract(y_pred, y_true, out=out)
    if sample_weight is None:
        delta /= y_pred.shape[0]
    else:
        delta *= (sample_weight / sample_weight.sum())[:, None]
    return delta


class StrictlyPositiveSquaredError(Loss):
    """Half the squared error, for targets that must be > 0 (e.g. fitted on a log scale
    later): a rule no built-in loss has, given by ``check_targets``."""

    name = "strictly_positive_squared_error"
    positive_only = True

    def per_sample(self, y_true, y_pred):
        return _half_squares(y_true, y_pred)

    def gradient(self, y_true, y_pred, sample_weight=None, out=None, output_activation=None):
        return _plain_gradient(y_true, y_pred, sample_weight, out)

    def check_targets(self, y, name="y"):
        if np.any(y <= 0):
            raise ValueError(f"loss={self.name!r} needs targets {name} > 0; got "
                             f"min({name})={y.min().item()!r}.")


class TwoHeads(StrictlyPositiveSquaredError):
    """One target column fitted by two outputs (``targets``), predictions clipped at 0
    and each row sorted (``postprocess``), watched by its loss (``monitor``)."""

    name, monitor, multi_output = "two_heads", "loss", False

    def check_targets(self, y, name="y"):
        pass

    def targets(self, Y):
        return np.repeat(Y, 2, axis=1)

    def postprocess(self, outputs):
        np.maximum(outputs, 0.0, out=outputs)
        outputs.sort(axis=-1)
        return outputs


class Bare:
    """The bare protocol: value and gradient, nothing else."""

    def value(self, y_true, y_pred, sample_weight=None):
        per_sample = _half_squares(y_true, y_pred)
        return float(np.average(per_sample, weights=sample_weight))

    def gradient(self, y_true, y_pred, sample_weight=None, out=None, output_activation=None):
        return _plain_gradient(y_true, y_pred, sample_weight, out)

    def __eq__(self, other):
        return type(other) is Bare

    def __hash__(self):
        return hash(Bare)


def _data(n=120, seed=0):
    rng = np.random.RandomState(seed)
    X = rng.uniform(-1, 1, (n, 3))
    return X, 2.0 + X @ [0.5, -0.3, 0.2] + 0.05 * rng.randn(n)


def _small(**params):
    return FCNNRegressor(**{"hidden_layer_sizes": (6,), "max_iter": 20, "random_state": 0,
                            "learning_rate_init": 0.01, **params})


# -- a user's loss with a target rule ---------------------------------------------------
@pytest.mark.parametrize("solver", ["adam", "lbfgs"])
def test_a_users_target_rule_is_enforced_by_fit_naming_y(solver):
    X, y = _data()
    reg = _small(loss=StrictlyPositiveSquaredError(), solver=solver)
    y_bad = y.copy()
    y_bad[7] = 0.0
    with pytest.raises(ValueError, match=r"'strictly_positive_squared_error' needs targets "
                                         r"y > 0; got min\(y\)=0\.0"):
        reg.fit(X, y_bad)
    assert not hasattr(reg, "_network")  # the failed fit left nothing
    quiet_fit(reg, X, y)  # positive targets: it trains
    assert reg.n_iter_ > 0 and np.isfinite(reg.predict(X)).all()


def test_the_rule_names_y_val_for_the_validation_set():
    X, y = _data()
    reg = _small(loss=StrictlyPositiveSquaredError(), early_stopping=True)
    with pytest.raises(ValueError, match=r"needs targets y_val > 0; got min\(y_val\)=-1\.0"):
        reg.fit(X, y, X_val=X[:10], y_val=np.full(10, -1.0))


def test_the_rule_holds_for_partial_fit_and_a_warm_start():
    X, y = _data()
    reg = quiet_fit(_small(loss=StrictlyPositiveSquaredError(), warm_start=True), X, y)
    before = reg._network.params.copy()
    for call in (reg.fit, reg.partial_fit):
        with pytest.raises(ValueError, match=r"needs targets y > 0"):
            call(X, -y)
        np.testing.assert_array_equal(reg._network.params, before)


def test_the_tags_come_from_the_loss():
    def tags(**params):
        return FCNNRegressor(**params).__sklearn_tags__().target_tags

    assert tags(loss=StrictlyPositiveSquaredError()).positive_only is True
    assert tags(loss="poisson").positive_only is True
    assert tags(loss=Poisson()).positive_only is True  # an object, not only the name
    assert tags().positive_only is False and tags().multi_output is True
    assert tags(loss="quantile", quantile=[0.1, 0.9]).multi_output is False
    assert tags(loss="quantile", quantile=[0.5]).multi_output is True  # one level
    assert tags(loss=TwoHeads()).multi_output is False
    assert tags(loss=Bare()).positive_only is False  # the defaults
    # invalid parameters: the tags are the defaults, fit names the problem
    assert tags(loss="quantile", quantile=[0.9, 0.1]).multi_output is True


def test_outputs_postprocessing_and_monitor_of_a_users_loss():
    X, y = _data()
    reg = quiet_fit(_small(loss=TwoHeads(), early_stopping=True), X, y)
    assert reg.n_outputs_ == 2  # targets: two outputs for one column
    raw = reg._network.predict(X)
    prediction = reg.predict(X)
    np.testing.assert_array_equal(prediction, np.sort(np.maximum(raw, 0.0), axis=1))
    assert reg.score(X, y) == pytest.approx(np.mean(
        [1 - np.sum((y - p) ** 2) / np.sum((y - y.mean()) ** 2) for p in prediction.T]))
    # monitor='auto' is the loss's 'loss': the same fit as monitor='loss' says
    explicit = quiet_fit(_small(loss=TwoHeads(), early_stopping=True, monitor="loss"), X, y)
    np.testing.assert_array_equal(reg._network.params, explicit._network.params)
    assert reg.n_iter_ == explicit.n_iter_


def test_a_bare_protocol_object_gets_the_defaults():
    X, y = _data()
    bare = Bare()
    reg = quiet_fit(_small(loss=bare), X, -y)  # no target rule
    assert reg.n_outputs_ == 1 and np.isfinite(reg.predict(X)).all()
    assert loss_rule(bare, "monitor") == "score" and loss_rule(bare, "multi_output") is True
    Y, P = y[:, None], y[:, None] + 1
    assert loss_rule(bare, "frozen")(Y, P) is bare
    assert loss_rule(bare, "targets")(Y) is Y
    loss_rule(bare, "check_targets")(-y, name="y")  # accepts anything
    with pytest.raises(ValueError, match=r"rule='colour' is not a rule of a loss; allowed"):
        loss_rule(bare, "colour")


def test_every_rule_has_a_default_on_loss_and_the_registered_losses_keep_their_own():
    for rule in LOSS_RULES:
        assert hasattr(Loss, rule), rule
    assert {name for name, loss in LOSSES.items() if loss.monitor == "loss"} == {
        "absolute_error", "huber", "quantile"}
    assert [name for name, loss in LOSSES.items() if loss.positive_only] == ["poisson"]
    assert [name for name, loss in LOSSES.items() if loss.adaptive_scale] == ["huber"]
    assert LOSSES["squared_error"].frozen(None, None) is LOSSES["squared_error"]


def test_a_users_loss_clones_and_pickles_with_its_rules():
    X, y = _data()
    reg = quiet_fit(_small(loss=TwoHeads()), X, y)
    assert clone(reg).loss == TwoHeads()
    again = pickle.loads(pickle.dumps(reg))
    np.testing.assert_array_equal(again.predict(X), reg.predict(X))
    assert again._loss == TwoHeads()


# -- the built-in rules, as before ------------------------------------------------------
@pytest.mark.parametrize("loss", ["poisson", Poisson()])
def test_poisson_refuses_negative_targets(loss):
    X, y = _data()
    with pytest.raises(ValueError, match=r"loss='poisson' requires non-negative targets y; "
                                         r"got min\(y\)=-1\.0\. Use loss='squared_error'"):
        _small(loss=loss).fit(X, np.r_[-1.0, y[1:]])
    quiet_fit(_small(loss=loss), X, np.r_[0.0, y[1:]])  # zero is a count


def test_several_quantiles_are_sorted_and_one_is_not_touched():
    X, y = _data()
    reg = quiet_fit(_small(loss="quantile", quantile=[0.1, 0.5, 0.9], max_iter=2), X, y)
    raw, prediction = reg._network.predict(X), reg.predict(X)
    assert (np.diff(raw, axis=1) < 0).any()  # after two epochs the raw outputs cross
    np.testing.assert_array_equal(prediction, np.sort(raw, axis=1))
    outputs = np.array([[3.0, 1.0, 2.0]])
    assert Quantile((0.1, 0.5, 0.9)).postprocess(outputs) is outputs
    np.testing.assert_array_equal(outputs, [[1.0, 2.0, 3.0]])
    np.testing.assert_array_equal(Quantile(0.3).postprocess(np.array([[3.0, 1.0]])),
                                  [[3.0, 1.0]])


def test_the_classifier_names_no_loss_rule_it_does_not_need():
    X, y = _data()
    clf = quiet_fit(FCNNClassifier(hidden_layer_sizes=(4,), max_iter=5, random_state=0),
                    X, (y > 2).astype(int))
    assert clf._loss is LOSSES["binary_log_loss"]  # the object behind _loss_name
