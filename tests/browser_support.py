"""Helpers of the browser tests (the module-scoped `dash_duo` itself is in conftest.py)."""

from __future__ import annotations

import time


def until(condition, timeout: float = 30, message="condition not met in time"):
    """Poll `condition` until it returns something truthy; return that."""
    end = time.time() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.time() > end:
            raise AssertionError(message() if callable(message) else message)
        time.sleep(0.1)


def js(duo, script: str, *args):
    """Run `script` in the page (`arguments[i]` are `args`) and return its value."""
    return duo.driver.execute_script(script, *args)


def set_size(duo, width: int, height: int) -> None:
    """The window sized so that the viewport is `width`×`height` CSS pixels."""
    driver = duo.driver
    driver.set_window_size(width, height)
    inner = js(duo, "return [window.innerWidth, window.innerHeight];")
    if inner != [width, height]:  # window chrome: grow the window by the difference
        driver.set_window_size(2 * width - inner[0], 2 * height - inner[1])


def failed_callbacks(duo) -> list[str]:
    """The page's server callbacks that answered 4xx/5xx since it was opened."""
    return js(duo, "return window.__failedCallbacks || [];")
