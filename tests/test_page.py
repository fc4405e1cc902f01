"""The page's server callbacks, called directly with the context Dash would give them:
what each renders or computes, and the notices it shows for ignored values."""

from __future__ import annotations

import numpy as np
import pytest
from dash import html, no_update
from dash.exceptions import PreventUpdate
import orjson
import plotly.graph_objects as go

import inspect
import json

from dash import ctx

from components import ids, page, run_card
from computation import GRAPHS, figure_key
from figures.registry import VIEWS
from dash_context import Prop, call, controls, dash_context, json_safe, walk, walk_plain
from engine.config import MAX_RUNS
from optimizers import OPTIMIZERS, SCHEDULES
from urlstate import PALETTE
from urlstate.codec import parse_query, to_query
from urlstate.presets import PRESETS

RICH = (
    "v=1&surface=rosenbrock(b=50)&start=-1,2&steps=300&run=sgd(lr=0.002)"
    "&run=adam(lr=0.02,schedule=cosine,T_0=50,warmup=5,clip_norm=2,color=112233)"
    "&batch=8&sigma=0.5&seed=3&tol=0.001&view=panels&classroom=1"
)
GARBAGE = "v=1&steps=abc&run=nosuch(lr=1)&surface=banana(k=2)&view=globe&what=1"


# --- helpers -----------------------------------------------------------------------------


def load(search: str | None = None, preset: str | None = None, by_preset: bool = False) -> dict:
    """`page.load` triggered by the URL (page load) or by the preset select."""
    inputs = [Prop(ids.URL, "search", search), Prop(ids.PRESET, "value", preset)]
    return call(page.load, inputs, trigger=inputs[1] if by_preset else inputs[0])


def panel(rendered: dict) -> list:
    """The control panel `load` rendered (surface, noise and run sections)."""
    return [rendered["surface"], rendered["noise"], rendered["runs"]]


def named(props: list[Prop], *keys: str) -> dict:
    """Props' values by the id keys `keys` (one key: by that value; several: by tuple)."""
    pick = (lambda i: i[keys[0]]) if len(keys) == 1 else (lambda i: tuple(i[k] for k in keys))
    return {pick(p.id): p.value for p in props}


def setting(props: list[Prop], value, **match) -> list[Prop]:
    """`props` with `value` in the one whose id has every key of `match`."""
    hits = [p for p in props if all(p.id.get(k) == v for k, v in match.items())]
    assert len(hits) == 1, match
    return [p.set(value) if p in hits else p for p in props]


def update_args(
    tree, view="contour", shell="shell", shown=None, key=None, preset=None, **changes
) -> tuple:
    """`page.update`'s inputs and states for the controls in `tree` (`changes`: id type →
    props to use instead; `shown`, `key`: the query and figure key the page shows)."""
    found = {**controls(tree), **changes}
    inputs = [
        found["field"],
        found.get("field-flag", []),
        found.get("surface-param", []),
        found["run-field"],
        found.get("run-field-flag", []),
        Prop(ids.VIEW_TABS, "value", view),
        Prop(ids.SHELL, "className", shell),
        Prop(ids.PRESET, "value", preset),
    ]
    states = [
        found["run-choice"],
        Prop(ids.QUERY_SYNC, "data", shown),
        Prop(ids.FIGURE_KEY, "data", key),
        Prop(ids.PLAYBACK, "data", None),
    ]
    return inputs, states, inputs[0][0]


def collect(
    tree, view: str = "contour", shell: str = "shell", preset=None, shown=None, **changes
) -> tuple[str, object]:
    """The canonical query and the notices `page.update` reads off the controls in `tree`."""
    inputs, states, trigger = update_args(tree, view, shell, preset=preset, shown=shown, **changes)
    names = list(inspect.signature(page.update).parameters)
    with dash_context(inputs, states, trigger, names):
        state, problems = page.read_controls(ctx.args_grouping, preset, shown)
    return to_query(state), problems


