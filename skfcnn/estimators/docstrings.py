"""Docstrings shared by the two estimators: every parameter is documented once.

``tests/test_docs.py`` checks that the parameters documented here are exactly
those of ``get_params()``, each once and with its actual default, and that
every public fitted attribute is documented.
"""

import inspect
import textwrap

from ..nn import activations, input_steps, losses, optimizers, schedules
from ._loss_docs import CLASSIFIER_PARAMETERS, REGRESSOR_PARAMETERS
from ._types import Method


def _summary(obj):
    """The first paragraph of ``obj``'s docstring, on one line."""
    return " ".join((inspect.getdoc(obj) or "").split("\n\n")[0].split()).rstrip(".")


def _link(obj):
    cls = obj if isinstance(obj, type) else type(obj)
    return f":class:`~{cls.__module__}.{cls.__qualname__}`"


def _bullets(entries, quoted=True):
    """``* 'name': text`` items (``name`` as it is unless ``quoted``), wrapped for a
    parameter description."""
    lines = []
    for name, text in entries:
        name = f"``'{name}'``" if quoted else name
        lines += textwrap.wrap(f"* {name}: {text}", 79, initial_indent=" " * 8,
                               subsequent_indent=" " * 10, break_on_hyphens=False)
    return "\n".join(lines)


def _names(names):
    return "{" + ", ".join(repr(name) for name in names) + "}"


def _schedule_text(cls):
    text = f"{_summary(cls)} ({_link(cls)})"
    build = cls.__dict__.get("build")
    if build is not None:
        rule = _summary(build.__func__)
        text += f"; built {rule[0].lower()}{rule[1:]}"
    if getattr(cls, "solvers", None):
        text += f"; for {', '.join(repr(s) for s in cls.solvers)} only, as in scikit-learn"
    return text


def _classifier_loss(loss):
    return bool(loss.outputs & {"softmax", "logistic"})


def _registry_lists():
    """Every list of names in the docstrings, from the registries."""
    hidden = {n: a for n, a in activations.ACTIVATIONS.items() if a.hidden}
    return {
        "ACTIVATIONS": _bullets((n, f"{_summary(a)} ({_link(a)});") for n, a in hidden.items()),
        "SOLVER_NAMES": _names([*optimizers.OPTIMIZERS, "lbfgs"]),
        "INPUT_STEPS": _bullets(((_link(c), f"{_summary(c)};")
                                 for c in input_steps.INPUT_STEPS.values()), quoted=False),
        "OPTIMIZERS": _bullets((n, f"{_summary(c)} ({_link(c)});")
                               for n, c in optimizers.OPTIMIZERS.items()),
        "SCHEDULES": _bullets((n, _schedule_text(c) + ";")
                              for n, c in schedules.SCHEDULES.items()),
        "CLASSIFIER_LOSS_NAMES": _names([n for n, loss in losses.LOSSES.items()
                                         if _classifier_loss(loss)]),
        "CLASSIFIER_LOSSES": _bullets((n, f"{_summary(loss)} ({_link(loss)});")
                                      for n, loss in losses.LOSSES.items()
                                      if _classifier_loss(loss)),
        "REGRESSOR_LOSS_NAMES": _names([n for n, loss in losses.LOSSES.items()
                                        if loss.output_activation not in ("softmax", "logistic")]),
        "REGRESSOR_LOSSES": _bullets((n, f"{_summary(loss)} ({_link(loss)});")
                                     for n, loss in losses.LOSSES.items()
                                     if loss.output_activation not in ("softmax", "logistic")),
    }


def _fill(text):
    for key, value in _registry_lists().items():
        text = text.replace("{{" + key + "}}", value)
    return text


