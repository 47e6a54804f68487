r"""The worked examples of the developer guide (``docs/extending.rst`` includes them).

One new object for each extension point: an activation, a loss, an optimiser,
a learning-rate schedule, a training callback, a layer step with parameters and
an input step.
They live in a module (not
in a test function) because the estimators' parameters must pickle, and a
pickled object is found again by its module and class name.
``tests/test_extending_examples.py`` trains with each of them, checks their
gradients, clones and pickles them, and runs scikit-learn's estimator checks.
"""

import numpy as np

from skfcnn.nn import Activation, InputStep, Loss
from skfcnn.nn.layers import LayerStep, Slot
from skfcnn.nn.optimizers import Optimizer
from skfcnn.nn.schedules import CosineAnnealing
from skfcnn.training.callbacks import Callback


# -- an activation: forward and derivative side by side -----------------------------------
class Softsign(Activation):
    r"""Softsign, :math:`f(z) = z / (1 + |z|)`.

    .. math:: f'(z) = \frac{1}{(1 + |z|)^2} = (1 - |A|)^2

    since :math:`|A| = |z| / (1 + |z|)`: the derivative needs only the output
    :math:`A`, so ``needs_preactivation`` stays False and the network keeps no
    copy of :math:`Z`.
    """

    name = "softsign"

    def forward(self, Z):
        denominator = np.abs(Z)
        denominator += 1
        Z /= denominator
        return Z

    def derivative(self, Z, A, delta):
        slope = np.abs(A)
        np.subtract(1, slope, out=slope)
        np.square(slope, out=slope)
        delta *= slope
        return delta


def softsign_onnx(builder, name, activation):
    """Softsign's ONNX form, :math:`z / (1 + |z|)`: the nodes written with ``builder``
    (a :class:`skfcnn.onnx.GraphBuilder`) on the tensor ``name``; returns the output's
    name.  ``skfcnn.onnx.register_activation(Softsign, softsign_onnx)`` gives it to
    every Softsign object."""
    denominator = builder.node("Add", [builder.node("Abs", [name]), builder.constant(1.0)])
    return builder.node("Div", [name, denominator])


# -- a layer step with a parameter: forward and backward side by side ---------------------
class LearnableScale(LayerStep):
    r"""A learnable scale per unit after the dense part, :math:`y = \gamma \odot z`,
    with :math:`\gamma` starting at 1 and trained with the weights:

    .. math:: \frac{\partial J}{\partial \gamma} = \mathbf 1^\top (\Delta \odot Z),
              \qquad \frac{\partial J}{\partial Z} = \Delta \odot \gamma.

    Its one :class:`~skfcnn.nn.layers.Slot` gets it a vector ``scale`` of the layer's
    width in the network's flat parameter vector (``scale_grad`` in the gradient).
    """

    parameters = (Slot("scale", 1.0),)

    def __init__(self, units, dtype):
        self.units, self.dtype = units, dtype
        self.inputs = None  # Z of the last forward pass, for the backward pass

    @classmethod
    def build(cls, network, layer):  # every hidden layer has one (None: this one has not)
        return cls(network.layer_sizes[layer + 1], network.dtype)

    def allocate(self, n_rows, scratch):
        self.inputs = np.empty((n_rows, self.units), self.dtype)

    def forward(self, Z, run):
        np.copyto(self.inputs[: Z.shape[0]], Z)
        Z *= self.scale  # in place: the activation comes after
        return Z

    def backward(self, delta, run):
        np.sum(delta * self.inputs[: delta.shape[0]], axis=0, out=self.scale_grad)
        delta *= self.scale
        return delta

    def predict(self, Z):
        Z *= self.scale
        return Z


def learnable_scale_onnx(builder, name, step):
    r"""The step's ONNX form, :math:`z \odot \gamma`; register it with
    ``skfcnn.onnx.register_layer_step(LearnableScale, learnable_scale_onnx)``."""
    return builder.node("Mul", [name, builder.constant(step.scale.reshape(1, -1), "scale")])


# -- an input step: before the first dense layer, its parameters in the network -----------
class LearnedShift(InputStep):
    r"""A learned shift of every input column, :math:`y = x + t`, with :math:`t`
    starting at 0:

    .. math:: \frac{\partial J}{\partial t} = \mathbf 1^\top \Delta, \qquad
              \frac{\partial J}{\partial x} = \Delta.

    The network binds a copy of it: ``stored["shift"]`` and ``grads["shift"]`` are its
    views of the flat vectors, ``parameter_values()`` gives :math:`t` (``lr_factor``
    times the stored vector) and ``scale_gradients()`` finishes the gradient.
    """

    def __init__(self, lr_factor=1.0):
        self.lr_factor = lr_factor

    def parameter_shapes(self, n_inputs):
        return {"shift": (n_inputs,)}

    def initial_values(self, rng, n_inputs):
        return {"shift": np.zeros(n_inputs)}

    def forward(self, X, run):
        return X + self.parameter_values()["shift"]  # a new array: X is the user's

    def backward(self, delta, run):
        np.sum(delta, axis=0, out=self.grads["shift"])
        self.scale_gradients()
        return delta if self.needs_input_delta else None

    def predict(self, X):
        return X + self.parameter_values()["shift"]


