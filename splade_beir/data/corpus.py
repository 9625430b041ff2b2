"""A corpus: document ids in order, texts read when needed, and a digest of both.

:class:`FileCorpus` reads ``corpus.jsonl`` once to check every line, remember where each document's line
starts and compute the digest; after that it holds only the ids (packed into one byte string) and the
offsets, about 20 bytes per document instead of the documents themselves, and reads texts chunk by chunk
when they are encoded. :class:`MemoryCorpus` wraps documents already in memory (a dict, as beir hands
them). Both are read-only mappings ``{doc_id: {"title", "text"}}`` in corpus order.

>>> corpus = MemoryCorpus({"d1": {"title": "A", "text": "b"}, "d2": {"text": "c"}})
>>> len(corpus), list(corpus.ids), corpus.texts(0, 2), corpus["d2"]
(2, ['d1', 'd2'], ['A b', 'c'], {'title': '', 'text': 'c'})
"""

from __future__ import annotations

import hashlib
import os
from array import array
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Iterable, Iterator

import numpy as np

from ..errors import UserError
from .records import document_text, parse_record


def digest_texts(ids: Iterable[str], texts: Iterable[str]) -> str:
    """A digest of every (id, text) pair, in order: the corpus part of a cache key."""
    h = hashlib.sha256()
    for _id, text in zip(ids, texts):
        _digest_add(h, _id.encode("utf-8"), text)
    return h.hexdigest()


def _digest_add(h, doc_id: bytes, text: str) -> None:
    h.update(doc_id + b"\x00" + text.encode("utf-8") + b"\x01")


class IdList(Sequence):
    """Ids packed into one UTF-8 byte string with offsets: ``ids[i]`` decodes one on demand."""

    def __init__(self, blob: bytes, offsets: np.ndarray):
        self.blob, self.offsets = blob, offsets

    @classmethod
    def of(cls, ids: Iterable[str]) -> "IdList":
        encoded = [i.encode("utf-8") for i in ids]
        return cls(b"".join(encoded), np.cumsum([0] + [len(e) for e in encoded], dtype=np.int64))

    def __len__(self) -> int:
        return len(self.offsets) - 1

    def __getitem__(self, i):
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        i = range(len(self))[i]
        return self.blob[self.offsets[i]:self.offsets[i + 1]].decode("utf-8")

    def __eq__(self, other) -> bool:
        return isinstance(other, Sequence) and len(self) == len(other) and all(a == b for a, b in zip(self, other))

    __hash__ = None

    @property
    def nbytes(self) -> int:
        return len(self.blob) + self.offsets.nbytes


class Corpus(Mapping):
    """The common interface: ``ids``, ``texts(start, stop)``, ``records(start, stop)``, ``digest()``."""

    ids: Sequence[str]

    def __len__(self) -> int:
        return len(self.ids)

    def __iter__(self) -> Iterator[str]:
        return iter(self.ids)

    def __getitem__(self, doc_id: str) -> dict[str, str]:
        row = self._row_of().get(doc_id)
        if row is None:
            raise KeyError(doc_id)
        return next(doc for _, doc in self.records(row, row + 1))

    def _row_of(self) -> dict[str, int]:
        """Id -> row, built on the first lookup by id (only the report and inspect look documents up)."""
        if getattr(self, "_rows", None) is None:
            self._rows = {d: i for i, d in enumerate(self.ids)}
        return self._rows

    def __contains__(self, doc_id) -> bool:
        return doc_id in self._row_of()

    def items(self):
        return self.records(0, len(self))

    def values(self):
        return (doc for _, doc in self.records(0, len(self)))

    def texts(self, start: int = 0, stop: int | None = None) -> list[str]:
        """The texts (``title + " " + text``, stripped) of rows ``[start, stop)``."""
        return [document_text(doc) for _, doc in self.records(start, stop)]

    def records(self, start: int = 0, stop: int | None = None) -> Iterator[tuple[str, dict[str, str]]]:
        raise NotImplementedError

    def digest(self) -> str:
        raise NotImplementedError


