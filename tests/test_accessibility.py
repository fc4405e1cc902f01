"""Accessibility: what a student with a screen reader, a keyboard only, low vision or colour
blindness gets, and what a projector washes out.

- axe-core (the standard accessibility engine, bundled by a PyPI package; nothing is
  downloaded at test time) on every page state: the default page, every preset, every view
  in the registry (so a view added later is covered), classroom mode at 1920×1080, a 360 px
  phone, a page with a notice. Any serious or critical WCAG 2.1 A/AA finding fails.
- The contrast of the text drawn inside the figures, where axe cannot see: from the figures'
  own colours (every view's JSON) and from what Chromium renders (SVG fills against the
  boxes behind them, hover boxes included).
- The keyboard: Tab order and focus rings, the start moved by arrow keys, playback keys that
  never fire while typing, no trap in plots or menus.
- Screen readers: every figure named and described from the data; the live region's calm
  playback reports and the preset's claim.
- Colour blindness: runs apart without colour; reduced motion: paused, stepping.

The browser tests share one server and one browser (`dash_duo` overridden below, as in
tests/test_browser.py).
"""

from __future__ import annotations

import re
import time

import pytest
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from browser_support import failed_callbacks, js as _js, set_size as _set_size, until
from engine import Run, Simulation, validate
from figures.describe import describe
from figures.labels import placeholder_styles
from figures.registry import VIEWS
from figures.summary import RunSummary
from figures.theme import (
    PALETTE,
    SURFACE_COLORSCALE,
    contrast,
    large_text,
    over,
    rgba,
    run_dash,
    run_symbol,
    text_color,
)
from urlstate import PRESETS, parse_query

browser = pytest.mark.browser

AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
BLOCKING = ("serious", "critical")
DEFAULT_SIZE = (1366, 900)
CLASSROOM = (1920, 1080)
PHONE = (360, 800)
WORST_SURFACE = SURFACE_COLORSCALE[-1][1]  # the darkest colour text over a plot can sit on


def _minimum(ratio_needed: float, fg: str, bg: str) -> bool:
    return contrast(fg, bg) >= ratio_needed - 1e-9


def _needed(size: float, bold: bool) -> float:
    return 3.0 if large_text(size, bold) else 4.5


# ---------------------------------------------------------------- the figures' colours (no browser)


def _white_halo(shadow: object) -> bool:
    """Whether a text shadow is a white halo all round (figures.theme.TEXT_HALO)."""
    if not isinstance(shadow, str) or shadow in ("", "none", "auto"):
        return False
    parts = [p.strip() for p in re.split(r",(?![^(]*\))", shadow)]  # not the commas in rgb(…)
    white = r"(#fff(fff)?\b|\bwhite\b|rgba?\(\s*255,\s*255,\s*255(,\s*1(\.0*)?)?\s*\))"
    return len(parts) >= 4 and all(re.search(white, p, re.I) for p in parts)


def _scale_colours(scale: object) -> list[str]:
    import plotly.colors

    if isinstance(scale, str):
        try:
            scale = plotly.colors.get_colorscale(scale)
        except Exception:  # noqa: BLE001  (an unknown name: plotly would refuse it anyway)
            return []
    return [stop[1] for stop in scale or []]


def _font(spec: dict | None, base: dict) -> tuple[str, float, bool]:
    spec = spec or {}
    color = spec.get("color", base.get("color", "#444"))
    size = spec.get("size", base.get("size", 12))
    weight = spec.get("weight", base.get("weight", 400))
    bold = weight in ("bold", "bolder") or (isinstance(weight, (int, float)) and weight >= 700)
    return color, float(size), bold


