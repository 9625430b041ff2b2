"""splade_beir.retrievers.splade: encode + exact search + FLOPS, with a corpus cache or a temporary one."""

import os

import pytest

from splade_beir.data.loader import load_folder
from splade_beir.encode.cache import CorpusCache
from splade_beir.encode.encoder import SpladeEncoder
from splade_beir.evaluation.cost import flops
from splade_beir.retrievers.registry import make_retriever
from splade_beir.retrievers.splade import SpladeRetriever


@pytest.fixture(scope="module")
def encoder(tiny_mlm):
    return SpladeEncoder(str(tiny_mlm), show_progress=False)


class Counting:
    """Wraps an encoder's ``encode_texts`` to count the texts it encodes."""

    def __init__(self, encoder, monkeypatch):
        self.n = 0
        real = encoder.encode_texts

        def counted(texts, *args, **kwargs):
            self.n += len(texts)
            return real(texts, *args, **kwargs)

        monkeypatch.setattr(encoder, "encode_texts", counted)


def test_retrieval_with_a_cache_encodes_the_corpus_once(encoder, small_beir, tmp_path, monkeypatch):
    ds = load_folder(small_beir)
    cache = CorpusCache(tmp_path / "cache", chunk_size=2)
    counting = Counting(encoder, monkeypatch)
    first = SpladeRetriever(encoder, cache=cache, batch_size=2, show_progress=False).retrieve(ds, top_k=3)
    assert counting.n == 5 + 3  # the corpus, then the queries
    second = SpladeRetriever(encoder, cache=cache, batch_size=2, show_progress=False).retrieve(ds, top_k=3)
    assert counting.n == 5 + 3  # nothing: the corpus and the queries come from the cache
    assert second.run == first.run and second.stats == first.stats and second.vectors == first.vectors
    (folder, meta), = [(f, m) for f, m in cache.entries() if m["about"]["tower"] == "doc"]
    assert meta["about"]["dataset"] == "small" and meta["chunk_size"] == 2
    assert cache.find(first.vectors["corpus"]).folder == folder
    assert "q3" not in first.run["q3"] and all(len(hits) <= 3 for hits in first.run.values())
    assert first.stats["flops"] > 0 and first.stats["nnz_doc"] > 0 and first.stats["nnz_query"] > 0


def test_without_a_cache_a_temporary_one_is_used_and_removed(encoder, small_beir, tmp_path, monkeypatch):
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    (tmp_path / "tmp").mkdir()
    ds = load_folder(small_beir)
    retrieval = SpladeRetriever(encoder, cache=None, show_progress=False).retrieve(ds, top_k=5)
    assert os.listdir(tmp_path / "tmp") == []
    Q, D = encoder.encode_queries(list(ds.queries.values())), encoder.encode_corpus(list(ds.corpus.values()))
    assert retrieval.stats["flops"] == pytest.approx(flops(Q, D))
    assert not (tmp_path / "xdg").exists()  # the default cache is not touched


def test_make_retriever_passes_the_cache_and_threads(tiny_mlm, tmp_path):
    cache = CorpusCache(tmp_path)
    retriever = make_retriever(None, str(tiny_mlm), cache=cache, threads=1, pooling="sum", show_progress=False)
    assert isinstance(retriever, SpladeRetriever) and retriever.cache is cache
    assert retriever.searcher.threads == 1 and retriever.config["pooling"] == "sum"
    assert retriever.config["kind"] == "splade" and retriever.config["batch_size"] == 32
