"""Arbitrary and hostile input at every page callback, the URL decoder and the JSON API.

Properties: nothing but `PreventUpdate` escapes a callback; every output is JSON that plotly's
encoder writes with no NaN or Infinity hidden in it; an invalid value is named in a notice
or replaced; work is bounded by the caps, and what exceeds them is refused before any work.
Strategies that reach the engine stay on one surface and optimizer (one compiled structure).
"""

from __future__ import annotations

import functools
import json
import math
import time
import urllib.parse

import pytest
from dash.exceptions import PreventUpdate
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from components import ids, page, run_card
from components.forms import _raw as form_raw
from dash_context import Prop, call, controls, json_safe
from engine.config import MAX_RUNS, MAX_STEPS
from landscapes import SURFACES
from optimizers import OPTIMIZERS, SCHEDULES
from security import MAX_QUERY_STRING
from test_codec import any_text
from test_page import collect, edit, load, notice_fields, panel, update_args
from urlstate.codec import MAX_ITEMS, MAX_QUERY_LENGTH, MAX_VALUE_LENGTH, parse_query, to_query
from urlstate.presets import PRESETS

SOME = settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
FEW = settings(max_examples=8, deadline=None, suppress_health_check=list(HealthCheck))
BASE = parse_query("")[0]
FAST = "v=1&surface=rosenbrock&steps=40"  # one structure (rosenbrock, sgd, 100-step bucket)

# --- strategies --------------------------------------------------------------------------

NUMBER_TEXT = ("nan", "NaN", "inf", "-Infinity", "1e999", "-1e999", "1e-999", "-0", "", " 1 ",
               "0x10", "1_000", "١٢٣", "1e308", "4.9e-324", "true", "1,2", "(", "=")
scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.sampled_from([10**400, -(10**400), 2**63])
    | st.floats()
    | st.sampled_from(NUMBER_TEXT)
    | st.text(max_size=12)
)
junk = st.recursive(
    scalars, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3),
    max_leaves=6,
)
names = st.sampled_from(sorted(SURFACES)) | st.sampled_from(sorted(OPTIMIZERS)) | junk


def survives(callback, inputs, states=(), trigger: Prop | None = None):
    """The callback's output, JSON-checked; None when it declined with PreventUpdate."""
    try:
        output = call(callback, inputs, states, trigger)
    except PreventUpdate:
        return None
    json_safe(output)
    return output


@pytest.fixture(scope="module", autouse=True)
def warm():
    """Compile the default page's and the fast query's structures once, up front."""
    compute(FAST + "&run=sgd")
    compute("")


# --- load, change_surface, click_start ---------------------------------------------------


@SOME
@given(search=junk | any_text, preset=names | st.sampled_from(sorted(PRESETS)), by_preset=st.booleans())
@example(search="\ud800", preset="ackley", by_preset=False)  # a lone surrogate
def test_load_renders_valid_controls_whatever_the_link(search, preset, by_preset):
    inputs = [Prop(ids.URL, "search", search), Prop(ids.PRESET, "value", preset)]
    rendered = survives(page.load, inputs, trigger=inputs[by_preset])
    if by_preset and not (isinstance(preset, str) and preset in PRESETS):  # cleared, unknown
        assert rendered is None
        return
    assert rendered is not None
    query, notice = collect(panel(rendered), view=rendered["view"], shell=rendered["shell"])
    assert notice == ()  # what the page shows is always valid as it stands
    assert parse_query(query) == (parse_query(query)[0], ())


@SOME
@given(name=names, rendered=names)
def test_change_surface_takes_only_known_surfaces(name, rendered):
    inputs = [Prop(ids.field("surface"), "value", name)]
    output = survives(page.change_surface, inputs, [Prop(ids.RENDERED_SURFACE, "data", rendered)], inputs[0])
    if output is not None:
        _, x, y, shown = output
        assert shown == name and name in SURFACES and name != rendered
        assert (float(x), float(y)) == tuple(SURFACES[name].default_start)


points = st.fixed_dictionaries({"x": junk, "y": junk}) | junk
clicks = st.fixed_dictionaries({"points": st.lists(points, max_size=2) | junk}) | junk


