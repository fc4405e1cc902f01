"""The real-network view in headless Chromium: a network link streams its progress, then
draws the plane from the server's cached document, fits a phone and a projector, aborts a
stream a new training replaces, and names an invalid field without a failed callback.

One server and one browser for the module (conftest.py); the server runs in this process, so
the test reads the same cache (`networks.document.cached_network`) and counters it does.
"""

from __future__ import annotations

from urllib.parse import urlparse

import numpy as np
import pytest

from browser_support import failed_callbacks, js as _js, set_size, until

pytestmark = pytest.mark.browser

# Small and fast: the moons MLP (354 parameters), a few steps, an 11×11 grid.
QUERY = (
    "v=1&surface=network&model=mlp&data=moons&plane=pca&steps=60&batch=32"
    "&run=sgd(lr=0.5)&run=adam(lr=0.01)&resolution=11"
)
# Every value of the progress bar, recorded from the first frame of each page.
RECORD_PROGRESS = """
window.__progress = [];
new MutationObserver((changes) => changes.forEach((c) => {
  if (c.target.id === 'network-progress') window.__progress.push(+c.target.getAttribute('aria-valuenow'));
})).observe(document, {attributes: true, subtree: true, attributeFilter: ['aria-valuenow']});
"""
PLANE = "const gd = document.querySelector('#network-graph-plane .js-plotly-plot');"


@pytest.fixture(scope="module")
def duo(dash_duo):
    dash_duo.driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": RECORD_PROGRESS})
    return dash_duo


def _open(duo, query: str, size=(1366, 900)) -> None:
    set_size(duo, *size)
    duo.driver.get(f"{duo.server_url}/?{query}")


def _status(duo) -> str:
    return _js(duo, "const e = document.getElementById('network-status'); return e ? e.textContent : '';")


def _drawn(duo) -> bool:
    return bool(_js(duo, PLANE + " return !!(gd && gd.data && gd.data.some(t => t.type === 'contour'));"))


def _wait_drawn(duo, timeout: float = 120) -> None:
    until(lambda: _drawn(duo), timeout, lambda: f"not drawn; status {_status(duo)!r}, "
          f"failed callbacks {failed_callbacks(duo)}")


def _no_overflow(duo) -> bool:
    return _js(duo, "return document.documentElement.scrollWidth <= document.documentElement.clientWidth;")


def test_a_network_link_streams_its_progress_then_draws_the_cached_document(duo):
    from networks.document import cached_network
    from networks.link import link_query, read_link

    _open(duo, QUERY)
    _wait_drawn(duo)
    values = _js(duo, "return window.__progress;")
    assert any(0 < v < 100 for v in values), values  # it moved on the way
    assert values[-1] == 100 and "Done" in _status(duo)
    assert _js(duo, "return document.getElementById('network-progress').getAttribute('role');") == "progressbar"
    # the contour is the server's loss grid (log10 of it when drawn on a log scale)
    document = cached_network(read_link(QUERY))
    z, is_log = _js(duo, PLANE + " const c = gd.data.find(t => t.type === 'contour');"
                    " return [c.z, !!(c.meta && c.meta.log)];")
    z = np.asarray(z, float)
    loss = np.asarray(document["plane"]["loss"], float)
    assert z.shape == loss.shape == (11, 11)
    np.testing.assert_allclose(10.0 ** z if is_log else z, loss, rtol=1e-6)
    paths = _js(duo, PLANE + " return gd.data.filter(t => t.meta && t.meta.role === 'path').length;")
    assert paths == len(document["runs"]) == 2
    # one row per run, each with a sharpness
    rows = _js(duo, "return [...document.querySelectorAll('.network-summary tbody tr')]"
                    ".map(r => [...r.cells].map(c => c.textContent.trim()));")
    assert [r[0].split(" ")[0] for r in rows] == ["sgd", "adam"], rows
    for row in rows:
        float(row[4])  # the sharpness column holds a number
    assert "%" in rows[0][3]
    # the address keeps the canonical link; the honest captions are shown
    assert urlparse(duo.driver.current_url).query == link_query(read_link(QUERY))
    assert "variance" in duo.find_element("#network-caption").text
    assert _js(duo, "return getComputedStyle(document.querySelector('.shell > .body')).display;") == "none"
    assert failed_callbacks(duo) == []


