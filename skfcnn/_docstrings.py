"""Docstrings shared by the two estimators: every parameter is documented once."""

_PARAMETERS = """
    Parameters
    ----------
    hidden_layer_sizes : int or array-like of shape (n_layers - 2,), default=(100,)
        Number of units of each hidden layer; the i-th element is the i-th
        hidden layer.  An empty tuple gives a network with no hidden layer
        (a linear or logistic model).
    activation : {'identity', 'logistic', 'tanh', 'relu'}, default='relu'
        Activation of the hidden layers: ``identity`` :math:`f(z) = z`,
        ``logistic`` :math:`f(z) = 1 / (1 + e^{-z})`, ``tanh``
        :math:`f(z) = \\tanh z`, ``relu`` :math:`f(z) = \\max(z, 0)`.
    solver : {'lbfgs', 'sgd', 'adam'}, default='adam'
        ``'lbfgs'``: full-batch L-BFGS (scipy's L-BFGS-B) over the flat
        parameter vector, good for small data sets; ``'sgd'``: stochastic
        gradient descent with (Nesterov) momentum; ``'adam'``: Adam with
        scikit-learn's bias-corrected step.
    alpha : float, default=0.0001
        Strength of the L2 penalty :math:`\\frac{\\alpha}{2N}\\sum_l \\lVert W_l
        \\rVert^2` added to the mean loss of each batch of :math:`N` samples
        (biases are not penalised).
    batch_size : int or 'auto', default='auto'
        Mini-batch size; ``'auto'`` is ``min(200, n_samples)``.  Larger values
        are clipped to ``n_samples`` with a warning.
    learning_rate : {'constant', 'invscaling', 'adaptive'}, default='constant'
        Learning-rate schedule of the ``'sgd'`` solver (as in scikit-learn,
        ignored by the others): ``'constant'`` keeps ``learning_rate_init``;
        ``'invscaling'`` uses :math:`\\eta_0 / (t + 1)^{p}` with :math:`t` the
        number of samples seen and :math:`p` = ``power_t``; ``'adaptive'``
        keeps the rate while the loss (or validation score) improves and
        divides it by 5 each time it fails to improve by ``tol`` for
        ``n_iter_no_change`` epochs, stopping once it falls below 1e-6.
    learning_rate_init : float, default=0.001
        Initial step size of the ``'sgd'`` and ``'adam'`` updates.
    power_t : float, default=0.5
        Exponent of the ``'invscaling'`` schedule.
    max_iter : int, default=200
        Maximum number of epochs (passes over the data) of one ``fit`` call
        for the stochastic solvers; maximum number of iterations for
        ``'lbfgs'``.
    shuffle : bool, default=True
        Whether to shuffle the samples before each epoch.
    random_state : int, RandomState instance or None, default=None
        Seeds the initial weights and the shuffling.  Pass an int for
        reproducible results.
    tol : float, default=1e-4
        Training stops when the loss (or the validation score with
        ``early_stopping``) has not improved by at least ``tol`` for
        ``n_iter_no_change`` consecutive epochs.  For ``'lbfgs'`` it is the
        tolerance on the projected gradient (scipy's ``gtol``).
    verbose : bool, default=False
        Print the loss after each epoch.
    warm_start : bool, default=False
        When True, ``fit`` continues from the fitted parameters *and* the
        optimiser's state (momentum velocity, Adam moments and step count)
        instead of starting again.
    momentum : float, default=0.9
        Momentum of the ``'sgd'`` solver, in [0, 1].
    nesterovs_momentum : bool, default=True
        Use Nesterov's momentum with the ``'sgd'`` solver.
    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the training data (stratified for
        single-label classification) and stop when its score (accuracy or R²)
        has not improved by ``tol`` for ``n_iter_no_change`` epochs; the
        parameters of the best-scoring epoch are then restored.  Without early
        stopping, training stops on the training loss and the last parameters
        are kept, as in scikit-learn.  Stochastic solvers only; not with
        ``partial_fit``.
    validation_fraction : float, default=0.1
        Share of the training data held out for early stopping, in [0, 1).
    beta_1 : float, default=0.9
        Decay rate of Adam's first-moment estimate, in [0, 1).
    beta_2 : float, default=0.999
        Decay rate of Adam's second-moment estimate, in [0, 1).
    epsilon : float, default=1e-8
        Adam's numerical-stability term, added outside the square root.
    n_iter_no_change : int, default=10
        Number of epochs without an improvement of ``tol`` before stopping.
    max_fun : int, default=15000
        Maximum number of objective evaluations of ``'lbfgs'``.
"""

