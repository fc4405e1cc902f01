"""The page in headless Chromium (dash_duo): what a student sees and does."""

from __future__ import annotations

import json
import time
from urllib.parse import parse_qs, urlparse

import pytest
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.keys import Keys

pytestmark = pytest.mark.browser

LINK = "/?v=1&surface=canyon(kappa=20)&start=-1.8,0.6&steps=120&run=sgd(lr=0.09)&run=momentum(lr=0.02,momentum=0.8)"


@pytest.fixture(scope="module")
def optiscape():
    import app

    app.warm_up_page()
    return app.app


def _paths(dash_duo) -> list[dict]:
    """The contour's path traces as the browser currently draws them."""
    return dash_duo.driver.execute_script(
        "const gd = document.querySelector('#graph-contour .js-plotly-plot');"
        "return gd && gd.data ? gd.data.filter(t => t.meta && t.meta.role === 'path')"
        ".map(t => ({x: Array.from(t.x), y: Array.from(t.y), name: t.name})) : [];"
    )


def _until(condition, timeout: float = 20) -> None:
    end = time.time() + timeout
    while time.time() < end:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError("condition not met in time")


def _wait_for_paths(dash_duo, count: int, timeout: float = 30) -> list[dict]:
    end = time.time() + timeout
    while time.time() < end:
        paths = _paths(dash_duo)
        if len(paths) == count and all(len(p["x"]) > 1 for p in paths):
            return paths
        time.sleep(0.2)
    raise AssertionError(f"expected {count} drawn paths, got {_paths(dash_duo)}")


def _open(dash_duo, app, path: str = LINK):
    dash_duo.start_server(app)
    dash_duo.driver.get(dash_duo.server_url + path)
    dash_duo.wait_for_text_to_equal("#anim-step", "step 120 / 120", timeout=30) if "steps=120" in path else None


def _type(dash_duo, element, text: str):
    element.send_keys(Keys.CONTROL, "a")
    element.send_keys(Keys.DELETE)
    element.send_keys(text)


def test_default_page_shows_every_run(dash_duo, optiscape):
    dash_duo.start_server(optiscape)
    dash_duo.wait_for_contains_text("#anim-step", "step", timeout=30)
    paths = _wait_for_paths(dash_duo, count=len(dash_duo.find_elements(".run-card")))
    assert all(p["x"][0] == paths[0]["x"][0] for p in paths)  # same start
    assert dash_duo.find_element("#summary table")


def test_shared_link_reproduces_the_state_and_a_new_lr_changes_the_path(dash_duo, optiscape):
    _open(dash_duo, optiscape)
    before = _wait_for_paths(dash_duo, 2)
    assert before[0]["x"][0] == -1.8 and before[0]["y"][0] == 0.6
    assert "lr=0.09" in before[0]["name"]
    assert len(before[0]["x"]) == 121
    lr = dash_duo.find_element("#" + _css_id({"type": "run-field", "run": 0, "optimizer": "sgd", "name": "lr"}))
    assert lr.get_attribute("value") == "0.09"
    _type(dash_duo, lr, "0.03")
    dash_duo.wait_for_contains_text("#graph-loss", "lr=0.03", timeout=20)  # the legend
    after = _wait_for_paths(dash_duo, 2)
    assert after[0]["x"] != before[0]["x"]
    assert after[1]["x"] == before[1]["x"]  # the other run is untouched
    query = parse_qs(urlparse(dash_duo.driver.current_url).query)
    assert "sgd(lr=0.03)" in query["run"]


def test_clicking_the_contour_moves_the_start(dash_duo, optiscape):
    _open(dash_duo, optiscape)
    _wait_for_paths(dash_duo, 2)
    plot = dash_duo.find_element("#graph-contour .nsewdrag")
    ActionChains(dash_duo.driver).move_to_element_with_offset(plot, 30, 30).click().perform()
    start_x = "#" + _css_id({"type": "field", "name": "start_x"})
    _until(lambda: dash_duo.find_element(start_x).get_attribute("value") != "-1.8")
    moved = float(dash_duo.find_element(start_x).get_attribute("value"))
    _until(lambda: abs(_paths(dash_duo)[0]["x"][0] - moved) < 1e-3)


def _frame(dash_duo) -> tuple[int, int]:
    """The step the bar shows and the points of the first path as drawn (SVG), at one instant."""
    return tuple(dash_duo.driver.execute_script(
        "const line = document.querySelector('#graph-contour g.trace.scatter path.js-line[d*=L]');"
        "const drawn = (line.getAttribute('d').match(/L/g) || []).length + 1;"
        "return [+document.getElementById('anim-step').textContent.split(' ')[1], drawn];"
    ))


def test_play_advances_frames_without_server_requests(dash_duo, optiscape):
    _open(dash_duo, optiscape)
    _wait_for_paths(dash_duo, 2)
    dash_duo.driver.execute_script(
        "window.__requests = 0; const open = XMLHttpRequest.prototype.open;"
        "XMLHttpRequest.prototype.open = function() { window.__requests++; return open.apply(this, arguments); };"
        "const f = window.fetch; window.fetch = function() { window.__requests++; return f.apply(this, arguments); };"
        "const speed = document.querySelector('#animation select');"
        "speed.value = '15'; speed.dispatchEvent(new Event('change'));"
    )
    dash_duo.find_element("#anim-play").click()  # from the last frame: restarts at 0
    time.sleep(1.5)
    step, drawn = _frame(dash_duo)
    assert 0 < step < 120 and drawn == step + 1
    time.sleep(1.5)
    later, drawn = _frame(dash_duo)
    assert step < later and drawn == min(later, 120) + 1
    assert dash_duo.driver.execute_script("return window.__requests") == 0


def test_garbage_link_opens_with_defaults_and_a_notice(dash_duo, optiscape):
    dash_duo.start_server(optiscape)
    dash_duo.driver.get(dash_duo.server_url + "/?v=1&surface=banana&steps=-5&run=adam(lr=nan)&zzz=1")
    dash_duo.wait_for_contains_text("#notice", "banana", timeout=30)
    notice = dash_duo.find_element("#notice").text
    assert "steps" in notice and "lr" in notice
    _wait_for_paths(dash_duo, 1)


def _css_id(id_: dict) -> str:
    """The DOM id Dash gives a pattern-matching component, escaped for CSS."""
    text = json.dumps(id_, sort_keys=True, separators=(",", ":"))
    return "".join("\\" + c if not c.isalnum() and c not in "-_" else c for c in text)
