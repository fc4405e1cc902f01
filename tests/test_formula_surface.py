"""A user's formula as a surface, end to end: the engine (against the registered surface and
torch.optim), no compilation for an edited number, links and their notices, the APIs (400
naming `f` for hostile formulas, never a 5xx), the basins map, the page's formula field."""

from __future__ import annotations

import random
import time
import urllib.parse
from dataclasses import replace

import flask
import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import engine
from api import register_api
from engine import Run, Simulation, simulate
from engine.config import surface_of, validate
from landscapes import SURFACES
from landscapes.formula import BUILTIN_FORMULAS
from landscapes.user import FORMULA
from mapping import compute_map
from optimizers import OPTIMIZERS
from urlstate import parse_query, to_query

ROSENBROCK = BUILTIN_FORMULAS["rosenbrock"]
DOMAIN = {"xmin": -2.0, "xmax": 2.0, "ymin": -1.0, "ymax": 3.0}  # Rosenbrock's
SAME_TOL = 1e-12
TORCH_TOL = 1e-9
# A learning rate per optimizer that moves on Rosenbrock from (-1.5, 2) without diverging.
LEARNING_RATES = {"sgd": 1e-4, "momentum": 1e-4, "nesterov": 1e-4, "adadelta": 0.5, "newton": 0.5}


def formula_sim(text: str, runs, steps: int = 150, start=(-1.5, 2.0), **domain) -> Simulation:
    return Simulation(
        FORMULA, tuple(runs), start=start, steps=steps, surface_params={**DOMAIN, **domain},
        formula=text,
    )


@pytest.fixture(scope="module")
def client() -> flask.testing.FlaskClient:
    server = flask.Flask(__name__)
    register_api(server)
    return server.test_client()


# --- the engine ------------------------------------------------------------------------------


def test_rosenbrock_typed_as_a_formula_gives_the_registered_trajectories():
    runs = [Run(name, {"lr": LEARNING_RATES.get(name, 1e-3)}) for name in OPTIMIZERS]
    builtin = simulate(Simulation("rosenbrock", tuple(runs), start=(-1.5, 2.0), steps=150))
    typed = simulate(formula_sim(ROSENBROCK, runs))
    for run, ours, theirs in zip(runs, typed, builtin):
        assert ours.diverged_at == theirs.diverged_at, run.optimizer
        for name in ("xy", "loss", "grad"):
            got, expected = getattr(ours, name), getattr(theirs, name)
            assert got.shape == expected.shape, (run.optimizer, name)
            scale = 1.0 + np.max(np.abs(expected))
            assert np.max(np.abs(got - expected)) <= SAME_TOL * scale, (run.optimizer, name)


def _term(rng: random.Random) -> tuple[str, object]:
    """One random smooth term as formula text and as a torch function of (x, y)."""
    a, b, c = (round(rng.uniform(-1.5, 1.5), 3) for _ in range(3))
    kind = rng.choice(["sin", "cos", "tanh", "softplus", "poly", "exp"])
    if kind == "poly":
        i, j = rng.randint(0, 2), rng.randint(0, 2)
        return f"{c}*x^{i}*y^{j}", lambda x, y: c * x**i * y**j
    if kind == "softplus":
        return (
            f"{c}*log(1 + exp({a}*x + {b}*y))",
            lambda x, y: c * torch.log(1 + torch.exp(a * x + b * y)),
        )
    if kind == "exp":
        return (
            f"{c}*exp(-({a}*x)^2 - ({b}*y)^2)",
            lambda x, y: c * torch.exp(-((a * x) ** 2) - (b * y) ** 2),
        )
    fn = getattr(torch, kind)
    return f"{c}*{kind}({a}*x - {b}*y)", lambda x, y: c * fn(a * x - b * y)


def random_formula(seed: int) -> tuple[str, object]:
    """A random formula over a bowl (so that paths stay in view), with its torch twin."""
    rng = random.Random(seed)
    terms = [_term(rng) for _ in range(rng.randint(2, 4))]
    text = "0.5*(x^2 + 2*y^2) + " + " + ".join(t for t, _ in terms)

    def torch_fn(xy):
        x, y = xy[0], xy[1]
        return 0.5 * (x**2 + 2 * y**2) + sum(fn(x, y) for _, fn in terms)

    return text, torch_fn


