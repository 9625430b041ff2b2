r"""LaTeX tables for papers: a :class:`~splade_beir.reporting.render.Table` as a booktabs float, one ``\input``.

- numbers print with their column's format; a missing one as ``--``; ``-0.5`` with a math minus and
  ``5.84e-05`` as :math:`5.84\times10^{-5}`;
- the best value of each column where higher is better is bold (:func:`~.render.higher_is_better`;
  compared as printed, so ties are all bold); costs, counts and test statistics have none;
- marks are superscripts (``†`` -> ``$^{\dagger}$``) and the caption (title, caption, legend) says what they
  mean: a table with marks and no legend is refused;
- text is escaped (``\ & % # $ _ { } ~ ^`` and common Unicode symbols), ```x``` in captions is ``\texttt{x}``;
- a table of more than ``WIDE`` columns is scaled to the line width (``\resizebox``), text columns longer
  than ``LONG_TEXT`` characters wrap; ``transpose=True`` turns the numeric columns into rows (the
  per-dataset table with datasets as rows), headed by the rows' label column.

Needs ``\usepackage{booktabs}``, ``array`` and ``graphicx`` (:data:`PREAMBLE` has them).

>>> import pandas as pd
>>> t = Table("ndcg", pd.DataFrame({"label": ["A", "B"], "nfcorpus": [33.41, 31.0]}), {"nfcorpus": ".1f"},
...           "nDCG@10 x 100.", {(1, "nfcorpus"): "†"}, "†: p < 0.05.")
>>> print(render_latex(t))  # doctest: +NORMALIZE_WHITESPACE
\begin{table}[htbp]
\centering
\small
\caption{\textbf{nDCG@10 per dataset.} nDCG@10 x 100. $^{\dagger}$: p < 0.05.}
\label{tab:ndcg}
\begin{tabular}{lr}
\toprule
label & nfcorpus \\
\midrule
A & \textbf{33.4} \\
B & 31.0$^{\dagger}$ \\
\bottomrule
\end{tabular}
\end{table}
"""

from __future__ import annotations

import re
from typing import Iterable

from .render import Table, higher_is_better, is_missing, title

SPECIAL = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "#": r"\#", "$": r"\$", "_": r"\_", "{": r"\{",
           "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}"}
UNICODE = {"\u2020": r"$^{\dagger}$", "\u2021": r"$^{\ddagger}$", "\u2265": r"$\geq$", "\u2264": r"$\leq$",
           "\u00d7": r"$\times$", "\u00b1": r"$\pm$", "\u2212": "$-$", "\u2013": "--", "\u2014": "---",
           "\u0394": r"$\Delta$", "\u00b7": r"$\cdot$", "\u2026": r"\ldots{}", "\u201c": "``", "\u201d": "''"}
MARK_SYMBOLS = {"\u2020": r"\dagger", "\u2021": r"\ddagger", "*": "*", "\u00a7": r"\S", "+": "+"}
ESCAPED = re.compile("|".join(map(re.escape, {**SPECIAL, **UNICODE})))
LONG_TEXT = 40  # characters: a longer text column wraps in a ragged-right paragraph column
WIDE = 8        # columns: a wider table is scaled to the line width
PREAMBLE = r"""\documentclass[10pt]{article}
\usepackage[T1]{fontenc}
\usepackage[utf8]{inputenc}
\usepackage{lmodern}
\usepackage{booktabs}
\usepackage{array}
\usepackage{graphicx}
\usepackage[a4paper,margin=2cm]{geometry}
\begin{document}
"""


def escape(text: str) -> str:
    r"""``text`` as LaTeX text: special characters escaped, common Unicode symbols as commands.

    >>> print(escape("R@1k_{x} & 50% #1 $2 ~a^b \\ ≥"))
    R@1k\_\{x\} \& 50\% \#1 \$2 \textasciitilde{}a\textasciicircum{}b \textbackslash{} $\geq$
    """
    return ESCAPED.sub(lambda m: SPECIAL.get(m.group(), UNICODE.get(m.group())), text)


def rich(text: str) -> str:
    r"""Escaped text with ```code``` spans as ``\texttt`` (```-```, the missing-cell sign, as the cells show it).

    >>> print(rich("From `results/x`; `-` = no result."))
    From \texttt{results/\allowbreak{}x}; -- = no result.
    """
    def code(part: str) -> str:
        return r"\texttt{" + escape(part).replace("/", r"/\allowbreak{}") + "}"  # a long path may break

    parts = text.split("`")
    return "".join(("--" if p == "-" else code(p)) if i % 2 else escape(p) for i, p in enumerate(parts))


