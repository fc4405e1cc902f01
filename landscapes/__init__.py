"""2D loss surfaces: a registry of formulas with their metadata."""

from landscapes.base import Point, Surface
from schema import Param
from landscapes.registry import SURFACES, get_surface

__all__ = ["Param", "Point", "Surface", "SURFACES", "get_surface"]
