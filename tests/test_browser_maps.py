"""The maps in headless Chromium: filled from the server's map, refined to the full grid,
read out under the pointer, opened by a click, animated (the fan), and fitted to a phone
and a projector.

One server and one browser for the module (as tests/test_browser.py); waits poll the page.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

import pytest
from selenium.webdriver.common.action_chains import ActionChains

from browser_support import js as _js, until

pytestmark = pytest.mark.browser

CELLS = "const gd = document.querySelector('#{id} .js-plotly-plot');" \
    " if (!gd || !gd.data) return null;" \
    " return gd.data.filter(t => t.meta && t.meta.map === 'cells').map(t => t.z ? t.z.length : 0);"


def _open(dash_duo, query: str, size=(1366, 900)) -> None:
    dash_duo.driver.set_window_size(*size)
    inner = _js(dash_duo, "return [window.innerWidth, window.innerHeight];")
    dash_duo.driver.set_window_size(2 * size[0] - inner[0], 2 * size[1] - inner[1])
    dash_duo.wait_for_page(url=f"{dash_duo.server_url}/?{query}", timeout=30)


def _status(dash_duo, graph: str) -> str:
    return _js(dash_duo, f"const e = document.getElementById('{graph}-status'); return e ? e.textContent : '';")


def test_a_basins_map_is_refined_to_its_full_grid_and_reads_out_cells(dash_duo):
    _open(dash_duo, "preset=adam_basins&grid=48")
    _until(lambda: "48 × 48: hover" in _status(dash_duo, "graph-basins"),
           message=lambda: _status(dash_duo, "graph-basins"))
    rows = _js(dash_duo, CELLS.format(id="graph-basins"))
    assert rows == [48, 48]  # both runs' panels at the full grid (the coarse one had 32 rows)
    # four minima reached by Adam: four bands of the colour scale among its cells
    bands = _js(dash_duo, """
        const gd = document.querySelector('#graph-basins .js-plotly-plot');
        const z = gd.data.find(t => t.meta && t.meta.map === 'cells' && t.meta.panel === 0).z;
        return [...new Set(z.flat().map(Math.floor))].sort();""")
    assert bands[:4] == [0, 1, 2, 3], bands
    claim = dash_duo.find_element(".claim").text
    assert "holds" in claim and "4 minima" in claim
    # the cell under the pointer is read out in words
    plot = dash_duo.find_element("#graph-basins .nsewdrag")
    ActionChains(dash_duo.driver).move_to_element_with_offset(plot, 5, 5).perform()
    _until(lambda: "click to open it" in _status(dash_duo, "graph-basins"),
           message=lambda: _status(dash_duo, "graph-basins"))
    assert "minimum" in _status(dash_duo, "graph-basins")


def test_clicking_a_cell_opens_that_start_in_the_trajectory_view(dash_duo):
    _open(dash_duo, "view=basins&surface=himmelblau&run=sgd&steps=100&grid=16")
    _until(lambda: "16 × 16: hover" in _status(dash_duo, "graph-basins"))
    plot = dash_duo.find_element("#graph-basins .nsewdrag")
    ActionChains(dash_duo.driver).move_to_element(plot).click().perform()
    _until(lambda: "view=" not in dash_duo.driver.current_url or "view=contour" in dash_duo.driver.current_url)
    query = parse_qs(urlparse(dash_duo.driver.current_url).query)
    _until(lambda: "start" in parse_qs(urlparse(dash_duo.driver.current_url).query))
    query = parse_qs(urlparse(dash_duo.driver.current_url).query)
    x, y = map(float, query["start"][0].split(","))
    assert abs(x) < 1 and abs(y) < 1  # the centre cell of [-5, 5]², near the middle
    assert _js(dash_duo, "return document.querySelector('#graph-contour').offsetParent !== null")


def test_the_hyperparameter_map_draws_the_stability_limit_and_the_best_cell(dash_duo):
    _open(dash_duo, "preset=stability_limit&grid=32")
    _until(lambda: "32 × 32: hover" in _status(dash_duo, "graph-hypermap"))
    traces = _js(dash_duo, """
        const gd = document.querySelector('#graph-hypermap .js-plotly-plot');
        return gd.data.map(t => [t.meta && t.meta.map, (t.x || []).length]);""")
    roles = dict((role, n) for role, n in traces if role)
    assert roles["best"] == 1 and roles["cells"] == 32
    assert {"limit", "optimal"} <= set(roles)
    assert "✓ holds" in dash_duo.find_element(".claim").text


def test_the_fan_fills_its_bands_and_moves_its_cloud_with_the_animation(dash_duo):
    _open(dash_duo, "preset=seed_fan")
    _until(lambda: _js(dash_duo, """
        const gd = document.querySelector('#graph-fanloss .js-plotly-plot');
        return gd && gd.data && gd.data.some(t => t.meta && t.meta.map === 'median' && t.y && t.y.length > 100);"""))
    cloud = """
        const gd = document.querySelector('#graph-fan .js-plotly-plot');
        const t = gd.data.find(t => t.meta && t.meta.map === 'cloud' && t.meta.panel === 2);
        return t && t.x ? t.x.filter(v => v !== null) : null;"""
    last = _until(lambda: _js(dash_duo, cloud))
    assert len(last) > 100  # batch 1: the seeds spread
    _js(dash_duo, "window.optiscape.stepTo(0);")
    first = _until(lambda: (lambda xs: xs if xs and len(set(xs)) == 1 else None)(_js(dash_duo, cloud)))
    assert len(set(first)) == 1  # at step 0 every seed is at the start
    assert "✓ holds" in dash_duo.find_element(".claim").text


def test_on_a_phone_the_basins_panels_stack_and_nothing_overflows(dash_duo):
    _open(dash_duo, "preset=large_basins&grid=32", size=(360, 800))
    _until(lambda: "32 × 32: hover" in _status(dash_duo, "graph-basins"))
    width, height = _js(dash_duo, """
        const r = document.querySelector('#graph-basins .js-plotly-plot').getBoundingClientRect();
        return [r.width, r.height];""")
    assert height > 1.8 * width  # two square panels one above the other, and the legend
    assert _js(dash_duo, "return document.documentElement.scrollWidth <= document.documentElement.clientWidth")
    domains = _js(dash_duo, """
        const l = document.querySelector('#graph-basins .js-plotly-plot').layout;
        return [l.yaxis.domain, l.yaxis2.domain];""")
    assert domains[1][1] < domains[0][0]  # the second panel below the first


def test_in_classroom_mode_the_map_ticks_are_projector_sized(dash_duo):
    _open(dash_duo, "preset=stability_limit&grid=16&classroom=1", size=(1920, 1080))
    _until(lambda: "16 × 16: hover" in _status(dash_duo, "graph-hypermap"))
    sizes = _js(dash_duo, """
        return [...document.querySelectorAll('#graph-hypermap .xtick text, #graph-hypermap .ytick text')]
            .map(e => parseFloat(getComputedStyle(e).fontSize));""")
    assert sizes and min(sizes) >= 20, sizes


def _until(condition, timeout: float = 60, message="condition not met in time"):
    return until(condition, timeout, message)
