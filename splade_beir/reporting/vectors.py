"""The query and document vectors behind a SPLADE result, read back from the corpus cache (no model).

Every SPLADE result records its cache entries (``Result.vectors = {"corpus": key, "queries": key}``). The
entries are checked against the dataset as it is loaded now (the same number of rows and the same digest
of ids and texts, so row ``i`` is still document ``i``) before a row is used; only the chunks holding the
documents asked for are read. When vectors cannot be had, :class:`NoVectors` says why and what to run.

>>> reason_without_vectors("bm25")
'BM25 scores are not sums of learned term weights: SPLADE score explanations do not apply to them.'
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterable, Sequence

import scipy.sparse as sp

from ..data.corpus import digest_texts
from ..data.loader import Dataset
from ..encode.cache import CacheEntry, CorpusCache, InvalidChunk
from ..errors import UserError
from ..evaluation.result import Result
from ..evaluation.store import read_result

NOT_SPLADE = {
    "bm25": "BM25 scores are not sums of learned term weights",
    "dense": "dense scores are similarities of embeddings, not sums of term weights",
    "ensemble": "an ensemble's score is a sum of its members' normalized scores (see its SPLADE members)",
}
HOW = ("evaluate it again with the cache on (`python -m splade_beir.evaluate ... --redo`, without --no-cache; "
       "`--cache-dir DIR` chooses the folder), then rebuild with the same `--cache-dir`")


class NoVectors(UserError):
    """The vectors of a result cannot be had; the message says why and what to run."""


def reason_without_vectors(kind: str | None) -> str | None:
    """Why a result of ``kind`` has no score explanation (None for SPLADE)."""
    if kind == "splade":
        return None
    why = NOT_SPLADE.get(kind or "", f"{kind or 'this'} scores are not sums of learned term weights")
    return why[0].upper() + why[1:] + ": SPLADE score explanations do not apply to them."


class ResultVectors:
    """A SPLADE result's query matrix (rows in ``list(dataset.queries)`` order), its corpus cache entry
    (rows in corpus order) and the vocabulary of their columns."""

    def __init__(self, queries: sp.csr_matrix, query_ids: Sequence[str], corpus: CacheEntry, vocabulary: list[str]):
        self.queries = queries
        self.query_rows = {q: i for i, q in enumerate(query_ids)}
        self.corpus = corpus
        self.vocabulary = vocabulary

    def query(self, qid: str) -> sp.csr_matrix:
        """The 1 x V vector of query ``qid``."""
        return self.queries[self.query_rows[qid]]

    def docs(self, rows: Iterable[int]) -> dict[int, sp.csr_matrix]:
        """The 1 x V vectors of corpus ``rows``, reading each chunk that holds some of them once."""
        by_chunk: dict[int, list[int]] = {}
        for row in set(rows):
            by_chunk.setdefault(row // self.corpus.chunk_size, []).append(row)
        out = {}
        for chunk, wanted in sorted(by_chunk.items()):
            try:
                matrix = self.corpus.read(chunk)
            except InvalidChunk as exc:
                raise NoVectors(f"{exc}; {HOW}") from None
            start = self.corpus.rows(chunk)[0]
            out.update({row: matrix[row - start] for row in wanted})
        return out


def open_vectors(result: Result, dataset: Dataset, cache: CorpusCache, source: str = "result") -> ResultVectors:
    """The vectors of ``result`` (``source``: its path, for messages) on ``dataset`` as loaded now."""
    why = reason_without_vectors(result.kind)
    if why:
        raise NoVectors(why)
    keys = result.vectors or {}
    if not {"corpus", "queries"} <= set(keys):
        raise NoVectors(f"{source} records no cached vectors (evaluated with --no-cache, or by a version that did "
                        f"not record them): {HOW}.")
    entries = {side: cache.find(keys[side]) for side in ("corpus", "queries")}
    absent = [f"{side} {keys[side]}" for side, e in entries.items() if e is None]
    if absent:
        raise NoVectors(f"the vectors of {source} (cache entries {', '.join(absent)}) are not in {cache.root} "
                        f"(the cache was cleared, or they are in another --cache-dir): {HOW}.")
    corpus, queries = entries["corpus"], entries["queries"]
    query_ids = list(dataset.queries)
    query_digest = digest_texts(map(str, range(len(query_ids))), [dataset.queries[q] for q in query_ids])
    checks = [(corpus, len(dataset.corpus), "corpus", lambda: dataset.corpus.digest()),
              (queries, len(query_ids), "queries", lambda: query_digest)]
    for entry, n, side, digest in checks:
        if entry.n_texts != n or entry.fingerprint.get(side) != digest():
            raise NoVectors(f"{source}: the {side} of {dataset.name} changed since it was evaluated ({n:,} rows now, "
                            f"{entry.n_texts:,} in cache entry {entry.key}): evaluate it again with --redo.")
        if entry.missing():
            raise NoVectors(f"cache entry {entry.folder} is incomplete ({len(entry.missing())} of {entry.n_chunks} "
                            f"chunks missing): {HOW}.")
    vocabulary = corpus.vocabulary()
    if vocabulary is None:
        raise NoVectors(f"cache entry {corpus.folder} keeps no vocabulary (written by an older version): {HOW}.")
    try:
        query_matrix = queries.assemble()
    except UserError as exc:
        raise NoVectors(f"{exc}; {HOW}") from None
    return ResultVectors(query_matrix, query_ids, corpus, vocabulary)


def row_numbers(ids: Sequence[str], wanted: Iterable[str]) -> dict[str, int]:
    """``{id: row}`` of the ``wanted`` ids in the sequence ``ids`` (one pass; absent ids are left out)."""
    wanted = set(wanted)
    out = {}
    for i, doc_id in enumerate(ids):
        if doc_id in wanted:
            out[doc_id] = i
            if len(out) == len(wanted):
                break
    return out


def find_vectors(root: str | Path, dataset: Dataset, cache: CorpusCache,
                 model: str | None = None) -> tuple[Path, Result, ResultVectors] | None:
    """The first SPLADE result on ``dataset`` under the results folder ``root`` (of checkpoint ``model``
    when given) whose vectors are in ``cache``; None when there is none."""
    for path in sorted(Path(root).glob(f"*/{dataset.name}.json")):
        try:
            result = read_result(path)
        except UserError:
            continue
        if result.kind != "splade" or (model is not None and (result.config or {}).get("model") != model):
            continue
        try:
            return path, result, open_vectors(result, dataset, cache, str(path))
        except NoVectors:
            continue
    return None
