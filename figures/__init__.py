"""Plotly figures built by pure functions from arrays."""

from figures.labels import run_label
from figures.views import (
    Grid,
    RunStyle,
    contour_figure,
    loss_figure,
    panels_figure,
    surface3d_figure,
)

__all__ = [
    "Grid",
    "RunStyle",
    "contour_figure",
    "loss_figure",
    "panels_figure",
    "run_label",
    "surface3d_figure",
]
