"""GET /api/network: the documented shapes, the plane at a run's end, 400s naming the field,
one computation per canonical query, CSV rows.

The runs (momentum and Adam, batches of 64) share the network presets' compiled structures;
grids are small (9 × 9) so the file stays quick on a loaded machine.
"""

from __future__ import annotations

import csv
import io
import json
import threading

import flask
import numpy as np
import pytest

from networks import api as network_api
from networks import document as network_document
from networks.link import link_query, read_link

RUNS = "run=momentum(lr=0.1)&run=adam(lr=0.001)"
BASE = f"v=1&surface=network&model=mlp&data=digits&steps=100&batch=64&{RUNS}&resolution=9"


def _strict(text: str):
    """JSON as the API promises it: no NaN or Infinity."""

    def refuse(constant):
        raise AssertionError(f"non-finite number {constant} in the JSON")

    return json.loads(text, parse_constant=refuse)


@pytest.fixture(scope="module")
def client():
    server = flask.Flask(__name__)
    network_api.register_network_api(server)
    return server.test_client()


@pytest.fixture(scope="module")
def pca(client):
    response = client.get(f"/api/network?{BASE}&plane=pca&test=1")
    assert response.status_code == 200, response.get_data(as_text=True)
    return _strict(response.get_data(as_text=True))


def test_json_has_the_documented_shapes(pca):
    assert pca["v"] == 1
    assert pca["model"] == {"name": "mlp", "parameters": 2410}
    assert pca["data"] == {"name": "digits", "train": 1437, "test": 360}
    assert (pca["steps"], pca["batch_size"], pca["seed"], pca["dtype"]) == (100, 64, 0, "float32")
    plane = pca["plane"]
    assert plane["kind"] == "pca"
    assert len(plane["x"]) == len(plane["y"]) == 9
    for grid in (plane, plane["test"]):
        assert np.array(grid["loss"]).shape == (9, 9)  # rows = y
        assert np.array(grid["accuracy"]).shape == (9, 9)
        assert grid["non_finite"] == 0
    share = plane["explained_variance"]
    assert len(share) == 2 and share[0] >= share[1] > 0 and sum(share) <= 1 + 1e-9
    assert [run["optimizer"] for run in pca["runs"]] == ["momentum", "adam"]
    for run in pca["runs"]:
        steps = run["steps"]
        assert steps[0] == 0 and steps[-1] == 100
        assert len(run["x"]) == len(run["y"]) == len(run["distance"]) == len(steps)
        assert min(run["distance"]) >= 0
        evals = run["eval_steps"]
        assert set(evals) <= set(steps) and evals[-1] == 100
        for key in ("train_loss", "train_accuracy", "test_loss", "test_accuracy"):
            assert len(run[key]) == len(evals)
        assert len(run["batch_loss"]) == 100
        assert run["batch_size"] == 64 and run["diverged_at"] is None
        assert run["params"]["lr"] in (0.1, 0.001)
        final = run["final"]
        assert final["step"] == 100
        assert final["train_loss"] == run["train_loss"][-1]
        assert final["test_accuracy"] == run["test_accuracy"][-1]
        assert run["sharpness"] > 0
    # the plane's grid covers every projected path
    xs = np.concatenate([run["x"] for run in pca["runs"]])
    assert plane["x"][0] <= xs.min() and xs.max() <= plane["x"][-1]