def figure_texts(figure: dict) -> list[tuple[str, str, list[str], float, bool]]:
    """Every kind of text a figure draws, as (where, colour, possible backgrounds, size, bold):
    layout, axes, colour bars and legends on the paper; annotations on their box; hover boxes;
    trace text over the plot (on its white halo, or on any surface colour beneath)."""
    layout = figure["layout"]
    paper = layout.get("paper_bgcolor", "#ffffff")
    base = layout.get("font", {})
    out = []

    def add(where, spec, backgrounds, default=None):
        color, size, bold = _font(spec, default or base)
        out.append((where, color, [over(b, paper) for b in backgrounds], size, bold))

    add("layout.font", base, [paper])
    surfaces = [c for t in figure["data"] for c in _scale_colours(t.get("colorscale"))]
    under_plot = [paper, *surfaces] if surfaces else [paper]
    axes = [(k, v) for k, v in layout.items() if k.startswith(("xaxis", "yaxis")) and isinstance(v, dict)]
    for key, scene in layout.items():
        if key.startswith("scene") and isinstance(scene, dict):
            axes += [(f"{key}.{a}", scene[a]) for a in ("xaxis", "yaxis", "zaxis") if isinstance(scene.get(a), dict)]
    for key, axis in axes:
        if axis.get("visible") is False:
            continue
        add(f"{key}.tickfont", axis.get("tickfont"), [paper])
        title = axis.get("title")
        if isinstance(title, dict) and title.get("text"):
            add(f"{key}.title", title.get("font"), [paper])
    if layout.get("showlegend") is not False and isinstance(layout.get("legend"), dict):
        legend = layout["legend"]
        add("legend", legend.get("font"), [over(legend.get("bgcolor", "rgba(0,0,0,0)"), paper)])
    for i, note in enumerate(layout.get("annotations") or []):
        if not note.get("text"):
            continue
        box = note.get("bgcolor", "rgba(0,0,0,0)")
        on_plot = str(note.get("xref", "paper")) != "paper" and str(note.get("yref", "paper")) != "paper"
        beneath = under_plot if on_plot else [paper]
        add(f"annotation {i} {note['text']!r}", note.get("font"), [over(box, b) for b in beneath])
    hover = layout.get("hoverlabel") or {}
    for i, trace in enumerate(figure["data"]):
        name = f"trace {i} {trace.get('type', 'scatter')} {trace.get('meta')}"
        bar = trace.get("colorbar")
        if bar and trace.get("showscale", True) is not False and "colorscale" in trace:
            add(f"{name} colorbar ticks", bar.get("tickfont"), [paper])
            if isinstance(bar.get("title"), dict) and bar["title"].get("text"):
                add(f"{name} colorbar title", bar["title"].get("font"), [paper])
        if trace.get("hoverinfo") not in ("skip", "none"):
            label = {**hover, **(trace.get("hoverlabel") or {})}
            font = {**(hover.get("font") or {}), **((trace.get("hoverlabel") or {}).get("font") or {})}
            assert label.get("bgcolor") and font.get("color"), f"{name}: hover box colours left to plotly"
            add(f"{name} hover", font, [label["bgcolor"]])
        if "text" in str(trace.get("mode", "")) or trace.get("texttemplate"):
            font = trace.get("textfont") or {}
            beneath = ["#ffffff"] if _white_halo(font.get("shadow")) else under_plot
            add(f"{name} text", font, beneath)
    return out


def _low_contrast(figure: dict) -> list[str]:
    bad = []
    for where, color, backgrounds, size, bold in figure_texts(figure):
        needed = _needed(size, bold)
        for bg in backgrounds:
            if not _minimum(needed, color, bg):
                bad.append(f"{where}: {color} on {bg} is {contrast(color, bg):.2f}:1 (< {needed}:1 at {size:g} px)")
    return bad


EIGHT_RUNS = "&".join(f"run={o}" for o in ("sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam", "adamw", "lion"))


@pytest.mark.parametrize("classroom", [False, True], ids=["page", "classroom"])
@pytest.mark.parametrize("view", list(VIEWS))
def test_text_in_every_figure_reads_at_4_5_to_1(view, classroom):
    """Ticks, titles, colour bars, legends, annotations, run names and every hover box, in
    every view's figures, against what lies beneath (the paper, the box, the halo, or every
    colour of the surface when there is no halo): 4.5:1, 3:1 for large text."""
    from computation import compute, figures_of

    for query in ("", EIGHT_RUNS):
        state = parse_query(f"{query}&view={view}&classroom={int(classroom)}")[0]
        figures = figures_of(state, compute(state).styles)
        graphs = {g.id for g in VIEWS[view].graphs}
        from figures.registry import GRAPHS

        for graph, figure in zip(GRAPHS, figures):
            if graph.id in graphs:
                assert not _low_contrast(figure), f"{graph.id}:\n" + "\n".join(_low_contrast(figure))


def test_the_figure_checker_catches_what_was_unreadable():
    """The former gold hover box (plotly's default: the marker's colour), yellow run names
    without a halo, light grey ticks."""
    gold = {"data": [{"type": "scatter", "x": [0], "y": [0], "hoverlabel": {"bgcolor": "#FFD700", "font": {"color": "#FFD700"}}}],
            "layout": {"hoverlabel": {}}}
    assert _low_contrast(gold)
    yellow = {"data": [{"type": "scatter", "mode": "markers+text", "hoverinfo": "skip", "textfont": {"color": "#F0E442"},
                        "colorscale": SURFACE_COLORSCALE}], "layout": {}}
    assert _low_contrast(yellow)
    grey = {"data": [], "layout": {"xaxis": {"tickfont": {"color": "#aaaaaa"}}}}
    assert _low_contrast(grey)
    unset = {"data": [{"type": "scatter", "x": [0], "y": [0]}], "layout": {}}
    with pytest.raises(AssertionError, match="hover box"):
        figure_texts(unset)


