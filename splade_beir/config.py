"""Evaluation configs (``eval_configs/*.yaml``): the models, datasets and ensembles of one results table.

A config names each model by a short label (``A``, ``B``...), the folder its results go to, how to
build it, and free descriptive fields that the tables show (``init``, ``lambda_q``...)::

    name: demo                      # optional; default: the file name without .yaml
    datasets: [demo]                # a list, or a string such as "all" or "nfcorpus,scifact"; an item may
                                    # be {name: FOLDER, relevance_level: 2} (TREC DL's trec_eval -l 2)
    output: results                 # optional (default results); relative to the working directory
    data_dir: datasets              # optional (default datasets)
    top_k: 1000                     # optional (default 1000)
    models:
      - label: A
        name: splade-tiny-max       # results folder: <output>/<name>/<dataset>.json
        kind: splade                # splade (default), bm25 or dense
        checkpoint: splade-tiny
        pooling: max                # optional build options, passed to make_retriever
        description: splade-tiny, max pooling
    ensembles:
      - members: [A, B]             # labels; name defaults to "A+B"; weights default to 1 each
    baseline: A                     # optional: the row the tables test every other row against

>>> import pathlib, tempfile
>>> path = pathlib.Path(tempfile.mkdtemp()) / "mini.yaml"
>>> _ = path.write_text("datasets: demo\\nmodels:\\n  - {label: A, checkpoint: splade-tiny}\\n")
>>> cfg = load_config(path)
>>> cfg.name, cfg.datasets, cfg.models[0].name, cfg.models[0].options
('mini', ['demo'], 'splade-tiny', {})
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .errors import UserError
from .models import default_name
from .results import result_paths, safe_join
from .retriever import KINDS

logger = logging.getLogger("splade_beir")

TOP_KEYS = ("name", "description", "datasets", "output", "data_dir", "top_k", "models", "ensembles", "baseline")
DATASET_KEYS = ("name", "relevance_level")
# Options handed to make_retriever(kind, checkpoint, **options); `options` adds kind-specific ones.
BUILD_KEYS = ("pooling", "query_max_length", "doc_max_length", "dtype", "query_model", "batch_size")
INFO_KEYS = ("description", "init", "lambda_q", "lambda_d", "notes")
MODEL_KEYS = ("label", "name", "kind", "checkpoint", "options", *BUILD_KEYS, *INFO_KEYS)
ENSEMBLE_KEYS = ("name", "members", "weights")
POSITIVE_INT_KEYS = ("query_max_length", "doc_max_length", "batch_size")
# Folder names under <output> that hold something other than a model's results.
RESERVED_NAMES = ("ensembles", "tables")


@dataclass(frozen=True)
class ModelSpec:
    """One row of the tables: where its results live and how to build it."""

    label: str
    name: str                                        # results folder under the config's output
    kind: str
    checkpoint: str                                  # for a baseline without one: its kind's default
    options: dict[str, Any] = field(default_factory=dict)  # passed to make_retriever
    info: dict[str, Any] = field(default_factory=dict)     # descriptive fields shown in the tables


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

    def model(self, label: str) -> ModelSpec:
        return next(m for m in self.models if m.label == label)

    def relevance_level(self, key: str) -> int:
        """The relevance level of a dataset key: the config's, else the dataset's convention."""
        from .datasets import relevance_level

        return relevance_level(key, self.relevance_levels)

    def dataset_keys(self) -> list[str]:
        """The names results are stored under (a local folder is named by its last part)."""
        from .datasets import dataset_key

        return [dataset_key(d) for d in self.datasets]


def load_config(path: str | Path, output: str | Path | None = None) -> EvalConfig:
    """Read and validate a config; every mistake is a :class:`UserError` naming the file, line and key.

    ``output`` overrides the config's ``output`` folder.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UserError(f"{path}: config file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UserError(f"{path}: cannot read config ({exc})") from None
    try:
        data = yaml.safe_load(text)
        lines = _key_lines(yaml.compose(text, Loader=yaml.SafeLoader))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark is not None else str(path)
        raise UserError(f"{where}: not valid YAML ({getattr(exc, 'problem', None) or exc})") from None
    return _Validator(path, lines).config(data, output)


