"""Maps as page states, computations and API answers (mapping.py, urlstate/maps.py, api.py)."""

from __future__ import annotations

import base64
import csv
import io
import json
import threading
import time
from dataclasses import replace

import numpy as np
import plotly.graph_objects as go
import pytest

import app
from computation import figures_of, map_payload
from engine import simulate
from engine.measures import stability_limit, steps_to_tolerance
from figures import run_styles
from landscapes import SURFACES
from mapping import (
    DIVERGED,
    SingleFlight,
    block_bytes,
    blocks,
    cache,
    cached_map,
    compute_map,
    map_key,
)
from urlstate import parse_query, to_query
from urlstate.maps import opened_cell, opened_seed, resolved_axes


@pytest.fixture(scope="module")
def client():
    return app.server.test_client()


def state_of(query: str):
    state, notices = parse_query(query)
    assert not notices, notices
    return state


# --------------------------------------------------------------------------- links


def test_map_settings_round_trip_through_the_link():
    query = "view=hypermap&run=momentum(lr=0.01)&hx=lr(0.001,1,log)&hy=momentum(0,0.99)&grid=48"
    state = state_of(query)
    assert state.maps.grid == 48 and state.maps.hx.log and not state.maps.hy.log
    again = state_of(to_query(state))
    assert again == state
    assert "hx=lr(0.001,1,log)" in to_query(state) and "grid=48" in to_query(state)


def test_default_axes_are_not_written_and_follow_the_first_run():
    state = state_of("view=hypermap&run=adam(lr=0.05)")
    assert "hx=" not in to_query(state) and "hy=" not in to_query(state)
    hx, hy = resolved_axes(state.maps, state.simulation)
    assert (hx.name, hx.log, hy.name) == ("lr", True, "beta1")
    assert hx.low < 0.05 < hx.high
    typed = state_of("view=hypermap&run=adam(lr=0.05)&" + f"hx=lr({hx.low!r},{hx.high!r},log)")
    assert typed.maps.hx is None  # the default typed out is the default


@pytest.mark.parametrize(
    "query, path, kept",
    [
        ("view=basins&grid=abc", ("grid",), ("grid", 64)),
        ("view=basins&grid=4", ("grid",), ("grid", 64)),
        ("view=fan&seeds=5000", ("seeds",), ("seeds", 128)),
        ("view=basins&grid=256&run=sgd&run=adam&run=momentum", ("grid",), ("grid", 147)),
        ("view=hypermap&hx=zz(1,2)", ("hx",), ("hx", None)),
        ("view=hypermap&hx=lr(1,0.1)", ("hx",), ("hx", None)),
        ("view=hypermap&hx=lr(0,1,log)", ("hx",), ("hx", None)),
        ("view=hypermap&hx=lr(1e-3,100)", ("hx",), ("hx", None)),
        ("view=hypermap&hx=lr&hy=lr", ("hy",), ("hy", None)),
        ("view=hypermap&hx=__import__('os')", ("hx",), ("hx", None)),
    ],
)
def test_a_bad_map_setting_opens_with_a_notice_and_a_sane_value(query, path, kept):
    state, notices = parse_query(query)
    assert [n.path for n in notices] == [path], notices
    key, value = kept
    assert getattr(state.maps, key) == value
    assert notices[0].label  # named in the controls' words


def test_a_link_over_the_run_steps_cap_lowers_the_grid():
    state, notices = parse_query("view=basins&steps=10000&run=sgd&grid=128")
    assert state.maps.grid == 100 and [n.path for n in notices] == [("grid",)]
    assert state.maps.grid**2 * state.simulation.steps <= 100_000_000


# --------------------------------------------------------------------------- computations


def test_a_clicked_cell_opens_a_link_whose_trajectory_is_the_cell():
    state = state_of("view=basins&surface=himmelblau&run=adam(lr=0.1)&run=sgd&steps=200&grid=12")
    data = compute_map(state)
    k = 12 * 7 + 3
    x, y = data.x[3], data.y[7]
    opened = state_of(to_query(opened_cell(state, x, y)))
    assert opened.view == "contour" and opened.simulation.start == (x, y)
    for panel, path in zip(data.panels, simulate(opened.simulation)):
        assert panel.summary.final_loss[k] == path.loss[-1]
        assert panel.summary.final_xy[k].tolist() == path.xy[-1].tolist()


