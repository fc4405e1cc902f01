"""The page in headless Chromium (dash_duo): what a student does and what a lecturer sees.

One server and one browser for the whole module (`dash_duo` is overridden below); every test
opens its own link at its own window size. Waits poll the page (`_until`), never sleep for
a fixed time longer than a poll.
"""

from __future__ import annotations

import json
import time
from urllib.parse import parse_qs, urlparse

import pytest
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from browser_support import js as _js, set_size as _set_size, until

pytestmark = pytest.mark.browser

LINK = "/?v=1&surface=canyon(kappa=20)&start=-1.8,0.6&steps=120&run=sgd(lr=0.09)&run=momentum(lr=0.02,momentum=0.8)"
DEFAULT_SIZE = (1366, 900)
SIZES = [(360, 800), (1280, 900), (1920, 1080)]
SIZE_IDS = [f"{w}x{h}" for w, h in SIZES]


# ---------------------------------------------------------------- one server, one browser


# ---------------------------------------------------------------- helpers


def _paths(dash_duo) -> list[dict]:
    """The contour's path traces as the browser currently draws them."""
    return _js(
        dash_duo,
        "const gd = document.querySelector('#graph-contour .js-plotly-plot');"
        "return gd && gd.data ? gd.data.filter(t => t.meta && t.meta.role === 'path')"
        ".map(t => ({x: Array.from(t.x), y: Array.from(t.y), name: t.name})) : [];",
    )


def _ready(dash_duo) -> bool:
    """Trajectories received, no computation in flight."""
    return bool(_js(
        dash_duo,
        "const o = window.optiscape; return !!(o && o.state.data && !o.state.busy"
        " && document.querySelector('#anim-step') && /^step /.test(document.querySelector('#anim-step').textContent));",
    ))


def _wait_for_paths(dash_duo, count: int | None = None, timeout: float = 30) -> list[dict]:
    """The drawn paths once `count` of them (default: one per run card) have points."""

    def drawn():
        expected = count if count is not None else len(dash_duo.driver.find_elements(By.CSS_SELECTOR, ".run-card"))
        paths = _paths(dash_duo)
        ok = expected > 0 and len(paths) == expected and all(len(p["x"]) > 1 for p in paths)
        return paths if ok and _ready(dash_duo) else None

    return _until(drawn, timeout, lambda: f"expected {count} drawn paths, got {_paths(dash_duo)}")


def _open(dash_duo, path: str = "/", size: tuple[int, int] = DEFAULT_SIZE, count: int | None = None) -> list[dict]:
    """Open `path` at a viewport of `size`; return the drawn paths."""
    _set_size(dash_duo, *size)
    dash_duo.driver.get(dash_duo.server_url + path)
    return _wait_for_paths(dash_duo, count)


def _type(element, text: str) -> None:
    element.send_keys(Keys.CONTROL, "a")
    element.send_keys(Keys.DELETE)
    element.send_keys(text)


def _query(dash_duo) -> dict[str, list[str]]:
    return parse_qs(urlparse(dash_duo.driver.current_url).query)


def _state(dash_duo, key: str):
    return _js(dash_duo, f"return window.optiscape.state.{key};")


def _css_id(id_: dict) -> str:
    """The DOM id Dash gives a pattern-matching component, escaped for CSS."""
    text = json.dumps(id_, sort_keys=True, separators=(",", ":"))
    return "".join("\\" + c if not c.isalnum() and c not in "-_" else c for c in text)


LR_1 = "#" + _css_id({"type": "run-field", "run": 0, "optimizer": "sgd", "name": "lr"})

CLIPPED = """
const bad = [];
for (const root of document.querySelectorAll(arguments[0])) {
  for (const el of [root, ...root.querySelectorAll('*')]) {
    if (el.scrollWidth > el.clientWidth + 1) {
      const name = el.tagName.toLowerCase() + (el.id ? '#' + el.id : '')
        + (typeof el.className === 'string' && el.className ? '.' + el.className.trim().split(/\\s+/).slice(0, 2).join('.') : '');
      bad.push(`${name} "${(el.textContent || '').trim().slice(0, 40)}": scrollWidth ${el.scrollWidth} > clientWidth ${el.clientWidth}`);
    }
  }
}
return bad;
"""


def _clipped(dash_duo, selector: str) -> list[str]:
    """Every element under `selector` (itself included) whose content is wider than its box."""
    return _js(dash_duo, CLIPPED, selector)


