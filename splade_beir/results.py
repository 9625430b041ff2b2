"""Results on disk: ``<output>/<model>/<dataset>.json`` and ``<dataset>.run.gz``.

The JSON holds the mean metrics, per-query metrics, cost statistics (FLOPS, mean non-zeros),
counts, timings, the full configuration and package versions. Every file is written atomically.
"""

from __future__ import annotations

import json
import platform
from importlib import metadata
from pathlib import Path

from .atomic import atomic_write_text
from .errors import UserError

SCHEMA = 1
PACKAGES = ("splade-beir", "torch", "transformers", "scipy", "numpy", "pytrec-eval-terrier", "beir",
            "bm25s", "sentence-transformers")


def versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return out


def result_paths(output: str | Path, model: str, dataset: str) -> tuple[Path, Path]:
    """``(json, run)`` paths; ``cqadupstack/android`` nests as a folder."""
    base = safe_join(output, model, dataset)
    return base.with_name(base.name + ".json"), base.with_name(base.name + ".run.gz")


def safe_join(root: str | Path, *parts: str) -> Path:
    """Join names under ``root``, refusing any that would escape it (``..``, absolute paths)."""
    root_resolved = Path(root).resolve()
    path = Path(root).joinpath(*parts)
    if any(p in ("", ".", "..") for part in parts for p in Path(part).parts) or \
            not path.resolve().is_relative_to(root_resolved):
        raise UserError(f"name {'/'.join(parts)!r} would write outside {root}")
    return path


def write_result(path: Path, result: dict) -> None:
    atomic_write_text(path, json.dumps(result, indent=1, sort_keys=False) + "\n")


def read_result(path: str | Path) -> dict:
    path = Path(path)
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UserError(f"{path}: results file missing") from None
    except json.JSONDecodeError as exc:
        raise UserError(f"{path}:{exc.lineno}: not valid JSON ({exc.msg})") from None


def mean_result(model: str, dataset: str, parts: list[dict]) -> dict:
    """A dataset made of several (cqadupstack's 12 forums): the unweighted mean of each number."""
    def mean(key: str, sub: str | None = None):
        vals = [(p[key] if sub is None else p[key].get(sub)) for p in parts]
        return None if any(v is None for v in vals) else sum(vals) / len(vals)

    return {
        "schema": SCHEMA, "model": model, "dataset": dataset, "kind": parts[0].get("kind"),
        "parts": [p["dataset"] for p in parts],
        "metrics": {m: mean("metrics", m) for m in parts[0]["metrics"]},
        **{k: mean(k) for k in ("flops", "nnz_query", "nnz_doc")},
        "n_queries": sum(p["n_queries"] for p in parts), "n_docs": sum(p["n_docs"] for p in parts),
        "config": parts[0].get("config"), "versions": parts[0].get("versions"),
    }
