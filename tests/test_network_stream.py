"""GET /api/network/stream: progress lines then `done`, one computation shared with
/api/network's cache, 400s before streaming, and a computation abandoned when its client
goes away.

Links are small (the moons MLP, few steps, 5 × 5 grids) so the file stays quick; each test
uses its own seed so that no test finds another's answer cached.
"""

from __future__ import annotations

import http.client
import threading
import time

import flask
import pytest
from test_network_api import _strict  # JSON with no NaN or Infinity
from werkzeug.serving import make_server

from networks import api as network_api
from networks import document as network_document
from networks import stream as network_stream
from networks.link import computation_key, read_link

QUICK = (
    "v=1&surface=network&model=mlp&data=moons&steps=300&batch=32"
    "&run=momentum(lr=0.1)&run=adam(lr=0.01)&resolution=5"
)


@pytest.fixture(scope="module")
def server():
    app = flask.Flask(__name__)
    network_api.register_network_api(app)
    network_stream.register_network_stream(app)
    return app


@pytest.fixture(scope="module")
def client(server):
    return server.test_client()


def _lines(response) -> list[dict]:
    return [_strict(line) for line in response.get_data(as_text=True).splitlines()]


def test_progress_then_done_then_cached(client):
    query = f"{QUICK}&seed=11"
    link = read_link(query)
    before = network_document.computed()
    response = client.get(f"/api/network/stream?{query}")
    assert response.status_code == 200
    assert response.mimetype == "application/x-ndjson"
    assert response.headers["Cache-Control"] == "no-store"
    lines = _lines(response)
    assert lines[-1] == {"done": {"query": computation_key(link)}}
    progress = [line["progress"] for line in lines[:-1]]
    assert all(set(line) == {"progress"} for line in lines[:-1])
    assert len(progress) >= 4
    stages = [p["stage"] for p in progress]
    # training first, then the plane, then the sharpness, each stage in one block
    order = [s for k, s in enumerate(stages) if k == 0 or stages[k - 1] != s]
    assert order == ["training", "plane", "sharpness"]
    done = [p["done"] for p in progress]
    assert done == sorted(done) and done[0] == 0.0 and done[-1] == 1.0
    assert all(0.0 <= d <= 1.0 for d in done)
    assert progress[0]["text"] == "Training 2 runs: step 0 of 300"
    assert any(p["text"] == "Training 2 runs: step 300 of 300" for p in progress)
    assert network_document.computed() == before + 1
    # the document is in /api/network's cache: answered without computing again
    assert network_document.cache_status(link) == "done"
    answer = client.get(f"/api/network?{query}")
    assert answer.status_code == 200
    assert _strict(answer.get_data(as_text=True))["query"] == computation_key(link)
    assert network_document.computed() == before + 1
    # a second stream of the same computation (spelled differently) is just `done`
    again = client.get(f"/api/network/stream?{query}&view=plane&classroom=1")
    assert _lines(again) == [{"done": {"query": computation_key(link)}}]
    assert network_document.computed() == before + 1


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("v=1&surface=network&steps=2.5&run=sgd", "steps"),
        ("v=1&surface=network&run=sgd(lr=100)", "runs[0].lr"),
        ("v=1&surface=network&plane=banana&run=sgd", "plane"),
        ("v=1&model=mlp&run=sgd", "surface"),
    ],
)
def test_invalid_link_is_a_400_naming_the_field(client, query, field):
    response = client.get(f"/api/network/stream?{query}")
    assert response.status_code == 400
    assert response.mimetype == "application/json"
    error = _strict(response.get_data(as_text=True))["error"]
    assert error["field"] == field and error["message"]


