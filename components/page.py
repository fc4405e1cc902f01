"""The page's callbacks: thin adapters between controls, the URL state and the engine.

Flow: URL or preset → `load` renders the controls → `update` turns the controls into the
canonical state (validating through the URL grammar), runs the engine and sends compact
trajectories (+ figures when the surface changed) → assets/animation.js draws and animates
them in the browser.
"""

from __future__ import annotations

import functools
import json
from urllib.parse import parse_qs

import numpy as np
from dash import ALL, Input, Output, State, callback, clientside_callback, ctx, no_update
from dash.exceptions import PreventUpdate

from components import ids
from components.controls import run_cards, surface_params, surface_section, noise_section
from components.forms import RUN_OPTION_FIELDS, PageForm, RunForm, form_to_query, state_to_form
from components.views import notices, summary_table
from engine import simulate
from engine.config import MAX_RUNS
from figures import (
    Grid, RunStyle, contour_figure, loss_figure, panels_figure, run_label, surface3d_figure,
)
from figures.payload import internals_payload, trajectory_payload
from figures.scaling import height_offset, log_floor
from figures.summary import summarize
from landscapes import SURFACES
from landscapes.grid import surface_grid
from optimizers import OPTIMIZERS, SCHEDULES
from urlstate import PALETTE, AppState
from urlstate.codec import normalize, parse_query, to_query
from urlstate.presets import PRESET_STATES, PRESETS

# In the order assets/animation.js expects.
GRAPHS = (ids.GRAPH_CONTOUR, ids.GRAPH_3D, ids.GRAPH_LOSS, ids.GRAPH_PANELS, ids.GRAPH_INTERNALS)
CONTOUR_RESOLUTION = 120
PANEL_RESOLUTION = 60
SURFACE3D_RESOLUTION = 70


# ---------------------------------------------------------------- pure helpers


def read_runs(values_by_id: dict, flags_by_id: dict, schedules: dict[int, str]) -> list[RunForm]:
    """Run cards' current raw values from pattern-matched (run, optimizer, name) ids."""
    runs: dict[int, RunForm] = {}
    for source in (values_by_id, flags_by_id):
        for (run, optimizer, name), value in source.items():
            schedule = schedules.get(run)
            schedule = schedule if isinstance(schedule, str) and schedule in SCHEDULES else "constant"
            runs.setdefault(run, RunForm(optimizer, schedule)).values[name] = value
    return [runs[i] for i in sorted(runs)]


def _by_id(id_list: list[dict], values: list, keys: tuple[str, ...]) -> dict:
    return {tuple(i[k] for k in keys): v for i, v in zip(id_list, values)}


def restructure(runs: list[RunForm], action: str, index: int) -> list[RunForm]:
    """The run list after a duplicate, remove, up, down or add."""
    runs = list(runs)
    if action != "add" and not (isinstance(index, int) and 0 <= index < len(runs)):
        return runs
    if action == "add" and len(runs) < MAX_RUNS:
        runs.append(RunForm("adam", values={}))
    elif action == "duplicate" and len(runs) < MAX_RUNS:
        copy = RunForm(runs[index].optimizer, runs[index].schedule, dict(runs[index].values))
        copy.values.pop("color", None)
        runs.insert(index + 1, copy)
    elif action == "remove" and len(runs) > 1:
        runs.pop(index)
    elif action == "up" and index > 0:
        runs[index - 1], runs[index] = runs[index], runs[index - 1]
    elif action == "down" and index < len(runs) - 1:
        runs[index + 1], runs[index] = runs[index], runs[index + 1]
    return runs


def switch_choice(run: RunForm, name: str, value: str) -> RunForm:
    """A run with a new optimizer (its defaults) or schedule, keeping colour and the rest."""
    if not isinstance(value, str):
        return run
    if name == "optimizer" and value in OPTIMIZERS:
        shared = {*RUN_OPTION_FIELDS, "color"}
        shared |= {p.name for p in SCHEDULES[run.schedule].params}
        kept = {k: v for k, v in run.values.items() if k in shared}
        return RunForm(value, run.schedule, {**OPTIMIZERS[value].defaults(), **kept})
    if name == "schedule" and value in SCHEDULES:
        return RunForm(run.optimizer, value, {**SCHEDULES[value].defaults(), **run.values})
    return run


