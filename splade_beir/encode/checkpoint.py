"""Masked-LM checkpoints: loading a tower with its vocabulary projection detached, and the digest of
everything in a tower that decides its vectors.

Loading never hangs on a missing network: a hub id (not a local folder) is loaded from the Hugging Face
cache only (``local_files_only``) when ``HF_HUB_OFFLINE`` (or ``TRANSFORMERS_OFFLINE``) is set, or when
the hub's host (``HF_ENDPOINT``, or the HTTPS proxy where one is set) does not accept a connection within
2 seconds; a model that is not in the cache then fails at once with one line saying what to do, where
transformers alone retries for about a minute. Weights that torch refuses to unpickle safely (a
``pytorch_model.bin`` holding Python objects) are one line too, never a suggestion to load them unsafely.

>>> offline_reason({"HF_HUB_OFFLINE": "1"}, probe=lambda: True)
'HF_HUB_OFFLINE is set'
>>> offline_reason({}, probe=lambda: True) is None
True
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import pickle
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Mapping
from urllib.parse import urlparse

import torch

from ..data.download import url_reachable
from ..errors import UserError
from .embedded import resolve_checkpoint


@dataclass
class Tower:
    """One tower (query or document): a model whose final vocabulary projection we run ourselves."""

    model: torch.nn.Module
    tokenizer: object
    weight: torch.Tensor  # (vocab, dim) in the compute dtype
    bias: torch.Tensor | None
    max_length: int
    max_positions: int | None = None  # the longest input the model takes, in tokens (None: no limit known)


def load_tower(checkpoint: str, max_length: int, device: torch.device, dtype: torch.dtype,
               trust_remote_code: bool = False) -> Tower:
    """Load a masked-LM checkpoint and detach its final projection (see ``pool_packed``)."""
    from transformers import AutoModelForMaskedLM, AutoTokenizer

    path = resolve_checkpoint(checkpoint)
    local = Path(path).expanduser().is_dir()
    if checkpoint.startswith((".", "/", "~")) and not local:
        raise UserError(f"model folder {checkpoint} does not exist")
    if local and not (Path(path).expanduser() / "config.json").is_file():
        raise UserError(f"model folder {checkpoint} has no config.json: it is not a Hugging Face checkpoint folder")
    offline = None if local else offline_reason(os.environ)
    options = dict(trust_remote_code=trust_remote_code, local_files_only=local or offline is not None)
    try:
        with _no_loading_bar():
            tokenizer = AutoTokenizer.from_pretrained(path, **options)
            model, info = AutoModelForMaskedLM.from_pretrained(path, output_loading_info=True, **options)
    except pickle.UnpicklingError as exc:
        refused = re.search(r"GLOBAL (\S+)", str(exc))
        raise UserError(f"model {checkpoint!r}: its pickled weights (pytorch_model.bin) were refused for safety"
                        + (f" (they hold a Python object, {refused.group(1)})" if refused else "")
                        + "; splade_beir needs safetensors weights (model.safetensors)") from None
    except (OSError, ValueError, KeyError) as exc:
        if offline is not None:
            todo = f"unset {offline.split()[0]}" if offline.endswith("is set") else "connect to the network"
            raise UserError(f"model {checkpoint!r} is neither a local folder nor in the Hugging Face cache, and "
                            f"{offline}: pass a local folder holding the checkpoint, or {todo} to download it") from None
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
    return Tower(model, tokenizer, weight, bias, max_length, position_limit(model, tokenizer))


@contextlib.contextmanager
def _no_loading_bar():
    """transformers' "Loading weights" bar off while a tower loads (the encoder reports its own progress)."""
    from transformers.utils import logging as hf_logging

    shown = hf_logging.is_progress_bar_enabled()
    hf_logging.disable_progress_bar()
    try:
        yield
    finally:
        if shown:
            hf_logging.enable_progress_bar()


def position_limit(model: torch.nn.Module, tokenizer) -> int | None:
    """The longest input ``model`` takes, in tokens: its learned position embeddings (less RoBERTa's padding
    offset), else ``config.max_position_embeddings``, capped by the tokenizer's ``model_max_length``."""
    limits = []
    embeddings = getattr(getattr(model, "base_model", model), "embeddings", None)
    positions = getattr(embeddings, "position_embeddings", None)
    if isinstance(positions, torch.nn.Embedding):
        offset = positions.padding_idx + 1 if positions.padding_idx is not None else 0
        limits.append(positions.num_embeddings - offset)
    elif isinstance(getattr(model.config, "max_position_embeddings", None), int):
        limits.append(model.config.max_position_embeddings)
    own = getattr(tokenizer, "model_max_length", None)
    if isinstance(own, int) and 0 < own < 1_000_000:  # transformers' "no limit" is 1e30
        limits.append(own)
    return min(limits) if limits else None


def offline_reason(environ: Mapping[str, str], probe: Callable[[], bool] | None = None) -> str | None:
    """Why the hub cannot be used now (``None`` when it can): an offline variable that is set, or a hub
    host (``HF_ENDPOINT``) that does not accept a connection in 2 s (``probe``, default
    :func:`~splade_beir.data.download.url_reachable`, which goes through an HTTPS proxy where one is set)."""
    for var in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE"):
        if environ.get(var, "").strip().lower() in ("1", "true", "yes", "on"):
            return f"{var} is set"
    endpoint = environ.get("HF_ENDPOINT") or "https://huggingface.co"
    if not (probe or (lambda: url_reachable(endpoint, environ)))():
        return f"{urlparse(endpoint).hostname} cannot be reached (offline?)"
    return None


def tower_digest(side: Tower) -> str:
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