def test_a_clicked_hypermap_cell_sets_the_first_runs_settings():
    state = state_of("view=hypermap&surface=canyon(kappa=20)&run=momentum(lr=0.01)&grid=8&steps=100")
    data = compute_map(state)
    k = 8 * 5 + 2
    opened = state_of(to_query(opened_cell(state, data.x[2], data.y[5])))
    run = opened.simulation.runs[0]
    assert (run.hyper["lr"], run.hyper["momentum"]) == (data.x[2], data.y[5])
    path = simulate(opened.simulation)[0]
    assert data.panels[0].summary.final_loss[k] == path.loss[-1]
    reached = steps_to_tolerance(path.loss, 0.0, state.tolerance)
    assert data.panels[0].summary.steps_to_tol[k] == (-1 if reached is None else reached)


def test_a_fan_seed_opens_that_seed():
    state = state_of("view=fan&run=sgd&batch=4&seed=7&seeds=16")
    assert opened_seed(state, 5).simulation.noise.seed == 12


def _edge_cells(diverged: np.ndarray, expected: np.ndarray) -> np.ndarray:
    """Cells where the map and the analytic answer disagree."""
    return np.argwhere(diverged != expected)


def test_gradient_descent_diverges_exactly_beyond_lr_lambda_max_2():
    state = state_of(
        "view=hypermap&surface=canyon&run=sgd&hx=lr(0.001,1,log)&hy=kappa(1,100,log)&grid=40"
        "&steps=300"
    )
    data = compute_map(state)
    diverged = data.panels[0].outcome == DIVERGED
    lr, kappa = np.meshgrid(data.x, data.y)
    expected = lr * np.maximum(kappa, 1.0) > 2.0
    wrong = _edge_cells(diverged, expected)
    # only next to the limit, where the growth 1.0…1.2× per step has not left the bound yet
    ratio = lr * np.maximum(kappa, 1.0) / 2.0
    assert all(1.0 < ratio[i, j] < 1.2 for i, j in wrong), wrong
    assert diverged.sum() > 100 and (~diverged).sum() > 100


def test_heavy_ball_diverges_exactly_beyond_two_one_plus_mu():
    state = state_of(
        "view=hypermap&surface=canyon(kappa=20)&run=momentum&hx=lr(0.001,1,log)"
        "&hy=momentum(0,0.95)&grid=40&steps=300"
    )
    data = compute_map(state)
    diverged = data.panels[0].outcome == DIVERGED
    lr, mu = np.meshgrid(data.x, data.y)
    ratio = lr / stability_limit(20.0, mu)
    wrong = _edge_cells(diverged, ratio > 1.0)
    assert all(0.97 < ratio[i, j] < 1.2 for i, j in wrong), [(ratio[i, j]) for i, j in wrong]


def test_blocks_of_rows_equal_the_whole_map():
    state = state_of("view=basins&surface=himmelblau&run=adam(lr=0.1)&run=sgd&steps=100&grid=20")
    whole = compute_map(state)
    for first, stop in blocks(20, 2):
        part = compute_map(state, rows=(first, stop))
        for a, b in zip(whole.panels, part.panels):
            assert np.array_equal(a.outcome[first:stop], b.outcome)
            assert np.array_equal(a.step[first:stop], b.step)


def test_the_seed_fan_quantiles_are_the_seeds_own():
    state = state_of("view=fan&surface=sphere&run=sgd(lr=0.05)&batch=2&sigma=2&seeds=32&steps=50")
    fan = compute_map(state)
    losses = []
    for k in range(32):
        seeded = replace(state.simulation, noise=replace(state.simulation.noise, seed=k))
        losses.append(simulate(seeded)[0].loss)
    expected = np.quantile(np.array(losses), [0.1, 0.25, 0.5, 0.75, 0.9], axis=0)
    np.testing.assert_allclose(fan.runs[0].quantiles, expected, rtol=1e-12)


# --------------------------------------------------------------------------- caching


