"""The page's callbacks: thin adapters between the controls, the page state and `computation`.

Flow: link or preset → `load` renders the controls → `update` reads them into a page state
(urlstate.reader, the reader links go through too), computes it (computation.py) and sends
the trajectories (+ figures when their key changed) → assets/animation.js draws and animates
them in the browser. Run cards own their callbacks (components/run_card.py).
"""

from __future__ import annotations

import json

import numpy as np
from dash import ALL, Input, Output, State, callback, clientside_callback, ctx, no_update
from dash.exceptions import PreventUpdate

from components import formula_card, ids  # noqa: F401 - its callbacks
from components.controls import noise_section, surface_params, surface_section
from components.forms import PageForm, form_to_draft, state_to_form
from components.run_card import ALL_CHOICES, ALL_FIELDS, ALL_FLAGS, RUNS, run_cards, runs_from
from components.views import FIGURE_DESCRIPTION, caption, classroom_strip, notices, summary_table
from components.map_controls import map_section
from components.network_view import network_query
from computation import GRAPHS, compute, figure_key, figures_of, map_payload
from figures.describe import describe
from figures.registry import VIEWS
from landscapes import SURFACES
from urlstate import PRESET_STATES, PRESETS, AppState, parse_query, to_query
from engine import ConfigError
from urlstate.maps import opened_cell, opened_seed
from urlstate.model import HIDEABLE
from urlstate.reader import Notice, base_state, collect, labelled, read

FIELD_OF_PATH = {  # where a page-level value is typed
    ("surface",): "surface", ("f",): "f", ("start", "x"): "start_x", ("start", "y"): "start_y",
    ("steps",): "steps", ("noise", "batch_size"): "batch", ("noise", "sigma"): "sigma",
    ("noise", "seed"): "seed", ("tol",): "tol", ("grid",): "grid", ("seeds",): "seeds",
    ("hx",): "hx", ("hy",): "hy",
}
RUN_KEY_OF_PATH = {"batch_size": "batch"}  # a run path's key → its card field's name


def shell_class(classroom: bool, hide: tuple[str, ...]) -> str:
    """The page root's classes: projector mode and the hidden parts."""
    return " ".join(["shell", *(["classroom"] if classroom else []), *(f"hide-{h}" for h in hide)])


def read_shell(class_name: object) -> tuple[bool, tuple[str, ...]]:
    """Projector mode and hidden parts from the page root's classes."""
    classes = str(class_name or "").split()
    hidden = tuple(h for h in HIDEABLE if f"hide-{h}" in classes)
    return "classroom" in classes, hidden


def _preset(name: object) -> str | None:
    return name if isinstance(name, str) and name in PRESETS else None


# ---------------------------------------------------------------- reading the controls


def read_controls(grouped, preset: str | None, shown: str | None) -> tuple[AppState, tuple[Notice, ...]]:
    """The state the controls describe and what in them was replaced (`grouped`: the update
    callback's `ctx.args_grouping`). An invalid value keeps the value of the state shown
    before the edit (`shown`, its canonical query)."""
    values = {e["id"]["name"]: e["value"] for e in grouped["fields"]}
    values.update({e["id"]["name"]: e["value"] for e in grouped["field_flags"]})
    values["view"] = grouped["view"]["value"]
    classroom, hide = read_shell(grouped["shell"]["value"])
    values["classroom"], values["hide"] = classroom, ",".join(hide)
    surface = values.pop("surface", None) or "sphere"
    params = {
        e["id"]["name"]: e["value"]
        for e in grouped["surface_values"]
        if e["id"]["surface"] == surface
    }
    runs = runs_from(grouped["run_values"], grouped["run_flags"], grouped["choices"])
    notices: list[Notice] = []
    report = collect(notices)
    base, name = base_state(preset, PRESET_STATES, report)
    draft = form_to_draft(PageForm(surface, params, values, runs), base, name)
    previous = parse_query(shown)[0] if isinstance(shown, str) and shown else None
    state = read(draft, report, fallback=previous)
    return state, labelled(notices, draft)


def input_of(path: tuple, surface: str) -> tuple | None:
    """Which input the value at `path` is typed in, as (type, run, name) (run None for
    page-level inputs), or None when no input holds it."""
    if tuple(path) in FIELD_OF_PATH:
        return "field", None, FIELD_OF_PATH[tuple(path)]
    if len(path) == 3 and path[0] == "runs" and isinstance(path[1], int):
        return "run-field", path[1], RUN_KEY_OF_PATH.get(path[2], path[2])
    if len(path) == 2 and path[0] == "surface_params":
        return "surface-param", None, path[1]
    return None


