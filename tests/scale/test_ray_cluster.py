"""Ray: search fanned out is exact; a cluster of two equals one process; failed and killed tasks are
retried; a node with other weights and a missing model are one-line errors."""

import os
import signal
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp

from splade_beir.encode.corpus import encode_corpus
from splade_beir.errors import UserError
from splade_beir.scale.plan import EncoderSpec
from splade_beir.search.topk import topk

ray = pytest.importorskip("ray")
from splade_beir.scale.ray_cluster import RaySearch, RayWorkers  # noqa: E402

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def ray_cluster():
    """A local Ray cluster of two worker slots (one per core of this machine)."""
    ray.init(num_cpus=2, include_dashboard=False, logging_level="WARNING")
    yield
    ray.shutdown()


def test_search_fanned_out_over_ray_is_exact(ray_cluster):
    rng = np.random.default_rng(1)
    D = sp.random(400, 50, density=0.1, format="csr", random_state=rng, dtype=np.float32)
    D.data = np.ceil(D.data * 3)  # ties
    Q = sp.random(9, 50, density=0.2, format="csr", random_state=rng, dtype=np.float32)
    ref = topk(Q, D, 30)
    for shards, pending in ((None, 4), (3, 1), (7, 2)):  # at most `pending` slices in flight, merged as they come
        idx, scores = RaySearch(search_shards=shards, max_pending=pending).topk(Q, D, 30)
        assert np.array_equal(idx, ref[0]) and scores.tobytes() == ref[1].tobytes()


def test_ray_cluster_of_two_equals_one_process_on_msmarco(ray_cluster, msmarco_single, run_msmarco,
                                                          assert_identical_results, tmp_path):
    data, single, chunk = msmarco_single
    sharded = run_msmarco(data, tmp_path / "ray", chunk, backend="ray")  # 4 encoding tasks on 2 worker slots
    assert_identical_results(single, sharded, "msmarco-slice")


def test_failed_and_killed_tasks_are_retried_and_the_matrix_is_identical(ray_cluster, numbered_corpus_entry,
                                                                         tiny_mlm, tmp_path):
    @dataclass(frozen=True)
    class FailsOnce(EncoderSpec):  # defined here, so Ray ships it by value to its workers
        marker_dir: str = ""

        def encode(self, encoder, texts, progress=None):
            first = texts[0].rsplit("#", 1)[1]
            marker = Path(self.marker_dir) / f"failed-{first}"
            if first in ("10", "30") and not marker.exists():
                marker.touch()
                if first == "10":
                    raise RuntimeError("simulated failure in chunk 1")
                os.kill(os.getpid(), signal.SIGKILL)  # chunk 3: its worker process dies mid-task
            return super().encode(encoder, texts, progress)

    entry, texts, reference = numbered_corpus_entry(number=True)
    workers = RayWorkers(FailsOnce(str(tiny_mlm), batch_size=8, marker_dir=str(tmp_path)), max_retries=2)
    merged = encode_corpus(entry, workers, lambda a, b: texts[a:b], show_progress=False)
    assert (tmp_path / "failed-10").exists() and (tmp_path / "failed-30").exists()  # both first attempts failed
    assert np.array_equal(merged.indptr, reference.indptr) and np.array_equal(merged.indices, reference.indices)
    assert merged.data.tobytes() == reference.data.tobytes()


def test_ray_refuses_a_node_with_other_weights_and_reports_user_errors(ray_cluster, numbered_corpus_entry, tiny_mlm,
                                                                       tmp_path):
    @dataclass(frozen=True)
    class OtherWeights(EncoderSpec):
        def load(self, device=None):
            encoder = super().load(device)
            encoder.doc.bias.add_(0.25)
            return encoder

    entry, texts, _ = numbered_corpus_entry(n_docs=20)
    with pytest.raises(UserError, match=r"Ray task on .*: the worker's encoder does not match this run: its model "
                                        r"weights"):
        RayWorkers(OtherWeights(str(tiny_mlm), batch_size=8)).encode(entry, [0], lambda a, b: texts[a:b],
                                                                     show_progress=False)
    assert entry.missing() == [0, 1]
    with pytest.raises(UserError, match="chunk 1 of .*: model folder .*no-such-model does not exist") as err:
        RayWorkers(EncoderSpec(str(tmp_path / "no-such-model"))).encode(entry, [1], lambda a, b: texts[a:b],
                                                                         show_progress=False)
    assert "\n" not in str(err.value)