@pytest.mark.parametrize("width,height", [(360, 800), (1280, 900), (1920, 1080)])
def test_nothing_overflows_from_a_phone_to_a_projector(duo, width, height):
    _open(duo, QUERY, (width, height))
    _wait_drawn(duo)
    for tab in ("Loss", "Plane"):  # a tab shown after the first still fits
        duo.driver.find_element("xpath", f"//*[@id='network-tabs']//button[@role='tab'][.='{tab}']").click()
    until(lambda: _no_overflow(duo), 5, lambda: _js(
        duo, "return [document.documentElement.scrollWidth, document.documentElement.clientWidth];"))
    box = _js(duo, "const r = document.getElementById('network-graph-plane').getBoundingClientRect();"
                   " return [r.width, r.height, window.innerHeight];")
    # the plane fits the screen's height (Plotly keeps its two axes' scale equal inside)
    assert box[1] <= box[2] and box[1] >= min(box[0], 400) * 0.9, box


def test_in_classroom_mode_the_tick_labels_are_projector_sized(duo):
    _open(duo, QUERY + "&classroom=1", (1920, 1080))
    _wait_drawn(duo)
    assert "classroom" in duo.find_element("#shell").get_attribute("class")
    until(lambda: _js(duo, "return document.querySelectorAll('#network-graph-plane .xtick text').length > 0;"))
    sizes = _js(duo, "return [...document.querySelectorAll('#network-graph-plane .xtick text,"
                     " #network-graph-plane .ytick text')].map(e => parseFloat(getComputedStyle(e).fontSize));")
    assert sizes and min(sizes) >= 20, sizes
    assert "classroom=1" in duo.driver.current_url


def test_training_again_aborts_the_stream_still_running(duo):
    from networks import stream

    slow = ("v=1&surface=network&model=mlp&data=digits&plane=pca&steps=3000&batch=64"
            "&run=momentum(lr=0.1)&run=adam(lr=0.001)&run=sgd(lr=0.2)&seed=7")
    before = stream.abandoned()
    _open(duo, slow)
    until(lambda: _js(duo, "return (window.__progress || []).some(v => v > 0);"), 60,
          lambda: f"no progress: {_status(duo)!r}")
    assert not _drawn(duo)
    # a new number of steps, trained at once: the first stream is closed
    _js(duo, "window.dash_clientside.set_props('network-steps', {value: '40'});")
    _js(duo, "window.dash_clientside.set_props('network-resolution', {value: 9});")
    duo.find_element("#network-train").click()
    until(lambda: "steps=40" in duo.driver.current_url, 20)
    first = _js(duo, "return window.optiscapeNetwork.state.controllers[0].signal.aborted;")
    assert first is True
    until(lambda: stream.abandoned() > before, 60, "the server did not abandon the first computation")
    _wait_drawn(duo)
    assert "Done" in _status(duo)
    assert failed_callbacks(duo) == []


def test_an_invalid_run_names_its_field_and_nothing_fails(duo):
    invalid = "v=1&surface=network&model=mlp&data=moons&steps=20&run=adam(lr=-1)"
    _open(duo, invalid)
    until(lambda: "lr" in duo.find_element("#network-error").text, 20)
    text = duo.find_element("#network-error").text
    assert "Run 1" in text and "must be between" in text
    assert _js(duo, "return document.getElementById('network-view').classList.contains('network-active');")
    # the form keeps sane defaults; an invalid value typed there is marked at its field
    _js(duo, "window.dash_clientside.set_props('network-runs', {value: 'adam(lr=-1)'});")
    duo.find_element("#network-train").click()
    until(lambda: "must be between" in (_js(duo, "const e = document.querySelector("
          "'.network-runs .mantine-InputWrapper-error'); return e ? e.textContent : '';") or ""), 20)
    assert urlparse(duo.driver.current_url).query == invalid  # nothing else changed
    assert not _drawn(duo)
    assert failed_callbacks(duo) == []


AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
AXE_CONTEXT = {"include": [["#network-view"]],
               "exclude": [[".js-plotly-plot .main-svg"], [".js-plotly-plot .modebar-btn svg"]]}


def test_axe_finds_nothing_serious_in_the_network_view(duo):
    from axe_selenium_python import Axe

    _open(duo, QUERY)
    _wait_drawn(duo)
    if not _js(duo, "return !!window.axe;"):
        Axe(duo.driver).inject()
    found = duo.driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "axe.run(arguments[1], arguments[0]).then(r => done(r.violations.map(v => ({"
        " id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map(n => n.target.join(' ')) }))),"
        " e => done([{id: 'axe-error', impact: 'critical', help: String(e), nodes: []}]));",
        {"runOnly": {"type": "tag", "values": AXE_TAGS}, "resultTypes": ["violations"]}, AXE_CONTEXT,
    )
    serious = [v for v in found if v["impact"] in ("serious", "critical")]
    assert not serious, serious


# The plane's parts drawn, as boxes (left, top, right, bottom) in CSS pixels.
PLANE_BOXES = PLANE + """
const r = (el) => { if (!el) return null; const b = el.getBoundingClientRect();
  return b.width > 0 ? [b.left, b.top, b.right, b.bottom] : null; };
const q = (s) => [...gd.querySelectorAll(s)].find((e) => e.getBoundingClientRect().width > 0);
return {buttons: r(q('.updatemenu-container')), rail: r(q('.slider-container .slider-rail-rect')),
  ticks: r(q('.slider-container .slider-labels')) || r(q('.slider-container')),
  value: r([...gd.querySelectorAll('.slider-container text')].find((e) => e.textContent.startsWith('step '))),
  xtitle: r(q('.g-xtitle')), colorbar: r(q('.colorbar .cbfill')), width: gd._fullLayout.xaxis._length, height: gd._fullLayout.yaxis._length,
  graph: r(gd), modebar: r(q('.modebar-container .modebar'))};
"""


def _apart(a, b) -> bool:
    return a[2] <= b[0] or b[2] <= a[0] or a[3] <= b[1] or b[3] <= a[1]


def _settled(duo, timeout: float = 10) -> dict:
    """The plane's boxes once two looks 0.5 s apart agree (assets/networks.js has fitted it)."""
    import time

    last, end = None, time.time() + timeout
    while time.time() < end:
        boxes = _js(duo, PLANE_BOXES)
        if boxes == last:
            return boxes
        last = boxes
        time.sleep(0.5)
    return last


@pytest.mark.parametrize("width,height,extra", [(360, 800, ""), (1280, 900, ""), (1920, 1080, "&classroom=1")])
def test_the_player_the_slider_and_the_x_title_do_not_overlap(duo, width, height, extra):
    _open(duo, QUERY + extra, (width, height))
    _wait_drawn(duo)
    boxes = _settled(duo)
    parts = {k: boxes[k] for k in ("buttons", "rail", "value", "xtitle")}
    assert all(parts.values()), boxes
    for a in parts:
        for b in parts:
            if a < b:
                assert _apart(parts[a], parts[b]), (a, b, boxes)
    # the buttons, the slider and its value below the x-axis title, all inside the figure
    for part in ("buttons", "rail", "value"):
        assert parts[part][1] >= parts["xtitle"][3], (part, boxes)
        assert parts[part][3] <= boxes["graph"][3] + 1 and parts[part][2] <= boxes["graph"][2] + 1, (part, boxes)
    assert parts["value"][0] >= parts["rail"][0] + 0.5 * (parts["rail"][2] - parts["rail"][0])  # at its right end
    assert _no_overflow(duo)