def figure_key(state: AppState) -> str:
    """What the figures' static part depends on (the paths are filled in the browser)."""
    sim = state.simulation
    return json.dumps([sim.surface, sim.surface_params, len(sim.runs)], sort_keys=True)


@functools.lru_cache(maxsize=64)
def figures_for(key: str) -> tuple:
    """Contour, 3D, loss, panel and internals figures for a `figure_key` (paths empty).

    Cached: a class opens the same links, and everything a figure_key leaves out (labels,
    colours, start, paths) is patched in by the browser.
    """
    name, params, count = json.loads(key)
    surface = SURFACES[name]
    styles = [RunStyle(f"run {i + 1}", PALETTE[i % len(PALETTE)]) for i in range(count)]
    grid = lambda resolution: Grid(*surface_grid(name, params, resolution))  # noqa: E731
    small = grid(PANEL_RESOLUTION)
    start = surface.default_start
    return (
        contour_figure(surface, params, grid(CONTOUR_RESOLUTION), styles, start),
        surface3d_figure(surface, params, grid(SURFACE3D_RESOLUTION), styles),
        loss_figure(surface, styles),
        panels_figure(surface, params, small, styles),
        contour_figure(surface, params, small, styles, start, colorbar=False),
    )


@functools.lru_cache(maxsize=256)
def colour_scale(surface: str, params: tuple[tuple[str, float], ...]) -> tuple[float, float]:
    """The log-scale offset and floor of a surface's contour grid, as the browser draws paths
    over it (cached: the grid costs more than a computation's trajectories)."""
    zs = surface_grid(surface, dict(params), CONTOUR_RESOLUTION)[2]
    offset = height_offset(zs, SURFACES[surface].min_value)
    return offset, log_floor(zs, offset)


def computation(state: AppState, with_internals: bool) -> dict:
    """Everything the page shows for a state (as parsed from a query string)."""
    sim = state.simulation
    trajectories = simulate(sim)
    labels = [run_label(r) for r in sim.runs]
    colors = [state.color(i) for i in range(len(sim.runs))]
    surface = SURFACES[sim.surface]
    offset, floor = colour_scale(sim.surface, tuple(sim.surface_params.items()))
    payload = trajectory_payload(sim, trajectories, labels, colors, offset, floor)
    payload["start"] = list(sim.start)
    payload["domain"] = [list(axis) for axis in surface.domain]
    return {
        "state": state,
        "payload": payload,
        "internals": internals_payload(trajectories) if with_internals else None,
        "summary": summary_table(labels, colors, summarize(sim, trajectories, state.tolerance), state.tolerance),
    }


# ---------------------------------------------------------------- callbacks


