"""Reading reference files (``splade_beir.reference/v1``): published figures, checked as they load.

A value is stored as a fraction (0-1) under the splade_beir dataset key and the ir_measures name it is
compared with, whatever the source prints (``72.9`` in percent, ``0.7290`` as a fraction). ``None``
means the source prints no figure there (``???``, ``N/A``, an empty cell): never 0. Every mistake in a
file is a one-line :class:`~splade_beir.errors.UserError` naming the file and line.

>>> ref = shipped_references()["pyserini-2cr-beir"]
>>> row = ref.rows["splade-pp-ed"]
>>> row.spec, row.published("scifact", Measure.parse("nDCG@10"))
('pyserini-2cr-beir/splade-pp-ed', (0.7041, ''))
>>> value, note = row.published("cqadupstack", Measure.parse("nDCG@10"))   # derived, and said so
>>> round(value, 4), note
(0.3338, 'mean of the 12 published cqadupstack forums')
>>> find_row("pyserini-2cr-beir/splade-pp-eed", shipped_references())
Traceback (most recent call last):
splade_beir.errors.UserError: unknown reference 'pyserini-2cr-beir/splade-pp-eed' (rows of pyserini-2cr-beir: bm25-flat, bm25-multifield, splade-pp-ed)
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable


from ..data.names import CQADUPSTACK_FORUMS
from ..errors import UserError
from ..evaluation.measures import Measure
from ..textio import read_utf8
from ..yamlio import parse_yaml

SCHEMA = "splade_beir.reference/v1"
FOLDER = Path(__file__).resolve().parent
SHIPPED = ("pyserini_2cr_beir.yaml", "distilsplade_max_readme.yaml")  # the published sources shipped here
SCALES = {"fraction": 1.0, "percent": 100.0}
DERIVED = "mean of the 12 published cqadupstack forums"


@dataclass(frozen=True)
class ReferenceRow:
    """One published row: its figures by splade_beir dataset key and ir_measures name, as fractions."""

    source: str
    id: str
    label: str
    citation: str
    values: dict[str, dict[str, float | None]]
    path: Path
    line: int

    @property
    def spec(self) -> str:
        """How a config names it: ``<source>/<row>``."""
        return f"{self.source}/{self.id}"

    def published(self, dataset: str, measure: Measure) -> tuple[float | None, str] | None:
        """``(value or None, note)`` of ``measure`` on ``dataset``; None when the row has no such cell.

        A figure published without a relevance level (``R@1000``) stands for the dataset's convention
        (``R(rel=2)@1000`` on TREC DL), with a note saying so. cqadupstack, when the source gives only
        its 12 forums, is their mean (None if a forum has no figure).
        """
        cell = self._cell(self.values.get(dataset, {}), measure)
        if cell is not None:
            return cell
        if dataset == "cqadupstack":
            forums = [self._cell(self.values.get(f"cqadupstack/{f}", {}), measure) for f in CQADUPSTACK_FORUMS]
            if all(f is not None for f in forums):
                values = [f[0] for f in forums]
                return (None if None in values else sum(values) / len(values)), DERIVED
        return None

    @staticmethod
    def _cell(values: dict[str, float | None], measure: Measure) -> tuple[float | None, str] | None:
        if str(measure) in values:
            return values[str(measure)], ""
        plain = str(measure.at(1))
        if measure.rel > 1 and plain in values:
            return values[plain], f"published as {plain} (relevance level not stated), compared with {measure}"
        return None


@dataclass(frozen=True)
class Reference:
    """A reference file: where its figures come from, and its rows."""

    id: str
    title: str
    path: Path
    source: dict[str, Any]
    citation: str
    rows: dict[str, ReferenceRow] = field(default_factory=dict)

    @property
    def where(self) -> str:
        """The source in a few words: URL (or repository and path) at its commit."""
        s = self.source
        return s.get("url") or " ".join(str(s[k]) for k in ("repository", "path", "commit") if s.get(k))


def shipped_references() -> dict[str, Reference]:
    """The references shipped with splade_beir, by source id."""
    refs = [load_reference(FOLDER / name) for name in SHIPPED]
    return {r.id: r for r in refs}


def find_references(extra: Iterable[str | Path] = ()) -> dict[str, Reference]:
    """The shipped references plus those of ``extra`` files; a source id defined twice is an error."""
    refs = shipped_references()
    for path in extra:
        ref = load_reference(path)
        if ref.id in refs:
            raise UserError(f"{path}: source id {ref.id!r} is already defined by {refs[ref.id].path}")
        refs[ref.id] = ref
    return refs


def find_row(spec: str, refs: dict[str, Reference]) -> ReferenceRow:
    """The row a ``<source>/<row>`` spec names; an unknown one is a UserError listing what is known."""
    source, _, row = str(spec).partition("/")
    if source not in refs:
        raise UserError(f"unknown reference {spec!r}: no source {source!r} (known: {', '.join(sorted(refs))}; "
                        "add a file with 'references:')")
    rows = refs[source].rows
    if row not in rows:
        known = list(rows)
        listed = ", ".join(known[:6]) + (f", ... ({len(known)} rows)" if len(known) > 6 else "")
        raise UserError(f"unknown reference {spec!r} (rows of {source}: {listed})")
    return rows[row]


def load_reference(path: str | Path) -> Reference:
    """Read and check one reference file (cached per path and modification time)."""
    path = Path(path)
    try:
        stamp = path.stat().st_mtime_ns
    except OSError:
        raise UserError(f"{path}: reference file not found") from None
    return _load(str(path.resolve()), stamp)


@lru_cache(maxsize=32)
def _load(path_text: str, stamp: int) -> Reference:
    path = Path(path_text)
    text = read_utf8(path)
    data, lines = parse_yaml(path, text, "reference file")
    return _Reader(path, lines).reference(data)


class _Reader:
    def __init__(self, path: Path, lines: dict[tuple, int]):
        self.path, self.lines = path, lines

    def fail(self, where: tuple, message: str):
        line = next((self.lines[where[:n]] for n in range(len(where), 0, -1) if where[:n] in self.lines), 1)
        raise UserError(f"{self.path}:{line}: {'.'.join(map(str, where)) + ': ' if where else ''}{message}")

    def mapping(self, value, where: tuple) -> dict:
        if not isinstance(value, dict) or not value:
            self.fail(where, "expected a non-empty mapping")
        return value

    def reference(self, data) -> Reference:
        data = self.mapping(data, ())
        if data.get("schema") != SCHEMA:
            self.fail(("schema",), f"expected schema: {SCHEMA}, got {data.get('schema')!r}")
        source = self.mapping(data.get("source"), ("source",))
        sid = source.get("id")
        if not isinstance(sid, str) or not sid or "/" in sid or any(c.isspace() for c in sid):
            self.fail(("source", "id"), "expected a source id without '/' or spaces")
        citation = source.get("citation")
        if not isinstance(citation, str) or not citation.strip():
            self.fail(("source",), "missing 'citation' (how to cite these figures)")
        measures = self.measures(self.mapping(data.get("measures"), ("measures",)))
        keys = self.datasets(data.get("datasets") or {})
        rows = {}
        for rid, row in self.mapping(data.get("rows"), ("rows",)).items():
            rows[str(rid)] = self.row(sid, str(rid), row, measures, keys)
        return Reference(sid, str(source.get("title") or sid), self.path, source, citation.strip(), rows)

    def measures(self, value: dict) -> dict[str, tuple[str | None, float]]:
        """Source measure name -> (ir_measures name or None when not compared, divisor to a fraction)."""
        out = {}
        for name, spec in value.items():
            at = ("measures", name)
            spec = self.mapping(spec, at)
            target = spec.get("measure", name)
            if target is not None:
                try:
                    target = str(Measure.parse(str(target)))
                except ValueError as exc:
                    self.fail(at + ("measure",), f"{exc}; use measure: null for a figure that is not compared")
                if spec.get("scale") not in SCALES:
                    self.fail(at + ("scale",), f"expected scale: fraction or percent, got {spec.get('scale')!r}")
            out[str(name)] = (target, SCALES.get(spec.get("scale"), 1.0))
        return out

    def datasets(self, value) -> dict[str, str | None]:
        if not isinstance(value, dict):
            self.fail(("datasets",), "expected a mapping: source dataset name -> {key: splade_beir dataset key}")
        out = {}
        for name, spec in value.items():
            key = spec.get("key", name) if isinstance(spec, dict) else name
            if key is not None and (not isinstance(key, str) or not key):
                self.fail(("datasets", name, "key"), f"expected a dataset key or null, got {key!r}")
            out[str(name)] = key
        return out

    def row(self, sid: str, rid: str, row, measures: dict, keys: dict) -> ReferenceRow:
        at = ("rows", rid)
        row = self.mapping(row, at)
        values: dict[str, dict[str, float | None]] = {}
        for dataset, cells in self.mapping(row.get("values"), at + ("values",)).items():
            key = keys.get(str(dataset), str(dataset))
            for name, value in self.mapping(cells, at + ("values", dataset)).items():
                where = at + ("values", dataset)
                if name not in measures:
                    self.fail(where, f"measure {name!r} is not declared under 'measures'")
                target, scale = measures[name]
                top = scale if target is not None else math.inf  # an uncompared figure: any number >= 0
                if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float))
                                          or not 0 <= value < math.inf or value > top):
                    self.fail(where, f"{name}: expected a number from 0 to {top:g} or null, got {value!r}")
                if key is not None and target is not None:
                    values.setdefault(key, {})[target] = None if value is None else value / scale
        label = row.get("label") or row.get("model") or rid
        citation = row.get("citation") or ""
        return ReferenceRow(sid, rid, str(label), str(citation), values, self.path, self.lines.get(at, 1))
