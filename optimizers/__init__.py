"""Update rules (built from optax) and learning-rate schedules, as registries."""

from optimizers.base import Optimizer
from optimizers.registry import OPTIMIZERS, get_optimizer
from optimizers.schedules import SCHEDULES, Schedule

__all__ = ["Optimizer", "OPTIMIZERS", "get_optimizer", "SCHEDULES", "Schedule"]