# Parameters shared by both estimators, in the order of the signatures, up to
# ``max_fun`` (scikit-learn's MLP parameters)...
_MLP_PARAMETERS = """
    hidden_layer_sizes : int or array-like of shape (n_layers - 2,), default=(100,)
        Number of units of each hidden layer; the i-th element is the i-th
        hidden layer.  An empty tuple gives a network with no hidden layer
        (a linear or logistic model).
    activation : str, Activation or list of them, default='relu'
        Activation :math:`f` of the hidden layers, a name registered in
        :data:`skfcnn.nn.activations.ACTIVATIONS` (a hidden one):

{{ACTIVATIONS}}

        or an activation object (:class:`skfcnn.nn.Activation`: its forward
        pass and derivative, see :doc:`/extending`), or a list (or tuple) of
        such names and objects, one per hidden layer.  A list whose length
        differs from ``len(hidden_layer_sizes)`` raises a ``ValueError`` in
        ``fit``.
    solver : {{SOLVER_NAMES}} or optimizer, default='adam'
        The optimiser of the mini-batch steps, a name registered in
        :data:`skfcnn.nn.optimizers.OPTIMIZERS` (built with the estimator's
        parameters of the same names as its arguments):

{{OPTIMIZERS}}
        * ``'lbfgs'``: full-batch L-BFGS (scipy's L-BFGS-B) over the flat
          parameter vector, good for small data sets; it ignores the
          mini-batch, learning-rate, early-stopping, dropout and batch-norm
          training settings (the network is evaluated in prediction mode) and
          has no ``partial_fit``.

        or an optimiser object (``init(params) -> state`` and
        ``update(params, grad, learning_rate, state)``, see
        :mod:`skfcnn.nn.optimizers` and :doc:`/extending`), used as it is.
    alpha : float, default=0.0001
        Strength of the L2 penalty :math:`\\frac{\\alpha}{2N}\\sum_l \\lVert W_l
        \\rVert_F^2` added to the mean loss of each batch of :math:`N` samples
        (:math:`N` is the sum of the sample weights when they are given);
        biases and batch-norm parameters are not penalised.
    batch_size : int or 'auto', default='auto'
        Mini-batch size of the stochastic solvers; ``'auto'`` is
        ``min(200, n_samples)``.  Larger values are clipped to ``n_samples``
        with a warning.
    learning_rate : str or callable, default='constant'
        Learning-rate schedule of the stochastic solvers: the rate
        :math:`\\eta_e` of epoch :math:`e` (epochs finished so far, counted
        across ``partial_fit`` calls and ``warm_start`` fits), with
        :math:`\\eta_0` = ``learning_rate_init`` and :math:`T` = ``max_iter``.

{{SCHEDULES}}
        * a schedule object: any picklable callable ``schedule(step) ->
          rate``, e.g. from :mod:`skfcnn.nn.schedules`
          (:class:`~skfcnn.nn.schedules.CosineAnnealing` with warm restarts,
          ...).  Its optional attribute ``unit`` says what ``step`` counts:
          ``'epoch'`` (the default) or ``'sample'`` (``t_``).  Its rate is
          used as given: ``learning_rate_init`` is then ignored.  One with a
          method ``on_plateau(record) -> divisor or None`` is metric-driven:
          it decides at each plateau, as ``'adaptive'`` does.
    learning_rate_init : float, default=0.001
        :math:`\\eta_0`, the initial learning rate of every stochastic solver.
    power_t : float, default=0.5
        Exponent :math:`p` of the ``'invscaling'`` schedule (``'sgd'`` only).
    max_iter : int, default=200
        Maximum number of epochs (passes over the data) of one ``fit`` call
        for the stochastic solvers, and the length :math:`T` of the
        ``'cosine'``, ``'step'`` and ``'exponential'`` schedules; maximum
        number of iterations for ``'lbfgs'``.
    shuffle : bool, default=True
        Whether to shuffle the samples before each epoch.
    random_state : int, RandomState instance or None, default=None
        Seeds the initial weights, the shuffling, the dropout masks and the
        validation split of ``early_stopping``.  Pass an int for reproducible
        results.
    tol : float, default=1e-4
        Training stops when the monitored quantity (the training loss, or with
        ``early_stopping`` the validation score or loss, see ``monitor``) has
        not improved by at least ``tol`` for more than ``n_iter_no_change``
        consecutive epochs.  For ``'lbfgs'`` it is the tolerance on the
        projected gradient (scipy's ``gtol``).
    verbose : bool or int, default=False
        Print the loss of each epoch (and the validation score) and why
        training stopped; ``verbose >= 2`` also shows a progress bar over the
        epochs when the optional package ``tqdm`` is installed (without it, a
        ``UserWarning`` says so and only the lines are printed).
    warm_start : bool, default=False
        When True, ``fit`` continues from the fitted parameters *and* the
        optimiser's state (momentum velocity, Adam moments and step count) and
        the schedules continue from the epochs run so far instead of starting
        again.  A changed ``activation``, ``dropout`` or ``loss`` applies from
        then on (also with ``partial_fit``); a changed ``hidden_layer_sizes``
        or ``batch_norm`` raises a ``ValueError``.
    momentum : float, default=0.9
        Momentum :math:`\\mu \\in [0, 1]` of the ``'sgd'`` solver.
    nesterovs_momentum : bool, default=True
        Use Nesterov's momentum with the ``'sgd'`` solver.
    early_stopping : bool, default=False
        Stop on a validation set instead of the training loss: by default a
        share ``validation_fraction`` of the training data is held out
        (stratified for single-label classification), or the set passed to
        ``fit`` as ``X_val``, ``y_val``.  Training stops when the monitored
        validation quantity (``monitor``) has not improved by ``tol`` for more
        than ``n_iter_no_change`` epochs, and the parameters of the best epoch
        are then restored (see ``restore_best_weights``).  Without early
        stopping, training stops on the training loss and the last parameters
        are kept, as in scikit-learn.  Stochastic solvers only; not with
        ``partial_fit``.
    validation_fraction : float, default=0.1
        Share of the training data held out for early stopping, in [0, 1);
        ignored when ``X_val`` is passed to ``fit``.
    beta_1 : float, default=0.9
        Decay rate :math:`\\beta_1 \\in [0, 1)` of the first-moment estimate
        of ``'adam'`` and ``'adamw'``.
    beta_2 : float, default=0.999
        Decay rate :math:`\\beta_2 \\in [0, 1)` of the second-moment estimate
        of ``'adam'`` and ``'adamw'``.
    epsilon : float, default=1e-8
        :math:`\\epsilon > 0`, the numerical-stability term of ``'adam'``,
        ``'adamw'``, ``'rmsprop'`` and ``'adagrad'``, added outside the
        square root.
    n_iter_no_change : int or np.inf, default=10
        Number of epochs without an improvement of ``tol`` tolerated before
        stopping (or, with ``learning_rate='adaptive'``, before dividing the
        rate by 5).
    max_fun : int, default=15000
        Maximum number of objective evaluations of ``'lbfgs'``."""

