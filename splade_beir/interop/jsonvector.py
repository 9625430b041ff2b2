"""Sparse vectors as files: pyserini/Anserini's JsonVectorCollection and the pre-encoded query TSV.

``JsonVectorCollection`` (documents, and queries as JSONL): one JSON object per line::

    {"id": "d1", "contents": "the text", "vector": {"cat": 212, "##s": 14, "[CLS]": 3}}

Tokens are the vocabulary's strings, unchanged; weights are integer impacts (what Anserini indexes: it
repeats each token ``int(weight)`` times) or, in a lossless export, float32 values written with the fewest
digits that read back to the same float32. Query TSV (Anserini's ``-topicReader TsvString``, pyserini's
pre-encoded ``topics.*.splade-pp-ed.tsv``): ``qid<TAB>tokens``, each token repeated ``weight`` times.

Reading keeps each line's token order as the order of its row's entries, so a query's terms are summed
in the order they were written (the export writes a row's stored order): imported float vectors score
bit for bit as the original ones. Every malformed line is a one-line error naming the file and line;
``.gz`` files are read and written compressed.

>>> import io
>>> vectors = read_lines([(1, '{"id": "q1", "vector": {"cat": 2, "dog": 1}}')], "q.jsonl")
>>> vectors.ids, vectors.vocabulary, vectors.matrix.toarray().tolist(), vectors.integer
(['q1'], ['cat', 'dog'], [[2.0, 1.0]], True)
>>> read_lines([(1, "q2\\tdog cat dog")], "q.tsv", Vocabulary(["cat", "dog"])).matrix.toarray().tolist()
[[1.0, 2.0]]
"""

from __future__ import annotations

import gzip
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Iterable, Iterator, Sequence

import numpy as np
import scipy.sparse as sp

from ..atomic import atomic_open
from ..errors import UserError
from ..textio import decode_line
from .quantize import FLOAT32_EXACT

FLOAT32_MAX = float(np.finfo(np.float32).max)



class Vocabulary(dict):
    """Token string -> column, growing as new tokens are read (shared by a corpus and its queries)."""

    def __init__(self, tokens: Iterable[str] = ()):
        super().__init__((t, i) for i, t in enumerate(tokens))

    def column(self, token: str) -> int:
        found = self.get(token)
        if found is None:
            found = self[token] = len(self)
        return found

    def tokens(self) -> list[str]:
        return list(self)


@dataclass
class SparseVectors:
    """Rows of sparse vectors: ``ids``, a CSR ``matrix`` (float32) over ``vocabulary``'s columns, and
    whether every weight is an integer (impacts) or some are floats."""

    ids: list[str]
    matrix: sp.csr_matrix
    vocabulary: list[str]
    integer: bool = True
    files: list[str] = field(default_factory=list)

    def widened(self, n_columns: int) -> sp.csr_matrix:
        """The matrix with ``n_columns`` columns (a vocabulary that grew after it was read)."""
        M = self.matrix
        return sp.csr_matrix((M.data, M.indices, M.indptr), shape=(M.shape[0], n_columns))


def json_tokens(vocabulary: Sequence[str]) -> list[str]:
    """Each token as a JSON string (computed once per vocabulary, not once per weight)."""
    return [json.dumps(t, ensure_ascii=False) for t in vocabulary]


def formatted(values: np.ndarray, integer: bool) -> np.ndarray:
    """Weights as text: integers, or float32 values in their shortest exact form (``0.1``, ``1e-05``)."""
    return values.astype(np.int64).astype(str) if integer else np.asarray(values, dtype=np.float32).astype(str)


def write_jsonl(f: IO[str], ids: Sequence[str], matrix: sp.csr_matrix, values: np.ndarray, tokens: list[str],
                contents: Sequence[str] | None = None) -> None:
    """One JsonVectorCollection line per row of ``matrix`` (entries in stored order), weights ``values``
    (text, aligned with ``matrix.data``), tokens ``tokens`` (JSON strings by column)."""
    indptr, indices = matrix.indptr, matrix.indices
    for row, _id in enumerate(ids):
        a, b = indptr[row], indptr[row + 1]
        vector = ", ".join(f"{tokens[c]}: {v}" for c, v in zip(indices[a:b].tolist(), values[a:b].tolist()))
        text = json.dumps(contents[row] if contents is not None else "", ensure_ascii=False)
        f.write(f'{{"id": {json.dumps(_id, ensure_ascii=False)}, "contents": {text}, "vector": {{{vector}}}}}\n')


def write_tsv(f: IO[str], ids: Sequence[str], matrix: sp.csr_matrix, impacts: np.ndarray,
              vocabulary: Sequence[str]) -> None:
    """``qid<TAB>tokens``, each token repeated its (integer) impact times, in stored order."""
    indptr, indices = matrix.indptr, matrix.indices
    counts = np.asarray(impacts, dtype=np.int64)
    for row, _id in enumerate(ids):
        a, b = indptr[row], indptr[row + 1]
        words = " ".join(" ".join([vocabulary[c]] * n) for c, n in zip(indices[a:b].tolist(), counts[a:b].tolist()))
        f.write(f"{_id}\t{words}\n")


def open_output(path: Path):
    """An atomic text writer for ``path`` (gzip-compressed when it ends in ``.gz``)."""
    return atomic_open(path, "w", compress=path.suffix == ".gz")


def is_tsv(path: str | Path) -> bool:
    name = Path(path).name.removesuffix(".gz")
    return name.endswith(".tsv") or name.endswith(".txt")