def update(tree, **args) -> dict:
    """`page.update` on the controls in `tree` (see `update_args`)."""
    return call(page.update, *update_args(tree, **args))


def edit(cards, add=None, action: tuple | None = None, choice: tuple | None = None):
    """`page.edit_runs` on `cards` after clicking add, `action` (run, name), or picking
    `choice` (run, name, value)."""
    found = controls(cards)
    actions, choices = found["run-action"], found["run-choice"]
    trigger = add_prop = Prop(run_card.ADD_RUN, "n_clicks", add)
    if action:
        actions = setting(actions, 1, run=action[0], action=action[1])
        trigger = next(p for p in actions if p.id == run_card.action(*action))
    if choice:
        choices = setting(choices, choice[2], run=choice[0], name=choice[1])
        trigger = next(p for p in choices if p.id == run_card.choice(*choice[:2]))
    states = [found["run-field"], found.get("run-field-flag", [])]
    return call(run_card.edit_runs, [add_prop, actions, choices], states, trigger=trigger)


def runs_of(cards) -> list[tuple[str, str]]:
    """(optimizer, schedule) per card, in order."""
    choices = named(controls(cards)["run-choice"], "run", "name")
    count = len(choices) // 2
    return [(choices[i, "optimizer"], choices[i, "schedule"]) for i in range(count)]


def values_of(cards, run: int) -> dict:
    """Card `run`'s field values by name."""
    return {p.id["name"]: p.value for p in controls(cards)["run-field"] if p.id["run"] == run}


def notice_fields(notices) -> list[str]:
    """The paths (as links name them) of what was replaced."""
    return [n.field for n in notices]


def notice_labels(notice) -> list[str]:
    """The controls a rendered notice names (its <strong> items)."""
    return [c.children for c in walk(notice) if isinstance(c, html.Strong)]


def default_cards() -> list:
    return load("")["runs"]


# --- load --------------------------------------------------------------------------------


def test_load_from_a_good_link_shows_its_values():
    rendered = load("?" + RICH)
    assert rendered["notice"] is None and rendered["preset"] is None
    assert (rendered["rendered"], rendered["view"], rendered["shell"]) == (
        "rosenbrock", "panels", "shell classroom",
    )
    found = controls(panel(rendered))
    fields = named(found["field"], "name")
    assert fields["surface"] == "rosenbrock"
    assert {k: float(fields[k]) for k in ("start_x", "start_y", "steps", "batch", "sigma", "seed", "tol")} == {
        "start_x": -1, "start_y": 2, "steps": 300, "batch": 8, "sigma": 0.5, "seed": 3, "tol": 0.001,
    }
    assert named(found["field-flag"], "name") == {"minibatch": True}
    assert {k: float(v) for k, v in named(found["surface-param"], "name").items()} == {"a": 1, "b": 50}
    assert runs_of(rendered["runs"]) == [("sgd", "constant"), ("adam", "cosine")]
    adam = values_of(rendered["runs"], 1)
    assert float(adam["lr"]) == 0.02 and float(adam["T_0"]) == 50
    assert (float(adam["warmup"]), float(adam["clip_norm"]), adam["clip_value"]) == (5, 2, "")
    assert (adam["color"], values_of(rendered["runs"], 0)["color"]) == ("#112233", PALETTE[0])
    json_safe(rendered)


def test_load_from_a_garbage_link_shows_defaults_and_names_what_was_ignored():
    rendered, default = load("?" + GARBAGE), load("")
    assert default["notice"] is None
    assert set(notice_labels(rendered["notice"])) >= {
        "steps", "Run 1 · optimizer", "Loss surface", "view", "what",
    }
    assert controls(panel(rendered)) == controls(panel(default))
    assert (rendered["rendered"], rendered["view"]) == (default["rendered"], default["view"])
    json_safe(rendered)


