"""Screenshots of a running Optiscape page with headless Chromium (for looking at the UI).

One shot:

    python scripts/screenshot.py URL OUT.png [WIDTHxHEIGHT] [TAB-LABEL] [--full]
        [--vision deuteranopia|protanopia]

The shots in docs/screenshots/ (see docs/screenshots.md), all in one browser, against a
page already running (`python app.py`, http://127.0.0.1:8050 by default):

    python scripts/screenshot.py --docs [--base http://127.0.0.1:8050] [NAME ...]

Each shot waits until the trajectories are drawn (`window.optiscape.state.data`, no
computation in flight, the contour's paths present), then for the plots to settle.

`--vision` shows the page as seen with a colour-vision deficiency: Chromium draws it through
an SVG colour matrix (Machado, Oliveira & Fernandes 2009, severity 1, applied in linear RGB),
so the shot is what a deuteranope or protanope sees, figures included.
"""

from __future__ import annotations

import argparse
import base64
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

FLAGS = (
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--no-first-run", "--hide-scrollbars",
)
DOCS = Path(__file__).resolve().parent.parent / "docs" / "screenshots"
NETWORK_LINK = (  # the momentum_vs_adam_digits preset's link (networks/presets.py)
    "v=1&surface=network&model=mlp&data=digits&plane=pca&steps=500&batch=64"
    "&run=momentum(lr=0.1)&run=adam(lr=0.001)"
)

READY = """
if (document.querySelector('.network-active')) {  // a network link: its plane drawn
  const plane = document.querySelector('#network-graph-plane .js-plotly-plot');
  return !!(plane && plane.data && plane.data.some(t => t.type === 'contour'));
}
const o = window.optiscape;
if (!(o && o.state && o.state.data && !o.state.busy)) return false;
const gd = document.querySelector('#graph-contour .js-plotly-plot');
return !!(gd && gd.data && gd.data.some(t => t.meta && t.meta.role === 'path' && t.x && t.x.length > 1));
"""


@dataclass(frozen=True)
class Shot:
    name: str  # file name without .png
    path: str  # the page's path and query
    size: tuple[int, int]  # the viewport, CSS pixels
    tab: str = ""  # a view tab's label to select first
    full: bool = False  # the whole page, not only the viewport
    about: str = ""  # what it shows (docs/screenshots.md)
    vision: str = ""  # a simulated colour-vision deficiency (VISION), or normal


