"""What notebooks and scikit-learn's tools read off our estimators: the HTML
repr's link to our documentation, and honest tags."""

import re
import warnings

import numpy as np
import pytest
from conftest import BOTH, data_for

import skfcnn
from skfcnn.estimators.base import DOCS_URL, doc_version


@pytest.mark.parametrize("cls", BOTH)
def test_the_html_repr_links_to_the_class_page_of_our_docs(cls):
    html = cls()._repr_html_()
    page = f"{DOCS_URL}/{doc_version(skfcnn.__version__)}/gen_modules/skfcnn.{cls.__name__}.html"
    links = re.findall(r'href="([^"#]+)', html)
    assert page in links  # the page autosummary writes (tests/test_docs.py builds it)
    assert not any("scikit-learn.org" in link for link in links)


def test_the_documentation_version_of_a_release_and_of_a_dev_version():
    assert doc_version("0.2.0.dev0") == "latest"
    assert doc_version("0.2.0") == "0.2.0"


@pytest.mark.parametrize("cls", BOTH)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_transform_preserves_the_dtype_the_tags_say(cls, dtype, digits, regression):
    assert cls().__sklearn_tags__().transformer_tags.preserves_dtype == ["float64", "float32"]
    X, y = data_for(cls, digits, regression)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est = cls(hidden_layer_sizes=(4,), max_iter=2, random_state=0).fit(X.astype(dtype), y)
    assert est.transform(X.astype(dtype)).dtype == dtype


# -- X_val and y_val through a Pipeline -------------------------------------------------
def _scaled_split(seed=0):
    from sklearn.datasets import make_classification
    from sklearn.model_selection import train_test_split

    X, y = make_classification(n_samples=400, n_features=6, random_state=seed)
    return train_test_split(X * 50 + 100, y, test_size=0.25, random_state=seed)


def _pipeline():
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    return make_pipeline(StandardScaler(), skfcnn.FCNNClassifier(
        hidden_layer_sizes=(8,), early_stopping=True, max_iter=30, random_state=0))


def test_an_untransformed_x_val_in_a_pipeline_warns_and_names_the_recipe():
    X, X_val, y, y_val = _scaled_split()
    with pytest.warns(UserWarning, match=r"X_val is on another scale than X: feature 0 .*"
                                         r"pipeline\[:-1\]\.transform\(X_val\)"):
        _pipeline().fit(X, y, fcnnclassifier__X_val=X_val, fcnnclassifier__y_val=y_val)


def _error_on_the_scale_warning():
    """A context: every warning ignored but the scale warning, which raises."""
    context = warnings.catch_warnings()
    context.__enter__()
    warnings.simplefilter("ignore")
    warnings.filterwarnings("error", message="X_val is on another scale")
    return context


def test_the_recipe_transforms_x_val_and_does_not_warn():
    X, X_val, y, y_val = _scaled_split()
    pipe = _pipeline()
    pipe[:-1].fit(X, y)
    context = _error_on_the_scale_warning()
    try:
        pipe.fit(X, y, fcnnclassifier__X_val=pipe[:-1].transform(X_val),
                 fcnnclassifier__y_val=y_val)
    finally:
        context.__exit__(None, None, None)


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("cls", BOTH)
def test_a_validation_set_of_the_same_distribution_does_not_warn(cls, seed, digits,
                                                                regression):
    X, y = data_for(cls, digits, regression)
    rows = np.random.default_rng(seed).permutation(len(X))
    train, val = rows[:-40], rows[-40:]
    est = cls(hidden_layer_sizes=(4,), max_iter=2, early_stopping=True, random_state=0)
    context = _error_on_the_scale_warning()
    try:
        est.fit(X[train], y[train], X_val=X[val], y_val=y[val])
    finally:
        context.__exit__(None, None, None)