@pytest.mark.parametrize("name", ["newton_saddle", "adaptive_four_way_noisy"])
def test_load_from_a_preset(name: str):
    preset = PRESETS[name]
    chosen = load("?" + RICH, name, by_preset=True)
    linked = load(f"?v=1&preset={name}")
    assert chosen["preset"] == linked["preset"] == name
    assert chosen["notice"] is None and linked["notice"] is None
    expected = [(r.optimizer, r.schedule) for r in preset.state.simulation.runs]
    assert runs_of(chosen["runs"]) == runs_of(linked["runs"]) == expected
    assert chosen["rendered"] == preset.state.simulation.surface
    assert controls(panel(chosen)) == controls(panel(linked))


def test_an_unknown_or_cleared_preset_from_the_select_changes_nothing():
    for value in ("no-such-preset", None):
        with pytest.raises(PreventUpdate):
            load("?" + RICH, value, by_preset=True)
    rendered = load("?" + RICH)
    assert rendered["preset"] is None and rendered["rendered"] == "rosenbrock"


# --- collect -----------------------------------------------------------------------------


ROUND_TRIP = ["", RICH.replace("&classroom=1", ""), *(f"v=1&preset={name}" for name in PRESETS)]


@pytest.mark.parametrize("query", ROUND_TRIP)
def test_collect_turns_the_controls_back_into_the_canonical_query(query: str):
    state, _ = parse_query(query)
    rendered = load("?" + query)
    collected, notice = collect(
        panel(rendered), view=state.view, shell=rendered["shell"], preset=rendered["preset"]
    )
    assert notice == ()
    assert collected == to_query(state)
    assert parse_query(collected) == (state, ())


def test_run_batch_sizes_show_in_their_cards_and_survive_edits():
    query = "v=1&surface=sphere&run=sgd(batch=full)&run=sgd(batch=16)&run=sgd&sigma=2"
    rendered = load("?" + query)
    assert [values_of(rendered["runs"], i)["batch"] for i in range(3)] == ["full", "16", ""]
    collected, notice = collect(panel(rendered))
    assert notice == () and collected == to_query(parse_query(query)[0])  # σ kept, page full
    switched = edit(rendered["runs"], choice=(1, "optimizer", "adam"))
    assert values_of(switched, 1)["batch"] == "16"
    copied = edit(rendered["runs"], action=(0, "duplicate"))
    assert [values_of(copied, i)["batch"] for i in range(4)] == ["full", "full", "16", ""]


def test_collect_keeps_classroom_mode():
    rendered = load("?v=1&classroom=1")
    collected, _ = collect(panel(rendered), shell=rendered["shell"])
    assert parse_query(collected)[0].classroom
    assert not parse_query(collect(panel(load("?v=1")))[0])[0].classroom


BASE = parse_query("")[0]
LR_DEFAULT = OPTIMIZERS["sgd"].defaults()["lr"]


