"""The config keys that tie a row to outside files: ``kind: run`` with ``run:``, ``reference:``, and the
config's own ``references:`` files. Each check reports through the config validator (file, line, key)."""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from ..errors import UserError
from ..references.loader import Reference, find_references, find_row
from ..retrievers.external import check_template


class Validator(Protocol):
    def fail(self, where: tuple, message: str): ...

    def string(self, value, where: tuple, allow_int: bool = False) -> str: ...


def reference_files(v: Validator, value) -> tuple[list[Path], dict[str, Reference]]:
    """The reference files a config adds (relative to the working directory), and every source by id."""
    many = isinstance(value, list)
    items = [] if value is None else (value if many else [value])
    paths = []
    for i, item in enumerate(items):
        at = ("references", i) if many else ("references",)
        paths.append(Path(v.string(item, at)))
        if not paths[-1].is_file():
            v.fail(at, f"reference file {item!r} not found (paths are relative to the working directory)")
    return paths, find_references(paths)  # a mistake inside a reference file names that file and line


def row_reference(v: Validator, entry: dict, where: tuple, refs: dict[str, Reference]) -> str | None:
    """A model's ``reference: <source>/<row>``, checked against the known sources."""
    if entry.get("reference") is None:
        return None
    spec = v.string(entry["reference"], where + ("reference",))
    try:
        find_row(spec, refs)
    except UserError as exc:
        v.fail(where + ("reference",), str(exc))
    return spec


def run_template(v: Validator, entry: dict, where: tuple, n_parts: int) -> str:
    """The run path template of a ``kind: run`` model (which needs a name, and has no checkpoint)."""
    if "checkpoint" in entry:
        v.fail(where + ("checkpoint",), "a run model reads its run files; 'checkpoint' does not apply")
    for key, what in (("run", "the run file of each dataset, e.g. runs/{dataset}.trec.gz"),
                      ("name", "the results folder of this run")):
        if key not in entry:
            v.fail(where, f"missing key {key!r} ({what})")
    template = v.string(entry["run"], where + ("run",))
    try:
        check_template(template, n_parts)
    except UserError as exc:
        v.fail(where + ("run",), str(exc))
    return template
