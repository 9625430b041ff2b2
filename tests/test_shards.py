import json
import random

import numpy as np
import pytest
import scipy.sparse as sp

from conftest import random_beir
from splade_beir.cache import CorpusCache
from splade_beir.cli import run_cli
from splade_beir.errors import UserError
from splade_beir.evaluate import main
from splade_beir.search import topk
from splade_beir.shards import assemble_chunks, encode_shard, fingerprint_difference, manifest_path, merge_shards, \
    merge_topk, parse_shard, read_manifest, shard_chunks, shard_range, shards_done, topk_sharded


def test_shard_range_by_hand():
    assert [shard_range(10, i, 3) for i in range(3)] == [(0, 3), (3, 6), (6, 10)]
    # 10 rows in chunks of 4: chunks [0,4) [4,8) [8,10); two shards get 1 and 2 chunks
    assert [shard_range(10, i, 2, chunk_size=4) for i in range(2)] == [(0, 4), (4, 10)]
    assert list(shard_chunks(10, 1, 2, 4)) == [1, 2]
    # more shards than chunks: some shards are empty
    assert [shard_range(5, i, 4, chunk_size=2) for i in range(4)] == [(0, 0), (0, 2), (2, 4), (4, 5)]
    assert shard_range(0, 0, 2, chunk_size=3) == (0, 0)
    with pytest.raises(ValueError):
        shard_range(10, 3, 3)