@pytest.mark.parametrize(
    "type_, match, text, field, read, default",
    [
        ("run-field", {"run": 0, "name": "lr"}, "abc", "runs[0].lr", lambda s: s.runs[0].hyper["lr"], LR_DEFAULT),
        ("run-field", {"run": 0, "name": "lr"}, "50", "runs[0].lr", lambda s: s.runs[0].hyper["lr"], LR_DEFAULT),
        ("field", {"name": "steps"}, "99999", "steps", lambda s: s.steps, BASE.simulation.steps),
        ("field", {"name": "start_x"}, "nan", "start.x", lambda s: s.start, (-1.8, 0.6)),
        ("field", {"name": "sigma"}, "-1", "noise.sigma", lambda s: s.noise.sigma, BASE.simulation.noise.sigma),
        ("field", {"name": "batch"}, "1.5", "noise.batch_size", lambda s: s.noise.batch_size, None),
        ("run-field", {"run": 1, "name": "batch"}, "half", "runs[1].batch_size", lambda s: s.runs[1].batch_size, None),
        (
            "surface-param", {"name": "kappa"}, "1e999", "surface_params.kappa",
            lambda s: s.surface_params["kappa"], 20.0,
        ),
    ],
)
def test_an_invalid_typed_value_is_named_and_keeps_the_value_shown(
    type_, match, text, field, read, default
):
    link = "v=1&batch=4&sigma=2&run=sgd(lr=0.03)&run=sgd(batch=8)&surface=canyon(kappa=30)&steps=77&start=1,1"
    tree = panel(load("?" + link))
    shown = parse_query(link)[0]
    edited = {type_: setting(controls(tree)[type_], text, **match)}
    query, notices = collect(tree, shown=to_query(shown), **edited)
    assert notice_fields(notices) == [field]
    assert read(parse_query(query)[0].simulation) == read(shown.simulation)  # the previous value
    assert "kept" in notices[0].message
    _, fresh = collect(tree, **edited)  # nothing shown yet: the registry's or page's default
    assert read(parse_query(collect(tree, **edited)[0])[0].simulation) == default
    json_safe(page.notices(notices))


def test_an_invalid_tolerance_is_named_and_replaced_by_its_default():
    tree = panel(load("?v=1&tol=0.01"))
    query, notices = collect(tree, field=setting(controls(tree)["field"], "0", name="tol"))
    assert notice_fields(notices) == ["tol"]
    assert parse_query(query)[0].tolerance == BASE.tolerance


def test_update_without_fields_does_nothing():
    inputs = [
        [], [], [], [], [], Prop(ids.VIEW_TABS, "value", "contour"),
        Prop(ids.SHELL, "className", "shell"), Prop(ids.PRESET, "value", None),
    ]
    states = [
        [], Prop(ids.QUERY_SYNC, "data", None), Prop(ids.FIGURE_KEY, "data", None),
        Prop(ids.PLAYBACK, "data", None),
    ]
    with pytest.raises(PreventUpdate):
        call(page.update, inputs, states)


def test_update_computes_what_the_controls_describe():
    tree = panel(load("?v=1&surface=rosenbrock&steps=60&run=sgd(lr=0.001)&run=adam"))
    tree_with_typo = setting(controls(tree)["run-field"], "0.002x", run=0, name="lr")
    out = update(tree, **{"run-field": tree_with_typo})
    query, notices = collect(tree, **{"run-field": tree_with_typo})
    assert out["sync"] == query and notice_fields(notices) == ["runs[0].lr"]
    assert notice_labels(out["notice"]) == ["Run 1 · learning rate η"]
    marks = dict(zip([(p.id["run"], p.id["name"]) for p in tree_with_typo], out["run_errors"]))
    assert marks[(0, "lr")] and all(m is None for k, m in marks.items() if k != (0, "lr"))
    assert [run["label"].split()[0] for run in out["trajectories"]["runs"]] == ["Gradient", "Adam"]
    assert out["trajectories"]["steps"] == 60 and go.Figure(out["figures"][0]).data
    json_safe(out)


def test_update_sends_only_the_notice_while_the_canonical_query_is_the_one_shown():
    tree = panel(load("?v=1&surface=rosenbrock&steps=60&run=sgd(lr=0.001)"))
    first = update(tree)
    typed = setting(controls(tree)["run-field"], "0.0010", run=0, name="lr")  # the same number
    again = update(tree, shown=first["sync"], key=first["key"], **{"run-field": typed})
    assert again["notice"] is None
    marks = ("notice", "field_errors", "run_errors", "surface_errors", "figures")
    assert all(again[name] is no_update for name in page.UPDATE_OUTPUTS if name not in marks)
    assert all(f is no_update for f in again["figures"])
    changed = setting(controls(tree)["run-field"], "0.002", run=0, name="lr")
    after = update(tree, shown=first["sync"], key=first["key"], **{"run-field": changed})
    assert after["sync"] == first["sync"].replace("0.001", "0.002")
    assert all(f is no_update for f in after["figures"])  # same surface and run count: figures kept