def number(value, spec: str | None) -> str:
    r"""A number as LaTeX text.

    >>> [number(v, s) for v, s in [(95.33, ".1f"), (None, ".1f"), (-0.5441, ".3f"), (5.84e-05, ".3g"), (20.0, "d")]]
    ['95.3', '--', '$-$0.544', '$5.84\\times10^{-5}$', '20']
    """
    if is_missing(value):
        return "--"
    spec = spec or "g"
    text = format(round(value) if spec.endswith("d") else value, spec)
    if "e" in text:
        mantissa, exponent = text.split("e")
        return f"${mantissa}\\times10^{{{int(exponent)}}}$"
    return "$-$" + text[1:] if text.startswith("-") else text


def mark(text: str) -> str:
    r"""A cell's mark as a superscript: ``†`` -> ``$^{\dagger}$``."""
    if not text:
        return ""
    if all(c in MARK_SYMBOLS for c in text):
        return "$^{" + "".join(MARK_SYMBOLS[c] for c in text) + "}$"
    return rf"\textsuperscript{{{escape(text)}}}"


def best_rows(table: Table) -> dict[str, set[int]]:
    """Per column where higher is better, the rows holding its best value as printed."""
    best: dict[str, set[int]] = {}
    for column in table.frame.columns:
        if not higher_is_better(table, column):
            continue
        printed = {i: number(v, table.formats[column]) for i, v in enumerate(table.frame[column])
                   if not is_missing(v)}
        if printed:
            values = table.frame[column]
            top = printed[max(printed, key=lambda i: values.iloc[i])]
            best[column] = {i for i, p in printed.items() if p == top}
    return best


def render_latex(table: Table, transpose: bool = False, fit_width: bool | None = None) -> str:
    """The table as a booktabs ``table`` float; ``fit_width``: scale it to the line width (default: when
    it has more than ``WIDE`` columns)."""
    if table.marks and not table.legend:
        raise ValueError(f"table {table.name!r} has marks but no legend saying what they mean")
    frame, best = table.frame, best_rows(table)
    numeric = [c for c in frame.columns if c in table.formats]

    def cell(i: int, column: str) -> str:
        value = frame.iloc[i][column]
        if column not in table.formats:
            return "--" if is_missing(value) else escape(str(value))
        text = number(value, table.formats[column])
        bold = i in best.get(column, ()) and text != "--"
        return (rf"\textbf{{{text}}}" if bold else text) + mark(table.marks.get((i, column), ""))

    if transpose:
        header = frame.columns[0]
        head = [""] + [escape(str(v)) for v in frame[header]]
        body = [[escape(str(c))] + [cell(i, c) for i in range(len(frame))] for c in numeric]
        align = "l" + "r" * len(frame)
    else:
        head = [escape(str(c)) for c in frame.columns]
        body = [[cell(i, c) for c in frame.columns] for i in range(len(frame))]
        align = "".join(column_align(table, c) for c in frame.columns)
    if fit_width is None:
        fit_width = len(head) > WIDE
    caption = " ".join(p for p in (rf"\textbf{{{escape(title(table))}.}}", rich(table.caption), rich(table.legend)) if p)
    label = re.sub(r"[^A-Za-z0-9:-]", "-", table.name) + ("-transposed" if transpose else "")
    lines = [r"\begin{table}[htbp]", r"\centering", r"\small", rf"\caption{{{caption}}}", rf"\label{{tab:{label}}}",
             *([r"\resizebox{\linewidth}{!}{%"] if fit_width else []),
             rf"\begin{{tabular}}{{{align}}}", r"\toprule", " & ".join(head) + r" \\", r"\midrule",
             *(" & ".join(row) + r" \\" for row in body), r"\bottomrule", r"\end{tabular}" + ("}" if fit_width else ""),
             r"\end{table}"]
    return "\n".join(lines) + "\n"


def column_align(table: Table, column: str) -> str:
    if column in table.formats:
        return "r"
    if max((len(str(v)) for v in table.frame[column] if v is not None), default=0) > LONG_TEXT:
        return r">{\raggedright\arraybackslash}p{0.35\linewidth}"
    return "l"


def standalone_document(tables: Iterable[str]) -> str:
    """A complete pdflatex document (article, booktabs) holding the rendered ``tables``."""
    return PREAMBLE + "\n".join(tables) + "\\end{document}\n"
