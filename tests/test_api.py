"""GET /api/trajectories on a bare Flask app: the JSON and CSV shapes, 400s naming the field,
divergence, and no 500 or non-finite number whatever the query."""

from __future__ import annotations

import csv
import io
import json
import math
import urllib.parse

import flask
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from api import CSV_COLUMNS, register_api
from optimizers import OPTIMIZERS

URL = "/api/trajectories"
# One compiled structure (rosenbrock, sgd, constant schedule, steps <= 100) keeps this fast.
BASE = "v=1&surface=rosenbrock&steps=40"


@pytest.fixture(scope="module")
def client() -> flask.testing.FlaskClient:
    server = flask.Flask(__name__)
    register_api(server)
    return server.test_client()


def _reject_constant(name: str):
    raise AssertionError(f"{name} in the JSON")


def strict_json(response) -> dict:
    """The body as JSON, failing on NaN or Infinity (which Python's json would accept)."""
    assert response.mimetype == "application/json"
    return json.loads(response.get_data(as_text=True), parse_constant=_reject_constant)


def test_shape_and_lengths(client):
    response = client.get(f"{URL}?{BASE}&start=-1,1.5&run=sgd(lr=0.001)&run=sgd(lr=0.0005)")
    assert response.status_code == 200
    body = strict_json(response)
    assert set(body) >= {"v", "surface", "start", "steps", "runs"}
    assert body["v"] == 1 and body["steps"] == 40 and body["start"] == [-1.0, 1.5]
    assert body["surface"] == {"name": "rosenbrock", "params": {"a": 1.0, "b": 100.0}}
    assert [run["params"]["lr"] for run in body["runs"]] == [0.001, 0.0005]
    for run in body["runs"]:
        assert run["optimizer"] == "sgd" and run["diverged_at"] is None
        assert set(run["params"]) == {p.name for p in OPTIMIZERS["sgd"].hyper}
        assert run["schedule"] == {"name": "constant", "params": {}, "warmup": 0}
        assert len(run["x"]) == len(run["y"]) == len(run["loss"]) == 41
        assert [run["x"][0], run["y"][0]] == body["start"]
        assert run["loss"][0] == pytest.approx((1 - -1.0) ** 2 + 100 * (1.5 - 1.0) ** 2)


def test_each_run_reports_its_effective_batch_size(client):
    runs = "&".join(f"run=sgd(lr=0.001{extra})" for extra in ("", ",batch=1", ",batch=full"))
    body = strict_json(client.get(f"{URL}?{BASE}&{runs}&batch=8"))
    assert body["noise"]["batch_size"] == 8
    assert [run["batch_size"] for run in body["runs"]] == [8, 1, None]  # null: exact gradient
    quiet = strict_json(client.get(f"{URL}?{BASE}&run=sgd(lr=0.001)&run=sgd(lr=0.001,batch=2)"))
    assert [run["batch_size"] for run in quiet["runs"]] == [None, 2]


def test_headers(client):
    response = client.get(f"{URL}?{BASE}&run=sgd(lr=0.001)")
    assert response.headers["Content-Type"] == "application/json"
    assert response.headers["Cache-Control"] == "no-cache" and response.headers["ETag"]
    again = client.get(
        f"{URL}?{BASE}&run=sgd(lr=0.001)", headers={"If-None-Match": response.headers["ETag"]}
    )
    assert again.status_code == 304


def test_divergence_is_cut_and_finite(client):
    body = strict_json(client.get(f"{URL}?{BASE}&run=sgd(lr=10)"))
    run = body["runs"][0]
    assert isinstance(run["diverged_at"], int) and 0 < run["diverged_at"] <= 40
    assert len(run["x"]) == len(run["loss"]) == max(run["diverged_at"], 1)
    assert all(math.isfinite(v) for v in run["x"] + run["y"] + run["loss"])


