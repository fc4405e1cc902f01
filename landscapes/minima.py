"""What a surface's record says about it, found numerically: minima, lowest value, colour scale
and a start point.

For a surface typed as a formula nothing is known in advance, so it is computed over the plot
domain, in float64:

- **Minima**: Newton's method from a STARTS × STARTS grid of starts (one after another in one
  compiled loop, which compiles in half the time of a `vmap` over them): a Newton step where the Hessian is positive definite, else a step down the
  gradient, each shortened by backtracking until the value decreases enough (Armijo). A final
  point is a minimum when it lies in the domain, the iteration has stopped there (gradient or
  last step negligible), and the value is strictly higher at RING points around it at 10⁻⁴ of
  the domain's size (so degenerate minima such as x⁴ + y⁴'s, and kinks such as |x| + |y|'s,
  count; saddles and plateaus do not). Points within 10⁻³ of the domain's size of each other
  are one minimum (the lowest of them is kept). A minimum that is not isolated (the floor of a
  valley, such as x²'s line or (x² + y² − 1)²'s circle) is listed as the points the starts
  reached on it; at most MAX_MINIMA global and MAX_LOCAL local minima are listed.
- **Global or local**: the minima whose value is within TIE (relative to the values' range on
  the grid) of the lowest are global, the others local; none is global when the surface goes
  lower at the domain's edge.
- **Lowest value** (`min_value`): the lowest found minimum's value when nothing on a GRID ×
  GRID grid over the domain is lower. Otherwise the lowest grid value, unless it lies on the
  domain's edge (the values keep decreasing toward the edge, as on a saddle: the surface has
  no minimum in view) or some grid value is −inf: then None, and no minimum is global.
- **Log colour scale** when the values above the lowest span more than three decades: the 99th
  percentile of `f − min` on the grid exceeds 1,000 × its 1st percentile.
- **Default start**: of the points at 10 %, 25 %, 50 %, 75 % and 90 % of the domain along each
  axis, those with a finite value no higher than the grid's 90th percentile (off the highest
  walls), a non-zero gradient, and farther than a tenth of the domain from any local minimum;
  of these the one farthest from the global minima (or from the lowest grid point), in units
  of the domain's sides; ties go to the first in reading order (upper left first).

Everything numeric is passed as data (surface parameters or formula constants, domain), so
re-analysing an edited formula reuses the compiled search.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from landscapes.base import Point
from landscapes.formula import Formula, constant_slots, formula_fn

STARTS = 20  # starts per axis
ITERATIONS = 60  # Newton / gradient iterations per start
HALVINGS = 40  # step lengths tried by the line search: 1, 1/2, ..., 2^-39
ARMIJO = 1e-4  # sufficient decrease
NEWTON_FULL = 1e-3  # Newton steps shorter than this (× domain size) are taken whole
RING = 16  # directions of the strict-minimum test
RING_RADIUS = 1e-4  # × domain size
STALLED = 1e-8  # a last step below this (× domain size) means the iteration stopped
FLAT = 1e-8  # a gradient below this (× values' range / domain size) is zero
SAME = 1e-3  # minima closer than this (× each side of the domain) are one
TIE = 1e-9  # minima within this (× values' range) of the lowest are all global
GRID = 101  # grid per axis for the lowest value and the colour scale
DECADES = 3  # log colour scale beyond this many decades
START_FRACTIONS = (0.1, 0.25, 0.5, 0.75, 0.9)
WALL = 90  # a default start's value is at most this percentile of the grid's values
CLEAR = 0.1  # a default start is farther than this (× each side) from every local minimum
MAX_MINIMA = 32  # global minima listed (a valley floor is a sample of its points)
MAX_LOCAL = 32  # local minima listed (the lowest)

Domain = tuple[tuple[float, float], tuple[float, float]]
SurfaceFn = Callable[[jnp.ndarray, Any], jnp.ndarray]


class Landmarks(NamedTuple):
    """What was found on a surface over a domain (the fields `Surface` keeps beside `fn`)."""

    minima: tuple[Point, ...]  # global minimisers in the domain, lowest value first
    local_minima: tuple[Point, ...]  # the other minima in the domain, lowest value first
    min_value: float | None  # lowest value in the domain; None when it is on the edge
    log_scale: bool
    default_start: Point


def formula_landmarks(formula: Formula, domain: Domain) -> Landmarks:
    """`landmarks` of a parsed formula over `domain` ((xmin, xmax), (ymin, ymax))."""
    return landmarks(formula_fn(formula.structure), constant_slots(formula.constants), domain)


def landmarks(fn: SurfaceFn, data: Any, domain: Domain) -> Landmarks:
    """Minima, lowest value, colour scale and start of `fn(xy, data)` over `domain`.

    `fn` must be hashable (one compiled search per function: a `formula_fn` or a registered
    surface's `fn`); `data` (its constants or parameters) is passed as data.
    """
    (x_low, x_high), (y_low, y_high) = domain
    low = np.array([x_low, y_low], np.float64)
    high = np.array([x_high, y_high], np.float64)
    found = jax.tree.map(np.asarray, _search(fn, _as_data(data), low, high))
    grid = found["grid"]
    finite = grid[np.isfinite(grid)]
    spread = float(finite.max() - finite.min()) if finite.size else 0.0
    candidates = _minima(found, low, high, spread)
    lowest_grid = float(finite.min()) if finite.size else None
    tie = TIE * spread
    below = bool(np.any(grid == -np.inf))
    if candidates and not below and (lowest_grid is None or candidates[0][1] <= lowest_grid + tie):
        min_value = candidates[0][1]
        minima = tuple(p for p, v in candidates if v <= min_value + tie)[:MAX_MINIMA]
    else:
        minima = ()
        min_value = None if _unbounded(grid) else lowest_grid
    local = tuple(p for p, _ in candidates if p not in minima)[:MAX_LOCAL]
    return Landmarks(
        minima=minima,
        local_minima=local,
        min_value=min_value,
        log_scale=_log_scale(finite, min_value),
        default_start=_default_start(found, low, high, (minima, local), grid),
    )


def compile_count() -> int:
    """How many searches (one per surface function) have been compiled in this process."""
    return _search._cache_size()


def _as_data(data: Any) -> Any:
    """Parameters or constants as float64 arrays (a mapping stays a mapping)."""
    if isinstance(data, Mapping):
        return {k: np.float64(v) for k, v in data.items()}
    return np.asarray(data, np.float64)


@functools.partial(jax.jit, static_argnames=("fn",))
def _search(fn: SurfaceFn, data: Any, low: jnp.ndarray, high: jnp.ndarray) -> dict:
    """Every start's final point with what decides whether it is a minimum, the values on the
    grid, and the candidate start points' values and gradients. One compiled call."""
    size = jnp.max(high - low)

    def f(p):
        return fn(p, data)

    def iterate(p, _):
        value, grad = jax.value_and_grad(f)(p)
        hessian = jax.hessian(f)(p)
        a, b, c = hessian[0, 0], 0.5 * (hessian[0, 1] + hessian[1, 0]), hessian[1, 1]
        det = a * c - b * b
        convex = (a > 0) & (det > 0)
        newton = -jnp.stack([c * grad[0] - b * grad[1], a * grad[1] - b * grad[0]])
        newton = newton / jnp.where(convex, det, 1.0)
        newton_length = jnp.linalg.norm(newton)
        use_newton = convex & jnp.isfinite(newton_length)
        grad_norm = jnp.linalg.norm(grad)
        downhill = -grad / jnp.where(grad_norm > 0, grad_norm, 1.0) * size
        capped = newton * jnp.minimum(1.0, size / jnp.where(use_newton, newton_length, 1.0))
        direction = jnp.where(use_newton, capped, downhill)
        lengths = 0.5 ** jnp.arange(HALVINGS, dtype=jnp.float64)
        trials = jax.vmap(f)(p + lengths[:, None] * direction)
        slope = grad @ direction
        enough = jnp.isfinite(trials) & (trials <= value + ARMIJO * lengths * slope)
        searched = jnp.where(jnp.any(enough), lengths[jnp.argmax(enough)], 0.0) * direction
        whole = use_newton & (newton_length <= NEWTON_FULL * size)  # converging: Newton alone
        step = jnp.where(whole, direction, searched)
        defined = jnp.isfinite(value) & jnp.all(jnp.isfinite(grad)) & jnp.all(jnp.isfinite(step))
        step = jnp.where(defined, step, 0.0)
        return p + step, jnp.linalg.norm(step)

    def descend(start):
        final, steps = jax.lax.scan(iterate, start, None, length=ITERATIONS)
        value, grad = jax.value_and_grad(f)(final)
        angles = 2.0 * jnp.pi * jnp.arange(RING) / RING
        ring = final + RING_RADIUS * size * jnp.stack([jnp.cos(angles), jnp.sin(angles)], 1)
        return {
            "point": final,
            "value": value,
            "grad_norm": jnp.linalg.norm(grad),
            "last_step": steps[-1],
            "ring_low": jnp.min(jax.vmap(f)(ring)),
        }

    def lattice(t):
        """The points at fractions `t` of the domain along each axis [y index, x index, 2]."""
        return jnp.stack(
            jnp.meshgrid(low[0] + t * (high - low)[0], low[1] + t * (high - low)[1]), -1
        )

    starts = lattice(jnp.linspace(0.0, 1.0, STARTS)).reshape(-1, 2)
    grid = jax.vmap(jax.vmap(f))(lattice(jnp.linspace(0.0, 1.0, GRID)))
    points = lattice(jnp.array(START_FRACTIONS)).reshape(-1, 2)
    start_value, start_grad = jax.vmap(jax.value_and_grad(f))(points)
    return {
        **jax.lax.map(descend, starts),
        "grid": grid,
        "start_points": points,
        "start_value": start_value,
        "start_ok": jnp.isfinite(start_value)
        & jnp.all(jnp.isfinite(start_grad), -1)
        & (jnp.linalg.norm(start_grad, axis=-1) > 0),
    }


def _minima(found: dict, low: np.ndarray, high: np.ndarray, spread: float) -> list:
    """The distinct minima among the final points, as ((x, y), value), lowest first."""
    sides = high - low
    size = float(np.max(sides))
    point, value = found["point"], found["value"]
    margin = 1e-9 * sides
    inside = np.all((point >= low - margin) & (point <= high + margin), axis=1)
    stopped = (found["last_step"] <= STALLED * size) | (
        found["grad_norm"] <= FLAT * max(spread, np.finfo(float).tiny) / size
    )
    strict = found["ring_low"] > value
    accepted = np.flatnonzero(inside & stopped & strict & np.isfinite(value))
    kept: list[int] = []
    for i in sorted(accepted, key=lambda i: (value[i], point[i][0], point[i][1])):
        if not kept or not np.any(np.all(np.abs(point[kept] - point[i]) <= SAME * sides, 1)):
            kept.append(i)
    return [((float(point[i][0]) + 0.0, float(point[i][1]) + 0.0), float(value[i])) for i in kept]


def _unbounded(grid: np.ndarray) -> bool:
    """Whether the grid's lowest finite value lies on the domain's edge, or a value is −inf."""
    if np.any(grid == -np.inf):
        return True
    finite = np.where(np.isfinite(grid), grid, np.inf)
    if not np.isfinite(finite).any():
        return True
    row, column = np.unravel_index(np.argmin(finite), grid.shape)
    return row in (0, grid.shape[0] - 1) or column in (0, grid.shape[1] - 1)


def _log_scale(values: np.ndarray, min_value: float | None) -> bool:
    """Whether the values above the lowest span more than DECADES decades (see the module)."""
    if values.size == 0:
        return False
    excess = values - (values.min() if min_value is None else min(min_value, values.min()))
    small, large = np.percentile(excess, [1, 99])
    return bool(large > 10.0**DECADES * small) if small > 0 else bool(large > 0)


def _default_start(
    found: dict, low: np.ndarray, high: np.ndarray, landmarks: tuple, grid: np.ndarray
) -> Point:
    """The start the module describes: far from the global minima, off the highest walls and
    clear of local minima. `landmarks` is (global minima, local minima)."""
    minima, local = landmarks
    sides = high - low
    points, values, usable = found["start_points"], found["start_value"], found["start_ok"]
    finite = grid[np.isfinite(grid)]
    if finite.size:
        usable = usable & (values <= np.percentile(finite, WALL))
    if local:
        near = np.linalg.norm((points[:, None, :] - np.array(local)) / sides, axis=-1)
        usable = usable & (near.min(axis=1) > CLEAR)
    if minima:
        targets = np.array(minima)
    else:  # no global minimum: away from the lowest grid point
        lowest = np.where(np.isfinite(grid), grid, np.inf)
        row, column = np.unravel_index(np.argmin(lowest), grid.shape)
        targets = (low + np.array([column, row]) / (np.array(grid.shape[::-1]) - 1) * sides)[None]
    n = len(START_FRACTIONS)
    best, best_distance = None, -1.0
    for i in (row * n + column for row in reversed(range(n)) for column in range(n)):
        distance = float(np.min(np.linalg.norm((targets - points[i]) / sides, axis=1)))
        if usable[i] and distance > best_distance * (1 + 1e-9):
            best, best_distance = i, distance
    if best is None:  # nowhere usable: the domain's centre
        return (float((low[0] + high[0]) / 2), float((low[1] + high[1]) / 2))
    return (round(float(points[best][0]), 12), round(float(points[best][1]), 12))