# -- a loss: its value and its gradient with respect to the output pre-activation ---------
class PseudoHuber(Loss):
    r"""The pseudo-Huber loss with threshold :math:`\delta`, after the identity output.

    With residuals :math:`r_{ik} = y_{ik} - t_{ik}` and weights :math:`w_i`:

    .. math::
        \ell_i = \delta^2 \sum_k \left(\sqrt{1 + (r_{ik}/\delta)^2} - 1\right),
        \qquad
        \frac{\partial L}{\partial z_{ik}} = \frac{w_i}{\sum_j w_j}
        \frac{r_{ik}}{\sqrt{1 + (r_{ik}/\delta)^2}}

    (:math:`z = y` after the identity).  Quadratic for small residuals, linear
    for large ones: a smooth Huber loss, robust to outliers in the targets.
    """

    name = "pseudo_huber"
    output_activation = "identity"

    def __init__(self, delta=1.0):
        self.delta = delta

    def per_sample(self, y_true, y_pred):
        scaled = (y_pred - y_true) / self.delta
        return self.delta**2 * np.sum(np.sqrt(1 + scaled**2) - 1, axis=1)

    def gradient(self, y_true, y_pred, sample_weight=None, out=None, output_activation=None):
        residual = np.subtract(y_pred, y_true, out=out)
        residual /= np.sqrt(1 + (residual / self.delta) ** 2)
        if sample_weight is None:
            residual /= residual.shape[0]
        else:
            residual *= (sample_weight / sample_weight.sum())[:, None]
        return residual


# -- an optimiser: hyper-parameters on the object, state apart -----------------------------
class Adamax(Optimizer):
    r"""Adamax (Kingma & Ba, 2015): Adam with the infinity norm.

    .. math::
        m \leftarrow \beta_1 m + (1 - \beta_1) g, \qquad
        u \leftarrow \max(\beta_2 u, |g|), \qquad
        \theta \leftarrow \theta - \frac{\eta}{1 - \beta_1^t} \frac{m}{u + \epsilon}

    The estimators pass their ``beta_1``, ``beta_2`` and ``epsilon`` (same names).
    """

    _state_names = ("first_moment", "infinity_norm")
    _n_scratch = 2

    def __init__(self, beta_1=0.9, beta_2=0.999, epsilon=1e-8):
        self.beta_1, self.beta_2, self.epsilon = beta_1, beta_2, epsilon

    def init(self, params):
        state = super().init(params)
        state.t = 0
        return state

    def _constants(self, learning_rate, state):
        state.t += 1
        return {"rate": learning_rate / (1 - self.beta_1**state.t)}

    def _update_block(self, params, grad, m, u, scratch, rate):
        term, step = scratch
        m *= self.beta_1
        np.multiply(grad, 1 - self.beta_1, out=term)
        m += term
        u *= self.beta_2
        np.maximum(u, np.abs(grad, out=term), out=u)
        np.add(u, self.epsilon, out=term)
        np.multiply(m, -rate, out=step)
        step /= term
        params += step


# -- a schedule: a picklable value object, epoch -> rate -------------------------------------
class HalfCosine(CosineAnnealing):
    r"""Cosine annealing to half the initial rate over ``max_iter`` epochs.

    .. math:: \eta_e = \tfrac{\eta_0}{2} + \tfrac{\eta_0}{4} (1 + \cos(\pi e / T))

    ``build`` is what a registered name calls with the estimator's values.
    """

    @classmethod
    def build(cls, learning_rate_init, *, n_epochs, power_t):
        return cls(learning_rate_init, n_epochs, min_learning_rate=learning_rate_init / 2)


# -- a callback: hooks of the training loop ----------------------------------------------------
class GradientNorms(Callback):
    """Records the Euclidean norm of every mini-batch gradient (before clipping) and
    stops training once an epoch's loss is below ``stop_below``."""

    def __init__(self, stop_below=0.0):
        self.stop_below = stop_below

    def on_fit_begin(self, run):
        self.norms_ = []

    def on_gradient(self, run, grad):
        self.norms_.append(float(np.sqrt(np.dot(grad, grad))))

    def on_epoch_end(self, run):
        return run.state.loss_curve[-1] < self.stop_below


class StopBelow(Callback):
    """Stops training at the end of the first epoch whose loss is below ``threshold``:
    a callback that keeps nothing on itself, so the estimator checks run with it."""

    def __init__(self, threshold):
        self.threshold = threshold

    def on_epoch_end(self, run):
        return run.state.loss_curve[-1] < self.threshold
