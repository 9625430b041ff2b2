"""The shard plan: rows per shard on chunk boundaries, the --shard syntax, fingerprint differences."""

import random

import pytest

from splade_beir.errors import UserError
from splade_beir.scale.plan import fingerprint_difference, parse_shard, shard_chunks, shard_range


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


def test_fingerprint_difference_names_the_setting():
    assert fingerprint_difference({"a": 1}, {"a": 1}) is None
    assert fingerprint_difference({"doc_max_length": 128}, {"doc_max_length": 256}) == \
        "document max length (128 where 256 is expected)"
    assert fingerprint_difference({"weights": "a" * 40}, {"weights": "b" * 40}).startswith("model weights")
