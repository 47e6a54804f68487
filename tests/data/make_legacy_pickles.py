"""Write the pickles of ``legacy_0.1.0/`` (run once, with skfcnn 0.1.0 at commit 307b9a9).

Each pickle holds ``(estimator, X, y, expected, continued)``: a fitted model of
skfcnn 0.1.0, its training data, what it predicted on ``X`` (``predict_proba``
for a classifier, ``predict`` for a regressor) and, for the stochastic solvers,
what it predicted after one more ``partial_fit(X, y)`` (``None`` for L-BFGS):
the optimiser's state must survive the load.  ``tests/test_persistence.py`` loads
them with the current code and checks the predictions and that training goes on.
"""

import os
import pickle
import sys
import warnings

import numpy as np
from sklearn.datasets import make_circles, make_regression

from skfcnn import FCNNClassifier, FCNNRegressor

MODELS = {
    "classifier_adam": (FCNNClassifier, dict(hidden_layer_sizes=(5,), max_iter=20)),
    "classifier_sgd_adaptive": (FCNNClassifier, dict(
        hidden_layer_sizes=(4, 3), activation=["tanh", "gelu"], solver="sgd",
        learning_rate="adaptive", max_iter=15)),
    "classifier_multiclass_dropout": (FCNNClassifier, dict(
        hidden_layer_sizes=(6,), dropout=0.2, solver="adamw", max_iter=10,
        max_grad_norm=1.0)),
    "regressor_batch_norm": (FCNNRegressor, dict(
        hidden_layer_sizes=(6, 4), batch_norm=True, solver="rmsprop", max_iter=10,
        learning_rate="cosine", early_stopping=True)),
    "regressor_lbfgs": (FCNNRegressor, dict(hidden_layer_sizes=(5,), solver="lbfgs",
                                            max_iter=30)),
    "regressor_adagrad_float32": (FCNNRegressor, dict(hidden_layer_sizes=(5,),
                                                      solver="adagrad", max_iter=10)),
}


def data(name):
    if name.startswith("classifier"):
        X, y = make_circles(n_samples=60, factor=0.3, noise=0.1, random_state=0)
        if "multiclass" in name:
            y = y + (X[:, 0] > 0.5)
        return X, y
    X, y = make_regression(n_samples=60, n_features=3, noise=1.0, random_state=0)
    if "float32" in name:
        X = X.astype(np.float32)
    return X, y / 50


def main(folder):
    os.makedirs(folder, exist_ok=True)
    for name, (cls, params) in MODELS.items():
        X, y = data(name)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model = cls(random_state=0, **params).fit(X, y)
        predict = "predict_proba" if name.startswith("classifier") else "predict"
        expected = getattr(model, predict)(X)
        continued = None
        if model.solver != "lbfgs":
            again = pickle.loads(pickle.dumps(model))
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                again.set_params(early_stopping=False).partial_fit(X, y)
            continued = getattr(again, predict)(X)
        with open(os.path.join(folder, f"{name}.pkl"), "wb") as f:
            pickle.dump((model, X, y, expected, continued), f, protocol=4)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__),
                                                           "legacy_0.1.0"))
