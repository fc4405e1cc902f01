"""The four views of a computation, as plotly figures built from arrays.

Each builder draws the surface and one empty "path" and "head" trace per run, tagged with
`meta={"role": ..., "run": i}`. The browser fills those traces from the trajectory store
and moves them frame by frame (assets/animation.js), so the surface is sent once and never
redrawn when only the paths change.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from figures.payload import significant
from figures.scaling import height_offset, log_floor, to_display
from figures.theme import (
    LOCAL_MINIMUM_MARKER,
    MINIMUM_MARKER,
    START_MARKER,
    SURFACE_COLORSCALE,
    base_layout,
)
from landscapes import Surface


MAX_MARKERS = 250  # step markers drawn per path (evenly spread); the line has every step


@dataclass(frozen=True)
class Grid:
    """A surface evaluated on a regular grid."""

    xs: np.ndarray
    ys: np.ndarray
    zs: np.ndarray


@dataclass(frozen=True)
class RunStyle:
    """How one run is drawn."""

    label: str
    color: str


def _text_numbers(values: np.ndarray, digits: int) -> list:
    """Rounded values as a list: plotly sends a list as JSON numbers (short, and they compress
    well) but a numpy array as base64 float64 (which compresses poorly)."""
    return significant(values, digits).tolist()


def _colour_heights(surface: Surface, grid: Grid) -> np.ndarray:
    offset = height_offset(grid.zs, surface.min_value)
    return to_display(grid.zs, surface.log_scale, offset, log_floor(grid.zs, offset))


def _path_traces(runs: Sequence[RunStyle], three_d: bool = False, legend: bool = True):
    """Empty path + head traces per run, filled by the browser."""
    traces = []
    for i, run in enumerate(runs):
        common = dict(name=run.label, legendgroup=f"run{i}")
        if three_d:
            traces.append(
                go.Scatter3d(
                    x=[], y=[], z=[], mode="lines", line=dict(color=run.color, width=6),
                    meta={"role": "path", "run": i}, **common,
                )
            )
            traces.append(
                go.Scatter3d(
                    x=[], y=[], z=[], mode="markers", showlegend=False, hoverinfo="skip",
                    marker=dict(color=run.color, size=6, line=dict(color="white", width=2)),
                    meta={"role": "head", "run": i}, **common,
                )
            )
            continue
        traces.append(
            go.Scatter(
                x=[], y=[], mode="lines+markers",
                line=dict(color=run.color, width=2.5),
                marker=dict(color=run.color, size=4, maxdisplayed=MAX_MARKERS),
                meta={"role": "path", "run": i}, showlegend=legend, **common,
            )
        )
        traces.append(
            go.Scatter(
                x=[], y=[], mode="markers", showlegend=False, hoverinfo="skip",
                marker=dict(color=run.color, size=13, line=dict(color="white", width=2.5)),
                meta={"role": "head", "run": i}, **common,
            )
        )
    return traces


def _minima_traces(surface: Surface, params: dict, legend: bool = True) -> list:
    """Star markers at the global minima (filled) and known local minima (open)."""
    kinds = (
        (surface.minima(params), MINIMUM_MARKER, "global minimum", "minimum"),
        (surface.local_minima(params), LOCAL_MINIMUM_MARKER, "local minimum", "local_minimum"),
    )
    return [
        go.Scatter(
            x=[m[0] for m in points], y=[m[1] for m in points], mode="markers", marker=marker,
            name=name, showlegend=legend, meta={"role": role},
        )
        for points, marker, name, role in kinds
        if points
    ]


def _contour(surface: Surface, grid: Grid, showscale: bool, **axes) -> go.Contour:
    heights = _colour_heights(surface, grid)
    title = "log₁₀(f − f*)" if surface.log_scale else "f"
    return go.Contour(
        x=_text_numbers(grid.xs, 5), y=_text_numbers(grid.ys, 5), z=_text_numbers(heights, 4),
        colorscale=SURFACE_COLORSCALE, ncontours=24, showscale=showscale,
        contours=dict(coloring="heatmap", showlines=True),
        line=dict(width=0.6, color="rgba(60,80,110,0.35)"),
        colorbar=dict(title=dict(text=title, side="right"), thickness=12),
        hovertemplate="x=%{x:.3f}<br>y=%{y:.3f}<extra></extra>",
        meta={"role": "surface"}, **axes,
    )


def contour_figure(
    surface: Surface, params: dict, grid: Grid, runs: Sequence[RunStyle], start: tuple,
    colorbar: bool = True,
) -> go.Figure:
    """The lecture figure: contour, minima, start, and one path per run."""
    fig = go.Figure([_contour(surface, grid, showscale=colorbar)])
    fig.add_traces(_minima_traces(surface, params))
    fig.add_trace(
        go.Scatter(
            x=[start[0]], y=[start[1]], mode="markers", marker=START_MARKER, name="start",
            meta={"role": "start"},
        )
    )
    fig.add_traces(_path_traces(runs))
    (x0, x1), (y0, y1) = surface.domain
    fig.update_layout(
        **base_layout(clickmode="event", hovermode="closest", showlegend=False),
        xaxis=dict(range=[x0, x1], title="x", constrain="domain", showgrid=False, zeroline=False),
        yaxis=dict(
            range=[y0, y1], title="y", scaleanchor="x", scaleratio=1, showgrid=False,
            zeroline=False,
        ),
    )
    return fig


def surface3d_figure(surface: Surface, params: dict, grid: Grid, runs: Sequence[RunStyle]):
    """The surface in 3D with the paths lying on it (log heights where the surface asks)."""
    heights = _colour_heights(surface, grid)
    fig = go.Figure(
        [
            go.Surface(
                x=_text_numbers(grid.xs, 5), y=_text_numbers(grid.ys, 5), z=_text_numbers(heights, 4),
                colorscale=SURFACE_COLORSCALE, showscale=False, opacity=0.92,
                hovertemplate="x=%{x:.3f}<br>y=%{y:.3f}<extra></extra>",
                meta={"role": "surface"},
            )
        ]
    )
    fig.add_traces(_path_traces(runs, three_d=True))
    ztitle = "log₁₀(f − f*)" if surface.log_scale else "f"
    fig.update_layout(
        **base_layout(margin=dict(l=0, r=0, t=0, b=0), showlegend=False),
        scene=dict(
            xaxis_title="x", yaxis_title="y", zaxis_title=ztitle,
            aspectmode="manual", aspectratio=dict(x=1, y=1, z=0.55),
            camera=dict(eye=dict(x=-1.15, y=-1.25, z=0.8)),
            domain=dict(x=[0, 1], y=[0, 1]),
        ),
    )
    return fig


def loss_figure(surface: Surface, runs: Sequence[RunStyle]) -> go.Figure:
    """Loss gap f − f* against step on a log axis (plain loss when unbounded below)."""
    fig = go.Figure(_path_traces(runs))
    for trace in fig.data:
        trace.mode = "lines" if trace.meta["role"] == "path" else "markers"
    bounded = surface.min_value is not None
    fig.update_layout(
        **base_layout(
            hovermode="x unified",
            legend=dict(orientation="h", yanchor="top", y=-0.18, x=0, font=dict(size=12)),
        ),
        xaxis=dict(title="step", rangemode="tozero", showgrid=True, gridcolor="#eee"),
        yaxis=dict(
            title="f − f*" if bounded else "f",
            type="log" if bounded else "linear",
            showgrid=True, gridcolor="#eee", exponentformat="power",
        ),
    )
    return fig


def panels_figure(
    surface: Surface, params: dict, grid: Grid, runs: Sequence[RunStyle]
) -> go.Figure:
    """Small multiples: one contour panel per run on the same axes."""
    count = max(len(runs), 1)
    cols = min(count, 4)
    rows = math.ceil(count / cols)
    fig = make_subplots(
        rows=rows, cols=cols, shared_xaxes="all", shared_yaxes="all",
        subplot_titles=[r.label for r in runs], horizontal_spacing=0.03, vertical_spacing=0.08,
    )
    for i, run in enumerate(runs):
        row, col = divmod(i, cols)
        fig.add_trace(_contour(surface, grid, showscale=False), row=row + 1, col=col + 1)
        for trace in _minima_traces(surface, params, legend=False):
            fig.add_trace(trace, row=row + 1, col=col + 1)
        for trace in _path_traces([run], legend=False):
            trace.meta = {**trace.meta, "run": i}
            trace.legendgroup = f"run{i}"
            fig.add_trace(trace, row=row + 1, col=col + 1)
    (x0, x1), (y0, y1) = surface.domain
    fig.update_xaxes(range=[x0, x1], showgrid=False, zeroline=False)
    fig.update_yaxes(range=[y0, y1], showgrid=False, zeroline=False)
    fig.update_annotations(font=dict(size=13))
    fig.update_layout(**base_layout(showlegend=False))
    return fig
