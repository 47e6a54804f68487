"""scikit-learn's own estimator checks, with no expected failures.

The defaults and scikit-learn's solvers and schedules pass the checks; so does
each option beyond scikit-learn's MLP (issue 4): other activations (one name,
and one per hidden layer), the other optimisers, the new schedules with a
warm-up, and a schedule object as ``learning_rate``.  Small networks or a
larger step keep the run short where the checks still pass with them.

Every check runs on the settings that change what the checks exercise
(:data:`EVERY_CHECK`: the default classifier and regressor, L-BFGS, batch norm,
balanced class weights, user objects at every extension point, input steps; and, below,
dropout and several quantiles); the other settings run only the checks whose
outcome the setting can change (:data:`SETTING_DEPENDENT`, issue 22).  The rest
test what happens before the solver, the layers or the loss are involved (input
validation and conversion: sparse matrices, lists, data frames, memory maps,
dtypes, NaN, empty data; error messages; tags and the API conventions), which
runs the same code whatever the setting.
"""

import warnings
from functools import partial

import pytest
from extending_examples import Adamax, HalfCosine, PseudoHuber, Softsign, StopBelow
from sklearn.utils.estimator_checks import estimator_checks_generator

from skfcnn import FCNNClassifier, FCNNRegressor
from skfcnn.exceptions import DataScaleWarning
from skfcnn.nn import EnsembleInput, FrontScale, PeriodicEmbedding
from skfcnn.nn.schedules import ExponentialDecay

# The checks fit with the default max_iter on small data sets and expect no
# convergence: their ConvergenceWarnings are expected, hundreds per run.
pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

#: Settings that run every check: each changes a code path that checks of every
#: kind go through (the training path, the layers, the tags, the parameters' types).
EVERY_CHECK = [
    FCNNClassifier(),
    FCNNRegressor(),
    FCNNClassifier(solver="lbfgs"),  # full-batch L-BFGS through SciPy: no batches, no rates
    FCNNClassifier(batch_norm=True),  # weighted batch statistics: weights = repeated rows
    # balanced weights change the tags (no multilabel) and every weighted fit
    FCNNClassifier(class_weight="balanced", hidden_layer_sizes=(16,)),
    # -- user objects where a name is accepted (the developer guide's examples) -----------
    FCNNRegressor(hidden_layer_sizes=(16,), activation=Softsign(), loss=PseudoHuber(),
                  solver=Adamax(), learning_rate_init=0.01, callbacks=[StopBelow(1e-3)]),
    # input steps with parameters (RealMLP's): another width before the first layer
    FCNNClassifier(hidden_layer_sizes=(16,), input_steps=[FrontScale(), PeriodicEmbedding()]),
    # a BatchEnsemble (TabM): k times the rows inside, the members' mean outside
    FCNNRegressor(hidden_layer_sizes=(16,), input_steps=[EnsembleInput(4)]),
    FCNNClassifier(hidden_layer_sizes=(16,), input_steps=[EnsembleInput(4)]),
]

#: The checks whose outcome a setting (solver, schedule, activation, layer step, loss,
#: weights, a parameter's type) can change: what the fitted model does and keeps.
SETTING_DEPENDENT = {
    # determinism and invariances of the fitted model; fit and predict change no state
    "check_fit_idempotent", "check_methods_subset_invariance",
    "check_methods_sample_order_invariance", "check_dict_unchanged",
    "check_dont_overwrite_parameters", "check_estimators_overwrite_params",
    # the parameters' values: clone, get/set_params, repr, pickle (objects, lists)
    "check_estimator_cloneable", "check_estimator_repr", "check_get_params_invariance",
    "check_set_params", "check_estimators_pickle",
    # training: its quality, dtypes kept, edge shapes, iterations, partial_fit, targets
    "check_classifiers_train", "check_regressors_train", "check_classifiers_classes",
    "check_regressors_int", "check_regressor_multioutput", "check_supervised_y_2d",
    "check_decision_proba_consistency", "check_estimators_dtypes",
    "check_transformer_preserve_dtypes", "check_transformer_general",
    "check_fit2d_1sample", "check_fit2d_1feature", "check_non_transformer_estimators_n_iter",
    "check_transformer_n_iter", "check_estimators_partial_fit_n_features",
    # sample and class weights (their sparse twin repeats the dense check on sparse input)
    "check_sample_weight_equivalence_on_dense_data", "check_sample_weights_not_overwritten",
    "check_class_weight_classifiers",
}