def test_on_a_phone_the_plane_takes_the_width_and_nothing_covers_it(duo):
    _open(duo, QUERY, (360, 800))
    _wait_drawn(duo)
    boxes = _settled(duo)
    assert boxes["width"] >= 280, boxes  # equal-scale axes, yet the plot spans the phone
    assert boxes["height"] >= 80, boxes
    assert boxes["modebar"] is None, boxes  # no mode bar over the legend
    bar = boxes["colorbar"]  # the colour bar lies flat under the x-axis title
    assert bar[2] - bar[0] > bar[3] - bar[1] and bar[1] >= boxes["xtitle"][3] - 1, boxes
    assert _apart(bar, boxes["buttons"]) and _apart(bar, boxes["rail"]), boxes
    assert _no_overflow(duo)
    # every tab fits the phone: no mode bar, no horizontal overflow, tick labels of 11 px and more
    for tab in ("3D", "Loss", "Accuracy", "Per run", "Off-plane distance", "Plane"):
        duo.driver.find_element("xpath", f"//*[@id='network-tabs']//button[@role='tab'][.='{tab}']").click()
        until(lambda: _no_overflow(duo), 5)
        sizes = _js(duo, "return [...document.querySelectorAll('.network-graph .xtick text, .network-graph .ytick text')]"
                         ".filter(e => e.getBoundingClientRect().width > 0).map(e => parseFloat(getComputedStyle(e).fontSize));")
        assert all(s >= 11 for s in sizes), (tab, sizes)


def test_the_preset_menu_forgets_a_preset_once_the_form_trains_something_else(duo):
    from networks.presets import NETWORK_PRESETS

    preset = NETWORK_PRESETS[0]
    _open(duo, "v=1&surface=network&model=mlp&data=moons&steps=20&run=adam(lr=0.01)&resolution=9")
    until(lambda: _js(duo, "return !!document.getElementById('network-preset');"), 20)
    _js(duo, f"window.dash_clientside.set_props('network-preset', {{value: '{preset.name}'}});")
    until(lambda: "steps=" in duo.driver.current_url and "resolution=9" not in duo.driver.current_url, 20)
    assert _js(duo, "return document.getElementById('network-preset').value;") == preset.title
    _js(duo, "window.dash_clientside.set_props('network-steps', {value: '30'});")
    duo.find_element("#network-train").click()
    until(lambda: "steps=30" in duo.driver.current_url, 20)
    until(lambda: _js(duo, "return document.getElementById('network-preset').value;") == "", 10,
          lambda: _js(duo, "return document.getElementById('network-preset').value;"))
    assert failed_callbacks(duo) == []


def test_the_tab_shown_is_in_the_link_and_a_link_opens_on_its_tab(duo):
    _open(duo, f"{QUERY}&view=loss")
    _wait_drawn(duo)
    selected = "return document.querySelector('#network-tabs [role=tab][aria-selected=true]').textContent;"
    until(lambda: _js(duo, selected) == "Loss", 10, lambda: _js(duo, selected))
    _js(duo, "[...document.querySelectorAll('#network-tabs [role=tab]')]"
             ".find((t) => t.textContent === 'Accuracy').click();")
    until(lambda: "view=accuracy" in duo.driver.current_url, 10, lambda: duo.driver.current_url)
    assert "view=loss" not in duo.driver.current_url
    _js(duo, "[...document.querySelectorAll('#network-tabs [role=tab]')]"
             ".find((t) => t.textContent === 'Plane').click();")
    until(lambda: "view=" not in duo.driver.current_url, 10, lambda: duo.driver.current_url)
    assert failed_callbacks(duo) == []
