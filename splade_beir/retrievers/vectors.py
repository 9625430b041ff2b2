"""Pre-encoded sparse vectors, evaluated with the exact search: no model, no GPU.

``--kind vectors --model FOLDER`` reads, for each dataset, the JsonVectorCollection corpus and the query
file of :mod:`splade_beir.interop.layout` (an export of this toolkit; pyserini's pre-encoded corpora and
topics through the ``corpus`` / ``queries`` options, paths or glob patterns with ``{dataset}``). Rows
are matched to the dataset by id: a document or judged query absent from the files gets an empty vector
(and the result a warning); ids the dataset lacks are ignored. Scores are exact dot products of the
weights as written: float weights in float32 as the original search (an export in ``float`` mode gives
back its run byte for byte); integer impacts in float32 while every score stays below 2**24, where they
are exact, else in float64 (the run file keeps float32 scores, as the exact search returns them). FLOPS and
non-zeros are computed from the vectors read.

>>> import tempfile
>>> from splade_beir.data.loader import load_dataset
>>> from splade_beir.encode.cache import CorpusCache
>>> from splade_beir.evaluation.api import evaluate
>>> from splade_beir.interop.exporter import export_result
>>> out, cache = tempfile.mkdtemp(), tempfile.mkdtemp()
>>> result = evaluate("splade-tiny", ["demo"], output=out, cache_dir=cache, show_progress=False)["demo"]
>>> _ = export_result(result, out + "/vectors", cache=CorpusCache(cache))
>>> retrieval = build(out + "/vectors", show_progress=False).retrieve(load_dataset("demo"), top_k=10)
>>> abs(retrieval.stats["flops"] - result.flops) < 0.05
True
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from ..data.loader import Dataset
from ..errors import UserError
from ..evaluation.cost import costs
from ..interop.jsonvector import SparseVectors, Vocabulary, read_vectors
from ..interop.layout import dataset_folder, find_corpus, find_queries, is_pattern, read_manifest
from ..interop.quantize import FLOAT32_EXACT, score_bound
from ..search.topk import ExactSearch
from .base import Retriever

logger = logging.getLogger("splade_beir")


class VectorsRetriever(Retriever):
    """Read a dataset's pre-encoded vectors and search them exactly.

    Args:
        model: a folder (``<model>/<dataset>/`` or the files themselves) or a pattern with ``{dataset}``;
            with both ``corpus`` and ``queries`` given it is only the model's name.
        corpus, queries: paths, folders or glob patterns (``{dataset}`` filled in) of the vector files.
    """

    kind = "vectors"

    def __init__(self, model: str, corpus: str | None = None, queries: str | None = None,
                 threads: int | None = None, show_progress: bool = True):
        if not (corpus and queries) and not is_pattern(model) and not Path(model).is_dir():
            raise UserError(f"vectors {model!r}: no such folder; --kind vectors takes --model FOLDER (an export, "
                            "or a pattern with {dataset}), or the corpus and queries options")
        self.model, self.corpus, self.queries = model, corpus, queries
        self.searcher = ExactSearch(threads, show_progress)
        self.base = {"kind": self.kind, "model": model, "corpus": corpus, "queries": queries}
        self.config = dict(self.base)
        self.query_matrix: sp.csr_matrix | None = None

    def index_corpus(self, dataset: Dataset) -> sp.csr_matrix:
        folder = dataset_folder(self.model, dataset.name)
        doc_files = find_corpus(folder, dataset.name, self.corpus)
        query_files = find_queries(folder, dataset.name, self.queries)
        vocabulary = Vocabulary()
        docs, queries = read_vectors(doc_files, vocabulary), read_vectors(query_files, vocabulary)
        n = len(vocabulary)
        D = aligned(docs, dataset.doc_ids, n, "documents", dataset)
        Q = aligned(queries, list(dataset.queries), n, "judged queries", dataset)
        integer = docs.integer and queries.integer
        bound = score_bound(D, Q) if integer else None
        if integer and bound > FLOAT32_EXACT:  # integer sums beyond 2**24 are not exact in float32
            Q = Q.astype(np.float64)
            note(dataset, f"{query_files[0]}: scores reach {bound:,.0f}, beyond 2**24: they are summed in float64, "
                          "but the run file keeps float32 scores (neighbours may print equal)")
        self.query_matrix = Q
        manifest = read_manifest(folder) or {}
        self.config = {**self.base, "corpus_files": [str(p) for p in doc_files],
                       "query_files": [str(p) for p in query_files],
                       "weights": "integer" if integer else "float", "score_dtype": str(Q.dtype),
                       "max_score_bound": bound,
                       "source": ({k: manifest.get(k) for k in ("model", "quantization", "vectors")}
                                  if manifest else None)}
        return D

    def encode_queries(self, texts: list[str]) -> sp.csr_matrix:
        """The query vectors read with the corpus (rows in the dataset's query order)."""
        if self.query_matrix is None or self.query_matrix.shape[0] != len(texts):
            raise RuntimeError("encode_queries() follows index_corpus() of the same dataset")
        return self.query_matrix

    def topk(self, queries: sp.csr_matrix, corpus: sp.csr_matrix, k: int):
        return self.searcher.topk(queries, corpus, k)

    def stats(self, queries: sp.csr_matrix, corpus: sp.csr_matrix) -> dict:
        return costs(queries, corpus)


def aligned(vectors: SparseVectors, ids: list[str], n_columns: int, what: str, dataset: Dataset) -> sp.csr_matrix:
    """The rows of ``vectors`` in the order of ``ids`` (an absent id: an empty row, and a warning);
    each row keeps its entries' order (the order their weights are summed in)."""
    M = vectors.widened(n_columns)
    if vectors.ids == ids:
        return M
    position = {_id: i for i, _id in enumerate(vectors.ids)}
    rows = np.array([position.get(_id, -1) for _id in ids], dtype=np.int64)
    missing = int(np.count_nonzero(rows < 0))
    files = ", ".join(vectors.files[:2]) + (" ..." if len(vectors.files) > 2 else "")
    if ids and missing == len(ids):
        raise UserError(f"{files}: none of the {len(ids)} {what} of {dataset.name} is there (such as "
                        f"{ids[0]!r}); are these the vectors of another dataset?")
    if missing:
        note(dataset, f"{files}: {missing} of the {len(ids)} {what} of {dataset.name} have no vector "
                      "(searched as empty)")
    extra = len(vectors.ids) - (len(ids) - missing)
    if extra:
        logger.info("%s: %d rows are not %s of %s (ignored)", files, extra, what, dataset.name)
    padded = sp.vstack([M, sp.csr_matrix((1, n_columns), dtype=M.dtype)], format="csr")
    rows[rows < 0] = M.shape[0]
    return padded[rows]


def note(dataset: Dataset, message: str) -> None:
    """A warning logged and kept in the dataset's warnings (which its result records)."""
    logger.warning("warning: %s", message)
    dataset.warnings.append(message)


def build(model: str, show_progress: bool = True, threads: int | None = None, corpus: str | None = None,
          queries: str | None = None) -> VectorsRetriever:
    return VectorsRetriever(model, corpus=corpus, queries=queries, threads=threads, show_progress=show_progress)
