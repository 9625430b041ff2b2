"""A table as data (a DataFrame, per-column formats, per-cell marks, a caption) and its renderings.

Builders (:mod:`splade_beir.reporting.tables`) compute :class:`Table` objects; rendering them as
Markdown or CSV happens here, apart from the numbers (LaTeX: :mod:`.latex`; HTML: :mod:`.html`).

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
RANKED = ("seed", "ndcg", "ensembles")  # tables whose quality columns have a best value (bold)
NOT_RANKED = ("FLOPS", "nnz")           # cost columns: smaller is cheaper, not better
TITLES = {"seed": "Main results", "ndcg": "nDCG@10 per dataset", "flops": "FLOPS and sparsity",
          "ensembles": "Ensembles", "significance": "Significance tests behind the daggers",
          "references": "Measured against published figures"}


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


def title(table: Table) -> str:
    """A table's title for captions and headings (its name when it has no usual title)."""
    return TITLES.get(table.name, table.name)


def higher_is_better(table: Table, column: str) -> bool | None:
    """True where a larger value of ``column`` is better (the quality columns of the seed, nDCG@10 and
    ensemble tables), None where no value is best (text, costs, counts, test statistics).

    >>> t = Table("seed", pd.DataFrame({"model": ["a"], "BEIR nDCG@10": [1.0], "FLOPS (x)": [2.0]}),
    ...           {"BEIR nDCG@10": ".1f", "FLOPS (x)": ".2f"})
    >>> [higher_is_better(t, c) for c in t.frame.columns]
    [None, True, None]
    """
    if table.name not in RANKED or column not in table.formats or column.startswith(NOT_RANKED):
        return None
    return True


def is_missing(value) -> bool:
    """Whether a cell holds no value (None, or the NaN pandas puts in its place)."""
    return value is None or (isinstance(value, float) and math.isnan(value))


def format_cell(value, fmt: str | None) -> str:
    if is_missing(value):
        return MISSING
    if fmt is None:
        return str(value).replace("|", "\\|").replace("\n", " ")
    return format(value, fmt)
