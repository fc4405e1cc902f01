"""The four views of a computation, as plotly figures (plain dicts) built from arrays.

Each builder draws the surface and one empty "path" and "head" trace per run, tagged with
`meta={"role": ..., "run": i}`. The browser fills those traces from the trajectory store
and moves them frame by frame (assets/animation.js), so the surface is sent once and never
redrawn when only the paths change.

The figures are the JSON plotly.js reads, written as dicts rather than `plotly.graph_objects`:
graph objects validate and copy every number of a grid in Python (about 0.3 s for the views
of one surface, most of a worker's time when a class explores surfaces), dicts cost
nothing to build and are encoded by orjson in one call. Tests pass every builder's output
through `go.Figure`, which rejects any property plotly does not know.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from typing import Sequence

import numpy as np
import plotly.io as pio
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

Figure = dict  # {"data": [trace, ...], "layout": {...}}, as plotly.js reads it

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
    """Rounded values as a list: sent as JSON numbers (short, and they compress well)
    rather than base64 float64 (which compresses poorly)."""
    return significant(values, digits).tolist()


def _colour_heights(surface: Surface, grid: Grid) -> np.ndarray:
    offset = height_offset(grid.zs, surface.min_value)
    return to_display(grid.zs, surface.log_scale, offset, log_floor(grid.zs, offset))


@functools.cache
def _template() -> dict:
    """plotly's default template, which a `go.Figure` would embed (fonts, grid colours)."""
    return pio.templates["plotly"].to_plotly_json()


def _figure(data: list[dict], layout: dict) -> Figure:
    return {"data": data, "layout": {**layout, "template": _template()}}


def _path_traces(runs: Sequence[RunStyle], three_d: bool = False, legend: bool = True) -> list[dict]:
    """Empty path + head traces per run, filled by the browser."""
    traces = []
    for i, run in enumerate(runs):
        common = dict(name=run.label, legendgroup=f"run{i}")
        if three_d:
            traces.append(dict(
                type="scatter3d", x=[], y=[], z=[], mode="lines",
                line=dict(color=run.color, width=6), meta={"role": "path", "run": i}, **common,
            ))
            traces.append(dict(
                type="scatter3d", x=[], y=[], z=[], mode="markers", showlegend=False,
                hoverinfo="skip",
                marker=dict(color=run.color, size=6, line=dict(color="white", width=2)),
                meta={"role": "head", "run": i}, **common,
            ))
            continue
        traces.append(dict(
            type="scatter", x=[], y=[], mode="lines+markers",
            line=dict(color=run.color, width=2.5),
            marker=dict(color=run.color, size=4, maxdisplayed=MAX_MARKERS),
            meta={"role": "path", "run": i}, showlegend=legend, **common,
        ))
        traces.append(dict(
            type="scatter", x=[], y=[], mode="markers", showlegend=False, hoverinfo="skip",
            marker=dict(color=run.color, size=13, line=dict(color="white", width=2.5)),
            meta={"role": "head", "run": i}, **common,
        ))
    return traces


def _minima_traces(surface: Surface, params: dict, legend: bool = True) -> list[dict]:
    """Star markers at the global minima (filled) and known local minima (open)."""
    kinds = (
        (surface.minima(params), MINIMUM_MARKER, "global minimum", "minimum"),
        (surface.local_minima(params), LOCAL_MINIMUM_MARKER, "local minimum", "local_minimum"),
    )
    return [
        dict(
            type="scatter", x=[float(m[0]) for m in points], y=[float(m[1]) for m in points],
            mode="markers", marker=marker, name=name, showlegend=legend, meta={"role": role},
        )
        for points, marker, name, role in kinds
        if points
    ]


def _contour(surface: Surface, grid: Grid, showscale: bool, **axes) -> dict:
    heights = _colour_heights(surface, grid)
    title = "log₁₀(f − f*)" if surface.log_scale else "f"
    return dict(
        type="contour",
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
    colorbar: bool = True, classroom: bool = False,
) -> Figure:
    """The lecture figure: contour, minima, start, and one path per run."""
    start_trace = dict(
        type="scatter", x=[float(start[0])], y=[float(start[1])], mode="markers",
        marker=START_MARKER, name="start", meta={"role": "start"},
    )
    (x0, x1), (y0, y1) = surface.domain
    return _figure(
        [
            _contour(surface, grid, showscale=colorbar),
            *_minima_traces(surface, params),
            start_trace,
            *_path_traces(runs),
        ],
        dict(
            **base_layout(clickmode="event", hovermode="closest", showlegend=False),
            xaxis=dict(
                range=[x0, x1], title=dict(text="x"), constrain="domain", showgrid=False,
                zeroline=False,
            ),
            yaxis=dict(
                range=[y0, y1], title=dict(text="y"), scaleanchor="x", scaleratio=1,
                showgrid=False, zeroline=False,
            ),
        ),
    )