# ... and the options beyond scikit-learn's MLP, from ``dropout`` on.
_OPTION_PARAMETERS = """
    dropout : float or list of float, default=0.0
        Inverted dropout rate :math:`p \\in [0, 1)` of every hidden layer's
        output, or a list (or tuple) with one rate per hidden layer.  At
        training time each output is kept with probability :math:`1 - p` and
        scaled by :math:`1 / (1 - p)`: :math:`\\tilde A = A \\odot M`,
        :math:`M_{ij} = [u_{ij} \\ge p] / (1 - p)` with :math:`u_{ij}` drawn
        by a generator seeded from ``random_state``, a fresh mask for every
        mini-batch.  ``predict``, ``transform`` and the validation score never
        drop units.  ``'lbfgs'`` ignores it.  ``1.0`` or a list of the wrong
        length raises a ``ValueError``.  See :mod:`skfcnn.nn.dropout`.
    batch_norm : bool, default=False
        Normalise every hidden pre-activation :math:`z` before its activation,
        :math:`f\\bigl(\\gamma (z - \\mu) / \\sqrt{\\sigma^2 + 10^{-5}} +
        \\beta\\bigr)`, with learned :math:`\\gamma, \\beta` per unit.  Training
        uses the mean :math:`\\mu` and variance :math:`\\sigma^2` of the
        mini-batch (unweighted) and updates running estimates
        :math:`\\bar\\mu \\leftarrow 0.9 \\bar\\mu + 0.1 \\mu` (likewise the
        unbiased variance); prediction uses the running estimates, so a row's
        prediction does not depend on the other rows.  Works with
        ``partial_fit``; with ``'lbfgs'`` the running statistics stay at mean
        0 and variance 1.  See :mod:`skfcnn.nn.batch_norm`.
    init : {'glorot_uniform', 'glorot_normal', 'he_uniform', 'he_normal', \
'normal', 'uniform', 'zeros'}, default='glorot_uniform'
        Initialisation of the weights of a layer with :math:`n_\\text{in}`
        inputs and :math:`n_\\text{out}` outputs, with gain or scale
        :math:`g` = ``init_scale``:

        * ``'glorot_uniform'`` (scikit-learn's scheme, the only one that also
          draws the biases): :math:`\\mathcal U(-r, r)`, :math:`r = g
          \\sqrt{c / (n_\\text{in} + n_\\text{out})}`, :math:`c = 2` for a
          logistic activation and 6 otherwise;
        * ``'glorot_normal'``: :math:`\\mathcal N(0, \\sigma^2)`,
          :math:`\\sigma = g \\sqrt{2 / (n_\\text{in} + n_\\text{out})}`;
        * ``'he_uniform'``: :math:`\\mathcal U(-r, r)`, :math:`r = g
          \\sqrt{6 / n_\\text{in}}`;
        * ``'he_normal'``: :math:`\\mathcal N(0, \\sigma^2)`, :math:`\\sigma =
          g \\sqrt{2 / n_\\text{in}}`;
        * ``'normal'``: :math:`\\mathcal N(0, g^2)`, :math:`g` = 0.01 by
          default;
        * ``'uniform'``: :math:`\\mathcal U(-g, g)`, :math:`g` = 1 by default;
        * ``'zeros'``: every weight and bias 0 (the hidden units then stay
          identical: offered to show why random initialisation is needed).

        The biases start at 0 except with ``'glorot_uniform'``.  See
        :mod:`skfcnn.nn.initializers`.
    init_scale : float, default=None
        :math:`g > 0` above: the gain of the Glorot and He schemes (``None``
        means 1), the standard deviation of ``'normal'`` (``None``: 0.01) and
        the half-width of ``'uniform'`` (``None``: 1); ``'zeros'`` ignores it.
    weight_decay : float, default=None
        Decoupled weight decay :math:`\\lambda \\ge 0`, with every stochastic
        solver: every step first shrinks the weights by :math:`\\eta \\lambda W`
        (:math:`\\eta` the scheduled rate), then takes the optimiser's step
        from the (clipped, see ``max_grad_norm``) gradient; biases and
        batch-norm parameters are not decayed.  ``None`` means 0.01 with
        ``solver='adamw'`` (AdamW's default; with :math:`\\lambda = 0`
        ``'adamw'`` is ``'adam'``) and no decay with the other solvers.  Unlike
        the L2 penalty ``alpha``, the decay does not pass through the
        optimiser's per-parameter scaling.  ``'lbfgs'`` ignores it.
    warmup_epochs : int, default=0
        Linear warm-up :math:`w \\ge 0` in front of the learning-rate
        schedule: :math:`\\eta'_e = \\eta_e (e + 1) / w` for :math:`e < w`,
        then :math:`\\eta_e`.  The schedule must count epochs:
        ``'invscaling'`` with ``'sgd'`` (or a schedule object with
        ``unit='sample'``) and ``warmup_epochs > 0`` raise a ``ValueError``.
    monitor : {'auto', 'score', 'loss'}, default='auto'
        What ``early_stopping`` watches on the validation set: ``'score'``
        (accuracy or :math:`R^2`; an epoch improves when it rises by ``tol``,
        scikit-learn's rule) or ``'loss'`` (the mean validation loss without
        the L2 penalty; an epoch improves when it falls by ``tol``).
        ``'auto'``: ``'loss'`` for the regressor's ``'absolute_error'``,
        ``'huber'`` and ``'quantile'`` (the :math:`R^2` of the validation set
        rewards the conditional mean, so it would keep the epoch closest to
        it, not the best median or quantile), ``'score'`` otherwise, as
        scikit-learn's MLP does.
    restore_best_weights : 'auto' or bool, default='auto'
        Which parameters the model keeps when ``fit`` stops: ``'auto'``
        restores the best epoch's (by the monitored quantity) with
        ``early_stopping`` and keeps the last without it, as scikit-learn
        does; ``True`` always restores the best epoch's (the lowest training
        loss without a validation set); ``False`` always keeps the last.
        "Best" is the strictly best epoch of the current ``fit`` call.  With
        ``batch_norm`` the running statistics are restored with the weights.
    max_grad_norm : float, default=None
        Clip the whole flat gradient :math:`g` (all layers, L2 term included)
        before each update to this Euclidean norm :math:`c > 0`,
        :math:`g \\leftarrow g \\min(1, c / \\lVert g \\rVert_2)`; ``None`` does
        not clip.  Stochastic solvers only; the clipping comes before the
        weight decay and the step.
    callbacks : list of callable, default=None
        Called after every epoch (in ``fit`` and ``partial_fit``; every
        iteration of ``'lbfgs'``) as ``callback(history)``, with a new dict with
        keys ``'epoch'`` (``n_iter_``), ``'loss'``, ``'loss_curve'``,
        ``'validation_score'``, ``'validation_loss'`` (``None`` without early
        stopping), ``'learning_rate'`` (the rate of the *next* epoch; ``None``
        for ``'lbfgs'``) and ``'fit_time'``.  A truthy return value stops training after this
        epoch.  Callbacks are cloned and pickled with the estimator: use
        module-level functions or classes.
    input_steps : list of InputStep, default=None
        Steps with learned parameters from the features to the first dense
        layer (:mod:`skfcnn.nn.input_steps`), in order, e.g. RealMLP's
        ``[FrontScale(), PeriodicEmbedding()]``:

{{INPUT_STEPS}}

        ``None``: none.  ``coefs_[0]`` has a row per column of their output.
        Their parameters are neither decayed nor penalised; a step's
        ``lr_factor`` :math:`c` makes their updates :math:`c` times larger
        with the adaptive solvers (:math:`c^2` with ``'sgd'``).  A warm start
        or ``partial_fit`` needs the fitted model's steps; ONNX export
        refuses them."""

