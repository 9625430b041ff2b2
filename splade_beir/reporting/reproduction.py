"""Does a reproduction hold? Every cell of every row that names a reference, measured against published.

A cell is one (row, dataset, measure) where the row's reference publishes that measure. Its status, at
a tolerance on the 0-1 scale of the measures (0.005 = half a point of nDCG@10 x 100):

- ``ok``: both values exist and ``|measured - published| <= tolerance``;
- ``differs``: both exist and differ by more;
- ``not comparable``: no measured value (not evaluated yet), or no published one (the source prints
  none, ``???``; or has nothing for the dataset). Listed, never counted as a failure.

The comparison is at the dataset's convention: a figure the source publishes without a relevance level
(``R@1000``) is compared with ``R(rel=2)@1000`` on TREC DL, and the cell's note says so. cqadupstack,
when the source gives only its forums, is the mean of the 12 published forums (noted too).

>>> cell = Cell("D", "pyserini-2cr-beir/splade-pp-ed", "scifact", "nDCG@10", measured=0.7012, published=0.7041)
>>> cell.status(0.005), cell.status(0.001), round(cell.difference, 4)
('ok', 'differs', -0.0029)
>>> Cell("D", "pyserini-2cr-beir/splade-pp-ed", "scifact", "nDCG@10", None, 0.7041).status()
'not comparable'
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from ..evaluation.measures import DEFAULT, Measure
from .render import Table
from .view import ConfigResults

TOLERANCE = 0.005
OK, DIFFERS, NOT_COMPARABLE = "ok", "differs", "not comparable"


@dataclass(frozen=True)
class Cell:
    """One compared cell; values are fractions (0-1), None where absent."""

    label: str
    reference: str
    dataset: str
    measure: str
    measured: float | None
    published: float | None
    note: str = ""

    @property
    def difference(self) -> float | None:
        """measured - published."""
        return None if self.measured is None or self.published is None else self.measured - self.published

    def status(self, tolerance: float = TOLERANCE) -> str:
        if self.difference is None:
            return NOT_COMPARABLE
        return DIFFERS if round(abs(self.difference), 12) > tolerance else OK  # round: no float-noise failures

    def line(self, tolerance: float = TOLERANCE) -> str:
        """One line naming the cell, for the ``--check-references`` report."""
        values = "  ".join(f"{name} {_text(v)}" for name, v in
                           (("measured", self.measured), ("published", self.published), ("difference", self.difference))
                           if v is not None)
        note = f" ({self.note})" if self.note else ""
        return (f"{self.status(tolerance).upper():<14} row {self.label} vs {self.reference}: {self.dataset} "
                f"{self.measure}  {values}{note}").rstrip()


def _text(v: float) -> str:
    return f"{v:+.4f}" if v < 0 else f"{v:.4f}"


def reference_measures(values: dict[str, dict[str, float | None]]) -> list[Measure]:
    """The measures a reference row publishes anywhere, in the tables' order (nDCG@10, R@100...)."""
    found = {Measure.parse(m).at(1) for cells in values.values() for m in cells}
    return [m for m in DEFAULT if m in found] + sorted(found - set(DEFAULT), key=str)


def reference_cells(results: ConfigResults) -> list[Cell]:
    """Every cell of every model with a reference, on every dataset of the config."""
    cells: list[Cell] = []
    for row in results.rows():
        ref = results.reference(row)
        if ref is None:
            continue
        measures = reference_measures(ref.values)
        for dataset in results.keys:
            result = results.get(row, dataset)
            found = [(m, ref.published(dataset, results.measure(dataset, m))) for m in measures]
            if all(f is None for _, f in found):
                cells.append(Cell(row.label, ref.spec, dataset, "-", None, None,
                                  f"{ref.source} has no figure for {dataset}"))
                continue
            for m, published in found:
                if published is None:  # the source publishes other measures on this dataset, not this one
                    continue
                wanted = results.measure(dataset, m)
                measured = result.value(wanted) if result else None
                notes = [published[1]]
                if published[0] is None:
                    notes.append("the source prints no figure")
                if measured is None:
                    notes.append("no result yet" if result is None else f"the result has no {wanted}")
                cells.append(Cell(row.label, ref.spec, dataset, str(wanted), measured, published[0],
                                  "; ".join(n for n in notes if n)))
    return cells


def reference_table(cells: list[Cell], tolerance: float = TOLERANCE) -> Table:
    """The ``references`` table: measured, published and their difference (x 100), cell by cell."""
    def x100(v):
        return None if v is None else 100 * v

    frame = pd.DataFrame([{
        "label": c.label, "reference": c.reference, "dataset": c.dataset, "measure": c.measure,
        "measured": x100(c.measured), "published": x100(c.published), "difference": x100(c.difference),
        "status": c.status(tolerance), "note": c.note} for c in cells],
        columns=["label", "reference", "dataset", "measure", "measured", "published", "difference", "status", "note"])
    return Table("references", frame, {"measured": ".2f", "published": ".2f", "difference": "+.2f"},
                 f"Measures x 100; difference = measured - published; status at a tolerance of {tolerance:g} on the "
                 f"0-1 scale ({100 * tolerance:g} points here): ok, differs, or not comparable (no measured value or "
                 "no published figure). Sources and citations: splade_beir/references/.")


def check_report(cells: list[Cell], tolerance: float = TOLERANCE) -> tuple[list[str], bool]:
    """The ``--check-references`` report: a summary line, then every cell that differs or cannot be
    compared; and whether the reproduction holds (no cell differs)."""
    counts = {s: sum(c.status(tolerance) == s for c in cells) for s in (OK, DIFFERS, NOT_COMPARABLE)}
    lines = [f"reference check, tolerance {tolerance:g} (0-1 scale): {len(cells)} cells, {counts[OK]} ok, "
             f"{counts[DIFFERS]} differ, {counts[NOT_COMPARABLE]} not comparable"]
    lines += [c.line(tolerance) for c in cells if c.status(tolerance) == DIFFERS]
    lines += [c.line(tolerance) for c in cells if c.status(tolerance) == NOT_COMPARABLE]
    if counts[DIFFERS]:
        lines.append(f"the reproduction does NOT hold: {counts[DIFFERS]} cells differ by more than {tolerance:g}")
    elif counts[OK]:
        lines.append(f"the reproduction holds: {counts[OK]} cells within {tolerance:g}")
    else:
        lines.append("nothing could be compared: no cell has both a measured and a published value")
    return lines, counts[DIFFERS] == 0
