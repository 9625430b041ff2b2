"""splade_beir.retrievers.bm25: scores against an independent Lucene BM25, tokenization, options."""

import math
import sys
from pathlib import Path

import pytest

from splade_beir.data.loader import Dataset
from splade_beir.errors import UserError
from splade_beir.retrievers.registry import make_retriever

# Every word is lowercase, at least two letters long and no stop word, so that with stemming and
# stop words off, bm25s's tokens are exactly str.split().
CORPUS = {
    "d1": "cat dog cat",
    "d2": "dog fish",
    "d3": "bird tree river mountain",
    "d4": "cat cat cat fish river",
    "d5": "music",
}
QUERIES = {"q1": "cat", "q2": "dog fish", "q3": "cat cat river", "q4": "zebra", "q5": "music bird fish"}
PLAIN = {"stemmer": "none", "stopwords": "none"}  # None would keep the defaults (see make_retriever)


def dataset(corpus=CORPUS, queries=QUERIES) -> Dataset:
    docs = {d: {"title": "", "text": t} for d, t in corpus.items()}
    return Dataset("hand", Path("."), "test", docs, dict(queries), {q: {} for q in queries})


def lucene_bm25(corpus: dict[str, str], query: str, k1: float, b: float) -> dict[str, float]:
    """The Lucene (>= 8) BM25 formula, computed from scratch; documents scoring 0 are left out."""
    docs = {d: text.split() for d, text in corpus.items()}
    n, avgdl = len(docs), sum(len(t) for t in docs.values()) / len(docs)
    out = {}
    for d, tokens in docs.items():
        score = 0.0
        for term in query.split():  # a repeated query term counts again
            tf = tokens.count(term)
            if tf == 0:
                continue
            df = sum(term in t for t in docs.values())
            idf = math.log(1 + (n - df + 0.5) / (df + 0.5))
            score += idf * tf / (tf + k1 * (1 - b + b * len(tokens) / avgdl))
        if score > 0:
            out[d] = score
    return out


@pytest.fixture
def bm25s():
    return pytest.importorskip("bm25s", reason="BM25 needs the [bm25] extra")


def test_stemming_and_stop_words_can_be_off(bm25s):
    plain = make_retriever("bm25", show_progress=False, **PLAIN)
    assert (plain.config["stemmer"], plain.config["stopwords"]) == (None, None)
    assert plain.tokenize(["The Running dogs of a city"]) == [["the", "running", "dogs", "of", "city"]]
    assert plain.tokenize(list(CORPUS.values())) == [t.split() for t in CORPUS.values()]


def test_hand_computed_score(bm25s):
    # "cat" in d1: N=5, df=2 -> idf = ln(1 + 3.5/2.5) = ln 2.4 = 0.875469; tf=2, dl=avgdl=3
    # -> tf part = 2 / (2 + 0.9 * (0.6 + 0.4)) = 0.689655; score = 0.603772
    run = make_retriever("bm25", show_progress=False, **PLAIN).retrieve(dataset(queries={"q1": "cat"}), top_k=10).run
    assert run["q1"]["d1"] == pytest.approx(0.6037715, rel=1e-6)


@pytest.mark.parametrize("k1,b", [(0.9, 0.4), (1.2, 0.75), (0.0, 0.0), (2.0, 1.0)])
def test_scores_match_an_independent_lucene_bm25(bm25s, k1, b):
    retriever = make_retriever("bm25", k1=k1, b=b, show_progress=False, **PLAIN)
    run = retriever.retrieve(dataset(), top_k=10).run
    for qid, query in QUERIES.items():
        expected = lucene_bm25(CORPUS, query, k1, b)
        assert set(run[qid]) == set(expected), qid  # only documents sharing a token, all of them
        for d, score in expected.items():
            assert run[qid][d] == pytest.approx(score, rel=1e-5), (qid, d)
    assert run["q4"] == {}


def test_defaults_are_anserini_like(bm25s):
    config = make_retriever("bm25").config
    assert (config["k1"], config["b"], config["method"]) == (0.9, 0.4, "lucene")
    assert (config["stemmer"], config["stopwords"]) == ("porter", "en")
    # options set to None keep their defaults (the CLI passes every option, unset ones as None)
    assert make_retriever("bm25", k1=None, stemmer=None, stopwords=None).config == config


def test_tokenization_stems_and_drops_stop_words(bm25s):
    retriever = make_retriever("bm25", show_progress=False)
    assert retriever.tokenize(["The Running dogs of a city", "x"]) == [["run", "dog", "citi"], []]
    docs = {"d1": "A dog was running", "d2": "cats sleep"}
    run = retriever.retrieve(dataset(docs, {"q1": "runs", "q2": "the"}), top_k=10).run
    assert list(run["q1"]) == ["d1"] and run["q2"] == {}


def test_top_k_ties_and_own_id(bm25s):
    docs = {"a": "cat", "q1": "cat", "b": "cat", "c": "cat fish", "d": "dog"}
    retriever = make_retriever("bm25", show_progress=False, **PLAIN)
    run = retriever.retrieve(dataset(docs, {"q1": "cat"}), top_k=2).run
    # equal scores keep the corpus order; the document named like the query is dropped (BEIR)
    assert list(run["q1"]) == ["a", "b"]


@pytest.mark.parametrize("docs", [{"a": "", "b": "  "}, {"a": "the of and", "b": "a an"}, {"a": "x y z"}])
def test_a_corpus_without_a_single_token_retrieves_nothing(bm25s, docs):
    """bm25s cannot index it (a traceback once); no query term can match, so the run is empty."""
    run = make_retriever("bm25", show_progress=False).retrieve(dataset(docs, {"q1": "cat", "q2": ""}), top_k=5).run
    assert all(not hits for hits in run.values())


def test_retrieval_has_no_flops(bm25s):
    retrieval = make_retriever("bm25", show_progress=False).retrieve(dataset(), top_k=5)
    assert retrieval.stats == {"flops": None, "nnz_query": None, "nnz_doc": None}
    assert set(retrieval.timings) == {"encode_corpus_s", "encode_queries_s", "search_s"}


def test_options(bm25s):
    # the CLI passes SPLADE's options to every kind: BM25 drops them
    retriever = make_retriever("bm25", "bm25", pooling="max", query_max_length=256, doc_max_length=256,
                               dtype=None, device="cpu", batch_size=8, trust_remote_code=False, k1=1.5)
    assert retriever.kind == "bm25" and retriever.config["k1"] == 1.5
    assert make_retriever(None, "bm25").kind == "bm25"
    with pytest.raises(UserError, match="'k3' does not apply to a bm25 model"):
        make_retriever("bm25", k3=1.0)
    with pytest.raises(UserError, match="use --model bm25"):
        make_retriever("bm25", "naver/splade-v3")
    with pytest.raises(UserError, match="SPLADE only"):
        make_retriever("bm25", query_model="other")
    for bad in ({"k1": -1}, {"b": 1.5}, {"method": "okapi"}, {"stemmer": "klingon"}, {"stopwords": "fr"}):
        with pytest.raises(UserError, match="BM25"):
            make_retriever("bm25", **bad)


def test_missing_extra_is_one_line(monkeypatch):
    monkeypatch.setitem(sys.modules, "bm25s", None)  # makes `import bm25s` fail
    with pytest.raises(UserError) as info:
        make_retriever("bm25")
    assert str(info.value) == "BM25 needs the [bm25] extra: pip install 'splade-beir[bm25]'"
