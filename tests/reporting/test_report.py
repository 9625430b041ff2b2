"""The report data of a config evaluated for real: explanations that add up to the run files' scores, the
drill-down's rankings and misses, notes where vectors are missing, the cap on embedded queries, the command."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from splade_beir.cli import run_cli
from splade_beir.config import load_config
from splade_beir.data.loader import load_folder
from splade_beir.data.names import DEMO_DIR
from splade_beir.encode.cache import CorpusCache
from splade_beir.evaluation.result import Result
from splade_beir.evaluation.store import ResultStore
from splade_beir.report import main
from splade_beir.reporting.explain import explain_pair
from splade_beir.reporting.report import build_report
from splade_beir.reporting.vectors import NoVectors, open_vectors


@pytest.fixture(scope="module")
def report(report_demo) -> dict:
    config, cache = report_demo
    return build_report(load_config(config), cache_dir=cache)


def test_every_explained_pair_adds_up_to_the_run_files_score(report_demo):
    """Unrounded: the contributions of every (query, top-10 document) pair of each SPLADE row, from the
    cached vectors, sum to the score its run file holds (float32 search, float64 sum)."""
    config, cache = report_demo
    cfg = load_config(config)
    store, dataset = ResultStore(cfg.output), load_folder(DEMO_DIR)
    checked = 0
    for name in ("splade-tiny-max", "splade-tiny-sum"):
        result = store.read(name, "demo")
        vectors = open_vectors(result, dataset, CorpusCache(cache))
        rows = {d: i for i, d in enumerate(dataset.doc_ids)}
        run = store.read_run(name, "demo")
        for qid in dataset.queries:
            hits = run.ranked(qid)[:10]
            docs = vectors.docs(rows[d] for d, _ in hits)
            for doc, score in hits:
                x = explain_pair(vectors.query(qid), docs[rows[doc]], vectors.vocabulary)
                assert x.score == pytest.approx(score, rel=1e-6, abs=1e-6)
                assert sum(c.product for c in x.terms) == pytest.approx(score, rel=1e-6, abs=1e-6)
                checked += 1
    assert checked >= 2 * 20 * 10 - 20


def test_the_embedded_explanations_match_the_rankings(report):
    [cmp] = report["comparisons"]
    rows = {r["label"]: r for r in cmp["rows"]}
    assert [r["explain"] for r in cmp["rows"]] == [True, True, False, False]  # A, C: SPLADE; D: BM25; A+D
    assert "BM25 scores are not sums" in rows["D"]["note"] and "ensemble" in rows["A+D"]["note"]
    pairs = 0
    for qid, q in cmp["queries"].items():
        for label in ("A", "C"):
            x = q["explain"][label]
            for doc, (score, terms, n_rest, rest) in x["docs"].items():
                assert sum(t[3] for t in terms) + rest == pytest.approx(score, abs=1e-4 * (len(terms) + 1))
                assert all(t[3] == pytest.approx(t[1] * t[2], abs=1e-4 * (t[1] + t[2])) for t in terms)
                run = dict(q["top"][label]) | {m[0]: m[2] for m in q["missed"][label] if m[2] is not None}
                if doc in run:
                    assert score == pytest.approx(run[doc], rel=1e-5, abs=1e-5)
                pairs += 1
            assert {d for d, _ in q["top"]["D"][:3]} <= set(x["docs"])  # every list's top 3 is explained
            own = {t for t, _ in x["text"]}
            assert own.isdisjoint(t for t, _ in x["expansion"])
    assert pairs > 100


def test_rankings_grades_and_missed_documents(report_demo, report):
    config, _ = report_demo
    store = ResultStore(load_config(config).output)
    [cmp] = report["comparisons"]
    dataset = load_folder(DEMO_DIR)
    for label, name, ensemble in (("A", "splade-tiny-max", False), ("D", "bm25", False), ("A+D", "A+D", True)):
        run = store.read_run(name, "demo", ensemble)
        scores = store.read(name, "demo", ensemble).per_query
        assert cmp["scores"][label] == [round(scores[q]["nDCG@10"], 4) for q in cmp["qids"]]
        for qid, q in cmp["queries"].items():
            ranked = run.ranked(qid)
            assert [d for d, _ in q["top"][label]] == [d for d, _ in ranked[:10]]
            relevant = {d for d, g in dataset.qrels[qid].items() if g >= 1}
            missed = {m[0]: m[1] for m in q["missed"][label]}
            assert set(missed) == relevant - {d for d, _ in ranked[:10]}
            rank = {d: i + 1 for i, (d, _) in enumerate(ranked)}
            assert all(missed[d] == rank.get(d) for d in missed)
            assert q["grades"] == dataset.qrels[qid] and q["text"] == dataset.queries[qid]
    assert set(cmp["docs"]) >= {d for q in cmp["queries"].values() for hits in q["top"].values() for d, _ in hits}
    assert cmp["pairs"] == [["C", "A"], ["D", "A"], ["A+D", "A"]]  # every row against the baseline A


def test_tables_plot_and_generation_info(report):
    assert [t["id"] for t in report["tables"]] == ["seed", "ndcg", "flops", "ensembles", "significance"]
    assert report["plots"] and report["plots"][0]["svg"].lstrip().startswith("<?xml")
    assert report["generated"]["by"].startswith("splade_beir ")


def test_the_cap_keeps_the_largest_differences_and_says_so(report_demo, report):
    config, cache = report_demo
    capped = build_report(load_config(config), cache_dir=cache, max_queries=3)
    [cmp], [full] = capped["comparisons"], report["comparisons"]
    assert cmp["embedded"] == len(cmp["queries"]) == 3 and cmp["qids"] == full["qids"]
    assert "3 queries with the largest" in cmp["omitted"] and f"{len(cmp['qids']) - 3} of {len(cmp['qids'])}" in cmp["omitted"]
    spread = {q: max(abs(full["scores"][a][i] - full["scores"][b][i]) for a, b in full["pairs"])
              for i, q in enumerate(full["qids"])}
    assert min(spread[q] for q in cmp["queries"]) >= max(spread[q] for q in full["qids"] if q not in cmp["queries"])


def test_without_vectors_the_page_says_why_and_how(report_demo, tmp_path):
    config, cache = report_demo
    cfg = load_config(config)
    data = build_report(cfg, cache_dir=tmp_path / "empty-cache")
    rows = {r["label"]: r for r in data["comparisons"][0]["rows"]}
    assert not rows["A"]["explain"] and "are not in" in rows["A"]["note"] and "--cache-dir" in rows["A"]["note"]
    assert all("explain" not in q for q in data["comparisons"][0]["queries"].values())
    dataset = load_folder(DEMO_DIR)
    bare = Result("m", "demo", "splade", per_query={"q": {}})
    with pytest.raises(NoVectors, match="records no cached vectors.*--cache-dir"):
        open_vectors(bare, dataset, CorpusCache(cache))
    with pytest.raises(NoVectors, match="BM25 scores"):
        open_vectors(Result("b", "demo", "bm25"), dataset, CorpusCache(cache))


def test_a_changed_corpus_is_refused(report_demo, tmp_path, write_beir):
    config, cache = report_demo
    demo = load_folder(DEMO_DIR)
    corpus = {d: dict(demo.corpus[d]) for d in demo.doc_ids}
    corpus[demo.doc_ids[0]]["text"] += " edited"
    changed = load_folder(write_beir(tmp_path / "demo", corpus, dict(demo.queries),
                                     [(q, d, g) for q, rels in demo.qrels.items() for d, g in rels.items()]))
    result = ResultStore(load_config(config).output).read("splade-tiny-max", "demo")
    with pytest.raises(NoVectors, match="corpus of .* changed since it was evaluated"):
        open_vectors(result, changed, CorpusCache(cache))


def test_the_command_writes_one_file_and_loads_no_model(report_demo, tmp_path, capsys):
    config, cache = report_demo
    out = tmp_path / "r.html"
    assert run_cli(main, ["--config", str(config), "--cache-dir", str(cache), "--out", str(out),
                          "--compare", "C:A", "--max-queries", "5"]) == 0
    text = capsys.readouterr().out
    assert f"report written to {out}" in text and "KiB" in text and "score explanations for A, C" in text
    page = out.read_text()
    data = json.loads(page.split('id="report-data">')[1].split("</script>")[0])
    assert data["comparisons"][0]["pairs"] == [["C", "A"]] and data["comparisons"][0]["embedded"] == 5
    assert run_cli(main, ["--config", str(config), "--compare", "A:Z"]) == 2
    code = ("import sys; from splade_beir.report import main; "
            f"main(['--config', {str(config)!r}, '--cache-dir', {str(cache)!r}, '--out', {str(out)!r}]); "
            "print([m for m in ('torch', 'transformers', 'sentence_transformers', 'bm25s') if m in sys.modules])")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert run.stdout.strip().endswith("[]")
