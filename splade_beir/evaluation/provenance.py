"""Which model and options made a result, and refusing to replace one result with another model's.

A results folder is named after the checkpoint's last path component, so ``exp1/checkpoint`` and
``exp2/checkpoint`` would both write ``results/checkpoint/``: each result records its settings (``config``)
and a fingerprint of them and of the model's weights, and a run with another model or other options that
would overwrite it is refused (``--redo`` replaces it; ``--name`` keeps both).

>>> difference({"model": "exp1/checkpoint", "pooling": "max"}, {"model": "exp2/checkpoint", "pooling": "max"})
"model ('exp1/checkpoint' where this run has 'exp2/checkpoint')"
>>> difference({"model": "m", "device": "cuda"}, {"model": "m", "device": "cpu"}) is None   # where it ran: no matter
True
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from ..errors import UserError
from .result import Result

# Settings that do not change a result's numbers (beyond float rounding): never a reason to refuse.
VOLATILE = ("device", "batch_size", "threads")


def settings_fingerprint(config: dict, weights: str = "") -> str:
    """A digest of the settings that decide a run (``config`` without :data:`VOLATILE`) and the weights."""
    settings = {k: v for k, v in config.items() if k not in VOLATILE}
    return hashlib.sha256((json.dumps(settings, sort_keys=True, default=str) + weights).encode()).hexdigest()[:32]


def same_checkpoint(a, b) -> bool:
    """Whether two checkpoint names are the same model: the same string, or the same local folder."""
    if a == b:
        return True
    try:
        return isinstance(a, str) and isinstance(b, str) and Path(a).is_dir() and Path(a).resolve() == \
            Path(b).resolve()
    except OSError:
        return False


def difference(old: dict, new: dict) -> str | None:
    """The first setting two configs disagree on, in words (None when they agree)."""
    for key in dict.fromkeys([*old, *new]):
        if key in VOLATILE:
            continue
        a, b = old.get(key), new.get(key)
        if a != b and not (key in ("model", "query_model") and same_checkpoint(a, b)):
            return f"{key} ({a!r} where this run has {b!r})"
    return None


def check_overwrite(existing: Result | None, config: dict, fingerprint: str | None, path: Path,
                    redo: bool = False) -> None:
    """Refuse (one line) to replace ``existing`` by a result of another model or other options."""
    if existing is None or redo:
        return
    why = difference(existing.config, config)
    if why is None and existing.fingerprint and fingerprint and existing.fingerprint != fingerprint:
        why = "model weights (the same checkpoint name, other weights)"
    if why:
        raise UserError(f"{path} holds a result of another model or other options: {why}; keep both with "
                        "--name NEW_NAME, or replace it with --redo")
