"""Masked-LM checkpoints: loading a tower with its vocabulary projection detached, and the digest of
everything in a tower that decides its vectors.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import torch

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


def load_tower(checkpoint: str, max_length: int, device: torch.device, dtype: torch.dtype,
               trust_remote_code: bool = False) -> Tower:
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
    return Tower(model, tokenizer, weight, bias, max_length)


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