_ATTRIBUTES = """
    Attributes
    ----------
    loss_ : float
        Training objective (mean loss plus L2 penalty) of the last epoch.
    best_loss_ : float or None
        Lowest training objective reached (None with ``early_stopping``, as in
        scikit-learn).
    loss_curve_ : list of float
        Training objective of every epoch (every iteration for ``'lbfgs'``),
        across ``warm_start`` fits and ``partial_fit`` calls.
    validation_scores_ : list of float or None
        Validation score of every epoch with ``early_stopping``, else None.
    best_validation_score_ : float or None
        Best validation score with ``early_stopping``, else None.
    t_ : int
        Number of training samples seen by the solver.
    coefs_ : list of ndarray
        ``coefs_[i]`` is the weight matrix of layer ``i``, shape
        ``(n_units[i], n_units[i+1])``.  A view into one flat parameter vector:
        writing into it changes the model.
    intercepts_ : list of ndarray
        ``intercepts_[i]`` is the bias vector of layer ``i + 1``; also a view.
    n_features_in_ : int
        Number of features seen during ``fit``.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of the features seen during ``fit``, when ``X`` has string
        column names.
    n_iter_ : int
        Epochs run in total; always equals ``len(loss_curve_)``, also across
        ``partial_fit`` calls (unlike scikit-learn's MLP, whose ``n_iter_``
        restarts at each call).
    n_layers_ : int
        Number of layers, input and output layers included.
    n_outputs_ : int
        Number of output units.
    out_activation_ : str
        Activation of the output layer."""

_NOTES = """
    Notes
    -----
    The parameters shared with scikit-learn's MLP have its names, defaults and
    meanings, so replacing the class name is enough.  Training runs in the
    dtype of ``X`` (float32 stays float32).  If the loss becomes NaN or
    infinite, ``fit`` stops with a ``ValueError`` naming the iteration and the
    parameters of the last finished iteration are kept.
"""

CLASSIFIER_DOC = (
    """Fully connected neural network classifier.

    A drop-in replacement for :class:`sklearn.neural_network.MLPClassifier`:
    a softmax output with log-loss for more than two classes, a logistic
    output with binary log-loss for two, trained by back-propagation with
    mini-batch SGD or Adam.
"""
    + _PARAMETERS
    + _ATTRIBUTES
    + """
    classes_ : ndarray of shape (n_classes,)
        Class labels.
"""
    + _NOTES
    + """
    Examples
    --------
    >>> from sklearn.datasets import make_circles
    >>> from skfcnn import FCNNClassifier
    >>> X, y = make_circles(n_samples=200, factor=0.3, noise=0.1, random_state=0)
    >>> clf = FCNNClassifier(hidden_layer_sizes=(8,), max_iter=500, random_state=0)
    >>> clf.fit(X, y).score(X, y) > 0.95
    True
"""
)

REGRESSOR_DOC = (
    """Fully connected neural network regressor.

    A drop-in replacement for :class:`sklearn.neural_network.MLPRegressor`:
    an identity output with the squared error, or an exponential output with
    the Poisson deviance, trained by back-propagation with L-BFGS, mini-batch
    SGD or Adam.  Several outputs are supported.
"""
    + """
    Parameters
    ----------
    loss : {'squared_error', 'poisson'}, default='squared_error'
        ``'squared_error'``: :math:`\\frac{1}{2N}\\sum_i \\lVert y_i - t_i
        \\rVert^2` with an identity output (summed over outputs, so the
        reported loss and its gradient agree for several outputs);
        ``'poisson'``: half the Poisson deviance with an exponential output,
        for non-negative targets such as counts."""
    + _PARAMETERS.split("----------", 1)[1]
    + _ATTRIBUTES
    + "\n"
    + _NOTES
    + """
    Examples
    --------
    >>> import numpy as np
    >>> from skfcnn import FCNNRegressor
    >>> X = np.linspace(-1, 1, 200).reshape(-1, 1)
    >>> reg = FCNNRegressor(hidden_layer_sizes=(16,), max_iter=2000, random_state=0)
    >>> reg.fit(X, X.ravel() ** 2).score(X, X.ravel() ** 2) > 0.9
    True
"""
)