def test_run_names_keep_their_hue_and_read_on_white():
    for colour in (*PALETTE, "#FFFF00", "#00FFFF", "#777777"):
        shown = text_color(colour)
        assert contrast(shown, "#ffffff") >= 4.5, (colour, shown)
    assert text_color("#0072B2") == "#0072b2"  # dark enough already: unchanged
    assert rgba("rgba(255, 255, 255, 0.5)") == (1.0, 1.0, 1.0, 0.5)
    assert over("rgba(0,0,0,0.5)", "#ffffff") == "#808080"


# ---------------------------------------------------------------- without colour


def test_sixteen_runs_differ_by_dash_and_symbol_without_their_colours():
    styles = placeholder_styles(16)
    assert len({(s.dash, s.symbol) for s in styles}) == 16
    for i in range(8):  # the same colour: different dash and different symbol
        assert styles[i].color == styles[i + 8].color
        assert styles[i].dash != styles[i + 8].dash and styles[i].symbol != styles[i + 8].symbol
    assert [run_dash(i) for i in range(4)] == ["solid", "dash", "dot", "dashdot"]
    assert len({run_symbol(i) for i in range(8)}) == 8


def test_every_plane_figure_draws_each_run_with_its_dash_symbol_and_name():
    from computation import compute, figures_of
    from figures.registry import GRAPHS

    state = parse_query(EIGHT_RUNS)[0]
    styles = compute(state).styles
    for graph, figure in zip(GRAPHS, figures_of(state, styles)):
        for trace in figure["data"]:
            meta = trace.get("meta") or {}
            if meta.get("role") == "path" and "run" in meta:
                assert trace["line"]["dash"] == run_dash(meta["run"]), graph.id
            if meta.get("role") == "head" and trace.get("type") == "scatter":
                assert trace["marker"]["symbol"] == run_symbol(meta["run"]), graph.id
                if graph.kind != "loss" or state.classroom:
                    assert "text" in trace["mode"], graph.id  # named at its point


# ---------------------------------------------------------------- the runs in words


def _row(steps=None, diverged=None, loss=0.5, distance=0.3) -> RunSummary:
    return RunSummary(loss, distance, steps, diverged)


def test_description_says_who_reaches_the_minimum_when_who_diverges_and_where_the_rest_are():
    sim = validate(Simulation("rosenbrock", (Run("sgd"), Run("momentum"), Run("adam")), start=(-1.5, 2.0), steps=500))
    text = describe(sim, ["SGD", "Momentum", "Adam"], [_row(412), _row(76), _row(diverged=30)], 1e-6)
    assert text == (
        "3 runs on Rosenbrock from (−1.5, 2), 500 steps: Momentum reaches the minimum "
        "(f − f* ≤ 1e-06) at step 76 and SGD at step 412; Adam diverges at step 30."
    )
    one = describe(sim, ["SGD", "Momentum", "Adam"], [_row(), _row(9), _row(loss=-0.25)], 1e-6)
    assert "Momentum reaches the minimum" in one and "after 500 steps SGD (loss 0.5)" in one
    assert "Adam (−0.25) have not reached the minimum" in one
    well = validate(Simulation("double_well", (Run("sgd"),), start=(1.9, 0.6), steps=250))
    assert "stops at the local minimum near (0.8873, 0)" in describe(well, ["SGD"], [_row()], 1e-6, [(0.887, 0.0)])
    saddle = validate(Simulation("saddle", (Run("sgd"),), start=(1.0, 0.01), steps=10))
    assert describe(saddle, ["SGD"], [_row(loss=-3.5)], 1e-6) == (
        "1 run on Saddle from (1, 0.01), 10 steps: SGD ends at loss −3.5."
    )


def test_the_update_sends_the_description_with_every_computation():
    from components.page import outputs_for
    from urlstate import to_query

    state = parse_query("preset=canyon_race")[0]
    text = outputs_for(state, to_query(state), None, None)["description"]
    assert text.startswith("3 runs on Canyon") and "Momentum reaches the minimum" in text


# ---------------------------------------------------------------- one server, one browser


