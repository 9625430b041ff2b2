"""The result record of one model on one dataset: metrics, per-query scores, costs, provenance.

Stored as JSON beside its TREC run file (see :class:`~splade_beir.evaluation.store.ResultStore`).
:meth:`Result.from_json` checks the schema version; results of schema 1 (metric names ``ndcg@10``,
``recall@1000``... and a side ``relevance_level``) are read by renaming their measures.

>>> r = Result("m", "demo", "splade", metrics={"nDCG@10": 0.5}, per_query={"q1": {"nDCG@10": 0.5}})
>>> Result.from_json(r.to_json()).metrics
{'nDCG@10': 0.5}
>>> Result.mean("m", "cqa", [r, Result("m", "demo2", "splade", metrics={"nDCG@10": 0.7})]).metrics
{'nDCG@10': 0.6}
"""

from __future__ import annotations

import json
import platform
from dataclasses import asdict, dataclass, field, fields
from importlib import metadata
from typing import Any

from ..errors import UserError
from .measures import Measure

SCHEMA = 2
PACKAGES = ("splade-beir", "torch", "transformers", "scipy", "numpy", "pytrec-eval-terrier", "beir",
            "bm25s", "sentence-transformers")
COST_FIELDS = ("flops", "nnz_query", "nnz_doc")


def versions() -> dict[str, str]:
    """Python's and the relevant packages' versions, for the record."""
    out = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return out


@dataclass
class Result:
    """One model (``model``: its results folder name) on one dataset (``dataset``: its key)."""

    model: str
    dataset: str
    kind: str
    metrics: dict[str, float] = field(default_factory=dict)      # measure name -> mean over judged queries
    split: str | None = None
    flops: float | None = None
    nnz_query: float | None = None
    nnz_doc: float | None = None
    n_queries: int = 0
    n_docs: int = 0
    n_judgements: int | None = None
    top_k: int | None = None
    timings: dict[str, float] = field(default_factory=dict)
    config: dict[str, Any] = field(default_factory=dict)          # every model and retrieval setting
    fingerprint: str | None = None                                # digest of the model and options that ran
    data: str | None = None                                       # the dataset as it was named
    versions: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    run_file: str | None = None
    run_sha256: str | None = None                                 # the run file that belongs to this result
    vectors: dict[str, str] = field(default_factory=dict)         # corpus cache entries of the vectors
    parts: list[str] | None = None                                # a mean over parts (cqadupstack's forums)
    per_query: dict[str, dict[str, float]] = field(default_factory=dict)
    schema: int = SCHEMA

    def value(self, measure: Measure | str) -> float | None:
        """The mean of ``measure`` (exactly that measure, relevance level included), or None."""
        return self.metrics.get(str(measure))

    def find(self, measure: Measure) -> tuple[Measure, float] | None:
        """``measure`` at whatever relevance level this result has it (``R(rel=2)@1000`` for ``R@1000``)."""
        for name, v in self.metrics.items():
            try:
                m = Measure.parse(name)
            except ValueError:
                continue
            if (m.name, m.cutoff) == (measure.name, measure.cutoff):
                return m, v
        return None

    def to_json(self) -> str:
        data = {"schema": self.schema, **{k: v for k, v in asdict(self).items() if k != "schema"}}
        return json.dumps(data, indent=1) + "\n"

    @classmethod
    def from_json(cls, text: str, source: str = "result") -> "Result":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise UserError(f"{source}:{exc.lineno}: not valid JSON ({exc.msg})") from None
        if not isinstance(data, dict) or not {"model", "dataset", "metrics"} <= set(data):
            raise UserError(f"{source}: not a splade_beir result (needs model, dataset, metrics)")
        schema = data.get("schema")
        if schema == 1:
            data = _upgrade_v1(data)
        elif schema != SCHEMA:
            raise UserError(f"{source}: result schema {schema!r}, but this version reads {SCHEMA} (and 1); "
                            "re-evaluate it with --redo, or use the splade_beir version that wrote it")
        known = {f.name for f in fields(cls)}
        data.setdefault("kind", None)
        return cls(**{k: v for k, v in data.items() if k in known})

    @classmethod
    def mean(cls, model: str, dataset: str, parts: list["Result"]) -> "Result":
        """A dataset made of several (cqadupstack's 12 forums): the unweighted mean of each number."""
        def mean(values):
            values = list(values)
            return None if any(v is None for v in values) else sum(values) / len(values)

        first = parts[0]
        return cls(model=model, dataset=dataset, kind=first.kind, parts=[p.dataset for p in parts],
                   metrics={m: mean(p.metrics.get(m) for p in parts) for m in first.metrics},
                   **{k: mean(getattr(p, k) for p in parts) for k in COST_FIELDS},
                   n_queries=sum(p.n_queries for p in parts), n_docs=sum(p.n_docs for p in parts),
                   top_k=first.top_k, config=first.config, fingerprint=first.fingerprint, versions=first.versions)


_V1_NAMES = {"ndcg@10": "nDCG@10", "recall@100": "R@100", "recall@1000": "R@1000", "mrr@10": "RR@10"}


def _upgrade_v1(data: dict) -> dict:
    """A schema-1 result with its measures renamed (the relevance level moves into the names)."""
    level = int(data.pop("relevance_level", 1) or 1)

    def rename(scores: dict) -> dict:
        return {str(Measure.parse(_V1_NAMES[k]).at(level)) if k in _V1_NAMES else k: v for k, v in scores.items()}

    data = {**data, "schema": SCHEMA, "metrics": rename(data.get("metrics") or {}),
            "per_query": {q: rename(s) for q, s in (data.get("per_query") or {}).items()}}
    return data