@pytest.mark.parametrize(
    "query, field",
    [
        ("v=2&run=sgd", "v"),
        (f"{BASE}&run=sgd(lr=100)", "runs[0].lr"),
        (f"{BASE}&run=sgd(lr=nan)", "runs[0].lr"),
        ("v=1&surface=banana&run=sgd", "surface"),
        (f"{BASE}&run=nosuch", "runs[0].optimizer"),
        (f"{BASE}&steps=100000&run=sgd", "steps"),
        (f"{BASE}&run=sgd&format=xml", "format"),
        (f"{BASE}&run=sgd&format=csv&format=json", "format"),
        (f"{BASE}&what=1", "what"),
    ],
)
def test_invalid_queries_are_400s_naming_the_field(client, query: str, field: str):
    response = client.get(f"{URL}?{query}")
    assert response.status_code == 400
    assert response.headers["Cache-Control"] == "no-store"
    error = strict_json(response)["error"]
    assert error["field"] == field and error["message"]


def test_csv(client):
    response = client.get(f"{URL}?{BASE}&run=sgd(lr=0.001)&run=sgd(lr=10)&format=csv")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert tuple(rows[0]) == CSV_COLUMNS
    body = strict_json(client.get(f"{URL}?{BASE}&run=sgd(lr=0.001)&run=sgd(lr=10)"))
    for index, run in enumerate(body["runs"]):
        mine = [r for r in rows[1:] if r[0] == str(index)]
        assert [int(r[2]) for r in mine] == list(range(len(run["x"])))
        assert [float(r[3]) for r in mine] == run["x"]
        assert [float(r[5]) for r in mine] == run["loss"]
        assert all(r[1] == "sgd" for r in mine)


# --- no 500s, no NaN, whatever the query -------------------------------------------------

number_text = (
    st.sampled_from(["nan", "inf", "-inf", "1e999", "1e-999", "0", "-0", "10", "1e-7", ""])
    | st.floats().map(repr)
    | st.text(max_size=8)
)


def mostly(valid: st.SearchStrategy) -> st.SearchStrategy[str]:
    """Valid text four times in five, odd text otherwise."""
    return st.integers(0, 4).flatmap(lambda i: valid.map(repr) if i else number_text)


coordinate = st.floats(-1e4, 1e4).map(repr)
FIELDS = {
    "start": st.tuples(coordinate, coordinate).map(",".join),
    "sigma": mostly(st.floats(0, 1e3)),
    "batch": mostly(st.integers(1, 10**6)),
    "seed": mostly(st.integers(0, 2**31 - 1)),
    "tol": mostly(st.floats(1e-15, 1e3)),
    "format": st.sampled_from(["json", "csv"]) | number_text,
}


@st.composite
def near_valid(draw) -> str:
    """The fast structure with numbers anywhere in (and sometimes out of) their ranges."""
    lr, decay = draw(mostly(st.floats(1e-6, 10))), draw(mostly(st.floats(0, 10)))
    a, b = draw(mostly(st.floats(-1.5, 1.5))), draw(mostly(st.floats(1, 200)))
    extra = draw(st.lists(st.sampled_from(sorted(FIELDS)), max_size=4, unique=True))
    pairs = [f"{key}={draw(FIELDS[key])}" for key in extra]
    return "&".join(
        [
            "v=1",
            f"surface=rosenbrock(a={a},b={b})",
            "steps=40",
            f"run=sgd(lr={lr},weight_decay={decay})",
            *pairs,
        ]
    )


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text() | st.binary().map(lambda b: b.decode("latin-1")) | near_valid())
def test_no_query_gives_a_500_or_a_non_finite_number(client, query: str):
    raw = urllib.parse.quote(query.encode("utf-8", "surrogatepass"), safe="=&(),;+%")
    response = client.get(f"{URL}?{raw}")
    assert response.status_code in (200, 400)
    if response.mimetype == "text/csv":
        rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))[1:]
        assert all(math.isfinite(float(v)) for row in rows for v in row[3:])
    else:
        strict_json(response)