SETTLED = """
const o = window.optiscape;
if (!(o && o.state.data && !o.state.busy)) return false;
const step = document.getElementById('anim-step');
if (!step || !/^step /.test(step.textContent)) return false;
if (document.querySelector('[data-dash-is-loading="true"]')) return false;
if (!document.getElementById('figure-description').textContent) return false;
if (window.__lastPlot === undefined) {
  window.__lastPlot = performance.now();
  document.querySelectorAll('.js-plotly-plot').forEach(gd => gd.on && gd.on('plotly_afterplot', () => { window.__lastPlot = performance.now(); }));
  return false;
}
return performance.now() - window.__lastPlot > 300;
"""


def _open(duo, path: str, size: tuple[int, int] = DEFAULT_SIZE) -> None:
    """Open `path` at a viewport of `size` once its trajectories are drawn and the plots
    have stopped redrawing."""
    _set_size(duo, *size)
    duo.driver.get(duo.server_url + path)
    _until(lambda: _js(duo, SETTLED), 40, lambda: f"{path} never settled; failed callbacks: "
           f"{_js(duo, 'return window.__failedCallbacks;')}")
    assert_no_failed_callbacks(duo, path)


def _visit(duo, path: str, size: tuple[int, int]) -> None:
    """Open `path` within the page already loaded, as the page opens a link (dcc.Location
    follows the history): the controls, figures and notices are rendered again from the link
    without reloading the scripts. The first visit loads the page."""
    # a fresh load for the first visit, and for the default page: the page shown before may
    # already be the default one (its cards are then not rendered again)
    if path == "/" or not _js(duo, "return !!(window.optiscape && window.optiscape.state.data);"):
        _open(duo, path, size)
        return
    _set_size(duo, *size)
    if _js(duo, "return location.pathname + location.search;") == path:  # already there
        _until(lambda: _js(duo, SETTLED), 40, f"{path} never settled")
        assert_no_failed_callbacks(duo, path)
        return
    _js(duo, "document.querySelectorAll('.run-card').forEach((c) => { c.__old = true; });"
             "window.__lastPlot = undefined; window.__failedCallbacks = [];"
             "window.history.pushState({}, '', arguments[0]);"
             "window.dispatchEvent(new PopStateEvent('popstate', {state: {}}));", path)
    _until(lambda: _js(duo, "const c = document.querySelector('.run-card'); return !!c && !c.__old;"), 40,
           f"{path}: the controls were not rendered again")
    _until(lambda: _js(duo, SETTLED), 40, lambda: f"{path} never settled; failed callbacks: "
           f"{_js(duo, 'return window.__failedCallbacks;')}")
    assert_no_failed_callbacks(duo, path)


# The figures' SVG is hidden from assistive technology (each figure is named and described
# in words instead) and holds nothing focusable; its text's contrast is measured below from
# the figures' own colours, which axe cannot do for SVG.
AXE_CONTEXT = {"exclude": [[".js-plotly-plot .main-svg"], [".js-plotly-plot .modebar-btn svg"]]}


def _axe(duo) -> list[dict]:
    """axe-core's serious and critical WCAG 2.1 A/AA findings on the page as it is."""
    from axe_selenium_python import Axe

    if not _js(duo, "return !!window.axe;"):
        Axe(duo.driver).inject()
    options = {"runOnly": {"type": "tag", "values": AXE_TAGS}, "resultTypes": ["violations"]}
    found = duo.driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "axe.run(arguments[1], arguments[0]).then(r => done(r.violations.map(v => ({"
        " id: v.id, impact: v.impact, help: v.help,"
        " nodes: v.nodes.map(n => [n.target.join(' '), n.failureSummary]) }))),"
        " e => done([{id: 'axe-error', impact: 'critical', help: String(e), nodes: []}]));",
        options, AXE_CONTEXT,
    )
    return [v for v in found if v["impact"] in BLOCKING]


def _report(findings: list[dict]) -> str:
    lines = []
    for v in findings:
        lines.append(f"[{v['impact']}] {v['id']}: {v['help']} ({len(v['nodes'])} elements)")
        lines += [f"    {target}\n      {(summary or '').replace(chr(10), ' | ')[:300]}" for target, summary in v["nodes"][:5]]
    return "\n".join(lines)


PAGE_STATES = [
    ("default", "/", DEFAULT_SIZE),
    *[(f"preset-{name}", f"/?preset={name}", DEFAULT_SIZE) for name in PRESETS],
    *[(f"view-{name}", f"/?view={name}", DEFAULT_SIZE) for name in VIEWS],
    ("classroom-1920x1080", "/?preset=ravine&classroom=1", CLASSROOM),
    ("phone-360", "/", PHONE),
    ("notice", "/?steps=abc&run=adam(lr=nan)&run=momentum", DEFAULT_SIZE),
]


