"""The trajectory engine (float64 throughout: set before any array exists)."""

import jax

jax.config.update("jax_enable_x64", True)

from engine.config import ConfigError, Noise, Run, Simulation, validate  # noqa: E402
from engine.trajectories import Trajectory, compile_count, simulate  # noqa: E402

__all__ = [
    "ConfigError",
    "Noise",
    "Run",
    "Simulation",
    "Trajectory",
    "compile_count",
    "simulate",
    "validate",
]
