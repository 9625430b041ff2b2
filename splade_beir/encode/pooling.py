"""SPLADE pooling as small pure functions.

SPLADE-max:  w_j = max_t log(1 + relu(logit_tj))  over a text's real (non-padding) tokens t.
SPLADE-sum:  w_j = sum_t log(1 + relu(logit_tj))  (SPLADE v1).

``pool_reference`` is the straightforward dense computation. The encoder runs a fast path over the real
tokens only (never padding), chosen by device (:func:`head_for`); both agree with the reference (to
float rounding of the matrix product):

- ``pool_packed`` ("tiled", the CPU path): the head in cache-sized tiles, each reduced into its texts;
- ``pool_segments`` ("segment", the GPU path): few large kernels, one head matmul over the packed tokens of
  a group of texts and one segment reduction (``torch.segment_reduce``).

>>> import torch
>>> logits = torch.tensor([[[1.0, -2.0], [3.0, 0.5], [9.0, 9.0]]])   # 1 text, 3 tokens, vocab 2
>>> mask = torch.tensor([[1, 1, 0]])                                 # the third token is padding
>>> pool_reference(logits, mask, "max")                              # log1p([3, 0.5])
tensor([[1.3863, 0.4055]])
"""

from __future__ import annotations

import warnings

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
                pooling: str = "max", vocab_block: int = 4096, token_block: int = 512) -> torch.Tensor:
    """Pool the MLM head's output without ever materialising ``(tokens, vocab)`` for a whole batch.

    ``hidden`` holds the real tokens of several texts back to back, ``(sum(lengths), dim)``: the
    input of the head's final projection ``logits = hidden @ weight.T + bias``. The projection runs
    in (token_block x vocab_block) tiles that stay in cache (8 MiB in float32), and each tile is reduced
    into all its texts by one ``index_reduce_`` (max) or ``index_add_`` (sum): two torch operations per
    tile. For max pooling, the bias and the activation are applied after the max: both are monotone, so
    max_t act(x_t + b) == act(max_t x_t + b), and only the pooled vector needs them.
    Returns float32 ``(len(lengths), vocab)``.
    """
    if pooling not in POOLINGS:
        raise ValueError(f"pooling must be one of {POOLINGS}, got {pooling!r}")
    vocab = weight.shape[0]
    out = torch.zeros(len(lengths), vocab, dtype=torch.float32, device=hidden.device)
    if pooling == "max":
        out.fill_(float("-inf"))
    hidden = hidden.to(weight.dtype)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=r"index_reduce\(\) is in beta")
        for t0, pieces in _token_blocks(lengths, token_block):
            x = hidden[t0:t0 + sum(b - a for _, a, b in pieces)]
            first, last = pieces[0][0], pieces[-1][0] + 1
            rows = torch.repeat_interleave(torch.tensor([t - first for t, _, _ in pieces], device=hidden.device),
                                           torch.tensor([b - a for _, a, b in pieces], device=hidden.device))
            for v0 in range(0, vocab, vocab_block):
                tile = x @ weight[v0:v0 + vocab_block].T
                dest = out[first:last, v0:v0 + vocab_block]
                if pooling == "max":
                    dest.index_reduce_(0, rows, tile.float(), "amax")
                else:
                    if bias is not None:
                        tile = tile + bias[v0:v0 + vocab_block]
                    dest.index_add_(0, rows, splade_activation(tile.float()))
    if pooling == "max":
        if bias is not None:
            out += bias.float()
        out = splade_activation(out)
        out[torch.tensor(lengths, device=out.device) == 0] = 0.0
    return out


def pool_segments(hidden: torch.Tensor, lengths: list[int], weight: torch.Tensor, bias: torch.Tensor | None,
                  pooling: str = "max", group_tokens: int | None = None,
                  vocab_block: int | None = None) -> torch.Tensor:
    """:func:`pool_packed` (same arguments, same result) in few large operations.

    The texts go in groups of whole texts of at most ``group_tokens`` tokens together (default: as many as
    make 2^28 logits, 512 MiB in bfloat16; a longer text is a group alone). Per group and block of
    ``vocab_block`` vocabulary entries (default: the whole vocabulary), one matmul over the group's packed
    tokens (in the weight's dtype) and one ``torch.segment_reduce`` of the logits into the texts. For max
    pooling the bias and the activation come after the max, on the pooled vectors only, as in
    :func:`pool_packed`. Returns float32 ``(len(lengths), vocab)``.
    """
    if pooling not in POOLINGS:
        raise ValueError(f"pooling must be one of {POOLINGS}, got {pooling!r}")
    vocab = weight.shape[0]
    group_tokens = group_tokens or max(1, 2 ** 28 // vocab)
    vocab_block = vocab_block or vocab
    out = torch.zeros(len(lengths), vocab, dtype=torch.float32, device=hidden.device)
    hidden = hidden.to(weight.dtype)
    first_text, first_token = 0, 0
    while first_text < len(lengths):
        last_text, tokens = first_text, 0
        while last_text < len(lengths) and (last_text == first_text or tokens + lengths[last_text] <= group_tokens):
            tokens += lengths[last_text]
            last_text += 1
        x = hidden[first_token:first_token + tokens]
        segments = torch.tensor(lengths[first_text:last_text], device=hidden.device)
        for v0 in range(0, vocab, vocab_block):
            logits = x @ weight[v0:v0 + vocab_block].T
            if pooling == "max":
                pooled = torch.segment_reduce(logits, "max", lengths=segments, axis=0, unsafe=True)
            else:
                if bias is not None:
                    logits = logits + bias[v0:v0 + vocab_block]
                pooled = torch.segment_reduce(splade_activation(logits.float()), "sum", lengths=segments, axis=0,
                                              unsafe=True)
            out[first_text:last_text, v0:v0 + vocab_block] = pooled
        first_text, first_token = last_text, first_token + tokens
    if pooling == "max":
        empty = torch.tensor(lengths, device=out.device) == 0
        out[empty] = 0.0  # segment_reduce's -inf, before anything is added to it
        if bias is not None:
            out += bias.float()
        out = splade_activation(out)
        out[empty] = 0.0
    return out


HEADS = ("tiled", "segment")


def head_for(device: torch.device | str) -> str:
    """The head path for a device: ``"segment"`` (:func:`pool_segments`) on a GPU, 2 to 4 kernels per batch
    where the tiles would launch hundreds of small ones; ``"tiled"`` (:func:`pool_packed`) on a CPU, where
    the tiles stay in cache and their two operations each keep every thread busy.

    >>> head_for("cuda:1"), head_for("cpu")
    ('segment', 'tiled')
    """
    return "segment" if torch.device(device).type == "cuda" else "tiled"


def pool_head(head: str):
    """The pooling function of a head path (``"tiled"`` or ``"segment"``)."""
    if head not in HEADS:
        raise ValueError(f"head must be one of {HEADS}, got {head!r}")
    return pool_packed if head == "tiled" else pool_segments


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
