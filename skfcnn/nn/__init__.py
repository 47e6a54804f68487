"""The pure-NumPy core: activations, losses, layer steps, the network, initialisers,
optimisers, gradient transforms, learning-rate schedules and the gradient
check.  Nothing here imports scikit-learn.

The registries, where the package grows, are here beside the classes:
``ACTIVATIONS``, ``LOSSES``, ``LAYER_STEPS``, ``INPUT_STEPS``, ``OPTIMIZERS`` and
``SCHEDULES``."""

from .activations import ACTIVATIONS, DERIVATIVES, Activation, get_activation
from .gradcheck import (
    GradientCheckError,
    check_activation,
    check_gradient,
    check_loss,
    compare_gradients,
    numerical_gradient,
)
from .input_steps import INPUT_STEPS, EnsembleInput, FrontScale, InputStep, PeriodicEmbedding
from .layers import (
    LAYER_STEPS,
    ActivationStep,
    BatchNormStep,
    DropoutStep,
    LayerStep,
    MemberAdapterStep,
    MemberScaleStep,
    Slot,
)
from .losses import LOSSES, OUTPUT_ACTIVATION_OF, Loss, get_loss, loss_value, output_delta
from .network import Network
from .optimizers import OPTIMIZERS, SGD, Adagrad, Adam, AdamW, Optimizer, OptimizerState, RMSprop
from .schedules import (
    SCHEDULES,
    Constant,
    CosineAnnealing,
    ExponentialDecay,
    InverseScaling,
    LinearWarmup,
    MultiCycleCosine,
    ReduceOnPlateau,
    StepDecay,
    schedule_unit,
)
from .smoothing import LabelSmoothing
from .transforms import ClipByGlobalNorm, DecoupledWeightDecay, chain

__all__ = [
    "ACTIVATIONS",
    "DERIVATIVES",
    "INPUT_STEPS",
    "LAYER_STEPS",
    "LOSSES",
    "OPTIMIZERS",
    "OUTPUT_ACTIVATION_OF",
    "SCHEDULES",
    "SGD",
    "Slot",
    "MemberAdapterStep",
    "MemberScaleStep",
    "Activation",
    "ActivationStep",
    "Adagrad",
    "Adam",
    "AdamW",
    "BatchNormStep",
    "ClipByGlobalNorm",
    "Constant",
    "CosineAnnealing",
    "DecoupledWeightDecay",
    "DropoutStep",
    "EnsembleInput",
    "ExponentialDecay",
    "FrontScale",
    "GradientCheckError",
    "InputStep",
    "InverseScaling",
    "LayerStep",
    "LabelSmoothing",
    "LinearWarmup",
    "Loss",
    "MultiCycleCosine",
    "Network",
    "Optimizer",
    "OptimizerState",
    "PeriodicEmbedding",
    "RMSprop",
    "ReduceOnPlateau",
    "StepDecay",
    "chain",
    "check_activation",
    "check_gradient",
    "check_loss",
    "compare_gradients",
    "get_activation",
    "get_loss",
    "loss_value",
    "numerical_gradient",
    "output_delta",
    "schedule_unit",
]
