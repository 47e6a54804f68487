"""Helpers for the sphinx-gallery build of ``../examples``.

They live in an importable module (not in ``conf.py``) because Sphinx caches
its configuration with pickle, and sphinx-gallery resolves callables given as
fully qualified names.
"""

import shutil
from pathlib import Path

DOCS_DIR = Path(__file__).resolve().parent.parent
EXAMPLES_DIR = DOCS_DIR.parent / "examples"
STAGING_DIR = DOCS_DIR / "gen_modules" / "examples_src"
OUTPUT_DIR = DOCS_DIR / "gen_modules" / "examples_output"
HEADER_FILE = DOCS_DIR / "gallery_header.txt"


def stage_examples():
    """Copy the example scripts next to a gallery header; return the folder.

    sphinx-gallery needs a ``GALLERY_HEADER.rst`` / ``README.txt`` in the folder
    it reads; ``examples/`` holds only runnable scripts, so the build reads a
    fresh copy of them (``docs/gen_modules`` is ignored by git).  ``copy2``
    keeps the modification times, and sphinx-gallery compares contents, so
    unchanged examples are not run again.
    """
    if STAGING_DIR.exists():
        shutil.rmtree(STAGING_DIR)
    STAGING_DIR.mkdir(parents=True)
    shutil.copyfile(HEADER_FILE, STAGING_DIR / "README.txt")
    if EXAMPLES_DIR.is_dir():
        for script in sorted(EXAMPLES_DIR.glob("*.py")):
            shutil.copy2(script, STAGING_DIR / script.name)
    return STAGING_DIR


def _output_dir(src_file):
    return OUTPUT_DIR / Path(src_file).stem


def reset_argv(gallery_conf, script_vars):
    """Command-line arguments of an example: an empty folder for its outputs."""
    folder = _output_dir(script_vars["src_file"])
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    _SCRAPED.pop(str(folder), None)
    return [str(folder)]


#: Images already shown, per output folder.
_SCRAPED = {}


def png_scraper(block, block_vars, gallery_conf):
    """Show the images an example saved to its output folder.

    The examples write their figures with ``savefig`` and close them, so
    sphinx-gallery's matplotlib scraper sees nothing; this scraper picks up,
    after each code cell, the image files that appeared in the folder and
    embeds them below the cell.
    """
    from sphinx_gallery.scrapers import figure_rst

    folder = _output_dir(block_vars["src_file"])
    if not folder.is_dir():
        return ""
    seen = _SCRAPED.setdefault(str(folder), set())
    new = [
        path
        for path in sorted(folder.iterdir(), key=lambda p: (p.stat().st_mtime_ns, p.name))
        if path.suffix.lower() in (".png", ".jpg", ".jpeg", ".svg") and path.name not in seen
    ]
    image_paths = []
    for path in new:
        seen.add(path.name)
        target = Path(next(block_vars["image_path_iterator"])).with_suffix(path.suffix)
        shutil.copyfile(path, target)
        image_paths.append(str(target))
    return figure_rst(image_paths, gallery_conf["src_dir"]) if image_paths else ""
