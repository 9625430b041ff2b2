"""The HTML report in a real browser: headless Chromium (Selenium) opens the file from disk; tables, plot,
sorting, the row pickers, the drill-down and the explanations are driven by scripted clicks. Screenshots
are kept in the ``artifacts`` folder (paths printed; ``pytest -rP`` shows them).

Skipped, with the reason, only when Chromium, chromedriver or selenium cannot be found.
"""

from __future__ import annotations

import copy

import pytest

from splade_beir.config import load_config
from splade_beir.reporting.browser import chromium, console_errors, missing, open_report, png, screenshot
from splade_beir.reporting.html import render_report
from splade_beir.reporting.report import build_report

pytestmark = pytest.mark.skipif(missing() is not None, reason=f"no headless browser: {missing()}")
PAYLOAD = "</script><script>alert(1)</script>"


@pytest.fixture(scope="module")
def data(report_demo) -> dict:
    """The report data, with a script-closing payload in a query, a document title and a table cell."""
    config, cache = report_demo
    data = copy.deepcopy(build_report(load_config(config), cache_dir=cache))
    cmp = data["comparisons"][0]
    qid = next(iter(cmp["queries"]))
    cmp["queries"][qid]["text"] += " " + PAYLOAD
    cmp["docs"][cmp["queries"][qid]["top"]["C"][0][0]][0] = PAYLOAD
    data["tables"][0]["rows"][0][1] = PAYLOAD
    return data