SHOTS = (
    Shot("default-1280", "/", (1280, 900), about="The default page (canyon race) on a laptop."),
    Shot("default-1920", "/", (1920, 1080), about="The default page on a 1920×1080 projector."),
    Shot(
        "ravine-classroom-1920", "/?preset=ravine&classroom=1", (1920, 1080),
        about="The ravine preset in classroom (projector) mode: large type, the strip of "
        "sliders, the exit button.",
    ),
    Shot(
        "internals-1280", "/", (1280, 900), tab="Internals",
        about="The Internals tab: gradient and step arrows at each run's point, one card per run.",
    ),
    Shot(
        "phone-360", "/", (360, 800), full=True,
        about="The default page on a 360 px phone, the whole page from top to bottom.",
    ),
    Shot(
        "four-way-1280", "/?preset=adaptive_four_way", (1280, 900),
        about="Four runs (SGD, AdaGrad, RMSProp, Adam) with normal colour vision.",
    ),
    Shot(
        "basins-1280", "/?preset=adam_basins&grid=128", (1280, 900),
        about="The basins of Adam and of gradient descent on Himmelblau, 128×128 starts each: "
        "colour the minimum reached, darker sooner.",
    ),
    Shot(
        "hypermap-classroom-1920", "/?preset=stability_limit&grid=128&classroom=1", (1920, 1080),
        about="Heavy ball's learning rate × momentum on the canyon in classroom mode: steps to "
        "the tolerance, the diverged cells, the analytic limit lr·λmax = 2(1+μ) and the optimal "
        "momentum.",
    ),
    Shot(
        "fan-1280", "/?preset=seed_fan", (1280, 900), full=True,
        about="The seed fan: full batch, batch 16 and batch 1 over 128 seeds, the cloud of "
        "positions and the loss bands.",
    ),
    Shot(
        "basins-phone-360", "/?preset=large_basins", (360, 800), full=True,
        about="The basins of the double well on a 360 px phone: the panels stacked.",
    ),
    Shot(
        "basins-1280-deuteranopia", "/?preset=adam_basins&grid=128", (1280, 900),
        vision="deuteranopia",
        about="The basins map as a deuteranope sees it: the four minima's colours stay apart.",
    ),
    Shot(
        "four-way-1280-deuteranopia", "/?preset=adaptive_four_way", (1280, 900),
        vision="deuteranopia",
        about="The same page as a deuteranope sees it (no green cones, the commonest colour "
        "blindness): the runs stay apart by dash, marker symbol and name.",
    ),
    Shot(
        "four-way-1280-protanopia", "/?preset=adaptive_four_way", (1280, 900),
        vision="protanopia",
        about="The same page as a protanope sees it (no red cones).",
    ),
    Shot(
        "network-plane-1280", f"/?{NETWORK_LINK}", (1280, 900),
        about="A real network (the momentum_vs_adam_digits preset): momentum and Adam on the "
        "digits MLP, their paths on the PCA plane of weight space, the preset's claim, the "
        "honest captions and the summary table.",
    ),
    Shot(
        "network-360", f"/?{NETWORK_LINK}", (360, 800), full=True,
        about="The same network view on a 360 px phone, the whole page.",
    ),
    Shot(
        "network-classroom-1920", f"/?{NETWORK_LINK}&classroom=1", (1920, 1080),
        about="The network view in classroom mode on a 1920×1080 projector.",
    ),
)

# Colour-vision deficiencies as linear-RGB matrices (Machado, Oliveira & Fernandes 2009,
# severity 1.0), rows R', G', B'.
VISION = {
    "deuteranopia": ((0.367322, 0.860646, -0.227968), (0.280085, 0.672501, 0.047413),
                     (-0.011820, 0.042940, 0.968881)),
    "protanopia": ((0.152286, 1.052583, -0.204868), (0.114503, 0.786281, 0.099216),
                   (-0.003882, -0.048116, 1.051998)),
}
SEE_AS = """
const [id, values] = arguments;
document.getElementById(id) && document.getElementById(id).remove();
const ns = 'http://www.w3.org/2000/svg';
const svg = document.createElementNS(ns, 'svg');
svg.setAttribute('id', id); svg.setAttribute('width', '0'); svg.setAttribute('height', '0');
svg.style.position = 'absolute';
const filter = document.createElementNS(ns, 'filter');
filter.setAttribute('id', id + '-filter');
filter.setAttribute('color-interpolation-filters', 'linearRGB');
const matrix = document.createElementNS(ns, 'feColorMatrix');
matrix.setAttribute('type', 'matrix'); matrix.setAttribute('values', values);
filter.appendChild(matrix); svg.appendChild(filter); document.documentElement.appendChild(svg);
document.body.style.filter = 'url(#' + id + '-filter)';
"""


def see_as(driver, vision: str) -> None:
    """Draw the page through the colour matrix of `vision` (a key of VISION)."""
    rows = VISION[vision]
    values = " ".join(" ".join(f"{v:g}" for v in (*row, 0, 0)) for row in rows) + " 0 0 0 1 0"
    driver.execute_script(SEE_AS, "optiscape-vision", values)


def browser() -> webdriver.Chrome:
    options = Options()
    for flag in FLAGS:
        options.add_argument(flag)
    return webdriver.Chrome(options=options)


def set_viewport(driver, width: int, height: int) -> None:
    """The viewport exactly (window chrome differs between headless modes)."""
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False},
    )


