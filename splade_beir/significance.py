"""Paired two-sided t-test of two result files of the same dataset, one line per measure.

    python -m splade_beir.significance results/splade-tiny-max/demo.json results/splade-tiny-sum/demo.json
"""

from __future__ import annotations

import argparse
import sys

from .cli import Parser, run_cli
from .errors import UserError
from .evaluation.measures import Measure
from .evaluation.store import read_result
from .reporting.significance import paired_scores, paired_t_test


def build_parser() -> argparse.ArgumentParser:
    p = Parser(prog="python -m splade_beir.significance",
               description="Paired two-sided t-test of two result files of the same dataset, "
                           "one line per measure (no correction: one dataset).")
    p.add_argument("result", help="the result JSON tested (<output>/<model>/<dataset>.json)")
    p.add_argument("baseline", help="the baseline's result JSON on the same dataset")
    p.add_argument("--measures", default="nDCG@10,R@1000,RR@10", help="comma list (default: %(default)s)")
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    row, base = read_result(args.result), read_result(args.baseline)
    for path, result in ((args.result, row), (args.baseline, base)):
        if not result.per_query:
            raise UserError(f"{path}: no per-query scores (a mean over parts, or an old result)")
    print(f"{row.model} vs {base.model} on {row.dataset}")
    for text in (m.strip() for m in args.measures.split(",") if m.strip()):
        try:
            wanted = Measure.parse(text)
        except ValueError as exc:
            raise UserError(f"--measures: {exc}") from None
        found = row.find(wanted)  # at the level the result was evaluated with (R(rel=2)@1000 on TREC DL)
        measure = str(found[0]) if found else str(wanted)
        try:
            x, y = paired_scores(row.per_query, base.per_query, measure)
        except UserError as exc:
            raise UserError(f"{args.result} vs {args.baseline}: {exc}") from None
        r = paired_t_test(x, y)
        print(f"{measure}: n={r.n} mean {r.mean_x:.4f} vs {r.mean_y:.4f}  t={r.t:.4f}  p={r.p:.4g}")
    return 0


if __name__ == "__main__":
    sys.exit(run_cli(main))
