"""SPLADE encoder: texts -> scipy CSR matrices, with BEIR's model interface.

>>> from splade_beir import SpladeEncoder
>>> enc = SpladeEncoder("splade-tiny", show_progress=False)   # needs the [demo] extra
>>> Q = enc.encode_queries(["what is a sparse retriever"], batch_size=8)
>>> Q.shape[1] == enc.vocab_size and Q.dtype.name == "float32"
True
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
from typing import Callable, Sequence

import numpy as np
import scipy.sparse as sp
import torch

from ..data.records import document_text
from ..errors import UserError, check_positive_int
from ..progress import progress_bar
from ..threads import resolve_threads
from .checkpoint import Tower, load_tower, tower_digest
from .csr import to_csr
from .device import resolve_device
from .pooling import HEADS, POOLINGS, head_for, pool_head, pool_reference

logger = logging.getLogger(__name__)

DTYPES = {"float32": torch.float32, "bfloat16": torch.bfloat16, "float16": torch.float16}
DEFAULT_MAX_LENGTH = 256


class SpladeEncoder:
    """Encode queries and documents into sparse vocabulary-sized vectors (BEIR model interface).

    Args:
        model: a local folder, a hub id, or an embedded short name such as ``splade-tiny``.
        query_model: an optional separate checkpoint for queries (same vocabulary).
        pooling: ``"max"`` (SPLADE-max, SPLADE++) or ``"sum"`` (SPLADE v1).
        query_max_length / doc_max_length: truncation lengths in tokens, from 1 to the model's position
            limit; default 256, or the limit when it is smaller. ``config`` records the lengths used.
        device: ``"cuda"``, ``"cpu"``...; default: cuda when present.
        dtype: ``"float32"``, ``"bfloat16"`` or ``"float16"``; default float32 on CPU, bfloat16 on GPU.
        threads: torch threads on a CPU device (and the searchers' default; see :mod:`splade_beir.threads`):
            default ``OMP_NUM_THREADS`` when set, else the cores that others leave free. torch's thread
            count is process-wide: it is set when this encoder encodes.
        head: ``"tiled"`` or ``"segment"``: how the vocabulary projection runs (the same vectors to float
            rounding); default by device (:func:`~splade_beir.encode.pooling.head_for`).

    beir calls it in three ways, all supported:

    - ``encode_queries`` / ``encode_corpus`` return a scipy CSR matrix by default (our
      :class:`~splade_beir.search.beir.ExactSparseSearch`, and beir's ``SparseSearch`` for the corpus);
    - with ``convert_to_tensor=True`` (beir's ``DenseRetrievalExactSearch`` passes it) a dense float32
      ``torch.Tensor`` on the encoder's device, ``False`` a dense numpy array: rows x vocabulary x 4 bytes,
      so DRES's default ``corpus_chunk_size=50000`` asks for 50,000 x 30,522 x 4 = 6.1 GB per corpus chunk
      (plus the queries, n_queries x 30,522 x 4, and a float32 score matrix of queries x chunk);
    - ``encode_query(text)`` (beir's ``SparseSearch``, one query at a time) returns a dense 1-D numpy vector.

    ``show_progress_bar`` (beir's keyword) overrides ``show_progress`` for one call.
    """

    def __init__(self, model: str, query_model: str | None = None, pooling: str = "max",
                 query_max_length: int | None = None, doc_max_length: int | None = None, device: str | None = None,
                 dtype: str | None = None, show_progress: bool = True, trust_remote_code: bool = False,
                 threads: int | None = None, head: str | None = None):
        if pooling not in POOLINGS:
            raise UserError(f"pooling must be one of {POOLINGS}, got {pooling!r}")
        for name, value in (("query_max_length", query_max_length), ("doc_max_length", doc_max_length)):
            if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
                raise UserError(f"{name} must be a positive number of tokens, got {value!r}")
        if head is not None and head not in HEADS:
            raise UserError(f"head must be one of {HEADS}, got {head!r}")
        self.threads = resolve_threads(threads)
        self._set_threads = threads is not None
        self.device = resolve_device(device)
        dtype = dtype or ("bfloat16" if self.device.type == "cuda" else "float32")
        if dtype not in DTYPES:
            raise UserError(f"dtype must be one of {tuple(DTYPES)}, got {dtype!r}")
        self.dtype_name, self.dtype = dtype, DTYPES[dtype]
        self.pooling = pooling
        self.head = head or head_for(self.device)
        self.show_progress = show_progress
        self.doc = load_tower(model, doc_max_length or DEFAULT_MAX_LENGTH, self.device, self.dtype, trust_remote_code)
        self.doc.max_length = _checked_length("doc_max_length", doc_max_length, self.doc, model)
        if query_model is None:
            self.query = dataclasses.replace(self.doc)
        else:
            self.query = load_tower(query_model, query_max_length or DEFAULT_MAX_LENGTH, self.device, self.dtype,
                                    trust_remote_code)
        self.query.max_length = _checked_length("query_max_length", query_max_length, self.query,
                                                query_model or model)
        if self.query.weight.shape[0] != self.doc.weight.shape[0]:
            raise UserError("query and document models have different vocabulary sizes")
        self._digests: dict[int, str] = {}
        self.config = {"model": model, "query_model": query_model, "pooling": pooling,
                       "query_max_length": self.query.max_length, "doc_max_length": self.doc.max_length,
                       "dtype": dtype, "device": self.device.type}

    @property
    def vocab_size(self) -> int:
        return int(self.doc.weight.shape[0])

    def encode_queries(self, queries: Sequence[str], batch_size: int = 32, show_progress_bar: bool | None = None,
                       convert_to_tensor: bool | None = None, **kwargs):
        """Encode query strings; one row per query (CSR, or dense with ``convert_to_tensor``, see above)."""
        matrix = self._encode_with_bar(list(queries), self.query, batch_size, "encoding queries", "query",
                                       show_progress_bar)
        return _converted(matrix, convert_to_tensor, self.device)

    def encode_corpus(self, corpus: Sequence[dict] | dict[str, list] | Sequence[str], batch_size: int = 32,
                      show_progress_bar: bool | None = None, convert_to_tensor: bool | None = None, **kwargs):
        """Encode documents (BEIR dicts with ``title``/``text``, or strings); one row each (CSR, or dense
        with ``convert_to_tensor``, see above)."""
        if isinstance(corpus, dict):  # BEIR's columnar form {"title": [...], "text": [...]}
            titles = corpus.get("title") or [""] * len(corpus["text"])
            texts = [document_text({"title": t, "text": x}) for t, x in zip(titles, corpus["text"])]
        else:
            texts = [d.strip() if isinstance(d, str) else document_text(d) for d in corpus]
        matrix = self._encode_with_bar(texts, self.doc, batch_size, "encoding documents", "doc", show_progress_bar)
        return _converted(matrix, convert_to_tensor, self.device)

    def encode_query(self, query: str, **kwargs) -> np.ndarray:
        """One query as a dense float32 vector over the vocabulary (beir's ``SparseSearch`` calls this)."""
        return self.encode_texts([query], self.query, 1).toarray()[0]

    def _encode_with_bar(self, texts: list[str], tower: Tower, batch_size: int, desc: str, unit: str,
                         show: bool | None = None) -> sp.csr_matrix:
        check_positive_int(batch_size, "batch_size")
        show = self.show_progress if show is None else show
        with progress_bar(len(texts), desc, unit, enabled=show) as bar:
            return self.encode_texts(texts, tower, batch_size, progress=bar.update)

    def encode_texts(self, texts: list[str], tower: Tower, batch_size: int = 32, reference: bool = False,
                     progress: Callable[[int], None] | None = None) -> sp.csr_matrix:
        """Encode in batches of similar length; rows come back in the input order. A text that is empty
        or only whitespace is the zero vector (it is not sent to the model).

        ``reference=True`` pools with the straightforward dense computation (for checks); ``progress``
        is told the number of texts of each batch as it is done."""
        check_positive_int(batch_size, "batch_size")
        if self.device.type == "cpu" or self._set_threads:
            if torch.get_num_threads() != self.threads:
                torch.set_num_threads(self.threads)
        lengths = np.array([len(t.strip()) for t in texts], dtype=np.int64)
        order = np.argsort(-lengths, kind="stable")
        n_real = int(np.count_nonzero(lengths))
        parts: list[sp.csr_matrix] = []
        for start in range(0, n_real, batch_size):
            batch = [texts[i] for i in order[start:min(start + batch_size, n_real)]]
            parts.append(to_csr(self._encode_batch(batch, tower, reference)))
            if progress:
                progress(len(batch))
        if progress and len(texts) > n_real:
            progress(len(texts) - n_real)
        parts.append(sp.csr_matrix((len(texts) - n_real, self.vocab_size), dtype=np.float32))
        matrix = sp.vstack(parts, format="csr")
        inverse = np.empty_like(order)
        inverse[order] = np.arange(len(order))
        matrix = matrix[inverse]
        matrix.sort_indices()
        return matrix.astype(np.float32, copy=False)

    def fingerprint(self, tower: str = "doc") -> dict:
        """Everything that decides a document (``tower="doc"``) or query vector, for the cache key."""
        side = self.doc if tower == "doc" else self.query
        if id(side.model) not in self._digests:  # hashing every weight takes a moment: once per model
            self._digests[id(side.model)] = tower_digest(side)
        return {"weights": self._digests[id(side.model)], "pooling": self.pooling,
                f"{'doc' if tower == 'doc' else 'query'}_max_length": side.max_length, "dtype": self.dtype_name,
                "vocab_size": self.vocab_size}

    def vocabulary(self) -> list[str]:
        """The token string of every vocabulary entry, by id; ``[id<N>]`` where the tokenizer has none (no
        whitespace: engines read each token as one word)."""
        names = {i: t for t, i in self.doc.tokenizer.get_vocab().items()}
        return [names.get(i, f"[id{i}]") for i in range(self.vocab_size)]

    @torch.inference_mode()
    def _encode_batch(self, batch: list[str], tower: Tower, reference: bool = False) -> torch.Tensor:
        features = tower.tokenizer(batch, padding=True, truncation=True, max_length=tower.max_length,
                                  return_tensors="pt")
        features = {k: v.to(self.device) for k, v in features.items()}
        mask = features["attention_mask"]
        with self._autocast():
            hidden = tower.model(**features).logits  # the head's input, see load_tower
        if reference:
            logits = hidden.to(tower.weight.dtype) @ tower.weight.T
            if tower.bias is not None:
                logits = logits + tower.bias
            return pool_reference(logits, mask, self.pooling)
        lengths = mask.sum(dim=1).tolist()
        return pool_head(self.head)(hidden[mask.bool()], lengths, tower.weight, tower.bias, self.pooling)

    def _autocast(self):
        if self.dtype == torch.float32:
            return contextlib.nullcontext()
        return torch.autocast(self.device.type, dtype=self.dtype)


def _checked_length(name: str, asked: int | None, tower: Tower, model: str) -> int:
    """The truncation length a tower runs with: ``asked`` (checked against the model's position limit), or
    the default capped at that limit."""
    limit = tower.max_positions
    if asked is None:
        return min(DEFAULT_MAX_LENGTH, limit) if limit else DEFAULT_MAX_LENGTH
    if limit is not None and asked > limit:
        raise UserError(f"{name} {asked} is above what model {model!r} takes ({limit} tokens)")
    return asked


def _converted(matrix: sp.csr_matrix, convert_to_tensor: bool | None, device: torch.device):
    """CSR (``None``), a dense torch tensor on ``device`` (``True``) or a dense numpy array (``False``)."""
    if convert_to_tensor is None:
        return matrix
    dense = matrix.toarray()
    return torch.from_numpy(dense).to(device) if convert_to_tensor else dense
