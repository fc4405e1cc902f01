"""Every surface Optiscape offers, keyed by the name used in URLs."""

from __future__ import annotations

import math
from typing import Mapping

import jax.numpy as jnp
import numpy as np

from landscapes.base import Point, Surface, fixed
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


def _monkey_saddle(xy, p):
    return xy[0] ** 3 - 3.0 * xy[0] * xy[1] ** 2


def _beale(xy, p):
    x, y = xy[0], xy[1]
    return (1.5 - x + x * y) ** 2 + (2.25 - x + x * y**2) ** 2 + (2.625 - x + x * y**3) ** 2


def _himmelblau(xy, p):
    x, y = xy[0], xy[1]
    return (x**2 + y - 11.0) ** 2 + (x + y**2 - 7.0) ** 2


def _rastrigin(xy, p):
    return jnp.sum(xy**2 - p["A"] * jnp.cos(2.0 * jnp.pi * xy)) + 2.0 * p["A"]


def _safe_norm(v):
    """The Euclidean norm with gradient 0 (a subgradient) at the origin instead of NaN."""
    squared = jnp.sum(v**2)
    positive = squared > 0.0
    return jnp.where(positive, jnp.sqrt(jnp.where(positive, squared, 1.0)), 0.0)


def _ackley(xy, p):
    radius = _safe_norm(xy) / jnp.sqrt(2.0)
    waves = jnp.mean(jnp.cos(p["c"] * xy))
    return -p["a"] * jnp.exp(-p["b"] * radius) - jnp.exp(waves) + p["a"] + jnp.e


def _booth(xy, p):
    x, y = xy[0], xy[1]
    return (x + 2.0 * y - 7.0) ** 2 + (2.0 * x + y - 5.0) ** 2


def _goldstein_price(xy, p):
    x, y = xy[0], xy[1]
    a = 1.0 + (x + y + 1.0) ** 2 * (
        19.0 - 14.0 * x + 3.0 * x**2 - 14.0 * y + 6.0 * x * y + 3.0 * y**2
    )
    b = 30.0 + (2.0 * x - 3.0 * y) ** 2 * (
        18.0 - 32.0 * x + 12.0 * x**2 + 48.0 * y - 36.0 * x * y + 27.0 * y**2
    )
    return a * b


def _six_hump_camel(xy, p):
    x, y = xy[0], xy[1]
    return (4.0 - 2.1 * x**2 + x**4 / 3.0) * x**2 + x * y + (-4.0 + 4.0 * y**2) * y**2


def _styblinski_tang(xy, p):
    return 0.5 * jnp.sum(xy**4 - 16.0 * xy**2 + 5.0 * xy)


# The two minimisers of Styblinski-Tang's 1D term x⁴ − 16x² + 5x (Newton in float64).
_ST_LOW = -2.903534027771177
_ST_HIGH = 2.746802770990837


def _double_well(xy, p):
    x, y = xy[0], xy[1]
    return (x + 1.0) ** 2 * ((x - 1.0) ** 2 + p["h"]) + y**2


