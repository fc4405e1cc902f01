"""Layout builders for the views (from the view registry): animation bar, tabs with the
figures, caption with the preset's claim, classroom strip, summary table, notices."""

from __future__ import annotations

from typing import Sequence

import json

import dash_mantine_components as dmc
from dash import dcc, html

from components import ids
from components.forms import PageForm
from components.plain import node
from components.run_card import run_slider, slider_params
from engine import Run
from figures.labels import short_labels
from figures.registry import VIEWS, Graph, View
from figures.summary import RunSummary, format_number
from urlstate.claims import Verdict
from urlstate.model import DEFAULT_SPEED, SPEEDS
from urlstate.presets import Preset

STRIP_RUNS = 4  # runs whose sliders the classroom strip shows

GRAPH_CONFIG = {
    "displaylogo": False,
    "responsive": True,
    "toImageButtonOptions": {"format": "png", "scale": 2, "filename": "optiscape"},
    "modeBarButtonsToRemove": ["lasso2d", "select2d"],
}



FIGURE_DESCRIPTION = "figure-description"  # the runs in words: every figure's description
START_KEYS = "start-keys"  # how the arrow keys move the start: a start figure's description
LIVE = "live-status"  # the polite live region: playback and the preset's claim

# Each graph's accessible name (its description, written from the data, is shared:
# `FIGURE_DESCRIPTION`); a view added later is named after its tab.
GRAPH_NAMES = {
    "contour": "Contour plot of the loss surface with each run's path",
    "loss": "Loss against step, one curve per run",
    "3d": "3D loss surface with each run's path",
    "panels": "One contour plot per run",
    "internals": "Contour plot with each run's gradient and step arrows at the current step",
}
# Graphs that show the start point: with the keyboard focus on them, the arrow keys move it
# (assets/a11y.js).
START_KINDS = ("plane", "arrows")
START_KEYS = (
    "Arrow keys move the start point by a fortieth of the plot, with Shift by a tenth; "
    "space plays and pauses; Home and End go to the first and last step."
)


def graph_name(graph: Graph, view: View) -> str:
    """What a screen reader calls `graph`."""
    return GRAPH_NAMES.get(graph.name, f"{view.label}: {graph.name.replace('-', ' ')} plot")


def _graph(graph: Graph, view: View) -> html.Div:
    """A graph in a frame that names it and points at the description of the runs; a graph
    showing the start point takes the keyboard focus (arrow keys move the start)."""
    config = GRAPH_CONFIG
    if graph.kind == "plane":  # the start marker (a shape) can be dragged
        config = {**GRAPH_CONFIG, "edits": {"shapePosition": True}}
    keyboard = graph.kind in START_KINDS
    described = f"{FIGURE_DESCRIPTION} {START_KEYS}" if keyboard else FIGURE_DESCRIPTION
    frame = {
        "role": "application" if keyboard else "figure",
        "aria-label": graph_name(graph, view),
        "aria-describedby": described,
    }
    if keyboard:
        frame.update({"tabIndex": "0", "data-start-keys": "1",
                      "aria-keyshortcuts": "ArrowLeft ArrowRight ArrowUp ArrowDown"})
    return html.Div(
        dcc.Graph(
            id=graph.id, config=config, style={"height": graph.height}, className="view-graph",
            figure={"data": [], "layout": {"xaxis": {"visible": False}, "yaxis": {"visible": False}}},
        ),
        id=f"{graph.id}-frame", className="figure-frame", **frame,
    )


def described_figures() -> list:
    """What every figure's `aria-describedby` points at: the description of the runs (sent
    with each computation) and how the keyboard moves the start; read, not shown."""
    return [
        html.P(id=FIGURE_DESCRIPTION, className="visually-hidden"),
        html.P(START_KEYS, id=START_KEYS, className="visually-hidden"),
    ]


def live_region() -> html.Div:
    """Spoken, politely, by screen readers: the step and each run's loss while playing (at a
    calm rate), on pause and step, and the preset's claim with its verdict
    (assets/animation.js, assets/a11y.js)."""
    return html.Div(
        id=LIVE, className="visually-hidden", role="status",
        **{"aria-live": "polite", "aria-atomic": "true"},
    )


def animation_bar() -> html.Div:
    """Filled and driven by assets/animation.js: no server request while it plays."""
    return html.Div(
        id=ids.ANIMATION, className="animation-bar", role="group",
        **{"aria-label": "animation", "data-speeds": json.dumps(SPEEDS),
           "data-speed": str(DEFAULT_SPEED)},
    )