_ATTRIBUTES = """
    Attributes
    ----------
    loss_ : float
        Training objective (mean loss plus L2 penalty) of the last epoch
        (iteration for ``'lbfgs'``).
    best_loss_ : float or None
        Lowest training objective of the epochs run so far (``None`` with
        ``early_stopping``, as in scikit-learn; with ``'lbfgs'``, which
        scikit-learn does not give it, the lowest entry of ``loss_curve_``).
    loss_curve_ : list of float
        Training objective of every epoch (every iteration for ``'lbfgs'``),
        across ``warm_start`` fits and ``partial_fit`` calls.  With dropout it
        is the loss of the thinned networks.
    validation_scores_ : list of float or None
        Validation score (accuracy or :math:`R^2`) of every epoch with
        ``early_stopping``, else None.
    validation_loss_curve_ : list of float or None
        Validation loss (the mean loss, weighted by ``sample_weight_val``,
        without the L2 penalty) of every epoch with ``early_stopping``, else
        None.
    best_validation_score_ : float or None
        Best validation score of the last ``fit`` call with
        ``early_stopping`` (whichever quantity ``monitor`` watches), else
        None.
    fit_time_ : list of float
        Wall-clock seconds of every epoch (iteration of ``'lbfgs'``), across
        calls like ``loss_curve_``.
    t_ : int
        Number of training samples seen by the solver.
    coefs_ : list of ndarray
        ``coefs_[i]`` is the weight matrix of layer ``i``, shape
        ``(n_units[i], n_units[i+1])`` (with ``input_steps``, ``coefs_[0]`` has
        a row per column of their output).  A view into one flat parameter
        vector: writing into it changes the model.
    intercepts_ : list of ndarray
        ``intercepts_[i]`` is the bias vector of layer ``i + 1``; also a view.
    n_features_in_ : int
        Number of features seen during ``fit``.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of the features seen during ``fit``, when ``X`` has string
        column names.
    n_iter_ : int
        Epochs (L-BFGS iterations) run by the last ``fit`` call, as in
        scikit-learn: with ``warm_start`` it counts that call's epochs only,
        while ``loss_curve_`` keeps growing.  ``partial_fit`` calls go on
        counting from the last ``fit`` (from 0 without one), so for a model
        trained by ``partial_fit`` alone it equals ``len(loss_curve_)``
        (scikit-learn's ``partial_fit`` sets it to 1 at each call).
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
    meanings, so replacing the class name is enough; with every option beyond
    them left at its default, training takes scikit-learn's steps.  Training
    runs in the dtype of ``X`` (float32 stays float32).  If the loss becomes
    NaN or infinite, ``fit`` stops with a ``ValueError`` naming the iteration
    and the parameters of the last finished iteration are kept.  The
    estimator is also a transformer: ``transform(X, layer=-1)`` returns a
    hidden layer's activations.  :func:`skfcnn.check_gradients` checks its
    back-propagation for its exact configuration.
"""

