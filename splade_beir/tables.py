"""``python -m splade_beir.tables --config FILE [--update-readme README.md]``: the tables of a config.

The tables are read from the config's results (never computed anew) and written as Markdown, CSV and
LaTeX (booktabs: a paper table is one ``\\input``; :mod:`splade_beir.reporting.latex`) under
``<output>/tables/<config name>/``, with the FLOPS/quality plot (the ``[plot]`` extra); see
:mod:`splade_beir.reporting.tables`; ``python -m splade_beir.report`` makes the HTML report. A thin CLI:
nothing heavy is imported before the arguments parse.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .cli import Parser, run_cli
from .errors import UserError

ALPHA = 0.05
TOLERANCE = 0.005  # as splade_beir.reporting.reproduction.TOLERANCE (not imported: this module stays light)


def build_parser() -> argparse.ArgumentParser:
    p = Parser(prog="python -m splade_beir.tables",
               description="Result tables of a config (Markdown, CSV, LaTeX, the FLOPS/quality plot).")
    p.add_argument("--config", required=True, help="an eval config (eval_configs/NAME.yaml)")
    p.add_argument("--update-readme", metavar="FILE",
                   help="rewrite the tables between <!-- splade-beir:table NAME --> markers in FILE "
                        "(seed, ndcg, flops, ensembles, and plot when it is drawn)")
    p.add_argument("--baseline", metavar="LABEL",
                   help="test every row against this model label or ensemble name (default: the config's "
                        "'baseline', if any) and mark significant cells with a dagger")
    p.add_argument("--alpha", type=float, default=ALPHA, help="significance level (default: %(default)s)")
    p.add_argument("--no-plot", action="store_true", help="do not draw the FLOPS/quality plot")
    p.add_argument("--check-references", action="store_true",
                   help="compare every row that names a 'reference' with its published figures; exit 1 and list "
                        "the cells that differ by more than --tolerance (cells with no measured or no published "
                        "value are listed as not comparable, not as failures)")
    p.add_argument("--tolerance", type=float, default=TOLERANCE,
                   help="largest accepted |measured - published|, on the 0-1 scale of the measures "
                        "(default: %(default)s, half a point of nDCG@10 x 100)")
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if not 0 < args.alpha < 1:
        raise UserError(f"--alpha must be between 0 and 1, got {args.alpha}")
    if not 0 <= args.tolerance < 1:
        raise UserError(f"--tolerance must be from 0 to 1 (the 0-1 scale of the measures), got {args.tolerance}")
    from .config import load_config
    from .reporting.tables import build_tables, write_tables
    from .reporting.view import ConfigResults

    results = ConfigResults(load_config(args.config))
    if args.check_references and not any(m.reference for m in results.cfg.models):
        raise UserError(f"{args.config}: --check-references, but no model names a 'reference: <source>/<row>'")
    tables = build_tables(results, args.baseline, args.alpha, args.tolerance)
    folder = write_tables(results, tables)
    for name, table in tables.items():
        print(f"## {name}\n\n{table.markdown()}\n")
    for warning in results.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    print(f"tables written to {folder}/ (.md, .csv, and .tex for LaTeX: \\input{{{folder}/ndcg.tex}})")
    blocks = {n: t.markdown() for n, t in tables.items() if n not in ("significance", "references")}
    if not args.no_plot:
        blocks.update(_plot(results, tables["seed"], folder, args.update_readme))
    if args.update_readme:
        from .reporting.readme import update_readme

        changed = update_readme(args.update_readme, blocks)
        print(f"{args.update_readme}: {'updated' if changed else 'already up to date'}")
    return check_references(results, args.tolerance) if args.check_references else 0


def check_references(results, tolerance: float) -> int:
    """Print the reference check; 0 when no cell differs by more than ``tolerance``, else 1."""
    from .reporting.reproduction import check_report, reference_cells

    lines, holds = check_report(reference_cells(results), tolerance)
    print("\n".join(lines))
    return 0 if holds else 1


def _plot(results, seed, folder: Path, readme: str | None) -> dict[str, str]:
    """Draw the plot; its README block when ``readme`` is given."""
    from .lazy import is_installed
    from .reporting.figure import plot_block, write_figure

    if not is_installed("matplotlib"):
        print("plot skipped: it needs matplotlib (pip install 'splade-beir[plot]')")
        return {}
    paths = write_figure(results, seed, folder)
    if paths is None:
        print("plot skipped: no row has a quality value to plot")
        return {}
    print(f"plot written to {', '.join(map(str, paths))}")
    return {"plot": plot_block(results, seed, paths, Path(readme))} if readme else {}


if __name__ == "__main__":
    sys.exit(run_cli(main))
