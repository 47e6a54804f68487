"""``repr``, equality and hashing from the constructor's arguments, shared by the
optimisers, the gradient transforms and the schedules."""

import inspect
import math
from numbers import Real

__all__ = ["HyperParameters", "check_real"]


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


class HyperParameters:
    """``repr``, equality and hashing from the constructor's arguments.

    The constructor of a subclass stores each argument verbatim under its own
    name (scikit-learn's rule for estimators); the arguments are read back
    from those attributes.  Two objects are equal when they are of the same
    class with equal arguments, so an object compares equal to its
    ``copy.deepcopy``, its pickled copy and its ``sklearn.base.clone``.
    """

    @classmethod
    def _param_names(cls):
        return [name for name, parameter in inspect.signature(cls.__init__).parameters.items()
                if name != "self" and parameter.kind not in (parameter.VAR_POSITIONAL,
                                                             parameter.VAR_KEYWORD)]

    def _params(self):
        return tuple(getattr(self, name) for name in self._param_names())

    def __repr__(self):
        args = ", ".join(f"{name}={getattr(self, name)!r}" for name in self._param_names())
        return f"{type(self).__name__}({args})"

    def __eq__(self, other):
        if type(other) is not type(self):
            return NotImplemented
        return self._params() == other._params()

    def __hash__(self):
        return hash((type(self).__name__, self._params()))
