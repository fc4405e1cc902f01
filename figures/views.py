"""The four views of a computation, as plotly figures (plain dicts) built from arrays.

Each builder draws the surface and, per run, empty traces the browser fills from the
trajectory store and moves frame by frame (assets/animation.js), tagged with
`meta={"role": ..., "run": i}`:

- "halo": a white (or, under a light colour, dark) underlay a little wider than the path;
  every halo is drawn before every path, so paths stand out from the surface;
- "path": the run's path (earlier runs drawn wider, so a later run passing over an
  earlier one leaves its edges visible);
- "head": the current position, with the run's short name written beside it;
- "diverged": a ✕ (plane views) or ↑ (loss view) where the run left the plot or diverged,
  shown once the animation reaches that step.

The surface is sent once and never redrawn when only the paths change. The start point is
also the editable circle `layout.shapes[0]` (name "start") of the contour figures: dragging
it moves the start.

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
    CONTOUR_LINE,
    DIVERGED,
    HALO,
    INK,
    LOCAL_MINIMUM_MARKER,
    MINIMUM_MARKER,
    START_MARKER,
    SURFACE_COLORSCALE,
    TEXT_HALO,
    axis_style,
    base_layout,
    hover_label,
    minimum_color,
    scale,
    symbol_3d,
    text_color,
)
from landscapes import Surface

Figure = dict  # {"data": [trace, ...], "layout": {...}}, as plotly.js reads it

MAX_MARKERS = 250  # step markers drawn per path (evenly spread); the line has every step
START_RADIUS = 0.022  # the start circle's radius, as a fraction of the domain's larger side
# Where each run's short name sits around its moving point, by run index (so names of
# runs at the same point spread out instead of stacking).
LABEL_POSITIONS = ("top right", "bottom right", "top left", "bottom left")
LOSS_LABEL_MARGIN = 190  # px right of the loss plot for the names at the curves' ends


@dataclass(frozen=True)
class Grid:
    """A surface evaluated on a regular grid."""

    xs: np.ndarray
    ys: np.ndarray
    zs: np.ndarray


@dataclass(frozen=True)
class RunStyle:
    """How one run is drawn: long label (legends, tables), colour, short name written at
    its point ("Momentum"), line dash and marker symbol (plotly's names): dash and symbol
    tell runs apart without their colours."""

    label: str
    color: str
    name: str = ""
    dash: str = "solid"
    symbol: str = "circle"

    @property
    def short(self) -> str:
        return self.name or self.label


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


def path_width(index: int, count: int, classroom: bool) -> float:
    """Line width of run `index` of `count`: earlier runs wider (up to 4 px more, 6 in
    classroom mode), so a later run drawn over an earlier one leaves its edges showing."""
    s = scale(classroom)
    extra = 6.0 if classroom else 4.0
    step = min(extra / 2, extra / max(count - 1, 1))
    return s.line + step * (count - 1 - index)


def _path_traces(
    runs: Sequence[RunStyle], classroom: bool, kind: str = "plane", legend: bool = True,
    labels: bool = True, first: int = 0, count: int | None = None,
) -> list[dict]:
    """Empty halo, path, head and divergence traces per run, filled by the browser.

    `kind`: "plane" (x, y), "loss" (loss against step) or "surface3d". `first`/`count`:
    the runs' indices and how many there are in all (the panels draw one run per panel).
    """
    s = scale(classroom)
    count = len(runs) if count is None else count
    runs = list(enumerate(runs, start=first))
    if kind == "surface3d":
        traces = []
        for i, run in runs:
            common = dict(name=run.label, legendgroup=f"run{i}")
            traces.append(dict(
                type="scatter3d", x=[], y=[], z=[], mode="lines",
                line=dict(color=run.color, width=s.line * 2.4, dash=run.dash),
                meta={"role": "path", "run": i}, **common,
            ))
            traces.append(dict(
                type="scatter3d", x=[], y=[], z=[], mode="markers+text" if labels else "markers",
                showlegend=False, hoverinfo="skip", text=[], textposition="top center",
                textfont=dict(size=s.label, color=INK),
                marker=dict(color=run.color, size=s.head * 0.55, symbol=symbol_3d(run.symbol),
                            line=dict(color=HALO, width=2)),
                meta={"role": "head", "run": i}, **common,
            ))
        return traces

    halos, paths, heads = [], [], []
    for i, run in runs:
        common = dict(name=run.label, legendgroup=f"run{i}", type="scatter", x=[], y=[])
        width = path_width(i - first, count, classroom)
        halos.append(dict(
            mode="lines", line=dict(color=HALO, width=width + 2 * s.halo),
            hoverinfo="skip", showlegend=False, meta={"role": "halo", "run": i}, **common,
        ))
        path = dict(
            mode="lines" if kind == "loss" else "lines+markers",
            line=dict(color=run.color, width=width if kind != "loss" else s.line, dash=run.dash),
            meta={"role": "path", "run": i}, showlegend=legend,
            hoverlabel=hover_label(run.color, classroom), **common,
        )
        if kind != "loss":
            path["marker"] = dict(color=run.color, size=s.marker, symbol=run.symbol,
                                  maxdisplayed=MAX_MARKERS)
            path["hovertemplate"] = f"{run.short}<br>step %{{pointNumber}}<br>x=%{{x:.4g}}, y=%{{y:.4g}}<extra></extra>"
        else:
            path["hovertemplate"] = f"{run.short}: %{{y:.4g}}<extra></extra>"
        paths.append(path)
        heads.append(dict(
            mode="markers+text" if labels else "markers", showlegend=False, hoverinfo="skip",
            text=[], textposition="middle right" if kind == "loss" else LABEL_POSITIONS[i % 4],
            textfont=dict(size=s.label, color=text_color(run.color), weight=600, shadow=TEXT_HALO),
            cliponaxis=False,  # a head is always inside the plot; its name may stick out
            marker=dict(color=run.color, size=s.head, symbol=run.symbol,
                        line=dict(color=HALO, width=s.head_outline)),
            meta={"role": "head", "run": i}, **common,
        ))
        heads.append(dict(
            mode="markers+text", showlegend=False, text=[],
            textposition="bottom right" if kind == "loss" else "top center",
            textfont=dict(size=s.label, color=DIVERGED, weight=600, shadow=TEXT_HALO),
            cliponaxis=False,
            marker=dict(
                symbol="triangle-up" if kind == "loss" else "x", size=s.head + 2,
                color=run.color, line=dict(color=DIVERGED if kind == "loss" else HALO, width=2),
            ),
            hovertemplate="%{text}<extra>" + run.short + "</extra>",
            hoverlabel=hover_label(DIVERGED, classroom),
            meta={"role": "diverged", "run": i}, **common,
        ))
    return halos + paths + heads


def _minima_traces(surface: Surface, params: dict, legend: bool = True, classroom: bool = False) -> list[dict]:
    """Star markers at the global minima (filled) and known local minima (open)."""
    grow = 6 if classroom else 0
    found = " (found numerically)" if surface.numerical else ""
    kinds = (
        (surface.minima(params), MINIMUM_MARKER, "global minimum" + found, "minimum"),
        (surface.local_minima(params), LOCAL_MINIMUM_MARKER, "local minimum" + found,
         "local_minimum"),
    )
    traces, first = [], 0  # each minimum in its colour (`minimum_color`, as in the basins map)
    for points, marker, name, role in kinds:
        if not points:
            continue
        colors = [minimum_color(first + i) for i in range(len(points))]
        first += len(points)
        traces.append(dict(
            type="scatter", x=[float(m[0]) for m in points], y=[float(m[1]) for m in points],
            mode="markers", name=name, showlegend=legend, meta={"role": role},
            marker={**marker, "size": marker["size"] + grow, "color": colors},
            hoverlabel=hover_label(marker["line"].get("color", "#222"), classroom),
            hovertemplate=name + " (%{x:.4g}, %{y:.4g})<extra></extra>",
        ))
    return traces


def _colorbar(title: str, classroom: bool) -> dict:
    """A colour bar as tall as the plot area (the y axis spans the whole height: `len` 1
    of the paper) beside it; assets/animation.js moves it next to the x axis's end when the
    square constraint narrows the plot."""
    s = scale(classroom)
    return dict(
        title=dict(text=title, side="right", font=dict(size=s.title, color=INK)),
        tickfont=dict(size=s.tick, color=INK),
        thickness=20 if classroom else 14,
        lenmode="fraction", len=1.0, y=0.5, yanchor="middle", yref="paper",
        x=1.01, xanchor="left", xref="paper", outlinewidth=0,
    )


def _contour(surface: Surface, grid: Grid, showscale: bool, classroom: bool = False, **axes) -> dict:
    """The surface as filled contours over the whole domain (so a click anywhere in it is
    reported with its x, y)."""
    heights = _colour_heights(surface, grid)
    title = "log₁₀(f − f*)" if surface.log_scale else "f"
    return dict(
        type="contour",
        x=_text_numbers(grid.xs, 5), y=_text_numbers(grid.ys, 5), z=_text_numbers(heights, 4),
        colorscale=SURFACE_COLORSCALE, ncontours=24, showscale=showscale,
        contours=dict(coloring="heatmap", showlines=True),
        line=dict(width=0.8 if classroom else 0.6, color=CONTOUR_LINE),
        colorbar=_colorbar(title, classroom),
        hovertemplate="x=%{x:.3f}<br>y=%{y:.3f}<extra>click: start here</extra>",
        meta={"role": "surface"}, **axes,
    )


def plane_axes(domain, classroom: bool, x: str = "x", y: str = "y") -> tuple[dict, dict]:
    """x and y axes fixed to the surface's domain, equal scales, each shrunk (never
    stretched) to keep the plot square where the domain is."""
    (x0, x1), (y0, y1) = domain
    common = dict(autorange=False, constrain="domain", showgrid=False, zeroline=False,
                  ticks="outside", ticklen=4, automargin=True)
    return (
        dict(range=[x0, x1], **axis_style("x", classroom), **common),
        dict(range=[y0, y1], scaleanchor=x, scaleratio=1, **axis_style("y", classroom), **common),
    )


def start_shape(start: tuple, domain) -> dict:
    """The start point as a circle the lecturer can drag (`edits.shapePosition`)."""
    (x0, x1), (y0, y1) = domain
    r = START_RADIUS * max(x1 - x0, y1 - y0)
    sx, sy = float(start[0]), float(start[1])
    return dict(
        type="circle", name="start", editable=True, xref="x", yref="y",
        x0=sx - r, x1=sx + r, y0=sy - r, y1=sy + r,
        line=dict(color="#222", width=2.5), fillcolor="rgba(255,255,255,0.55)", layer="above",
    )


def contour_figure(
    surface: Surface, params: dict, grid: Grid, runs: Sequence[RunStyle], start: tuple,
    colorbar: bool = True, classroom: bool = False,
) -> Figure:
    """The lecture figure: contour, minima, start, and one path per run."""
    start_trace = dict(
        type="scatter", x=[float(start[0])], y=[float(start[1])], mode="markers",
        marker=START_MARKER, name="start", meta={"role": "start"},
        hoverlabel=hover_label(INK, classroom),
        hovertemplate="start (%{x:.4g}, %{y:.4g})<br>drag the circle to move it<extra></extra>",
    )
    xaxis, yaxis = plane_axes(surface.domain, classroom)
    return _figure(
        [
            _contour(surface, grid, showscale=colorbar, classroom=classroom),
            *_minima_traces(surface, params, classroom=classroom),
            start_trace,
            *_path_traces(runs, classroom),
        ],
        dict(
            **base_layout(classroom, clickmode="event", hovermode="closest", showlegend=False,
                          dragmode="pan"),
            xaxis=xaxis, yaxis=yaxis,
            shapes=[start_shape(start, surface.domain)],
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
    (x0, x1), (y0, y1) = surface.domain
    z0, z1 = float(np.min(heights)), float(np.max(heights))
    pad = 0.02 * (z1 - z0 or 1.0)
    return _figure(
        [surface_trace, *_path_traces(runs, classroom, kind="surface3d")],
        dict(
            **base_layout(classroom, margin=dict(l=0, r=0, t=0, b=0), showlegend=False),
            scene=dict(
                xaxis=dict(range=[x0, x1], autorange=False, **axis_style("x", classroom)),
                yaxis=dict(range=[y0, y1], autorange=False, **axis_style("y", classroom)),
                zaxis=dict(range=[z0 - pad, z1 + pad], autorange=False,
                           **axis_style(ztitle, classroom)),
                aspectmode="manual", aspectratio=dict(x=1, y=1, z=0.55),
                camera=dict(eye=dict(x=-1.15, y=-1.25, z=0.8)),
                domain=dict(x=[0, 1], y=[0, 1]),
            ),
        ),
    )


def loss_figure(surface: Surface, runs: Sequence[RunStyle], classroom: bool = False) -> Figure:
    """Loss gap f − f* against step on a log axis (plain loss when unbounded below).

    Both ranges are set by the browser from the payload (`loss_range`: the runs that did
    not diverge), never autoranged, so a diverging run's huge tail cannot flatten the
    others: its curve leaves through the top edge, where a ↑ mark names its divergence.
    In classroom mode each curve is labelled at its end instead of in a legend.
    """
    bounded = surface.min_value is not None
    log = bounded
    traces = _path_traces(runs, classroom, kind="loss", legend=not classroom, labels=classroom)
    s = scale(classroom)
    return _figure(
        traces,
        dict(
            **base_layout(
                classroom,
                hovermode="x unified" if not classroom else "closest",
                showlegend=not classroom,
                legend=dict(orientation="h", yanchor="top", y=-0.2, x=0,
                            font=dict(size=s.font - 2)),
                margin=dict(l=70 if classroom else 55, r=LOSS_LABEL_MARGIN if classroom else 20,
                            t=30, b=60 if classroom else 45),
            ),
            xaxis=dict(range=[0, 1], autorange=False, showgrid=True, gridcolor="#eee",
                       automargin=True, **axis_style("step", classroom)),
            yaxis=dict(
                type="log" if log else "linear", range=[-1, 1] if log else [0, 1], autorange=False,
                showgrid=True, gridcolor="#eee", exponentformat="power", automargin=True,
                **axis_style("f − f*" if bounded else "f", classroom),
            ),
            shapes=[dict(
                type="line", name="tolerance", xref="paper", x0=0, x1=1, yref="y", y0=0, y1=0,
                line=dict(color="#6b7280", width=1.5, dash="dot"), visible=False,
            )],
        ),
    )


@functools.cache
def _subplots(count: int, cols: int) -> dict:
    """The layout of a grid of panels (axes, titles) from plotly's make_subplots, which
    lays out no data and is cached by its arguments."""
    rows = math.ceil(count / cols)
    return make_subplots(
        rows=rows, cols=cols, shared_xaxes="all", shared_yaxes="all",
        subplot_titles=[f"run {i + 1}" for i in range(count)],
        horizontal_spacing=0.04, vertical_spacing=0.1,
    ).to_plotly_json()["layout"]


def _axis_ref(axis: str, panel: int) -> str:
    """make_subplots numbers its axes row by row from the top left: x, x2, x3, …"""
    return axis if panel == 0 else f"{axis}{panel + 1}"


def panels_figure(
    surface: Surface, params: dict, grid: Grid, runs: Sequence[RunStyle], classroom: bool = False
) -> Figure:
    """Small multiples: one contour panel per run on the same axes (titles: the runs'
    labels, the short name in classroom mode)."""
    count = max(len(runs), 1)
    cols = min(count, 4)
    subplots = _subplots(count, cols)
    contour = _contour(surface, grid, showscale=False, classroom=classroom)  # one grid, shared
    data = []
    for i, run in enumerate(runs):
        axes = dict(xaxis=_axis_ref("x", i), yaxis=_axis_ref("y", i))
        data.append({**contour, **axes})
        data += [{**t, **axes} for t in _minima_traces(surface, params, legend=False, classroom=classroom)]
        for trace in _path_traces([run], classroom, legend=False, first=i, count=1):
            data.append({**trace, **axes})
    layout_axes = {}
    for name in subplots:
        if not name.startswith(("xaxis", "yaxis")):
            continue
        suffix = name[5:]
        xaxis, yaxis = plane_axes(surface.domain, classroom, x=f"x{suffix}")
        axis = xaxis if name.startswith("x") else yaxis
        axis = {**axis, "title": {"text": ""}}
        layout_axes[name] = {**subplots[name], **axis}
    s = scale(classroom)
    titles = [
        {**a, "text": (run.short if classroom else run.label),
         "font": {**a.get("font", {}), "size": s.title if classroom else 13,
                  "color": text_color(run.color)}}
        for a, run in zip(subplots.get("annotations", []), runs)
    ]
    return _figure(
        data,
        {**subplots, **layout_axes, "annotations": titles,
         **base_layout(classroom, showlegend=False, dragmode="pan",
                       margin=dict(l=50, r=20, t=60 if classroom else 50, b=40))},
    )
