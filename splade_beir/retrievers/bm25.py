"""BM25 baseline through `bm25s <https://github.com/xhluca/bm25s>`_ (needs the ``[bm25]`` extra).

Defaults follow Anserini's BEIR "flat" baseline as closely as bm25s allows:

- scoring: bm25s ``method="lucene"``, k1=0.9, b=0.4, i.e. Lucene's (>= 8) BM25Similarity
  ``idf * tf / (tf + k1 * (1 - b + b * dl / avgdl))`` with ``idf = ln(1 + (N - df + 0.5) / (df + 0.5))``.
  Lucene 8 dropped the constant ``(k1 + 1)`` numerator factor of the textbook formula; bm25s and
  Anserini follow it, so scores are the textbook ones divided by ``k1 + 1`` (same ranking).
- text: ``title + " " + text`` (:func:`splade_beir.datasets.document_text`), one field.
- tokenization: lowercase, then bm25s's regex ``(?u)\\b\\w\\w+\\b``; Anserini uses Lucene's
  StandardTokenizer (Unicode word breaks), which also keeps one-character tokens and numbers such
  as ``3.5`` whole, and strips possessive ``'s`` (here ``s`` is dropped as a one-character token).
- stop words: bm25s's ``"en"`` list, the same 33 words as Lucene's English stop set.
- stemming: PyStemmer's ``"porter"`` (Snowball's implementation of the original Porter algorithm),
  the algorithm of Anserini's default Porter stemmer; ``stemmer="english"`` gives Porter2.
- document length: exact token counts, whereas Lucene stores them lossily in one byte, so long
  documents get slightly different length normalisation; tiny score differences can follow.

A query's score for a document is the sum over its tokens (repeats count again, like Anserini's
bag-of-words query); only documents sharing at least one token are returned.

>>> import pytest; _ = pytest.importorskip("bm25s")   # this example skips without the [bm25] extra
>>> from splade_beir.data.loader import load_dataset
>>> retrieval = BM25Retriever(show_progress=False).retrieve(load_dataset("demo"), top_k=10)
>>> all(len(hits) <= 10 for hits in retrieval.run.values()), retrieval.stats["flops"]
(True, None)
"""

from __future__ import annotations

import logging

import numpy as np

from ..data.loader import Dataset
from ..errors import UserError
from ..lazy import optional_import
from ..progress import progress_bar
from ..search.topk import topk_row
from .base import Retriever

METHODS = ("lucene", "robertson", "atire", "bm25l", "bm25+")
STOPWORDS = ("en", None)
MISSING_EXTRA = "BM25 needs the [bm25] extra: pip install 'splade-beir[bm25]'"


def _import_bm25s():
    bm25s = optional_import("bm25s", "bm25", "BM25")
    logging.getLogger("bm25s").setLevel(logging.WARNING)  # bm25s sets DEBUG on import: per-index chatter
    return bm25s


def _make_stemmer(name: str | None):
    if name is None:
        return None
    Stemmer = optional_import("Stemmer", "bm25", "BM25 stemming (PyStemmer)")
    if name not in Stemmer.algorithms():
        raise UserError(f"BM25 stemmer {name!r} unknown; PyStemmer has: {', '.join(Stemmer.algorithms())}"
                        " (or none)")
    return Stemmer.Stemmer(name)


