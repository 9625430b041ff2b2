"""Local worker processes: slots per GPU or core share, identical results, a killed worker retried, other
weights refused."""

import os
import signal
from pathlib import Path

import numpy as np
import pytest

import splade_beir.scale.local as local
from splade_beir.encode.corpus import encode_corpus
from splade_beir.errors import UserError
from splade_beir.scale.local import LocalWorkers
from splade_beir.scale.plan import EncoderSpec

SPEC = EncoderSpec("m")


def test_worker_slots_share_gpus_or_cores(monkeypatch):
    assert LocalWorkers(SPEC, 2, device="cpu", cpus=2).slots() == [("cpu", 1), ("cpu", 1)]
    assert LocalWorkers(SPEC, 3, device="cpu", cpus=16).slots() == [("cpu", 5)] * 3
    assert LocalWorkers(SPEC, 4, device="cpu", cpus=2).slots() == [("cpu", 1)] * 4
    monkeypatch.setattr(local, "visible_gpus", lambda: ["2", "5"])  # CUDA_VISIBLE_DEVICES=2,5
    assert LocalWorkers(SPEC, cpus=8).slots() == [("cuda=2", 4), ("cuda=5", 4)]
    assert LocalWorkers(SPEC, 3, cpus=8).slots() == [("cuda=2", 2), ("cuda=5", 2), ("cuda=2", 2)]
    assert LocalWorkers(SPEC, 2, device="cuda:1", cpus=8).slots() == [("cuda=5", 4), ("cuda=5", 4)]
    assert LocalWorkers(SPEC, 2, device="cpu", cpus=4).slots() == [("cpu", 2), ("cpu", 2)]
    for bad in (0, -1, True, 1.5):
        with pytest.raises(UserError, match="a positive integer"):
            LocalWorkers(SPEC, bad)


@pytest.mark.slow
def test_two_local_workers_equal_one_process_on_msmarco(msmarco_single, run_msmarco, assert_identical_results,
                                                        tmp_path):
    data, single, chunk = msmarco_single
    sharded = run_msmarco(data, tmp_path / "workers", chunk, workers=2)  # 4 chunks dealt to 2 processes
    assert_identical_results(single, sharded, "msmarco-slice")


class KilledSpec(EncoderSpec):
    """Kills its own worker process when it starts on the text numbered 30: the first time only, or always."""

    def encode(self, encoder, texts, progress=None):
        marker = Path(os.environ["SPLADE_TEST_MARKER_DIR"]) / "killed"
        if texts[0].endswith("#30") and (not marker.exists() or os.environ.get("SPLADE_TEST_KILL_ALWAYS")):
            marker.touch()
            os.kill(os.getpid(), signal.SIGKILL)
        return super().encode(encoder, texts, progress)


@pytest.mark.slow
def test_a_killed_worker_is_retried_and_the_matrix_is_identical(numbered_corpus_entry, tiny_mlm, tmp_path,
                                                                monkeypatch):
    monkeypatch.setenv("SPLADE_TEST_MARKER_DIR", str(tmp_path))  # spawned workers inherit it
    entry, texts, reference = numbered_corpus_entry(number=True)
    workers = LocalWorkers(KilledSpec(str(tiny_mlm), batch_size=8), 1, device="cpu")
    merged = encode_corpus(entry, workers, lambda a, b: texts[a:b], show_progress=False)
    assert (tmp_path / "killed").exists()  # the first attempt at chunk 3 died; the pool was started again
    assert np.array_equal(merged.indptr, reference.indptr) and np.array_equal(merged.indices, reference.indices)
    assert merged.data.tobytes() == reference.data.tobytes()


@pytest.mark.slow
def test_a_worker_that_always_dies_is_a_one_line_error_and_the_rest_is_cached(numbered_corpus_entry, tiny_mlm,
                                                                              tmp_path, monkeypatch):
    monkeypatch.setenv("SPLADE_TEST_MARKER_DIR", str(tmp_path))
    monkeypatch.setenv("SPLADE_TEST_KILL_ALWAYS", "1")
    entry, texts, _ = numbered_corpus_entry(number=True)
    workers = LocalWorkers(KilledSpec(str(tiny_mlm), batch_size=8), 1, device="cpu", retries=1)
    with pytest.raises(UserError, match="worker processes died 2 times while encoding") as err:
        workers.encode(entry, list(range(entry.n_chunks)), lambda a, b: texts[a:b], show_progress=False)
    assert "\n" not in str(err.value)
    assert entry.missing() == [3, 4, 5]  # one worker, chunks in order: what it finished before chunk 3 is kept


class OtherWeightsSpec(EncoderSpec):
    """A worker whose checkpoint differs from the driver's (as on a node with another version)."""

    def load(self, device=None):
        encoder = super().load(device)
        encoder.doc.bias.add_(0.25)
        return encoder


@pytest.mark.slow
def test_a_worker_with_other_weights_is_refused_and_writes_nothing(numbered_corpus_entry, tiny_mlm):
    entry, texts, _ = numbered_corpus_entry(n_docs=20)
    workers = LocalWorkers(OtherWeightsSpec(str(tiny_mlm), batch_size=8), 1, device="cpu")
    with pytest.raises(UserError, match="the worker's encoder does not match this run: its model weights"):
        workers.encode(entry, [0, 1], lambda a, b: texts[a:b], show_progress=False)
    assert entry.missing() == [0, 1]