def test_single_flight_computes_a_key_once_for_concurrent_callers():
    cache = SingleFlight(4)
    calls = []

    def slow():
        calls.append(1)
        time.sleep(0.2)
        return object()

    results = []
    threads = [threading.Thread(target=lambda: results.append(cache.get("k", slow))) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(calls) == 1 and len({id(r) for r in results}) == 1


def test_single_flight_passes_errors_to_every_waiter_and_forgets_them():
    cache = SingleFlight(4)

    def fail():
        time.sleep(0.1)
        raise ValueError("no")

    errors = []

    def call():
        try:
            cache.get("k", fail)
        except ValueError as error:
            errors.append(error)

    threads = [threading.Thread(target=call) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(errors) == 3
    assert cache.get("k", lambda: 5) == 5


def test_the_cache_never_serves_one_maps_answer_for_another(client):
    one = "view=basins&surface=himmelblau&run=sgd&steps=100&grid=8"
    other = one.replace("run=sgd", "run=sgd(lr=0.02)")
    a = client.get(f"/api/maps?{one}").get_json()
    b = client.get(f"/api/maps?{other}").get_json()
    assert a["runs"][0]["params"]["lr"] == 0.01 and b["runs"][0]["params"]["lr"] == 0.02
    assert a["runs"][0]["final_loss"] != b["runs"][0]["final_loss"]
    assert map_key(state_of(one)) != map_key(state_of(other))
    assert client.get(f"/api/maps?{one}").get_json() == a


# --------------------------------------------------------------------------- the API


def test_api_maps_json_has_rows_of_y_and_nulls(client):
    query = "view=hypermap&surface=canyon(kappa=20)&run=sgd&hx=lr(0.01,0.5,log)&hy=kappa(1,40)&grid=8&steps=100"
    response = client.get(f"/api/maps?{query}")
    assert response.status_code == 200
    doc = json.loads(response.get_data())  # valid JSON: no NaN or Infinity
    assert doc["kind"] == "hypermap" and len(doc["x"]) == len(doc["y"]) == 8
    run = doc["runs"][0]
    assert len(run["final_loss"]) == 8 and all(len(row) == 8 for row in run["final_loss"])
    diverged = [[v is not None for v in row] for row in run["diverged_at"]]
    reached = [[v is not None for v in row] for row in run["steps_to_tol"]]
    assert any(map(any, diverged)) and any(map(any, reached))
    assert not any(d and r for dr, rr in zip(diverged, reached) for d, r in zip(dr, rr))
    assert doc["axes"][0] == {"name": "lr", "low": 0.01, "high": 0.5, "log": True}


def test_api_maps_csv_has_a_row_per_cell(client):
    query = "view=basins&surface=himmelblau&run=sgd&run=adam(lr=0.1)&steps=50&grid=8"
    rows = list(csv.reader(io.StringIO(client.get(f"/api/maps?{query}&format=csv").get_data(as_text=True))))
    assert rows[0] == ["run", "optimizer", "x", "y", "final_loss", "steps_to_tol", "diverged_at", "minimum"]
    assert len(rows) == 1 + 2 * 64


def test_api_fan_json_has_quantiles_per_step(client):
    doc = client.get("/api/maps?view=fan&run=sgd&batch=2&seeds=8&steps=30").get_json()
    assert doc["kind"] == "fan" and doc["seeds"] == 8 and doc["quantiles"] == [0.1, 0.25, 0.5, 0.75, 0.9]
    assert len(doc["runs"][0]["quantiles"]) == 5 and len(doc["runs"][0]["quantiles"][0]) == 31


@pytest.mark.parametrize(
    "query, field",
    [
        ("view=contour", "view"),
        ("view=basins&grid=256&run=sgd&run=adam&run=momentum", "grid"),
        ("view=basins&grid=128&steps=10000&run=sgd", "grid"),
        ("view=fan&seeds=2000", "seeds"),
        ("view=hypermap&hx=z", "hx"),
        ("view=hypermap&hy=momentum(0,5)&run=momentum", "hy"),
        ("view=basins&format=xml", "format"),
    ],
)
def test_api_maps_answers_400_naming_the_field(client, query, field):
    response = client.get(f"/api/maps?{query}")
    assert response.status_code == 400
    assert response.get_json()["error"]["field"] == field


def test_api_block_is_the_maps_rows_in_binary(client):
    query = "view=basins&surface=himmelblau&run=sgd&run=adam(lr=0.1)&steps=60&grid=16"
    body = client.get(f"/api/maps/block?{query}&rows=4,9").get_data()
    state = state_of(query)
    part = compute_map(state, rows=(4, 9))
    assert body == block_bytes(part)
    cells = 5 * 16
    steps = np.frombuffer(body[: 2 * cells * 2], "<i2").reshape(2, 5, 16)
    outcomes = np.frombuffer(body[2 * cells * 2 :], "i1").reshape(2, 5, 16)
    whole = compute_map(state)
    for p, panel in enumerate(whole.panels):
        assert np.array_equal(steps[p], panel.step[4:9])
        assert np.array_equal(outcomes[p], panel.outcome[4:9])
    for bad in ("rows=9,4", "rows=0,17", "rows=a", ""):
        assert client.get(f"/api/maps/block?{query}&{bad}").status_code == 400


# --------------------------------------------------------------------------- figures


@pytest.mark.parametrize(
    "query",
    [
        "view=basins&surface=six_hump_camel&run=sgd&run=adam",
        "view=hypermap&surface=canyon&run=momentum",
        "view=hypermap&surface=rosenbrock&run=adam",
        "view=fan&run=sgd&run=adam&batch=4",
    ],
)
def test_map_figures_are_valid_plotly(query):
    state = state_of(query)
    styles = run_styles(state.simulation.runs, [state.color(i) for i in range(len(state.simulation.runs))])
    for figure in figures_of(state, styles):
        go.Figure(figure)


def test_the_stability_lines_appear_on_quadratics_only():
    def lines(query):
        state = state_of(query)
        styles = run_styles(state.simulation.runs, [state.color(0)])
        figures = figures_of(state, styles)
        return [t.get("meta", {}).get("map") for f in figures for t in f["data"] if t.get("type") == "contour" and t.get("meta", {}).get("map")]

    assert lines("view=hypermap&surface=canyon&run=momentum") == ["limit", "limit_core", "optimal", "optimal_core"]
    assert lines("view=hypermap&surface=sphere&run=sgd") == ["limit", "limit_core"]
    # gradient descent's default axes on the canyon: its learning rate and κ (an array of them)
    assert lines("view=hypermap&surface=canyon&run=sgd") == ["limit", "limit_core"]
    assert lines("view=hypermap&surface=rosenbrock&run=momentum") == []
    assert lines("view=hypermap&surface=canyon&run=adam") == []


def test_the_basins_payload_is_small_typed_arrays():
    state = state_of("view=basins&surface=himmelblau&run=sgd&run=adam(lr=0.1)&steps=100&grid=128")
    payload = map_payload(state, to_query(state))
    assert payload["refine"]["grid"] == 128 and len(payload["x"]) == 32  # coarse first
    assert sum(b - a for a, b in payload["refine"]["blocks"]) == 128
    assert isinstance(payload["panels"][0]["outcome"], str)  # base64, not a list of numbers
    assert len(json.dumps(payload)) < 16_000  # 2 × 32² cells, the axes of the full grid
    assert len(payload["minima"]) == len(SURFACES["himmelblau"].minima({}))


def test_rows_of_a_computed_map_are_cut_from_it_not_computed_again():
    state = state_of("view=basins&surface=himmelblau&run=sgd(lr=0.01)&steps=60&grid=16")
    whole = cached_map(state)
    before = cache().computed
    block = cached_map(state, grid=16, rows=(4, 8))
    assert cache().computed == before
    alone = compute_map(state, 16, (4, 8))
    assert np.array_equal(block.panels[0].outcome, alone.panels[0].outcome)
    assert np.array_equal(block.panels[0].step, alone.panels[0].step)
    assert np.array_equal(block.panels[0].summary.final_xy, alone.panels[0].summary.final_xy)
    assert block.y.tolist() == alone.y.tolist() and whole.rows == (0, 16)


def test_a_map_computed_for_the_presets_claim_goes_to_the_page_whole():
    state = state_of("preset=large_basins&grid=40&steps=80")
    before = map_payload(state, to_query(state))
    assert before["refine"] is not None and len(before["x"]) == 32  # coarse first
    cached_map(state)  # what the claim computes
    whole = map_payload(state, to_query(state))
    assert whole["refine"] is None and len(whole["x"]) == 40
    for panel, data in zip(whole["panels"], cached_map(state).panels):
        assert np.frombuffer(base64.b64decode(panel["outcome"]), "i1").tolist() == data.outcome.ravel().tolist()
