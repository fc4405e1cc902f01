"""Shared test set-up: headless Chromium flags for dash_duo (Debian's chromium + chromedriver),
and one server and one browser per browser-test module (`dash_duo`, module-scoped)."""

from __future__ import annotations

import os

import pytest

# Every page the browser opens records its failed callbacks (tests/browser_support.py:
# failed_callbacks): a page state whose computation fails is not a page state to test.
WATCH_CALLBACKS = """
window.__failedCallbacks = [];
const fetch0 = window.fetch;
window.fetch = function (input, init) {
  const url = typeof input === 'string' ? input : (input && input.url) || '';
  const result = fetch0.apply(this, arguments);
  if (url.indexOf('_dash-update-component') >= 0) {
    result.then((r) => { if (r.status >= 400) window.__failedCallbacks.push(r.status + ' ' + (init && init.body || '').slice(0, 200)); });
  }
  return result;
};
"""


@pytest.fixture(scope="module")
def dash_duo(request, tmp_path_factory):
    """dash_duo for a module: the app served once (threaded), one Chromium for every test.
    Named `dash_duo` so dash's plugin still saves a snapshot of a failing test's page."""
    from dash.testing.application_runners import ThreadedRunner
    from dash.testing.composite import DashComposite

    import app

    app.warm_up_page()
    config = request.config
    with ThreadedRunner() as server, DashComposite(
        server=server,
        browser=config.getoption("webdriver"),
        remote=config.getoption("remote"),
        remote_url=config.getoption("remote_url"),
        headless=config.getoption("headless"),
        options=config.hook.pytest_setup_options(),
        download_path=str(tmp_path_factory.mktemp("download")),
        percy_assets_root=config.getoption("percy_assets"),
        percy_finalize=config.getoption("nopercyfinalize"),
        pause=config.getoption("pause"),
    ) as duo:
        duo.start_server(app.app, port=int(os.environ.get("TEST_PORT", "8050")))  # two suites at once
        duo.driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": WATCH_CALLBACKS})
        yield duo


def pytest_setup_options():
    """Chrome options for dash_duo: quiet, offline-friendly, a projector-sized window."""
    from selenium.webdriver.chrome.options import Options

    options = Options()
    for flag in (
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--hide-scrollbars",  # overlay scrollbars, as on a phone: 360 px wide means 360 px of page
        "--window-size=1366,900",
    ):
        options.add_argument(flag)
    return options
