"""splade_beir.encode.pooling: the SPLADE activation, and the fast packed pooling against the reference."""

import pytest
import torch

from splade_beir.encode.pooling import head_for, pool_head, pool_packed, pool_reference, pool_segments, splade_activation


def test_activation_hand_example():
    x = torch.tensor([-1.0, 0.0, 1.0, 3.0])
    expected = torch.tensor([0.0, 0.0, 0.693147, 1.386294])
    assert torch.allclose(splade_activation(x), expected, atol=1e-6)


def test_reference_max_and_sum_ignore_padding():
    logits = torch.tensor([[[1.0, -2.0], [3.0, 0.5], [9.0, 9.0]]])
    mask = torch.tensor([[1, 1, 0]])
    ln = torch.log1p
    assert torch.allclose(pool_reference(logits, mask, "max"), torch.stack([ln(torch.tensor(3.0)), ln(torch.tensor(0.5))])[None])
    expected_sum = torch.tensor([[ln(torch.tensor(1.0)) + ln(torch.tensor(3.0)), ln(torch.tensor(0.5))]])
    assert torch.allclose(pool_reference(logits, mask, "sum"), expected_sum)


@pytest.mark.parametrize("pooling", ["max", "sum"])
@pytest.mark.parametrize("token_block,vocab_block", [(256, 4096), (3, 5), (1, 7)])
def test_packed_equals_reference(pooling, token_block, vocab_block):
    torch.manual_seed(0)
    lengths = [5, 1, 0, 8, 3]
    dim, vocab = 6, 23
    weight, bias = torch.randn(vocab, dim), torch.randn(vocab)
    T = max(lengths)
    hidden = torch.randn(len(lengths), T, dim)
    mask = (torch.arange(T)[None] < torch.tensor(lengths)[:, None]).long()
    ref = pool_reference(hidden @ weight.T + bias, mask, pooling)
    got = pool_packed(hidden[mask.bool()], lengths, weight, bias, pooling,
                      vocab_block=vocab_block, token_block=token_block)
    assert got.shape == (len(lengths), vocab)
    assert torch.allclose(got, ref, atol=1e-5)
    assert torch.all(got[2] == 0)  # an empty text is the zero vector


def test_unknown_pooling():
    with pytest.raises(ValueError):
        pool_packed(torch.zeros(1, 2), [1], torch.zeros(3, 2), None, "mean")
    with pytest.raises(ValueError):
        pool_reference(torch.zeros(1, 1, 2), torch.ones(1, 1), "mean")


@pytest.mark.parametrize("pooling", ["max", "sum"])
@pytest.mark.parametrize("group_tokens,vocab_block", [(None, None), (6, None), (1, 5), (9, 23), (4, 7)])
@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16])
def test_segment_path_equals_tiled_path(pooling, group_tokens, vocab_block, dtype):
    """The GPU path (one matmul and one segment reduction per group of texts) and the blocked CPU path give the
    tiled path's vectors; run here on the CPU, in float32 and in bfloat16 (the GPU default). Groups: all texts
    at once, a few texts, one text each (a text longer than the group is a group alone)."""
    torch.manual_seed(1)
    lengths = [5, 1, 0, 8, 3, 0]
    dim, vocab = 6, 23
    weight, bias = torch.randn(vocab, dim).to(dtype), torch.randn(vocab)
    hidden = torch.randn(sum(lengths), dim)
    tiled = pool_packed(hidden, lengths, weight, bias, pooling, vocab_block=5, token_block=3)
    segment = pool_segments(hidden, lengths, weight, bias, pooling, group_tokens=group_tokens,
                            vocab_block=vocab_block)
    assert segment.dtype == torch.float32 and segment.shape == (len(lengths), vocab)
    assert torch.allclose(segment, tiled, atol=1e-5 if dtype == torch.float32 else 1e-2)
    assert torch.all(segment[2] == 0) and torch.all(segment[5] == 0)  # empty texts are zero vectors
    if dtype == torch.float32:
        mask = torch.zeros(len(lengths), max(lengths), dtype=torch.long)
        padded = torch.zeros(len(lengths), max(lengths), dim)
        start = 0
        for i, n in enumerate(lengths):
            mask[i, :n], padded[i, :n] = 1, hidden[start:start + n]
            start += n
        assert torch.allclose(segment, pool_reference(padded @ weight.T + bias, mask, pooling), atol=1e-5)


def test_head_is_chosen_by_device():
    assert head_for("cpu") == "tiled" and head_for("cuda") == head_for(torch.device("cuda", 1)) == "segment"
    assert pool_head("tiled") is pool_packed and pool_head("segment") is pool_segments
    with pytest.raises(ValueError):
        pool_head("dense")
    with pytest.raises(ValueError):
        pool_segments(torch.zeros(1, 2), [1], torch.zeros(3, 2), None, "mean")


def test_long_texts_across_tiles_and_a_large_vocabulary():
    """Texts longer than a token block (split over tiles), several vocabulary blocks, both paths."""
    torch.manual_seed(2)
    lengths, weight, bias = [1300, 10, 0, 700], torch.randn(9000, 4), torch.randn(9000)
    hidden = torch.randn(sum(lengths), 4)
    for pooling in ("max", "sum"):
        tiled = pool_packed(hidden, lengths, weight, bias, pooling)  # 512-token x 4096-entry tiles
        segment = pool_segments(hidden, lengths, weight, bias, pooling, group_tokens=1500, vocab_block=4096)
        assert torch.allclose(tiled, segment, rtol=1e-5, atol=1e-4)
        assert torch.all(tiled[2] == 0) and torch.all(tiled[[0, 1, 3]].amax(dim=1) > 0)
