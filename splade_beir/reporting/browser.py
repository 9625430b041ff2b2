"""The report in a real browser: headless Chromium driven by Selenium, for screenshots and tests.

Needs Chromium and its driver (Debian: ``apt-get install chromium chromium-driver``) and PyPI's
``selenium`` (in the ``[test]`` extra). :func:`missing` says what is absent, so callers can skip with a
reason. The browser runs with a fresh profile and no network features (nothing is fetched).

>>> with chromium() as driver:                              # doctest: +SKIP
...     shot = screenshot(driver, "results/tables/demo/report.html", "report.png")
"""

from __future__ import annotations

import base64
import contextlib
import shutil
import tempfile
from pathlib import Path
from typing import Iterator

FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync", "--hide-scrollbars")
INSTALL = "apt-get install -y chromium chromium-driver, and pip install selenium"


def executables() -> tuple[str | None, str | None]:
    """The Chromium and chromedriver executables found on the PATH."""
    browser = next(filter(None, map(shutil.which, ("chromium", "chromium-browser", "google-chrome"))), None)
    return browser, shutil.which("chromedriver")


def missing() -> str | None:
    """What is missing to drive a headless Chromium (None when nothing is)."""
    browser, driver = executables()
    absent = [name for name, path in (("chromium", browser), ("chromedriver", driver)) if path is None]
    try:
        import selenium  # noqa: F401
    except ImportError:
        absent.append("selenium")
    return f"{', '.join(absent)} not found ({INSTALL})" if absent else None


@contextlib.contextmanager
def chromium(width: int = 1440, height: int = 1000) -> Iterator:
    """A headless Chromium WebDriver with a throwaway profile, its console log kept; quit on exit."""
    problem = missing()
    if problem:
        from ..errors import UserError

        raise UserError(f"a headless browser is needed: {problem}")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    browser, driver_path = executables()
    options = webdriver.ChromeOptions()
    options.binary_location = browser
    profile = tempfile.mkdtemp(prefix="splade-beir-chromium-")
    for flag in (*FLAGS, f"--window-size={width},{height}", f"--user-data-dir={profile}"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(executable_path=driver_path))
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def open_report(driver, path: str | Path) -> None:
    """Load the report file and wait until its page is built."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    driver.get(Path(path).resolve().as_uri())
    WebDriverWait(driver, 20).until(lambda d: d.find_elements(By.CSS_SELECTOR, "#app header h1"))


def console_errors(driver) -> list[dict]:
    """The console's errors so far (and any content-security refusal)."""
    return [e for e in driver.get_log("browser") if e["level"] == "SEVERE" or "Refused" in e["message"]]


def png(driver, element=None, margin: int = 12) -> bytes:
    """A PNG of ``element`` with ``margin`` pixels around it (default: the whole page), beyond the window if
    need be."""
    x, y, width, height = driver.execute_script(
        "const e = arguments[0], m = arguments[1], r = e ? e.getBoundingClientRect() : null;"
        "const W = document.documentElement.scrollWidth, H = document.documentElement.scrollHeight;"
        "if (!e) return [0, 0, W, H];"
        "const x = Math.max(0, r.left + scrollX - m), y = Math.max(0, r.top + scrollY - m);"
        "return [x, y, Math.min(W, r.right + scrollX + m) - x, Math.min(H, r.bottom + scrollY + m) - y]",
        element, margin)
    shot = driver.execute_cdp_cmd("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True,
                                                             "clip": {"x": x, "y": y, "width": width,
                                                                      "height": height, "scale": 1}})
    return base64.b64decode(shot["data"])


def screenshot(driver, report: str | Path, out: str | Path, pair: tuple[str, str] | None = None,
               query: str | None = None, section: str = "comparisons") -> Path:
    """Open ``report``, pick ``pair`` (labels; default: the first default pair) and open ``query`` (default:
    the one listed first, the largest win), then save the ``section`` (``comparisons``, or ``page`` for
    all of it) as the PNG file ``out``. Returns its path; a console error is refused."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    open_report(driver, report)
    if driver.find_elements(By.ID, "comparisons"):
        if pair:
            Select(driver.find_element(By.CSS_SELECTOR, "select[name=a]")).select_by_value(pair[0])
            Select(driver.find_element(By.CSS_SELECTOR, "select[name=b]")).select_by_value(pair[1])
        rows = driver.find_elements(By.CSS_SELECTOR, "tr.q:not(.nodetail)"
                                    + (f'[data-qid="{query}"]' if query else ""))
        if rows:
            rows[0].click()
    errors = console_errors(driver)
    if errors:
        raise RuntimeError(f"{report}: console errors: {errors}")
    found = driver.find_elements(By.ID, section) if section != "page" else []
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(png(driver, found[0] if found else None))
    return out