class BM25Retriever(Retriever):
    """Exact BM25 over a dataset's corpus, indexed in memory by bm25s for each dataset.

    Args:
        k1, b: BM25 parameters (default 0.9 and 0.4, Anserini's BEIR baseline).
        method: the bm25s variant (default ``"lucene"``); see Kamphuis et al., ECIR 2020.
        stemmer: a PyStemmer algorithm (default ``"porter"``), or ``None`` / ``"none"`` for no stemming.
        stopwords: ``"en"`` (Lucene's English stop words, default), or ``None`` / ``"none"`` for none.
            Through :func:`~splade_beir.retrievers.registry.make_retriever` (and the CLI and configs),
            an option set to ``None`` keeps its default: write ``"none"`` there.
    """

    kind = "bm25"

    def __init__(self, k1: float = 0.9, b: float = 0.4, method: str = "lucene", stemmer: str | None = "porter",
                 stopwords: str | None = "en", show_progress: bool = True):
        self.bm25s = _import_bm25s()
        if not (isinstance(k1, (int, float)) and k1 >= 0):
            raise UserError(f"BM25 k1 must be a number >= 0, got {k1!r}")
        if not (isinstance(b, (int, float)) and 0 <= b <= 1):
            raise UserError(f"BM25 b must be a number in [0, 1], got {b!r}")
        if method not in METHODS:
            raise UserError(f"BM25 method must be one of {', '.join(METHODS)}; got {method!r}")
        # "none" turns either off: make_retriever drops options set to None (they keep their defaults)
        stopwords = None if stopwords in (None, "none", "") else stopwords
        if stopwords not in STOPWORDS:
            raise UserError(f"BM25 stopwords must be 'en' or none, got {stopwords!r}")
        stemmer = None if stemmer in (None, "none", "") else stemmer
        self.stemmer = _make_stemmer(stemmer)
        self.k1, self.b, self.method, self.stopwords = float(k1), float(b), method, stopwords
        self.show_progress = show_progress
        self.config = {"kind": self.kind, "model": "bm25", "library": "bm25s", "method": method,
                       "k1": self.k1, "b": self.b, "stemmer": stemmer, "stopwords": stopwords,
                       "lowercase": True, "token_pattern": r"(?u)\b\w\w+\b", "text": "title + ' ' + text"}

    def tokenize(self, texts: list[str], return_ids: bool = False):
        """Tokens as bm25s produces them with this retriever's stop words and stemmer."""
        return self.bm25s.tokenize(texts, lower=True, stopwords=self.stopwords or [], stemmer=self.stemmer,
                                   return_ids=return_ids, show_progress=False)

    def index(self, texts: list[str]):
        """A bm25s index of ``texts`` (row ``i`` of the index is ``texts[i]``)."""
        tokenized = self.tokenize(texts, return_ids=True)
        if not tokenized.vocab:  # every text empty or stop words only: bm25s cannot index it, no score > 0
            return EmptyIndex(len(texts))
        index = self.bm25s.BM25(k1=self.k1, b=self.b, method=self.method)
        index.index(tokenized, show_progress=False)
        return index

    def scores(self, index, query_tokens: list[str]) -> np.ndarray:
        """bm25s's score of every indexed document for one tokenized query (zeros when no token
        is in the index)."""
        tokens = [t for t in query_tokens if t in index.vocab_dict]
        if not tokens:
            return np.zeros(index.scores["num_docs"], dtype=np.float32)
        return index.get_scores(tokens)

    def index_corpus(self, dataset: Dataset):
        return self.index(dataset.texts())

    def encode_queries(self, texts: list[str]) -> list[list[str]]:
        return self.tokenize(texts)

    def topk(self, queries: list[list[str]], index, k: int) -> tuple[np.ndarray, np.ndarray]:
        indices = np.full((len(queries), k), -1, dtype=np.int64)
        scores = np.zeros((len(queries), k), dtype=np.float32)
        with progress_bar(len(queries), "BM25 search", "query", self.show_progress) as bar:
            for row, tokens in enumerate(queries):
                doc_scores = self.scores(index, tokens)
                hits = topk_row(doc_scores, k)
                indices[row, :hits.size], scores[row, :hits.size] = hits, doc_scores[hits]
                bar.update(1)
        return indices, scores


class EmptyIndex:
    """The index of texts without a single token: it knows no term, so every query scores 0 everywhere."""

    def __init__(self, n_docs: int):
        self.vocab_dict: dict[str, int] = {}
        self.scores = {"num_docs": n_docs}


def build(model: str = "bm25", show_progress: bool = True, threads: int | None = None, **options) -> BM25Retriever:
    if model != "bm25":
        raise UserError(f"a bm25 model has no checkpoint: use --model bm25, not {model!r}")
    return BM25Retriever(show_progress=show_progress, **options)
