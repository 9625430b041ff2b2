"""The torch device a model runs on, checked where the user names it.

>>> resolve_device("cpu")
device(type='cpu')
>>> resolve_device("tpu")
Traceback (most recent call last):
...
splade_beir.errors.UserError: device 'tpu' is not one torch knows here: use cpu, cuda, cuda:N or mps
"""

from __future__ import annotations

import torch

from ..errors import UserError


def resolve_device(device: str | torch.device | None = None) -> torch.device:
    """``device`` as a :class:`torch.device` (default: cuda when present, else cpu); a device that does not
    exist here (no CUDA build, no such GPU, a misspelt name) is one :class:`UserError` line, not a torch
    traceback at the first tensor."""
    if device is None:
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        dev = torch.device(device)
    except (RuntimeError, ValueError, TypeError):
        raise UserError(f"device {str(device)!r} is not one torch knows here: use cpu, cuda, cuda:N or mps") from None
    if dev.type == "cuda":
        if not torch.cuda.is_available():
            raise UserError(f"device {str(device)!r}: this torch ({torch.__version__}) sees no CUDA GPU; use "
                            "--device cpu, or install a CUDA build of torch")
        if dev.index is not None and dev.index >= torch.cuda.device_count():
            raise UserError(f"device {str(device)!r}: there are {torch.cuda.device_count()} visible GPU(s), "
                            "numbered from 0")
    elif dev.type == "mps":
        if not torch.backends.mps.is_available():
            raise UserError(f"device {str(device)!r}: Apple's MPS is not available here; use --device cpu")
    elif dev.type != "cpu":
        raise UserError(f"device {str(device)!r} is not one torch knows here: use cpu, cuda, cuda:N or mps")
    return dev
