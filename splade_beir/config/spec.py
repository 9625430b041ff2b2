"""What an eval config says: its models (rows), datasets, ensembles and baseline, once validated."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..data.names import dataset_key, relevance_level
from ..evaluation.store import RESERVED

TOP_KEYS = ("name", "description", "datasets", "output", "data_dir", "top_k", "models", "ensembles", "baseline",
            "references")
DATASET_KEYS = ("name", "relevance_level")
# Options handed to make_retriever(kind, checkpoint, **options); `options` adds kind-specific ones.
BUILD_KEYS = ("pooling", "query_max_length", "doc_max_length", "dtype", "query_model", "batch_size")
INFO_KEYS = ("description", "init", "lambda_q", "lambda_d", "notes")
MODEL_KEYS = ("label", "name", "kind", "checkpoint", "run", "options", "reference", *BUILD_KEYS, *INFO_KEYS)
ENSEMBLE_KEYS = ("name", "members", "weights")
POSITIVE_INT_KEYS = ("query_max_length", "doc_max_length", "batch_size")
RESERVED_NAMES = RESERVED  # folder names under <output> that hold no model's results


@dataclass(frozen=True)
class ModelSpec:
    """One row of the tables: where its results live and how to build it."""

    label: str
    name: str                                        # results folder under the config's output
    kind: str
    checkpoint: str                                  # for a baseline without one: its kind's default;
                                                     # for kind run: the run file template
    options: dict[str, Any] = field(default_factory=dict)  # passed to make_retriever
    info: dict[str, Any] = field(default_factory=dict)     # descriptive fields shown in the tables
    reference: str | None = None                     # "<source>/<row>" of published figures (splade_beir.references)


@dataclass(frozen=True)
class EnsembleSpec:
    name: str                 # results folder under <output>/ensembles
    members: tuple[str, ...]  # model labels
    weights: tuple[float, ...]


@dataclass
class EvalConfig:
    path: Path
    name: str
    datasets: list[str]
    output: Path
    data_dir: Path
    top_k: int
    models: list[ModelSpec]
    ensembles: list[EnsembleSpec]
    description: str | None = None
    relevance_levels: dict[str, int] = field(default_factory=dict)  # by dataset key, where the config sets one
    baseline: str | None = None  # a model label or an ensemble name
    references: list[Path] = field(default_factory=list)  # reference files the config adds to the shipped ones

    def model(self, label: str) -> ModelSpec:
        return next(m for m in self.models if m.label == label)

    def relevance_level(self, key: str) -> int:
        """The relevance level of a dataset key: the config's, else the dataset's convention."""
        return relevance_level(key, self.relevance_levels)

    def dataset_keys(self) -> list[str]:
        """The names results are stored under (a local folder is named by its last part)."""
        return [dataset_key(d) for d in self.datasets]
