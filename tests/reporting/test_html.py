"""The report page without a browser: one self-contained file whose data cannot break out of its script tag."""

from __future__ import annotations

import base64
import hashlib
import json
import re

import pandas as pd

from splade_beir.reporting.html import render_report
from splade_beir.reporting.render import Table
from splade_beir.reporting.report import table_data

PAYLOAD = "</script><script>alert(1)</script><!--"


def blob(page: str) -> str:
    return re.search(r'<script type="application/json" id="report-data">(.*?)</script>', page, re.S).group(1)


def test_data_round_trips_and_cannot_close_its_script_tag():
    data = {"title": "t <b>", "generated": {"at": "now"}, "tables": [], "notes": [PAYLOAD], "comparisons": [],
            "plots": [{"title": "p", "svg": "<svg xmlns='http://www.w3.org/2000/svg'/>"}]}
    page = render_report(data)
    assert page.count("</script") == 2 and PAYLOAD not in page and "<!--" not in page
    assert "<title>t &lt;b&gt;</title>" in page
    assert json.loads(blob(page)) == data


def test_only_the_inlined_script_and_style_may_run_and_nothing_is_fetched():
    page = render_report({"title": "t", "tables": []})
    csp = re.search(r'http-equiv="Content-Security-Policy" content="([^"]*)"', page).group(1)
    for tag, directive in (("script", "script-src"), ("style", "style-src")):
        code = re.search(rf"<{tag}>(.*?)</{tag}>", page, re.S).group(1)
        digest = base64.b64encode(hashlib.sha256(code.encode()).digest()).decode()
        assert f"{directive} 'sha256-{digest}'" in csp
    assert "default-src 'none'" in csp
    assert not re.search(r"""(src|href)=["']?(https?:|//)""", page)


def test_a_table_as_page_data():
    frame = pd.DataFrame({"label": ["A", "B"], "model": ["m", None], "scifact nDCG@10": [70.04, float("nan")],
                          "FLOPS (scifact)": [1.5, 2.0]})
    t = Table("seed", frame, {"scifact nDCG@10": ".1f", "FLOPS (scifact)": ".2f"}, "c", {(0, "scifact nDCG@10"): "\u2020"},
              "\u2020: p < 0.05")
    data = table_data(t)
    assert data["id"] == "seed" and data["title"] == "Main results" and data["legend"] == "\u2020: p < 0.05"
    assert [(c["key"], c["type"], c.get("format"), c.get("higher_is_better")) for c in data["columns"]] == [
        ("label", "text", None, None), ("model", "text", None, None), ("scifact nDCG@10", "number", ".1f", True),
        ("FLOPS (scifact)", "number", ".2f", None)]
    assert data["rows"] == [["A", "m", 70.04, 1.5], ["B", None, None, 2.0]]
    assert data["marks"] == [[0, "scifact nDCG@10", "\u2020"]]
    assert json.loads(blob(render_report({"tables": [data]})))["tables"][0]["rows"][1] == ["B", None, None, 2.0]