#: Settings that run the setting-dependent checks only.
SETTINGS = [
    FCNNClassifier(solver="sgd"),
    FCNNRegressor(solver="sgd"),
    FCNNRegressor(solver="lbfgs"),
    FCNNClassifier(solver="sgd", learning_rate="adaptive"),
    FCNNRegressor(solver="sgd", learning_rate="adaptive"),
    # -- beyond scikit-learn's MLP -------------------------------------------------------
    FCNNClassifier(activation="gelu"),
    FCNNRegressor(activation="leaky_relu", hidden_layer_sizes=(16,)),
    # with the default rate this (8, 6) network scores R² = 0.39 < 0.5 in
    # check_regressors_train after 200 epochs (relu too): too slow, not wrong
    FCNNRegressor(hidden_layer_sizes=(8, 6), activation=["elu", "swish"],
                  learning_rate_init=0.01),
    FCNNClassifier(hidden_layer_sizes=(8, 6), activation=["softplus", "tanh"],
                   learning_rate_init=0.01),
    FCNNClassifier(solver="adamw", weight_decay=0.05),
    FCNNRegressor(solver="adamw"),
    FCNNClassifier(solver="rmsprop", hidden_layer_sizes=(16,)),
    FCNNRegressor(solver="rmsprop"),
    FCNNClassifier(solver="adagrad", learning_rate_init=0.01),
    FCNNClassifier(solver="sgd", learning_rate="cosine", warmup_epochs=5),
    FCNNRegressor(learning_rate="cosine", warmup_epochs=5),
    FCNNRegressor(solver="sgd", learning_rate="step", hidden_layer_sizes=(16,)),
    FCNNClassifier(learning_rate=ExponentialDecay(0.01, gamma=0.99), warmup_epochs=3,
                   hidden_layer_sizes=(16,)),
    FCNNClassifier(init="he_normal", max_grad_norm=1.0, hidden_layer_sizes=(16,)),
    FCNNRegressor(batch_norm=True),
    # robust and quantile regression (issue 14): the adaptive and a fixed Huber threshold
    FCNNRegressor(loss="absolute_error"),
    FCNNRegressor(loss="huber"),
    FCNNRegressor(loss="huber", huber_delta=0.5),
    FCNNRegressor(loss="quantile", quantile=0.3),
    FCNNClassifier(hidden_layer_sizes=(16, 8), activation=[Softsign(), "relu"],
                   solver=Adamax(), learning_rate=HalfCosine(0.01, 200)),
]

# Options whose sample weights can only equal repeated rows up to what the
# option itself changes; every other check runs on them (every check on the first:
# stochastic training, a prediction form apart from training's).
WEIGHT_INEXACT = [
    FCNNClassifier(dropout=0.2),
]
WEIGHT_INEXACT_SETTINGS = [
    FCNNRegressor(dropout=0.2),
    FCNNClassifier(hidden_layer_sizes=(32, 16), dropout=[0.3, 0.1]),
]
SAMPLE_WEIGHT_EQUIVALENCE = ("check_sample_weight_equivalence_on_dense_data",
                             "check_sample_weight_equivalence_on_sparse_data")
WHY_INEXACT = {
    # Inherent, not a bug: each row draws its own dropout mask, so a row of
    # weight 3 and three copies of the row see different masks (and zero-weight
    # rows still use random numbers); they agree in expectation only, as for
    # scikit-learn's own stochastic estimators (SGDClassifier, ...).
    "dropout": "dropout draws one mask per row: weights equal repetitions only in "
               "expectation",
}


def _check_name(check):
    return getattr(check, "func", check).__name__


def _check_id(obj):
    """scikit-learn's test ids: the estimator's repr without blanks, or the check's name
    with its keyword arguments."""
    if isinstance(obj, partial) and obj.keywords:
        keywords = ",".join(f"{key}={value}" for key, value in obj.keywords.items())
        return f"{_check_name(obj)}({keywords})"
    if callable(obj) and not hasattr(obj, "get_params"):
        return _check_name(obj)
    return "".join(str(obj).split())