@browser
@pytest.mark.parametrize("path,size", [s[1:] for s in PAGE_STATES], ids=[s[0] for s in PAGE_STATES])
def test_axe_finds_nothing_serious(dash_duo, path, size):
    _visit(dash_duo, path, size)
    if "steps=abc" in path:
        assert "steps" in dash_duo.find_element("#notice").text
    findings = _axe(dash_duo)
    assert not findings, f"axe-core on {path} at {size[0]}×{size[1]}:\n{_report(findings)}"


# ---------------------------------------------------------------- what Chromium draws in the figures

SVG_TEXTS = """
const only = arguments[0];
const out = [];
const fill = (el) => { const s = getComputedStyle(el); return [s.fill, +s.fillOpacity]; };
document.querySelectorAll('.js-plotly-plot').forEach((gd) => {
  if (gd.offsetParent === null || !gd._fullLayout) return;
  const graph = gd.closest('[id^=graph-]') ? gd.closest('[id^=graph-]').id : '?';
  const paper = gd._fullLayout.paper_bgcolor;
  gd.querySelectorAll(only ? '.hoverlayer text' : 'svg.main-svg text').forEach((el) => {
    const text = (el.textContent || '').trim();
    if (!text) return;
    let shown = true, opacity = 1;
    for (let e = el; e && e !== gd; e = e.parentElement) {
      const s = getComputedStyle(e);
      if (s.display === 'none' || s.visibility === 'hidden') { shown = false; break; }
      opacity *= +s.opacity;
    }
    if (!shown || opacity === 0 || el.getBBox().width === 0) return;
    const s = getComputedStyle(el);
    let bg = [paper, 1], beneath = 'paper';
    const box = el.closest('g.hovertext');
    const legend = el.closest('.hoverlayer g.legend');
    const note = el.closest('g.annotation');
    if (box) { bg = fill(box.querySelector('path')); beneath = 'box'; }
    else if (legend) { bg = fill(legend.querySelector('rect.bg')); beneath = 'box'; }
    else if (note && note.querySelector('rect.bg')) {  // on the paper (titles) or over the plot
      bg = fill(note.querySelector('rect.bg'));
      const spec = (gd._fullLayout.annotations || [])[+note.getAttribute('data-index')] || {};
      beneath = spec.xref && spec.xref !== 'paper' && spec.yref !== 'paper' ? 'note' : 'paper';
    } else if (el.closest('g.textpoint')) { beneath = 'plot'; }
    const [color, alpha] = fill(el);
    out.push({graph, text: text.slice(0, 60), color, alpha: alpha * opacity, bg: bg[0], bgAlpha: bg[1],
              beneath, shadow: s.textShadow, size: parseFloat(s.fontSize), weight: +s.fontWeight || 400,
              paper});
  });
});
return out;
"""

HOVER_ALL = """
const out = [];
document.querySelectorAll('.js-plotly-plot').forEach((gd) => {
  if (gd.offsetParent === null || !gd._fullLayout || !gd.data) return;
  gd.data.forEach((tr, t) => {
    if (tr.hoverinfo === 'skip' || tr.hoverinfo === 'none' || tr.visible === false) return;
    if (!tr.x || !tr.x.length || /3d|surface/.test(tr.type)) return;
    const subplot = (tr.xaxis || 'x') + (tr.yaxis || 'y');
    if (tr.type === 'scatter') Plotly.Fx.hover(gd, [{curveNumber: t, pointNumber: 0}], subplot);
    else Plotly.Fx.hover(gd, {xval: tr.x[Math.floor(tr.x.length / 2)], yval: (tr.y || [0])[Math.floor((tr.y || [0]).length / 2)]}, subplot);
    out.push(...window.__svgTexts(true).map((r) => Object.assign(r, {trace: tr.name || tr.type})));
    Plotly.Fx.unhover(gd);
  });
});
return out;
"""


def _text_problems(rows: list[dict]) -> list[str]:
    bad = []
    for r in rows:
        bg = over(f"rgba({_rgb(r['bg'])},{r['bgAlpha']})", r["paper"])
        if r["beneath"] == "plot":
            backgrounds = ["#ffffff"] if _white_halo(r["shadow"]) else [c for _, c in SURFACE_COLORSCALE]
        elif r["beneath"] == "note" and r["bgAlpha"] < 1:
            backgrounds = [over(f"rgba({_rgb(r['bg'])},{r['bgAlpha']})", WORST_SURFACE)]
        else:
            backgrounds = [bg]
        needed = _needed(r["size"], r["weight"] >= 700)
        for back in backgrounds:
            fg = over(f"rgba({_rgb(r['color'])},{r['alpha']})", back)
            if not _minimum(needed, fg, back):
                bad.append(f"#{r['graph']} {r.get('trace', '')} {r['text']!r}: {fg} on {back} "
                           f"({r['beneath']}) is {contrast(fg, back):.2f}:1 < {needed}:1")
    return bad


