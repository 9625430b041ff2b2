"""--shard by hand: each job encodes its chunks into a shared cache; a plain run then encodes nothing."""

import json

import pytest

from splade_beir.cli import run_cli
from splade_beir.evaluate import main


def test_cli_shards_then_a_plain_run_encodes_nothing(tiny_mlm, tmp_path, capsys, caplog, random_beir):
    data = random_beir(tmp_path / "corpus", 45, 8, 12, 1)
    common = ["--model", str(tiny_mlm), "--datasets", str(data), "--cache-chunk-size", "10", "--name", "tiny", "-q"]
    sharded = common + ["--cache-dir", str(tmp_path / "cache"), "--output", str(tmp_path / "sharded")]
    assert run_cli(main, sharded + ["--shard", "1/2", "--workers", "1"]) == 0  # this shard in a worker process
    out = capsys.readouterr().out
    assert "shard 1/2 (documents 20-44 of 45)" in out and "remaining shards: 0 (of 2)" in out
    assert not (tmp_path / "sharded").exists()  # --shard evaluates nothing
    assert run_cli(main, sharded + ["--shard", "0/2"]) == 0
    assert "all shards are cached" in capsys.readouterr().out
    chunk = sharded.index("--cache-chunk-size")
    final = sharded[:chunk] + sharded[chunk + 2:]  # the final run does not repeat the shards' chunk size
    with caplog.at_level("INFO"):
        assert run_cli(main, final) == 0
    assert "corpus cache hit" in caplog.text and "already encoded, resuming" not in caplog.text
    assert "(45 documents, nothing to encode)" in caplog.text  # the shards' entry, at their 10 per chunk

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
    (["--workers", "0"], "a positive integer"),
    (["--workers", "2", "--backend", "ray"], "--workers applies to --backend local"),
    (["--workers", "2", "--model", "bm25"], "apply to SPLADE models"),
])
def test_cli_scaling_mistakes_are_one_line(extra, message, small_beir, tmp_path, capsys):
    code = run_cli(main, ["--datasets", str(small_beir), "--output", str(tmp_path / "r"), "-q",
                          "--cache-dir", str(tmp_path / "cache"), *extra])
    err = capsys.readouterr().err
    assert code == 2 and message in err and err.count("\n") == 1, err
    assert not list((tmp_path / "r").rglob("*.json"))
