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