def field_errors(entries: list, problems: tuple[Notice, ...], surface: str) -> list:
    """One `error` text per pattern-matched input (`entries`, in callback order): the
    message of the notice about the value typed in it, else None (no mark)."""
    marked: dict = {}
    for notice in problems:
        marked.setdefault(input_of(notice.path, surface), notice.message)
    marked.pop(None, None)
    return [
        marked.get((e["id"]["type"], e["id"].get("run"), e["id"]["name"]))
        if e["id"].get("surface", surface) == surface
        else None
        for e in entries
    ]


# ---------------------------------------------------------------- callbacks


@callback(
    output=dict(
        surface=Output("surface-section", "children"),
        noise=Output("noise-section", "children"),
        maps=Output(ids.MAP_SECTION, "children"),
        runs=Output(RUNS, "children"),
        notice=Output(ids.NOTICE, "children"),
        rendered=Output(ids.RENDERED_SURFACE, "data"),
        view=Output(ids.VIEW_TABS, "value"),
        shell=Output(ids.SHELL, "className"),
        preset=Output(ids.PRESET, "value"),
        strip=Output(ids.CLASSROOM_STRIP, "children"),
        playback=Output(ids.PLAYBACK, "data"),
    ),
    inputs=dict(search=Input(ids.URL, "search"), preset=Input(ids.PRESET, "value")),
)
def load(search: str | None, preset: str | None) -> dict:
    """Render every control from the link (on page load) or from a chosen preset; a network
    link is the network view's (components/network_view.py)."""
    if ctx.triggered_id != ids.PRESET and network_query(search) is not None:
        raise PreventUpdate
    if ctx.triggered_id == ids.PRESET:
        if _preset(preset) is None:  # cleared: keep what is shown, without the preset
            raise PreventUpdate
        state, problems = parse_query(f"preset={preset}")
    else:
        query = search.lstrip("?") if isinstance(search, str) else ""
        state, problems = parse_query(query)
    form = state_to_form(state)
    playback = state.playback
    return dict(
        surface=surface_section(form),
        noise=noise_section(form),
        maps=map_section(form),
        runs=run_cards(form.runs),
        notice=notices(problems),
        rendered=state.simulation.surface,
        view=state.view,
        shell=shell_class(state.classroom, state.hide),
        preset=state.preset,
        strip=classroom_strip(form),
        playback={"step": playback.step, "play": playback.play, "speed": playback.speed},
    )


@callback(
    Output(ids.SURFACE_PARAMS, "children"),
    Output(ids.field("start_x"), "value", allow_duplicate=True),
    Output(ids.field("start_y"), "value", allow_duplicate=True),
    Output(ids.RENDERED_SURFACE, "data", allow_duplicate=True),
    Input(ids.field("surface"), "value"),
    State(ids.RENDERED_SURFACE, "data"),
    prevent_initial_call=True,
)
def change_surface(name: str, rendered: str | None):
    """A new surface: its parameters, formula and default start."""
    if not isinstance(name, str) or name == rendered or name not in SURFACES:
        raise PreventUpdate
    surface = SURFACES[name]
    start = surface.default_start
    return surface_params(name, surface.defaults()), str(start[0]), str(start[1]), name


UPDATE_OUTPUTS = dict(
    trajectories=Output(ids.TRAJECTORIES, "data"),
    internals=Output(ids.INTERNALS, "data"),
    summary=Output(ids.SUMMARY, "children"),
    sync=Output(ids.QUERY_SYNC, "data"),
    csv=Output(ids.EXPORT_CSV, "href"),
    json_=Output(ids.EXPORT_JSON, "href"),
    key=Output(ids.FIGURE_KEY, "data"),
    map_data=Output(ids.MAP_DATA, "data"),
    figures=[Output(g.id, "figure") for g in GRAPHS],
    caption=Output(ids.PRESET_CAPTION, "children"),
    description=Output(FIGURE_DESCRIPTION, "children"),
    notice=Output(ids.INPUT_NOTICE, "children"),
    field_errors=Output(ids.field(ALL), "error"),
    run_errors=Output(ALL_FIELDS, "error"),
    surface_errors=Output(ids.surface_param(ALL, ALL), "error"),
)
FIGURES_UNCHANGED = [no_update] * len(GRAPHS)