class MemoryCorpus(Corpus):
    """Documents already in memory, ``{doc_id: {"title": ..., "text": ...}}``."""

    def __init__(self, docs: Mapping[str, Mapping[str, str]] | None = None):
        self.docs = {d: {"title": doc.get("title") or "", "text": doc.get("text") or ""}
                     for d, doc in (docs or {}).items()}
        self.ids = list(self.docs)

    def records(self, start: int = 0, stop: int | None = None):
        for doc_id in self.ids[start:stop]:
            yield doc_id, self.docs[doc_id]

    def __getitem__(self, doc_id: str) -> dict[str, str]:
        return self.docs[doc_id]

    def __contains__(self, doc_id) -> bool:
        return doc_id in self.docs

    def digest(self) -> str:
        return digest_texts(self.ids, self.texts())


class FileCorpus(Corpus):
    """``corpus.jsonl`` checked once and then read chunk by chunk (see the module docstring).

    ``judged``: document ids whose presence is checked during the pass (:attr:`missing` holds those absent).
    """

    def __init__(self, path: str | Path, judged: Iterable[str] = ()):
        self.path = Path(path)
        wanted, h = set(judged), hashlib.sha256()
        # array('q'): 8 bytes a number, where a list of ints would cost ~36 (millions of documents)
        blob, id_ends, starts, hashes = bytearray(), array("q"), array("q"), array("q")
        with open(self.path, "rb") as f:
            offset = 0
            for lineno, raw in enumerate(f, 1):
                record = parse_record(raw, self.path, lineno)
                if record is not None:
                    doc_id, title, text = record
                    encoded = doc_id.encode("utf-8")
                    blob += encoded
                    id_ends.append(len(blob))
                    bom = 3 if lineno == 1 and raw.startswith(b"\xef\xbb\xbf") else 0  # read later without it
                    starts.append(offset + bom)
                    hashes.append(hash(doc_id))
                    wanted.discard(doc_id)
                    _digest_add(h, encoded, document_text({"title": title, "text": text}))
                offset += len(raw)
        id_ends.insert(0, 0)
        starts.append(offset)  # the end of the file closes the last line
        self.ids = IdList(bytes(blob), np.frombuffer(id_ends, dtype=np.int64))
        self.starts = np.frombuffer(starts, dtype=np.int64)
        self._digest, self.missing = h.hexdigest(), wanted
        self._stamp = self._stat()
        self._refuse_duplicates(np.frombuffer(hashes, dtype=np.int64))

    def _stat(self) -> tuple[int, int]:
        st = os.stat(self.path)
        return st.st_size, st.st_mtime_ns

    def _refuse_duplicates(self, hashes: np.ndarray) -> None:
        order = np.argsort(hashes, kind="stable")
        same = np.flatnonzero(hashes[order][1:] == hashes[order][:-1])
        for k in same:  # equal hashes: compare the ids themselves (a collision is not a duplicate)
            a, b = sorted((int(order[k]), int(order[k + 1])))
            if self.ids[a] == self.ids[b]:
                first, second = self._line_numbers(a, b)
                raise UserError(f"{self.path}:{second}: duplicate _id {self.ids[b]!r} (also line {first})")

    def _line_numbers(self, *rows: int) -> list[int]:
        with open(self.path, "rb") as f:
            return [f.read(int(self.starts[r])).count(b"\n") + 1 for r in rows if f.seek(0) == 0]

    def records(self, start: int = 0, stop: int | None = None):
        stop = len(self) if stop is None else min(stop, len(self))
        if start >= stop:
            return
        if self._stat() != self._stamp:
            raise UserError(f"{self.path}: the file changed while it was being used; run again")
        with open(self.path, "rb") as f:
            f.seek(int(self.starts[start]))
            lines = f.read(int(self.starts[stop] - self.starts[start])).splitlines(keepends=True)
        for raw in lines:
            record = parse_record(raw, self.path, 0)
            if record is not None:
                yield record[0], {"title": record[1], "text": record[2]}

    def digest(self) -> str:
        return self._digest

    @property
    def nbytes(self) -> int:
        """The memory this corpus holds: ids and line offsets."""
        return self.ids.nbytes + self.starts.nbytes
