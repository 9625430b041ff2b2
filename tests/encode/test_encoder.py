"""splade_beir.encode.encoder: texts -> CSR, against the dense reference; checkpoints and options."""

import json

import numpy as np
import pytest
import scipy.sparse as sp

import splade_beir.encode.encoder as encoder_module
from splade_beir.encode.encoder import SpladeEncoder
from splade_beir.errors import UserError

TEXTS = ["the cat and the dog", "sparse retrieval", "", "music science history water fire energy light sound",
         "a tree", "dog dog dog"]


@pytest.fixture(scope="module")
def tiny_encoder(tiny_mlm):
    return SpladeEncoder(str(tiny_mlm), show_progress=False)


def test_csr_shape_dtype_and_order(tiny_encoder):
    M = tiny_encoder.encode_queries(TEXTS, batch_size=2)
    assert isinstance(M, sp.csr_matrix)
    assert M.shape == (len(TEXTS), tiny_encoder.vocab_size) and M.dtype == np.float32
    assert M.has_sorted_indices and (M.data > 0).all()
    one_by_one = sp.vstack([tiny_encoder.encode_queries([t]) for t in TEXTS])
    assert abs(M - one_by_one).max() < 1e-6  # batches are length-sorted, rows come back in input order


@pytest.mark.parametrize("pooling", ["max", "sum"])
def test_fast_path_equals_dense_reference(tiny_mlm, pooling):
    enc = SpladeEncoder(str(tiny_mlm), pooling=pooling, show_progress=False)
    fast = enc.encode_texts(TEXTS * 3, enc.doc, batch_size=4)
    ref = enc.encode_texts(TEXTS * 3, enc.doc, batch_size=4, reference=True)
    assert fast.nnz > 0 and abs(fast - ref).max() <= 1e-5


def test_progress_is_told_each_batch_and_the_empty_texts(tiny_encoder):
    told = []
    tiny_encoder.encode_texts(TEXTS * 3, tiny_encoder.doc, batch_size=4, progress=told.append)
    assert told == [4, 4, 4, 3, 3]  # 15 real texts in batches of 4, then the 3 empty ones at once


def test_padding_never_contributes(tiny_encoder):
    alone = tiny_encoder.encode_queries(["a tree"]).toarray()
    padded = tiny_encoder.encode_queries(["a tree", "the cat and the dog and the fish in the river"]).toarray()[0]
    assert np.allclose(alone[0], padded, atol=1e-6)


def test_empty_text_is_zero_vector(tiny_encoder):
    M = tiny_encoder.encode_queries(["", "cat", "   \n"])
    assert M.shape[0] == 3 and M[0].nnz == 0 and M[2].nnz == 0 and M[1].nnz > 0


def test_document_text_is_title_space_text(tiny_encoder):
    a = tiny_encoder.encode_corpus([{"title": "cat", "text": "dog"}])
    b = tiny_encoder.encode_corpus(["cat dog"])
    c = tiny_encoder.encode_corpus({"title": ["cat"], "text": ["dog"]})
    assert abs(a - b).max() == 0 and abs(a - c).max() == 0


def test_max_length_truncates(tiny_mlm):
    enc = SpladeEncoder(str(tiny_mlm), query_max_length=3, doc_max_length=64, show_progress=False)
    long = "cat dog fish bird tree"
    assert abs(enc.encode_queries([long]) - enc.encode_queries(["cat"])).max() < 1e-6  # [CLS] cat [SEP]
    assert abs(enc.encode_corpus([long]) - enc.encode_corpus(["cat"])).max() > 0


def test_separate_query_model(tiny_mlm):
    enc = SpladeEncoder(str(tiny_mlm), query_model=str(tiny_mlm), show_progress=False)
    assert enc.query.model is not enc.doc.model
    assert abs(enc.encode_queries(TEXTS) - enc.encode_corpus(TEXTS)).max() < 1e-6


def test_never_a_dense_corpus_matrix(tiny_encoder, monkeypatch):
    """Dense blocks exist only batch by batch: no (n_texts x vocab) array is ever built."""
    rows_seen = []
    real = encoder_module.to_csr
    monkeypatch.setattr(encoder_module, "to_csr", lambda dense: rows_seen.append(dense.shape[0]) or real(dense))
    M = tiny_encoder.encode_corpus(TEXTS * 10, batch_size=4)
    assert M.shape[0] == 60 and max(rows_seen) <= 4
    assert sum(rows_seen) == 50  # the 10 empty texts never reach the model


def test_bfloat16_close_to_float32(tiny_mlm):
    fp32 = SpladeEncoder(str(tiny_mlm), show_progress=False).encode_corpus(TEXTS)
    bf16 = SpladeEncoder(str(tiny_mlm), dtype="bfloat16", show_progress=False).encode_corpus(TEXTS)
    assert bf16.dtype == np.float32 and abs(fp32 - bf16).max() < 0.1


def test_fingerprint_decides_the_vectors(tiny_mlm, tiny_encoder):
    fp = tiny_encoder.fingerprint()
    assert fp == SpladeEncoder(str(tiny_mlm), show_progress=False).fingerprint()  # the same weights, the same key
    assert fp["vocab_size"] == tiny_encoder.vocab_size and fp["pooling"] == "max"
    for other in ({"pooling": "sum"}, {"doc_max_length": 8}, {"dtype": "bfloat16"}):
        assert SpladeEncoder(str(tiny_mlm), show_progress=False, **other).fingerprint() != fp
    assert SpladeEncoder(str(tiny_mlm), query_max_length=8, show_progress=False).fingerprint() == fp  # queries only


def test_bad_model_and_options(tmp_path, tiny_mlm):
    with pytest.raises(UserError, match="model folder .*nope does not exist"):
        SpladeEncoder(str(tmp_path / "nope"))
    (tmp_path / "empty").mkdir()
    with pytest.raises(UserError, match="cannot load model .*empty.* as a masked-LM checkpoint"):
        SpladeEncoder(str(tmp_path / "empty"))
    with pytest.raises(UserError, match="pooling"):
        SpladeEncoder(str(tiny_mlm), pooling="mean")
    with pytest.raises(UserError, match="dtype"):
        SpladeEncoder(str(tiny_mlm), dtype="int8")


def test_checkpoint_without_mlm_head_is_rejected(tmp_path, tiny_mlm):
    from transformers import BertModel

    BertModel.from_pretrained(tiny_mlm).save_pretrained(tmp_path / "body-only")
    for f in ("vocab.txt", "tokenizer.json", "tokenizer_config.json"):
        if (tiny_mlm / f).exists():
            (tmp_path / "body-only" / f).write_bytes((tiny_mlm / f).read_bytes())
    with pytest.raises(UserError, match="masked-LM head"):
        SpladeEncoder(str(tmp_path / "body-only"))


@pytest.mark.slow  # splade-tiny on 64 msmarco passages, twice: over 10 s on 2 cores
def test_splade_tiny_fast_equals_reference(splade_tiny, msmarco_5k):
    with open(msmarco_5k / "corpus.jsonl") as f:
        texts = [json.loads(next(f))["text"] for _ in range(64)]
    enc = SpladeEncoder(splade_tiny, show_progress=False)
    fast = enc.encode_texts(texts, enc.doc, 32)
    ref = enc.encode_texts(texts, enc.doc, 32, reference=True)
    assert fast.nnz > 64 * 50 and abs(fast - ref).max() <= 1e-5