def sent_figures(state: AppState, mark: object) -> tuple[str, list | None]:
    """The page's figure mark after showing `state`, and the figures to send (None: the
    page has them). `mark` (the FIGURE_KEY store) names the figures' key and the views
    whose graphs hold them: a view's figures are sent the first time it is shown with that
    key, so a link sends only what its view draws (a class opening a map link gets one
    figure, not every view's)."""
    key = figure_key(state)
    try:
        shown, views = json.loads(mark) if isinstance(mark, str) else (None, [])
    except (ValueError, TypeError):
        shown, views = None, []
    views = list(views) if shown == key and isinstance(views, list) else []
    if state.view in views:
        return mark, None
    return json.dumps([key, sorted({*views, state.view})]), [state.view]


def _figures(state: AppState, styles, views: list | None) -> list:
    if views is None:
        return FIGURES_UNCHANGED
    mine = {graph.id for view in views for graph in VIEWS[view].graphs}
    return [f if g.id in mine else no_update for g, f in zip(GRAPHS, figures_of(state, styles))]


def outputs_for(state: AppState, query: str, key: str | None, playback: dict | None) -> dict:
    """What `update` sends for a state: trajectories, summary, caption, its canonical `query`
    (`to_query(state)`) and exports, and its view's figures unless the page's figure mark
    `key` says it has them (`sent_figures`). `playback` (the moment a link opens on) rides with the payload; the
    browser applies it once."""
    result = compute(state)
    mark, views = sent_figures(state, key)
    api = f"/api/trajectories?{query}"
    labels = [style.label for style in result.styles]
    colors = [style.color for style in result.styles]
    said = caption(PRESETS.get(state.preset), result.verdict, result.edited)  # before the map:
    # a claim about the map computes the whole grid, which then goes to the page at once
    return dict(
        trajectories={**result.payload, "playback": playback},
        internals=result.internals if "internals" in VIEWS[state.view].needs else None,
        summary=summary_table(labels, colors, result.summary, state.tolerance),
        sync=query,
        csv=f"{api}&format=csv",
        json_=api,
        key=mark,
        map_data=map_payload(state, query, labels),
        figures=_figures(state, result.styles, views),
        caption=said,
        description=describe(  # the figures' text alternative
            state.simulation, [style.name for style in result.styles], result.summary,
            state.tolerance, [t.xy[-1] for t in result.trajectories],
        ),
    )


@callback(
    output=UPDATE_OUTPUTS,
    inputs=dict(
        fields=Input(ids.field(ALL), "value"),
        field_flags=Input(ids.field_flag(ALL), "checked"),
        surface_values=Input(ids.surface_param(ALL, ALL), "value"),
        run_values=Input(ALL_FIELDS, "value"),
        run_flags=Input(ALL_FLAGS, "checked"),
        view=Input(ids.VIEW_TABS, "value"),
        shell=Input(ids.SHELL, "className"),
        preset=Input(ids.PRESET, "value"),
    ),
    state=dict(
        choices=State(ALL_CHOICES, "value"),
        shown=State(ids.QUERY_SYNC, "data"),
        key=State(ids.FIGURE_KEY, "data"),
        playback=State(ids.PLAYBACK, "data"),
    ),
    prevent_initial_call=True,
)
def update(
    fields, field_flags, surface_values, run_values, run_flags, view, shell, preset, choices,
    shown, key, playback,
):
    """Any control changed: compute what the page shows, unless the canonical query is the
    one shown (e.g. "0.10" typed for 0.1); either way, mark each replaced value in place
    (the field's `error`) and name it in the notice in the card's words.

    One request per change: reading the controls and computing are one callback.
    """
    if not fields:
        raise PreventUpdate
    grouped = ctx.args_grouping
    state, problems = read_controls(grouped, _preset(preset), shown)
    query = to_query(state)  # canonical: what is synced and exported is always valid
    surface = state.simulation.surface
    marks = dict(
        notice=notices(problems, title="Not applied — the previous value is kept"),
        field_errors=field_errors(grouped["fields"], problems, surface),
        run_errors=field_errors(grouped["run_values"], problems, surface),
        surface_errors=field_errors(grouped["surface_values"], problems, surface),
    )
    if query == shown:
        unchanged = {name: no_update for name in UPDATE_OUTPUTS}
        return {**unchanged, "figures": FIGURES_UNCHANGED, **marks}
    return {**outputs_for(state, query, key, playback), **marks}