CLASSIFIER_DOC = _fill(
    """Fully connected neural network classifier.

    A drop-in replacement for :class:`sklearn.neural_network.MLPClassifier`:
    a softmax output with log-loss for more than two classes, a logistic
    output with binary log-loss for two (or the squared error), trained by
    back-propagation with mini-batch SGD, Adam, AdamW, RMSprop, Adagrad or
    L-BFGS.

    Parameters
    ----------"""
    + _MLP_PARAMETERS
    + CLASSIFIER_PARAMETERS
    + _OPTION_PARAMETERS
    + "\n"
    + _ATTRIBUTES
    + """
    classes_ : ndarray of shape (n_classes,)
        Class labels.
"""
    + _NOTES
    + """
    Examples
    --------
    Two rings, which no straight line separates, on standardised features:

    >>> from sklearn.datasets import make_circles
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> from skfcnn import FCNNClassifier
    >>> X, y = make_circles(n_samples=200, factor=0.3, noise=0.1, random_state=0)
    >>> clf = make_pipeline(StandardScaler(),
    ...                     FCNNClassifier(hidden_layer_sizes=(8,), learning_rate_init=0.01,
    ...                                    max_iter=500, random_state=0))
    >>> print(clf.fit(X, y).score(X, y))
    1.0
"""
)