@SOME
@given(clicks)
def test_click_start_gives_finite_coordinates_or_nothing(data):
    prop = Prop(ids.GRAPH_CONTOUR, "clickData", data)
    output = survives(page.move_start, [prop, Prop(ids.GRAPH_CONTOUR, "relayoutData", data)], trigger=prop)
    if output is not None:
        assert all(math.isfinite(float(v)) for v in output)


# --- collect -----------------------------------------------------------------------------

DEFAULT_PANEL = panel(load("?v=1&batch=8"))
# Where each typed value lands in the state, and the notice field that names it.
WATCHED = {
    ("field", "start_x"): ("start", lambda s: s.simulation.start[0]),
    ("field", "start_y"): ("start", lambda s: s.simulation.start[1]),
    ("field", "steps"): ("steps", lambda s: s.simulation.steps),
    ("field", "sigma"): ("noise.sigma", lambda s: s.simulation.noise.sigma),
    ("field", "tol"): ("tol", lambda s: s.tolerance),
    ("surface-param", "kappa"): ("surface_params.kappa", lambda s: s.simulation.surface_params["kappa"]),
    ("run-field", "lr"): ("runs[0].lr", lambda s: s.simulation.runs[0].hyper["lr"]),
}


def _accepted(text: str, value) -> bool:
    """Whether the state holds what `text` says (as the codec reads a number)."""
    try:
        return float(text) == value
    except ValueError:
        return False


@SOME
@given(st.data())
def test_collect_names_or_accepts_every_typed_value(data):
    found = controls(DEFAULT_PANEL)
    changed = {}
    for type_, props in found.items():
        if type_ == "run-action":
            continue
        replaced = []
        for prop in props:
            if data.draw(st.integers(0, 5)) == 0:
                prop = prop.set(data.draw(junk | st.sampled_from(NUMBER_TEXT), label=str(prop.id)))
                if prop.id.get("run", 0) == 0:
                    changed[type_, prop.id["name"]] = prop.value
            replaced.append(prop)
        found[type_] = replaced
    view = data.draw(junk | st.just("panels"))
    changes = {k: v for k, v in found.items() if k != "run-choice"}
    try:
        with_choices = {**changes, "run-choice": found["run-choice"]}
        query, notice = collect(DEFAULT_PANEL, view=view, **with_choices)
    except PreventUpdate:
        return
    json_safe((query, page.notices(notice)))
    state, problems = parse_query(query)
    assert problems == () and to_query(state) == query
    named = notice_fields(notice)
    minibatch = changed.get(("field-flag", "minibatch"), True)
    for key, value in changed.items():
        surface_changed = key[0] == "surface-param" and ("field", "surface") in changed
        if key not in WATCHED or surface_changed or (key[1] == "sigma" and not minibatch):
            continue
        field, read = WATCHED[key]
        text = str(form_raw(value))
        if text in ("", "None") or any(n.startswith(field) for n in named) or _accepted(text, read(state)):
            continue
        raise AssertionError(f"{key}={value!r} silently became {read(state)!r}; notices {named}")


# --- edit_runs ---------------------------------------------------------------------------

ACTIONS = ("duplicate", "remove", "up", "down")


@functools.cache
def cards_of(count: int) -> list:
    """Run cards for `count` RMSprop runs (it has a switch: flags are exercised too)."""
    return load("?v=1&" + "&".join(["run=rmsprop"] * count))["runs"]


@SOME
@given(st.data())
def test_edit_runs_keeps_between_one_and_the_cap(data):
    count = data.draw(st.sampled_from([1, 3, MAX_RUNS]))
    cards = cards_of(count)
    found = controls(cards)
    junky = lambda props: [p.set(data.draw(junk)) if data.draw(st.booleans()) else p for p in props]  # noqa: E731
    actions = junky(found["run-action"])
    choices = [p.set(data.draw(junk | st.sampled_from([*OPTIMIZERS, *SCHEDULES]))) for p in found["run-choice"]]
    forged = Prop(
        data.draw(
            st.builds(run_card.action, st.integers(-3, MAX_RUNS + 3), st.sampled_from(ACTIONS) | st.text(max_size=5))
            | st.builds(run_card.choice, st.integers(-3, MAX_RUNS + 3), st.sampled_from(["optimizer", "schedule"]))
        ),
        "n_clicks",
        data.draw(junk),
    )
    if forged.id["type"] == "run-choice":
        forged = Prop(forged.id, "value", data.draw(junk | st.sampled_from([*OPTIMIZERS, *SCHEDULES])))
        choices = [*choices, forged]
    else:
        actions = [*actions, forged]
    add = Prop(run_card.ADD_RUN, "n_clicks", data.draw(junk))
    trigger = data.draw(st.sampled_from([add, forged, *actions, *choices]))
    states = [junky(found["run-field"]), junky(found.get("run-field-flag", []))]
    output = survives(run_card.edit_runs, [add, actions, choices], states, trigger)
    if output is not None:
        assert 1 <= len(output) <= MAX_RUNS


