"""A table as data (a DataFrame, per-column formats, per-cell marks, a caption) and its renderings.

Builders (:mod:`splade_beir.reporting.tables`) compute :class:`Table` objects; rendering them as
Markdown or CSV happens here, apart from the numbers.

>>> t = Table("x", pd.DataFrame({"model": ["a", "b"], "v": [12.345, None]}), {"v": ".1f"})
>>> print(t.markdown())
| model   |    v |
|:--------|-----:|
| a       | 12.3 |
| b       |    - |
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import pandas as pd
from tabulate import tabulate

MISSING = "-"
DAGGER = "\u2020"


@dataclass
class Table:
    """A numeric DataFrame plus how to print each column (format spec; text columns are absent)."""

    name: str
    frame: pd.DataFrame
    formats: dict[str, str] = field(default_factory=dict)
    caption: str = ""
    marks: dict[tuple[int, str], str] = field(default_factory=dict)  # (row position, column) -> suffix
    legend: str = ""

    def cell(self, row: int, column: str) -> str:
        """The text of one cell, mark included; a missing number is ``-``."""
        value = self.frame.iloc[row][column]
        return format_cell(value, self.formats.get(column)) + self.marks.get((row, column), "")

    def markdown(self) -> str:
        """Markdown (pipe table with column alignment); missing numbers render as ``-``."""
        rows = [[self.cell(i, c) for c in self.frame.columns] for i in range(len(self.frame))]
        align = ["right" if c in self.formats else "left" for c in self.frame.columns]
        text = tabulate(rows, headers=list(self.frame.columns), tablefmt="pipe", disable_numparse=True,
                        colalign=align)
        notes = " ".join(n for n in (self.caption, self.legend) if n)
        return text + (f"\n\n{notes}" if notes else "")

    def csv(self) -> str:
        """CSV at full precision; a missing number is an empty cell."""
        return self.frame.to_csv(index=False, lineterminator="\n")


def format_cell(value, fmt: str | None) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return MISSING
    if fmt is None:
        return str(value).replace("|", "\\|").replace("\n", " ")
    return format(value, fmt)
