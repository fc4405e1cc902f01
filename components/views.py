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



def _graph(graph: Graph) -> dcc.Graph:
    config = GRAPH_CONFIG
    if graph.kind == "plane":  # the start marker (a shape) can be dragged
        config = {**GRAPH_CONFIG, "edits": {"shapePosition": True}}
    return dcc.Graph(
        id=graph.id, config=config, style={"height": graph.height}, className="view-graph",
        figure={"data": [], "layout": {"xaxis": {"visible": False}, "yaxis": {"visible": False}}},
    )


def animation_bar() -> html.Div:
    """Filled and driven by assets/animation.js: no server request while it plays."""
    return html.Div(
        id=ids.ANIMATION, className="animation-bar", role="group",
        **{"aria-label": "animation", "data-speeds": json.dumps(SPEEDS),
           "data-speed": str(DEFAULT_SPEED)},
    )


def _panel(view: View) -> dmc.TabsPanel:
    body = [_graph(g) for g in view.graphs]
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
        lines.append(html.Div(
            [html.Strong(f"Claim {mark}: "), verdict.sentence],
            className=f"claim claim-{kind}", role="status",
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
        title=title, color="orange", withCloseButton=True,
        className="notice",
    )