def torch_path(fn, start, make_optimizer, steps: int) -> np.ndarray:
    xy = torch.tensor(start, dtype=torch.float64, requires_grad=True)
    optimizer = make_optimizer([xy])
    path = [xy.detach().clone().numpy()]
    for _ in range(steps):
        optimizer.zero_grad()
        fn(xy).backward()
        optimizer.step()
        path.append(xy.detach().clone().numpy())
    return np.array(path)


@pytest.mark.parametrize("seed", range(4))
def test_sgd_and_adam_on_random_formulas_match_torch(seed):
    text, fn = random_formula(seed)
    start = (1.7, -1.2)
    runs = [Run("sgd", {"lr": 0.05}), Run("adam", {"lr": 0.05})]
    sgd, adam = simulate(formula_sim(text, runs, steps=200, start=start))
    references = [
        torch_path(fn, start, lambda p: torch.optim.SGD(p, lr=0.05), 200),
        torch_path(fn, start, lambda p: torch.optim.Adam(p, lr=0.05), 200),
    ]
    for ours, expected in zip((sgd, adam), references):
        assert ours.diverged_at is None, text
        np.testing.assert_allclose(ours.xy, expected, rtol=0, atol=TORCH_TOL, err_msg=text)


def test_editing_a_number_never_recompiles():
    runs = [Run("sgd", {"lr": 1e-3}), Run("adam", {"lr": 0.05})]
    simulate(formula_sim("3*x^2 + sin(y)^2 + 0.25*x*y", runs))
    before = engine.compile_count()
    for edited in ("5*x^2 + sin(y)^2 + 0.25*x*y", "3.5*x^2 + sin(y)^2 + 1e-3*x*y"):
        paths = simulate(formula_sim(edited, runs, start=(1.0, 2.5)))
        assert all(p.diverged_at is None for p in paths)
    assert engine.compile_count() == before
    simulate(formula_sim("3*x^2 + cos(y)^2 + 0.25*x*y", runs))  # a new structure compiles
    assert engine.compile_count() > before


def test_undefined_values_are_divergence_not_errors():
    (path,) = simulate(formula_sim("log(x) + y^2", [Run("sgd", {"lr": 0.5})], start=(0.3, 1.0)))
    assert path.diverged_at is not None
    assert np.isfinite(path.xy).all() and np.isfinite(path.loss).all()


def test_newton_works_on_a_formula():
    sim = formula_sim("(x - 1)^2 + 3*(y + 0.5)^2", [Run("newton", {"lr": 1.0})], start=(0.0, 2.0))
    (path,) = simulate(sim)
    np.testing.assert_allclose(path.xy[1], [1.0, -0.5], atol=1e-12)


def test_the_surface_record_is_found_numerically():
    surface = surface_of(validate(formula_sim(ROSENBROCK, [Run("sgd")])))
    assert surface.numerical and surface.name == FORMULA
    assert surface.domain == ((-2.0, 2.0), (-1.0, 3.0))
    np.testing.assert_allclose(surface.minima({}), [(1.0, 1.0)], atol=1e-9)
    assert abs(surface.min_value) < 1e-12 and surface.log_scale


def test_the_basins_map_works_on_a_formula():
    state, notices = parse_query(
        "surface=formula&f=(x%5E2-1)%5E2+y%5E2&run=sgd(lr=0.05)&steps=200&view=basins&grid=8"
    )
    assert notices == ()
    data = compute_map(state, grid=8)
    outcome = data.panels[0].outcome
    assert outcome.shape == (8, 8)
    assert set(np.unique(outcome[:, :4])) <= {0, 1} and set(np.unique(outcome[:, 4:])) <= {0, 1}
    assert outcome[4, 0] != outcome[4, 7]  # the two wells x = ±1 are two basins


# --- links -----------------------------------------------------------------------------------


