"""The trajectory engine (float64 throughout: set before any array exists).

XLA:CPU compiles a `while` loop into one kernel only when its body touches little memory
(1 kB by default); otherwise every operation of every step is dispatched separately, about
ten times slower for these tiny 2D loops. The threshold is raised here, before the backend
reads XLA_FLAGS (it does so once, at its first compilation): import `engine` before
running anything in JAX.
"""

import os

_SMALL_LOOP_FLAG = "xla_cpu_small_while_loop_byte_threshold"
if _SMALL_LOOP_FLAG not in os.environ.get("XLA_FLAGS", ""):
    os.environ["XLA_FLAGS"] = " ".join(
        (os.environ.get("XLA_FLAGS", ""), f"--xla_backend_extra_options={_SMALL_LOOP_FLAG}=1048576")
    ).strip()

import jax

jax.config.update("jax_enable_x64", True)
# The engine waits for every result it asks for: run each computation in the calling thread
# rather than handing it to a worker thread and waking the caller when it is done. A threaded
# server gains too: asynchronous dispatch queues its threads' computations one after another,
# synchronous ones run side by side on the cores (benchmarks in docs/performance.md).
jax.config.update("jax_cpu_enable_async_dispatch", False)

from engine.cache import enable_compilation_cache, warm_up
from engine.config import (
    FULL_BATCH,
    ConfigError,
    Noise,
    Run,
    Simulation,
    effective_batch_size,
    validate,
)
from engine.trajectories import Trajectory, compile_count, simulate

__all__ = [
    "FULL_BATCH",
    "ConfigError",
    "Noise",
    "Run",
    "Simulation",
    "Trajectory",
    "compile_count",
    "effective_batch_size",
    "enable_compilation_cache",
    "simulate",
    "validate",
    "warm_up",
]