# --- edit_runs ---------------------------------------------------------------------------

DEFAULT_RUNS = [("sgd", "constant"), ("momentum", "constant"), ("adam", "constant")]


def test_default_cards():
    assert runs_of(default_cards()) == DEFAULT_RUNS


def test_add_appends_adam_with_a_free_colour():
    cards = edit(default_cards(), add=1)
    assert runs_of(cards) == DEFAULT_RUNS + [("adam", "constant")]
    assert values_of(cards, 3)["color"] == PALETTE[3]
    assert float(values_of(cards, 3)["lr"]) == OPTIMIZERS["adam"].defaults()["lr"]


def test_duplicate_copies_the_settings_but_not_the_colour():
    cards = edit(default_cards(), action=(1, "duplicate"))
    assert runs_of(cards) == [DEFAULT_RUNS[0], DEFAULT_RUNS[1], DEFAULT_RUNS[1], DEFAULT_RUNS[2]]
    original, copy = values_of(cards, 1), values_of(cards, 2)
    assert {k: v for k, v in copy.items() if k != "color"} == {
        k: v for k, v in original.items() if k != "color"
    }
    assert copy["color"] == PALETTE[2]


@pytest.mark.parametrize(
    "action, order",
    [
        ((0, "remove"), [1, 2]),
        ((2, "up"), [0, 2, 1]),
        ((0, "down"), [1, 0, 2]),
        ((0, "up"), [0, 1, 2]),
        ((2, "down"), [0, 1, 2]),
    ],
)
def test_remove_and_reorder(action: tuple, order: list[int]):
    before = default_cards()
    cards = edit(before, action=action)
    assert runs_of(cards) == [DEFAULT_RUNS[i] for i in order]
    assert [values_of(cards, i)["lr"] for i in range(len(order))] == [
        values_of(before, i)["lr"] for i in order
    ]


def test_switching_the_optimizer_uses_its_defaults_and_keeps_the_colour():
    cards = edit(default_cards(), choice=(0, "optimizer", "adam"))
    assert runs_of(cards) == [("adam", "constant")] + DEFAULT_RUNS[1:]
    values = values_of(cards, 0)
    assert float(values["lr"]) == OPTIMIZERS["adam"].defaults()["lr"]
    assert values["color"] == PALETTE[0]
    assert {p.id["optimizer"] for p in controls(cards)["run-field"] if p.id["run"] == 0} == {"adam"}


def test_switching_the_schedule_adds_its_parameters_and_keeps_the_rest():
    before = default_cards()
    cards = edit(before, choice=(1, "schedule", "cosine"))
    assert runs_of(cards)[1] == ("momentum", "cosine")
    values = values_of(cards, 1)
    for p in SCHEDULES["cosine"].params:
        assert float(values[p.name]) == p.default
    assert values["lr"] == values_of(before, 1)["lr"]


@pytest.mark.parametrize(
    "kwargs", [{"add": None}, {"action": (1, "remove")}, {"choice": (0, "optimizer", "sgd")}]
)
def test_no_change_does_nothing(kwargs: dict):
    cards = default_cards()
    if "action" in kwargs:  # re-rendered buttons report n_clicks None: not a click
        found = controls(cards)
        trigger = next(p for p in found["run-action"] if p.id == run_card.action(1, "remove"))
        inputs = [Prop(run_card.ADD_RUN, "n_clicks", None), found["run-action"], found["run-choice"]]
        states = [found["run-field"], found.get("run-field-flag", [])]
        with pytest.raises(PreventUpdate):
            call(run_card.edit_runs, inputs, states, trigger=trigger)
        return
    with pytest.raises(PreventUpdate):
        edit(cards, **kwargs)


