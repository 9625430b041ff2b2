"""splade_beir.encode.pooling: the SPLADE activation, and the fast packed pooling against the reference."""

import pytest
import torch

from splade_beir.encode.pooling import pool_packed, pool_reference, splade_activation


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