def _double_well_local(p: Mapping[str, float]) -> tuple[Point, ...]:
    """The right-hand minimum: ∂f/∂x = 2(x + 1)(2x² − 2x + h) vanishes at (1 + √(1 − 2h))/2."""
    return (((1.0 + math.sqrt(1.0 - 2.0 * p["h"])) / 2.0, 0.0),)


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
        eigenvalues=lambda p: (2.0, 2.0),
    ),
    Surface(
        name="canyon",
        title="Canyon (ill-conditioned quadratic)",
        latex=r"f = \tfrac12\,(u^2 + \kappa v^2) \\ (u, v) = R_{\theta}(x, y)",
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
        eigenvalues=lambda p: (np.minimum(1.0, p["kappa"]), np.maximum(1.0, p["kappa"])),
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
    Surface(
        name="monkey_saddle",
        title="Monkey saddle",
        latex=r"f(x, y) = x^3 - 3 x y^2",
        fn=_monkey_saddle,
        domain=((-1.5, 1.5), (-1.5, 1.5)),
        minima=fixed(),
        min_value=None,
        default_start=(1.2, 0.05),
        description="A flat critical point with three valleys going down: two legs and a tail.",
    ),
    Surface(
        name="beale",
        title="Beale",
        latex=r"f = (1.5 - x + xy)^2 \\ \quad + (2.25 - x + xy^2)^2 \\ \quad + (2.625 - x + xy^3)^2",
        fn=_beale,
        domain=((-4.5, 4.5), (-4.5, 4.5)),
        minima=fixed((3.0, 0.5)),
        min_value=0.0,
        default_start=(1.0, 1.5),
        log_scale=True,
        description="Flat plateaus and steep walls meeting in sharp ridges around a narrow valley.",
    ),
    Surface(
        name="himmelblau",
        title="Himmelblau",
        latex=r"f = (x^2 + y - 11)^2 + (x + y^2 - 7)^2",
        fn=_himmelblau,
        domain=((-5.0, 5.0), (-5.0, 5.0)),
        minima=fixed(
            (3.0, 2.0),
            (-2.805118086952745, 3.131312518250573),
            (-3.779310253377747, -3.283185991286170),
            (3.584428340330492, -1.848126526964404),
        ),
        min_value=0.0,
        default_start=(-0.5, 0.0),
        log_scale=True,
        description="Four equally deep minima: where you end up depends on where you start.",
    ),
    Surface(
        name="rastrigin",
        title="Rastrigin",
        latex=r"f = 2A + \sum_{i} \left(x_i^2 - A \cos(2\pi x_i)\right)",
        fn=_rastrigin,
        domain=((-5.12, 5.12), (-5.12, 5.12)),
        minima=fixed((0.0, 0.0)),
        min_value=0.0,
        default_start=(3.8, -3.2),
        params=(Param("A", 10.0, 0.0, 20.0, "ripple amplitude A"),),
        description="A bowl covered in a regular grid of local minima, one in every dimple.",
    ),
    Surface(
        name="ackley",
        title="Ackley",
        latex=r"f = -a\, e^{-b \sqrt{(x^2 + y^2)/2}} \\ \quad - e^{(\cos cx + \cos cy)/2} + a + e",
        fn=_ackley,
        domain=((-5.0, 5.0), (-5.0, 5.0)),
        minima=fixed((0.0, 0.0)),
        min_value=0.0,
        default_start=(3.5, -2.5),
        params=(
            Param("a", 20.0, 1.0, 40.0, "depth a"),
            Param("b", 0.2, 0.05, 1.0, "funnel steepness b"),
            Param("c", 2.0 * math.pi, 0.0, 4.0 * math.pi, "ripple frequency c"),
        ),
        description="A nearly flat, rippled plain with one deep funnel in the middle.",
    ),
    Surface(
        name="booth",
        title="Booth",
        latex=r"f = (x + 2y - 7)^2 + (2x + y - 5)^2",
        fn=_booth,
        domain=((-10.0, 10.0), (-10.0, 10.0)),
        minima=fixed((1.0, 3.0)),
        min_value=0.0,
        default_start=(-7.0, -6.0),
        log_scale=True,
        description="A tilted elliptical bowl: a quadratic whose axes are not the coordinate axes.",
    ),
    Surface(
        name="goldstein_price",
        title="Goldstein-Price",
        latex=(
            r"f = [1 + (x + y + 1)^2 A] \\ \quad \times [30 + (2x - 3y)^2 B] \\ "
            r"A = 19 - 14x + 3x^2 - 14y \\ \quad + 6xy + 3y^2 \\ "
            r"B = 18 - 32x + 12x^2 + 48y \\ \quad - 36xy + 27y^2"
        ),
        fn=_goldstein_price,
        domain=((-2.0, 2.0), (-2.0, 2.0)),
        minima=fixed((0.0, -1.0)),
        min_value=3.0,
        default_start=(-0.5, -1.5),
        log_scale=True,
        local_minima=fixed((-0.6, -0.4), (1.8, 0.2), (1.2, 0.8)),
        description="Values from 3 to a million, and three local minima beside the global one.",
    ),
    Surface(
        name="six_hump_camel",
        title="Six-hump camel",
        latex=r"f = \left(4 - 2.1x^2 + \tfrac{x^4}{3}\right) x^2 \\ \quad + xy + (4y^2 - 4)\, y^2",
        fn=_six_hump_camel,
        domain=((-2.0, 2.0), (-1.2, 1.2)),
        minima=fixed(
            (0.089842013100318, -0.712656403020740), (-0.089842013100318, 0.712656403020740)
        ),
        min_value=-1.031628453489877,
        default_start=(-1.0, -0.9),
        local_minima=fixed(
            (-1.703606714969981, 0.796083568672625),
            (1.703606714969981, -0.796083568672625),
            (1.607104752920198, 0.568651454884131),
            (-1.607104752920198, -0.568651454884131),
        ),
        description="Six humps around two symmetric global minima and four shallower local ones.",
    ),
    Surface(
        name="styblinski_tang",
        title="Styblinski-Tang",
        latex=r"f(x, y) = \tfrac12 \sum_{i} \left(x_i^4 - 16 x_i^2 + 5 x_i\right)",
        fn=_styblinski_tang,
        domain=((-5.0, 5.0), (-5.0, 5.0)),
        minima=fixed((_ST_LOW, _ST_LOW)),
        min_value=-78.332331407542820,
        default_start=(-0.5, 4.5),
        local_minima=fixed((_ST_HIGH, _ST_LOW), (_ST_LOW, _ST_HIGH), (_ST_HIGH, _ST_HIGH)),
        description="Four basins in a square: only the lower left one is the deepest.",
    ),
    Surface(
        name="double_well",
        title="Double well",
        latex=r"f = (x + 1)^2 \left((x - 1)^2 + h\right) + y^2",
        fn=_double_well,
        domain=((-2.0, 2.0), (-1.5, 1.5)),
        minima=fixed((-1.0, 0.0)),
        min_value=0.0,
        default_start=(1.9, 0.6),
        params=(Param("h", 0.2, 0.05, 0.45, "lift h of the right-hand basin"),),
        local_minima=_double_well_local,
        description="Two valleys, the right one raised by h: a trap beside the global minimum.",
    ),
)

SURFACES: dict[str, Surface] = {s.name: s for s in _SURFACES}


def get_surface(name: str) -> Surface:
    """The registered surface called `name` (KeyError naming the choices otherwise)."""
    try:
        return SURFACES[name]
    except KeyError:
        raise KeyError(f"unknown surface {name!r}; choose one of {sorted(SURFACES)}") from None