def surface3d_figure(
    surface: Surface, params: dict, grid: Grid, runs: Sequence[RunStyle], classroom: bool = False
) -> Figure:
    """The surface in 3D with the paths lying on it (log heights where the surface asks)."""
    heights = _colour_heights(surface, grid)
    surface_trace = dict(
        type="surface",
        x=_text_numbers(grid.xs, 5), y=_text_numbers(grid.ys, 5), z=_text_numbers(heights, 4),
        colorscale=SURFACE_COLORSCALE, showscale=False, opacity=0.92,
        hovertemplate="x=%{x:.3f}<br>y=%{y:.3f}<extra></extra>",
        meta={"role": "surface"},
    )
    ztitle = "log₁₀(f − f*)" if surface.log_scale else "f"
    return _figure(
        [surface_trace, *_path_traces(runs, three_d=True)],
        dict(
            **base_layout(margin=dict(l=0, r=0, t=0, b=0), showlegend=False),
            scene=dict(
                xaxis=dict(title=dict(text="x")), yaxis=dict(title=dict(text="y")),
                zaxis=dict(title=dict(text=ztitle)),
                aspectmode="manual", aspectratio=dict(x=1, y=1, z=0.55),
                camera=dict(eye=dict(x=-1.15, y=-1.25, z=0.8)),
                domain=dict(x=[0, 1], y=[0, 1]),
            ),
        ),
    )


def loss_figure(surface: Surface, runs: Sequence[RunStyle], classroom: bool = False) -> Figure:
    """Loss gap f − f* against step on a log axis (plain loss when unbounded below)."""
    traces = _path_traces(runs)
    for trace in traces:
        trace["mode"] = "lines" if trace["meta"]["role"] == "path" else "markers"
    bounded = surface.min_value is not None
    return _figure(
        traces,
        dict(
            **base_layout(
                hovermode="x unified",
                legend=dict(orientation="h", yanchor="top", y=-0.18, x=0, font=dict(size=12)),
            ),
            xaxis=dict(title=dict(text="step"), rangemode="tozero", showgrid=True, gridcolor="#eee"),
            yaxis=dict(
                title=dict(text="f − f*" if bounded else "f"),
                type="log" if bounded else "linear",
                showgrid=True, gridcolor="#eee", exponentformat="power",
            ),
        ),
    )


@functools.cache
def _subplots(labels: tuple[str, ...], cols: int) -> dict:
    """The layout of a grid of panels (axes, titles) from plotly's make_subplots, which
    lays out no data and is cached by its arguments."""
    rows = math.ceil(len(labels) / cols)
    return make_subplots(
        rows=rows, cols=cols, shared_xaxes="all", shared_yaxes="all",
        subplot_titles=list(labels), horizontal_spacing=0.03, vertical_spacing=0.08,
    ).to_plotly_json()["layout"]


def _axis_ref(axis: str, panel: int) -> str:
    """make_subplots numbers its axes row by row from the top left: x, x2, x3, …"""
    return axis if panel == 0 else f"{axis}{panel + 1}"


def panels_figure(
    surface: Surface, params: dict, grid: Grid, runs: Sequence[RunStyle], classroom: bool = False
) -> Figure:
    """Small multiples: one contour panel per run on the same axes."""
    labels = tuple(r.label for r in runs) or ("",)
    cols = min(len(labels), 4)
    subplots = _subplots(labels, cols)
    contour = _contour(surface, grid, showscale=False)  # one grid, shared by every panel
    data = []
    for i, run in enumerate(runs):
        axes = dict(xaxis=_axis_ref("x", i), yaxis=_axis_ref("y", i))
        data.append({**contour, **axes})
        data += [{**t, **axes} for t in _minima_traces(surface, params, legend=False)]
        for trace in _path_traces([run], legend=False):
            data.append({**trace, **axes, "meta": {**trace["meta"], "run": i}, "legendgroup": f"run{i}"})
    (x0, x1), (y0, y1) = surface.domain
    axes = {
        name: {**axis, "range": [x0, x1] if name.startswith("x") else [y0, y1],
               "showgrid": False, "zeroline": False}
        for name, axis in subplots.items()
        if name.startswith(("xaxis", "yaxis"))
    }
    titles = [{**a, "font": {**a.get("font", {}), "size": 13}} for a in subplots.get("annotations", [])]
    return _figure(data, {**subplots, **axes, "annotations": titles, **base_layout(showlegend=False)})
