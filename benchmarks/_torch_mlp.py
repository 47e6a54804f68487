"""The PyTorch (CPU) peer of the MNIST-shaped benchmark, as users would write it.

Same network as the estimators' ``hidden_layer_sizes`` with relu hidden layers
and a linear output into ``CrossEntropyLoss`` (softmax + log-loss), the default
``torch.optim.Adam`` with the same learning rate and betas, mini-batches drawn
from a fresh permutation every epoch.  scikit-learn's L2 penalty ``alpha``
(added as :math:`\\alpha W / n_{batch}` to each batch gradient of the weights)
is Adam's ``weight_decay = alpha / batch_size``; unlike scikit-learn, torch also
decays the biases, a difference of a few hundred numbers that costs no time.

The options of ``options.py`` are written the usual PyTorch way: the
activation module, ``nn.Dropout`` after each hidden activation,
``nn.BatchNorm1d`` before it (the linear layer then has no bias), another
``torch.optim`` class, ``clip_grad_norm_``, a ``CosineAnnealingLR`` stepped
per epoch and a class-weighted ``CrossEntropyLoss``.

Only imported by the benchmarks when torch is importable; torch is never a
dependency of skfcnn.
"""

import time

import numpy as np
import torch
from torch import nn

__all__ = ["TorchMLP", "torch_version"]


def torch_version():
    """The installed torch's version string."""
    return torch.__version__


class TorchMLP:
    """Fit ``epochs`` epochs of a relu MLP with Adam; ``fit`` returns the seconds taken."""

    def __init__(self, hidden_layer_sizes, *, batch_size, learning_rate_init, alpha,
                 epochs, dtype, threads, random_state=0, activation="relu",
                 optimizer="adam", dropout=0.0, batch_norm=False, max_grad_norm=None,
                 cosine=False, class_weight=False):
        self.activation = activation
        self.optimizer = optimizer
        self.dropout = dropout
        self.batch_norm = batch_norm
        self.max_grad_norm = max_grad_norm
        self.cosine = cosine
        self.class_weight = class_weight
        self.hidden_layer_sizes = tuple(hidden_layer_sizes)
        self.batch_size = batch_size
        self.learning_rate_init = learning_rate_init
        self.alpha = alpha
        self.epochs = epochs
        self.dtype = {np.float32: torch.float32, np.float64: torch.float64}[np.dtype(dtype).type]
        self.threads = threads
        self.random_state = random_state
        self.model = None

    def _build(self, n_features, n_classes):
        """The ``nn.Sequential`` network, in the model's dtype."""
        sizes = (n_features, *self.hidden_layer_sizes)
        activation = {"relu": nn.ReLU, "tanh": nn.Tanh, "elu": nn.ELU,
                      "gelu": lambda: nn.GELU(approximate="tanh")}[self.activation]
        layers = []
        for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
            layers.append(nn.Linear(fan_in, fan_out, bias=not self.batch_norm))
            if self.batch_norm:
                layers.append(nn.BatchNorm1d(fan_out))
            layers.append(activation())
            if self.dropout:
                layers.append(nn.Dropout(self.dropout))
        layers.append(nn.Linear(sizes[-1], n_classes))
        return nn.Sequential(*layers).to(self.dtype)

    def fit(self, X, y):
        """Train on ``X`` (float array of the model's dtype) and integer labels ``y``.

        The timed part is everything a user's training script does: building the
        model and optimiser, wrapping the arrays (zero-copy) and the epochs.
        """
        torch.set_num_threads(self.threads)
        torch.manual_seed(self.random_state)
        generator = torch.Generator().manual_seed(self.random_state)
        labels = np.ascontiguousarray(y, dtype=np.int64)
        start = time.perf_counter()
        X_t, y_t = torch.from_numpy(X), torch.from_numpy(labels)
        self.model = self._build(X.shape[1], int(labels.max()) + 1)
        optimizer = self._optimizer()
        schedule = (torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, self.epochs)
                    if self.cosine else None)
        loss_fn = nn.CrossEntropyLoss(weight=self._class_weights(labels))
        n_samples = X_t.shape[0]
        self.model.train()
        for _ in range(self.epochs):
            order = torch.randperm(n_samples, generator=generator)
            for begin in range(0, n_samples, self.batch_size):
                index = order[begin : begin + self.batch_size]
                optimizer.zero_grad(set_to_none=True)
                loss = loss_fn(self.model(X_t[index]), y_t[index])
                loss.backward()
                if self.max_grad_norm is not None:
                    nn.utils.clip_grad_norm_(self.model.parameters(), self.max_grad_norm)
                optimizer.step()
            if schedule is not None:
                schedule.step()
        return time.perf_counter() - start

    def _optimizer(self):
        """The ``torch.optim`` optimiser of ``self.optimizer``, with the L2 as weight decay."""
        params, rate = self.model.parameters(), self.learning_rate_init
        decay = self.alpha / self.batch_size
        if self.optimizer == "sgd":
            return torch.optim.SGD(params, lr=rate, momentum=0.9, nesterov=True,
                                   weight_decay=decay)
        if self.optimizer == "rmsprop":
            return torch.optim.RMSprop(params, lr=rate, alpha=0.9, eps=1e-8, weight_decay=decay)
        if self.optimizer == "adagrad":
            return torch.optim.Adagrad(params, lr=rate, eps=1e-10, weight_decay=decay)
        if self.optimizer == "adamw":
            return torch.optim.AdamW(params, lr=rate, betas=(0.9, 0.999), eps=1e-8,
                                     weight_decay=0.01)
        return torch.optim.Adam(params, lr=rate, betas=(0.9, 0.999), eps=1e-8,
                                weight_decay=decay)

    def _class_weights(self, labels):
        """scikit-learn's 'balanced' weights n / (k n_c), or None."""
        if not self.class_weight:
            return None
        counts = np.bincount(labels)
        return torch.tensor(labels.size / (counts.size * counts), dtype=self.dtype)

    def score(self, X, y):
        """Accuracy on ``X, y``."""
        self.model.eval()
        with torch.no_grad():
            predicted = self.model(torch.from_numpy(X)).argmax(dim=1).numpy()
        return float(np.mean(predicted == np.asarray(y)))