def _rgb(css: str) -> str:
    r, g, b, _ = rgba(css)
    return f"{round(r * 255)},{round(g * 255)},{round(b * 255)}"


def _figure_text_problems(duo) -> list[str]:
    _js(duo, "window.__svgTexts = (only) => (function() {" + SVG_TEXTS + "}).call(null, only);")
    rows = _js(duo, "return window.__svgTexts(false);")
    assert rows, "no text found in the figures"
    hover = _js(duo, HOVER_ALL)
    assert hover, "no hover box drawn"
    return _text_problems(rows) + _text_problems(hover)


@browser
@pytest.mark.parametrize("path,size,tabs", [
    ("/?preset=local_minima", DEFAULT_SIZE, ["Contour & loss", "Side by side", "Internals"]),
    ("/?preset=ravine&classroom=1", CLASSROOM, ["Contour & loss"]),
], ids=["page", "classroom"])
def test_text_drawn_in_the_figures_reads_at_4_5_to_1(dash_duo, path, size, tabs):
    """Every SVG text Chromium draws in the visible figures (ticks, titles, run names, marks,
    annotations, arrows' labels) and in every trace's hover box (the global minimum's star
    included), against the box or halo behind it."""
    _open(dash_duo, path, size)
    problems = []
    for tab in tabs:
        button = dash_duo.driver.find_element(By.XPATH, f"//*[@role='tab'][contains(., '{tab}')]")
        button.click()
        _until(lambda: button.get_attribute("aria-selected") == "true")
        _until(lambda: _js(dash_duo, SETTLED))
        problems += _figure_text_problems(dash_duo)
    assert not problems, "\n".join(problems)


# ---------------------------------------------------------------- keyboard

FOCUSED = """
const el = document.activeElement;
const s = getComputedStyle(el);
return {tag: el.tagName.toLowerCase(), id: el.id || '', role: el.getAttribute('role') || '',
        name: (el.getAttribute('aria-label') || el.textContent || el.value || '').trim().slice(0, 60),
        outline: s.outlineStyle === 'none' ? 0 : parseFloat(s.outlineWidth), cls: String(el.className)};
"""


def _press(duo, *keys) -> None:
    chain = ActionChains(duo.driver)
    chain.send_keys(*keys).perform()


def _tab_through(duo, count: int, back: bool = False) -> list[dict]:
    stops = []
    for _ in range(count):
        chain = ActionChains(duo.driver)
        if back:
            chain.key_down(Keys.SHIFT).send_keys(Keys.TAB).key_up(Keys.SHIFT).perform()
        else:
            chain.send_keys(Keys.TAB).perform()
        stops.append(_js(duo, FOCUSED))
    return stops


# What the live region says from now on: [[time, text], …] in window.__spoken.
LISTEN = """
window.__spoken = [];
new MutationObserver(() => window.__spoken.push([performance.now(),
  document.getElementById('live-status').textContent])).observe(
  document.getElementById('live-status'), {childList: true, characterData: true, subtree: true});
"""
START_X = '{"name":"start_x","type":"field"}'
START_Y = '{"name":"start_y","type":"field"}'


def _field(duo, dom_id: str) -> str:
    return _js(duo, "return document.getElementById(arguments[0]).value;", dom_id)


