"""compression.py: static files compressed (and kept) for size, large dynamic responses per
request for speed, small ones left alone; every body decodes to what was served."""

from __future__ import annotations

import gzip
import json

import brotli
import flask
import pytest

from compression import LARGE_RESPONSE, enable_compression

SCRIPT = "var plotly = 1;\n" * 20_000
BIG = json.dumps({"x": [round(i * 0.001, 3) for i in range(LARGE_RESPONSE // 4)]})


@pytest.fixture(scope="module")
def client() -> flask.testing.FlaskClient:
    server = flask.Flask(__name__)
    routes = {
        "/assets/app.js": lambda: flask.Response(SCRIPT, mimetype="application/javascript"),
        "/big": lambda: flask.Response(BIG, mimetype="application/json"),
        "/small": lambda: flask.Response('{"x": 1}', mimetype="application/json"),
        "/missing": lambda: flask.Response(BIG, status=404, mimetype="application/json"),
    }
    for path, view in routes.items():
        server.add_url_rule(path, endpoint=path, view_func=view)
    enable_compression(server)
    return server.test_client()


def decoded(response) -> str:
    body = response.get_data()
    encoding = response.headers.get("Content-Encoding")
    if encoding == "br":
        body = brotli.decompress(body)
    elif encoding == "gzip":
        body = gzip.decompress(body)
    return body.decode()


@pytest.mark.parametrize("accept, expected", [("gzip, deflate, br", "br"), ("gzip", "gzip"), ("identity", None)])
def test_large_dynamic_responses_are_compressed_in_the_best_accepted_encoding(client, accept, expected):
    response = client.get("/big", headers={"Accept-Encoding": accept})
    assert response.headers.get("Content-Encoding") == expected
    assert decoded(response) == BIG
    if expected:
        assert "Accept-Encoding" in response.headers["Vary"]
        assert int(response.headers["Content-Length"]) < len(BIG) / 2


def test_small_and_failed_dynamic_responses_are_sent_as_they_are(client):
    for path in ("/small", "/missing"):
        response = client.get(path, headers={"Accept-Encoding": "br, gzip"})
        assert "Content-Encoding" not in response.headers
    assert len(BIG) > LARGE_RESPONSE  # /missing would qualify by size


@pytest.mark.parametrize("accept, expected", [("gzip, deflate, br", "br"), ("gzip", "gzip")])
def test_static_files_are_compressed_even_when_small_and_decode_to_the_file(client, accept, expected):
    first = client.get("/assets/app.js", headers={"Accept-Encoding": accept})
    again = client.get("/assets/app.js", headers={"Accept-Encoding": accept})
    assert first.headers["Content-Encoding"] == expected
    assert decoded(first) == SCRIPT and again.get_data() == first.get_data()
