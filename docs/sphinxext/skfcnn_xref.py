"""Resolve references to skfcnn's objects by any name they are imported under.

``skfcnn.nn.Loss`` is the public name of a class defined in
``skfcnn.nn._protocols``, ``skfcnn.nn.Network`` one documented as
``skfcnn.nn.network.Network``, and a docstring of ``skfcnn.training.loop``
says :class:`Checkpoint` for the class it imports from
``skfcnn.training.state``.  The Python domain knows each object only by the
name it is documented under (and, through autodoc's ``:canonical:``, by the
name of the module that defines it), so these references would be left
unresolved.  This extension imports the named object, takes its defining
module and qualified name, and resolves the reference to that name instead.
A reference whose object is not documented under any of its names stays
unresolved and is reported as before.
"""

import importlib

PACKAGE = "skfcnn"


def _import(dotted):
    """The object named ``dotted`` (a module, then attributes), or ``None``."""
    parts = dotted.split(".")
    for split in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:split]))
        except ImportError:
            continue
        try:
            for attribute in parts[split:]:
                obj = getattr(obj, attribute)
        except AttributeError:
            return None
        return obj
    return None


def _defined_name(obj):
    """``module.qualname`` of a class, function or method, or ``None``."""
    module = getattr(obj, "__module__", None)
    qualname = getattr(obj, "__qualname__", None)
    if not (isinstance(module, str) and isinstance(qualname, str)):
        return None
    if not module.startswith(PACKAGE) or "<" in qualname:
        return None
    return f"{module}.{qualname}"


def _candidates(target, node):
    """The full names ``target`` may stand for where ``node`` is."""
    target = target.lstrip("~.")
    module, cls = node.get("py:module"), node.get("py:class")
    if module and cls:
        yield f"{module}.{cls}.{target}"
    if module:
        yield f"{module}.{target}"
    yield target


def _resolve_alias(app, env, node, contnode):
    if node.get("refdomain") != "py":
        return None
    target = node.get("reftarget", "")
    domain = env.domains["py"]
    for name in _candidates(target, node):
        if not name.startswith(PACKAGE + "."):
            continue
        defined = _defined_name(_import(name))
        if defined is None or defined == name:
            continue
        new = node.deepcopy()
        new["reftarget"] = defined
        new["refspecific"] = False
        resolved = domain.resolve_xref(env, node["refdoc"], app.builder, node["reftype"],
                                       defined, new, contnode)
        if resolved is not None:
            return resolved
    return None


def setup(app):
    app.connect("missing-reference", _resolve_alias)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
