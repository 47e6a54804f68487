r"""Gradient-descent optimisers over a flat parameter vector.

Each optimiser is a small picklable class: ``init(params)`` sets up its state
(velocities, moments, step count) for a parameter vector, and
``update(params, grad, learning_rate)`` changes ``params`` in place from the
gradient ``grad`` of the same layout.  The state lives on the object, so an
estimator that keeps its optimiser between ``partial_fit`` calls or with
``warm_start`` keeps momentum and Adam's moments.
"""

import numpy as np

__all__ = ["SGD", "Adam"]


class SGD:
    r"""Stochastic gradient descent with (Nesterov) momentum.

    With momentum :math:`\mu`, learning rate :math:`\eta` and gradient :math:`g`:

    .. math::
        v \leftarrow \mu v - \eta g, \qquad
        \theta \leftarrow \theta + v \quad\text{(classical momentum)},

        \theta \leftarrow \theta + \mu v - \eta g \quad\text{(Nesterov)}.

    :math:`\mu = 0` gives plain SGD, :math:`\theta \leftarrow \theta - \eta g`.
    These are scikit-learn's ``MLPClassifier`` updates.

    Parameters
    ----------
    momentum : float, default=0.9
    nesterov : bool, default=True
    """

    def __init__(self, momentum=0.9, nesterov=True):
        self.momentum = momentum
        self.nesterov = nesterov

    def init(self, params):
        """Zero velocity for ``params``."""
        self.velocity = np.zeros_like(params)
        self._scratch = np.empty_like(params)
        return self

    def update(self, params, grad, learning_rate):
        """One in-place step of ``params`` along ``-grad``."""
        velocity, step = self.velocity, self._scratch
        np.multiply(grad, learning_rate, out=step)
        velocity *= self.momentum
        velocity -= step
        if self.nesterov:  # theta + mu * v - eta * g
            params -= step
            np.multiply(velocity, self.momentum, out=step)
            params += step
        else:
            params += velocity
        return params


class Adam:
    r"""Adam (Kingma & Ba, 2015), with scikit-learn's bias-corrected step.

    With gradient :math:`g`, step count :math:`t` and learning rate :math:`\eta`:

    .. math::
        m \leftarrow \beta_1 m + (1 - \beta_1) g, \qquad
        v \leftarrow \beta_2 v + (1 - \beta_2) g^2,

        \eta_t = \eta \frac{\sqrt{1 - \beta_2^t}}{1 - \beta_1^t}, \qquad
        \theta \leftarrow \theta - \eta_t \frac{m}{\sqrt{v} + \epsilon}.

    :math:`\epsilon` is added outside the square root.

    Parameters
    ----------
    beta_1 : float, default=0.9
    beta_2 : float, default=0.999
    epsilon : float, default=1e-8
    """

    def __init__(self, beta_1=0.9, beta_2=0.999, epsilon=1e-8):
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon

    def init(self, params):
        """Zero moments and step count for ``params``."""
        self.t = 0
        self.first_moment = np.zeros_like(params)
        self.second_moment = np.zeros_like(params)
        self._scratch = np.empty_like(params)
        return self

    def update(self, params, grad, learning_rate):
        """One in-place Adam step of ``params``."""
        self.t += 1
        m, v, step = self.first_moment, self.second_moment, self._scratch
        m *= self.beta_1
        np.multiply(grad, 1 - self.beta_1, out=step)
        m += step
        v *= self.beta_2
        np.square(grad, out=step)
        step *= 1 - self.beta_2
        v += step
        rate = learning_rate * np.sqrt(1 - self.beta_2**self.t) / (1 - self.beta_1**self.t)
        np.sqrt(v, out=step)
        step += self.epsilon
        np.divide(m, step, out=step)
        step *= rate
        params -= step
        return params


OPTIMIZERS = {"sgd": SGD, "adam": Adam}