# A map (assets/maps.js) is drawn once its full grid has arrived, or the fan's bands are filled.
MAP_READY = """
const m = window.optiscapeMaps && window.optiscapeMaps.state;
if (!m || !m.data) return true;
if (m.data.kind === 'fan') {
  const gd = document.querySelector('#graph-fanloss .js-plotly-plot');
  return !!(gd && gd.data && gd.data.some(t => t.meta && t.meta.map === 'median' && t.y && t.y.length));
}
const status = document.querySelector('.map-status');
return !!(status && status.textContent.includes('hover a cell'));
"""


def wait_until_drawn(driver, timeout: float = 120) -> None:
    WebDriverWait(driver, timeout, poll_frequency=0.2).until(
        lambda d: d.execute_script(READY) and d.execute_script(MAP_READY)
    )


def settle(driver, quiet: float = 0.8, timeout: float = 10) -> None:
    """Until no plot has redrawn for `quiet` seconds (Plotly's `plotly_afterplot`)."""
    driver.execute_script(
        "window.__lastPlot = performance.now();"
        "document.querySelectorAll('.js-plotly-plot').forEach(gd => gd.on && "
        "gd.on('plotly_afterplot', () => { window.__lastPlot = performance.now(); }));"
    )
    end = time.time() + timeout
    while time.time() < end:
        idle = driver.execute_script("return performance.now() - window.__lastPlot;")
        if idle >= quiet * 1000:
            return
        time.sleep(0.1)


def capture(driver, out: Path, full: bool) -> None:
    params: dict = {"format": "png"}
    if full:
        size = driver.execute_cdp_cmd("Page.getLayoutMetrics", {})["cssContentSize"]
        params.update(
            captureBeyondViewport=True,
            clip={"x": 0, "y": 0, "width": size["width"], "height": size["height"], "scale": 1},
        )
    data = driver.execute_cdp_cmd("Page.captureScreenshot", params)["data"]
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(base64.b64decode(data))


def take(
    driver, url: str, out: Path, size: tuple[int, int], tab: str = "", full: bool = False,
    vision: str = "",
) -> None:
    set_viewport(driver, *size)
    driver.get(url)
    wait_until_drawn(driver)
    if tab:
        driver.find_element(By.XPATH, f"//button[@role='tab'][contains(., '{tab}')]").click()
        wait_until_drawn(driver)
    settle(driver)
    if vision:
        see_as(driver, vision)
    capture(driver, out, full)
    for entry in driver.get_log("browser"):
        if entry["level"] == "SEVERE":
            print(out.name, entry["level"], entry["message"][:300])
    print(out)


def docs(base: str, names: list[str]) -> None:
    shots = [s for s in SHOTS if not names or s.name in names]
    driver = browser()
    try:
        for shot in shots:
            take(
                driver, base.rstrip("/") + shot.path, DOCS / f"{shot.name}.png", shot.size,
                shot.tab, shot.full, shot.vision,
            )
    finally:
        driver.quit()


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--docs", action="store_true", help="take the shots of docs/screenshots/")
    parser.add_argument("--base", default="http://127.0.0.1:8050", help="the running page (with --docs)")
    parser.add_argument("--full", action="store_true", help="the whole page, not only the viewport")
    parser.add_argument("--vision", choices=sorted(VISION), default="",
                        help="as seen with a colour-vision deficiency")
    parser.add_argument("args", nargs="*", help="URL OUT.png [WxH] [TAB], or with --docs: shot names")
    opts = parser.parse_args(argv)
    if opts.docs:
        docs(opts.base, opts.args)
        return
    if len(opts.args) < 2:
        parser.error("URL and OUT.png are needed (or --docs)")
    url, out, *rest = opts.args
    width, height = (rest[0] if rest else "1366x768").split("x")
    tab = rest[1] if len(rest) > 1 else ""
    driver = browser()
    try:
        take(driver, url, Path(out), (int(width), int(height)), tab, opts.full, opts.vision)
    finally:
        driver.quit()


if __name__ == "__main__":
    main(sys.argv[1:])
