"""splade_beir.encode.device: a device that does not exist here is one line, before any tensor moves."""

import pytest
import torch

from splade_beir.encode.device import resolve_device
from splade_beir.errors import UserError


def test_the_default_and_the_cpu():
    assert resolve_device(None).type == ("cuda" if torch.cuda.is_available() else "cpu")
    assert resolve_device("cpu") == resolve_device(torch.device("cpu")) == torch.device("cpu")


@pytest.mark.parametrize("name", ["tpu", "gpu", "cuda:x", "", "cpu:0:1", "meta"])
def test_names_torch_does_not_run_on_are_refused(name):
    with pytest.raises(UserError, match="is not one torch knows here"):
        resolve_device(name)


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has a CUDA GPU")
@pytest.mark.parametrize("name", ["cuda", "cuda:0", "cuda:3"])
def test_cuda_without_a_cuda_gpu_says_so(name):
    with pytest.raises(UserError, match="sees no CUDA GPU; use --device cpu"):
        resolve_device(name)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_a_gpu_number_beyond_the_visible_ones():
    with pytest.raises(UserError, match="visible GPU"):
        resolve_device(f"cuda:{torch.cuda.device_count()}")
