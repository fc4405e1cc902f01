"""Plotly figures built by pure functions from arrays."""

from figures.labels import SHORT_NAMES, placeholder_styles, run_label, run_styles, short_label
from figures.views import (
    Grid,
    RunStyle,
    contour_figure,
    loss_figure,
    panels_figure,
    surface3d_figure,
)

__all__ = [
    "SHORT_NAMES",
    "Grid",
    "RunStyle",
    "contour_figure",
    "loss_figure",
    "panels_figure",
    "placeholder_styles",
    "run_label",
    "run_styles",
    "short_label",
    "surface3d_figure",
]