def _panel(view: View) -> dmc.TabsPanel:
    body = [_graph(g, view) for g in view.graphs]
    if "internals" in view.needs:
        body = [
            *body,
            html.Div(
                [html.P(view.hint, className="hint"), html.Div(id=ids.INTERNALS_TABLE, className="internals-table")]
            ),
        ]
    return dmc.TabsPanel(html.Div(body, className=f"tab-{view.name}"), value=view.name)


def view_tabs(view: str) -> html.Div:
    """One tab per registered view; every view follows the same animation frame. The graphs
    the browser fills, in the order the draw callback passes them, are in `data-graphs`."""
    graphs = [
        {"id": g.id, "kind": g.kind, "view": v.name} for v in VIEWS.values() for g in v.graphs
    ]
    tabs = dmc.Tabs(
        [
            dmc.TabsList([dmc.TabsTab(v.label, value=v.name) for v in VIEWS.values()]),
            *[_panel(v) for v in VIEWS.values()],
        ],
        id=ids.VIEW_TABS, value=view, keepMounted=True, className="view-tabs",
    )
    return html.Div(tabs, id=ids.VIEWS, **{"data-graphs": json.dumps(graphs)})


def caption(preset: Preset | None, verdict: Verdict | None, edited: bool) -> list | None:
    """A preset's caption, whether the runs were edited, and its claim on the current runs."""
    if preset is None:
        return None
    lines = [html.Div(preset.caption, className="caption-text")]
    if edited:
        lines.append(html.Div(
            "Edited: these runs differ from the preset's; its claim is checked on them below.",
            className="caption-edited",
        ))
    if verdict is not None:
        mark, kind = {True: ("✓ holds", "holds"), False: ("✗ does not hold", "fails")}.get(
            verdict.holds, ("? cannot be checked", "unknown")
        )
        lines.append(html.Div(  # announced by assets/a11y.js through the live region
            [html.Strong(f"Claim {mark}: "), verdict.sentence],
            className=f"claim claim-{kind}",
        ))
    return lines


def classroom_strip(form: PageForm) -> list:
    """The key controls of the current runs for projector mode: each run's learning rate and
    main coefficient as sliders (they move the run cards' values), and the way out."""
    names = short_labels([Run(r.optimizer) for r in form.runs])
    sliders = [
        run_slider(i, run.optimizer, p, run.values.get(p.name, p.default), "strip",
                   f"{name} · {p.label or p.name}")
        for i, (run, name) in enumerate(zip(form.runs[:STRIP_RUNS], names))
        for p in slider_params(run.optimizer)
    ]
    return [
        html.Div(sliders, className="strip-sliders"),
        html.Button("Exit classroom mode ✕", id=ids.CLASSROOM_EXIT, className="classroom-exit", n_clicks=0),
    ]


def summary_table(
    labels: Sequence[str], colors: Sequence[str], rows: Sequence[RunSummary], tol: float
) -> dict:
    """Final loss, distance to the nearest minimum, steps to the tolerance, divergence.

    As plain data (`node`): it is rebuilt for every computation.
    """
    head = ["Run", "final loss", "distance to minimum", f"steps to f − f* ≤ {tol:g}", "status"]
    body = []
    for label, color, row in zip(labels, colors, rows):
        diverged = row.diverged_at is not None
        swatch = node(html.Span, className="swatch", style={"background": color})
        body.append(
            [
                node(html.Span, [swatch, label]),
                format_number(row.final_loss),
                format_number(row.distance_to_minimum),
                "not reached" if row.steps_to_tolerance is None else str(row.steps_to_tolerance),
                node(
                    html.Span,
                    f"diverged at step {row.diverged_at}" if diverged else "ok",
                    className="diverged" if diverged else "ok",
                ),
            ]
        )
    return node(
        dmc.Table,
        [
            node(dmc.TableThead, node(dmc.TableTr, [node(dmc.TableTh, h) for h in head])),
            node(
                dmc.TableTbody,
                [node(dmc.TableTr, [node(dmc.TableTd, c) for c in row]) for row in body],
            ),
        ],
        striped=True, highlightOnHover=True, withTableBorder=True, className="summary",
    )


def notices(items: Sequence, title: str = "Some settings were ignored"):
    """A visible list of what was ignored and why, each named in the controls' words
    (`Notice.label`, e.g. "Run 1 · learning rate η"); nothing when all is well."""
    if not items:
        return None
    return dmc.Alert(
        html.Ul([html.Li([html.Strong(n.label or n.field), f": {n.message}"]) for n in items]),
        title=title, color="orange", withCloseButton=True, closeButtonLabel="Dismiss this notice",
        className="notice",
    )
