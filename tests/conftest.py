"""Shared test set-up: headless Chromium flags for dash_duo (Debian's chromium + chromedriver)."""

from __future__ import annotations


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
