"""A result's cached vectors -> an export folder that Anserini, pyserini, PISA and Seismic read.

Every SPLADE result records where its vectors are (``vectors = {"corpus": key, "queries": key}``,
entries of the corpus cache); the export reads them from the cache (no model is loaded), checks that
they belong to the dataset as it is now (its ids and texts), quantizes them and writes the layout of
:mod:`splade_beir.interop.layout`, with a manifest saying what was written and how much the
quantization changed the weights.

>>> import tempfile
>>> from splade_beir.evaluation.api import evaluate
>>> out, cache = tempfile.mkdtemp(), tempfile.mkdtemp()
>>> result = evaluate("splade-tiny", ["demo"], output=out, cache_dir=cache, show_progress=False)["demo"]
>>> manifest = export_result(result, out + "/vectors", cache=CorpusCache(cache))
>>> manifest["quantization"]["name"], manifest["documents"] == result.n_docs, manifest["float32_exact"]
('100', True, True)
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from .. import __version__
from ..atomic import atomic_write_text
from ..data.download import resolve_dir
from ..data.loader import Dataset, load_folder
from ..data.corpus import digest_texts
from ..encode.cache import CacheEntry, CorpusCache
from ..errors import UserError
from ..evaluation.result import Result
from ..evaluation.store import safe_join, sha256_file
from .jsonvector import formatted, json_tokens, open_output, write_jsonl, write_tsv
from .layout import CORPUS, MANIFEST, QUERIES_JSONL, QUERIES_TSV, SCHEMA, corpus_name
from .quantize import DEFAULT, FLOAT32_EXACT, Quantization, parse_quantization, rounding, score_bound

DOCS_PER_FILE = 1_000_000


def export_result(result: Result, output: str | Path, quantization: Quantization | str = DEFAULT,
                  cache: CorpusCache | None = None, data_dir: str | Path = "datasets", contents: bool = True,
                  gzip: bool = False, docs_per_file: int = DOCS_PER_FILE, source: str = "result") -> dict:
    """Write ``result``'s documents and queries under ``output/<dataset>/``; returns the manifest.

    ``quantization``: ``"100"`` (default), a factor, ``"pyserini"`` or ``"float"`` (see
    :mod:`~splade_beir.interop.quantize`). ``contents``: each line carries its text (pyserini's cached
    query encoder finds queries by it). ``source`` names the result in error messages.
    """
    if isinstance(quantization, str):
        quantization = parse_quantization(quantization)
    cache = cache or CorpusCache()
    doc_entry, query_entry = (vector_entry(result, cache, part, source) for part in ("corpus", "queries"))
    dataset = load_result_dataset(result, data_dir, source)
    query_ids = list(dataset.queries)
    query_texts = [dataset.queries[q] for q in query_ids]
    check_digest(doc_entry, "corpus", dataset.corpus.digest(), dataset)
    check_digest(query_entry, "queries", digest_texts(map(str, range(len(query_texts))), query_texts), dataset)
    vocabulary = doc_entry.vocabulary()
    if vocabulary is None:
        raise UserError(f"{doc_entry.folder}: the cache entry keeps no vocabulary (encoded before vocabularies "
                        "were kept); evaluate again with --redo to re-encode")
    D, Q = doc_entry.assemble(), query_entry.assemble()
    check_unique_tokens(vocabulary, D, Q, doc_entry.folder)
    (Dq, doc_round), (Qq, query_round) = quantized(D, quantization), quantized(Q, quantization)
    folder = safe_join(output, result.dataset)
    files = write_corpus(folder, dataset, Dq, vocabulary, quantization.integer, contents, gzip, docs_per_file)
    files, warnings = write_queries(folder, files, Dq, Qq, vocabulary, quantization.integer, gzip, query_ids,
                                    query_texts if contents else None)
    bound = score_bound(Dq, Qq)
    manifest = {
        "schema": SCHEMA, "format": "JsonVectorCollection", "model": result.model, "kind": result.kind,
        "config": result.config, "dataset": result.dataset, "data": result.data, "split": result.split,
        "vectors": dict(result.vectors), "quantization": quantization.describe(),
        "documents": int(Dq.shape[0]), "queries": int(Qq.shape[0]),
        "rounding": {"documents": doc_round.as_dict(), "queries": query_round.as_dict()},
        "max_score_bound": bound, "float32_exact": bound <= FLOAT32_EXACT,
        "source_result": {"nDCG@10": result.value("nDCG@10"), "flops": result.flops,
                          "nnz_query": result.nnz_query, "nnz_doc": result.nnz_doc},
        "files": files, "sha256": {name: sha256_file(folder / name) for name in files_of(files)},
        "warnings": warnings, "splade_beir": __version__,
    }
    atomic_write_text(folder / MANIFEST, json.dumps(manifest, indent=1, ensure_ascii=False))
    return manifest


def vector_entry(result: Result, cache: CorpusCache, part: str, source: str) -> CacheEntry:
    """The cache entry holding the result's ``part`` ("corpus" or "queries")."""
    key = (result.vectors or {}).get(part)
    if not key:
        raise UserError(f"{source}: the result records no {part} vectors (a baseline, a run with --no-cache, a "
                        "mean over forums, or a result older than vector keys); evaluate it again with the cache on")
    entry = cache.find(key)
    if entry is None:
        raise UserError(f"{source}: cache entry {key} ({part}) is not in {cache.root} (cleared, or another "
                        "--cache-dir); pass --cache-dir, or evaluate again with --redo")
    return entry


