"""Sphinx configuration of the skfcnn documentation.

Build with ``sphinx-build -W -n docs docs/_build/html`` from the
repository root (``pip install -e ".[docs]"`` first: Sphinx, numpydoc,
sphinx-gallery and the theme, pydata-sphinx-theme).  Add
``-D plot_gallery=0`` to build the example gallery without running the
examples.  ``-n`` (nitpicky) reports every reference that does not resolve;
the build is meant to pass with it, offline: see "Cross-references" below.
"""

import importlib.util
import os
import re
import sys
from pathlib import Path

DOCS_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(DOCS_DIR / "sphinxext"))
if importlib.util.find_spec("skfcnn") is None:  # building from a plain checkout
    sys.path.insert(0, str(DOCS_DIR.parent))

import skfcnn  # noqa: E402

# -- Project -----------------------------------------------------------------
project = "skfcnn"
author = "the skfcnn developers"
copyright = "the skfcnn developers"
release = skfcnn.__version__
version = ".".join(release.split(".")[:2])

# -- General -----------------------------------------------------------------
extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.intersphinx",
    "sphinx.ext.mathjax",
    "numpydoc",
    "skfcnn_xref",  # sphinxext/: skfcnn.nn.Loss & co. resolve by their public names
]
templates_path = ["_templates"]
exclude_patterns = ["_build", "gen_modules/examples_src", "Thumbs.db", ".DS_Store"]
default_role = "literal"
pygments_style = "sphinx"

# -- autodoc / autosummary / numpydoc ----------------------------------------
autosummary_generate = True
autodoc_default_options = {"member-order": "bysource"}
autodoc_typehints = "none"
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
# The parameter types ("array-like of shape (n_samples, n_features)",
# "int, default=None") stay plain text: cross-referencing their words would
# need NumPy's inventory (ndarray, dtype), which is not available offline.
numpydoc_xref_param_type = False

# -- Cross-references to other projects (intersphinx) ------------------------
# The build must pass offline (CI reaches only package registries), so each
# project's inventory is read from _inventories/ where one is committed:
# Python 3.11, SciPy 1.10 and scikit-learn 1.2, taken from Debian's
# python3.11-doc, python-scipy-doc and python-sklearn-doc packages
# (usr/share/doc/*/html/objects.inv; _inventories/README.txt says how to
# refresh them).  NumPy, matplotlib, joblib and skl2onnx have no such package:
# offline, references to them are not linked and not reported (the
# nitpick_ignore_regex below).  With SKFCNN_DOCS_ONLINE=1 every inventory is
# fetched from its project's site first (the committed file is the fallback).
INTERSPHINX = {
    # name: (documentation, committed inventory or None)
    "python": ("https://docs.python.org/3/", "python-3.11.inv"),
    "numpy": ("https://numpy.org/doc/stable/", None),
    "scipy": ("https://docs.scipy.org/doc/scipy/", "scipy-1.10.inv"),
    "sklearn": ("https://scikit-learn.org/stable/", "sklearn-1.2.inv"),
    "matplotlib": ("https://matplotlib.org/stable/", None),
    "joblib": ("https://joblib.readthedocs.io/en/stable/", None),
    "skl2onnx": ("https://onnx.ai/sklearn-onnx/", None),
}
ONLINE = os.environ.get("SKFCNN_DOCS_ONLINE") == "1"
intersphinx_mapping = {}
nitpick_ignore_regex = []
for _name, (_url, _inventory) in INTERSPHINX.items():
    _local = str(DOCS_DIR / "_inventories" / _inventory) if _inventory else None
    if ONLINE:
        intersphinx_mapping[_name] = (_url, (None, _local) if _local else None)
    elif _local:
        intersphinx_mapping[_name] = (_url, _local)
    else:  # no inventory offline: its names cannot be linked
        nitpick_ignore_regex.append((r"py:.*", rf"{_name}(\..+)?"))
intersphinx_timeout = 10
if not ONLINE:
    # Newer than the committed scikit-learn 1.2 inventory (added in 1.3 and
    # 1.9): linked only online.
    nitpick_ignore_regex += [
        (r"py:.*", r"sklearn\.exceptions\.InconsistentVersionWarning"),
        (r"py:.*", r"sklearn\.callback(\..+)?"),
    ]

# -- Example gallery ---------------------------------------------------------
# The scripts in ../examples (plot_*.py) are copied next to a gallery header
# and run by sphinx-gallery; each is given an empty output folder as its only
# command-line argument, and the images it saves there are shown below the
# cell that saved them.  Without sphinx-gallery the page examples.rst is
# built instead: it shows every script with literalinclude (see setup below).
HAVE_GALLERY = importlib.util.find_spec("sphinx_gallery") is not None
if HAVE_GALLERY:
    import skfcnn_gallery

    extensions.append("sphinx_gallery.gen_gallery")
    exclude_patterns.append("examples.rst")
    sphinx_gallery_conf = {
        "examples_dirs": str(skfcnn_gallery.stage_examples()),
        "gallery_dirs": "auto_examples",
        "filename_pattern": r"[\\/]plot_",
        # helper modules next to the examples are copied, not rendered
        "ignore_pattern": r"[\\/](?!plot_)[^\\/]+\.py$",
        "reset_argv": "skfcnn_gallery.reset_argv",
        "image_scrapers": ("matplotlib", "skfcnn_gallery.png_scraper"),
        "write_computation_times": False,
        "show_api_usage": False,
        "download_all_examples": False,
        "remove_config_comments": True,
        "within_subsection_order": "FileNameSortKey",
        "matplotlib_animations": False,
    }
else:
    exclude_patterns.append("auto_examples")

# -- HTML --------------------------------------------------------------------
if importlib.util.find_spec("pydata_sphinx_theme") is not None:
    html_theme = "pydata_sphinx_theme"
    html_theme_options = {
        "navigation_with_keys": False,
        "show_toc_level": 2,
    }
else:
    html_theme = "alabaster"
html_title = f"skfcnn {release}"


# -- Without sphinx-gallery: list the examples with literalinclude ------------
def _examples_without_gallery(app, docname, source):
    if docname == "index":
        source[0] = source[0].replace("auto_examples/index", "examples")
    elif docname == "examples":
        for script in sorted((DOCS_DIR.parent / "examples").glob("plot_*.py")):
            source[0] += (
                f"\n\n``{script.name}``\n{'-' * (len(script.name) + 4)}\n\n"
                f".. literalinclude:: ../examples/{script.name}\n"
                "   :language: python\n"
            )


# -- scikit-learn's generated metadata-routing setters ------------------------
# ``set_fit_request`` & co. are attached to each estimator class by
# scikit-learn; their docstrings point into scikit-learn's own documentation
# (glossary terms, labels) and cannot be resolved here.  The class template
# mentions them instead.
def _skip_metadata_request_setters(app, what, name, obj, skip, options):
    if what == "class" and re.fullmatch(r"set_\w+_request", name):
        return True
    return None


def setup(app):
    app.connect("autodoc-skip-member", _skip_metadata_request_setters)
    if not HAVE_GALLERY:
        app.connect("source-read", _examples_without_gallery)