@pytest.fixture(scope="module")
def path(data, tmp_path_factory):
    path = tmp_path_factory.mktemp("report") / "report.html"
    path.write_text(render_report(data), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def browser():
    with chromium() as driver:
        yield driver


@pytest.fixture
def page(browser, path):
    from selenium.common.exceptions import NoAlertPresentException

    open_report(browser, path)
    yield browser
    assert console_errors(browser) == []
    with pytest.raises(NoAlertPresentException):
        _ = browser.switch_to.alert


def css(page, selector: str):
    from selenium.webdriver.common.by import By

    return page.find_elements(By.CSS_SELECTOR, selector)


def shows(element) -> bool:
    return element.size["width"] > 0 and element.size["height"] > 0


def column_values(table, index: int) -> list[float | None]:
    from selenium.webdriver.common.by import By

    cells = table.find_elements(By.CSS_SELECTOR, f"tbody tr td:nth-child({index + 1})")
    return [float(v) if (v := c.get_attribute("data-value")) is not None else None for c in cells]


def pick_pair(page, a: str, b: str) -> None:
    from selenium.webdriver.support.ui import Select

    Select(css(page, "select[name=a]")[0]).select_by_value(a)
    Select(css(page, "select[name=b]")[0]).select_by_value(b)


def test_tables_and_plot_render_from_disk_without_fetching(page, data):
    tables = css(page, "section[data-table-id]")
    assert [t.get_attribute("data-table-id") for t in tables] == [t["id"] for t in data["tables"]]
    for element, table in zip(tables, data["tables"], strict=True):
        assert shows(element) and len(element.find_elements("css selector", "tbody tr")) == len(table["rows"])
    marks = [m for t in data["tables"] for m in t["marks"]]
    assert len(css(page, "section[data-table-id] sup.mark")) == len(marks) > 0  # the config has a baseline
    assert css(page, "td.best")  # the best values are bold
    plot = css(page, "figure.plot img")[0]
    assert shows(plot) and page.execute_script("return arguments[0].naturalWidth", plot) > 0
    assert page.execute_script("return performance.getEntriesByType('resource').length") == 0
    assert page.current_url.startswith("file://")
    assert "null" not in css(page, "#app")[0].text.split() and "undefined" not in css(page, "#app")[0].text


def test_a_numeric_header_sorts_both_ways_with_missing_values_last(page, data):
    seed = data["tables"][0]
    index = next(j for j, c in enumerate(seed["columns"]) if c["key"].startswith("FLOPS"))
    table = css(page, 'section[data-table-id="seed"] table')[0]
    values = [row[index] for row in seed["rows"]]
    present, missing_values = [v for v in values if v is not None], [None] * values.count(None)
    assert missing_values  # BM25 and its ensemble have no FLOPS
    header = table.find_elements("css selector", "thead th")[index]
    header.click()
    assert column_values(table, index) == sorted(present, reverse=True) + missing_values
    assert header.get_attribute("aria-sort") == "descending"
    header.click()
    assert column_values(table, index) == sorted(present) + missing_values


def test_the_drilldown_shows_both_rankings_and_what_each_missed(page, data):
    cmp = data["comparisons"][0]
    assert css(page, ".comparison")[0].get_attribute("data-a") == cmp["pairs"][0][0]
    pick_pair(page, "A", "D")
    deltas = [float(r.get_attribute("data-delta")) for r in css(page, "tr.q")]
    assert deltas == sorted(deltas, reverse=True) and len(deltas) == len(cmp["qids"])
    i = {q: k for k, q in enumerate(cmp["qids"])}
    wins = sum(cmp["scores"]["A"][i[q]] > cmp["scores"]["D"][i[q]] for q in cmp["qids"])
    assert css(page, '[data-count="wins"]')[0].text.endswith(f": {wins}")
    qid = next(q for q, e in cmp["queries"].items() if e["missed"]["D"])  # BM25 missed a relevant document
    css(page, f'tr.q[data-qid="{qid}"]')[0].click()
    drill = css(page, f'.drill[data-qid="{qid}"]')[0]
    query = cmp["queries"][qid]
    assert query["text"] in drill.find_element("tag name", "q").text
    for key, label in (("a", "A"), ("b", "D")):
        hits = drill.find_elements("css selector", f"table.top-{key} tbody tr")
        assert [h.get_attribute("data-doc") for h in hits] == [d for d, _ in query["top"][label]]
        assert len(hits) == 10 and all(shows(h) for h in hits)
        relevant = [d for d, _ in query["top"][label] if query["grades"].get(d, 0) >= 1]
        assert [h.get_attribute("data-doc") for h in hits if "rel" in h.get_attribute("class").split()] == relevant
        missed = drill.find_elements("css selector", f"table.missed-{key} tbody tr")
        assert [m.get_attribute("data-doc") for m in missed] == [m[0] for m in query["missed"][label]]


def test_clicking_a_document_explains_both_scores(page, data):
    cmp = data["comparisons"][0]
    pick_pair(page, "A", "C")
    qid = css(page, "tr.q")[0].get_attribute("data-qid")
    css(page, f'tr.q[data-qid="{qid}"]')[0].click()
    query = cmp["queries"][qid]
    for doc, _ in query["top"]["C"][:3]:
        css(page, f'table.top-b tr[data-doc="{doc}"]')[0].click()
        for label in ("A", "C"):
            box = css(page, f'#explain .why[data-label="{label}"][data-doc="{doc}"]')[0]
            score = float(box.find_element("css selector", "[data-score]").get_attribute("data-score"))
            contributions = [float(c.get_attribute("data-contrib"))
                             for c in box.find_elements("css selector", "td[data-contrib]")]
            assert sum(contributions) == pytest.approx(score, abs=1e-3)
            assert score == pytest.approx(query["explain"][label]["docs"][doc][0])
            assert box.find_elements("css selector", ".chips .chip")  # query and document terms
            assert "run file:" not in box.text  # the explanation agrees with the run's score
    pick_pair(page, "A", "D")
    css(page, "tr.q")[0].click()
    css(page, "table.top-b tbody tr")[0].click()
    assert "BM25 scores are not sums" in css(page, '#explain .why[data-label="D"]')[0].text


def test_injected_markup_stays_text(page, data):
    assert page.execute_script("return document.scripts.length") == 2
    assert css(page, 'section[data-table-id="seed"] tbody tr td:nth-child(2)')[0].text == PAYLOAD
    cmp = data["comparisons"][0]
    qid = next(iter(cmp["queries"]))
    pick_pair(page, "C", "A")
    css(page, f'tr.q[data-qid="{qid}"]')[0].click()
    assert PAYLOAD in css(page, ".drill q")[0].text
    assert css(page, "table.top-a tbody tr .title")[0].text == PAYLOAD


def test_screenshots_are_kept(browser, path, artifacts):
    shot = screenshot(browser, path, artifacts / "report_comparison.png", pair=("A", "C"))
    assert shot.stat().st_size > 20_000
    full = artifacts / "report_page.png"
    full.write_bytes(png(browser))
    assert full.stat().st_size > shot.stat().st_size / 2
    print(f"screenshots: {shot}, {full}")


def test_datasets_have_tabs(browser, data, tmp_path):
    two = copy.deepcopy(data)
    second = copy.deepcopy(two["comparisons"][0])
    second["dataset"], second["pairs"] = "demo-copy", [["D", "C"]]
    two["comparisons"].append(second)
    path = tmp_path / "two.html"
    path.write_text(render_report(two), encoding="utf-8")
    open_report(browser, path)
    tabs = css(browser, ".tabs button")
    assert [t.text for t in tabs] == ["demo", "demo-copy"] and tabs[0].get_attribute("aria-selected") == "true"
    tabs[1].click()
    assert tabs[1].get_attribute("aria-selected") == "true"
    comparison = css(browser, ".comparison")[0]
    assert (comparison.get_attribute("data-dataset"), comparison.get_attribute("data-a"),
            comparison.get_attribute("data-b")) == ("demo-copy", "D", "C")
    css(browser, "button.swap")[0].click()
    assert css(browser, ".comparison")[0].get_attribute("data-a") == "C"
    assert console_errors(browser) == []


def test_number_formats_match_python(browser, tmp_path):
    values = [1234.5678, -0.5, 0.0, 5.84e-05, 20.0]
    specs = [".1f", "+.2f", ",.1f", ".3g", "d"]
    columns = [{"key": s, "label": s, "type": "number", "format": s} for s in specs]
    table = {"id": "t", "title": "t", "columns": columns, "rows": [[v] * len(specs) for v in values]}
    path = tmp_path / "formats.html"
    path.write_text(render_report({"title": "formats", "tables": [table]}), encoding="utf-8")
    open_report(browser, path)
    cells = [[c.text for c in r.find_elements("css selector", "td")] for r in css(browser, "tbody tr")]
    assert cells == [[format(round(v) if s == "d" else v, s) for s in specs] for v in values]