def _key_lines(node, prefix: tuple = ()) -> dict[tuple, int]:
    """1-based line of every mapping key and list item, by its path (``("models", 2, "label")``)."""
    lines: dict[tuple, int] = {}
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            here = prefix + (key.value,)
            lines[here] = key.start_mark.line + 1
            lines.update(_key_lines(value, here))
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            lines[prefix + (i,)] = item.start_mark.line + 1
            lines.update(_key_lines(item, prefix + (i,)))
    return lines


class _Validator:
    def __init__(self, path: Path, lines: dict[tuple, int]):
        self.path, self.lines = path, lines

    def fail(self, where: tuple, message: str):
        line = next((self.lines[where[:n]] for n in range(len(where), 0, -1) if where[:n] in self.lines), None)
        loc = f"{self.path}:{line}" if line else str(self.path)
        key = "".join(f"[{p}]" if isinstance(p, int) else (f".{p}" if i else p) for i, p in enumerate(where))
        raise UserError(f"{loc}: {key}: {message}" if key else f"{loc}: {message}")

    def mapping(self, value, where: tuple, allowed: tuple[str, ...]) -> dict:
        if not isinstance(value, dict):
            self.fail(where, f"expected a mapping of keys ({', '.join(allowed)}), got {_kind(value)}")
        for key in value:
            if key not in allowed:
                self.fail(where + (key,), f"unknown key {key!r} (allowed: {', '.join(allowed)})")
        return value

    def string(self, value, where: tuple, allow_int: bool = False) -> str:
        if allow_int and isinstance(value, int) and not isinstance(value, bool):
            value = str(value)
        if not isinstance(value, str) or not value.strip():
            self.fail(where, f"expected a non-empty string, got {_kind(value)}")
        return value.strip()

    def positive_int(self, value, where: tuple) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
            self.fail(where, f"expected a positive integer, got {value!r}")
        return value

    def folder_name(self, value, where: tuple, root: Path) -> str:
        name = self.string(value, where)
        if any(c.isspace() for c in name):
            self.fail(where, f"{name!r} contains a space (names are folder names and run-file tags)")
        try:
            safe_join(root, name)
        except UserError:
            self.fail(where, f"{name!r} is not a plain folder name (it would write outside {root})")
        return name

    def config(self, data, output: str | Path | None) -> EvalConfig:
        if data is None:
            self.fail((), "the config is empty")
        data = self.mapping(data, (), TOP_KEYS)
        for key in ("datasets", "models"):
            if key not in data:
                self.fail((), f"missing key {key!r}")
        out = Path(output) if output is not None else Path(self.string(data.get("output", "results"), ("output",)))
        name = self.folder_name(data.get("name", self.path.stem), ("name",), out / "tables")
        models = self.models(data["models"], out)
        labels = {m.label for m in models}
        ensembles = self.ensembles(data.get("ensembles") or [], labels, out / "ensembles")
        datasets, levels = self.datasets(data["datasets"])
        baseline = None
        if data.get("baseline") is not None:
            baseline = self.string(data["baseline"], ("baseline",), allow_int=True)
            rows = [m.label for m in models] + [e.name for e in ensembles]
            if baseline not in rows:
                self.fail(("baseline",), f"{baseline!r} is neither a model label nor an ensemble name "
                                         f"(rows: {', '.join(rows)})")
        return EvalConfig(
            path=self.path, name=name, datasets=datasets, output=out,
            data_dir=Path(self.string(data.get("data_dir", "datasets"), ("data_dir",))),
            top_k=self.positive_int(data.get("top_k", 1000), ("top_k",)), models=models,
            ensembles=ensembles,
            description=None if data.get("description") is None else str(data["description"]),
            relevance_levels=levels, baseline=baseline)

    def datasets(self, value) -> tuple[list[str], dict[str, int]]:
        """The dataset names, and the relevance levels the config sets (by dataset key)."""
        from .datasets import dataset_key, expand_names

        entries = value if isinstance(value, list) else [value]
        names: list[str] = []
        levels: dict[str, int] = {}
        for i, entry in enumerate(entries):
            at = ("datasets", i) if isinstance(value, list) else ("datasets",)
            level = None
            if isinstance(entry, dict):
                entry = self.mapping(entry, at, DATASET_KEYS)
                if "name" not in entry:
                    self.fail(at, "missing key 'name' (a dataset name or a local folder)")
                if "relevance_level" in entry:
                    level = self.positive_int(entry["relevance_level"], at + ("relevance_level",))
                at, entry = at + ("name",), entry["name"]
            item = self.string(entry, at)
            try:
                expanded = expand_names(item)
            except UserError as exc:
                self.fail(at if at[-1] == "name" else ("datasets",), str(exc))
            names.extend(expanded)
            if level is not None:
                levels.update({dataset_key(n): level for n in expanded})
        names = list(dict.fromkeys(names))
        if not names:
            self.fail(("datasets",), "no dataset named")
        return names, levels

    def models(self, value, output: Path) -> list[ModelSpec]:
        if not isinstance(value, list) or not value:
            self.fail(("models",), f"expected a non-empty list of models, got {_kind(value)}")
        specs: list[ModelSpec] = []
        seen_labels: dict[str, int] = {}
        seen_names: dict[str, str] = {}
        for i, entry in enumerate(value):
            where = ("models", i)
            entry = self.mapping(entry, where, MODEL_KEYS)
            if "label" not in entry:
                self.fail(where, "missing key 'label' (a short name such as A, used by ensembles and tables)")
            label = self.string(entry["label"], where + ("label",), allow_int=True)
            if label in seen_labels:
                self.fail(where + ("label",), f"duplicate label {label!r} (also models[{seen_labels[label]}])")
            seen_labels[label] = i
            kind = entry.get("kind", "splade")
            if kind not in KINDS:
                self.fail(where + ("kind",), f"unknown kind {kind!r} (known: {', '.join(KINDS)})")
            if "checkpoint" in entry:
                checkpoint = self.string(entry["checkpoint"], where + ("checkpoint",))
            elif kind == "splade":
                self.fail(where, "missing key 'checkpoint' (a local folder, hub id or embedded name)")
            else:  # a baseline kind runs its default model (bm25 has no checkpoint at all)
                from .baselines import default_model

                checkpoint = default_model(kind)
            name = self.folder_name(entry.get("name", default_name(checkpoint)), where + ("name",), output)
            if name in RESERVED_NAMES:
                self.fail(where + ("name",), f"{name!r} is reserved for {output / name}; choose another name")
            if name in seen_names:
                self.fail(where + ("name",), f"results folder {name!r} is also used by model {seen_names[name]!r}; "
                                             "give each model its own 'name'")
            seen_names[name] = label
            specs.append(ModelSpec(label, name, kind, checkpoint, self.options(entry, where, kind),
                                   {k: entry[k] for k in INFO_KEYS if entry.get(k) is not None}))
        return specs

    def options(self, entry: dict, where: tuple, kind: str) -> dict[str, Any]:
        from . import retriever

        accepted = getattr(retriever, "KIND_OPTIONS", {}).get(kind)  # None: let make_retriever judge
        options: dict[str, Any] = {}
        extra = entry.get("options", {})
        if not isinstance(extra, dict):
            self.fail(where + ("options",), f"expected a mapping of options, got {_kind(extra)}")
        for key in BUILD_KEYS:
            if key in entry:
                value = entry[key]
                options[key] = (self.positive_int(value, where + (key,)) if key in POSITIVE_INT_KEYS
                                else self.string(value, where + (key,)))
        for key, value in extra.items():
            if key in options or key in MODEL_KEYS:
                self.fail(where + ("options", key), f"{key!r} belongs at the model's top level")
            options[key] = value
        for key in options:
            if accepted is not None and key not in accepted:
                self.fail(where + ((key,) if key in entry else ("options", key)),
                          f"option {key!r} does not apply to a {kind} model (it takes: {', '.join(sorted(accepted))})")
        return options

    def ensembles(self, value, labels: set[str], root: Path) -> list[EnsembleSpec]:
        if not isinstance(value, list):
            self.fail(("ensembles",), f"expected a list of ensembles, got {_kind(value)}")
        specs: list[EnsembleSpec] = []
        seen: set[str] = set()
        for i, entry in enumerate(value):
            where = ("ensembles", i)
            entry = self.mapping(entry, where, ENSEMBLE_KEYS)
            if "members" not in entry:
                self.fail(where, "missing key 'members' (a list of model labels)")
            raw = entry["members"]
            raw = raw.split() if isinstance(raw, str) else raw
            if not isinstance(raw, list) or len(raw) < 2:
                self.fail(where + ("members",), "expected a list of at least two model labels")
            members = tuple(self.string(m, where + ("members", j), allow_int=True) for j, m in enumerate(raw))
            for j, m in enumerate(members):
                if m not in labels:
                    self.fail(where + ("members", j), f"no model has label {m!r} (labels: {', '.join(sorted(labels))})")
            if len(set(members)) != len(members):
                self.fail(where + ("members",), "a label appears twice")
            weights = self.weights(entry.get("weights"), len(members), where + ("weights",))
            name = self.folder_name(entry.get("name", "+".join(members)), where + ("name",), root)
            if name in seen:
                self.fail(where + ("name",), f"duplicate ensemble name {name!r}")
            seen.add(name)
            specs.append(EnsembleSpec(name, members, weights))
        return specs

    def weights(self, value, n: int, where: tuple) -> tuple[float, ...]:
        if value is None:
            return (1.0,) * n
        if not isinstance(value, list) or len(value) != n:
            self.fail(where, f"expected a list of {n} weights, one per member")
        for j, w in enumerate(value):
            if isinstance(w, bool) or not isinstance(w, (int, float)) or not math.isfinite(w) or w <= 0:
                self.fail(where + (j,), f"expected a positive number, got {w!r}")
        return tuple(float(w) for w in value)


