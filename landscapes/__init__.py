"""2D loss surfaces: a registry of formulas with their metadata, and their values on a grid."""

import jax

jax.config.update("jax_enable_x64", True)  # float64 before any array exists, as in `engine`

from landscapes.base import Point, Surface  # noqa: E402
from schema import Param  # noqa: E402
from landscapes.registry import SURFACES, get_surface  # noqa: E402
from landscapes.grid import MAX_RESOLUTION, surface_grid  # noqa: E402

__all__ = ["MAX_RESOLUTION", "Param", "Point", "Surface", "SURFACES", "get_surface", "surface_grid"]
