"""A real engine, PISA (pyterrier-pisa, the [engines] extra), against the exact search on the same impacts."""

import json
import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from splade_beir.cli import run_cli
from splade_beir.errors import UserError
from splade_beir.export import main
from splade_beir.interop.engines.crosscheck import ALGORITHMS, crosscheck_pisa
from splade_beir.interop.engines.pisa import PisaEngine, pisa_token
from splade_beir.interop.jsonvector import read_vectors

# Tokens that must reach PISA unchanged: wordpieces, BERT's specials, case, non-ASCII, punctuation.
SPECIAL = ["##ing", "[unused0]", "a.b", "$", "[CLS]", "[SEP]", "ABC", "Straße", "é", "日本", "can't", "#", "^",
           "^a", "A", "a", "İ", "1,000", "π"]


@pytest.fixture(scope="module")
def pisa():
    return pytest.importorskip("pyterrier_pisa", reason="PISA is the [engines] extra: pip install -e '.[engines]'")


@given(st.text(min_size=1, max_size=6), st.text(min_size=1, max_size=6))
def test_the_token_escape_is_injective_and_leaves_no_upper_case_ascii(a, b):
    assert (pisa_token(a) == pisa_token(b)) == (a == b)
    assert not any("A" <= c <= "Z" or c in "\n\r" for c in pisa_token(a))


def write(folder, docs, queries):
    (folder / "corpus").mkdir(parents=True)
    (folder / "corpus" / "part-00000.jsonl").write_text(
        "".join(json.dumps({"id": d, "contents": "", "vector": v}, ensure_ascii=False) + "\n" for d, v in docs.items()))
    (folder / "queries.tsv").write_text(
        "".join(f"{q}\t" + " ".join(t for t, w in v.items() for _ in range(w)) + "\n" for q, v in queries.items()))
    return folder


def synthetic(n_docs=1500, n_queries=80, seed=7):
    """SPLADE-like impacts with guaranteed ties (duplicate documents), special tokens, an empty document."""
    rng = random.Random(seed)
    vocab = [f"w{i}" for i in range(1500)] + [f"##p{i}" for i in range(300)] + SPECIAL
    weights = [1 / (r + 1) ** 0.8 for r in range(len(vocab))]
    docs = {f"doc{i}": {t: rng.randint(1, 300) for t in rng.choices(vocab, weights, k=rng.randint(10, 90))}
            for i in range(n_docs)}
    docs.update({f"dup{i}": dict(docs[f"doc{i}"]) for i in range(0, n_docs, 40)})
    docs.update({f"special{j}": {t: 1000 + j} for j, t in enumerate(SPECIAL)})
    docs["allspecial"] = dict.fromkeys(SPECIAL, 1)
    docs["empty"] = {}
    queries = {f"q{i}": {t: rng.randint(1, 300) for t in rng.choices(vocab, weights, k=rng.randint(2, 30))}
               for i in range(n_queries)}
    queries.update({f"qs{j}": {t: 1} for j, t in enumerate(SPECIAL)})
    queries["unknown"] = {"not-indexed": 3}
    return docs, queries


def test_pisa_equals_the_exact_search_on_every_query_but_for_ties(pisa, tmp_path):
    folder = write(tmp_path / "v", *synthetic())
    report = crosscheck_pisa(folder, tmp_path / "index", k=10, algorithms=ALGORITHMS)
    for algorithm, r in report["algorithms"].items():
        assert r["ok"], (algorithm, r["problems"])
        assert r["queries"] == 80 + len(SPECIAL) + 1 and r["identical"] + r["ties_only"] == r["queries"]
    assert report["algorithms"]["block_max_wand"]["ties_only"] > 0  # the duplicates tie, in some order
    assert report["documents"] == 1500 + 38 + len(SPECIAL) + 2


def test_every_special_token_finds_exactly_its_postings(pisa, tmp_path):
    docs, _ = synthetic(n_docs=200)
    queries = {f"qs{j}": {t: 1} for j, t in enumerate(SPECIAL)}
    folder = write(tmp_path / "v", docs, queries)
    indexed = PisaEngine(tmp_path / "index").index(read_vectors([folder / "corpus" / "part-00000.jsonl"]))
    found = indexed.search(read_vectors([folder / "queries.tsv"]), k=len(docs), algorithm="ranked_or")
    for j, t in enumerate(SPECIAL):
        want = {d: float(v[t]) for d, v in docs.items() if t in v}
        assert dict(found[f"qs{j}"]) == want, t


def test_float_weights_and_inexact_scores_are_refused(pisa, tmp_path):
    folder = write(tmp_path / "v", {"d": {"a": 5000}}, {"q": {"a": 4000}})
    with pytest.raises(UserError, match="beyond 2\\*\\*24"):
        crosscheck_pisa(folder, tmp_path / "index")
    (tmp_path / "f.jsonl").write_text('{"id": "d", "vector": {"a": 1.5}}\n')
    with pytest.raises(UserError, match="PISA indexes integer impacts"):
        PisaEngine(tmp_path / "index2").index(read_vectors([tmp_path / "f.jsonl"]))


def test_the_export_command_checks_demo_with_pisa(pisa, demo_tiny_cached, tmp_path, capsys):
    results, cache = demo_tiny_cached
    assert run_cli(main, [str(results / "splade-tiny" / "demo.json"), "--output", str(tmp_path / "v"),
                          "--cache-dir", str(cache), "--check-pisa"]) == 0
    out = capsys.readouterr().out
    assert "top-10 of 20 queries EQUAL to the exact search's" in out


@pytest.mark.slow
@pytest.mark.parametrize("quantization", ["100", "pyserini"])
def test_pisa_on_msmarco_5k_equals_the_exact_search(pisa, msmarco_5k_tiny_cached, tmp_path, quantization):
    results, cache = msmarco_5k_tiny_cached
    assert run_cli(main, [str(results / "splade-tiny" / "msmarco-5k.json"), "--output", str(tmp_path / "v"),
                          "--cache-dir", str(cache), "--quantization", quantization]) == 0
    report = crosscheck_pisa(tmp_path / "v" / "msmarco-5k", tmp_path / "index", k=10, algorithms=ALGORITHMS)
    for r in report["algorithms"].values():
        assert r["ok"] and r["queries"] == 43, r["problems"]
    tsv = crosscheck_pisa(tmp_path / "v" / "msmarco-5k", tmp_path / "index2", k=10,
                          queries=str(tmp_path / "v" / "msmarco-5k" / "queries.tsv"))  # Anserini's query file
    assert tsv["algorithms"]["block_max_wand"]["ok"]
