"""The maps' figures (plain dicts, as figures/views.py): basins of attraction, the
hyperparameter map with the analytic stability limits, the seed fan's loss bands.

Each figure is drawn from the configuration; its cells, bands and cloud are filled by
assets/maps.js from the map the page computed (mapping.py), coarse first and then in blocks
of rows, so the figures carry no data of their own. Traces the browser fills carry
`meta={"map": ROLE, "panel": i}`.

Basins: one heatmap per run whose value encodes a cell's outcome and speed: category c
(a minimum, "not reached", "diverged") plus a shade in [0, 1) (dark: reached the tolerance
in few steps; light: slowly or never), on a colour scale made of one band per category.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from engine import Run, Simulation
from engine.measures import optimal_momentum, stability_limit
from figures.theme import INK, axis_style, base_layout, hover_label, minimum_color, scale
from figures.views import Figure, RunStyle, _figure, _subplots, _axis_ref, plane_axes
from landscapes import Surface

NOT_REACHED_COLOR = "#d9d9d9"
DIVERGED_COLOR = "#3a3a3a"
STEPS_COLORSCALE = "Viridis"  # hyperparameter map: log₁₀ steps to the tolerance
LIGHT = 0.6  # how far a slow cell's shade goes towards white


def _mix(color: str, amount: float) -> str:
    """`color` (#RRGGBB) mixed with white by `amount` in [0, 1]."""
    channels = [int(color[i : i + 2], 16) for i in (1, 3, 5)]
    return "#" + "".join(f"{round(c + (255 - c) * amount):02x}" for c in channels)


def minima_of(surface: Surface, params: dict) -> list[tuple[tuple[float, float], bool]]:
    """The surface's listed minima, global first: (point, is_global)."""
    return [(tuple(map(float, p)), True) for p in surface.minima(params)] + [
        (tuple(map(float, p)), False) for p in surface.local_minima(params)
    ]


def basin_categories(surface: Surface, params: dict) -> list[tuple[str, str, bool]]:
    """(name, colour, shaded) per category of the basins map, in the order of its bands."""
    named = [
        (f"{'global' if is_global else 'local'} minimum ({p[0]:.3g}, {p[1]:.3g})",
         minimum_color(i), True)
        for i, (p, is_global) in enumerate(minima_of(surface, params))
    ]
    return [*named, ("not reached", NOT_REACHED_COLOR, False), ("diverged", DIVERGED_COLOR, False)]


def basin_colorscale(categories: Sequence[tuple[str, str, bool]]) -> list:
    """One band per category over [c/C, (c+1)/C]: its colour, shaded towards white."""
    count = len(categories)
    stops = []
    for c, (_, color, shaded) in enumerate(categories):
        stops.append([c / count, color])
        stops.append([(c + 1) / count - 1e-9 if c + 1 < count else 1.0,
                      _mix(color, LIGHT) if shaded else color])
    return stops


def _legend_square(name: str, color: str, classroom: bool) -> dict:
    """A legend entry for a colour of the map (a trace with no points)."""
    return dict(
        type="scatter", x=[None], y=[None], mode="markers", name=name, showlegend=True,
        marker=dict(symbol="square", size=18 if classroom else 12, color=color,
                    line=dict(color=INK, width=1)),
        hoverinfo="skip",
    )


def _minimum_markers(surface, params, xref: str, yref: str, legend: bool, classroom: bool):
    grow = 6 if classroom else 0
    return [
        dict(
            type="scatter", x=[p[0]], y=[p[1]], xaxis=xref, yaxis=yref, mode="markers",
            marker=dict(symbol="star" if is_global else "star-open", size=16 + grow,
                        color=minimum_color(i), line=dict(color="#111", width=1.5)),
            showlegend=False, hoverlabel=hover_label(minimum_color(i), classroom),
            hovertemplate=("global" if is_global else "local") + " minimum (%{x:.4g}, %{y:.4g})"
            "<extra></extra>",
        )
        for i, (p, is_global) in enumerate(minima_of(surface, params))
    ]


def basins_figure(
    surface: Surface, params: dict, runs: Sequence[RunStyle], steps: int, tolerance: float,
    classroom: bool = False,
) -> Figure:
    """One panel per run over the surface's domain, side by side (three per row)."""
    categories = basin_categories(surface, params)
    colorscale = basin_colorscale(categories)
    count = max(len(runs), 1)
    cols = min(count, 3)
    layout = _subplots(count, cols)
    data = []
    for i in range(count):
        xref, yref = _axis_ref("x", i), _axis_ref("y", i)
        data.append(dict(
            type="heatmap", x=[], y=[], z=[], xaxis=xref, yaxis=yref,
            colorscale=colorscale, zmin=0, zmax=len(categories), showscale=False,
            hoverinfo="none", meta={"map": "cells", "panel": i},
        ))
        data += _minimum_markers(surface, params, xref, yref, False, classroom)
    data += [_legend_square(name, color, classroom) for name, color, _ in categories]
    s = scale(classroom)
    for i in range(count):
        xaxis, yaxis = plane_axes(surface.domain, classroom, x=_axis_ref("x", i))
        key = "" if i == 0 else str(i + 1)
        layout[f"xaxis{key}"] = {**layout.get(f"xaxis{key}", {}), **xaxis}
        if i % cols:  # the y axis is named once per row
            yaxis["title"] = {**yaxis["title"], "text": ""}
        layout[f"yaxis{key}"] = {**layout.get(f"yaxis{key}", {}), **yaxis}
    annotations = [
        {**title, "text": run.short if classroom else run.label,
         "font": dict(size=s.title, color=INK)}
        for title, run in zip(layout.get("annotations", []), runs)
    ]
    legend = dict(
        orientation="h", x=0, xanchor="left", y=-0.13, yanchor="top",
        title=dict(text="Ends in (darker: sooner):", side="top"),
        font=dict(size=s.font, color=INK),
    )
    return _figure(data, dict(
        **base_layout(classroom, hovermode="closest", showlegend=True, dragmode="pan",
                      clickmode="event", legend=legend,
                      margin=dict(l=58 if classroom else 50, r=20, t=40, b=40)),
        **{k: v for k, v in layout.items() if k.startswith(("xaxis", "yaxis"))},
        annotations=annotations,
        meta={"map": "basins", "categories": len(categories) - 2},
    ))


# --------------------------------------------------------------------------- stability limits


def stability_traces(
    surface: Surface, params: dict, run: Run, axes, classroom: bool = False, resolution: int = 240
) -> list[dict]:
    """On a quadratic, where gradient descent (lr·λmax < 2) or heavy ball
    (lr·λmax < 2(1 + μ)) stops converging, and heavy ball's optimal (critically damped)
    momentum μ* = max over λ of (1 − √(lr·λ))², as lines over the map's axes. λ includes an
    L2 weight decay. Nothing for other surfaces, rules or a schedule (the lr changes)."""
    if run.optimizer not in ("sgd", "momentum") or run.schedule != "constant" or run.warmup:
        return []
    if run.clip_norm is not None or run.clip_value is not None:
        return []
    names = [a[0] for a in axes]
    if surface.eigenvalues is None or not set(names) <= {"lr", "momentum", "weight_decay", "kappa"}:
        return []
    heavy = run.optimizer == "momentum"
    grids = [
        np.geomspace(low, high, resolution) if log else np.linspace(low, high, resolution)
        for _, low, high, log in axes
    ]
    gx, gy = np.meshgrid(*grids)
    values = {"lr": run.hyper["lr"], "momentum": run.hyper.get("momentum", 0.0),
              "weight_decay": run.hyper.get("weight_decay", 0.0), **params}
    values[names[0]], values[names[1]] = gx, gy
    low, high = surface.eigenvalues(values)
    lam_min, lam_max = low + values["weight_decay"], high + values["weight_decay"]
    mu = values["momentum"] if heavy else 0.0
    limit = values["lr"] - stability_limit(lam_max, mu)
    width = 4 if classroom else 2.5
    label = "lr·λmax = 2(1+μ)" if heavy else "lr·λmax = 2"
    traces = _level_line(grids, limit, label, width, "solid", "limit")
    if heavy and "momentum" in names and "lr" in names:
        optimal = optimal_momentum(values["lr"], lam_min, lam_max)
        traces += _level_line(grids, values["momentum"] - optimal,
                              "optimal μ* = max(1 − √(lr·λ))²", width, "dash", "optimal")
    return traces


def _level_line(grids, values, name, width, dash, role) -> list[dict]:
    """The zero level of `values` over the axes' grids, as a white line on a dark casing
    (visible on every colour of the map; the legend shows the casing)."""
    common = dict(
        type="contour", x=grids[0].tolist(), y=grids[1].tolist(), z=np.round(values, 9).tolist(),
        showscale=False, contours=dict(start=0, end=0, size=1, coloring="none"),
        hoverinfo="skip",
    )
    return [
        dict(**common, name=name, showlegend=True, line=dict(color="#111111", width=width + 2.5,
             dash=dash), meta={"map": role}),
        dict(**common, name=name, showlegend=False, line=dict(color="#ffffff", width=width,
             dash=dash), meta={"map": role + "_core"}),
    ]


def _steps_colorbar(steps: int, classroom: bool) -> dict:
    s = scale(classroom)
    top = max(1, math.ceil(math.log10(max(steps, 1))))
    return dict(
        title=dict(text="steps to tolerance", side="right", font=dict(size=s.title, color=INK)),
        tickvals=list(range(0, top + 1)), ticktext=[f"{10**k:,}" for k in range(0, top + 1)],
        tickfont=dict(size=s.tick, color=INK), thickness=20 if classroom else 14,
        len=1.0, y=0.5, yanchor="middle", x=1.01, xanchor="left", outlinewidth=0,
    )


def hypermap_figure(
    surface: Surface, params: dict, sim: Simulation, axes, tolerance: float,
    classroom: bool = False,
) -> Figure:
    """The first run's steps to the tolerance over two of its settings (log colour), the
    cells that diverged or never reached it, the best cell, and the analytic limits."""
    (xname, x0, x1, xlog), (yname, y0, y1, ylog) = axes
    steps = sim.steps
    data = [
        dict(type="heatmap", x=[], y=[], z=[], colorscale=STEPS_COLORSCALE, reversescale=True,
             zmin=0, zmax=math.log10(max(steps, 1)), colorbar=_steps_colorbar(steps, classroom),
             hoverinfo="none", meta={"map": "cells", "panel": 0}),
        dict(type="heatmap", x=[], y=[], z=[], zmin=0, zmax=1, showscale=False,
             colorscale=[[0, NOT_REACHED_COLOR], [0.5, NOT_REACHED_COLOR],
                         [0.5, DIVERGED_COLOR], [1, DIVERGED_COLOR]],
             hoverinfo="none", meta={"map": "status", "panel": 0}),
        *stability_traces(surface, params, sim.runs[0], axes, classroom),
        dict(type="scatter", x=[], y=[], mode="markers", name="best cell",
             marker=dict(symbol="star", size=20 if classroom else 15, color="#ffffff",
                         line=dict(color="#111", width=2)),
             hoverinfo="skip", meta={"map": "best"}),
        _legend_square(f"not reached in {steps} steps", NOT_REACHED_COLOR, classroom),
        _legend_square("diverged", DIVERGED_COLOR, classroom),
    ]
    common = dict(showgrid=False, zeroline=False, ticks="outside", automargin=True)

    def axis(name, low, high, log) -> dict:
        """Linear, or log with a label at each power of ten (plotly writes its in-between
        labels smaller than the tick font) when the range spans two decades or more."""
        if not log:
            return dict(type="linear", range=[low, high], **axis_style(name, classroom), **common)
        decades = math.log10(high / low)
        return dict(type="log", range=[math.log10(low), math.log10(high)],
                    **({"dtick": 1} if decades >= 2 else {}), **axis_style(name, classroom),
                    **common)

    xaxis, yaxis = axis(xname, x0, x1, xlog), axis(yname, y0, y1, ylog)
    return _figure(data, dict(
        **base_layout(classroom, hovermode="closest", showlegend=True, dragmode="pan",
                      clickmode="event"),
        xaxis=xaxis, yaxis=yaxis,
        meta={"map": "hypermap", "tolerance": tolerance},
    ))


# --------------------------------------------------------------------------- the seed fan


def fan_loss_figure(
    surface: Surface, runs: Sequence[RunStyle], steps: int, classroom: bool = False
) -> Figure:
    """Per run, over every seed: the median loss with 25–75 % and 10–90 % bands."""
    gap = surface.min_value is not None
    s = scale(classroom)
    data = []
    for i, run in enumerate(runs):
        for band, opacity in (("10–90 %", 0.14), ("25–75 %", 0.28)):
            fill = _rgba(run.color, opacity)
            data.append(dict(type="scatter", x=[], y=[], mode="lines", line=dict(width=0),
                             showlegend=False, hoverinfo="skip",
                             meta={"map": "band_low", "panel": i, "band": band}))
            data.append(dict(type="scatter", x=[], y=[], mode="lines", line=dict(width=0),
                             fill="tonexty", fillcolor=fill, name=f"{run.short} {band}",
                             showlegend=False, hoverinfo="skip",
                             meta={"map": "band_high", "panel": i, "band": band}))
        data.append(dict(
            type="scatter", x=[], y=[], mode="lines", name=f"{run.label}: median",
            line=dict(color=run.color, width=s.line, dash=run.dash),
            hoverlabel=hover_label(run.color, classroom),
            hovertemplate="step %{x}: median %{y:.4g}<extra>" + run.short + "</extra>",
            meta={"map": "median", "panel": i},
        ))
    data += [
        _legend_square(f"{band} of seeds", _rgba("#555555", opacity), classroom)
        for band, opacity in (("25–75 %", 0.42), ("10–90 %", 0.2))
    ]
    title = "f − f* over seeds" if gap else "f over seeds"
    return _figure(data, dict(
        **base_layout(classroom, hovermode="closest", showlegend=True),
        xaxis=dict(range=[0, steps], **axis_style("step", classroom), zeroline=False),
        yaxis=dict(type="log" if gap else "linear", **axis_style(title, classroom)),
        meta={"map": "fan"},
    ))


def cloud_traces(runs: Sequence[RunStyle], classroom: bool = False) -> list[dict]:
    """Every seed's position at the current step, one trace per run (filled per frame)."""
    return [
        dict(type="scatter", x=[], y=[], mode="markers", name=f"{run.short}: seeds",
             marker=dict(size=7 if classroom else 5, color=_rgba(run.color, 0.55),
                         line=dict(width=0)),
             showlegend=False, hoverinfo="skip", meta={"map": "cloud", "panel": i})
        for i, run in enumerate(runs)
    ]


def _rgba(color: str, alpha: float) -> str:
    channels = [int(color[i : i + 2], 16) for i in (1, 3, 5)] if color.startswith("#") else [0, 0, 0]
    return f"rgba({channels[0]},{channels[1]},{channels[2]},{alpha})"


def empty_figure(message: str, classroom: bool = False) -> Figure:
    """A placeholder with a message (a map before its configuration is known)."""
    s = scale(classroom)
    return _figure([], dict(
        **base_layout(classroom),
        xaxis=dict(visible=False), yaxis=dict(visible=False),
        annotations=[dict(text=message, showarrow=False, font=dict(size=s.font, color=INK),
                          xref="paper", yref="paper", x=0.5, y=0.5)],
    ))


__all__ = [
    "basin_categories",
    "basins_figure",
    "cloud_traces",
    "empty_figure",
    "fan_loss_figure",
    "hypermap_figure",
    "stability_traces",
]
