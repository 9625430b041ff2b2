"""SPLADE pooling as small pure functions.

SPLADE-max:  w_j = max_t log(1 + relu(logit_tj))  over a text's real (non-padding) tokens t.
SPLADE-sum:  w_j = sum_t log(1 + relu(logit_tj))  (SPLADE v1).

``pool_reference`` is the straightforward dense computation; ``pool_packed`` is the fast path used
by the encoder and must agree with it (to float rounding of the matrix product).

>>> import torch
>>> logits = torch.tensor([[[1.0, -2.0], [3.0, 0.5], [9.0, 9.0]]])   # 1 text, 3 tokens, vocab 2
>>> mask = torch.tensor([[1, 1, 0]])                                 # the third token is padding
>>> pool_reference(logits, mask, "max")                              # log1p([3, 0.5])
tensor([[1.3863, 0.4055]])
"""

from __future__ import annotations

import torch

POOLINGS = ("max", "sum")


def splade_activation(x: torch.Tensor) -> torch.Tensor:
    """log(1 + relu(x)), elementwise."""
    return torch.log1p(torch.relu(x))


def pool_reference(logits: torch.Tensor, attention_mask: torch.Tensor, pooling: str = "max") -> torch.Tensor:
    """Pool dense MLM logits ``(batch, tokens, vocab)`` into ``(batch, vocab)``; padding never counts."""
    weights = splade_activation(logits.float()) * attention_mask.unsqueeze(-1).to(torch.float32)
    if pooling == "max":
        return weights.amax(dim=1)
    if pooling == "sum":
        return weights.sum(dim=1)
    raise ValueError(f"pooling must be one of {POOLINGS}, got {pooling!r}")


def pool_packed(hidden: torch.Tensor, lengths: list[int], weight: torch.Tensor, bias: torch.Tensor | None,
                pooling: str = "max", vocab_block: int = 4096, token_block: int = 256) -> torch.Tensor:
    """Pool the MLM head's output without ever materialising ``(tokens, vocab)`` for a whole batch.

    ``hidden`` holds the real tokens of several texts back to back, ``(sum(lengths), dim)``: the
    input of the head's final projection ``logits = hidden @ weight.T + bias``. The projection runs
    in (token_block x vocab_block) tiles that stay in cache, and each tile is reduced into its
    texts at once. For max pooling, the bias and the activation are applied after the max: both
    are monotone, so max_t act(x_t + b) == act(max_t x_t + b), and only the pooled vector needs them.
    Returns float32 ``(len(lengths), vocab)``.
    """
    if pooling not in POOLINGS:
        raise ValueError(f"pooling must be one of {POOLINGS}, got {pooling!r}")
    vocab = weight.shape[0]
    out = torch.zeros(len(lengths), vocab, dtype=torch.float32, device=hidden.device)
    if pooling == "max":
        out.fill_(float("-inf"))
    hidden = hidden.to(weight.dtype)
    for t0, pieces in _token_blocks(lengths, token_block):
        x = hidden[t0:t0 + sum(b - a for _, a, b in pieces)]
        for v0 in range(0, vocab, vocab_block):
            tile = x @ weight[v0:v0 + vocab_block].T
            if pooling == "sum":
                if bias is not None:
                    tile = tile + bias[v0:v0 + vocab_block]
                tile = splade_activation(tile.float())
            for text, a, b in pieces:
                dest = out[text, v0:v0 + vocab_block]
                if pooling == "max":
                    torch.maximum(dest, tile[a:b].amax(dim=0), out=dest)
                else:
                    dest += tile[a:b].sum(dim=0)
    if pooling == "max":
        if bias is not None:
            out += bias.float()
        out = splade_activation(out)
        out[torch.tensor(lengths, device=out.device) == 0] = 0.0
    return out


def _token_blocks(lengths: list[int], token_block: int):
    """Split the packed token rows into blocks of at most ``token_block`` rows; for each block
    yield its first row and its pieces ``(text, start, end)`` (rows relative to the block)."""
    pieces: list[tuple[int, int, int]] = []
    block_start, filled = 0, 0
    for text, length in enumerate(lengths):
        done = 0
        while done < length:
            take = min(length - done, token_block - filled)
            pieces.append((text, filled, filled + take))
            filled += take
            done += take
            if filled == token_block:
                yield block_start, pieces
                block_start, filled, pieces = block_start + token_block, 0, []
    if pieces:
        yield block_start, pieces