def test_plane_value_at_a_runs_end_is_its_final_training_loss(client):
    response = client.get(f"/api/network?{BASE}&plane=endpoints")
    document = _strict(response.get_data(as_text=True))
    assert document["plane"]["kind"] == "endpoints"
    assert document["plane"]["explained_variance"] is None
    assert document["plane"]["runs"] == [0, 1]
    for index, (at_x, at_y) in enumerate([(1.0, 0.0), (0.0, 1.0)]):
        run = document["runs"][index]
        assert (run["x"][0], run["y"][0]) == pytest.approx((0.0, 0.0), abs=1e-5)
        assert (run["x"][-1], run["y"][-1]) == pytest.approx((at_x, at_y), abs=1e-5)
        final = run["final"]
        assert final["distance"] == pytest.approx(0.0, abs=1e-3)
        assert final["plane_loss"] == pytest.approx(final["train_loss"], rel=1e-4)


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("v=1&model=mlp&" + RUNS, "surface"),
        ("v=2&surface=network&" + RUNS, "v"),
        ("v=1&surface=network", "runs"),
        ("v=1&surface=network&steps=20000&" + RUNS, "steps"),
        ("v=1&surface=network&steps=2.5&" + RUNS, "steps"),
        ("v=1&surface=network&run=sgd(lr=100)", "runs[0].lr"),
        ("v=1&surface=network&run=sgd(momentum=0.9)", "runs[0].momentum"),
        ("v=1&surface=network&run=sgd&run=banana", "runs[1].optimizer"),
        ("v=1&surface=network&run=sgd(batch=0)", "runs[0].batch_size"),
        ("v=1&surface=network&batch=many&" + RUNS, "batch_size"),
        ("v=1&surface=network&model=resnet&" + RUNS, "model"),
        ("v=1&surface=network&model=cnn&data=moons&" + RUNS, "model"),
        ("v=1&surface=network&data=mnist&" + RUNS, "data"),
        ("v=1&surface=network&plane=banana&" + RUNS, "plane"),
        ("v=1&surface=network&plane=endpoints&run=sgd", "plane"),
        ("v=1&surface=network&resolution=101&" + RUNS, "resolution"),
        ("v=1&surface=network&test=maybe&" + RUNS, "test"),
        ("v=1&surface=network&plane_runs=0,5&" + RUNS, "plane_runs[1]"),
        ("v=1&surface=network&plane_runs=1,1&" + RUNS, "plane_runs"),
        ("v=1&surface=network&dtype=float16&" + RUNS, "dtype"),
        ("v=1&surface=network&seed=-1&" + RUNS, "seed"),
        ("v=1&surface=network&record_every=0&" + RUNS, "record_every"),
        ("v=1&surface=network&sigma=1&" + RUNS, "sigma"),
        ("v=1&surface=network&steps=1&steps=2&" + RUNS, "steps"),
        ("v=1&surface=network&format=xml&" + RUNS, "format"),
        # the cap on steps × runs × parameters: 16 MLP runs can take at most 2,593 steps
        ("v=1&surface=network&steps=10000&" + "&".join(["run=sgd"] * 16), "steps"),
        ("v=1&surface=network&" + "&".join(["run=sgd"] * 17), "runs"),
    ],
)
def test_invalid_input_is_a_400_naming_the_field(client, query, field):
    response = client.get(f"/api/network?{query}")
    assert response.status_code == 400
    assert response.headers["Cache-Control"] == "no-store"
    error = _strict(response.get_data(as_text=True))["error"]
    assert error["field"] == field, error
    assert error["message"]


def test_identical_requests_compute_once(client):
    query = f"v=1&surface=network&steps=100&batch=64&{RUNS}&resolution=5&seed=3"
    before = network_document.computed()
    answers = []

    def ask():
        answers.append(client.get(f"/api/network?{query}").get_data())

    threads = [threading.Thread(target=ask) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert network_document.computed() == before + 1
    assert len(set(answers)) == 1
    # the same computation spelled differently (defaults, order of keys, a page key) too
    same = (
        "resolution=5&seed=3&surface=network&batch=64&steps=100&view=contour"
        "&run=momentum(lr=0.1,momentum=0.9)&run=adam(lr=1e-3,beta1=0.9)"
    )
    assert client.get(f"/api/network?{same}").get_data() == answers[0]
    assert network_document.computed() == before + 1


def test_csv_has_a_row_per_run_and_evaluation(client, pca):
    response = client.get(f"/api/network?{BASE}&plane=pca&test=1&format=csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert tuple(rows[0]) == network_api.CSV_COLUMNS
    body = rows[1:]
    assert len(body) == sum(len(run["eval_steps"]) for run in pca["runs"])
    first, last = body[0], body[-1]
    assert first[:3] == ["0", "momentum", "0"]
    run = pca["runs"][1]
    assert last[:3] == ["1", "adam", "100"]
    assert float(last[3]) == run["x"][-1] and float(last[5]) == run["distance"][-1]
    assert float(last[6]) == run["train_loss"][-1] and float(last[9]) == run["test_accuracy"][-1]


def test_the_answer_names_its_canonical_query(pca):
    link = read_link(pca["query"])
    assert link_query(link) == pca["query"]
    assert link.resolution == 9 and link.test and link.training.steps == 100
