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

from ..data.loader import document_text
from ..errors import UserError
from ..progress import progress_bar
from .checkpoint import Tower, load_tower, tower_digest
from .csr import to_csr
from .pooling import POOLINGS, pool_packed, pool_reference

logger = logging.getLogger(__name__)

DTYPES = {"float32": torch.float32, "bfloat16": torch.bfloat16, "float16": torch.float16}


class SpladeEncoder:
    """Encode queries and documents into sparse vocabulary-sized vectors (BEIR model interface).

    Args:
        model: a local folder, a hub id, or an embedded short name such as ``splade-tiny``.
        query_model: an optional separate checkpoint for queries (same vocabulary).
        pooling: ``"max"`` (SPLADE-max, SPLADE++) or ``"sum"`` (SPLADE v1).
        query_max_length / doc_max_length: truncation lengths in tokens.
        device: ``"cuda"``, ``"cpu"``...; default: cuda when present.
        dtype: ``"float32"``, ``"bfloat16"`` or ``"float16"``; default float32 on CPU, bfloat16 on GPU.
    """

    def __init__(self, model: str, query_model: str | None = None, pooling: str = "max",
                 query_max_length: int = 256, doc_max_length: int = 256, device: str | None = None,
                 dtype: str | None = None, show_progress: bool = True, trust_remote_code: bool = False):
        if pooling not in POOLINGS:
            raise UserError(f"pooling must be one of {POOLINGS}, got {pooling!r}")
        self.device = torch.device(device or ("cuda" if torch.cuda.is_available() else "cpu"))
        dtype = dtype or ("bfloat16" if self.device.type == "cuda" else "float32")
        if dtype not in DTYPES:
            raise UserError(f"dtype must be one of {tuple(DTYPES)}, got {dtype!r}")
        self.dtype_name, self.dtype = dtype, DTYPES[dtype]
        self.pooling = pooling
        self.show_progress = show_progress
        self.doc = load_tower(model, doc_max_length, self.device, self.dtype, trust_remote_code)
        self.query = (dataclasses.replace(self.doc, max_length=query_max_length) if query_model is None else
                      load_tower(query_model, query_max_length, self.device, self.dtype, trust_remote_code))
        if self.query.weight.shape[0] != self.doc.weight.shape[0]:
            raise UserError("query and document models have different vocabulary sizes")
        self._digests: dict[int, str] = {}
        self.config = {"model": model, "query_model": query_model, "pooling": pooling,
                       "query_max_length": query_max_length, "doc_max_length": doc_max_length,
                       "dtype": dtype, "device": self.device.type}

    @property
    def vocab_size(self) -> int:
        return int(self.doc.weight.shape[0])

    def encode_queries(self, queries: Sequence[str], batch_size: int = 32, **kwargs) -> sp.csr_matrix:
        """Encode query strings; one CSR row per query."""
        return self._encode_with_bar(list(queries), self.query, batch_size, "encoding queries", "query")

    def encode_corpus(self, corpus: Sequence[dict] | dict[str, list] | Sequence[str], batch_size: int = 32,
                      **kwargs) -> sp.csr_matrix:
        """Encode documents (BEIR dicts with ``title``/``text``, or strings); one CSR row each."""
        if isinstance(corpus, dict):  # BEIR's columnar form {"title": [...], "text": [...]}
            titles = corpus.get("title") or [""] * len(corpus["text"])
            texts = [document_text({"title": t, "text": x}) for t, x in zip(titles, corpus["text"])]
        else:
            texts = [d.strip() if isinstance(d, str) else document_text(d) for d in corpus]
        return self._encode_with_bar(texts, self.doc, batch_size, "encoding documents", "doc")

    def _encode_with_bar(self, texts: list[str], tower: Tower, batch_size: int, desc: str, unit: str,
                         show: bool | None = None) -> sp.csr_matrix:
        show = self.show_progress if show is None else show
        with progress_bar(len(texts), desc, unit, enabled=show) as bar:
            return self.encode_texts(texts, tower, batch_size, progress=bar.update)

    def encode_texts(self, texts: list[str], tower: Tower, batch_size: int = 32, reference: bool = False,
                     progress: Callable[[int], None] | None = None) -> sp.csr_matrix:
        """Encode in batches of similar length; rows come back in the input order. A text that is empty
        or only whitespace is the zero vector (it is not sent to the model).

        ``reference=True`` pools with the straightforward dense computation (for checks); ``progress``
        is told the number of texts of each batch as it is done."""
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
        """The token string of every vocabulary entry, by id (``[unused <id>]`` where the tokenizer has none)."""
        names = {i: t for t, i in self.doc.tokenizer.get_vocab().items()}
        return [names.get(i, f"[unused {i}]") for i in range(self.vocab_size)]

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
        return pool_packed(hidden[mask.bool()], lengths, tower.weight, tower.bias, self.pooling)

    def _autocast(self):
        if self.dtype == torch.float32:
            return contextlib.nullcontext()
        return torch.autocast(self.device.type, dtype=self.dtype)
