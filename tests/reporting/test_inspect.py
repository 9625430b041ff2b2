"""``python -m splade_beir.inspect``: term weights of a text, and explanations whose contributions add up to
the run file's score, from cached vectors (demo; msmarco-5k in a slow test) or from the model."""

from __future__ import annotations

import re

import pytest

from splade_beir.cli import run_cli
from splade_beir.config import load_config
from splade_beir.data.loader import load_folder
from splade_beir.encode.cache import CorpusCache
from splade_beir.evaluation.store import ResultStore
from splade_beir.inspect import main
from splade_beir.reporting.explain import explain_pair
from splade_beir.reporting.vectors import open_vectors


def numbers(line: str) -> list[float]:
    return [float(x) for x in re.findall(r"-?\d+\.\d+", line)]


def explained(out: str) -> tuple[float, float | None, list[float], float]:
    """``(score, run score, the contributions listed, the sum line)`` of an explanation's text."""
    lines = out.splitlines()
    head = next(line for line in lines if line.startswith("score = "))
    score, *run = numbers(head.split("=")[-1])
    start = lines.index(head) + 2
    stop = next(i for i, line in enumerate(lines) if line.strip().startswith("sum "))
    products = [numbers(line)[-2] for line in lines[start:stop]]
    return score, (run[0] if run else None), products, numbers(lines[stop])[0]


@pytest.fixture(scope="module")
def demo(report_demo):
    config, cache = report_demo
    store = ResultStore(load_config(config).output)
    return store, cache, store.paths("splade-tiny-max", "demo")[0]


def test_explain_a_pair_from_cached_vectors_adds_up_to_the_run_file(demo, capsys):
    store, cache, result = demo
    run = store.read_run("splade-tiny-max", "demo")
    qid = "q01"
    (doc, run_score), *_ = run.ranked(qid)
    assert run_cli(main, ["--explain", qid, doc, "--result", str(result), "--cache-dir", str(cache), "--top", "0"]) == 0
    out = capsys.readouterr().out
    assert f"vectors: {result}" in out and "encoding with" not in out
    assert f"run file: rank 1, score {run_score:.6f}" in out
    score, listed_run, products, total = explained(out)
    assert score == pytest.approx(run_score, abs=2e-6) and listed_run == pytest.approx(run_score, abs=1e-6)
    assert sum(products) == pytest.approx(run_score, abs=1e-3) and total == pytest.approx(run_score, abs=1e-4)
    assert "other shared terms" not in out and "query expansion terms (not in its text):" in out


def test_the_top_contributions_and_the_rest_sum_to_the_score(demo, capsys):
    store, cache, result = demo
    run = store.read_run("splade-tiny-max", "demo")
    doc, run_score = run.ranked("q02")[1]
    assert run_cli(main, ["--explain", "q02", doc, "--result", str(result), "--cache-dir", str(cache), "--top", "3"]) == 0
    out = capsys.readouterr().out
    score, _, products, total = explained(out)
    assert len(products) == 4 and "other shared terms" in out  # 3 terms and the rest
    assert sum(products) == pytest.approx(score, abs=1e-3) and total == pytest.approx(run_score, abs=1e-4)


def test_document_and_query_weights_found_without_naming_a_result(report_demo, demo, capsys):
    config, cache = report_demo
    output = load_config(config).output
    assert run_cli(main, ["--doc-id", "d01", "--dataset", "demo", "--output", str(output), "--cache-dir", str(cache),
                          "--model", "splade-tiny", "--top", "5"]) == 0
    out = capsys.readouterr().out
    assert "vectors: " in out and "splade-tiny-max/demo.json" in out  # the first splade-tiny result found
    assert "document d01: Photosynthesis" in out and len(re.findall(r"^  \S+ +\d\.\d{4}", out, re.M)) == 5
    assert run_cli(main, ["--query-id", "q01", "--dataset", "demo", "--output", str(output), "--cache-dir",
                          str(cache)]) == 0
    assert "query q01: how do plants make food from sunlight" in capsys.readouterr().out


def test_without_cached_vectors_the_model_encodes_the_same_vectors(demo, tmp_path, capsys):
    store, _, result = demo
    doc, run_score = store.read_run("splade-tiny-max", "demo").ranked("q03")[0]
    assert run_cli(main, ["--explain", "q03", doc, "--result", str(result), "--cache-dir", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "note: the vectors of" in out and "encoding with splade-tiny (" in out and "pooling=max" in out
    assert explained(out)[0] == pytest.approx(run_score, rel=1e-5)


def test_free_text_weights_match_the_encoder(splade_tiny, capsys):
    from splade_beir.encode.encoder import SpladeEncoder

    assert run_cli(main, ["--model", "splade-tiny", "what is a sparse retriever", "--top", "4"]) == 0
    out = capsys.readouterr().out
    encoder = SpladeEncoder("splade-tiny", show_progress=False)
    row = encoder.encode_queries(["what is a sparse retriever"])
    vocab = encoder.vocabulary()
    top = sorted(zip(row.indices, row.data), key=lambda x: -x[1])[:4]
    listed = re.findall(r"^  (\S+) +(\d\.\d{4})(?: +(yes))?$", out, re.M)
    assert [(t, float(w)) for t, w, _ in listed] == [(vocab[j], pytest.approx(w, abs=1e-4)) for j, w in top]
    assert ("sparse", "yes") in [(t, y) for t, _, y in listed] and ("dense", "") in [(t, y) for t, _, y in listed]
    assert f"{row.nnz} non-zero terms" in out


def test_mistakes_are_one_line(demo, capsys):
    _, cache, result = demo
    assert run_cli(main, []) == 2
    assert run_cli(main, ["--explain", "nope", "d01", "--result", str(result), "--cache-dir", str(cache)]) == 2
    assert "query 'nope' is not a judged query" in capsys.readouterr().err
    assert run_cli(main, ["--doc-id", "nope", "--dataset", "demo"]) == 2
    assert "document 'nope' is not in" in capsys.readouterr().err


@pytest.mark.slow
def test_msmarco_5k_explanations_add_up_to_the_run_file(msmarco_5k_tiny_cached, msmarco_5k, capsys):
    """Every (query, top-10 document) pair of splade-tiny on msmarco-5k: the contributions from the cached
    vectors sum to the run file's score; and the command's explanation of the first pair."""
    results, cache = msmarco_5k_tiny_cached
    store = ResultStore(results)
    result = store.read("splade-tiny", "msmarco-5k")
    dataset = load_folder(msmarco_5k, relevance_level=2)
    vectors = open_vectors(result, dataset, CorpusCache(cache))
    rows = {d: i for i, d in enumerate(dataset.doc_ids)}
    run = store.read_run("splade-tiny", "msmarco-5k")
    for qid in dataset.queries:
        hits = run.ranked(qid)[:10]
        docs = vectors.docs(rows[d] for d, _ in hits)
        for doc, score in hits:
            x = explain_pair(vectors.query(qid), docs[rows[doc]], vectors.vocabulary)
            assert sum(c.product for c in x.terms) == pytest.approx(score, rel=1e-6)
    qid = next(iter(dataset.queries))
    doc, score = run.ranked(qid)[0]
    assert run_cli(main, ["--explain", qid, doc, "--result", str(store.paths("splade-tiny", "msmarco-5k")[0]),
                          "--cache-dir", str(cache), "--data-dir", str(msmarco_5k.parent)]) == 0
    assert explained(capsys.readouterr().out)[3] == pytest.approx(score, abs=1e-4)
