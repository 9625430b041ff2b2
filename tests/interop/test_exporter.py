"""splade_beir.interop.exporter and ``python -m splade_beir.export``: a result's cached vectors as files."""

import json

import numpy as np
import pytest
import scipy.sparse as sp

from splade_beir.cli import run_cli
from splade_beir.encode.cache import CorpusCache
from splade_beir.errors import UserError
from splade_beir.evaluation.api import evaluate
from splade_beir.evaluation.result import Result
from splade_beir.evaluation.store import ResultStore
from splade_beir.export import main
from splade_beir.interop.exporter import export_result, write_queries
from splade_beir.interop.jsonvector import read_vectors


@pytest.fixture
def evaluated(tiny_mlm, small_beir, tmp_path):
    """The tiny model evaluated on the small BEIR folder, with a cache: ``(result, cache, results root)``."""
    out, cache = tmp_path / "results", tmp_path / "cache"
    result = evaluate(str(tiny_mlm), [str(small_beir)], name="tiny", output=out, cache_dir=cache,
                      show_progress=False)["small"]
    return result, CorpusCache(cache), out


def cached_matrices(result, cache):
    """The corpus and query matrices a result's cache entries hold, and the vocabulary."""
    entries = [cache.find(result.vectors[p]) for p in ("corpus", "queries")]
    return [e.assemble() for e in entries], entries[0].vocabulary()


VOCAB = ["[CLS]", "##ing", "cat", "a.b", "日本", "Straße", 'quo"te', "dog"]
DOCS = {"d1": {"[CLS]": 0.004, "cat": 1.2345, "日本": 0.5}, "d2": {"##ing": 2.5, "Straße": 0.015, 'quo"te': 0.3},
        "d3": {"dog": 0.025}, "d4": {"a.b": 0.001}}
QUERIES = {"q1": {"cat": 1.0, "dog": 0.7}, "q2": {"Straße": 0.25, "##ing": 1.5}}


def test_the_export_is_the_cached_vectors_quantized_in_corpus_and_query_order(cached_vectors, tmp_path):
    result, cache, data = cached_vectors(tmp_path, DOCS, QUERIES, VOCAB)
    manifest = export_result(result, tmp_path / "vectors", "100", cache)
    folder = tmp_path / "vectors" / "vec"
    assert sorted(p.name for p in folder.iterdir()) == ["corpus", "export.json", "queries.jsonl", "queries.tsv"]
    assert json.loads((folder / "export.json").read_text()) == manifest
    lines = [json.loads(line) for line in (folder / "corpus" / "part-00000.jsonl").read_text().splitlines()]
    assert lines == [  # rint(w * 100) in float32, half to even; 0 dropped; d4 keeps an empty vector
        {"id": "d1", "contents": "text of d1", "vector": {"cat": 123, "日本": 50}},
        {"id": "d2", "contents": "text of d2", "vector": {"##ing": 250, "Straße": 2, 'quo"te': 30}},
        {"id": "d3", "contents": "text of d3", "vector": {"dog": 2}},
        {"id": "d4", "contents": "text of d4", "vector": {}}]
    assert (folder / "queries.tsv").read_text() == "q1\t" + " ".join(["cat"] * 100 + ["dog"] * 70) + \
        "\nq2\t" + " ".join(["##ing"] * 150 + ["Straße"] * 25) + "\n"
    queries, tsv = read_vectors([folder / "queries.jsonl"]), read_vectors([folder / "queries.tsv"])
    assert queries.ids == tsv.ids == ["q1", "q2"] and queries.vocabulary == tsv.vocabulary
    assert (tsv.matrix != queries.matrix).nnz == 0
    assert manifest["quantization"]["factor"] == 100 and manifest["documents"] == 4 and manifest["queries"] == 2
    assert manifest["rounding"]["documents"]["dropped"] == 2 and manifest["rounding"]["queries"]["dropped"] == 0
    assert manifest["rounding"]["documents"]["max_abs_error"] == pytest.approx(0.005, abs=1e-6)
    assert manifest["max_score_bound"] == 150 * 250 + 25 * 2 and manifest["float32_exact"]
    assert manifest["vectors"] == result.vectors and manifest["warnings"] == []
    assert set(manifest["sha256"]) == {"corpus/part-00000.jsonl", "queries.jsonl", "queries.tsv"}


def test_ids_without_a_token_get_one_word_names_and_the_tsv_is_written(evaluated, tmp_path):
    result, cache, _ = evaluated  # the tiny test model has ids beyond its tokenizer: named "[id<N>]"
    manifest = export_result(result, tmp_path / "vectors", "100", cache)
    assert manifest["files"]["queries_tsv"] == "queries.tsv" and manifest["warnings"] == []
    docs = read_vectors([tmp_path / "vectors" / "small" / "corpus" / "part-00000.jsonl"])
    assert docs.ids == ["d1", "d2", "d3", "d4", "q3"] and docs.integer
    assert not any(ch.isspace() for token in docs.vocabulary for ch in token)
    queries = read_vectors([tmp_path / "vectors" / "small" / "queries.jsonl"])
    assert queries.ids == ["q1", "q2", "q3"]  # the judged queries, in order (q4 is not judged)


