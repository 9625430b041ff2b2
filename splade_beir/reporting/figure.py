"""The FLOPS/quality figure of a config: its points, taken from the seed table, and its README block."""

from __future__ import annotations

import os
from pathlib import Path

from .columns import flops_column, quality_column
from .plot import Point, write_plot
from .render import Table, is_missing
from .view import ConfigResults


def plot_points(results: ConfigResults, seed: Table) -> tuple[list, str, str] | None:
    """The plot's points from the seed table (x: its FLOPS column, y: its BEIR column, else its first
    in-domain column), with the axis labels; None when the table has no quality column."""
    columns = [c for c in seed.frame.columns if c not in ("label", "model")]
    flops, quality = flops_column(results.in_domain, results.ood), quality_column(results.ood)
    x = flops[0] if flops and flops[0] in columns else None
    y = quality[0] if quality and quality[0] in columns else next((c for c in columns if c != x), None)
    if y is None:
        return None
    kinds = ["ensemble" if row.ensemble else "model" for row in results.rows()]  # the seed table's row order
    points = [Point(str(r["label"]), _number(r[y]), _number(r[x]) if x else None, kind)
              for r, kind in zip(seed.frame.to_dict("records"), kinds)]
    return points, (f"{x}, log scale" if x else "FLOPS, log scale"), f"{y} x 100"


def _number(v) -> float | None:
    return None if is_missing(v) else float(v)


def write_figure(results: ConfigResults, seed: Table, folder: Path) -> list[Path] | None:
    """The FLOPS/quality plot as SVG and PNG in ``folder``; None when the seed table has nothing to plot."""
    found = plot_points(results, seed)
    if found is None:
        return None
    points, x_label, y_label = found
    return write_plot(points, folder, x_label, y_label, title=plot_title(results, y_label))


def plot_title(results: ConfigResults, y_label: str) -> str:
    return f"{results.cfg.name}: FLOPS vs {y_label.replace(' x 100', '')}"


def plot_block(results: ConfigResults, seed: Table, paths: list[Path], readme: Path) -> str:
    """The README text of the plot: the PNG (linked relative to the README), its SVG, and the rows
    drawn as reference lines or left out."""
    points, x_label, y_label = plot_points(results, seed)
    cfg = results.cfg
    svg, png = (Path(os.path.relpath(p.resolve(), readme.resolve().parent)).as_posix() for p in paths)
    lines = [f"![{cfg.name}: {x_label} against {y_label}]({png})", "",
             f"x: {x_label}; y: {y_label}; circles: models, squares: ensembles ([SVG]({svg}))."]
    reference = [p.label for p in points if p.quality is not None and p.flops is None]
    absent = [p.label for p in points if p.quality is None]
    if reference:
        one = len(reference) == 1
        lines[-1] += (" Rows without FLOPS (BM25 and dense retrievers compute no sparse dot products, and an "
                      f"ensemble with one of them has none either) cannot sit on the log axis: {', '.join(reference)} "
                      f"{'is a horizontal line' if one else 'are horizontal lines'} at {'its' if one else 'their'} "
                      "quality (dashed: models, dotted: ensembles).")
    if absent:
        lines[-1] += f" Not drawn (no {y_label.replace(' x 100', '')}): {', '.join(absent)}."
    return "\n".join(lines)
