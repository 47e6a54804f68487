"""The warnings and errors skfcnn raises that users may want to catch or filter."""

from sklearn.exceptions import InconsistentVersionWarning as _SklearnVersionWarning

from .training.loop import DivergenceError

__all__ = ["DataScaleWarning", "DivergenceError", "InconsistentVersionWarning"]


class InconsistentVersionWarning(_SklearnVersionWarning):
    """A model is loaded (unpickled, or read with skops) that another skfcnn
    version saved.

    A subclass of scikit-learn's own
    :class:`~sklearn.exceptions.InconsistentVersionWarning`, which scikit-learn
    raises for its version: a filter on scikit-learn's class covers this one too
    (its ``current_sklearn_version`` and ``original_sklearn_version`` hold the
    skfcnn versions here).
    The model loads; whether it behaves as it did is not guaranteed.  Refit it
    with the installed version, or install the version that saved it.

    Parameters
    ----------
    estimator_name : str
        The estimator's class name.
    current_version : str
        The installed skfcnn version.
    original_version : str
        The skfcnn version that saved the model.

    Examples
    --------
    >>> import warnings
    >>> from sklearn.exceptions import InconsistentVersionWarning as SklearnVersionWarning
    >>> from skfcnn.exceptions import InconsistentVersionWarning
    >>> warning = InconsistentVersionWarning(
    ...     estimator_name="FCNNClassifier", current_version="0.3.0", original_version="0.2.0")
    >>> print(warning)
    Trying to load estimator FCNNClassifier saved by skfcnn 0.2.0 with skfcnn 0.3.0. It may
    predict or train differently; refit it with this version, or install skfcnn==0.2.0 to
    use it as it was.

    A filter on scikit-learn's class covers it (here, making it an error):

    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("error", SklearnVersionWarning)
    ...     warnings.warn(warning)
    Traceback (most recent call last):
    ...
    skfcnn.exceptions.InconsistentVersionWarning: Trying to load estimator FCNNClassifier ...
    """

    def __init__(self, *, estimator_name, current_version, original_version):
        super().__init__(estimator_name=estimator_name,
                         current_sklearn_version=current_version,
                         original_sklearn_version=original_version)
        self.current_version = current_version
        self.original_version = original_version

    def __str__(self):
        return (f"Trying to load estimator {self.estimator_name} saved by skfcnn "
                f"{self.original_version} with skfcnn {self.current_version}. It may "
                "predict or train differently; refit it with this version, or install "
                f"skfcnn=={self.original_version} to use it as it was.")


class DataScaleWarning(UserWarning):
    """Features ``X`` or regression targets ``y`` are far from unit scale, where the
    network trains poorly or not at all.

    Raised by ``fit`` (and the first ``partial_fit``) with the offending
    columns, their root mean square and their mean and standard deviation,
    and what to do: scale the features in a pipeline
    (``make_pipeline(StandardScaler(), FCNNClassifier())``), the targets with
    ``TransformedTargetRegressor(regressor=..., transformer=StandardScaler())``.
    A subclass of :class:`UserWarning`.

    Examples
    --------
    >>> import warnings
    >>> from skfcnn.exceptions import DataScaleWarning
    >>> issubclass(DataScaleWarning, UserWarning)
    True
    >>> with warnings.catch_warnings():  # where you know the scale is right
    ...     warnings.simplefilter("ignore", DataScaleWarning)
    ...     # fit here
    """
