r"""Learning-rate schedules: picklable callables from a step to a learning rate.

The step is the number of training samples seen so far (scikit-learn's
``t_``), read at the start of each epoch.
"""

__all__ = ["Constant", "InverseScaling", "SCHEDULES"]


class Constant:
    r"""The same rate at every step, :math:`\eta_t = \eta_0`.

    Parameters
    ----------
    learning_rate_init : float
        :math:`\eta_0`.
    """

    def __init__(self, learning_rate_init):
        self.learning_rate_init = learning_rate_init

    def __call__(self, step):
        return self.learning_rate_init


class InverseScaling:
    r"""Rate decaying as a power of the step (scikit-learn's ``invscaling``).

    .. math:: \eta_t = \frac{\eta_0}{(t + 1)^{p}}

    Parameters
    ----------
    learning_rate_init : float
        :math:`\eta_0`.
    power_t : float
        The exponent :math:`p \ge 0`.
    """

    def __init__(self, learning_rate_init, power_t=0.5):
        self.learning_rate_init = learning_rate_init
        self.power_t = power_t

    def __call__(self, step):
        return self.learning_rate_init / (step + 1) ** self.power_t


SCHEDULES = {"constant": Constant, "invscaling": InverseScaling}