@browser
def test_tab_reaches_every_control_in_order_each_with_a_focus_ring(dash_duo):
    _open(dash_duo, "/?preset=canyon_race")
    _js(dash_duo, "document.activeElement && document.activeElement.blur(); window.scrollTo(0, 0);")
    stops = _tab_through(dash_duo, 45)
    names = [s["name"] for s in stops]
    ids = [s["id"] for s in stops]
    assert stops[0]["cls"] == "skip-link", stops[0]
    order = [
        names.index("Lecture presets"), names.index("Copy link"), names.index("CSV"),
        names.index("JSON"), names.index("Classroom mode"), ids.index(START_X), ids.index(START_Y),
    ]
    assert order == sorted(order), list(zip(names, ids))
    assert any("learning rate" in n and "log scale" in n for n in names), names  # a slider's thumb
    unringed = [s for s in stops if s["outline"] < 2]
    assert not unringed, f"focused without a visible ring: {unringed}"

    # the skip link, then the bar, the tabs and the plot that moves the start
    _js(dash_duo, "document.querySelector('.skip-link').focus();")
    _press(dash_duo, Keys.ENTER)
    _until(lambda: _js(dash_duo, "return document.activeElement.id === 'main';"))
    stops = _tab_through(dash_duo, 12)
    names = [s["name"] for s in stops]
    assert names[0].startswith("First step"), names
    assert "Play" in names and "Step" in names and "Speed" in names, names
    frame = next(i for i, s in enumerate(stops) if s["id"] == "graph-contour-frame")
    assert stops[frame - 1]["role"] == "tab", stops[frame - 1]  # tabs, then the figure
    assert stops[frame]["role"] == "application" and "Contour" in stops[frame]["name"]
    assert stops[frame + 1]["role"] == "button", stops[frame + 1]  # on to its mode bar: no trap
    assert not [s for s in stops if s["outline"] < 2], [s for s in stops if s["outline"] < 2]
    _js(dash_duo, "document.getElementById('graph-contour-frame').focus();")
    assert _tab_through(dash_duo, 1)[0]["role"] == "button"  # into the plot's mode bar …
    assert _tab_through(dash_duo, 1, back=True)[0]["id"] == "graph-contour-frame"  # … and back


@browser
def test_arrow_keys_on_the_plot_move_the_start_and_the_page_recomputes(dash_duo):
    _open(dash_duo, "/?preset=canyon_race")  # canyon: the domain is [-2, 2]²
    x0, y0 = float(_field(dash_duo, START_X)), float(_field(dash_duo, START_Y))
    step_before = dash_duo.find_element("#anim-step").text
    _js(dash_duo, LISTEN)
    dash_duo.find_element("#graph-contour-frame").send_keys(Keys.ARROW_RIGHT)
    _until(lambda: float(_field(dash_duo, START_X)) == pytest.approx(x0 + 0.1))
    dash_duo.find_element("#graph-contour-frame").send_keys(Keys.SHIFT, Keys.ARROW_UP)
    _until(lambda: float(_field(dash_duo, START_Y)) == pytest.approx(y0 + 0.4))
    _until(lambda: _js(dash_duo, "const s = window.optiscape.state; return !s.busy && s.data.start;")
           == pytest.approx([x0 + 0.1, y0 + 0.4]), message="the page did not recompute from the new start")
    _until(lambda: _js(dash_duo, SETTLED))
    first = _js(dash_duo, "const r = window.optiscape.state.data.runs[0]; return [r.x[0], r.y[0]];")
    assert first == pytest.approx([x0 + 0.1, y0 + 0.4])
    assert dash_duo.find_element("#anim-step").text == step_before  # the arrows did not step
    spoken = [text for _, text in _js(dash_duo, "return window.__spoken;")]
    assert "Start (−1.7, 0.6)" in spoken and "Start (−1.7, 1)" in spoken, spoken


@browser
def test_playback_keys_never_fire_while_typing_and_menus_let_the_focus_go(dash_duo):
    _open(dash_duo, "/?preset=canyon_race")
    step = dash_duo.find_element("#anim-step").text
    field = _js(dash_duo, "return document.getElementById(arguments[0]);", START_X)
    field.click()
    _press(dash_duo, Keys.ARROW_LEFT, Keys.HOME, Keys.END, Keys.SPACE)
    time.sleep(0.5)
    assert dash_duo.find_element("#anim-step").text == step
    assert _js(dash_duo, "return window.optiscape.state.playing;") is False
    # the presets menu: opened by the keyboard, left by Escape and by Tab
    preset = dash_duo.driver.find_element(By.CSS_SELECTOR, "input[aria-label='Lecture presets']")
    preset.click()
    _press(dash_duo, Keys.ARROW_DOWN)
    _until(lambda: _js(dash_duo, "return !!document.querySelector('[role=listbox]');"))
    _press(dash_duo, Keys.ESCAPE)
    _until(lambda: not _js(dash_duo, "return !!document.querySelector('[role=listbox] [role=option]') && "
                                     "document.querySelector('[role=listbox]').offsetParent !== null;"))
    _press(dash_duo, Keys.TAB)
    assert _js(dash_duo, FOCUSED)["name"] != "Lecture presets"


# ---------------------------------------------------------------- screen readers


