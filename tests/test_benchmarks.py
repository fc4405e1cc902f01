"""The benchmarks' client sends the page's real callback requests (against gunicorn on loopback)."""

from __future__ import annotations

import json

import pytest

from benchmarks import load_class
from benchmarks.dash_client import DashClient, runs_in
from benchmarks.server import Gunicorn
from urlstate.codec import parse_query, to_query

LINK = "v=1&surface=canyon&steps=150&run=sgd(lr=0.05)&run=adam(lr=0.1)&run=momentum(lr=0.05)"


@pytest.fixture(scope="module")
def server():
    """One gunicorn worker on a free loopback port (the project's gunicorn.conf.py)."""
    with Gunicorn(workers=1, threads=4) as running:
        yield running


def test_page_load_and_callbacks_are_the_browsers(server):
    client = DashClient(server.url)
    try:
        page, transfers = client.open("?" + LINK)
        assert all(t.status == 200 for t in transfers), [(t.path, t.status) for t in transfers]
        assert any("plotly" in t.path and t.wire_bytes > 1e6 for t in transfers)
        done = dict(client.first_callbacks(page))
        assert done["load"].status == 200 and done["change_surface"].status == 204
        # update read the controls that load rendered: the link's canonical query
        assert page.get("query-sync", "data") == to_query(parse_query(LINK)[0])
        assert len(runs_in(done["update"])) == 3
        assert page.get("figure-key", "data")  # the figures came with the first update
        # a typed learning rate: one update request, like in the browser
        lr = {"type": "run-field", "run": 1, "optimizer": "adam", "name": "lr"}
        changed = dict(client.change(page, lr, "value", "0.02"))
        assert set(changed) == {"update"} and "adam(lr=0.02)" in page.get("query-sync", "data")
        assert runs_in(changed["update"])[1].startswith("Adam")
        # the same number typed differently: nothing is recomputed
        same = dict(client.change(page, lr, "value", "0.020"))["update"]
        assert same.status == 200 and "trajectories" not in same.payload["response"]
        # a preset goes through load first
        changed = dict(client.change(page, "preset", "value", "nesterov"))
        assert set(changed) == {"load", "update"}
        assert changed["update"].status == 200 and runs_in(changed["update"])
    finally:
        client.close()


def test_load_class_runs_a_small_class(server, capsys):
    load_class.main([
        "--url", server.url, "--students", "2", "--changes", "2", "--arrival", "0.5",
        "--think-min", "0.05", "--think-max", "0.2", "--mix", "numbers", "--no-teacher",
        "--link", LINK, "--deadline", "50", "--json",
    ])
    figures = json.loads(capsys.readouterr().out)
    assert figures["page_loads"] == 2 and figures["changes_made"] == 4
    assert figures["errors"] == 0 and figures["lost"] == 0 and figures["wrong_run_counts"] == 0
    assert figures["by_callback"]["update"]["n"] >= 4
