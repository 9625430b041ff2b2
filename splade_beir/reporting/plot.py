"""The effectiveness / efficiency plot: FLOPS (log x) against quality, one labelled point per row.

Models are circles, ensembles squares, each labelled with its table label (``A``, ``A+B``). Rows
without FLOPS (the BM25 and dense baselines: they compute no sparse dot products to count) cannot be
placed on a log-FLOPS axis, so they are drawn as dashed horizontal reference lines at their quality,
labelled at the right edge; rows without a quality value are not drawn. Labels are placed by a
small search of our own: each label tries positions around its point (8 directions, growing
distances; a thin leader line when it ends up away from the point) and takes the one that overlaps
no other label, marker or reference label and stays inside the axes.

Needs matplotlib (the ``[plot]`` extra); it is imported only here, without pyplot, so no global
backend is changed. Both files are byte-stable from run to run on one machine (no dates, fixed SVG ids).

>>> import tempfile
>>> paths = write_plot([Point("A", 30.0, 2.5), Point("B", 28.0, 1.2)], tempfile.mkdtemp(),
...                    x_label="FLOPS", y_label="nDCG@10 x 100")   # doctest: +SKIP
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from ..atomic import atomic_open

STEM = "flops_quality"  # <folder>/flops_quality.png and .svg
DPI = 150
METADATA = {"svg": {"Date": None, "Creator": None}, "png": {"Software": None}}  # no date or version in the files
MARKERS = {"model": "o", "ensemble": "s"}
LINE_STYLES = {"model": "--", "ensemble": ":"}
COLORS = {"model": "#1f77b4", "ensemble": "#d62728"}
# Label offsets tried, in points from the point: close first, the 8 compass directions at each distance.
RADII = (6.0, 12.0, 20.0, 30.0, 44.0)
DIRECTIONS = ((1, 0), (1, 1), (0, 1), (-1, 1), (-1, 0), (-1, -1), (0, -1), (1, -1))


@dataclass(frozen=True)
class Point:
    """One table row: its label, quality (y) and FLOPS (x); ``None`` where it has none."""

    label: str
    quality: float | None
    flops: float | None
    kind: str = "model"  # "model" or "ensemble"


def draw(points: Sequence[Point], x_label: str, y_label: str, title: str = ""):
    """The figure (matplotlib ``Figure``, Agg canvas) and the display-space boxes of its point labels.

    Raises ImportError without matplotlib.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D
    from matplotlib.ticker import FuncFormatter, NullFormatter
    from matplotlib.transforms import Bbox

    placed = [p for p in points if p.quality is not None and p.flops is not None and p.flops > 0]
    lines = [p for p in points if p.quality is not None and (p.flops is None or p.flops <= 0)]
    fig = Figure(figsize=(6.4, 4.6), dpi=DPI, layout="constrained")
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    ax.set_xscale("log")
    for kind in MARKERS:
        mine = [p for p in placed if p.kind == kind]
        if mine:
            ax.scatter([p.flops for p in mine], [p.quality for p in mine], s=36, marker=MARKERS[kind],
                       color=COLORS[kind], zorder=3)
    for p in lines:
        ax.axhline(p.quality, ls=LINE_STYLES[p.kind], lw=1.0, color=COLORS[p.kind], alpha=0.75, zorder=1)
    _set_limits(ax, placed, lines)
    low, high = ax.get_xlim()
    if high / low < 30:  # under ~1.5 decades a log axis has too few labelled ticks: label 2, 3, 5...
        fmt = FuncFormatter(lambda v, _: f"{v:g}")
        ax.xaxis.set_major_formatter(fmt)
        ax.xaxis.set_minor_formatter(FuncFormatter(lambda v, _: f"{v:g}" if _leading_digit(v) in (2, 3, 5) else ""))
    else:
        ax.xaxis.set_minor_formatter(NullFormatter())
    ax.set_xlabel(x_label)
    ax.set_ylabel(y_label)
    if title:
        ax.set_title(title, fontsize=10)
    ax.grid(True, which="both", lw=0.4, color="0.88", zorder=0)
    handles = [Line2D([], [], ls="", marker=MARKERS[k], color=COLORS[k], label=f"{k}s")
               for k in MARKERS if any(p.kind == k for p in placed)]
    for kind in MARKERS:
        if any(p.kind == kind for p in lines):
            handles.append(Line2D([], [], ls=LINE_STYLES[kind], color=COLORS[kind], label=f"{kind} without FLOPS"))
    if handles:
        ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=len(handles),
                  frameon=False, fontsize=8.5)
    fig.canvas.draw()  # the layout is final from here on: display coordinates are stable
    renderer = fig.canvas.get_renderer()
    frame = ax.get_window_extent(renderer)
    markers = marker_boxes(ax, placed)
    line_boxes = [Bbox.from_extents(frame.x0, y - 2, frame.x1, y + 2)  # each line, a few pixels thick
                  for _, y in (ax.transData.transform((1.0, p.quality)) for p in lines)]
    line_labels = _place_line_labels(ax, renderer, lines, markers, line_boxes)
    boxes = _place_labels(ax, renderer, placed, markers, line_labels + line_boxes)
    return fig, boxes + line_labels


