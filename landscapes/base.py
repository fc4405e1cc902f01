"""The surface record: a 2D loss formula with the metadata needed to plot and test it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Mapping

import jax.numpy as jnp

from schema import Param

Point = tuple[float, float]
SurfaceFn = Callable[[jnp.ndarray, Mapping[str, jnp.ndarray]], jnp.ndarray]


@dataclass(frozen=True)
class Surface:
    """A 2D loss surface `fn(xy, params)` and everything known about it.

    `minima` lists the global minimisers for given parameter values (a callable, because
    e.g. Rosenbrock's depends on `a`); `min_value` is the loss there, or None when the
    surface is unbounded below.
    """

    name: str
    title: str
    latex: str
    fn: SurfaceFn
    domain: tuple[Point, Point]
    minima: Callable[[Mapping[str, float]], tuple[Point, ...]]
    min_value: float | None
    default_start: Point
    log_scale: bool = False
    params: tuple[Param, ...] = ()
    description: str = ""
    local_minima: Callable[[Mapping[str, float]], tuple[Point, ...]] = field(
        default=lambda p: ()
    )
    # A quadratic's Hessian eigenvalues (λmin, λmax) for given parameter values (the same
    # everywhere), from which the stability limits of gradient descent follow; None otherwise.
    eigenvalues: Callable[[Mapping[str, float]], tuple[float, float]] | None = None

    def defaults(self) -> dict[str, float]:
        """The default value of every parameter."""
        return {p.name: p.default for p in self.params}

    def resolve(self, params: Mapping[str, float] | None = None) -> dict[str, float]:
        """Defaults overridden by `params` (unknown names are the caller's to reject)."""
        return {**self.defaults(), **(params or {})}


def fixed(*points: Point) -> Callable[[Mapping[str, float]], tuple[Point, ...]]:
    """Minima that do not depend on the surface parameters."""
    return lambda _params: tuple(points)
