import os
import signal
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp

from splade_beir.errors import UserError
from splade_beir.search import topk
from splade_beir.shards import EncoderSpec, merge_shards
from test_workers import _job, assert_identical, msmarco_single, run_msmarco  # noqa: F401 (a fixture)

ray = pytest.importorskip("ray")
from splade_beir.ray_backend import RayBackend  # noqa: E402


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
    for shards in (None, 3):
        idx, scores = RayBackend(search_shards=shards).topk(Q, D, 30)
        assert np.array_equal(idx, ref[0]) and scores.tobytes() == ref[1].tobytes()


def test_ray_cluster_of_two_equals_one_process_on_msmarco(ray_cluster, msmarco_single, tmp_path):
    data, single, chunk = msmarco_single
    sharded = run_msmarco(data, tmp_path / "ray", chunk, backend="ray")  # 4 encoding tasks on 2 worker slots
    assert_identical(single, sharded, "msmarco-slice", chunk)


def test_failed_and_killed_shards_are_retried_and_the_merge_is_identical(ray_cluster, tiny_mlm, tmp_path):
    @dataclass(frozen=True)
    class FailsOnce(EncoderSpec):  # defined here, so Ray ships it by value to its workers
        marker_dir: str = ""

        def encode(self, encoder, texts):
            first = texts[0].rsplit("#", 1)[1]
            marker = Path(self.marker_dir) / f"failed-{first}"
            if first in ("10", "30") and not marker.exists():
                marker.touch()
                if first == "10":
                    raise RuntimeError("simulated failure in shard 1")
                os.kill(os.getpid(), signal.SIGKILL)  # shard 3: its worker process dies mid-task
            return super().encode(encoder, texts)

    job, texts, _ = _job(tiny_mlm, tmp_path)
    texts = [f"{t} #{i}" for i, t in enumerate(texts)]
    spec = FailsOnce(job.spec.model, batch_size=8, marker_dir=str(tmp_path))
    job = replace(job, spec=spec, fingerprint={**job.fingerprint, "corpus": "numbered"})
    manifests = RayBackend(max_retries=2).encode(job, list(range(job.n_shards)), texts, show_progress=False)
    assert (tmp_path / "failed-10").exists() and (tmp_path / "failed-30").exists()  # both first attempts failed
    merged = merge_shards(job.cache, job.fingerprint, job.n_texts, manifests)
    encoder = EncoderSpec(job.spec.model).load("cpu")
    single = sp.vstack([encoder.encode_texts(texts[a:a + 10], encoder.doc, 8) for a in range(0, 60, 10)]).tocsr()
    assert np.array_equal(merged.indptr, single.indptr) and np.array_equal(merged.indices, single.indices)
    assert merged.data.tobytes() == single.data.tobytes()


def test_ray_refuses_a_node_with_other_weights_and_reports_user_errors(ray_cluster, tiny_mlm, tmp_path):
    @dataclass(frozen=True)
    class OtherWeights(EncoderSpec):
        def load(self, device=None):
            encoder = super().load(device)
            encoder.doc.bias.add_(0.25)
            return encoder

    job, texts, _ = _job(tiny_mlm, tmp_path, n_docs=20)
    other = replace(job, spec=OtherWeights(job.spec.model, batch_size=8))
    with pytest.raises(UserError, match=r"Ray task on .*: shard 0/2 does not match this run: its model weights"):
        RayBackend().encode(other, [0], texts, show_progress=False)
    missing = replace(job, spec=EncoderSpec(str(tmp_path / "no-such-model")))
    with pytest.raises(UserError, match="shard 1/2: model folder .*no-such-model does not exist") as err:
        RayBackend().encode(missing, [1], texts, show_progress=False)
    assert "\n" not in str(err.value)