def _leading_digit(v: float) -> int:
    return int(round(v / 10 ** math.floor(math.log10(v) + 1e-9))) if v > 0 else 0


def _set_limits(ax, placed: Sequence[Point], lines: Sequence[Point]) -> None:
    xs = [p.flops for p in placed]
    ys = [p.quality for p in (*placed, *lines)]
    if xs:
        lo, hi = min(xs), max(xs)
        span = max(math.log10(hi / lo), 0.3)  # at least half a decade of room
        pad = 10 ** (0.22 * span)
        ax.set_xlim(lo / pad, hi * pad)
    if ys:
        lo, hi = min(ys), max(ys)
        pad = max(0.12 * (hi - lo), 1.0)
        ax.set_ylim(lo - pad, hi + pad)


def marker_boxes(ax, points: Sequence[Point]) -> list:
    """The display-space box of each point's marker (what labels must not cover)."""
    from matplotlib.transforms import Bbox

    r = 4.5 * ax.figure.dpi / 72.0
    return [Bbox.from_extents(x - r, y - r, x + r, y + r)
            for x, y in (ax.transData.transform((p.flops, p.quality)) for p in points)]


def _place_line_labels(ax, renderer, lines: Sequence[Point], markers: list, line_boxes: list) -> list:
    """Each reference line's label, just above or below its line at the right, left or middle of the
    axes: the first place that overlaps nothing placed so far, no marker and no other line."""
    frame = ax.get_window_extent(renderer)
    placed: list = []
    places = [(x, ha, dy) for x, ha in ((1.0, "right"), (0.0, "left"), (0.5, "center"), (0.75, "center"),
                                        (0.25, "center")) for dy in (1, -1)]
    for i in sorted(range(len(lines)), key=lambda i: -lines[i].quality):
        p = lines[i]
        best = None
        others = markers + [b for j, b in enumerate(line_boxes) if j != i] + placed
        for x, ha, dy in places:
            text = ax.annotate(f"{p.label} (no FLOPS)", xy=(x, p.quality), xycoords=("axes fraction", "data"),
                               xytext=(3 if ha == "left" else -3 if ha == "right" else 0, 1.5 * dy),
                               textcoords="offset points", ha=ha, va="bottom" if dy > 0 else "top", fontsize=8.5,
                               color=COLORS[p.kind])
            box = text.get_window_extent(renderer)
            cost = _overlap(box, others) + _outside(box, frame)
            if best is None or cost < best[0]:
                if best is not None:
                    best[1].remove()
                best = (cost, text, box)
            else:
                text.remove()
            if cost == 0:
                break
        placed.append(best[2])
    return placed