@callback(
    output=dict(
        surface=Output("surface-section", "children"),
        noise=Output("noise-section", "children"),
        runs=Output(ids.RUNS, "children"),
        notice=Output(ids.NOTICE, "children"),
        rendered=Output(ids.RENDERED_SURFACE, "data"),
        view=Output(ids.VIEW_TABS, "value"),
        shell=Output(ids.SHELL, "className"),
        caption=Output(ids.PRESET_CAPTION, "children"),
    ),
    inputs=dict(search=Input(ids.URL, "search"), preset=Input(ids.PRESET, "value")),
)
def load(search: str | None, preset: str | None) -> dict:
    """Render every control from the link (on page load) or from a chosen preset."""
    if ctx.triggered_id == ids.PRESET and isinstance(preset, str) and preset in PRESETS:
        state, problems = normalize(PRESETS[preset].state), ()  # presets leave defaults out
        caption = PRESETS[preset].caption
    else:
        query = search.lstrip("?") if isinstance(search, str) else ""
        state, problems = parse_query(query, PRESET_STATES)
        named = parse_qs(query).get("preset", [""])[-1]
        caption = PRESETS[named].caption if named in PRESETS else None
    form = state_to_form(state)
    return dict(
        surface=surface_section(form),
        noise=noise_section(form),
        runs=run_cards(form.runs),
        notice=notices([(n.field, n.message) for n in problems]),
        rendered=state.simulation.surface,
        view=state.view,
        shell="shell classroom" if state.classroom else "shell",
        caption=caption,
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


@callback(
    Output(ids.RUNS, "children", allow_duplicate=True),
    inputs=dict(
        add=Input(ids.ADD_RUN, "n_clicks"),
        actions=Input(ids.run_action(ALL, ALL), "n_clicks"),
        choices=Input(ids.run_choice(ALL, ALL), "value"),
    ),
    state=dict(
        values=State(ids.run_field(ALL, ALL, ALL), "value"),
        flags=State({"type": "run-field-flag", "run": ALL, "optimizer": ALL, "name": ALL}, "checked"),
    ),
    prevent_initial_call=True,
)
def edit_runs(add, actions, choices, values, flags):
    """Add, duplicate, remove, reorder runs, or switch a run's optimizer or schedule."""
    trigger = ctx.triggered_id
    if trigger is None:
        raise PreventUpdate
    inputs, states = ctx.inputs_list, ctx.states_list
    selected = _by_id([i["id"] for i in inputs[2]], choices, ("run", "name"))
    schedules = {run: value for (run, name), value in selected.items() if name == "schedule"}
    runs = read_runs(
        _by_id([s["id"] for s in states[0]], values, ("run", "optimizer", "name")),
        _by_id([s["id"] for s in states[1]], flags, ("run", "optimizer", "name")),
        schedules,
    )
    if trigger == ids.ADD_RUN:
        if not add:
            raise PreventUpdate
        return run_cards(_recolor(restructure(runs, "add", len(runs))))
    if trigger.get("type") == "run-action":
        clicked = _by_id([i["id"] for i in inputs[1]], actions, ("run", "action"))
        if not clicked.get((trigger["run"], trigger["action"])):
            raise PreventUpdate
        return run_cards(restructure(runs, trigger["action"], trigger["run"]))
    run, name = trigger["run"], trigger["name"]
    value = selected.get((run, name))
    if not 0 <= run < len(runs) or (name == "optimizer" and value == runs[run].optimizer):
        raise PreventUpdate
    runs[run] = switch_choice(runs[run], name, value)
    return run_cards(runs)


def _recolor(runs: list[RunForm]) -> list[RunForm]:
    """Give a new run the first palette colour no other run uses."""
    used = {str(r.values.get("color", "")).upper() for r in runs}
    free = [c for c in PALETTE if c.upper() not in used]
    if free and not runs[-1].values.get("color"):
        runs[-1].values["color"] = free[0]
    return runs


def read_controls(
    fields, field_flags, surface_values, run_values, run_flags, view, choices, shell
) -> tuple[AppState, tuple]:
    """The state the controls describe, through the URL grammar, and what it ignored.

    Reads the pattern-matching ids from `dash.ctx` (the arguments of `update`, in order).
    """
    inputs, states = ctx.inputs_list, ctx.states_list
    values = _by_id([i["id"] for i in inputs[0]], fields, ("name",))
    values.update(_by_id([i["id"] for i in inputs[1]], field_flags, ("name",)))
    values = {k[0]: v for k, v in values.items()}
    values["view"] = view
    values["classroom"] = "classroom" in str(shell or "").split()
    surface = values.pop("surface", None) or "sphere"
    params = {
        i["id"]["name"]: v
        for i, v in zip(inputs[2], surface_values)
        if i["id"]["surface"] == surface
    }
    selected = _by_id([s["id"] for s in states[0]], choices, ("run", "name"))
    runs = read_runs(
        _by_id([i["id"] for i in inputs[3]], run_values, ("run", "optimizer", "name")),
        _by_id([i["id"] for i in inputs[4]], run_flags, ("run", "optimizer", "name")),
        {run: value for (run, name), value in selected.items() if name == "schedule"},
    )
    return parse_query(form_to_query(PageForm(surface, params, values, runs)))


def outputs_for(state: AppState, query: str, key: str | None) -> dict:
    """Everything `update` sends for a state: trajectories, summary, its canonical `query`
    (`to_query(state)`) and exports, and the figures when their `figure_key` differs from
    `key` (the page's)."""
    result = computation(state, with_internals=state.view == "internals")
    new_key = figure_key(state)
    figures = figures_for(new_key) if new_key != key else (no_update,) * 5
    api = f"/api/trajectories?{query}"
    return dict(
        trajectories=result["payload"],
        internals=result["internals"],
        summary=result["summary"],
        sync=query,
        csv=f"{api}&format=csv",
        json_=api,
        key=new_key,
        contour=figures[0],
        surface3d=figures[1],
        loss=figures[2],
        panels=figures[3],
        internals_graph=figures[4],
    )


UPDATE_OUTPUTS = dict(
    trajectories=Output(ids.TRAJECTORIES, "data"),
    internals=Output(ids.INTERNALS, "data"),
    summary=Output(ids.SUMMARY, "children"),
    sync=Output(ids.QUERY_SYNC, "data"),
    csv=Output(ids.EXPORT_CSV, "href"),
    json_=Output(ids.EXPORT_JSON, "href"),
    key=Output(ids.FIGURE_KEY, "data"),
    contour=Output(ids.GRAPH_CONTOUR, "figure"),
    surface3d=Output(ids.GRAPH_3D, "figure"),
    loss=Output(ids.GRAPH_LOSS, "figure"),
    panels=Output(ids.GRAPH_PANELS, "figure"),
    internals_graph=Output(ids.GRAPH_INTERNALS, "figure"),
    notice=Output(ids.INPUT_NOTICE, "children"),
)


@callback(
    output=UPDATE_OUTPUTS,
    inputs=dict(
        fields=Input(ids.field(ALL), "value"),
        field_flags=Input(ids.field_flag(ALL), "checked"),
        surface_values=Input(ids.surface_param(ALL, ALL), "value"),
        run_values=Input(ids.run_field(ALL, ALL, ALL), "value"),
        run_flags=Input({"type": "run-field-flag", "run": ALL, "optimizer": ALL, "name": ALL}, "checked"),
        view=Input(ids.VIEW_TABS, "value"),
    ),
    state=dict(
        choices=State(ids.run_choice(ALL, ALL), "value"),
        shell=State(ids.SHELL, "className"),
        shown=State(ids.QUERY_SYNC, "data"),
        key=State(ids.FIGURE_KEY, "data"),
    ),
    prevent_initial_call=True,
)
def update(fields, field_flags, surface_values, run_values, run_flags, view, choices, shell, shown, key):
    """Any control changed: compute what the page shows, unless the canonical query is the
    one shown (e.g. "0.10" typed for 0.1); either way, name each ignored value.

    One request per change: reading the controls and computing are one callback.
    """
    if not fields:
        raise PreventUpdate
    state, problems = read_controls(
        fields, field_flags, surface_values, run_values, run_flags, view, choices, shell
    )
    query = to_query(state)  # canonical: what is synced and exported is always valid
    notice = notices([(n.field, n.message) for n in problems])
    if query == shown:
        return {**{name: no_update for name in UPDATE_OUTPUTS}, "notice": notice}
    return {**outputs_for(state, query, key), "notice": notice}


@callback(
    Output(ids.field("start_x"), "value", allow_duplicate=True),
    Output(ids.field("start_y"), "value", allow_duplicate=True),
    Input(ids.GRAPH_CONTOUR, "clickData"),
    prevent_initial_call=True,
)
def click_start(click: dict | None):
    """Clicking the contour moves the start point there."""
    try:
        point = click["points"][0]
        x, y = float(point["x"]), float(point["y"])
    except (TypeError, KeyError, IndexError, ValueError, OverflowError):
        raise PreventUpdate from None
    if not (np.isfinite(x) and np.isfinite(y)):
        raise PreventUpdate
    return f"{x:.4g}", f"{y:.4g}"


clientside_callback(
    "function(data, internals, key, ...figures) {"
    " return window.optiscape.draw(data, internals, figures); }",
    *[Output(g, "figure", allow_duplicate=True) for g in GRAPHS],
    Input(ids.TRAJECTORIES, "data"),
    Input(ids.INTERNALS, "data"),
    Input(ids.FIGURE_KEY, "data"),
    *[State(g, "figure") for g in GRAPHS],
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

