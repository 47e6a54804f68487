"""The one base of the extension points' value objects (:class:`ValueObject`:
``repr``, equality and hashing from their fields) and the check of their
real-valued arguments."""

import inspect
import math
from numbers import Real

import numpy as np

__all__ = ["HyperParameters", "ValueObject", "check_real"]


def check_real(name, value, low=0.0, high=None, low_closed=True, high_closed=True):
    """``value`` if it is a finite real in the interval, else ``ValueError`` naming it.

    The interval runs from ``low`` to ``high`` (``None``: no upper bound), each
    end closed or open as asked; the message shows it, e.g. ``[0, 1)``.
    """
    ok = isinstance(value, Real) and not isinstance(value, bool) and math.isfinite(value)
    if ok:
        ok = (value >= low if low_closed else value > low) and (
            high is None or (value <= high if high_closed else value < high))
    if not ok:
        left, right = "[" if low_closed else "(", "]" if high_closed and high is not None \
            else ")"
        upper = "inf" if high is None else high
        raise ValueError(f"The '{name}' parameter must be a real number in "
                         f"{left}{low}, {upper}{right}; got {value!r}.")
    return value


def _same(a, b):
    """``a == b`` as one bool, also for arrays (same dtype, shape and values)."""
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return (type(a) is type(b) and a.dtype == b.dtype and a.shape == b.shape
                and bool(np.array_equal(a, b)))
    return bool(a == b)


class ValueObject:
    """``repr``, equality and hashing from the object's fields: the one base of the
    extension points' objects (activations, losses, optimisers, gradient
    transforms, schedules).

    The fields are the constructor's named arguments when the object holds
    each under its own name (scikit-learn's rule for estimators, and what
    ``get_params`` reads), else every instance attribute (``vars(self)``,
    e.g. for an activation without a constructor).  Two objects are equal
    when they are of the same class with equal fields (arrays by dtype, shape
    and values), so an object equals its ``copy.deepcopy``, its pickled copy
    and its ``sklearn.base.clone``; equal objects hash alike.
    """

    @classmethod
    def _param_names(cls):
        """The constructor's named arguments (none for ``object.__init__``)."""
        if cls.__init__ is object.__init__:
            return []
        return [name for name, parameter in inspect.signature(cls.__init__).parameters.items()
                if name != "self" and parameter.kind not in (parameter.VAR_POSITIONAL,
                                                             parameter.VAR_KEYWORD)]

    def _fields(self):
        """The fields as a dict, name -> value, in the constructor's order."""
        attributes = vars(self)
        names = self._param_names()
        if names and all(name in attributes for name in names):
            return {name: attributes[name] for name in names}
        return dict(attributes)

    def _params(self):
        return tuple(self._fields().values())

    def __repr__(self):
        args = ", ".join(f"{name}={value!r}" for name, value in self._fields().items())
        return f"{type(self).__name__}({args})"

    def __eq__(self, other):
        if type(other) is not type(self):
            return NotImplemented
        mine, theirs = self._fields(), other._fields()
        return mine.keys() == theirs.keys() and all(_same(v, theirs[k]) for k, v in mine.items())

    def __hash__(self):
        try:
            return hash((type(self), tuple(self._fields().items())))
        except TypeError:  # an unhashable field (an array, a list): equal objects agree
            return hash(type(self))


#: The name of earlier versions (the optimisers', transforms' and schedules' base).
HyperParameters = ValueObject
