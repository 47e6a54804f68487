"""Read-only views of a registry, computed from it at every read.

A constant derived from a registry at import (a tuple of names, a dict of
methods) goes stale once a user registers a name; these views select from
the registry each time they are read, so a name registered (or removed)
later is in them (or gone) at once.  They are never written to: write to
the registry itself.
"""

from collections.abc import Mapping, Sequence, Set

__all__ = ["NameSet", "Names", "ValueView"]


class _Selection:
    """The names of ``registry`` whose entry satisfies ``where``, in registry order."""

    def __init__(self, registry, where):
        self._registry = registry
        self._where = where

    def _names(self):
        return tuple(name for name, entry in self._registry.items() if self._where(entry))

    def __iter__(self):
        return iter(self._names())

    def __len__(self):
        return len(self._names())

    def __contains__(self, name):
        entry = self._registry.get(name) if isinstance(name, str) else None
        return entry is not None and bool(self._where(entry))


class Names(_Selection, Sequence):
    """The selected names as a sequence (a tuple when read), e.g. the hidden activations."""

    def __getitem__(self, index):
        return self._names()[index]

    def __eq__(self, other):
        if isinstance(other, (tuple, Names)):
            return self._names() == tuple(other)
        return NotImplemented

    __hash__ = None  # its value changes with the registry

    def __repr__(self):
        return repr(self._names())


class NameSet(_Selection, Set):
    """The selected names as a set (a frozenset when read), e.g. the activations
    whose derivative reads the pre-activation."""

    @classmethod
    def _from_iterable(cls, names):  # what ``&``, ``|``, ``-`` and ``^`` return
        return frozenset(names)

    def __repr__(self):
        return repr(frozenset(self._names()))


class ValueView(_Selection, Mapping):
    """``name -> value(entry)`` for the selected names, e.g. each hidden
    activation's derivative."""

    def __init__(self, registry, where, value):
        super().__init__(registry, where)
        self._value = value

    def __getitem__(self, name):
        if name not in self:
            raise KeyError(name)
        return self._value(self._registry[name])

    def __repr__(self):
        return repr(dict(self.items()))