def _page_overflow(dash_duo) -> tuple[int, int]:
    return tuple(_js(dash_duo, "const d = document.documentElement; return [d.scrollWidth, d.clientWidth];"))


def _select_tab(dash_duo, label: str) -> None:
    tab = dash_duo.driver.find_element(By.XPATH, f"//*[@role='tab'][contains(., '{label}')]")
    tab.click()
    _until(lambda: tab.get_attribute("aria-selected") == "true")


# ---------------------------------------------------------------- a student's page


def test_default_page_shows_every_run(dash_duo):
    paths = _open(dash_duo, "/")
    assert len(paths) == len(dash_duo.find_elements(".run-card")) >= 2
    assert all(p["x"][0] == paths[0]["x"][0] and p["y"][0] == paths[0]["y"][0] for p in paths)  # one start
    assert dash_duo.find_element("#summary table")


def test_shared_link_reproduces_the_state_and_a_new_lr_changes_the_path(dash_duo):
    before = _open(dash_duo, LINK, count=2)
    dash_duo.wait_for_text_to_equal("#anim-step", "step 120 / 120", timeout=10)
    assert before[0]["x"][0] == -1.8 and before[0]["y"][0] == 0.6
    assert "lr=0.09" in before[0]["name"]
    assert len(before[0]["x"]) == 121
    lr = dash_duo.find_element(LR_1)
    assert lr.get_attribute("value") == "0.09"
    _type(lr, "0.03")
    dash_duo.wait_for_contains_text("#graph-loss", "lr=0.03", timeout=20)  # the legend
    after = _until(lambda: (p := _wait_for_paths(dash_duo, 2)) and p[0]["x"] != before[0]["x"] and p)
    assert after[1]["x"] == before[1]["x"]  # the other run is untouched
    _until(lambda: "sgd(lr=0.03)" in _query(dash_duo).get("run", []))


def test_clicking_the_contour_moves_the_start(dash_duo):
    _open(dash_duo, LINK, count=2)
    plot = dash_duo.find_element("#graph-contour .nsewdrag")
    ActionChains(dash_duo.driver).move_to_element_with_offset(plot, 30, 30).click().perform()
    start_x = "#" + _css_id({"type": "field", "name": "start_x"})
    _until(lambda: dash_duo.find_element(start_x).get_attribute("value") != "-1.8")
    moved = float(dash_duo.find_element(start_x).get_attribute("value"))
    _until(lambda: abs(_paths(dash_duo)[0]["x"][0] - moved) < 1e-3)


def _frame(dash_duo) -> tuple[int, int]:
    """The step the bar shows and the points of the first path as drawn (SVG), at one instant."""
    return tuple(_js(
        dash_duo,
        "const line = document.querySelector('#graph-contour g.trace.scatter path.js-line[d*=L]');"
        "const drawn = line ? (line.getAttribute('d').match(/L/g) || []).length + 1 : 0;"
        "return [+document.getElementById('anim-step').textContent.split(' ')[1], drawn];",
    ))


def test_play_advances_frames_without_server_requests(dash_duo):
    _open(dash_duo, LINK, count=2)
    _js(
        dash_duo,
        "window.__requests = 0; const open = XMLHttpRequest.prototype.open;"
        "XMLHttpRequest.prototype.open = function() { window.__requests++; return open.apply(this, arguments); };"
        "const f = window.fetch; window.fetch = function() { window.__requests++; return f.apply(this, arguments); };"
        "const speed = document.querySelector('#animation select');"
        "speed.value = '15'; speed.dispatchEvent(new Event('change'));",
    )
    dash_duo.find_element("#anim-play").click()  # from the last frame: restarts at 0
    step, drawn = _until(lambda: (f := _frame(dash_duo)) and 5 <= f[0] < 120 and f)
    assert drawn == step + 1
    later, drawn = _until(lambda: (f := _frame(dash_duo)) and f[0] >= step + 5 and f)
    assert drawn == min(later, 120) + 1
    assert _js(dash_duo, "return window.__requests") == 0


def test_garbage_link_opens_with_defaults_and_a_notice(dash_duo):
    _set_size(dash_duo, *DEFAULT_SIZE)
    dash_duo.driver.get(dash_duo.server_url + "/?v=1&surface=banana&steps=-5&run=adam(lr=nan)&zzz=1")
    dash_duo.wait_for_contains_text("#notice", "banana", timeout=30)
    notice = dash_duo.find_element("#notice").text
    assert "steps" in notice and "learning rate" in notice and "zzz" in notice
    _wait_for_paths(dash_duo, 1)


