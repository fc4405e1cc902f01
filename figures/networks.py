"""The real networks' figures (plain dicts, as figures/views.py), drawn from the document
`/api/network` answers (`networks.document.network_json`): no JAX, no Dash, nothing computed
but arithmetic on the document's numbers.

- "plane": the training loss on the plane (log colour scale where it spans decades), every
  run's projected path with its start and end, and a Plotly animation (play/pause and a
  step slider) moving each run's current point along its path;
- "surface3d": the plane's loss as a surface, each path drawn at the plane's loss under its
  projected points (bilinear in the grid): the height is not the run's own loss;
- "loss": training (solid) and test (dashed) loss against the step, log axis;
- "accuracy": test (solid) and training (dotted) accuracy against the step;
- "panels": one small contour per run, shared colour scale, only that run's path;
- "distance": how far each recorded point lies off the plane, beside its distance from the
  start on the plane (dotted) for scale.

`summary_rows` gives each run's final numbers and `caption_lines` the honest captions (what
the plane is, how much of the paths it holds, how far off it they run), written from the
numbers. Every figure is JSON without NaN or Infinity: a missing value is null.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from figures.theme import (
    CONTOUR_LINE,
    INK,
    MUTED,
    PALETTE,
    SURFACE_COLORSCALE,
    axis_style,
    base_layout,
    hover_label,
    run_symbol,
    scale,
    symbol_3d,
)

Figure = dict  # {"data": [...], "layout": {...}, "frames": [...]}, as plotly.js reads it

NETWORK_GRAPHS = ("plane", "surface3d", "loss", "accuracy", "panels", "distance")
MAX_FRAMES = 60  # animation frames, evenly spread over the recorded steps
FRAME_MS = 80  # one frame's duration while playing
LOG_SPAN = 30.0  # a loss grid whose max/min exceeds this gets a log colour scale
PANEL_COLUMNS = 4
HEIGHT_NOTE = "Height: the plane's training loss at each projected point,<br>not the run's own loss"
PLAYER_GAP, PLAYER_GAP_CLASSROOM = 55, 80  # px from the plot's bottom to the player (under the x title)


# ------------------------------------------------------------------------------ numbers


def _clean(values) -> list:
    """Numbers as a list, None where missing or not finite."""
    out = []
    for v in values:
        if v is None:
            out.append(None)
            continue
        f = float(v)
        out.append(f if math.isfinite(f) else None)
    return out


def _short(values) -> list:
    """`_clean` to 6 significant digits (the animation's partial paths: smaller to send)."""
    return [None if v is None else float(f"{v:.6g}") for v in _clean(values)]


def _rows(grid) -> list[list]:
    return [_clean(row) for row in grid]


def _number(value) -> float | None:
    if value is None:
        return None
    f = float(value)
    return f if math.isfinite(f) else None


def log_scaled(loss: np.ndarray) -> bool:
    """Whether a loss grid spans enough to be coloured on a log scale."""
    finite = loss[np.isfinite(loss) & (loss > 0)]
    return finite.size > 0 and float(finite.max() / finite.min()) > LOG_SPAN


def bilinear(xs: Sequence[float], ys: Sequence[float], grid, px, py) -> np.ndarray:
    """The grid (rows = y) interpolated bilinearly at points (px, py), clamped to the grid."""
    xs, ys, z = np.asarray(xs, float), np.asarray(ys, float), np.asarray(grid, float)
    px = np.clip(np.asarray(px, float), xs[0], xs[-1])
    py = np.clip(np.asarray(py, float), ys[0], ys[-1])
    i = np.clip(np.searchsorted(xs, px, side="right") - 1, 0, len(xs) - 2)
    j = np.clip(np.searchsorted(ys, py, side="right") - 1, 0, len(ys) - 2)
    tx = (px - xs[i]) / (xs[i + 1] - xs[i])
    ty = (py - ys[j]) / (ys[j + 1] - ys[j])
    low = z[j, i] * (1 - tx) + z[j, i + 1] * tx
    high = z[j + 1, i] * (1 - tx) + z[j + 1, i + 1] * tx
    return low * (1 - ty) + high * ty


# ------------------------------------------------------------------------------- labels


def run_label(run: dict, batch_size: int | None = None) -> str:
    """A short run label: "momentum (lr 0.1)", "sgd (lr 0.5, full batch)",
    "momentum (lr 1, cosine, warmup 50)"."""
    parts = []
    lr = run.get("params", {}).get("lr")
    if lr is not None:
        parts.append(f"lr {lr:g}")
    schedule = run.get("schedule") or {}
    if schedule.get("name", "constant") != "constant":
        parts.append(str(schedule["name"]).replace("_", " "))
    if schedule.get("warmup"):
        parts.append(f"warmup {schedule['warmup']}")
    own = run.get("batch_size")
    if own is not None and batch_size is not None and own != batch_size:
        parts.append(f"batch {own}")
    return f"{run['optimizer']} ({', '.join(parts)})" if parts else run["optimizer"]


def run_labels(document: dict) -> list[str]:
    """Each run's label; runs that would share one get their number."""
    runs = document["runs"]
    labels = [run_label(run, document.get("batch_size")) for run in runs]
    return [f"{label} #{k + 1}" if labels.count(label) > 1 else label for k, label in enumerate(labels)]


def run_colors(document: dict) -> list[str]:
    """Each run's colour: its own `color` if the document gives one, else the palette's."""
    return [
        run.get("color") or PALETTE[i % len(PALETTE)] for i, run in enumerate(document["runs"])
    ]


def axis_titles(document: dict) -> tuple[str, str]:
    """The plane's two directions in words."""
    plane = document["plane"]
    kind = plane["kind"]
    if kind == "pca" and plane.get("explained_variance"):
        first, second = plane["explained_variance"][:2]
        return (
            f"PC1 (explains {round(100 * first)} %)",
            f"PC2 (explains {round(100 * second)} %)",
        )
    if kind == "endpoints":
        labels = run_labels(document)
        i, j = plane.get("runs", [0, 1])
        return (f"towards run {i + 1}'s end: {labels[i]}", f"towards run {j + 1}'s end: {labels[j]}")
    return ("direction 1 (filter-normalised)", "direction 2 (filter-normalised)")


# ----------------------------------------------------------------------------- summary


def summary_rows(document: dict) -> list[dict]:
    """Per run its label, colour and final numbers (None where missing)."""
    rows = []
    for run, label, color in zip(document["runs"], run_labels(document), run_colors(document)):
        final = run.get("final") or {}
        diverged = run.get("diverged_at")
        rows.append(
            {
                "label": label,
                "color": color,
                "train_loss": _number(final.get("train_loss")),
                "test_loss": _number(final.get("test_loss")),
                "test_accuracy": _number(final.get("test_accuracy")),
                "sharpness": _number(run.get("sharpness")),
                "distance": _number(final.get("distance")),
                "diverged_at": None if diverged is None else int(diverged),
            }
        )
    return rows


def _extent(document: dict) -> float:
    """The diagonal of the box holding every projected point of every path."""
    xs = np.concatenate([np.asarray(run["x"], float) for run in document["runs"]])
    ys = np.concatenate([np.asarray(run["y"], float) for run in document["runs"]])
    return float(math.hypot(np.ptp(xs), np.ptp(ys)))


def _off_plane(document: dict) -> str:
    """The largest off-plane distance, by run, against the paths' extent on the plane."""
    labels = run_labels(document)
    farthest = [max(_clean(run["distance"]), key=lambda d: -1 if d is None else d)
                for run in document["runs"]]
    worst = int(np.argmax([-1 if d is None else d for d in farthest]))
    largest, extent = farthest[worst] or 0.0, _extent(document)
    ratio = largest / extent if extent > 0 else float("inf")
    relative = (
        f"{ratio:.2g}× the paths' extent on the plane ({extent:.3g})"
        if math.isfinite(ratio)
        else "while the paths have no extent on the plane"
    )
    return (
        f"The farthest point off the plane lies {largest:.3g} from it ({labels[worst]}), "
        f"{relative}: the contour under a path is not the loss the run met there."
    )


def caption_lines(document: dict) -> list[str]:
    """What the plane is and how far it can be trusted, from the document's numbers; then
    what the 3D view's height is."""
    plane, labels = document["plane"], run_labels(document)
    kind = plane["kind"]
    lines = []
    if kind == "pca" and plane.get("explained_variance"):
        first, second = plane["explained_variance"][:2]
        lines.append(
            f"The plane holds {round(100 * (first + second))} % of the paths' variance "
            f"(PC1 {round(100 * first)} %, PC2 {round(100 * second)} %); the paths are drawn "
            "projected onto it: a path on this plane is not a path on this surface."
        )
    elif kind == "random":
        lines.append(
            "The plane of two random filter-normalised directions (Li et al. 2018) around "
            f"the end of run 1 ({labels[0]}); the paths are drawn projected onto it: a path "
            "on this plane is not a path on this surface."
        )
    else:
        i, j = plane.get("runs", [0, 1])
        lines.append(
            "The plane through the initialisation (0, 0) and the ends of run "
            f"{i + 1} ({labels[i]}, at (1, 0)) and run {j + 1} ({labels[j]}, at (0, 1)); the "
            "other points of the paths are drawn projected onto it."
        )
    lines.append(_off_plane(document))
    lines.append(
        "In the 3D view the height is the plane's training loss at each projected point, not "
        "the run's own loss."
    )
    return lines


# ------------------------------------------------------------------------------ pieces


def _frame_indices(document: dict) -> list[int]:
    """The recorded steps the animation's frames show (at most MAX_FRAMES, evenly spread
    over the longest run's records, the last one always)."""
    steps = max((run["steps"] for run in document["runs"]), key=len)
    count = min(MAX_FRAMES, len(steps))
    picks = np.unique(np.round(np.linspace(0, len(steps) - 1, count)).astype(int))
    return [int(steps[k]) for k in picks]


def _upto(run: dict, step: int) -> int:
    """How many of the run's recorded points lie at or before `step`."""
    return int(np.searchsorted(np.asarray(run["steps"]), step, side="right"))


def _train_at_records(run: dict) -> tuple[list, list]:
    """The last evaluated training loss at or before each recorded step, and its step."""
    evals = np.asarray(run["eval_steps"])
    at = np.clip(np.searchsorted(evals, np.asarray(run["steps"]), side="right") - 1, 0, None)
    loss = np.asarray(_clean(run["train_loss"]), dtype=object)
    return [loss[k] for k in at], [int(evals[k]) for k in at]


def _hover(label: str, color: str, classroom: bool) -> dict:
    return dict(
        hovertemplate=(
            f"{label}<br>step %{{customdata[0]}}<br>train loss %{{customdata[1]:.4g}} "
            "(evaluated at step %{customdata[2]})<extra></extra>"
        ),
        hoverlabel=hover_label(color, classroom),
    )


def _custom(run: dict) -> list[list]:
    loss, at = _train_at_records(run)
    return [[int(s), v, e] for s, v, e in zip(run["steps"], loss, at)]


def _colour_values(document: dict) -> tuple[list[list], bool, dict]:
    """The grid's colour values (log₁₀ of the loss when it spans decades), whether they are
    logs, and the colour bar's ticks."""
    loss = np.asarray(document["plane"]["loss"], float)
    if not log_scaled(loss):
        return _rows(loss), False, {}
    low, high = np.nanmin(loss[loss > 0]), np.nanmax(loss)
    floor = float(low)
    values = np.log10(np.maximum(loss, floor))
    decades = range(math.floor(math.log10(low)), math.ceil(math.log10(high)) + 1)
    ticks = dict(
        tickvals=[float(d) for d in decades],
        ticktext=[f"{10.0 ** d:g}" for d in decades],
    )
    return _rows(values), True, ticks


def _colorbar(title: str, classroom: bool, ticks: dict) -> dict:
    s = scale(classroom)
    return dict(
        title=dict(text=title, side="right", font=dict(size=s.title, color=INK)),
        tickfont=dict(size=s.tick, color=INK),
        thickness=22 if classroom else 14,
        len=1.0,
        **ticks,
    )


def _contour(document: dict, classroom: bool, **extra) -> dict:
    plane = document["plane"]
    z, is_log, ticks = _colour_values(document)
    title = "training loss" + (" (log scale)" if is_log else "")
    trace = dict(
        type="contour",
        x=_clean(plane["x"]),
        y=_clean(plane["y"]),
        z=z,
        colorscale=SURFACE_COLORSCALE,
        contours=dict(coloring="heatmap", showlines=True),
        line=dict(color=CONTOUR_LINE, width=1),
        ncontours=20,
        colorbar=_colorbar(title, classroom, ticks),
        hoverinfo="skip",
        name="training loss on the plane",
        showlegend=False,
        meta={"role": "loss", "log": is_log},
    )
    trace.update(extra)
    return trace


def _plane_axes(document: dict, classroom: bool) -> tuple[dict, dict]:
    plane = document["plane"]
    xt, yt = axis_titles(document)
    xaxis = dict(
        **axis_style(xt, classroom),
        range=[plane["x"][0], plane["x"][-1]],
        constrain="domain",
        showgrid=False,
        zeroline=False,
    )
    yaxis = dict(
        **axis_style(yt, classroom),
        range=[plane["y"][0], plane["y"][-1]],
        scaleanchor="x",
        scaleratio=1,
        constrain="domain",
        showgrid=False,
        zeroline=False,
    )
    return xaxis, yaxis


def _ends(run: dict, i: int, label: str, color: str, classroom: bool, **axes) -> list[dict]:
    """The start (open) and end (filled) markers of a run's path."""
    s = scale(classroom)
    x, y = _clean(run["x"]), _clean(run["y"])
    common = dict(type="scatter", mode="markers", legendgroup=f"run{i}", showlegend=False, **axes)
    return [
        dict(
            common, x=[x[0]], y=[y[0]], name=f"{label}: start",
            marker=dict(symbol="circle-open", size=s.head, color=color, line=dict(width=s.head_outline)),
            hovertemplate=f"{label}: start (step {run['steps'][0]})<extra></extra>",
            meta={"role": "start", "run": i},
        ),
        dict(
            common, x=[x[-1]], y=[y[-1]], name=f"{label}: end",
            marker=dict(symbol=run_symbol(i), size=s.head, color=color, line=dict(color="white", width=1.5)),
            hovertemplate=f"{label}: end (step {run['steps'][-1]})<extra></extra>",
            meta={"role": "end", "run": i},
        ),
    ]


def _path(run: dict, i: int, label: str, color: str, classroom: bool, **axes) -> dict:
    s = scale(classroom)
    return dict(
        type="scatter",
        mode="lines",
        x=_clean(run["x"]),
        y=_clean(run["y"]),
        customdata=_custom(run),
        name=label,
        legendgroup=f"run{i}",
        line=dict(color=color, width=s.line),
        meta={"role": "path", "run": i},
        **_hover(label, color, classroom),
        **axes,
    )


# ----------------------------------------------------------------------------- figures


def plane_figure(document: dict, classroom: bool = False) -> Figure:
    """The loss on the plane with every run's projected path, animated along the steps."""
    s = scale(classroom)
    runs, labels, colors = document["runs"], run_labels(document), run_colors(document)
    data = [_contour(document, classroom)]
    paths, heads = [], []
    for i, (run, label, color) in enumerate(zip(runs, labels, colors)):
        paths.append(len(data))
        data.append(_path(run, i, label, color, classroom))
        data.extend(_ends(run, i, label, color, classroom))
    for i, (run, label, color) in enumerate(zip(runs, labels, colors)):
        heads.append(len(data))
        x, y = _clean(run["x"]), _clean(run["y"])
        custom = _custom(run)
        data.append(
            dict(
                type="scatter", mode="markers", x=[x[-1]], y=[y[-1]], customdata=[custom[-1]],
                name=f"{label}: current step", legendgroup=f"run{i}", showlegend=False,
                marker=dict(symbol=run_symbol(i), size=s.head + 4, color=color,
                            line=dict(color=INK, width=s.head_outline)),
                meta={"role": "head", "run": i},
                **_hover(label, color, classroom),
            )
        )
    frames = []
    for step in _frame_indices(document):
        traces = []
        for i, run in enumerate(runs):
            k = max(_upto(run, step), 1)
            x, y = _short(run["x"][:k]), _short(run["y"][:k])
            traces.append(dict(x=x, y=y))  # the hover data stays the whole path's: a prefix
        for i, run in enumerate(runs):
            k = max(_upto(run, step), 1)
            traces.append(
                dict(x=[_number(run["x"][k - 1])], y=[_number(run["y"][k - 1])],
                     customdata=[_custom(run)[k - 1]])
            )
        frames.append(dict(name=str(step), data=traces, traces=paths + heads))
    xaxis, yaxis = _plane_axes(document, classroom)
    font = dict(size=s.font, color=INK)
    animate = dict(mode="immediate", frame=dict(duration=0, redraw=False), transition=dict(duration=0))
    # Below the x-axis title: the buttons at the left, the slider to their right with its
    # "step N" at its right end (assets/networks.js moves them to what the browser drew).
    below = PLAYER_GAP_CLASSROOM if classroom else PLAYER_GAP
    layout = base_layout(
        classroom,
        xaxis=xaxis,
        yaxis=yaxis,
        margin=dict(l=70 if classroom else 60, r=20, t=40, b=below + (90 if classroom else 70)),
        updatemenus=[
            dict(
                type="buttons", direction="left", showactive=False, x=0, y=0, xanchor="left",
                yanchor="top", pad=dict(t=below + (26 if classroom else 20), r=10), font=font,
                buttons=[
                    dict(label="▶ Play", method="animate", args=[
                        None,
                        dict(mode="immediate", fromcurrent=True,
                             frame=dict(duration=FRAME_MS, redraw=False), transition=dict(duration=0)),
                    ]),
                    dict(label="❚❚ Pause", method="animate", args=[[None], animate]),
                ],
                name="player",
            )
        ],
        sliders=[
            dict(
                active=len(frames) - 1, x=0.3, len=0.7, y=0, yanchor="top",
                pad=dict(t=below, l=0, r=0), font=font,
                currentvalue=dict(prefix="step ", font=font, xanchor="right"),
                steps=[
                    dict(label=frame["name"], method="animate", args=[[frame["name"]], animate])
                    for frame in frames
                ],
            )
        ],
    )
    return {"data": data, "layout": layout, "frames": frames}


def surface3d_figure(document: dict, classroom: bool = False) -> Figure:
    """The plane's training loss as a surface; each path at the plane's loss under it.
    Heights are log₁₀ of the loss where it spans decades, as the surface views draw them
    (a 3D log axis labels its minor ticks: "2 1 5 2 0.1 5"), with the camera of those views."""
    s = scale(classroom)
    plane, runs = document["plane"], document["runs"]
    loss = np.asarray(plane["loss"], float)
    is_log = log_scaled(loss)
    lift = (lambda z: np.log10(np.maximum(z, 1e-300))) if is_log else (lambda z: np.asarray(z, float))
    heights = lift(loss)
    xt, yt = axis_titles(document)
    data = [
        dict(
            type="surface", x=_clean(plane["x"]), y=_clean(plane["y"]), z=_rows(heights),
            colorscale=SURFACE_COLORSCALE, opacity=0.92, showscale=True,
            colorbar=_colorbar("log₁₀ training loss" if is_log else "training loss", classroom, {}),
            contours=dict(z=dict(show=True, color=CONTOUR_LINE, width=1)),
            customdata=_rows(loss), name="training loss on the plane",
            hovertemplate="plane loss %{customdata:.4g}<extra></extra>",
            meta={"role": "loss", "log": is_log},
        )
    ]
    for i, (run, label, color) in enumerate(zip(runs, run_labels(document), run_colors(document))):
        under = bilinear(plane["x"], plane["y"], loss, run["x"], run["y"])
        data.append(
            dict(
                type="scatter3d", mode="lines+markers", x=_clean(run["x"]), y=_clean(run["y"]),
                z=_clean(lift(under)), name=label, legendgroup=f"run{i}",
                line=dict(color=color, width=s.line + 2),
                marker=dict(size=2 if not classroom else 3, color=color, symbol=symbol_3d(run_symbol(i))),
                customdata=[[int(t), float(v)] for t, v in zip(run["steps"], under)],
                hovertemplate=(f"{label}<br>step %{{customdata[0]}}<br>plane loss under it "
                               "%{customdata[1]:.4g}<extra></extra>"),
                hoverlabel=hover_label(color, classroom),
                meta={"role": "path", "run": i},
            )
        )
    z0, z1 = float(np.min(heights)), float(np.max(heights))
    pad = 0.02 * (z1 - z0 or 1.0)
    ztitle = "log₁₀ loss" if is_log else "loss"  # short: 3D axis titles sit on their ticks
    layout = base_layout(
        classroom,
        scene=dict(
            xaxis=dict(nticks=6, **axis_style(xt, classroom)),
            yaxis=dict(nticks=6, **axis_style(yt, classroom)),
            zaxis=dict(range=[z0 - pad, z1 + pad], autorange=False, nticks=5,
                       **axis_style(ztitle, classroom)),
            aspectmode="manual", aspectratio=dict(x=1, y=1, z=0.55),
            camera=dict(eye=dict(x=-1.15, y=-1.25, z=0.8)),  # the surface views' box and camera
        ),
        margin=dict(l=0, r=0, t=40 if classroom else 30, b=3 * s.font + 6),
        annotations=[  # under the scene: the legend holds the top
            dict(text=HEIGHT_NOTE, xref="paper", yref="paper", x=0, y=0, xanchor="left",
                 yanchor="top", align="left", showarrow=False, font=dict(size=s.font, color=MUTED),
                 name="height-note")
        ],
    )
    return {"data": data, "layout": layout}


def _curves(document: dict, classroom: bool, keys: tuple[tuple[str, str, str], ...]) -> list[dict]:
    s = scale(classroom)
    traces = []
    for i, (run, label, color) in enumerate(zip(document["runs"], run_labels(document), run_colors(document))):
        for key, dash, words in keys:
            values = _clean(run[key])
            if key.endswith("loss"):
                values = [v if v is not None and v > 0 else None for v in values]
            traces.append(
                dict(
                    type="scatter", mode="lines", x=[int(t) for t in run["eval_steps"]], y=values,
                    name=f"{label}: {words}", legendgroup=f"run{i}",
                    line=dict(color=color, width=s.line, dash=dash),
                    hovertemplate=f"{label}<br>step %{{x}}<br>{words} %{{y:.4g}}<extra></extra>",
                    hoverlabel=hover_label(color, classroom),
                    meta={"role": key, "run": i},
                )
            )
    return traces


def loss_figure(document: dict, classroom: bool = False) -> Figure:
    """Training (solid) and test (dashed) loss against the step, log axis."""
    data = _curves(document, classroom, (("train_loss", "solid", "train loss"),
                                         ("test_loss", "dash", "test loss")))
    values = [v for trace in data for v in trace["y"] if v is not None]
    yaxis = dict(**axis_style("loss (cross-entropy, whole set)", classroom), type="log")
    if values and max(values) / min(values) >= 10:  # labels at whole decades (no 2, 5, 2, 5 …)
        yaxis.update(dtick=1, minor=dict(ticks="outside", ticklen=3, dtick="D1"))
    layout = base_layout(
        classroom,
        xaxis=dict(**axis_style("step", classroom), rangemode="tozero"),
        yaxis=yaxis,
    )
    return {"data": data, "layout": layout}


def accuracy_figure(document: dict, classroom: bool = False) -> Figure:
    """Test (solid) and training (dotted) accuracy against the step, in %."""
    data = _curves(document, classroom, (("test_accuracy", "solid", "test accuracy"),
                                         ("train_accuracy", "dot", "train accuracy")))
    for trace in data:
        trace["hovertemplate"] = trace["hovertemplate"].replace("%{y:.4g}", "%{y:.1%}")
    layout = base_layout(
        classroom,
        xaxis=dict(**axis_style("step", classroom), rangemode="tozero"),
        yaxis=dict(**axis_style("accuracy", classroom), range=[0, 1], tickformat=".0%"),
    )
    return {"data": data, "layout": layout}


def _panel_domains(count: int) -> list[tuple[list[float], list[float]]]:
    """(x domain, y domain) of each of `count` panels, PANEL_COLUMNS a row at most."""
    columns = min(count, PANEL_COLUMNS)
    rows = math.ceil(count / columns)
    gap_x, gap_y = 0.06, 0.12
    width = (1 - gap_x * (columns - 1)) / columns
    height = (1 - gap_y * (rows - 1)) / rows
    out = []
    for k in range(count):
        r, c = divmod(k, columns)
        x0 = c * (width + gap_x)
        y1 = 1 - r * (height + gap_y)
        out.append(([x0, x0 + width], [y1 - height, y1]))
    return out


def panels_figure(document: dict, classroom: bool = False) -> Figure:
    """One small contour per run (one shared colour scale) with only that run's path."""
    s = scale(classroom)
    runs, labels, colors = document["runs"], run_labels(document), run_colors(document)
    z, is_log, ticks = _colour_values(document)
    flat = [v for row in z for v in row if v is not None]
    low, high = (min(flat), max(flat)) if flat else (0.0, 1.0)
    xt, yt = axis_titles(document)
    plane = document["plane"]
    data, annotations = [], []
    layout = base_layout(
        classroom, showlegend=False,
        margin=dict(l=90, r=20, t=50, b=90) if classroom else dict(l=64, r=20, t=40, b=64),
    )
    layout["coloraxis"] = dict(
        colorscale=SURFACE_COLORSCALE, cmin=low, cmax=high,
        colorbar=_colorbar("training loss" + (" (log scale)" if is_log else ""), classroom, ticks),
    )
    for i, ((xd, yd), run, label, color) in enumerate(zip(_panel_domains(len(runs)), runs, labels, colors)):
        suffix = "" if i == 0 else str(i + 1)
        axes = dict(xaxis=f"x{suffix}", yaxis=f"y{suffix}")
        contour = _contour(document, classroom, coloraxis="coloraxis", **axes)
        contour.pop("colorbar")
        data.append(contour)
        data.append(_path(run, i, label, color, classroom, **axes))
        data.extend(_ends(run, i, label, color, classroom, **axes))
        layout[f"xaxis{suffix}"] = dict(
            domain=xd, range=[plane["x"][0], plane["x"][-1]], showgrid=False, zeroline=False,
            tickfont=dict(size=s.tick, color=INK), anchor=f"y{suffix}", automargin=True,
            title=dict(text=xt if i == 0 else "", font=dict(size=s.title, color=INK), standoff=8),
        )
        layout[f"yaxis{suffix}"] = dict(
            domain=yd, range=[plane["y"][0], plane["y"][-1]], showgrid=False, zeroline=False,
            tickfont=dict(size=s.tick, color=INK), anchor=f"x{suffix}", automargin=True,
            title=dict(text=yt if i == 0 else "", font=dict(size=s.title, color=INK), standoff=8),
        )
        annotations.append(
            dict(text=label, x=sum(xd) / 2, y=yd[1], xref="paper", yref="paper", xanchor="center",
                 yanchor="bottom", showarrow=False, font=dict(size=s.label, color=INK))
        )
    layout["annotations"] = annotations
    return {"data": data, "layout": layout}


def distance_figure(document: dict, classroom: bool = False) -> Figure:
    """Each recorded point's distance off the plane (solid) and, for scale, its distance
    from the start on the plane (dotted), against the step."""
    s = scale(classroom)
    data = []
    for i, (run, label, color) in enumerate(zip(document["runs"], run_labels(document), run_colors(document))):
        steps = [int(t) for t in run["steps"]]
        x, y = np.asarray(run["x"], float), np.asarray(run["y"], float)
        along = np.hypot(x - x[0], y - y[0])
        common = dict(type="scatter", mode="lines", x=steps, legendgroup=f"run{i}",
                      hoverlabel=hover_label(color, classroom))
        data.append(dict(
            common, y=_clean(run["distance"]), name=f"{label}: off the plane",
            line=dict(color=color, width=s.line),
            hovertemplate=f"{label}<br>step %{{x}}<br>off the plane %{{y:.3g}}<extra></extra>",
            meta={"role": "distance", "run": i},
        ))
        data.append(dict(
            common, y=_clean(along), name=f"{label}: from the start, on the plane",
            line=dict(color=color, width=max(1.5, s.line - 1), dash="dot"),
            hovertemplate=f"{label}<br>step %{{x}}<br>from the start on the plane %{{y:.3g}}<extra></extra>",
            meta={"role": "along", "run": i},
        ))
    layout = base_layout(
        classroom,
        xaxis=dict(**axis_style("step", classroom), rangemode="tozero"),
        yaxis=dict(**axis_style("distance in weight space", classroom), rangemode="tozero"),
    )
    return {"data": data, "layout": layout}


BUILDERS = {
    "plane": plane_figure,
    "surface3d": surface3d_figure,
    "loss": loss_figure,
    "accuracy": accuracy_figure,
    "panels": panels_figure,
    "distance": distance_figure,
}


def network_figures(document: dict, classroom: bool = False) -> dict[str, Figure]:
    """Every figure of NETWORK_GRAPHS for an `/api/network` document."""
    return {name: BUILDERS[name](document, classroom) for name in NETWORK_GRAPHS}


__all__ = [
    "NETWORK_GRAPHS",
    "accuracy_figure",
    "axis_titles",
    "bilinear",
    "caption_lines",
    "distance_figure",
    "loss_figure",
    "network_figures",
    "panels_figure",
    "plane_figure",
    "run_colors",
    "run_label",
    "run_labels",
    "summary_rows",
    "surface3d_figure",
]
