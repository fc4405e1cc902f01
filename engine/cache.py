"""Start-up helpers: a persistent compilation cache and warming up default structures.

Both create JAX computations, so call them after any fork (e.g. in gunicorn's `post_fork`).
"""

from __future__ import annotations

import os
from collections.abc import Iterable

import jax
from jax.experimental.compilation_cache import compilation_cache

from engine.config import Simulation
from engine.trajectories import compile_count, simulate


def enable_compilation_cache(path: str | os.PathLike) -> None:
    """Keep compiled structures in `path`, so a restarted process loads instead of compiling.

    On CPU compilations are fast and small, so the default thresholds (1 s, a minimum entry
    size) would keep nothing: both are set to keep everything.
    """
    os.makedirs(path, exist_ok=True)
    jax.config.update("jax_compilation_cache_dir", os.fspath(path))
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0)
    jax.config.update("jax_persistent_cache_min_entry_size_bytes", -1)
    compilation_cache.reset_cache()  # re-read the settings even if something compiled already


def warm_up(simulations: Iterable[Simulation]) -> int:
    """Compile the structures `simulations` need (by computing each once).

    Returns how many structures were newly compiled (or loaded from the persistent cache).
    """
    before = compile_count()
    for sim in simulations:
        simulate(sim)
    return compile_count() - before
