"""Where skfcnn 0.1.0 defined the training record: its pickles name this module."""

from .training.state import TrainingState  # noqa: F401
