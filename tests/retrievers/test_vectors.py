"""splade_beir.retrievers.vectors: pre-encoded vectors evaluated with the exact search (kind ``vectors``)."""

import gzip
import json

import pytest

from splade_beir.cli import run_cli
from splade_beir.config import load_config
from splade_beir.data.loader import load_folder
from splade_beir.errors import UserError
from splade_beir.evaluation.api import evaluate, evaluate_config
from splade_beir.evaluation.store import ResultStore
from splade_beir.encode.cache import CorpusCache
from splade_beir.interop.exporter import export_result
from splade_beir.retrievers.registry import make_retriever

VOCAB = ["cat", "dog", "fish", "[CLS]"]
DOCS = {"d1": {"cat": 1.25, "dog": 0.5}, "d2": {"dog": 2.0}, "d3": {"fish": 0.75, "[CLS]": 0.1}}
QUERIES = {"q1": {"cat": 1.0, "dog": 0.5}, "q2": {"fish": 2.0}}


def run_text(root, name, dataset):
    return gzip.decompress(ResultStore(root).paths(name, dataset)[1].read_bytes())


def write_jsonl(path, rows):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps({"id": i, "vector": v}) + "\n" for i, v in rows.items()))


def test_a_float_export_gives_back_the_run_byte_for_byte(tiny_mlm, small_beir, tmp_path):
    original = evaluate(str(tiny_mlm), [str(small_beir)], name="tiny", output=tmp_path / "a",
                        cache_dir=tmp_path / "cache", show_progress=False)["small"]
    export_result(original, tmp_path / "vectors", "float", CorpusCache(tmp_path / "cache"))
    again = evaluate(str(tmp_path / "vectors"), [str(small_beir)], kind="vectors", name="tiny", output=tmp_path / "b",
                     show_progress=False)["small"]
    assert run_text(tmp_path / "b", "tiny", "small") == run_text(tmp_path / "a", "tiny", "small")
    for key in ("metrics", "per_query", "nnz_query", "nnz_doc", "n_docs", "n_queries"):
        assert getattr(again, key) == getattr(original, key), key
    assert again.flops == pytest.approx(original.flops, rel=1e-12)  # its columns are summed in another order
    assert again.kind == "vectors" and again.config["weights"] == "float" and again.vectors == {}
    assert again.config["source"]["quantization"]["name"] == "float"


def test_integer_impacts_score_their_exact_dot_products(cached_vectors, tmp_path):
    result, cache, data = cached_vectors(tmp_path, DOCS, QUERIES, VOCAB)
    export_result(result, tmp_path / "v", "100", cache)
    r = evaluate(str(tmp_path / "v"), [str(data)], kind="vectors", name="x", output=tmp_path / "out",
                 show_progress=False)["vec"]
    run = ResultStore(tmp_path / "out").read_run("x", "vec")
    assert run == {"q1": {"d1": 100 * 125 + 50 * 50, "d2": 50 * 200}, "q2": {"d3": 200 * 75}}
    assert r.config["weights"] == "integer" and r.config["score_dtype"] == "float32" and r.flops > 0


def test_scores_beyond_2_to_the_24_are_computed_in_float64(cached_vectors, tmp_path):
    write_jsonl(tmp_path / "v" / "corpus.jsonl", {"d1": {"a": 4097}, "d2": {"a": 1, "b": 3}})
    write_jsonl(tmp_path / "v" / "queries.jsonl", {"q1": {"a": 4097}})
    _, _, data = cached_vectors(tmp_path, {"d1": {"a": 1.0}, "d2": {"b": 1.0}}, {"q1": {"a": 1.0}}, ["a", "b"])
    r = evaluate(str(tmp_path / "v"), [str(data)], kind="vectors", output=tmp_path / "out", show_progress=False)
    assert r["vec"].config["score_dtype"] == "float64" and r["vec"].config["max_score_bound"] == 4097 * 4097
    assert ResultStore(tmp_path / "out").read_run("v", "vec")["q1"] == {"d1": 16785408.0, "d2": 4097.0}  # float32
    assert any("beyond 2**24" in w for w in r["vec"].warnings)


def test_missing_rows_are_empty_and_reported_extra_rows_ignored(cached_vectors, tmp_path):
    _, _, data = cached_vectors(tmp_path, DOCS, QUERIES, VOCAB)
    write_jsonl(tmp_path / "v" / "corpus" / "a.jsonl", {"d1": {"cat": 2}, "zz": {"cat": 9}})
    write_jsonl(tmp_path / "v" / "corpus" / "b.jsonl", {"d3": {"fish": 1}})
    (tmp_path / "v" / "queries.tsv").write_text("q1\tcat cat\nq9\tcat\n")
    r = evaluate(str(tmp_path / "v"), [str(data)], kind="vectors", output=tmp_path / "out", show_progress=False)["vec"]
    assert any("1 of the 3 documents of vec have no vector" in w for w in r.warnings)
    assert any("1 of the 2 judged queries of vec have no vector" in w for w in r.warnings)
    assert ResultStore(tmp_path / "out").read_run("v", "vec") == {"q1": {"d1": 4.0}}  # q2: no hit
    write_jsonl(tmp_path / "w" / "corpus.jsonl", {"other": {"cat": 1}})
    (tmp_path / "w" / "queries.tsv").write_text("q1\tcat\n")
    with pytest.raises(UserError, match="none of the 3 documents of vec is there"):
        evaluate(str(tmp_path / "w"), [str(data)], kind="vectors", output=tmp_path / "out", show_progress=False)


