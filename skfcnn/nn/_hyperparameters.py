"""``repr``, equality and hashing from the constructor's arguments, shared by the
optimisers, the gradient transforms and the schedules."""

import inspect

__all__ = ["HyperParameters"]


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