@browser
def test_every_figure_is_named_and_described_from_the_data(dash_duo):
    _open(dash_duo, "/?preset=canyon_race")
    frames = _js(dash_duo, """
        return [...document.querySelectorAll('#main .figure-frame')].map((f) => ({
          id: f.id, role: f.getAttribute('role'), name: f.getAttribute('aria-label'),
          described: (f.getAttribute('aria-describedby') || '').split(' ').filter(Boolean)
            .map((id) => (document.getElementById(id) || {}).textContent || '') }));""")
    graphs = [g.id for v in VIEWS.values() for g in v.graphs]
    assert sorted(f["id"] for f in frames) == sorted(f"{g}-frame" for g in graphs)
    for frame in frames:
        assert frame["role"] in ("figure", "application") and frame["name"], frame
        assert frame["described"] and frame["described"][0].startswith("3 runs on Canyon"), frame
        for name in ("SGD", "Momentum", "Adam"):
            assert name in frame["described"][0]
    hidden = _js(dash_duo, "return getComputedStyle(document.getElementById('figure-description')).clip;")
    assert hidden and hidden != "auto"  # read, not shown



@browser
def test_the_live_region_reports_playback_calmly_and_the_claim(dash_duo):
    _open(dash_duo, "/?preset=ravine")
    # the preset's claim and its verdict, once computed
    _until(lambda: "Claim ✓ holds" in dash_duo.find_element("#live-status").get_attribute("textContent"))
    assert dash_duo.find_element("#live-status").get_attribute("role") == "status"
    assert _js(dash_duo, "return document.getElementById('anim-step').getAttribute('aria-live');") is None
    _js(dash_duo, LISTEN)
    _js(dash_duo, "const s = document.querySelector('#animation select');"
                  "s.value = '60'; s.dispatchEvent(new Event('change'));")
    dash_duo.find_element("#anim-play").click()  # 250 steps at 60 steps/s: about 4 s
    _until(lambda: _js(dash_duo, "return window.optiscape.state.playing;") is False, 15)
    spoken = _until(lambda: (s := _js(dash_duo, "return window.__spoken;")) and s[-1][1].startswith("Step 250") and s,
                    5, lambda: _js(dash_duo, "return window.__spoken;"))
    during = [text for _, text in spoken[:-1]]
    assert 1 <= len(during) <= 3, spoken  # at most one report every 2.5 s while playing
    times = [t for t, _ in spoken]
    assert all(b - a >= 2000 for a, b in zip(times[:-2], times[1:-1])), spoken
    for text in (t for _, t in spoken):
        assert re.match(r"Step \d+ of 250: SGD loss [0-9.×⁻⁰¹²³⁴⁵⁶⁷⁸⁹−]+, Momentum loss ", text), text
    # stepping by the keyboard speaks once it settles, at the step shown
    _js(dash_duo, "document.activeElement.blur();")
    _press(dash_duo, Keys.HOME)
    _until(lambda: dash_duo.find_element("#live-status").get_attribute("textContent").startswith("Step 0 of 250"))


# ---------------------------------------------------------------- motion


@browser
def test_reduced_motion_opens_paused_and_plays_in_steps(dash_duo):
    driver = dash_duo.driver
    driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"features": [{"name": "prefers-reduced-motion", "value": "reduce"}]})
    try:
        _open(dash_duo, "/?preset=ravine&play=1")
        assert _js(dash_duo, "return window.optiscape.reducedMotion();") is True
        time.sleep(0.5)
        assert _js(dash_duo, "return window.optiscape.state.playing;") is False
        assert _js(dash_duo, "return window.optiscape.state.frame;") == 0
        dash_duo.find_element("#anim-play").click()
        _js(dash_duo, "window.__frames = []; window.__sample = setInterval(() => window.__frames.push(window.optiscape.state.frame), 50);")
        time.sleep(2.6)
        frames = _js(dash_duo, "clearInterval(window.__sample); window.optiscape.pause(); return window.__frames;")
        seen = sorted(set(frames))
        assert 2 <= len(seen) <= 4, seen  # a jump a second, not a frame every 33 ms
        assert all((b - a) % 30 == 0 for a, b in zip(seen, seen[1:])), seen  # by the speed: 30 steps
    finally:
        driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"features": [{"name": "prefers-reduced-motion", "value": ""}]})
    _open(dash_duo, "/?preset=ravine&play=1")
    _until(lambda: _js(dash_duo, "return window.optiscape.state.playing || window.optiscape.state.frame > 0;"), 10)


def assert_no_failed_callbacks(duo, path: str) -> None:
    failed = failed_callbacks(duo)
    assert not failed, f"{path}: callbacks failed on the server: {failed}"


def _until(condition, timeout: float = 30, message="condition not met in time"):
    return until(condition, timeout, message)
