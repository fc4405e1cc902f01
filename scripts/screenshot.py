"""Take a screenshot of a running Optiscape page with headless Chromium (for looking at the UI).

    python scripts/screenshot.py URL OUT.png [WIDTHxHEIGHT] [TAB-LABEL]
"""

from __future__ import annotations

import sys
import time

from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

FLAGS = (
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--no-first-run",
)


def main(url: str, out: str, size: str = "1366x768", tab: str = "") -> None:
    options = Options()
    for flag in FLAGS:
        options.add_argument(flag)
    width, height = size.split("x")
    options.add_argument(f"--window-size={width},{height}")
    driver = webdriver.Chrome(options=options)
    try:
        driver.get(url)
        WebDriverWait(driver, 120).until(
            lambda d: d.execute_script("return !!(window.optiscape && window.optiscape.state.data)")
        )
        if tab:
            driver.find_element(By.XPATH, f"//button[@role='tab'][contains(., '{tab}')]").click()
        time.sleep(3)
        driver.save_screenshot(out)
        for entry in driver.get_log("browser"):
            print(entry["level"], entry["message"][:300])
    finally:
        driver.quit()


if __name__ == "__main__":
    main(*sys.argv[1:])