# ---------------------------------------------------------------- what a lecturer sees


@pytest.mark.parametrize("size", SIZES, ids=SIZE_IDS)
def test_contour_axes_are_the_surface_domain_and_square(dash_duo, size):
    _open(dash_duo, "/", size)
    domain = _state(dash_duo, "data.domain")
    (x0, x1), (y0, y1) = domain
    assert (x0, x1, y0, y1) == (-2, 2, -2, 2)  # the default canyon: a square domain
    axes = _js(
        dash_duo,
        "const fl = document.querySelector('#graph-contour .js-plotly-plot')._fullLayout;"
        "return {x: fl.xaxis.range, y: fl.yaxis.range, w: fl.xaxis._length, h: fl.yaxis._length};",
    )
    assert axes["x"] == pytest.approx([x0, x1], rel=1e-9, abs=1e-12), f"x range {axes['x']} ≠ domain {domain}"
    assert axes["y"] == pytest.approx([y0, y1], rel=1e-9, abs=1e-12), f"y range {axes['y']} ≠ domain {domain}"
    assert abs(axes["w"] - axes["h"]) <= 2, f"plot area {axes['w']:.1f}×{axes['h']:.1f} px is not square"


@pytest.mark.parametrize("size", SIZES, ids=SIZE_IDS)
def test_nothing_is_wider_than_its_box(dash_duo, size):
    _open(dash_duo, "/", size)
    width, client = _page_overflow(dash_duo)
    assert width <= client, f"the page scrolls sideways: scrollWidth {width} > clientWidth {client}"
    clipped = _clipped(dash_duo, ".formula") + _clipped(dash_duo, "#summary")
    _select_tab(dash_duo, "Internals")
    _until(lambda: dash_duo.driver.find_elements(By.CSS_SELECTOR, "#internals-table .internals-card"))
    _until(lambda: _ready(dash_duo))
    clipped += _clipped(dash_duo, "#internals-table")
    width, client = _page_overflow(dash_duo)
    assert width <= client, f"Internals tab: scrollWidth {width} > clientWidth {client}"
    assert not clipped, "content wider than its box:\n" + "\n".join(clipped)


def test_phone_tabs_do_not_widen_the_page(dash_duo):
    _open(dash_duo, "/", (360, 800))
    width, client = _page_overflow(dash_duo)
    assert width <= client, f"the page scrolls sideways: scrollWidth {width} > clientWidth {client}"
    right = _js(
        dash_duo,
        "return Math.max(...[...document.querySelectorAll('.view-tabs, .view-tabs [role=tablist]')]"
        ".map(e => e.getBoundingClientRect().right));",
    )
    assert right <= client + 0.5, f"the tabs end at {right:.1f} px, beyond the {client} px page"


def _tick_sizes(dash_duo, graph: str) -> list[tuple[str, float]]:
    return [tuple(t) for t in _js(
        dash_duo,
        f"return [...document.querySelectorAll('#{graph} .xtick text, #{graph} .ytick text,"
        f" #{graph} text.xtick, #{graph} text.ytick')]"
        ".map(t => [t.textContent, parseFloat(getComputedStyle(t).fontSize)]);",
    )]


def test_classroom_mode_is_readable_and_its_exit_leaves_it(dash_duo):
    _open(dash_duo, "/?preset=ravine&classroom=1", (1920, 1080), count=2)
    assert "classroom" in dash_duo.find_element("#shell").get_attribute("class").split()
    for graph in ("graph-contour", "graph-loss"):
        ticks = _until(lambda: _tick_sizes(dash_duo, graph))
        small = [t for t in ticks if t[1] < 20]
        assert not small, f"#{graph}: tick labels below 20 px: {small}"
    exit_button = dash_duo.find_element("#classroom-exit")
    assert exit_button.is_displayed()
    exit_button.click()
    _until(lambda: "classroom" not in dash_duo.find_element("#shell").get_attribute("class").split())
    _until(lambda: "classroom" not in _query(dash_duo), message=lambda: dash_duo.driver.current_url)
    assert _query(dash_duo)["preset"] == ["ravine"]
    assert not dash_duo.find_element("#classroom-exit").is_displayed()


def test_a_copied_preset_link_reopens_the_same_page(dash_duo):
    before = _open(dash_duo, "/?preset=ravine", count=2)
    caption = dash_duo.find_element("#preset-caption").text
    assert "Claim" in caption
    dash_duo.find_element("#copy-link").click()
    link = dash_duo.driver.current_url  # what the clientside callback puts in the clipboard
    assert "preset=ravine" in link and "v=1" in link
    dash_duo.driver.get(link)
    after = _wait_for_paths(dash_duo, 2)
    assert dash_duo.find_element("#preset-caption").text == caption
    assert after == before
    assert dash_duo.driver.current_url == link


