"""The pure-NumPy core: activations, losses, the network, initialisers,
optimisers, gradient transforms, learning-rate schedules and the gradient
check.  Nothing here imports scikit-learn."""

from .activations import ACTIVATIONS, DERIVATIVES
from .gradcheck import GradientCheckError, check_gradient, compare_gradients, numerical_gradient
from .losses import LOSSES, OUTPUT_ACTIVATION_OF, loss_value, output_delta
from .network import Network
from .optimizers import SGD, Adagrad, Adam, AdamW, Optimizer, OptimizerState, RMSprop
from .schedules import (Constant, CosineAnnealing, ExponentialDecay, InverseScaling,
                        LinearWarmup, ReduceOnPlateau, StepDecay, schedule_unit)
from .transforms import ClipByGlobalNorm, DecoupledWeightDecay, chain

__all__ = [
    "ACTIVATIONS",
    "DERIVATIVES",
    "LOSSES",
    "OUTPUT_ACTIVATION_OF",
    "Adagrad",
    "Adam",
    "AdamW",
    "ClipByGlobalNorm",
    "Constant",
    "CosineAnnealing",
    "DecoupledWeightDecay",
    "ExponentialDecay",
    "GradientCheckError",
    "InverseScaling",
    "LinearWarmup",
    "Network",
    "Optimizer",
    "OptimizerState",
    "RMSprop",
    "ReduceOnPlateau",
    "SGD",
    "StepDecay",
    "chain",
    "check_gradient",
    "compare_gradients",
    "loss_value",
    "numerical_gradient",
    "output_delta",
    "schedule_unit",
]
