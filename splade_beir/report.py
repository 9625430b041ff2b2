"""``python -m splade_beir.report --config FILE``: one self-contained HTML report of a config.

Writes ``<output>/tables/<config name>/report.html`` (open it from disk in any browser: nothing is
fetched): every table (sortable, significance marks), the FLOPS/quality plot, and per dataset the
query-level comparison of any two rows with both rankings, the judged documents each missed and SPLADE
score explanations read from the corpus cache (see :mod:`splade_beir.reporting.report`). No model is
loaded. ``--screenshot PNG`` also saves a picture of it from headless Chromium (the README's).
"""

from __future__ import annotations

import argparse
import shlex
import sys

from .cli import Parser, positive_int, run_cli
from .errors import UserError

ALPHA = 0.05


def pair(text: str) -> tuple[str, str]:
    """An argparse type: ``A:B``, two row labels.

    >>> pair("S:D")
    ('S', 'D')
    """
    a, sep, b = text.partition(":")
    if not (sep and a and b):
        raise argparse.ArgumentTypeError(f"expected two row labels as A:B, got {text!r}")
    return a, b


def build_parser() -> argparse.ArgumentParser:
    p = Parser(prog="python -m splade_beir.report",
               description="One self-contained HTML report of a config: tables, plot, per-query comparisons, "
                           "SPLADE score explanations.")
    p.add_argument("--config", required=True, help="an eval config (eval_configs/NAME.yaml)")
    p.add_argument("--out", metavar="FILE", help="the HTML file (default: <output>/tables/<config>/report.html)")
    p.add_argument("--baseline", metavar="LABEL", help="the row every other is compared with and tested against "
                   "(default: the config's baseline; without one, the first BM25 row, else the first row)")
    p.add_argument("--compare", metavar="A:B", type=pair, action="append",
                   help="a default pair instead of every row against the baseline (repeatable); any two rows "
                        "can still be picked in the page")
    p.add_argument("--max-queries", type=positive_int, default=200, metavar="N",
                   help="queries per dataset with an embedded drill-down: those with the largest differences "
                        "(default: %(default)s)")
    p.add_argument("--cache-dir", help="the corpus cache holding the SPLADE vectors (default: "
                                       "$XDG_CACHE_HOME/splade_beir or ~/.cache/splade_beir)")
    p.add_argument("--alpha", type=float, default=ALPHA, help="significance level (default: %(default)s)")
    p.add_argument("--screenshot", metavar="PNG", help="also save a screenshot of the comparison (headless "
                                                       "Chromium and selenium)")
    p.add_argument("--screenshot-pair", metavar="A:B", type=pair, help="the pair shown in the screenshot")
    p.add_argument("--screenshot-query", metavar="QID", help="the query opened in the screenshot (default: the "
                                                              "first listed)")
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if not 0 < args.alpha < 1:
        raise UserError(f"--alpha must be between 0 and 1, got {args.alpha}")
    from .config import load_config
    from .reporting.report import build_report, report_path, write_report

    cfg = load_config(args.config)
    command = "python -m splade_beir.report " + " ".join(map(shlex.quote, sys.argv[1:] if argv is None else argv))
    data = build_report(cfg, args.baseline, args.alpha, args.cache_dir, args.compare, args.max_queries,
                        command=command)
    path = write_report(data, args.out or report_path(cfg))
    for c in data["comparisons"]:
        explained = [r["label"] for r in c["rows"] if r["explain"]]
        print(f"{c['dataset']}: {len(c['rows'])} rows, {len(c['qids'])} queries, drill-down for {c['embedded']}; "
              f"score explanations for {', '.join(explained) or 'no row'}")
        for r in c["rows"]:
            if r["kind"] == "splade" and not r["explain"]:
                print(f"  {r['label']}: no explanations: {r.get('note')}")
    for note in data["notes"]:
        print(f"note: {note}")
    print(f"report written to {path} ({path.stat().st_size / 1024:,.0f} KiB); open it in a browser: {path.resolve().as_uri()}")
    if args.screenshot:
        from .reporting.browser import chromium, screenshot

        with chromium() as driver:
            shot = screenshot(driver, path, args.screenshot, args.screenshot_pair, args.screenshot_query)
        print(f"screenshot written to {shot}")
    return 0


if __name__ == "__main__":
    sys.exit(run_cli(main))