def iter_file(path: Path) -> Iterator[tuple[int, str]]:
    """``(line number, text)`` of a plain or gzip file; a bad byte names the file and line."""
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as f:
            for lineno, raw in enumerate(f, 1):
                yield lineno, decode_line(path, lineno, raw)
    except FileNotFoundError:
        raise UserError(f"{path}: vector file missing") from None
    except (OSError, EOFError) as exc:
        raise UserError(f"{path}: unreadable ({exc.strerror or exc if isinstance(exc, OSError) else exc})") from None


def read_vectors(paths: Sequence[str | Path], vocabulary: Vocabulary | None = None) -> SparseVectors:
    """Every row of ``paths`` (JSONL, or TSV for ``*.tsv[.gz]``), in file order, over ``vocabulary``
    (new tokens get new columns); an id seen twice is an error naming both places."""
    vocabulary = Vocabulary() if vocabulary is None else vocabulary
    builder = _Builder(vocabulary)
    for path in paths:
        builder.add_lines(iter_file(Path(path)), str(path))
    return builder.result([str(p) for p in paths])


def read_lines(lines: Iterable[tuple[int, str]], source: str, vocabulary: Vocabulary | None = None) -> SparseVectors:
    """:func:`read_vectors` on lines already read (``source`` names them: ``.tsv`` for the TSV layout)."""
    builder = _Builder(Vocabulary() if vocabulary is None else vocabulary)
    builder.add_lines(lines, source)
    return builder.result([source])


class _DuplicateKey(Exception):
    pass


def _unique_keys(pairs: list) -> dict:
    out = dict(pairs)
    if len(out) != len(pairs):
        seen: set = set()
        raise _DuplicateKey(next(k for k, _ in pairs if k in seen or seen.add(k)))
    return out


class _Builder:
    """Rows appended one line at a time into growing arrays."""

    def __init__(self, vocabulary: Vocabulary):
        self.vocabulary = vocabulary
        self.ids: list[str] = []
        self.where: dict[str, str] = {}
        self.indptr, self.indices, self.data = [0], [], []
        self.integer = True

    def add_lines(self, lines: Iterable[tuple[int, str]], source: str) -> None:
        parse = self.parse_tsv if is_tsv(source) else self.parse_json
        for lineno, line in lines:
            if not line.strip():
                continue
            _id, pairs = parse(line, source, lineno)
            if _id in self.where:
                raise UserError(f"{source}:{lineno}: duplicate id {_id!r} (also at {self.where[_id]})")
            self.where[_id] = f"{source}:{lineno}"
            self.ids.append(_id)
            column = self.vocabulary.column
            for token, weight in pairs:
                self.indices.append(column(token))
                self.data.append(weight)
            self.indptr.append(len(self.indices))

    def parse_json(self, line: str, source: str, lineno: int) -> tuple[str, list]:
        where = f"{source}:{lineno}"
        try:
            rec = json.loads(line, object_pairs_hook=_unique_keys)
        except json.JSONDecodeError as exc:
            raise UserError(f"{where}: not valid JSON ({exc.msg})") from None
        except _DuplicateKey as exc:
            raise UserError(f"{where}: key {exc.args[0]!r} appears twice in one object") from None
        if not isinstance(rec, dict):
            raise UserError(f"{where}: expected a JSON object with 'id' and 'vector'")
        for key in ("id", "vector"):
            if key not in rec:
                raise UserError(f"{where}: missing field {key!r}")
        _id, vector = rec["id"], rec["vector"]
        if isinstance(_id, bool) or not isinstance(_id, (str, int)) or str(_id) == "":
            raise UserError(f"{where}: 'id' must be a non-empty string or an integer, got {_id!r}")
        if not isinstance(vector, dict):
            raise UserError(f"{where}: 'vector' must be an object of token: weight, got {type(vector).__name__}")
        pairs = []
        for token, weight in vector.items():
            if isinstance(weight, bool) or not isinstance(weight, (int, float)):
                raise UserError(f"{where}: weight of {token!r} must be a number, got {weight!r}")
            if not math.isfinite(weight) or weight < 0:
                raise UserError(f"{where}: weight of {token!r} must be finite and not negative, got {weight!r}")
            if weight > (FLOAT32_EXACT if isinstance(weight, int) else FLOAT32_MAX):
                raise UserError(f"{where}: weight of {token!r} is {weight!r}, above 2**24 (an integer, not exact in "
                                "float32)" if isinstance(weight, int) else f"{where}: weight of {token!r} is "
                                f"{weight!r}, above the float32 range")
            if token == "":
                raise UserError(f"{where}: an empty token")
            if weight > 0:
                self.integer = self.integer and isinstance(weight, int)
                pairs.append((token, weight))
        return str(_id), pairs

    def parse_tsv(self, line: str, source: str, lineno: int) -> tuple[str, list]:
        _id, tab, words = line.rstrip("\r\n").partition("\t")
        if not tab or not _id.strip():
            raise UserError(f"{source}:{lineno}: expected 'id<TAB>tokens' (each token repeated weight times)")
        counts: dict[str, int] = {}
        for word in words.split():
            counts[word] = counts.get(word, 0) + 1
        return _id.strip(), list(counts.items())

    def result(self, files: list[str]) -> SparseVectors:
        data = np.asarray(self.data, dtype=np.float64)
        index = np.int32 if len(self.vocabulary) < 2**31 and len(self.indices) < 2**31 else np.int64
        matrix = sp.csr_matrix((data.astype(np.float32), np.asarray(self.indices, dtype=index),
                                np.asarray(self.indptr, dtype=index)), shape=(len(self.ids), len(self.vocabulary)))
        return SparseVectors(self.ids, matrix, self.vocabulary.tokens(), self.integer, files)
