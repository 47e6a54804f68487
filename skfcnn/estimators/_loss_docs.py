"""The docstrings of the estimators' loss parameters (``loss`` and what configures it).

Moved out of :mod:`skfcnn.estimators.docstrings`, which fills the
``{{...}}`` lists in from the registries.
"""

CLASSIFIER_PARAMETERS = """
    loss : {{CLASSIFIER_LOSS_NAMES}} or Loss, default='log_loss'
        Loss of the outputs :math:`y_i` (probabilities) against the one-hot
        (or 0/1) targets :math:`t_i`, averaged over the samples of a batch
        (weighted by the sample weights): a name registered in
        :data:`skfcnn.nn.losses.LOSSES` that may follow the classifier's
        softmax (multiclass) or logistic (binary, multilabel) output,

{{CLASSIFIER_LOSSES}}

        (``'log_loss'`` is the multiclass cross-entropy after softmax and the
        binary one after the logistic output), or a loss object
        (:class:`skfcnn.nn.Loss`, see :doc:`/extending`) that may follow the
        output.
    class_weight : dict, 'balanced' or None, default=None
        Weight of each class, multiplying ``sample_weight`` when both are
        given: ``None`` weighs every class 1; ``'balanced'`` weighs class
        :math:`c` by :math:`W / (K W_c)`, with :math:`K` classes, :math:`W`
        the total sample weight and :math:`W_c` that of class :math:`c` (the
        numbers of samples without ``sample_weight``), so that every class
        carries the same total weight; a dict ``{label: weight}`` gives the
        listed classes their weight and the others 1 (every key must be a
        class of ``y``).  ``partial_fit`` is not available with
        ``'balanced'``, which needs all the labels at once (pass a dict
        computed on all of them instead), and multilabel targets take no
        ``class_weight``."""

REGRESSOR_PARAMETERS = """
    loss : {{REGRESSOR_LOSS_NAMES}} or Loss, default='squared_error'
        Loss of the outputs :math:`y_i` against the targets :math:`t_i`,
        averaged over the samples of a batch (weighted by the sample weights),
        with the loss's own output activation: a name registered in
        :data:`skfcnn.nn.losses.LOSSES`,

{{REGRESSOR_LOSSES}}

        (``'squared_error'`` sums over outputs, so the reported loss and its
        gradient agree for several outputs; ``'poisson'`` needs non-negative
        targets such as counts; ``'absolute_error'``, ``'huber'`` and
        ``'quantile'`` are robust to outliers or fit conditional quantiles,
        see :mod:`skfcnn.nn.robust_losses`), or a loss object
        (:class:`skfcnn.nn.Loss`, see :doc:`/extending`) whose
        ``output_activation`` is the output's.  ``score`` and the
        validation score stay :math:`R^2` whatever the loss; early stopping
        watches the validation loss for ``'absolute_error'``, ``'huber'``
        and ``'quantile'`` (``monitor='auto'``).
    huber_delta : float, default=None
        The threshold :math:`\\delta > 0` of ``loss='huber'``, where its
        :math:`\\tfrac12 r^2` turns into :math:`\\delta (\\lvert r \\rvert -
        \\tfrac12 \\delta)`, the same for every output.  ``None`` (the
        default) resists gross outliers whatever the targets' scale:
        :math:`\\delta = 1.345\\,\\operatorname{med}_i \\lvert r_i \\rvert / 0.6745` of
        each output, from the median absolute residual over the batch
        (weighted by ``sample_weight``), recomputed for every batch; the
        gradient holds it constant.  That median does not move while fewer
        than half the residuals are gross outliers, so the default resists
        them whatever the targets' unit (the 0.9 quantile of the residuals,
        gradient boosting's rule, lands among them from 10 % on).  (Not
        :class:`~sklearn.linear_model.HuberRegressor`'s scale estimated
        jointly with the fit, which adds a parameter outside the network and
        a non-convex objective for every solver.)  With
        ``'lbfgs'`` it is held for a run and re-estimated for the next (at
        most five runs sharing ``max_iter``), so that each line search sees
        one objective.  Ignored by the other losses.
    quantile : float or array-like of float, default=0.5
        The quantile :math:`q \\in (0, 1)` of ``loss='quantile'`` (the
        pinball loss :math:`\\max(q r, (q - 1) r)` of :math:`r = t - y`): one
        float is the quantile of every output column; a list, tuple or 1-D array of
        :math:`m` strictly increasing floats fits :math:`m` quantiles of a
        single target column with :math:`m` outputs, ``predict`` then returns
        shape ``(n_samples, m)`` with each row sorted so that the quantiles
        never cross (the monotone rearrangement; training minimises the plain
        sum of the pinball losses).  A bad list raises a ``ValueError`` in
        ``fit``.  Ignored by the other losses."""
