"""Every private scikit-learn name the estimators use, imported in this one place.

scikit-learn may move or change these between releases; when it does, this is
the only file to adapt.
"""

import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from sklearn.utils._optional_dependencies import check_matplotlib_support
from sklearn.utils._param_validation import (
    HasMethods,
    Interval,
    Options,
    StrOptions,
    make_constraint,
)
from sklearn.utils._set_output import _wrap_data_with_container
from sklearn.utils.validation import _assert_all_finite, _check_sample_weight

if TYPE_CHECKING:  # scikit-learn has no annotations: the decorators keep the signature
    from ._types import Method

    def _fit_context(*, prefer_skip_nested_validation: bool) -> Callable[[Method], Method]: ...

    def available_if(check: Callable[[Any], Any]) -> Callable[[Method], Method]: ...
else:
    from sklearn.base import _fit_context
    from sklearn.utils._available_if import available_if

try:  # scikit-learn >= 1.9
    from sklearn.callback import CallbackSupportMixin
except ImportError:  # pragma: no cover
    class CallbackSupportMixin:
        """Stands in for scikit-learn's callback mixin where it has none (before 1.9)."""

__all__ = ["CachedParamNamesMixin", "CallbackSupportMixin", "HasMethods", "Interval", "Options",
           "StrOptions", "_assert_all_finite", "_check_sample_weight", "_fit_context",
           "_wrap_data_with_container", "available_if", "check_matplotlib_support",
           "make_constraint"]


class CachedParamNamesMixin:
    """scikit-learn's private ``_get_param_names``, read once per class.

    scikit-learn reads ``__init__``'s signature (``inspect.signature``) on every call,
    that is on every ``get_params``: each ``fit`` and ``partial_fit`` (parameter
    validation) and each ``clone`` (twice).  The names are a property of the class.
    """

    @classmethod
    def _get_param_names(cls):
        return list(_param_names(cls))


@functools.cache
def _param_names(cls):
    return tuple(super(CachedParamNamesMixin, cls)._get_param_names())
