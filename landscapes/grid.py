"""Surface values on a regular grid over the plot domain, for contour and surface plots.

One compiled, vmapped evaluation per surface (and grid shape): coordinates and parameters are
passed as float64 arrays, so moving a slider never recompiles. Nothing here creates a JAX
array at import time (gunicorn forks its workers after importing the app).
"""

from __future__ import annotations

from functools import partial
from typing import Mapping

import jax
import jax.numpy as jnp
import numpy as np

from landscapes.registry import get_surface

MAX_RESOLUTION = 400


@partial(jax.jit, static_argnames=("name",))
def _values(name: str, params: dict, xs: jnp.ndarray, ys: jnp.ndarray) -> jnp.ndarray:
    """`f(xs[j], ys[i])` at row i, column j: one compiled program per surface and shape."""
    fn = get_surface(name).fn
    along_x = jax.vmap(lambda x, y: fn(jnp.stack([x, y]), params), in_axes=(0, None))
    return jax.vmap(along_x, in_axes=(None, 0))(xs, ys)


def compile_count() -> int:
    """How many (surface, grid shape) evaluations have been compiled in this process."""
    return _values._cache_size()


def surface_values(
    name: str, params: Mapping[str, float], xs: np.ndarray, ys: np.ndarray
) -> np.ndarray:
    """Raw values `zs[i, j] = f(xs[j], ys[i])` (rows follow y, as plotly expects).

    `params` must name every parameter of the surface (see `Surface.resolve`). Non-finite
    values are returned as they are.
    """
    data = {k: np.float64(v) for k, v in params.items()}
    return np.asarray(_values(name, data, np.asarray(xs, np.float64), np.asarray(ys, np.float64)))


def _checked(name: str, params: Mapping[str, float]) -> dict[str, float]:
    """Every parameter of surface `name`, defaults filled in, each checked against its range."""
    surface = get_surface(name)
    known = {p.name: p for p in surface.params}
    unknown = sorted(set(params) - set(known))
    if unknown:
        raise ValueError(f"unknown parameter(s) {unknown} for surface {name!r}")
    return {k: float(known[k].check(v)) for k, v in surface.resolve(params).items()}


def surface_grid(
    name: str, params: Mapping[str, float], resolution: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """xs (resolution,), ys (resolution,) and zs (resolution, resolution) over the domain.

    `zs[i, j] = f(xs[j], ys[i])`; non-finite values are replaced by the largest finite one
    (by 0 if there is none). ValueError for a bad resolution or parameter.
    """
    if isinstance(resolution, bool) or not isinstance(resolution, (int, np.integer)):
        raise ValueError("resolution must be a whole number")
    if not 2 <= resolution <= MAX_RESOLUTION:
        raise ValueError(f"resolution must be between 2 and {MAX_RESOLUTION}")
    resolved = _checked(name, params)
    (x_low, x_high), (y_low, y_high) = get_surface(name).domain
    xs = np.linspace(x_low, x_high, resolution)
    ys = np.linspace(y_low, y_high, resolution)
    zs = surface_values(name, resolved, xs, ys)
    finite = np.isfinite(zs)
    if not finite.all():
        zs = np.where(finite, zs, zs[finite].max() if finite.any() else 0.0)
    return xs, ys, zs
