"""Regenerate the tables of a Markdown file between markers, leaving every other byte alone.

A table's place is marked by two lines of their own::

    <!-- splade-beir:table ndcg -->
    (anything: replaced by the table)
    <!-- /splade-beir:table -->

Rewriting is idempotent (a second run with the same tables changes nothing, and an unchanged file is
not rewritten) and atomic. A table with no marker in the file is an error and the file is untouched.

>>> text = "# R\\n<!-- splade-beir:table ndcg -->\\nold\\n<!-- /splade-beir:table -->\\n"
>>> print(replace_tables(text, {"ndcg": "| a |\\n|---|"}), end="")
# R
<!-- splade-beir:table ndcg -->
<BLANKLINE>
| a |
|---|
<BLANKLINE>
<!-- /splade-beir:table -->
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from ..atomic import atomic_write_text
from ..errors import UserError

START = re.compile(r"^[ \t]*<!--[ \t]*splade-beir:table[ \t]+(\S+)[ \t]*-->[ \t]*(?=\r?$)", re.MULTILINE)
END = re.compile(r"^[ \t]*<!--[ \t]*/splade-beir:table[ \t]*-->[ \t]*(?=\r?$)", re.MULTILINE)


def start_marker(name: str) -> str:
    return f"<!-- splade-beir:table {name} -->"


def replace_tables(text: str, tables: dict[str, str], source: str = "the text") -> str:
    """Return ``text`` with the body of each named marker pair replaced by its table.

    ``source`` names the file in error messages.
    """
    newline = "\r\n" if "\r\n" in text else "\n"
    out: list[str] = []
    found: set[str] = set()
    pos = 0
    for start in START.finditer(text):
        if start.start() < pos:
            continue
        name = start.group(1)
        end = END.search(text, start.end())
        nested = START.search(text, start.end())
        line = text.count("\n", 0, start.start()) + 1
        if end is None or (nested is not None and nested.start() < end.start()):
            raise UserError(f"{source}:{line}: marker {start_marker(name)} has no closing "
                            "<!-- /splade-beir:table --> before the next table marker or the end")
        if name in tables:
            body = tables[name].strip("\n").replace("\r\n", "\n").replace("\n", newline)
            out.append(text[pos:start.end()] + newline + newline + body + newline + newline)
            pos = end.start()
            found.add(name)
    out.append(text[pos:])
    missing = [n for n in tables if n not in found]
    if missing:
        raise UserError(f"{source}: no marker {start_marker(missing[0])} (a line of its own, closed by "
                        "<!-- /splade-beir:table -->); the file was not changed")
    return "".join(out)


def update_readme(path: str | Path, tables: dict[str, str]) -> bool:
    """Rewrite the marked tables of ``path`` in place; returns whether the file changed."""
    path = Path(path)
    try:
        with open(path, encoding="utf-8", newline="") as f:
            text = f.read()
    except FileNotFoundError:
        raise UserError(f"{path}: file not found") from None
    new = replace_tables(text, tables, source=str(path))
    if new == text:
        return False
    mode = path.stat().st_mode & 0o7777
    atomic_write_text(path, new)
    os.chmod(path, mode)  # the temporary file was created 0600
    return True
