"""security.harden on a real server: headers, request limits, and a page that still renders
in headless Chromium (plotly graph, MathJax markdown, a clientside callback) with no CSP
violation."""

from __future__ import annotations

import http.client
import json
import shutil
import threading
import time

import dash
import flask
import pytest
from dash import Input, Output, dcc, html
from werkzeug.serving import make_server

from security import MAX_CONTENT_LENGTH, MAX_QUERY_STRING, harden

CSP_REPORTS: list[dict] = []


def build_app() -> dash.Dash:
    app = dash.Dash(__name__, title="harden-test")
    app.layout = html.Div(
        [
            dcc.Markdown(r"Gradient: $\nabla f(x, y) = (2x, 2y)$", mathjax=True, id="math"),
            dcc.Graph(
                id="graph",
                figure={
                    "data": [
                        {
                            "type": "contour",
                            "z": [[(x - 2) ** 2 + y**2 for x in range(5)] for y in range(5)],
                        },
                        {"type": "scatter", "x": [0, 1, 2], "y": [0, 1, 0], "mode": "lines"},
                    ],
                    "layout": {"title": {"text": "surface"}},
                },
            ),
            html.Button("go", id="button"),
            html.Div(id="client-out"),
            html.Div(id="server-out"),
        ]
    )
    app.clientside_callback(
        "function(n) { return 'client ' + (n || 0); }",
        Output("client-out", "children"),
        Input("button", "n_clicks"),
    )

    @app.callback(Output("server-out", "children"), Input("button", "n_clicks"))
    def _server(n):
        return f"server {n or 0}"

    @app.server.post("/csp-report")
    def _csp_report():
        CSP_REPORTS.append(json.loads(flask.request.get_data() or b"{}"))
        return "", 204

    @app.server.get("/echo")
    def _echo():
        return {"ok": True}

    @app.server.post("/size")
    def _size():
        return {"bytes": len(flask.request.get_data())}

    harden(app, report_uri="/csp-report")
    return app


