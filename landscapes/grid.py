"""Surface values on a regular grid over the plot domain, for contour and surface plots.

One compiled, vmapped evaluation per surface (and grid shape), keyed by `Surface.key`: a
registered surface's name or a formula's structure. Coordinates and parameters (a formula's
constants) are passed as float64 arrays, so moving a slider or editing a number never
recompiles. Nothing here creates a JAX array at import time (gunicorn forks its workers after
importing the app).
"""

from __future__ import annotations

from functools import partial
from typing import Mapping

import jax
import jax.numpy as jnp
import numpy as np

from landscapes.base import Surface
from landscapes.formula import formula_fn
from landscapes.registry import get_surface

MAX_RESOLUTION = 400


def _fn(key: str | tuple):
    """The `fn` of the surface whose `Surface.key` is `key`."""
    return get_surface(key).fn if isinstance(key, str) else formula_fn(key)


@partial(jax.jit, static_argnames=("key",))
def _values(key: str | tuple, params, xs: jnp.ndarray, ys: jnp.ndarray) -> jnp.ndarray:
    """`f(xs[j], ys[i])` at row i, column j: one compiled program per surface and shape."""
    fn = _fn(key)
    along_x = jax.vmap(lambda x, y: fn(jnp.stack([x, y]), params), in_axes=(0, None))
    return jax.vmap(along_x, in_axes=(None, 0))(xs, ys)


def compile_count() -> int:
    """How many (surface, grid shape) evaluations have been compiled in this process."""
    return _values._cache_size()


def _surface(surface: str | Surface) -> Surface:
    return surface if isinstance(surface, Surface) else get_surface(surface)


def surface_values(
    surface: str | Surface, params: Mapping[str, float], xs: np.ndarray, ys: np.ndarray
) -> np.ndarray:
    """Raw values `zs[i, j] = f(xs[j], ys[i])` (rows follow y, as plotly expects).

    `surface` is a registered surface's name or a surface record; `params` must name every
    parameter of the surface (see `Surface.resolve`; a formula has none). Non-finite values
    are returned as they are.
    """
    record = _surface(surface)
    data = record.arguments(params)
    data = (
        np.asarray(data, np.float64)
        if record.structure is not None
        else {k: np.float64(v) for k, v in data.items()}
    )
    xs, ys = np.asarray(xs, np.float64), np.asarray(ys, np.float64)
    return np.asarray(_values(record.key, data, xs, ys))


def _checked(surface: Surface, params: Mapping[str, float]) -> dict[str, float]:
    """Every parameter of `surface`, defaults filled in, each checked against its range."""
    known = {p.name: p for p in surface.params}
    unknown = sorted(set(params) - set(known))
    if unknown and surface.structure is None:
        raise ValueError(f"unknown parameter(s) {unknown} for surface {surface.name!r}")
    return {k: float(known[k].check(v)) for k, v in surface.resolve(params).items() if k in known}


def surface_grid(
    surface: str | Surface, params: Mapping[str, float], resolution: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """xs (resolution,), ys (resolution,) and zs (resolution, resolution) over the domain.

    `surface` is a registered surface's name or a surface record (a formula's: its domain
    parameters in `params` are already in its record). `zs[i, j] = f(xs[j], ys[i])`;
    non-finite values are replaced by the largest finite one (by 0 if there is none).
    ValueError for a bad resolution or parameter.
    """
    if isinstance(resolution, bool) or not isinstance(resolution, (int, np.integer)):
        raise ValueError("resolution must be a whole number")
    if not 2 <= resolution <= MAX_RESOLUTION:
        raise ValueError(f"resolution must be between 2 and {MAX_RESOLUTION}")
    record = _surface(surface)
    resolved = _checked(record, params)
    (x_low, x_high), (y_low, y_high) = record.domain
    xs = np.linspace(x_low, x_high, resolution)
    ys = np.linspace(y_low, y_high, resolution)
    zs = surface_values(record, resolved, xs, ys)
    finite = np.isfinite(zs)
    if not finite.all():
        zs = np.where(finite, zs, zs[finite].max() if finite.any() else 0.0)
    return xs, ys, zs