def test_runs_stay_between_one_and_the_cap():
    full = load("?v=1&" + "&".join(["run=sgd"] * MAX_RUNS))["runs"]
    assert len(runs_of(full)) == MAX_RUNS
    assert len(runs_of(edit(full, add=1))) == MAX_RUNS
    assert len(runs_of(edit(full, action=(3, "duplicate")))) == MAX_RUNS
    single = load("?v=1&run=adam")["runs"]
    assert runs_of(edit(single, action=(0, "remove"))) == [("adam", "constant")]


# --- compute -----------------------------------------------------------------------------


def compute(query: str, key: str | None = None) -> dict:
    """What `page.update` sends for the state `query` describes (`key`: the page's)."""
    state, _ = parse_query(query)
    out = page.outputs_for(state, to_query(state), key, None)
    return {**out, **dict(zip(FIGURES, out["figures"]))}


FIGURES = tuple(f"figure-{g.name}" for g in GRAPHS)
CONTOUR_FIGURES = tuple(f"figure-{g.name}" for g in VIEWS["contour"].graphs)  # the default view's


def test_compute_returns_every_run_summary_and_exports():
    query = "v=1&surface=rosenbrock&steps=60&run=sgd(lr=0.001)&run=sgd(lr=10)&run=adam"
    state, _ = parse_query(query)
    out = compute(query)
    runs = out["trajectories"]["runs"]
    assert len(runs) == 3 and out["trajectories"]["steps"] == 60
    assert [len(r["x"]) for r in runs[::2]] == [61, 61]
    assert runs[1]["diverged_at"] is not None and len(runs[1]["x"]) < 61
    assert out["trajectories"]["start"] == list(state.simulation.start)
    rows = [c for c in walk_plain(out["summary"]) if c["type"] == "TableTr"]
    assert len(rows) == 1 + 3
    assert out["sync"] == query and out["json_"] == f"/api/trajectories?{query}"
    assert out["csv"] == f"/api/trajectories?{query}&format=csv"
    assert json.loads(out["key"]) == [figure_key(state), ["contour"]] and out["internals"] is None
    shown = {f"figure-{g.name}" for g in VIEWS["contour"].graphs}
    assert all(go.Figure(out[name]).data for name in shown)  # the view's figures, with traces
    assert all(out[name] is no_update for name in set(FIGURES) - shown)  # no other view's
    json_safe({k: v for k, v in out.items() if v is not no_update and k != "figures"})


def test_each_views_figures_are_sent_once_per_figure_key():
    query = "v=1&surface=rosenbrock&steps=60&run=sgd(lr=0.001)&run=adam"
    first = compute(query)
    again = compute(query, first["key"])
    assert all(f is no_update for f in again["figures"]) and again["key"] == first["key"]
    other = compute(query + "&view=surface3d", first["key"])
    sent = [g.name for g, f in zip(GRAPHS, other["figures"]) if f is not no_update]
    assert sent == ["3d"] and go.Figure(other["figure-3d"]).data
    assert json.loads(other["key"])[1] == ["contour", "surface3d"]
    moved = compute(query.replace("rosenbrock", "himmelblau") + "&view=surface3d", other["key"])
    assert json.loads(moved["key"])[1] == ["surface3d"]  # a new surface: only this view again
    assert go.Figure(moved["figure-3d"]).data


def test_compute_responses_are_plain_data_that_orjson_encodes_directly():
    """Dash walks a whole response in Python when orjson refuses any part of it."""
    query = "v=1&surface=rosenbrock&steps=60&run=sgd(lr=0.001)&run=adam&view=internals"
    for key in (None, "stale"):
        out = page.outputs_for(parse_query(query)[0], query, key, None)
        out = {k: v for k, v in out.items() if v is not no_update}
        out["figures"] = [f for f in out["figures"] if f is not no_update]
        orjson.dumps(out, option=orjson.OPT_SERIALIZE_NUMPY)


