"""Reading and validating an eval config: every mistake is a one-line error naming the file, line and key."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any


from ..data.names import cqadupstack_parts, dataset_key, expand_names
from ..encode.embedded import default_name
from ..errors import UserError
from ..evaluation.store import name_problem
from ..references.loader import Reference
from ..retrievers.registry import KINDS, default_model
from ..textio import read_utf8
from ..yamlio import parse_yaml
from .rows import reference_files, row_reference, run_template
from .spec import (BUILD_KEYS, DATASET_KEYS, ENSEMBLE_KEYS, INFO_KEYS, MODEL_KEYS, POSITIVE_INT_KEYS,
                   RESERVED_NAMES, TOP_KEYS, EnsembleSpec, EvalConfig, ModelSpec)


def load_config(path: str | Path, output: str | Path | None = None) -> EvalConfig:
    """Read and validate a config; every mistake is a :class:`UserError` naming the file, line and key.

    ``output`` overrides the config's ``output`` folder.
    """
    path = Path(path)
    try:
        text = read_utf8(path)
    except FileNotFoundError:
        raise UserError(f"{path}: config file not found") from None
    except OSError as exc:
        raise UserError(f"{path}: cannot read config ({exc.strerror or exc})") from None
    data, lines = parse_yaml(path, text, "config")
    return _Validator(path, lines).config(data, output)


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

    def folder_name(self, value, where: tuple, root: Path, reserved: bool = False) -> str:
        name = self.string(value, where)
        problem = name_problem(name, root, reserved)
        if problem:
            self.fail(where, problem + ("; choose another name" if name in RESERVED_NAMES else ""))
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
        datasets, levels = self.datasets(data["datasets"])
        references, refs = reference_files(self, data.get("references"))
        n_parts = sum(len(cqadupstack_parts(d)) for d in datasets)
        models = self.models(data["models"], out, refs, n_parts)
        labels = {m.label for m in models}
        ensembles = self.ensembles(data.get("ensembles") or [], labels, out / "ensembles")
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
            relevance_levels=levels, baseline=baseline, references=references)

    def datasets(self, value) -> tuple[list[str], dict[str, int]]:
        """The dataset names, and the relevance levels the config sets (by dataset key)."""
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

    def models(self, value, output: Path, refs: dict[str, Reference], n_parts: int = 1) -> list[ModelSpec]:
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
            if kind == "run":
                checkpoint = run_template(self, entry, where, n_parts)
            elif "run" in entry:
                self.fail(where + ("run",), f"'run' applies to kind: run (a run file per dataset), not to a {kind} model")
            elif "checkpoint" in entry:
                checkpoint = self.string(entry["checkpoint"], where + ("checkpoint",))
            elif kind == "splade":
                self.fail(where, "missing key 'checkpoint' (a local folder, hub id or embedded name)")
            else:  # a baseline kind runs its default model (bm25 has no checkpoint at all)
                checkpoint = default_model(kind)
            name = self.folder_name(entry.get("name", default_name(checkpoint)), where + ("name",), output,
                                    reserved=True)
            if name in seen_names:
                self.fail(where + ("name",), f"results folder {name!r} is also used by model {seen_names[name]!r}; "
                                             "give each model its own 'name'")
            seen_names[name] = label
            specs.append(ModelSpec(label, name, kind, checkpoint, self.options(entry, where, kind),
                                   {k: entry[k] for k in INFO_KEYS if entry.get(k) is not None},
                                   row_reference(self, entry, where, refs)))
        return specs

    def options(self, entry: dict, where: tuple, kind: str) -> dict[str, Any]:
        accepted = KINDS[kind].options
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
            if key not in accepted:
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
