"""Layout builders for the views: animation bar, tabs with the figures, summary table."""

from __future__ import annotations

from typing import Sequence

import dash_mantine_components as dmc
from dash import dcc, html

from components import ids
from components.plain import node
from figures.summary import RunSummary, format_number

GRAPH_CONFIG = {
    "displaylogo": False,
    "responsive": True,
    "toImageButtonOptions": {"format": "png", "scale": 2, "filename": "optiscape"},
    "modeBarButtonsToRemove": ["lasso2d", "select2d"],
}

# (view name, tab label, graphs in that tab): the lecture figure is contour and loss together.
TABS = (
    ("contour", "Contour & loss", (ids.GRAPH_CONTOUR, ids.GRAPH_LOSS)),
    ("surface3d", "3D surface", (ids.GRAPH_3D,)),
    ("panels", "Side by side", (ids.GRAPH_PANELS,)),
)


def _graph(graph_id: str, height: str) -> dcc.Graph:
    return dcc.Graph(
        id=graph_id, config=GRAPH_CONFIG, style={"height": height}, className="view-graph",
        figure={"data": [], "layout": {"xaxis": {"visible": False}, "yaxis": {"visible": False}}},
    )


def animation_bar() -> html.Div:
    """Filled and driven by assets/animation.js: no server request while it plays."""
    return html.Div(id=ids.ANIMATION, className="animation-bar", **{"aria-label": "animation"})


def view_tabs(view: str) -> dmc.Tabs:
    """One tab per view; every view follows the same animation frame."""
    panels = [
        dmc.TabsPanel(
            html.Div([_graph(g, "min(66vh, 720px)") for g in graphs], className=f"tab-{value}"),
            value=value,
        )
        for value, _, graphs in TABS
    ]
    panels.append(
        dmc.TabsPanel(
            html.Div(
                [
                    _graph(ids.GRAPH_INTERNALS, "min(60vh, 640px)"),
                    html.Div(
                        [
                            html.P(
                                "At the current step, per run: the gradient g, the step actually "
                                "taken Δθ, the learning rate, and the optimizer's own state "
                                "(velocity, moments, effective per-axis step size −Δθ/g). On the "
                                "plot: grey arrows point along −g (fixed length), coloured arrows "
                                "are the actual steps.",
                                className="hint",
                            ),
                            html.Div(id=ids.INTERNALS_TABLE, className="internals-table"),
                        ]
                    ),
                ],
                className="tab-internals",
            ),
            value="internals",
        )
    )
    return dmc.Tabs(
        [
            dmc.TabsList(
                [dmc.TabsTab(label, value=value) for value, label, _ in TABS]
                + [dmc.TabsTab("Internals", value="internals")]
            ),
            *panels,
        ],
        id=ids.VIEW_TABS, value=view, keepMounted=True, className="view-tabs",
    )


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


def notices(items: Sequence[tuple[str, str]], title: str = "Some settings were ignored"):
    """A visible list of what was ignored and why (nothing when all is well)."""
    if not items:
        return None
    return dmc.Alert(
        html.Ul([html.Li([html.Code(field), f": {message}"]) for field, message in items]),
        title=title, color="orange", withCloseButton=True,
        className="notice",
    )