def test_a_second_request_waits_for_the_running_computation(client):
    query = f"{QUICK}&seed=12"
    link = read_link(query)
    before = network_document.computed()
    started, release = threading.Event(), threading.Event()

    def slow(stage, fraction):  # holds the computation until the second stream is waiting
        started.set()
        release.wait(30)

    owner = threading.Thread(target=network_document.cached_network, args=(link, slow))
    owner.start()
    assert started.wait(60)
    assert network_document.cache_status(link) == "running"
    response = client.get(f"/api/network/stream?{query}", buffered=False)
    lines = iter(response.response)
    first = _strict(next(lines))
    assert first["progress"]["stage"] == "waiting"
    release.set()
    rest = [_strict(line) for line in lines]
    owner.join(60)
    assert rest == [{"done": {"query": computation_key(link)}}]
    assert network_document.computed() == before + 1


def test_an_error_during_the_computation_is_the_last_line(client, monkeypatch):
    query = f"{QUICK}&seed=13"

    def broken(link, progress=None):
        progress("training", 0.5)
        raise RuntimeError("boom")

    monkeypatch.setattr(network_document, "compute_network", broken)
    lines = _lines(client.get(f"/api/network/stream?{query}"))
    assert lines[-1]["error"]["field"] == "result"
    assert "RuntimeError" in lines[-1]["error"]["message"]
    assert [line["progress"]["done"] for line in lines[:-1]] == [0.0, 0.275]
    assert network_document.cache_status(read_link(query)) is None


def test_closing_the_connection_abandons_the_computation(server):
    # long enough (30 compiled chunks of training, a 51 × 51 grid) to outlive the close
    query = (
        "v=1&surface=network&model=mlp&data=moons&steps=3000&batch=32&run=sgd(lr=0.1)"
        "&seed=14&resolution=51"
    )
    link = read_link(query)
    before = network_stream.abandoned()
    http_server = make_server("127.0.0.1", 0, server, threaded=True)
    thread = threading.Thread(target=http_server.serve_forever, daemon=True)
    thread.start()
    try:
        connection = http.client.HTTPConnection("127.0.0.1", http_server.server_port, timeout=60)
        connection.request("GET", f"/api/network/stream?{query}")
        response = connection.getresponse()
        assert response.status == 200
        first = _strict(response.readline())
        assert first["progress"]["stage"] == "training"
        response.close()
        connection.close()
        deadline = time.monotonic() + 90
        while network_stream.abandoned() == before and time.monotonic() < deadline:
            time.sleep(0.05)
        assert network_stream.abandoned() == before + 1
        assert network_document.cache_status(link) is None
    finally:
        http_server.shutdown()


def test_the_app_serves_the_stream():
    from app import server

    rules = {rule.rule for rule in server.url_map.iter_rules()}
    assert "/api/network/stream" in rules and "/api/network" in rules


def test_a_presets_link_gets_its_verdict(client):
    from types import SimpleNamespace

    from engine import Run
    from networks.presets import PRESETS_BY_NAME

    preset = PRESETS_BY_NAME["momentum_vs_adam_digits"]
    link = read_link(preset.query + "&view=plane")  # the same computation
    assert network_document.preset_of(link) is preset
    assert network_document.preset_of(read_link(preset.query + "&seed=1")) is None

    def result(losses):
        return SimpleNamespace(
            training=SimpleNamespace(runs=(Run("momentum", {"lr": 0.1}), Run("adam", {"lr": 0.001}))),
            runs=[SimpleNamespace(train_loss=[1.0, loss], diverged_at=None) for loss in losses],
        )

    held = network_document.preset_json(link, result([0.02, 0.25]), None)
    assert held["name"] == preset.name and held["title"] == preset.title
    assert held["caption"] == list(preset.caption)
    assert held["verdict"]["holds"] is True and "12.5×" in held["verdict"]["sentence"]
    failed = network_document.preset_json(link, result([0.2, 0.25]), None)
    assert failed["verdict"]["holds"] is False
    assert network_document.preset_json(read_link(QUICK), result([0.2, 0.25]), None) is None
    # a link that is no preset's: `preset` is null in the document
    lines = _lines(client.get(f"/api/network/stream?{QUICK}&seed=11"))
    document = network_document.cached_network(read_link(f"{QUICK}&seed=11"))
    assert lines[-1]["done"] and document["preset"] is None