def test_edit_runs_with_an_unknown_optimizer_or_schedule_does_nothing():
    cards = load("")["runs"]
    for choice in [(0, "optimizer", "banana"), (1, "schedule", "banana")]:
        after = edit(cards, choice=choice)
        assert len(after) == 3


# --- compute -----------------------------------------------------------------------------


def compute(query, key=None) -> dict:
    """What `update` sends for the state a query describes, JSON-checked (`key`: the page's)."""
    state, _ = parse_query(query if isinstance(query, str) else "")
    output = page.outputs_for(state, to_query(state), key, None)
    json_safe(output)
    return output


fast_queries = st.builds(
    lambda runs, extra: "&".join([FAST, *(f"run=sgd(lr={lr})" for lr in runs), *extra]),
    st.lists(st.sampled_from(NUMBER_TEXT) | st.floats(1e-6, 10).map(repr), max_size=4),
    st.lists(st.sampled_from(["start=1e300,0", "start=nan,1", "batch=1", "sigma=1000", "seed=-1",
                              "view=internals", "steps=0", "tol=inf", "surface=banana"]), max_size=3),
)


@FEW
@given(query=fast_queries | junk, key=junk)
def test_compute_answers_every_query_with_finite_json(query, key):
    output = compute(query, key)
    state, _ = parse_query(query if isinstance(query, str) else "")
    assert len(output["trajectories"]["runs"]) == len(state.simulation.runs)
    assert output["sync"] == to_query(state)


@FEW
@given(shown=junk, key=junk)
def test_update_answers_whatever_the_page_claims_to_show(shown, key):
    output = survives(page.update, *update_args(DEFAULT_PANEL, shown=shown, key=key))
    query, _ = collect(DEFAULT_PANEL)
    assert output["sync"] == query and len(output["trajectories"]["runs"]) == 3


def test_the_largest_computation_answers():
    runs = "&".join(f"run=sgd(lr={i + 1}e-4)" for i in range(MAX_RUNS))
    started = time.perf_counter()
    output = compute(f"v=1&surface=rosenbrock&steps={MAX_STEPS}&{runs}&view=internals")
    assert time.perf_counter() - started < 60
    assert len(output["trajectories"]["runs"]) == MAX_RUNS
    assert all(len(run["x"]) == MAX_STEPS + 1 for run in output["trajectories"]["runs"])
    assert len(output["internals"][0]["update"]) == MAX_STEPS


@pytest.mark.parametrize(
    "query",
    [
        f"{FAST}&run=sgd&steps={MAX_STEPS + 1}",
        f"{FAST}&run=sgd&steps=1e300",
        "v=1&" + "&".join(["run=sgd"] * 5_000),
        f"{FAST}&run=sgd&x=" + "y" * MAX_QUERY_LENGTH,
        f"{FAST}&run=sgd(warmup=1e9)&batch=1e99&seed=1e99",
    ],
    ids=["steps-over-cap", "steps-1e300", "5000-runs", "query-too-long", "huge-warmup-batch-seed"],
)
def test_anything_above_the_caps_is_refused_before_work(query: str):
    started = time.perf_counter()
    state, notices = parse_query(query)
    assert notices and state.simulation.steps <= MAX_STEPS and len(state.simulation.runs) <= MAX_RUNS
    output = compute(query)
    assert output["trajectories"]["steps"] <= 200 and len(output["trajectories"]["runs"]) <= MAX_RUNS
    assert time.perf_counter() - started < 10


# --- parse_query beyond tests/test_codec.py -----------------------------------------------


