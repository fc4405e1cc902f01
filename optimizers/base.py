"""The optimizer record: an update rule built from optax pieces, with its metadata."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Callable, Mapping

import jax.numpy as jnp
import optax

from schema import Param

LearningRate = Callable[[jnp.ndarray], jnp.ndarray]
Builder = Callable[[Mapping[str, jnp.ndarray], LearningRate], optax.GradientTransformationExtraArgs]


@dataclass(frozen=True)
class Optimizer:
    """An update rule and everything the app shows about it.

    `build(hyper, learning_rate)` returns an optax transformation. It is called inside
    compiled code: float hyperparameters arrive as traced arrays (so changing them never
    recompiles), booleans as Python bools, and `learning_rate(count)` is the schedule.
    `internals` maps a label the app draws (e.g. "velocity") to the name of the field in the
    optimizer state that holds it (found with `optax.tree_utils.tree_get`).
    """

    name: str
    title: str
    latex: str
    summary: str
    build: Builder
    hyper: tuple[Param, ...]
    internals: Mapping[str, str] = field(default_factory=dict)
    needs_hessian: bool = False

    def defaults(self) -> dict[str, float | bool]:
        """The default value of every hyperparameter."""
        return {p.name: p.default for p in self.hyper}

    @functools.cached_property
    def static_names(self) -> tuple[str, ...]:
        """Hyperparameters that select structure (compiled in)."""
        return tuple(p.name for p in self.hyper if p.is_static)
