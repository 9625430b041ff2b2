"""``python -m splade_beir.tables --config FILE [--update-readme README.md]``: the tables of a config.

The tables are read from the config's results (never computed anew) and written as Markdown and CSV
under ``<output>/tables/<config name>/``, with the FLOPS/quality plot (the ``[plot]`` extra); see
:mod:`splade_beir.reporting.tables`. A thin CLI: nothing heavy is imported before the arguments parse.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .cli import Parser, run_cli
from .errors import UserError

ALPHA = 0.05


def build_parser() -> argparse.ArgumentParser:
    p = Parser(prog="python -m splade_beir.tables",
                                description="Result tables of a config (Markdown, CSV, the FLOPS/quality plot).")
    p.add_argument("--config", required=True, help="an eval config (eval_configs/NAME.yaml)")
    p.add_argument("--update-readme", metavar="FILE",
                   help="rewrite the tables between <!-- splade-beir:table NAME --> markers in FILE "
                        "(seed, ndcg, flops, ensembles, and plot when it is drawn)")
    p.add_argument("--baseline", metavar="LABEL",
                   help="test every row against this model label or ensemble name (default: the config's "
                        "'baseline', if any) and mark significant cells with a dagger")
    p.add_argument("--alpha", type=float, default=ALPHA, help="significance level (default: %(default)s)")
    p.add_argument("--no-plot", action="store_true", help="do not draw the FLOPS/quality plot")
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if not 0 < args.alpha < 1:
        raise UserError(f"--alpha must be between 0 and 1, got {args.alpha}")
    from .config import load_config
    from .reporting.tables import build_tables, write_tables
    from .reporting.view import ConfigResults

    results = ConfigResults(load_config(args.config))
    tables = build_tables(results, args.baseline, args.alpha)
    folder = write_tables(results, tables)
    for name, table in tables.items():
        print(f"## {name}\n\n{table.markdown()}\n")
    for warning in results.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    print(f"tables written to {folder}/")
    blocks = {n: t.markdown() for n, t in tables.items() if n != "significance"}
    if not args.no_plot:
        blocks.update(_plot(results, tables["seed"], folder, args.update_readme))
    if args.update_readme:
        from .reporting.readme import update_readme

        changed = update_readme(args.update_readme, blocks)
        print(f"{args.update_readme}: {'updated' if changed else 'already up to date'}")
    return 0


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
