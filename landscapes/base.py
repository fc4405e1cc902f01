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
    # A surface typed as a formula (landscapes/user.py): its structure (what compiles; `fn` is
    # `formula_fn(structure)`, taking the constant slots instead of named parameters) and its
    # numbers. None for a registered surface.
    structure: tuple | None = None
    constants: tuple[float, ...] = ()
    numerical: bool = False  # minima, lowest value and start were found numerically

    @property
    def key(self) -> str | tuple:
        """What compiled code is specialised on: the name of a registered surface, or a
        formula's structure (its numbers are data)."""
        return self.name if self.structure is None else self.structure

    def arguments(self, params: Mapping[str, float] | None = None):
        """What `fn` takes beside the position: the resolved parameters, or a formula's
        constant slots (see `landscapes.formula.constant_slots`)."""
        if self.structure is not None:
            from landscapes.formula import constant_slots

            return constant_slots(self.constants)
        return self.resolve(params)

    def defaults(self) -> dict[str, float]:
        """The default value of every parameter."""
        return {p.name: p.default for p in self.params}

    def resolve(self, params: Mapping[str, float] | None = None) -> dict[str, float]:
        """Defaults overridden by `params` (unknown names are the caller's to reject)."""
        return {**self.defaults(), **(params or {})}


def fixed(*points: Point) -> Callable[[Mapping[str, float]], tuple[Point, ...]]:
    """Minima that do not depend on the surface parameters."""
    return lambda _params: tuple(points)
