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
import hashlib
import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np
import scipy.sparse as sp
import torch
from tqdm.auto import tqdm

from .datasets import document_text
from .errors import UserError
from .models import resolve_checkpoint
from .pooling import POOLINGS, pool_packed, pool_reference

logger = logging.getLogger(__name__)

DTYPES = {"float32": torch.float32, "bfloat16": torch.bfloat16, "float16": torch.float16}


@dataclass
class _Side:
    """One tower (query or document): a model whose final vocabulary projection we run ourselves."""

    model: torch.nn.Module
    tokenizer: object
    weight: torch.Tensor  # (vocab, dim) in the compute dtype
    bias: torch.Tensor | None
    max_length: int


def load_side(checkpoint: str, max_length: int, device: torch.device, dtype: torch.dtype,
              trust_remote_code: bool = False) -> _Side:
    """Load a masked-LM checkpoint and detach its final projection (see ``pool_packed``)."""
    from transformers import AutoModelForMaskedLM, AutoTokenizer

    path = resolve_checkpoint(checkpoint)
    if checkpoint.startswith((".", "/", "~")) and not Path(path).expanduser().is_dir():
        raise UserError(f"model folder {checkpoint} does not exist")
    try:
        tokenizer = AutoTokenizer.from_pretrained(path, trust_remote_code=trust_remote_code)
        model, info = AutoModelForMaskedLM.from_pretrained(
            path, output_loading_info=True, trust_remote_code=trust_remote_code)
    except (OSError, ValueError, KeyError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise UserError(f"cannot load model {checkpoint!r} as a masked-LM checkpoint: {first}") from None
    head = model.get_output_embeddings()
    if head is None:
        raise UserError(f"model {checkpoint!r} has no masked-LM output layer")
    head_names = [n for n, m in model.named_modules() if m is head]
    missing = [k for k in info.get("missing_keys", []) if not k.startswith(tuple(
        n.rsplit(".", 1)[0] + ".bias" for n in head_names))]  # a separate bias is often re-tied
    if any(k.startswith(("cls.", "lm_head.", "vocab_", "predictions.")) for k in missing):
        raise UserError(f"model {checkpoint!r} has no trained masked-LM head (missing: {missing[0]})")
    vocab = head.weight.shape[0]
    if len(tokenizer) > vocab:
        raise UserError(f"model {checkpoint!r}: tokenizer has {len(tokenizer)} entries but the "
                        f"model's vocabulary has {vocab}")
    weight = head.weight.detach().to(device=device, dtype=dtype).contiguous()
    bias = None if getattr(head, "bias", None) is None else head.bias.detach().to(device).float()
    parent_name, _, attr = head_names[0].rpartition(".")
    setattr(model.get_submodule(parent_name) if parent_name else model, attr, torch.nn.Identity())
    model.to(device).eval()
    return _Side(model, tokenizer, weight, bias, max_length)


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
        self.doc = load_side(model, doc_max_length, self.device, self.dtype, trust_remote_code)
        self.query = (dataclasses.replace(self.doc, max_length=query_max_length) if query_model is None else
                      load_side(query_model, query_max_length, self.device, self.dtype, trust_remote_code))
        if self.query.weight.shape[0] != self.doc.weight.shape[0]:
            raise UserError("query and document models have different vocabulary sizes")
        self.config = {"model": model, "query_model": query_model, "pooling": pooling,
                       "query_max_length": query_max_length, "doc_max_length": doc_max_length,
                       "dtype": dtype, "device": self.device.type}

    @property
    def vocab_size(self) -> int:
        return int(self.doc.weight.shape[0])

    def encode_queries(self, queries: Sequence[str], batch_size: int = 32, **kwargs) -> sp.csr_matrix:
        """Encode query strings; one CSR row per query."""
        return self.encode_texts(list(queries), self.query, batch_size, desc="queries")

    def encode_corpus(self, corpus: Sequence[dict] | dict[str, list] | Sequence[str], batch_size: int = 32,
                      **kwargs) -> sp.csr_matrix:
        """Encode documents (BEIR dicts with ``title``/``text``, or strings); one CSR row each."""
        if isinstance(corpus, dict):  # BEIR's columnar form {"title": [...], "text": [...]}
            titles = corpus.get("title") or [""] * len(corpus["text"])
            texts = [document_text({"title": t, "text": x}) for t, x in zip(titles, corpus["text"])]
        else:
            texts = [d.strip() if isinstance(d, str) else document_text(d) for d in corpus]
        return self.encode_texts(texts, self.doc, batch_size, desc="documents")

    def encode_texts(self, texts: list[str], side: _Side, batch_size: int = 32, desc: str = "texts",
                     reference: bool = False, progress: bool | None = None) -> sp.csr_matrix:
        """Encode in batches of similar length; rows come back in the input order. A text that is empty
        or only whitespace is the zero vector (it is not sent to the model).

        ``reference=True`` pools with the straightforward dense computation (for checks); ``progress``
        overrides the encoder's ``show_progress`` (a caller with its own bar turns this one off)."""
        lengths = np.array([len(t.strip()) for t in texts], dtype=np.int64)
        order = np.argsort(-lengths, kind="stable")
        n_real = int(np.count_nonzero(lengths))
        parts: list[sp.csr_matrix] = []
        units = {"queries": "query", "documents": "doc"}
        show = self.show_progress if progress is None else progress
        with tqdm(total=len(texts), desc=f"encoding {desc}", unit=units.get(desc, "text"),
                  disable=not show, leave=False) as bar:
            for start in range(0, n_real, batch_size):
                batch = [texts[i] for i in order[start:min(start + batch_size, n_real)]]
                parts.append(_to_csr(self._encode_batch(batch, side, reference)))
                bar.update(len(batch))
            bar.update(len(texts) - n_real)
        parts.append(sp.csr_matrix((len(texts) - n_real, self.vocab_size), dtype=np.float32))
        matrix = sp.vstack(parts, format="csr")
        inverse = np.empty_like(order)
        inverse[order] = np.arange(len(order))
        matrix = matrix[inverse]
        matrix.sort_indices()
        return matrix.astype(np.float32, copy=False)

    def fingerprint(self) -> dict:
        """Everything that decides a document vector, for the corpus cache key."""
        return {"weights": _digest_module(self.doc), "pooling": self.pooling,
                "doc_max_length": self.doc.max_length, "dtype": self.dtype_name, "vocab_size": self.vocab_size}

    @torch.inference_mode()
    def _encode_batch(self, batch: list[str], side: _Side, reference: bool = False) -> torch.Tensor:
        features = side.tokenizer(batch, padding=True, truncation=True, max_length=side.max_length,
                                  return_tensors="pt")
        features = {k: v.to(self.device) for k, v in features.items()}
        mask = features["attention_mask"]
        with self._autocast():
            hidden = side.model(**features).logits  # the head's input, see load_side
        if reference:
            logits = hidden.to(side.weight.dtype) @ side.weight.T
            if side.bias is not None:
                logits = logits + side.bias
            return pool_reference(logits, mask, self.pooling)
        lengths = mask.sum(dim=1).tolist()
        return pool_packed(hidden[mask.bool()], lengths, side.weight, side.bias, self.pooling)

    def _autocast(self):
        if self.dtype == torch.float32:
            return contextlib.nullcontext()
        return torch.autocast(self.device.type, dtype=self.dtype)


def _digest_module(side: _Side) -> str:
    """A digest of the document tower: every weight, the detached head, and the tokenizer's vocabulary."""
    h = hashlib.blake2b(digest_size=20)
    tensors = [*side.model.state_dict().items(), ("head.weight", side.weight), ("head.bias", side.bias)]
    for name, tensor in tensors:
        if tensor is None:
            continue
        h.update(name.encode())
        h.update(tensor.detach().float().cpu().contiguous().numpy().tobytes())
    tok = side.tokenizer
    h.update(json.dumps([type(tok).__name__, sorted(tok.get_vocab().items()), tok.all_special_tokens,
                         getattr(tok, "do_lower_case", None)]).encode())
    return h.hexdigest()


def _to_csr(dense: torch.Tensor) -> sp.csr_matrix:
    """A (batch, vocab) block of pooled vectors to CSR, keeping only non-zeros."""
    dense = dense.float().cpu()
    rows, cols = torch.nonzero(dense, as_tuple=True)
    values = dense[rows, cols].numpy()
    counts = np.bincount(rows.numpy(), minlength=dense.shape[0])
    indptr = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    return sp.csr_matrix((values, cols.numpy().astype(np.int32), indptr), shape=tuple(dense.shape))