REGRESSOR_DOC = _fill(
    """Fully connected neural network regressor.

    A drop-in replacement for :class:`sklearn.neural_network.MLPRegressor`:
    an identity output with the squared error (or, robust to outliers, the
    absolute error or the Huber loss; or the pinball loss of one or several
    quantiles), or an exponential output with the Poisson deviance, trained
    by back-propagation with mini-batch SGD, Adam, AdamW, RMSprop, Adagrad or
    L-BFGS.  Several outputs are supported.

    Parameters
    ----------"""
    + REGRESSOR_PARAMETERS
    + _MLP_PARAMETERS
    + _OPTION_PARAMETERS
    + "\n"
    + _ATTRIBUTES
    + "\n"
    + _NOTES
    + """
    Examples
    --------
    A parabola, with L-BFGS, which suits small data sets:

    >>> import numpy as np
    >>> from skfcnn import FCNNRegressor
    >>> X = np.linspace(-1, 1, 200).reshape(-1, 1)
    >>> y = X.ravel() ** 2
    >>> reg = FCNNRegressor(hidden_layer_sizes=(16,), solver="lbfgs", random_state=0)
    >>> print(f"{reg.fit(X, y).score(X, y):.3f}")
    0.998
    >>> print(reg.predict([[-0.5], [0.0], [0.5]]).round(2))
    [0.26 0.01 0.25]
"""
)


#: Pieces of the methods' docstrings shared by the two estimators, written once
#: (:func:`substitute` fills them in as ``%(name)s``).
_METHOD_PIECES = {
    "X_fit": """X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data.""",
    "X_predict": """X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input data.""",
    "validation_set": """X_val : {array-like, sparse matrix} of shape (n_val, n_features), \
default=None
            A validation set for early stopping (needs ``early_stopping=True``),
            used instead of holding out ``validation_fraction`` of ``X``.
        y_val : array-like of shape (n_val,) or (n_val, n_outputs), default=None
            Labels or targets of ``X_val``, as ``y``.
        sample_weight_val : array-like of shape (n_val,), default=None
            Weights of ``X_val``'s samples in the validation score and loss.""",
}


def substitute(method: "Method") -> "Method":
    """``method`` with the shared pieces (:data:`_METHOD_PIECES`) in its docstring."""
    method.__doc__ = method.__doc__ % _METHOD_PIECES
    return method