def _place_labels(ax, renderer, points: Sequence[Point], markers: list, obstacles: list) -> list:
    """Greedy placement: each label takes the candidate position with the least overlap (with labels
    placed so far, every marker, the reference lines and their labels, and the axes' outside),
    nearer being better."""
    frame = ax.get_window_extent(renderer)
    scale = ax.figure.dpi / 72.0
    centres = [ax.transData.transform((p.flops, p.quality)) for p in points]
    placed_boxes: list = []
    by_point: dict[int, object] = {}
    # Crowded points first: they have the fewest good places.
    def crowding(i: int) -> float:
        return sum(1.0 / (1.0 + math.dist(centres[i], c)) for j, c in enumerate(centres) if j != i)

    for i in sorted(range(len(points)), key=lambda i: -crowding(i)):
        p = points[i]
        best = None
        for r in RADII:
            for dx, dy in DIRECTIONS:
                norm = math.hypot(dx, dy)
                off = (r * dx / norm, r * dy / norm)
                ha = "left" if dx > 0 else "right" if dx < 0 else "center"
                va = "bottom" if dy > 0 else "top" if dy < 0 else "center"
                text = ax.annotate(p.label, xy=(p.flops, p.quality), xytext=off, textcoords="offset points",
                                   ha=ha, va=va, fontsize=9)
                box = text.get_window_extent(renderer).padded(1.5 * scale)
                text.remove()
                others = [m for j, m in enumerate(markers) if j != i]
                cost = 1000.0 * (_overlap(box, placed_boxes + obstacles + others) + _outside(box, frame)) + r
                cost += 0.1 * (dx < 0) + 0.05 * (dy < 0)  # ties: right of and above the point, as one reads
                if best is None or cost < best[0]:
                    best = (cost, off, ha, va, r, box)
            if best[0] < 1000.0:
                break  # a free place at this distance: no need to look farther
        _, off, ha, va, r, box = best
        arrow = dict(arrowstyle="-", lw=0.6, color="0.45", shrinkA=0, shrinkB=4) if r > RADII[1] else None
        ax.annotate(p.label, xy=(p.flops, p.quality), xytext=off, textcoords="offset points", ha=ha, va=va,
                    fontsize=9, arrowprops=arrow, zorder=4)
        placed_boxes.append(box)
        by_point[i] = box
    return [by_point[i] for i in range(len(points))]


def _overlap(box, others) -> float:
    """Total overlapping area (pixels^2, relative to the box's own area) with the other boxes."""
    area = max(box.width * box.height, 1.0)
    total = 0.0
    for o in others:
        w = min(box.x1, o.x1) - max(box.x0, o.x0)
        h = min(box.y1, o.y1) - max(box.y0, o.y0)
        if w > 0 and h > 0:
            total += w * h / area + 0.01  # any overlap at all costs more than any distance
    return total


def _outside(box, frame) -> float:
    """How far (relative to the box's size) the box sticks out of the axes."""
    dx = max(frame.x0 - box.x0, 0) + max(box.x1 - frame.x1, 0)
    dy = max(frame.y0 - box.y0, 0) + max(box.y1 - frame.y1, 0)
    return dx / max(box.width, 1.0) + dy / max(box.height, 1.0)


def figure_bytes(fig, fmt: str) -> bytes:
    """``fig`` as an ``svg`` or ``png`` file, byte-stable from run to run (no dates, fixed SVG ids)."""
    import matplotlib

    buffer = io.BytesIO()
    with matplotlib.rc_context({"svg.hashsalt": "splade-beir"}):
        fig.savefig(buffer, format=fmt, dpi=DPI, metadata=METADATA[fmt])
    return buffer.getvalue()


def write_plot(points: Sequence[Point], folder: str | Path, x_label: str, y_label: str, title: str = "",
               stem: str = STEM) -> list[Path]:
    """Draw and write ``<folder>/<stem>.svg`` and ``.png`` atomically; returns both paths."""
    fig, _ = draw(points, x_label, y_label, title)
    paths = []
    for fmt in ("svg", "png"):
        path = Path(folder) / f"{stem}.{fmt}"
        with atomic_open(path, "wb") as f:
            f.write(figure_bytes(fig, fmt))
        paths.append(path)
    return paths