def load_result_dataset(result: Result, data_dir: str | Path, source: str) -> Dataset:
    """The dataset the result was computed on (its judged queries, in the order they were encoded)."""
    name = result.data or result.dataset
    try:
        folder = resolve_dir(name, data_dir, download=False)
    except UserError:
        raise UserError(f"{source}: its dataset {name!r} is not found (relative to here, or under --data-dir "
                        f"{data_dir}); pass --data-dir") from None
    return load_folder(folder, result.split or "test", name=result.dataset)


def check_digest(entry: CacheEntry, part: str, digest: str, dataset: Dataset) -> None:
    if entry.fingerprint.get(part) != digest:
        raise UserError(f"{entry.folder}: these {part} vectors were encoded from other ids or texts than "
                        f"{dataset.path} holds now; evaluate again with --redo")


def check_unique_tokens(vocabulary: list[str], D: sp.csr_matrix, Q: sp.csr_matrix, where: Path) -> None:
    """Tokens are the keys of the files: two columns with the same string cannot both be written."""
    used = np.union1d(np.unique(D.indices), np.unique(Q.indices))
    seen: dict[str, int] = {}
    for column in used.tolist():
        token = vocabulary[column]
        if token in seen:
            raise UserError(f"{where}: columns {seen[token]} and {column} are both the token {token!r}; "
                            "the vectors cannot be written by token")
        seen[token] = column


def quantized(M: sp.csr_matrix, quantization: Quantization):
    """``M`` with quantized weights (int64, or float32 for ``float``), zeros dropped, stored order kept;
    and the :class:`~splade_beir.interop.quantize.Rounding` it made."""
    values = quantization.apply(M.data)
    keep = values > 0
    rows = np.repeat(np.arange(M.shape[0]), np.diff(M.indptr))
    indptr = np.concatenate([[0], np.cumsum(np.bincount(rows[keep], minlength=M.shape[0]))])
    out = sp.csr_matrix((values[keep], M.indices[keep], indptr), shape=M.shape)
    return out, rounding(M.data, values, quantization)


def write_corpus(folder: Path, dataset: Dataset, D: sp.csr_matrix, vocabulary: list[str], integer: bool,
                 contents: bool, gzip: bool, docs_per_file: int) -> dict:
    """Write the documents in parts of ``docs_per_file`` (a previous export's extra parts removed)."""
    tokens = json_tokens(vocabulary)
    parts = []
    for part, start in enumerate(range(0, max(D.shape[0], 1), docs_per_file)):
        stop = min(start + docs_per_file, D.shape[0])
        name = f"{CORPUS}/{corpus_name(part, gzip)}"
        rows = D[start:stop]
        with open_output(folder / name) as f:
            write_jsonl(f, dataset.doc_ids[start:stop], rows, formatted(rows.data, integer), tokens,
                        dataset.texts(start, stop) if contents else None)
        parts.append(name)
    for stale in sorted((folder / CORPUS).glob("part-*")):
        if f"{CORPUS}/{stale.name}" not in parts:
            stale.unlink()
    return {"corpus": parts}


def write_queries(folder: Path, files: dict, D: sp.csr_matrix, Q: sp.csr_matrix, vocabulary: list[str],
                  integer: bool, gzip: bool, query_ids: list[str],
                  query_texts: list[str] | None) -> tuple[dict, list[str]]:
    """Write queries.jsonl, and queries.tsv where it can say the same; returns the files and warnings."""
    suffix = ".gz" if gzip else ""
    with open_output(folder / (QUERIES_JSONL + suffix)) as f:
        write_jsonl(f, query_ids, Q, formatted(Q.data, integer), json_tokens(vocabulary), query_texts)
    files = {**files, "queries_jsonl": QUERIES_JSONL + suffix, "queries_tsv": None}
    warnings = []
    used = np.unique(np.concatenate([D.indices, Q.indices])).tolist()
    spaced = sorted(vocabulary[c] for c in used if any(ch.isspace() for ch in vocabulary[c]))
    if spaced:
        warnings.append(f"{len(spaced)} tokens contain whitespace (such as {spaced[0]!r}): Anserini splits them")
    if not integer:
        warnings.append("float weights: no queries.tsv (it repeats tokens a whole number of times); Anserini "
                        "truncates float weights to integers")
    elif spaced or any(ch in q for q in query_ids for ch in "\t\r\n"):
        warnings.append("no queries.tsv: a token has whitespace or a query id has a tab or line break")
    else:
        files["queries_tsv"] = QUERIES_TSV + suffix
        with open_output(folder / files["queries_tsv"]) as f:
            write_tsv(f, query_ids, Q, Q.data, vocabulary)
    return files, warnings


def files_of(files: dict) -> list[str]:
    return [*files["corpus"], files["queries_jsonl"], *([files["queries_tsv"]] if files["queries_tsv"] else [])]