def _kind(value) -> str:
    return "nothing" if value is None else f"{type(value).__name__} {value!r}"[:80]


def evaluate_config(path: str | Path, redo: bool = False, show_progress: bool = True,
                    output: str | Path | None = None, download: bool = True,
                    **evaluate_options) -> dict[str, dict[str, dict]]:
    """Evaluate every model of a config on every dataset (through :func:`splade_beir.evaluate.evaluate`);
    returns ``{label: {dataset: result}}`` for the pairs evaluated now.

    A (model, dataset) pair whose result JSON exists is skipped unless ``redo`` (cqadupstack counts
    as done when its mean ``cqadupstack.json`` exists). A model is loaded only if it has work to do,
    and every dataset it needs is found (or downloaded) before any model is loaded. Machine-specific
    build options (``device``...) go in a model's ``options`` mapping; ``evaluate_options`` (such as
    ``cache_dir``) are passed to every :func:`~splade_beir.evaluate.evaluate` call.
    """
    from .datasets import cqadupstack_parts, resolve_dir
    from .evaluate import evaluate

    cfg = load_config(path, output)
    todo: dict[str, list[str]] = {}
    for model in cfg.models:
        todo[model.label] = []
        for dataset, key in zip(cfg.datasets, cfg.dataset_keys()):
            json_path = result_paths(cfg.output, model.name, key)[0]
            if json_path.is_file() and not redo:
                logger.info("%s (%s) on %s: %s exists, skipped (--redo recomputes it)",
                            model.label, model.name, key, json_path)
            else:
                todo[model.label].append(dataset)
    needed = dict.fromkeys(p for names in todo.values() for d in names for p in cqadupstack_parts(d))
    for part in needed:
        resolve_dir(part, cfg.data_dir, download=download)
    done: dict[str, dict[str, dict]] = {}
    for model in cfg.models:
        if not todo[model.label]:
            continue
        logger.info("%s (%s): evaluating on %s", model.label, model.name, ", ".join(todo[model.label]))
        # evaluate() builds the model once the first dataset has loaded (so bad data fails first).
        done[model.label] = evaluate(model.checkpoint, todo[model.label], name=model.name, data_dir=cfg.data_dir,
                                     output=cfg.output, top_k=cfg.top_k, download=download,
                                     relevance_levels=cfg.relevance_levels or None,
                                     show_progress=show_progress, kind=model.kind, **evaluate_options,
                                     **model.options)
    return done