@pytest.mark.parametrize("token, query_id", [("two words", "q1"), ("tab\there", "q1"), ("cat", "q\t1")])
def test_whitespace_in_a_token_or_a_query_id_is_reported_and_keeps_the_tsv_out(tmp_path, token, query_id):
    vocabulary = ["[CLS]", token, "dog"]
    D = sp.csr_matrix(np.array([[0, 150, 0], [0, 0, 20]], dtype=np.float32))
    Q = sp.csr_matrix(np.array([[0, 100, 3]], dtype=np.float32))
    files, warnings = write_queries(tmp_path, {}, D, Q, vocabulary, True, False, [query_id], None)
    assert files["queries_tsv"] is None and not (tmp_path / "queries.tsv").exists()
    assert any("no queries.tsv" in w for w in warnings)
    assert any("contain whitespace" in w for w in warnings) == (token != "cat")


def test_a_float_export_writes_no_tsv_and_parts_are_replaced(evaluated, tmp_path):
    result, cache, _ = evaluated
    export_result(result, tmp_path / "v", "100", cache, docs_per_file=2, gzip=True)
    corpus = tmp_path / "v" / "small" / "corpus"
    assert sorted(p.name for p in corpus.iterdir()) == [f"part-0000{i}.jsonl.gz" for i in range(3)]
    manifest = export_result(result, tmp_path / "v", "float", cache, docs_per_file=10, gzip=True, contents=False)
    assert sorted(p.name for p in corpus.iterdir()) == ["part-00000.jsonl.gz"]
    assert manifest["files"]["queries_tsv"] is None and any("no queries.tsv" in w for w in manifest["warnings"])
    (D, _), _ = cached_matrices(result, cache)
    docs = read_vectors([corpus / "part-00000.jsonl.gz"])
    assert not docs.integer and np.array_equal(docs.matrix.data, D.data)  # float32, bit for bit


def test_what_cannot_be_exported_is_a_one_line_error(evaluated, tmp_path, small_beir):
    result, cache, _ = evaluated
    with pytest.raises(UserError, match="records no corpus vectors"):
        export_result(Result("bm25", "small", "bm25", data=str(small_beir)), tmp_path / "v", cache=cache)
    with pytest.raises(UserError, match="is not in .*other-cache"):
        export_result(result, tmp_path / "v", cache=CorpusCache(tmp_path / "other-cache"))
    with pytest.raises(UserError, match="its dataset 'nowhere' is not found"):
        export_result(Result(**{**result.__dict__, "data": "nowhere"}), tmp_path / "v", cache=cache)
    corpus = small_beir / "corpus.jsonl"
    corpus.write_text(corpus.read_text().replace("fish in the river", "fish in the sea"))
    with pytest.raises(UserError, match="encoded from other ids or texts"):
        export_result(result, tmp_path / "v", cache=cache)


def test_the_command_takes_files_or_a_name_and_datasets(evaluated, tmp_path, small_beir, capsys):
    result, cache, out = evaluated
    args = ["--output", str(tmp_path / "v"), "--cache-dir", str(cache.root)]
    assert run_cli(main, [str(out / "tiny" / "small.json"), *args]) == 0
    printed = capsys.readouterr().out
    assert "small: 5 documents, 3 queries" in printed and "weight error max" in printed
    assert run_cli(main, ["--name", "tiny", "--datasets", str(small_beir), "--results", str(out), *args,
                          "--quantization", "pyserini"]) == 0
    assert "round(w / 5 * 256)" in capsys.readouterr().out
    assert run_cli(main, [str(out / "tiny" / "small.json"), "--name", "tiny", *args]) == 2
    assert run_cli(main, [*args]) == 2
    assert run_cli(main, [str(out / "tiny" / "small.json"), *args, "--quantization", "-1"]) == 2
    assert run_cli(main, [str(out / "tiny" / "small.json"), *args, "--quantization", "float", "--check-pisa"]) == 2
    assert "error: --check-pisa needs integer impacts" in capsys.readouterr().err


def test_a_mean_over_forums_exports_each_forum(evaluated, tmp_path, capsys):
    result, cache, out = evaluated
    ResultStore(out).write(Result.mean("tiny", "cqa", [result, result]))
    assert run_cli(main, [str(out / "tiny" / "cqa.json"), "--output", str(tmp_path / "v"),
                          "--cache-dir", str(cache.root)]) == 0
    assert capsys.readouterr().out.count("small: 5 documents") == 2
