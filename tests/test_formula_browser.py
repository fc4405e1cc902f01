"""Your own surface in headless Chromium: a formula link draws its paths with the formula in
its field, an invalid formula is marked at the field, "Edit as my own" starts from the surface
shown and the page computes it."""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlparse

import pytest
from browser_support import failed_callbacks, js, set_size, until
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from landscapes.formula import BUILTIN_FORMULAS

pytestmark = pytest.mark.browser

LINK = (
    "/?v=1&surface=formula(xmin=-2,xmax=2,ymin=-1,ymax=3)&f=(1-x)%5E2+100*(y-x%5E2)%5E2"
    "&start=-1.5,2&steps=100&run=sgd(lr=0.001)&run=adam(lr=0.05)"
)


@pytest.fixture(scope="module", autouse=True)
def headless_only(request):
    """Run with `--headless` (as `pytest tests/test_browser.py --headless` is): without a
    display Chromium cannot start."""
    if not request.config.getoption("headless"):
        pytest.skip("browser tests run with --headless")


FIELD = 'textarea[id=\'{"name":"f","type":"field"}\']'


def _paths(duo) -> list:
    return js(
        duo,
        "const gd = document.querySelector('#graph-contour .js-plotly-plot');"
        "return gd && gd.data ? gd.data.filter(t => t.meta && t.meta.role === 'path')"
        ".map(t => Array.from(t.x).length) : [];",
    )


def _query(duo) -> dict:
    """The address bar's keys, a literal `+` read as plus (as the app reads links)."""
    return parse_qs(urlparse(duo.driver.current_url).query.replace("+", "%2B"))


def _error_text(duo, selector: str) -> str:
    return js(
        duo,
        "const input = document.querySelector(arguments[0]);"
        "const wrapper = input && input.closest('.mantine-InputWrapper-root');"
        "const text = wrapper && wrapper.querySelector('.mantine-InputWrapper-error');"
        "return text ? text.textContent : '';",
        selector,
    )


def test_a_formula_link_draws_its_paths_and_marks_an_invalid_formula(dash_duo):
    set_size(dash_duo, 1366, 900)
    dash_duo.driver.get(dash_duo.server_url + LINK)
    until(lambda: _paths(dash_duo) == [101, 101], 60, lambda: f"paths {_paths(dash_duo)}")
    field = dash_duo.find_element(FIELD)
    assert field.get_attribute("value") == BUILTIN_FORMULAS["rosenbrock"]
    minima = js(
        dash_duo,
        "const gd = document.querySelector('#graph-contour .js-plotly-plot');"
        "return gd.data.filter(t => t.meta && t.meta.role === 'minimum').map(t => t.name);",
    )
    assert minima and "found numerically" in minima[0]
    field.send_keys(Keys.END, " + z")
    error = until(lambda: _error_text(dash_duo, FIELD), 30, "the formula field is not marked")
    assert "unknown name 'z'" in error and "column" in error
    assert _query(dash_duo)["f"] == ["(1-x)^2+100*(y-x^2)^2"]  # the previous formula kept
    assert failed_callbacks(dash_duo) == []


def test_edit_as_my_own_starts_from_the_surface_shown(dash_duo):
    set_size(dash_duo, 1366, 900)
    dash_duo.driver.get(dash_duo.server_url + "/?v=1&surface=himmelblau&run=sgd(lr=0.01)&steps=50")
    until(lambda: _paths(dash_duo) == [51], 60)
    button = dash_duo.find_element(".formula-edit")
    button.click()
    field = until(lambda: dash_duo.driver.find_elements(By.CSS_SELECTOR, FIELD), 30)[0]
    assert field.get_attribute("value") == BUILTIN_FORMULAS["himmelblau"]
    until(lambda: _query(dash_duo).get("surface", [""])[0].startswith("formula"), 30,
          lambda: f"link {json.dumps(_query(dash_duo))}")
    assert _query(dash_duo)["f"] == [BUILTIN_FORMULAS["himmelblau"].replace(" ", "")]
    field.send_keys(Keys.END, " + 0.5*x")
    until(lambda: "0.5*x" in _query(dash_duo)["f"][0], 30)
    until(lambda: _paths(dash_duo) == [51], 30)
    assert failed_callbacks(dash_duo) == []
