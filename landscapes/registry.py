"""Every surface Optiscape offers, keyed by the name used in URLs."""

from __future__ import annotations

import jax.numpy as jnp

from landscapes.base import Surface, fixed
from schema import Param


def _sphere(xy, p):
    return xy[0] ** 2 + xy[1] ** 2


def _canyon(xy, p):
    c, s = jnp.cos(jnp.deg2rad(p["angle"])), jnp.sin(jnp.deg2rad(p["angle"]))
    u = c * xy[0] + s * xy[1]
    v = -s * xy[0] + c * xy[1]
    return 0.5 * (u**2 + p["kappa"] * v**2)


def _saddle(xy, p):
    return xy[0] ** 2 - xy[1] ** 2


def _rosenbrock(xy, p):
    return (p["a"] - xy[0]) ** 2 + p["b"] * (xy[1] - xy[0] ** 2) ** 2


_SURFACES = (
    Surface(
        name="sphere",
        title="Sphere",
        latex=r"f(x, y) = x^2 + y^2",
        fn=_sphere,
        domain=((-2.0, 2.0), (-2.0, 2.0)),
        minima=fixed((0.0, 0.0)),
        min_value=0.0,
        default_start=(-1.5, 1.2),
        description="Round bowl: every direction is equally steep.",
    ),
    Surface(
        name="canyon",
        title="Canyon (ill-conditioned quadratic)",
        latex=r"f = \tfrac12\,(u^2 + \kappa v^2),\ (u, v) = R_{\theta}(x, y)",
        fn=_canyon,
        domain=((-2.0, 2.0), (-2.0, 2.0)),
        minima=fixed((0.0, 0.0)),
        min_value=0.0,
        default_start=(-1.8, 0.6),
        params=(
            Param("kappa", 20.0, 1.0, 200.0, "condition number κ", log=True),
            Param("angle", 0.0, -90.0, 90.0, "rotation θ (degrees)"),
        ),
        description="A long narrow valley: steep across, nearly flat along.",
    ),
    Surface(
        name="saddle",
        title="Saddle",
        latex=r"f(x, y) = x^2 - y^2",
        fn=_saddle,
        domain=((-2.0, 2.0), (-2.0, 2.0)),
        minima=fixed(),
        min_value=None,
        default_start=(-1.5, 0.01),
        description="A critical point that is a minimum along x and a maximum along y.",
    ),
    Surface(
        name="rosenbrock",
        title="Rosenbrock",
        latex=r"f(x, y) = (a - x)^2 + b\,(y - x^2)^2",
        fn=_rosenbrock,
        domain=((-2.0, 2.0), (-1.0, 3.0)),
        minima=lambda p: ((p["a"], p["a"] ** 2),),
        min_value=0.0,
        default_start=(-1.5, 2.0),
        log_scale=True,
        params=(
            Param("a", 1.0, -1.5, 1.5, "a"),
            Param("b", 100.0, 1.0, 200.0, "b", log=True),
        ),
        description="A curved banana valley: easy to enter, slow to follow to the minimum.",
    ),
)

SURFACES: dict[str, Surface] = {s.name: s for s in _SURFACES}


def get_surface(name: str) -> Surface:
    """The registered surface called `name` (KeyError naming the choices otherwise)."""
    try:
        return SURFACES[name]
    except KeyError:
        raise KeyError(f"unknown surface {name!r}; choose one of {sorted(SURFACES)}") from None