@pytest.fixture(scope="module")
def server():
    app = build_app()
    httpd = make_server("127.0.0.1", 0, app.server, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd.server_port
    httpd.shutdown()
    thread.join(timeout=5)


def request(port, method, path, body=None, headers=None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        conn.close()


def test_page_headers(server):
    status, headers, body = request(server, "GET", "/")
    assert status == 200
    assert b"DashRenderer" in body
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert "X-Frame-Options" not in headers  # the page may be embedded in slides
    assert headers["Referrer-Policy"] == "no-referrer"
    csp = dict(
        (part.strip().split(" ", 1) + [""])[:2]
        for part in headers["Content-Security-Policy"].split(";")
    )
    assert csp["frame-ancestors"] == "*"
    assert csp["object-src"] == "'none'"
    script_src = csp["script-src"].split()
    assert "'unsafe-inline'" not in script_src
    assert "'unsafe-eval'" not in script_src
    # The renderer bootstrap and the clientside callback, by hash.
    assert sum(s.startswith("'sha256-") for s in script_src) >= 2
    assert "'unsafe-inline'" in csp["style-src"]
    assert "data:" in csp["img-src"]


def test_non_html_responses_get_a_locked_down_policy(server):
    status, headers, body = request(server, "GET", "/echo")
    assert status == 200 and json.loads(body) == {"ok": True}
    assert headers["Content-Security-Policy"].startswith("default-src 'none'")
    assert headers["X-Content-Type-Options"] == "nosniff"


def test_dash_callback_still_works(server):
    payload = {
        "output": "server-out.children",
        "outputs": {"id": "server-out", "property": "children"},
        "inputs": [{"id": "button", "property": "n_clicks", "value": 3}],
        "changedPropIds": ["button.n_clicks"],
        "state": [],
    }
    status, headers, body = request(
        server,
        "POST",
        "/_dash-update-component",
        body=json.dumps(payload),
        headers={"Content-Type": "application/json"},
    )
    assert status == 200, body
    assert "server 3" in body.decode()
    assert headers["X-Content-Type-Options"] == "nosniff"


def test_body_too_large_is_413(server):
    body = b"x" * (MAX_CONTENT_LENGTH + 1)
    status, headers, answer = request(
        server,
        "POST",
        "/_dash-update-component",
        body=body,
        headers={"Content-Type": "application/json"},
    )
    assert status == 413
    assert json.loads(answer)["error"] == "payload_too_large"
    assert headers["X-Content-Type-Options"] == "nosniff"


def test_chunked_body_too_large_is_413(server):
    conn = http.client.HTTPConnection("127.0.0.1", server, timeout=10)
    try:
        chunk = b"x" * 65536
        chunks = iter([chunk] * (MAX_CONTENT_LENGTH // len(chunk) + 2))
        conn.request(
            "POST",
            "/_dash-update-component",
            body=chunks,
            headers={"Content-Type": "application/json"},
            encode_chunked=True,
        )
        response = conn.getresponse()
        assert response.status == 413
        assert json.loads(response.read())["error"] == "payload_too_large"
    finally:
        conn.close()


def test_small_chunked_body_reaches_the_view_intact(server):
    conn = http.client.HTTPConnection("127.0.0.1", server, timeout=10)
    try:
        conn.request("POST", "/size", body=iter([b"y" * 1000] * 5), encode_chunked=True)
        response = conn.getresponse()
        assert response.status == 200
        assert json.loads(response.read()) == {"bytes": 5000}
    finally:
        conn.close()


def test_query_string_limit(server):
    status, _, _ = request(server, "GET", "/echo?q=" + "a" * (MAX_QUERY_STRING - 2))
    assert status == 200
    status, headers, answer = request(server, "GET", "/echo?q=" + "a" * MAX_QUERY_STRING)
    assert status == 414
    assert json.loads(answer)["error"] == "uri_too_long"
    assert headers["X-Content-Type-Options"] == "nosniff"


def test_harden_is_idempotent():
    app = build_app()
    harden(app)
    counts = {k: len(v) for k, v in app.server.after_request_funcs.items()}
    harden(app)
    assert counts == {k: len(v) for k, v in app.server.after_request_funcs.items()}
    assert app.server.debug is False


@pytest.mark.browser
@pytest.mark.skipif(not shutil.which("chromedriver"), reason="needs chromium + chromedriver")
def test_page_renders_in_chromium_without_csp_violations(server):
    from selenium import webdriver
    from selenium.common.exceptions import TimeoutException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    options = webdriver.ChromeOptions()
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--window-size=1280,900",
    ):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    CSP_REPORTS.clear()
    driver = webdriver.Chrome(options=options)
    try:
        driver.get(f"http://127.0.0.1:{server}/")
        wait = WebDriverWait(driver, 30)
        try:
            wait.until(ec.text_to_be_present_in_element((By.ID, "client-out"), "client 0"))
            wait.until(ec.text_to_be_present_in_element((By.ID, "server-out"), "server 0"))
            wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#graph .contour"))
            wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#math mjx-container svg"))
            driver.find_element(By.ID, "button").click()
            wait.until(ec.text_to_be_present_in_element((By.ID, "client-out"), "client 1"))
            wait.until(ec.text_to_be_present_in_element((By.ID, "server-out"), "server 1"))
            time.sleep(0.5)  # let any late report arrive
            rendered = True
        except TimeoutException:
            rendered = False
        logs = driver.get_log("browser")
    finally:
        driver.quit()
    violations = [
        entry["message"]
        for entry in logs
        if "Content Security Policy" in entry["message"] or "Refused to" in entry["message"]
    ]
    assert violations == []
    assert CSP_REPORTS == []
    assert rendered, [entry["message"] for entry in logs]


def test_json_responses_are_never_framed(server):
    status, headers, _ = request(server, "GET", "/echo")
    assert status == 200
    assert headers["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]


@pytest.mark.parametrize(
    "value, expected",
    [("", "*"), ("'none'", "'none'"), ("'self' https://lms.example.edu", "'self' https://lms.example.edu"),
     ("*; script-src *", "*")],
)
def test_frame_ancestors_come_from_the_environment(monkeypatch, value, expected):
    from security import content_security_policy, frame_ancestors

    monkeypatch.setenv("FRAME_ANCESTORS", value)
    assert frame_ancestors() == expected
    policy = content_security_policy([], ancestors=frame_ancestors())
    assert f"frame-ancestors {expected};" in policy + ";"
    assert policy.count("script-src") == 1
