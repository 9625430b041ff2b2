"""One self-contained HTML report page: ``render_report(data) -> str``.

The page needs nothing but itself: its CSS and JS (``report.css`` and ``report.js`` beside this module) are
inlined, the data is one JSON blob in ``<script type="application/json">`` (``<``, ``>`` and ``&`` written
as ``\\u003c``... so no text can close the tag), and a Content-Security-Policy allows only that script and
style (by hash) and ``data:`` images: nothing is fetched, and no injected markup could run. The JS builds
the page from the blob, inserting every piece of text as text.

Data schema (JSON; NaN is written as null; ``?``: optional)::

    title: str
    generated: {label: str}           # shown in the header: config, results, tool version, time, command
    notes?: [str]                     # what the report leaves out and why
    tables: [Table]
    plots?: [{title, svg, caption?}]  # SVG markup, shown as an image (its scripts never run)
    comparisons?: [Comparison]        # one per dataset

    Table = {id, title, caption?, legend?,               # legend: what the marks mean; `x`: code
             columns: [{key, label, type: "text" | "number", format?: "d" | ".Nf" | ".Ng" | ".Ne",
                        higher_is_better?: true | null}],  # the best value is bold
             rows: [[value | null]], marks?: [[row, column key, mark]]}

    Comparison = {dataset, measure, relevance_level,     # grades >= level count as relevant
        rows: [{label, name, kind, result, explain: bool, note?}],  # result: its JSON; note: why no explanations
        pairs: [[a, b]],                 # the default pairs (the first is shown first); any two rows can be picked
        qids: [qid], scores: {label: [value | null]},    # the measure of every judged query, per row
        queries: {qid: {text, grades: {doc: grade},      # the drill-down, for the `embedded` queries only
                        top: {label: [[doc, score]]},    # each row's top 10
                        missed: {label: [[doc, rank | null, score | null]]},  # judged relevant, not in its top 10
                        missed_total?: {label: int},     # where the missed list is cut (Limits.max_listed)
                        explain?: {label: {text: [[term, wq]], expansion: [[term, wq]],
                                           docs: {doc: [score, [[term, wq, wd, wq*wd]], n rest, rest sum]}}}}},
        doc_terms: {label: {doc: [[term, wd]]}},         # a document's top terms under that row's model
        docs: {doc: [title, snippet]}, embedded: int, omitted?: str,
        explained: {top: int, missed: int}}             # which pairs are explained: see comparison.py

An explanation's score is the sum of its listed products and the rest (``wq*wd`` summed over every shared
term); the page shows the run file's score beside it where they differ.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import math
from pathlib import Path

ASSETS = Path(__file__).parent
# JSON has no <, > or & outside strings, so escaping them keeps it valid JSON and inert HTML.
SCRIPT_SAFE = str.maketrans({"<": "\\u003c", ">": "\\u003e", "&": "\\u0026"})

PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="{csp}">
<title>{title}</title>
<link rel="icon" href="data:,">
<style>{css}</style>
</head>
<body>
<div id="app"><noscript>This report needs JavaScript to display its tables.</noscript></div>
<script type="application/json" id="report-data">{data}</script>
<script>{js}</script>
</body>
</html>
"""


def finite(value):
    """``value`` with NaN and infinite floats replaced by None, recursively.

    >>> finite({"a": [1.0, float("nan")], "b": float("inf")})
    {'a': [1.0, None], 'b': None}
    """
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [finite(v) for v in value]
    return value


def csp_hash(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


def script_json(data) -> str:
    """``data`` as compact JSON that is safe inside a ``<script>`` element.

    >>> script_json({"t": "</script>"})
    '{"t":"\\\\u003c/script\\\\u003e"}'
    """
    return json.dumps(finite(data), ensure_ascii=False, allow_nan=False, separators=(",", ":")).translate(SCRIPT_SAFE)


def render_report(data: dict) -> str:
    """The report page for ``data`` (schema in the module docstring)."""
    css = (ASSETS / "report.css").read_text(encoding="utf-8")
    js = (ASSETS / "report.js").read_text(encoding="utf-8")
    if "</" in css + js:
        raise ValueError("report.css / report.js must not contain '</'")
    return PAGE.format(title=html.escape(str(data.get("title", "Report"))), css=css, js=js, data=script_json(data),
                       csp=f"default-src 'none'; img-src data:; style-src {csp_hash(css)}; script-src {csp_hash(js)}")