def test_compute_rebuilds_figures_only_when_the_key_changes():
    query = "v=1&surface=rosenbrock&steps=60&run=sgd(lr=0.001)"
    first = compute(query)
    same = compute(query.replace("0.001", "0.002"), first["key"])
    assert all(same[name] is no_update for name in FIGURES)
    assert same["key"] == first["key"]
    assert not np.array_equal(same["trajectories"]["runs"][0]["x"], first["trajectories"]["runs"][0]["x"])
    for changed in (
        query.replace("rosenbrock", "rosenbrock(b=50)"),
        query + "&run=sgd",
        query.replace("rosenbrock", "sphere"),
    ):
        again = compute(changed, first["key"])
        assert again["key"] != first["key"]
        assert all(go.Figure(again[name]).data for name in CONTOUR_FIGURES)


def test_compute_sends_internals_for_the_internals_view():
    out = compute("v=1&surface=rosenbrock&steps=60&run=sgd(lr=0.001)&run=adam&view=internals")
    assert len(out["internals"]) == 2
    assert len(out["internals"][0]["update"]) == 60
    json_safe(out)


# --- click_start and change_surface ------------------------------------------------------


def click(data) -> tuple[str, str]:
    prop = Prop(ids.GRAPH_CONTOUR, "clickData", data)
    drag = Prop(ids.GRAPH_CONTOUR, "relayoutData", None)
    return call(page.move_start, [prop, drag], trigger=prop)


def drag(data) -> tuple[str, str]:
    prop = Prop(ids.GRAPH_CONTOUR, "relayoutData", data)
    return call(page.move_start, [Prop(ids.GRAPH_CONTOUR, "clickData", None), prop], trigger=prop)


def test_dragging_the_start_marker_moves_the_start():
    corners = {"shapes[0].x0": 0.4, "shapes[0].x1": 0.6, "shapes[0].y0": -1.3, "shapes[0].y1": -1.2}
    assert drag(corners) == ("0.5", "-1.25")
    for junk in (None, {}, {"xaxis.range[0]": 1}, {"shapes[0].x0": "a"}):
        with pytest.raises(PreventUpdate):
            drag(junk)


def test_clicking_the_contour_moves_the_start():
    assert click({"points": [{"x": 0.5, "y": -1.25, "curveNumber": 0}]}) == ("0.5", "-1.25")
    assert click({"points": [{"x": "1.234567", "y": 2}]}) == ("1.235", "2")


@pytest.mark.parametrize(
    "data",
    [
        None, {}, [], "x", {"points": []}, {"points": None}, {"points": [{"x": 1}]},
        {"points": [{"x": "a", "y": 1}]}, {"points": [{"x": float("nan"), "y": 0}]},
        {"points": [{"x": "inf", "y": 0}]}, {"points": [{"x": [1], "y": 0}]},
    ],
)
def test_garbage_click_data_does_nothing(data):
    with pytest.raises(PreventUpdate):
        click(data)


def change_surface(name, rendered):
    inputs = [Prop(ids.field("surface"), "value", name)]
    return call(page.change_surface, inputs, [Prop(ids.RENDERED_SURFACE, "data", rendered)], inputs[0])


def test_changing_the_surface_resets_its_parameters_and_start():
    params, x, y, rendered = change_surface("rosenbrock", "canyon")
    assert (x, y, rendered) == ("-1.5", "2.0", "rosenbrock")
    shown = {p.id["name"]: float(p.value) for p in controls(params)["surface-param"]}
    assert shown == {"a": 1.0, "b": 100.0}
    assert {p.id["surface"] for p in controls(params)["surface-param"]} == {"rosenbrock"}
    json_safe((params, x, y, rendered))


@pytest.mark.parametrize("name, rendered", [("canyon", "canyon"), ("banana", "canyon"), (None, "canyon")])
def test_no_surface_change_does_nothing(name, rendered):
    with pytest.raises(PreventUpdate):
        change_surface(name, rendered)