def test_patterns_and_explicit_files_from_a_config(cached_vectors, tmp_path):
    """pyserini's downloads: a corpus folder of .jsonl.gz parts and a topics TSV, named per dataset."""
    _, _, data = cached_vectors(tmp_path, DOCS, QUERIES, VOCAB)
    part = tmp_path / "dl" / "beir-v1.0.0-vec.splade-pp-ed" / "part00.jsonl.gz"
    part.parent.mkdir(parents=True)
    with gzip.open(part, "wt") as f:
        f.write("".join(json.dumps({"id": d, "contents": "", "vector": {t: round(w * 100) for t, w in v.items()}})
                        + "\n" for d, v in DOCS.items()))
    with gzip.open(tmp_path / "dl" / "topics.vec.tsv.gz", "wt") as f:
        f.write("q1\tcat dog dog\nq2\tfish\n")
    config = tmp_path / "c.yaml"
    config.write_text(f"""
datasets: [{data}]
output: {tmp_path / "results"}
models:
  - label: P
    kind: vectors
    name: pre-encoded
    options:
      corpus: {tmp_path}/dl/beir-v1.0.0-{{dataset}}.splade-pp-ed/*.jsonl.gz
      queries: {tmp_path}/dl/topics.{{dataset_dashed}}.tsv.gz
""")
    assert load_config(config).models[0].kind == "vectors"
    done = evaluate_config(config, show_progress=False)
    result = done["P"]["vec"]
    assert result.config["corpus_files"] == [str(part)] and result.config["weights"] == "integer"
    assert ResultStore(tmp_path / "results").read_run("pre-encoded", "vec") == {
        "q1": {"d1": 125 + 2 * 50, "d2": 2 * 200}, "q2": {"d3": 75}}


def test_a_folder_pattern_and_the_errors_that_name_what_is_missing(cached_vectors, tmp_path):
    _, _, data = cached_vectors(tmp_path, DOCS, QUERIES, VOCAB)
    write_jsonl(tmp_path / "exports" / "vec" / "corpus.jsonl", {"d1": {"cat": 1}})
    write_jsonl(tmp_path / "exports" / "vec" / "queries.jsonl", {"q1": {"cat": 1}})
    r = evaluate(str(tmp_path / "exports" / "{dataset}"), [str(data)], kind="vectors", name="p",
                 output=tmp_path / "out", show_progress=False)
    assert r["vec"].config["corpus_files"] == [str(tmp_path / "exports" / "vec" / "corpus.jsonl")]
    with pytest.raises(UserError, match="no such folder; --kind vectors takes --model FOLDER"):
        make_retriever("vectors", str(tmp_path / "nowhere"))
    with pytest.raises(UserError, match="vectors 'vectors': no such folder"):
        make_retriever("vectors")  # the kind's default model is a name, not a folder
    (tmp_path / "empty" / "vec").mkdir(parents=True)
    with pytest.raises(UserError, match="no corpus vectors"):
        evaluate(str(tmp_path / "empty"), [str(data)], kind="vectors", output=tmp_path / "out", show_progress=False)
    write_jsonl(tmp_path / "empty" / "vec" / "corpus.jsonl", {"d1": {"cat": 1}})
    with pytest.raises(UserError, match="no query vectors"):
        evaluate(str(tmp_path / "empty"), [str(data)], kind="vectors", output=tmp_path / "out", show_progress=False)
    with pytest.raises(UserError, match="nothing-here.*: no query vector files there"):
        make_retriever("vectors", str(tmp_path / "empty"), queries=str(tmp_path / "nothing-here*")).index_corpus(
            load_folder(data))
    with pytest.raises(UserError, match="a separate query model applies to SPLADE only"):
        make_retriever("vectors", str(tmp_path / "exports"), query_model="x")
    assert make_retriever("vectors", str(tmp_path / "exports"), pooling="max", doc_max_length=256).kind == "vectors"


def test_the_evaluate_command_takes_kind_vectors(cached_vectors, tmp_path, capsys):
    from splade_beir.evaluate import build_parser, main

    kinds = next(a for a in build_parser()._actions if a.dest == "kind").choices
    assert "vectors" in kinds
    result, cache, data = cached_vectors(tmp_path, DOCS, QUERIES, VOCAB)
    export_result(result, tmp_path / "v", "100", cache)
    assert run_cli(main, ["--kind", "vectors", "--model", str(tmp_path / "v"), "--datasets", str(data),
                          "--output", str(tmp_path / "out"), "-q"]) == 0
    assert "| vec " in capsys.readouterr().out


@pytest.mark.slow
def test_msmarco_5k_round_trip(msmarco_5k_tiny_cached, msmarco_5k, tmp_path):
    """The acceptance figures: float vectors give the run back byte for byte; x100 impacts keep nDCG@10
    within 0.002."""
    results, cache = msmarco_5k_tiny_cached
    original = ResultStore(results).read("splade-tiny", "msmarco-5k")
    for mode in ("float", "100", "pyserini"):
        export_result(original, tmp_path / mode, mode, CorpusCache(cache))
        again = evaluate(str(tmp_path / mode), [str(msmarco_5k)], kind="vectors", name="splade-tiny",
                         output=tmp_path / f"out-{mode}", relevance_levels=2, show_progress=False)["msmarco-5k"]
        if mode == "float":
            assert run_text(tmp_path / f"out-{mode}", "splade-tiny", "msmarco-5k") == \
                run_text(results, "splade-tiny", "msmarco-5k")
            assert again.metrics == original.metrics and again.per_query == original.per_query
            assert again.flops == pytest.approx(original.flops, rel=1e-12)  # columns summed in another order
        else:  # measured: +0.0002 (x100), +0.0017 (x51.2)
            assert abs(again.value("nDCG@10") - original.value("nDCG@10")) < (0.002 if mode == "100" else 0.005)
