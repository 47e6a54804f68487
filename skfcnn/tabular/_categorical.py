r"""The categorical columns of a table as numbers: RealMLP's one-hot rule.

A column with exactly two levels and no missing value in training becomes
one column, :math:`-1` for the first level (in sorted order: ``False``,
``'no'``) and :math:`+1` for the second; any other column becomes one
column per level (scikit-learn's ``OneHotEncoder``), the missing value being
a level of its own and the rarest levels beyond ``max_categories`` one
"infrequent" level.  Then every one of these columns goes through
:class:`~skfcnn.tabular.SmoothClipScaler`, as RealMLP scales its one-hot
columns: a column's median (its majority value) becomes 0 and its other
value a number of magnitude between about 0.5 and 3, set by the column's
quantiles (e.g. :math:`f(2) \approx 1.66` for a level of frequency below
1/4 in a large sample: no IQR, range 1).  An unknown level at
``transform`` reads as the infrequent level where there is one, else as all
zeros before scaling (0 for a two-level column).
"""

from __future__ import annotations

import numpy as np
from sklearn.preprocessing import OneHotEncoder

from ._numeric import SmoothClipScaler

__all__ = ["CategoricalBlock"]


def _widths(encoder):
    """Output columns per input column of a fitted ``OneHotEncoder``, and whether each
    input column has exactly two levels, neither of them missing nor infrequent."""
    infrequent = (encoder.infrequent_categories_ if encoder.max_categories is not None
                  else [None] * len(encoder.categories_))
    widths, binary = [], []
    for levels, rare in zip(encoder.categories_, infrequent):
        widths.append(len(levels) if rare is None else len(levels) - len(rare) + 1)
        binary.append(len(levels) == 2 and rare is None
                      and not any(level is None for level in levels))
    return np.array(widths, dtype=np.intp), np.array(binary, dtype=bool)


class CategoricalBlock:
    """One-hot columns, :math:`\\pm 1` for two-level columns, then smooth-clip scaling.

    Parameters
    ----------
    max_categories : int or None
        ``OneHotEncoder``'s limit of output columns per input column.
    """

    def __init__(self, max_categories):
        self.max_categories = max_categories

    def fit(self, values):
        """Learn the levels of the object array ``values`` (missing as ``None``)."""
        self.encoder_ = OneHotEncoder(
            handle_unknown="infrequent_if_exist", max_categories=self.max_categories,
            sparse_output=False, dtype=np.float64).set_output(transform="default")
        self.encoder_.fit(values)
        widths, binary = _widths(self.encoder_)
        starts = np.cumsum(widths) - widths
        # a two-level column keeps its second level's column, minus its first's
        self.first_ = starts[binary]
        keep = np.ones(int(widths.sum()), dtype=bool)
        keep[self.first_] = False
        self.kept_ = np.flatnonzero(keep)
        self.signed_ = np.searchsorted(self.kept_, self.first_ + 1)
        self.scaler_ = SmoothClipScaler().set_output(transform="default")
        self.scaler_.fit(self._encode(values))
        return self

    def _encode(self, values):
        onehot = self.encoder_.transform(values)
        encoded = onehot[:, self.kept_]
        encoded[:, self.signed_] -= onehot[:, self.first_]
        return encoded

    def transform(self, values):
        """The scaled columns of ``values``, float64."""
        return self.scaler_.transform(self._encode(values))

    @property
    def n_columns_(self):
        return self.kept_.size

    def feature_names(self, names):
        """``{column}_{level}`` per output column (the +1 level of a two-level column)."""
        return self.encoder_.get_feature_names_out(names)[self.kept_]
