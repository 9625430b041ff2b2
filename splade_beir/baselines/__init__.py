"""Baseline retrievers that sit next to SPLADE in every table: BM25 (``bm25s``) and dense
bi-encoders (``sentence-transformers``). Each lives behind an optional extra and is imported
only when asked for, so the core install needs neither.

>>> infer_kind("bm25"), infer_kind("all-MiniLM-L6-v2"), infer_kind("naver/splade-v3")
('bm25', 'dense', 'splade')
>>> default_model("bm25")
'bm25'
"""

from __future__ import annotations

# Model names that choose their kind by themselves (``--model bm25`` needs no ``--kind bm25``).
KIND_OF_NAME = {"bm25": "bm25", "all-MiniLM-L6-v2": "dense"}
# The model a kind runs when none is named (``--kind dense`` alone runs the embedded MiniLM).
DEFAULT_MODEL = {"splade": "splade-tiny", "bm25": "bm25", "dense": "all-MiniLM-L6-v2"}


def infer_kind(model: str | None, kind: str | None = None) -> str:
    """The model kind: ``kind`` when given, else the kind a short name implies, else ``splade``."""
    return kind or KIND_OF_NAME.get(model or "", "splade")


def default_model(kind: str | None) -> str:
    """The model run for ``kind`` when no model is named."""
    return DEFAULT_MODEL.get(kind or "splade", DEFAULT_MODEL["splade"])