def test_a_link_with_a_formula_reads_and_writes_back():
    query = "surface=formula(xmin=-2,xmax=2,ymin=-1,ymax=3)&f=(1-x)^2+100*(y-x^2)^2&run=sgd"
    state, notices = parse_query(query)
    assert notices == ()
    sim = state.simulation
    assert sim.surface == FORMULA and sim.formula.text == ROSENBROCK
    assert dict(sim.surface_params) == DOMAIN
    written = to_query(state)
    assert "surface=formula(xmin=-2,xmax=2,ymin=-1)" in written  # ymax=3 is the default
    assert "f=(1-x)%5E2+100*(y-x%5E2)%5E2" in written
    assert parse_query(written) == (state, ())
    encoded = "surface=formula&f=" + urllib.parse.quote("x^2 + 3*sin(y)^2", safe="")
    assert parse_query(encoded)[0].simulation.formula.text == "x^2 + 3*sin(y)^2"


@pytest.mark.parametrize(
    "formula, message",
    [
        ("x^2+z", "unknown name 'z' at column 5"),
        ("(x+1", "at column 5"),
        ("__import__('os')", "column"),
        ("", "type a formula"),
    ],
)
def test_an_invalid_formula_in_a_link_gives_a_notice_and_the_base_surface(formula, message):
    query = "surface=formula&f=" + urllib.parse.quote(formula, safe="") + "&run=sgd"
    state, notices = parse_query(query)
    assert state.simulation.surface == parse_query("")[0].simulation.surface
    assert [n.field for n in notices] == ["f"]
    assert message in notices[0].message and notices[0].label == "Your own f(x, y)"


def test_a_formula_without_surface_formula_is_named_and_ignored():
    state, notices = parse_query("surface=sphere&f=x^2")
    assert state.simulation.surface == "sphere" and [n.field for n in notices] == ["f"]


def test_an_empty_domain_is_named():
    state, notices = parse_query("surface=formula(xmin=1,xmax=0)&f=x^2+y^2")
    assert [n.field for n in notices] == ["surface_params.xmax"]
    assert state.simulation.surface == FORMULA


# --- the APIs --------------------------------------------------------------------------------


def test_the_trajectories_api_accepts_a_formula(client):
    query = "surface=formula(xmin=-2,xmax=2,ymin=-1,ymax=3)&f=(1-x)^2+100*(y-x^2)^2"
    response = client.get(f"/api/trajectories?{query}&run=sgd(lr=0.001)&steps=50&start=-1.5,2")
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_json()
    assert body["surface"]["name"] == FORMULA and len(body["runs"][0]["x"]) == 51


def test_the_maps_api_accepts_a_formula(client):
    query = "surface=formula&f=(x%5E2-1)%5E2+y%5E2&run=sgd(lr=0.05)&steps=100&view=basins&grid=8"
    response = client.get(f"/api/maps?{query}")
    assert response.status_code == 200, response.get_data(as_text=True)


HOSTILE = [
    "__import__('os').system('true')",
    "x.__class__",
    "x[0]",
    "lambda: 1",
    "[x for x in y]",
    "'text'",
    "z + 1",
    "open(x)",
    "eval(x)",
    "\u0445^2 + y^2",  # a Cyrillic х
    "x" + "+x" * 300,  # longer than a formula may be
    "x" + "+x" * 5_000,  # longer than a query may be: the query is named
    "(" * 500 + "x" + ")" * 500,
    "9" * 400,
    "9^9^9^9",
    "1e999*x",
]


@pytest.mark.parametrize("text", HOSTILE, ids=range(len(HOSTILE)))
def test_hostile_formulas_get_a_400_naming_f_in_bounded_time(client, text):
    started = time.perf_counter()
    response = client.get("/api/trajectories?surface=formula&run=sgd&f=" + urllib.parse.quote(text))
    assert time.perf_counter() - started < 2.0
    assert response.status_code == 400, response.get_data(as_text=True)
    named = "query" if len(text) > 8_000 else "f"
    assert response.get_json()["error"]["field"] == named


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(junk=st.text(max_size=80))
def test_junk_formulas_never_give_a_5xx(client, junk):
    response = client.get(
        "/api/trajectories?surface=formula&run=sgd&steps=20&start=0.5,0.5&f="
        + urllib.parse.quote(junk)
    )
    assert response.status_code < 500, (junk, response.get_data(as_text=True))
    if response.status_code == 400:
        assert response.get_json()["error"]["field"] in ("f", "query")


# --- the page --------------------------------------------------------------------------------


