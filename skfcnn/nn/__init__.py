"""The pure-NumPy core: activations, losses, the network, initialisers,
optimisers and the gradient check.  Nothing here imports scikit-learn."""

from .activations import ACTIVATIONS, DERIVATIVES
from .gradcheck import GradientCheckError, check_gradient, numerical_gradient
from .losses import LOSSES, OUTPUT_ACTIVATION_OF, loss_value, output_delta
from .network import Network
from .optimizers import SGD, Adam

__all__ = [
    "ACTIVATIONS",
    "DERIVATIVES",
    "LOSSES",
    "OUTPUT_ACTIVATION_OF",
    "Adam",
    "GradientCheckError",
    "Network",
    "SGD",
    "check_gradient",
    "loss_value",
    "numerical_gradient",
    "output_delta",
]