@pytest.mark.parametrize("seed", range(20))
def test_shards_tile_the_rows_on_chunk_boundaries(seed):
    rng = random.Random(seed)
    n, n_shards, chunk = rng.randrange(0, 200), rng.randrange(1, 12), rng.randrange(1, 30)
    ranges = [shard_range(n, i, n_shards, chunk) for i in range(n_shards)]
    assert ranges[0][0] == 0 and ranges[-1][1] == n
    assert all(a[1] == b[0] for a, b in zip(ranges, ranges[1:]))
    assert all(start % chunk == 0 or start == n for start, _ in ranges)
    sizes = [sum(1 for _ in shard_chunks(n, i, n_shards, chunk)) for i in range(n_shards)]
    assert max(sizes) - min(sizes) <= 1 and sum(sizes) == -(-n // chunk)


def test_parse_shard():
    assert parse_shard("0/1") == (0, 1) and parse_shard(" 3 / 8 ") == (3, 8)
    for bad in ("4/4", "1/0", "-1/4", "a/b", "1", ""):
        with pytest.raises(UserError, match="--shard"):
            parse_shard(bad)


def test_merge_topk_by_hand():
    # shard A holds rows 0-2, shard B rows 3-5; ties broken by corpus index across shards
    a = (np.array([[1, 0, 2], [2, -1, -1]]), np.array([[2.0, 1.0, 0.5], [1.0, 0, 0]], dtype=np.float32))
    b = (np.array([[3, 4, -1], [-1, -1, -1]]), np.array([[2.0, 1.0, 0], [0, 0, 0]], dtype=np.float32))
    idx, scores = merge_topk([a, b], k=4)
    assert idx.tolist() == [[1, 3, 0, 4], [2, -1, -1, -1]]
    assert scores.tolist() == [[2.0, 2.0, 1.0, 1.0], [1.0, 0, 0, 0]]
    assert merge_topk([a, b], k=4, block=1)[0].tolist() == idx.tolist()  # queries merged in blocks
    idx, scores = merge_topk([b, a], k=8)  # order of shards does not matter; k beyond all hits pads
    assert idx.tolist()[0] == [1, 3, 0, 4, 2, -1, -1, -1] and scores.dtype == np.float32


def _random_csr(rng, rows, cols, density, integer=True):
    M = sp.random(rows, cols, density=density, format="csr", random_state=rng, dtype=np.float32)
    if integer:  # small integer weights: many exact ties, the hard case for the tie rule
        M.data = np.ceil(M.data * 3).astype(np.float32)
    return M


@pytest.mark.parametrize("integer", [True, False])
def test_sharded_search_is_exactly_the_single_matrix_result(integer):
    rng = np.random.default_rng(0)
    D, Q = _random_csr(rng, 503, 60, 0.08, integer), _random_csr(rng, 17, 60, 0.15, integer)
    Q = sp.diags((np.arange(Q.shape[0]) != 3).astype(np.float32)) @ Q  # query 3 is empty
    Q.eliminate_zeros()
    ref_idx, ref_scores = topk(Q, D, 25)
    for n_shards in (1, 2, 3, 7, 600):
        idx, scores = topk_sharded(Q, D, 25, n_shards)
        assert np.array_equal(idx, ref_idx) and np.array_equal(scores, ref_scores), n_shards
        assert scores.tobytes() == ref_scores.tobytes()


def _rows(start, end):
    return sp.csr_matrix(np.arange(start, end, dtype=np.float32)[:, None] + 1)


def test_shards_are_cache_chunks(tmp_path):
    cache = CorpusCache(tmp_path, chunk_size=3)
    fp = {"weights": "w1", "corpus": "c1"}
    m1 = encode_shard(cache, fp, 8, 1, 2, _rows)  # shard 1 of 2 first, on "another machine"
    assert shards_done(cache, fp, 8, 2) == [False, True]
    m0 = encode_shard(cache, fp, 8, 0, 2, _rows)
    assert shards_done(cache, fp, 8, 2) == [True, True]
    assert read_manifest(m1)["start"] == 3 and read_manifest(m1)["stop"] == 8 and m0.name == "shard-00000-of-00002.json"

    def fail(a, b):
        raise AssertionError("the single-process cache must find every shard's chunks")

    merged = merge_shards(cache, fp, 8, [m0, m1])
    direct = cache.encode(fp, 8, fail, show_progress=False)  # what a run without shards reads
    assert merged[:, 0].toarray().ravel().tolist() == list(range(1, 9))
    for name in ("data", "indices", "indptr"):
        a, b = getattr(merged, name), getattr(direct, name)
        assert a.dtype == b.dtype and np.array_equal(a, b), name


def test_assembled_chunks_equal_vstack(tmp_path):
    rng = np.random.default_rng(3)
    parts = [sp.random(n, 40, density=0.2, format="csr", random_state=rng, dtype=np.float32) for n in (5, 0, 7, 3)]
    paths = []
    for i, part in enumerate(parts):
        paths.append(tmp_path / f"chunk-{i:06d}.npz")
        sp.save_npz(paths[-1], part, compressed=False)
    stacked, assembled = sp.vstack(parts, format="csr"), assemble_chunks(paths, [5, 0, 7, 3])
    assert assembled.shape == (15, 40) and assembled.dtype == np.float32
    for name in ("data", "indices", "indptr"):
        assert np.array_equal(getattr(assembled, name), getattr(stacked, name)), name
    with pytest.raises(UserError, match="holds 7 documents where 6 are expected"):
        assemble_chunks(paths, [5, 0, 6, 3])


def test_merge_refuses_a_shard_of_another_model_or_corpus(tmp_path):
    cache = CorpusCache(tmp_path, chunk_size=2)
    fp = {"weights": "w1", "pooling": "max", "corpus": "c1"}
    m0 = encode_shard(cache, fp, 4, 0, 2, _rows)
    encode_shard(cache, fp, 4, 1, 2, _rows)
    other = encode_shard(cache, {**fp, "weights": "w2"}, 4, 1, 2, _rows)
    with pytest.raises(UserError) as err:
        merge_shards(cache, fp, 4, [m0, other])
    message = str(err.value)
    assert str(other) in message and "shard 1/2" in message and "model weights" in message and "\n" not in message
    bad_corpus = encode_shard(cache, {**fp, "corpus": "c2"}, 4, 0, 2, _rows)
    with pytest.raises(UserError, match="corpus"):
        merge_shards(cache, fp, 4, [bad_corpus])
    assert merge_shards(cache, fp, 4, [m0]).shape == (4, 1)


def test_merge_refuses_missing_rows_and_bad_manifests(tmp_path):
    cache = CorpusCache(tmp_path, chunk_size=2)
    fp = {"weights": "w1"}
    m0 = encode_shard(cache, fp, 6, 0, 3, _rows)
    with pytest.raises(UserError, match="rows 2-3 are in no encoded shard"):
        merge_shards(cache, fp, 6, [m0])
    m0.write_text("{not json")
    with pytest.raises(UserError, match="unreadable shard manifest"):
        merge_shards(cache, fp, 6, [m0])
    assert manifest_path(tmp_path, 0, 3) == tmp_path / "shard-00000-of-00003.json"


def test_fingerprint_difference_names_the_setting():
    assert fingerprint_difference({"a": 1}, {"a": 1}) is None
    assert fingerprint_difference({"doc_max_length": 128}, {"doc_max_length": 256}) == \
        "document max length (128 where 256 is expected)"
    assert fingerprint_difference({"weights": "a" * 40}, {"weights": "b" * 40}).startswith("model weights")


def _corpus(tmp_path, n_docs):
    return random_beir(tmp_path / "corpus", n_docs, 8, 12, 1)


def test_cli_shards_then_a_plain_run_encodes_nothing(tiny_mlm, tmp_path, capsys, caplog):
    data = _corpus(tmp_path, 45)
    common = ["--model", str(tiny_mlm), "--datasets", str(data), "--cache-chunk-size", "10", "--name", "tiny", "-q"]
    sharded = common + ["--cache-dir", str(tmp_path / "cache"), "--output", str(tmp_path / "sharded")]
    assert run_cli(main, sharded + ["--shard", "1/2", "--workers", "1"]) == 0  # this shard in a worker process
    out = capsys.readouterr().out
    assert "shard 1/2 (documents 20-44 of 45)" in out and "remaining shards: 0 (of 2)" in out
    assert not (tmp_path / "sharded").exists()  # --shard evaluates nothing
    assert run_cli(main, sharded + ["--shard", "0/2"]) == 0
    assert "all shards are cached" in capsys.readouterr().out
    with caplog.at_level("INFO"):
        assert run_cli(main, sharded) == 0
    assert "corpus cache hit" in caplog.text and "already encoded, resuming" not in caplog.text

    single = common + ["--cache-dir", str(tmp_path / "cache-single"), "--output", str(tmp_path / "single")]
    assert run_cli(main, single) == 0
    a, b = (json.loads((tmp_path / d / "tiny" / "corpus.json").read_text()) for d in ("sharded", "single"))
    assert a["metrics"] == b["metrics"] and a["flops"] == b["flops"] and a["nnz_doc"] == b["nnz_doc"]
    run_files = [(tmp_path / d / "tiny" / "corpus.run.gz").read_bytes() for d in ("sharded", "single")]
    assert run_files[0] == run_files[1]


@pytest.mark.parametrize("extra, message", [
    (["--shard", "2/2"], "numbered 0 to N-1"),
    (["--shard", "0/2", "--no-cache"], "drop --no-cache"),
    (["--shard", "0/2", "--backend", "ray"], "use one or the other"),
    (["--workers", "0"], "at least 1"),
    (["--workers", "2", "--backend", "ray"], "--workers applies to --backend local"),
    (["--workers", "2", "--model", "bm25"], "apply to SPLADE models"),
])
def test_cli_scaling_mistakes_are_one_line(extra, message, small_beir, tmp_path, capsys):
    code = run_cli(main, ["--datasets", str(small_beir), "--output", str(tmp_path / "r"), "-q",
                          "--cache-dir", str(tmp_path / "cache"), *extra])
    err = capsys.readouterr().err
    assert code == 2 and message in err and err.count("\n") == 1, err
    assert not list((tmp_path / "r").rglob("*.json"))