def test_the_surface_menu_offers_your_own_and_each_surface_shows_its_formula():
    from components import formula_card
    from components.controls import surface_params

    card = surface_params("rosenbrock", SURFACES["rosenbrock"].defaults())
    shown = [c for c in card if c is not None][-1]
    assert ROSENBROCK in str(shown.children[0].children)
    assert shown.children[1].id == formula_card.edit_id("rosenbrock")
    text, domain = formula_card.starting_point("rosenbrock")
    assert text == ROSENBROCK and domain == DOMAIN
    field, grid = surface_params(FORMULA, domain, text)
    assert field.value == ROSENBROCK and field.label == formula_card.LABEL
    assert [i.id["name"] for i in grid.children] == ["xmin", "xmax", "ymin", "ymax"]


def test_choosing_your_own_or_edit_as_my_own_starts_from_the_surface_shown():
    from dash import no_update
    from dash_context import Prop, call

    from components import formula_card, ids

    menu = Prop(ids.field("surface"), "value", FORMULA)
    edits = [Prop(formula_card.edit_id("himmelblau"), "n_clicks", None)]
    shown = Prop(ids.RENDERED_SURFACE, "data", "himmelblau")
    children, rendered, switched = call(formula_card.own_surface, [menu, edits], [shown], trigger=menu)
    assert rendered == FORMULA and children[0].value == BUILTIN_FORMULAS["himmelblau"]
    assert switched is no_update
    clicked = [edits[0].set(1)]
    children, rendered, switched = call(
        formula_card.own_surface, [menu.set("himmelblau"), clicked], [shown], trigger=clicked[0]
    )
    assert switched == FORMULA and children[0].value == BUILTIN_FORMULAS["himmelblau"]


def test_the_page_reads_the_formula_field_and_marks_an_invalid_one():
    from components.forms import form_to_draft, state_to_form
    from urlstate.reader import collect, labelled, read

    link = "surface=formula(xmin=-2,xmax=2,ymin=-1,ymax=3)&f=(1-x)^2+100*(y-x^2)^2&run=sgd"
    shown = parse_query(link)[0]
    form = state_to_form(shown)
    assert form.values["f"] == ROSENBROCK
    form.values["f"] = "(1-x)^2 + 100*(y-x^2)^2 + w"
    notices: list = []
    draft = form_to_draft(form, parse_query("")[0])
    state = read(draft, collect(notices), fallback=shown)
    (notice,) = labelled(notices, draft)
    assert notice.field == "f" and "unknown name 'w' at column" in notice.message
    assert state.simulation.formula == shown.simulation.formula  # the previous formula kept
    from components.page import input_of

    assert input_of(notice.path, FORMULA) == ("field", None, "f")
    form.values["f"] = "2*(1-x)^2 + 100*(y-x^2)^2"
    edited = read(form_to_draft(form, parse_query("")[0]), collect([]), fallback=shown)
    assert edited.simulation.formula.text == "2*(1 - x)^2 + 100*(y - x^2)^2"
    assert replace(edited, simulation=shown.simulation) == shown


def test_a_formula_link_renders_the_field_and_the_page_computes_it():
    from test_page import controls, load, panel, setting, update

    link = "?surface=formula(xmin=-2,xmax=2,ymin=-1)&f=(1-x)^2+100*(y-x^2)^2&run=sgd(lr=0.001)"
    rendered = load(link)
    tree = panel(rendered)
    fields = {p.id["name"]: p.value for p in controls(tree)["field"]}
    assert fields["f"] == ROSENBROCK and fields["surface"] == FORMULA
    domain = {p.id["name"]: p.value for p in controls(tree)["surface-param"]}
    assert {name: float(value) for name, value in domain.items()} == DOMAIN
    out = update(tree)
    assert "surface=formula" in out["sync"] and "&f=" in out["sync"]
    assert out["trajectories"]["runs"][0]["label"]
    typo = setting(controls(tree)["field"], "(1-x)^2 + 100*(y-x^2)^2 + q", name="f")
    marked = update(tree, shown=out["sync"], key=out["key"], field=typo)
    errors = dict(zip([p.id["name"] for p in typo], marked["field_errors"]))
    assert "unknown name 'q'" in errors["f"] and errors["steps"] is None