@callback(
    Output(ids.field("start_x"), "value", allow_duplicate=True),
    Output(ids.field("start_y"), "value", allow_duplicate=True),
    Input(ids.GRAPH_CONTOUR, "clickData"),
    Input(ids.GRAPH_CONTOUR, "relayoutData"),
    prevent_initial_call=True,
)
def move_start(click: dict | None, relayout: dict | None):
    """Clicking the contour, or dragging the start marker (a shape), moves the start."""
    try:
        if ctx.triggered_id is not None and "relayoutData" in str(ctx.triggered[0]["prop_id"]):
            corners = [float(relayout[f"shapes[0].{k}"]) for k in ("x0", "x1", "y0", "y1")]
            x, y = (corners[0] + corners[1]) / 2, (corners[2] + corners[3]) / 2
        else:
            point = click["points"][0]
            x, y = float(point["x"]), float(point["y"])
    except (TypeError, KeyError, IndexError, ValueError, OverflowError, AttributeError):
        raise PreventUpdate from None
    if not (np.isfinite(x) and np.isfinite(y)):
        raise PreventUpdate
    return f"{x:.4g}", f"{y:.4g}"


MAP_GRAPHS = [g for v in VIEWS.values() if "map" in v.needs for g in v.graphs]


@callback(
    Output(ids.URL, "search", allow_duplicate=True),
    *[Input(g.id, "clickData") for g in MAP_GRAPHS],
    State(ids.QUERY_SYNC, "data"),
    prevent_initial_call=True,
)
def open_from_map(*args):
    """A click on a map's cell (or on a seed of the fan's cloud) opens that run in the
    trajectory view: a link like any other, read by `load`."""
    shown = args[-1]
    try:
        point = ctx.triggered[0]["value"]["points"][0]
        state = parse_query(shown)[0]
        if state.view == "fan":
            seed = point.get("customdata")
            if seed is None:
                raise PreventUpdate
            opened = opened_seed(state, int(seed))
        else:
            opened = opened_cell(state, float(point["x"]), float(point["y"]))
        return "?" + to_query(opened)
    except (TypeError, KeyError, IndexError, ValueError, OverflowError, AttributeError, ConfigError):
        raise PreventUpdate from None


@callback(
    Output(ids.SHELL, "className", allow_duplicate=True),
    Input(ids.CLASSROOM_LINK, "n_clicks"),
    Input(ids.CLASSROOM_EXIT, "n_clicks"),
    State(ids.SHELL, "className"),
    prevent_initial_call=True,
)
def toggle_classroom(enter, leave, class_name):
    """Into projector mode (the header's button) and out of it (the strip's button)."""
    if not (enter if ctx.triggered_id == ids.CLASSROOM_LINK else leave):
        raise PreventUpdate
    _, hide = read_shell(class_name)
    return shell_class(ctx.triggered_id == ids.CLASSROOM_LINK, hide)


clientside_callback(
    "function(data, internals, key, ...figures) {"
    " return window.optiscape.draw(data, internals, figures); }",
    *[Output(g.id, "figure", allow_duplicate=True) for g in GRAPHS],
    Input(ids.TRAJECTORIES, "data"),
    Input(ids.INTERNALS, "data"),
    Input(ids.FIGURE_KEY, "data"),
    *[State(g.id, "figure") for g in GRAPHS],
    prevent_initial_call=True,
)

clientside_callback(  # the map graphs, in the order of `#views[data-graphs]`
    "function(data, ...figures) { return window.optiscapeMaps.show(data, figures); }",
    *[Output(g.id, "figure", allow_duplicate=True) for g in MAP_GRAPHS],
    Output(next(g.id for g in MAP_GRAPHS if g.kind == "basins"), "style"),  # stacked: taller
    Input(ids.MAP_DATA, "data"),
    *[State(g.id, "figure") for g in MAP_GRAPHS],
    prevent_initial_call=True,
)

clientside_callback(
    "function(query) { return window.optiscape.syncUrl(query); }",
    Output(ids.QUERY_SYNC, "id"),
    Input(ids.QUERY_SYNC, "data"),
    prevent_initial_call=True,
)

clientside_callback(
    "function(n) { return window.location.href; }",
    Output(ids.COPY_LINK, "content"),
    Input(ids.COPY_LINK, "n_clicks"),
    prevent_initial_call=True,
)