@SOME
@given(junk.filter(lambda v: not isinstance(v, str)))
def test_parse_query_of_something_not_text_is_the_default_page(value):
    state, notices = parse_query(value)
    assert state == BASE and [n.field for n in notices] == ["query"]


@SOME
@given(any_text, st.sampled_from(["", *PRESETS, "nope"]))
def test_canonical_query_is_a_fixed_point(query: str, preset: str):
    if preset:
        query = f"preset={preset}&{query}"
    state, _ = parse_query(query)
    canonical = to_query(state)
    assert parse_query(canonical) == (state, ())
    assert to_query(parse_query(canonical)[0]) == canonical


def test_value_length_limit_is_exact():
    kept = "0" * (MAX_VALUE_LENGTH - 1) + "5"
    assert parse_query(f"v=1&steps={kept}") == (parse_query("v=1&steps=5")[0], ())
    state, notices = parse_query(f"v=1&steps=0{kept}")
    assert state.simulation.steps == BASE.simulation.steps
    assert [n.field for n in notices] == ["steps"] and str(MAX_VALUE_LENGTH) in notices[0].message


def test_query_length_limit_is_exact():
    head = "v=1&steps=5&x="
    state, notices = parse_query(head + "y" * (MAX_QUERY_LENGTH - len(head)))
    assert state.simulation.steps == 5 and [n.field for n in notices] == ["x"]
    state, notices = parse_query(head + "y" * (MAX_QUERY_LENGTH - len(head) + 1))
    assert state == BASE and [n.field for n in notices] == ["query"]


def test_settings_beyond_the_item_cap_are_ignored_and_named():
    items = ",".join(["lr=0.5"] * MAX_ITEMS + ["lr=0.25"])
    state, notices = parse_query(f"v=1&run=sgd({items})")
    assert state.simulation.runs[0].hyper["lr"] == 0.5
    assert f"more than {MAX_ITEMS} settings — ignored 1" in {n.message for n in notices}


# --- the JSON API through the whole app (security limits apply) --------------------------


@pytest.fixture(scope="module")
def client():
    import app

    return app.server.test_client()


def strict(response) -> dict:
    """The JSON body, refusing NaN and Infinity."""
    assert response.mimetype == "application/json", response.status
    return json.loads(response.get_data(as_text=True), parse_constant=lambda c: pytest.fail(c))


@pytest.mark.parametrize("size", [MAX_QUERY_STRING + 1, 100_000])
def test_long_query_strings_are_414_json(client, size: int):
    response = client.get("/api/trajectories?" + ("v=1&" + "x" * size)[:size])
    assert response.status_code == 414
    assert strict(response)["error"] == "uri_too_long"


@pytest.mark.parametrize(
    "query, status, field",
    [
        ("v=1&preset=canyon_race", 200, None),
        ("v=1&preset=%F0%9F%8D%8C", 400, "preset"),
        ("v=1&" + "&".join(["run=sgd"] * 700), 400, "runs"),
        ("v=1&run=sgd&steps=10001", 400, "steps"),
        ("v=1&surface=%E2%88%87f&run=sgd", 400, "surface"),
        ("v=1&run=%C3%A4dam", 400, "runs[0]"),
        ("v=1&&run=sgd&=1", 400, "(empty key)"),
        ("v=1&v=1&run=sgd", 400, "v"),
        ("v=1&run=sgd&start=%00,1", 400, "start.x"),
    ],
)
def test_api_answers_hostile_queries_with_json(client, query: str, status: int, field: str | None):
    started = time.perf_counter()
    response = client.get(f"/api/trajectories?{query}")
    assert response.status_code == status
    body = strict(response)
    assert (body.get("error") or {}).get("field") == field
    assert time.perf_counter() - started < 10


def test_api_takes_only_get(client):
    assert client.post("/api/trajectories?v=1&run=sgd").status_code == 405


@FEW
@given(any_text)
def test_api_through_the_app_never_500s(client, query: str):
    raw = urllib.parse.quote(query.encode("utf-8", "surrogatepass"), safe="=&(),;+%")
    response = client.get("/api/trajectories?" + raw)
    assert response.status_code in (200, 400, 414)
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    if response.mimetype == "application/json":
        strict(response)
