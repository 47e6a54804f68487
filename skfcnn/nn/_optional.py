"""Optional packages, imported where they are needed, with an error that says how to
install them.

It lives in the lowest layer, standard library only, so that every layer may use
it under the layout's rules: the progress bar of :mod:`skfcnn.training` (tqdm),
:mod:`skfcnn.plotting` (matplotlib) and :mod:`skfcnn.onnx` (skl2onnx, onnx).
"""

import importlib

__all__ = ["import_optional", "install_hint"]


def install_hint(package, extra=None):
    """The command that installs ``package``: the skfcnn extra ``extra`` when there is
    one (from an index, and from a clone of the repository), else the package itself.

    Parameters
    ----------
    package : str
        The distribution to install, e.g. ``"skl2onnx"``.
    extra : str, default=None
        The extra of skfcnn's ``pyproject.toml`` that holds it, e.g. ``"onnx"``.

    Returns
    -------
    str
    """
    if extra is None:
        return f"pip install {package}"
    return f"pip install 'skfcnn[{extra}]' (from a clone: pip install -e '.[{extra}]')"


def import_optional(module, feature, extra=None, package=None):
    """Import the optional module ``module`` for ``feature``.

    Parameters
    ----------
    module : str
        The module to import, e.g. ``"skl2onnx"`` or ``"tqdm.auto"``.
    feature : str
        What needs it, as the user wrote it (``"skfcnn.onnx"``,
        ``"LossCurveDisplay.plot"``): the error's subject.
    extra : str, default=None
        The skfcnn extra that installs it (see :func:`install_hint`).
    package : str, default=None
        The distribution to name; ``None``: the top-level package of ``module``.

    Returns
    -------
    module

    Raises
    ------
    ImportError
        Naming ``feature``, the package and the command that installs it, the
        original error chained (``from``).
    """
    package = module.partition(".")[0] if package is None else package
    try:
        return importlib.import_module(module)
    except ImportError as error:
        missing = isinstance(error, ModuleNotFoundError) and error.name is not None and \
            error.name.partition(".")[0] == module.partition(".")[0]
        why = "which is not installed" if missing else f"which failed to import ({error})"
        raise ImportError(f"{feature} needs {package}, {why}: "
                          f"{install_hint(package, extra)}") from error