def test_keyboard_plays_and_steps(dash_duo):
    _open(dash_duo, LINK, count=2)
    dash_duo.wait_for_text_to_equal("#anim-step", "step 120 / 120", timeout=10)
    _js(dash_duo, "document.activeElement && document.activeElement.blur(); document.body.focus();")
    keys = ActionChains(dash_duo.driver)

    def press(*key):
        keys.send_keys(*key).perform()
        keys.reset_actions()

    press(Keys.HOME)
    dash_duo.wait_for_text_to_equal("#anim-step", "step 0 / 120", timeout=5)
    press(Keys.ARROW_RIGHT, Keys.ARROW_RIGHT)
    dash_duo.wait_for_text_to_equal("#anim-step", "step 2 / 120", timeout=5)
    press(Keys.END)
    dash_duo.wait_for_text_to_equal("#anim-step", "step 120 / 120", timeout=5)
    press(Keys.SPACE)
    _until(lambda: _state(dash_duo, "playing") is True, 5)
    press(Keys.SPACE)
    _until(lambda: _state(dash_duo, "playing") is False, 5)
    # a space typed into a text field is text, not play
    dash_duo.find_element(LR_1).click()
    press(Keys.SPACE)
    end = time.time() + 0.8
    while time.time() < end:
        assert _state(dash_duo, "playing") is False, "a space typed in the lr field started playback"
        time.sleep(0.1)


def test_a_bad_value_marks_its_field_and_keeps_the_previous_one(dash_duo):
    before = _open(dash_duo, LINK, count=2)
    lr = dash_duo.find_element(LR_1)
    _type(lr, "50")
    notice = _until(lambda: (t := dash_duo.find_element("#input-notice").text) and "Run 1" in t and t)
    assert "learning rate" in notice and "0.09" in notice, notice
    error = _js(
        dash_duo,
        "const input = document.querySelector(arguments[0]);"
        "const wrapper = input.closest('.mantine-InputWrapper-root') || input.parentElement.parentElement;"
        "const text = wrapper.querySelector('.mantine-InputWrapper-error, .mantine-TextInput-error');"
        "return [input.getAttribute('aria-invalid'), text ? text.textContent : null];",
        LR_1,
    )
    assert error[0] == "true" or error[1], f"the field is not marked: aria-invalid={error[0]}, error text={error[1]}"
    assert lr.get_attribute("value") == "50"  # what was typed stays visible, marked
    assert _wait_for_paths(dash_duo, 2) == before  # computed with the previous value
    assert "sgd(lr=0.09)" in _query(dash_duo)["run"]


def test_a_link_opens_on_its_step(dash_duo):
    _open(dash_duo, "/?preset=ravine&step=40", count=2)
    dash_duo.wait_for_text_to_equal("#anim-step", "step 40 / 250", timeout=10)
    assert _state(dash_duo, "playing") is False
    assert _state(dash_duo, "frame") == 40


def test_internals_arrows_only_for_gradients_above_noise(dash_duo):
    """At the default page's last step momentum's gradient is ~1e-32 (numerical noise): no
    −g arrow for it; SGD's and Adam's are real and get one each, at their own points."""
    _set_size(dash_duo, *DEFAULT_SIZE)  # the internals view alone: no contour is sent
    dash_duo.driver.get(dash_duo.server_url + "/?view=internals")
    _until(lambda: _js(dash_duo, "return !!window.optiscape.state.internals"))
    _until(lambda: _ready(dash_duo))
    expected, drawn = _js(
        dash_duo,
        "const s = window.optiscape.state, tiny = s.data.tiny_gradient;"
        "const real = s.internals.filter((inner) => {"
        "  const g = inner.grad[Math.min(s.frame, inner.grad.length - 1)];"
        "  return Math.hypot(g[0], g[1]) > tiny; }).length;"
        "const gd = document.querySelector('#graph-internals .js-plotly-plot');"
        "const notes = (gd.layout.annotations || []).filter((a) => a.text === '−g').length;"
        "return [real, notes];",
    )
    assert expected == 2  # SGD's ~1e-8 and Adam's ~1e-4; momentum's ~1e-32 is noise
    assert drawn == expected


def _until(condition, timeout: float = 20, message="condition not met in time"):
    return until(condition, timeout, message)