def parametrize_with_checks(estimators, setting_dependent_only=False):
    """scikit-learn's ``parametrize_with_checks``; only the checks in
    :data:`SETTING_DEPENDENT` with ``setting_dependent_only``."""
    pairs = [(estimator, check) for each in estimators
             for estimator, check in estimator_checks_generator(each)
             if not setting_dependent_only or _check_name(check) in SETTING_DEPENDENT]
    return pytest.mark.parametrize("estimator, check", pairs, ids=_check_id)


# Checks whose data is far from unit scale, where our DataScaleWarning (issue 20) is right
# and filtered by its message: three fit on rng.normal(loc=100, size=(n, 2)), a mean 100
# standard deviations from 0 (on such an offset the default classifier scores chance on
# make_circles); check_regressor_multioutput fits make_regression's raw targets, of
# standard deviation 100 to 200 (R² 0.64 at std 100 on 300 rows with adam).
UNSCALED_DATA = {
    "check_fit_idempotent": r"X has 2 feature\(s\) far from unit scale: feature 0 \(root "
                            r"mean square 1?\d\d(\.\d)?, mean 1?\d\d(\.\d)?, std [01]\.",
    "check_fit_check_is_fitted": None,  # the same data
    "check_n_features_in": None,
    "check_regressor_multioutput": r"y has 5 target column\(s\) far from unit scale",
}
UNSCALED_DATA.update({name: UNSCALED_DATA["check_fit_idempotent"]
                      for name, pattern in UNSCALED_DATA.items() if pattern is None})


def _run(check, estimator):
    """``check(estimator)``, with the DataScaleWarning its data deserves filtered."""
    pattern = UNSCALED_DATA.get(_check_name(check))
    with warnings.catch_warnings():
        if pattern is not None:
            warnings.filterwarnings("ignore", message=pattern, category=DataScaleWarning)
        check(estimator)


@parametrize_with_checks(EVERY_CHECK)
def test_sklearn_compatible_estimator(estimator, check):
    _run(check, estimator)


@parametrize_with_checks(SETTINGS, setting_dependent_only=True)
def test_sklearn_compatible_setting(estimator, check):
    _run(check, estimator)


def _run_inexact(check, estimator):
    if _check_name(check) in SAMPLE_WEIGHT_EQUIVALENCE:
        pytest.skip(WHY_INEXACT["dropout"])
    _run(check, estimator)


@parametrize_with_checks(WEIGHT_INEXACT)
def test_sklearn_compatible_with_dropout(estimator, check):
    _run_inexact(check, estimator)


@parametrize_with_checks(WEIGHT_INEXACT_SETTINGS, setting_dependent_only=True)
def test_sklearn_compatible_setting_with_dropout(estimator, check):
    _run_inexact(check, estimator)


# Several quantiles of one target (issue 14): ``predict`` returns one column per
# quantile for a 1-D ``y``, which three checks rule out by design; every other check runs
# (the multi-output checks do not: the tags say several quantiles are one target's).
SEVERAL_QUANTILES = [FCNNRegressor(loss="quantile", quantile=[0.2, 0.5, 0.8])]
WHY_NOT_SEVERAL_QUANTILES = {
    # they assert predict(X).shape == y.shape (or (n_samples,)) for a 1-D y
    "check_regressors_train": "predict gives one column per quantile for a 1-D y",
    "check_estimator_sparse_array": "predict gives one column per quantile for a 1-D y",
    "check_estimator_sparse_matrix": "predict gives one column per quantile for a 1-D y",
}


@parametrize_with_checks(SEVERAL_QUANTILES)
def test_sklearn_compatible_with_several_quantiles(estimator, check):
    reason = WHY_NOT_SEVERAL_QUANTILES.get(_check_name(check))
    if reason:
        pytest.skip(reason)
    _run(check, estimator)


def test_setting_dependent_checks_are_scikit_learns():
    """A misspelt or renamed check would silently leave every setting of SETTINGS
    without it."""
    generated = {_check_name(check) for each in EVERY_CHECK
                 for _, check in estimator_checks_generator(each)}
    assert SETTING_DEPENDENT <= generated, sorted(SETTING_DEPENDENT - generated)
