"""splade_beir.encode.encoder: texts -> CSR, against the dense reference; checkpoints and options."""

import json
import re

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
    with pytest.raises(UserError, match="model folder .*empty has no config.json"):
        SpladeEncoder(str(tmp_path / "empty"))
    (tmp_path / "empty" / "config.json").write_text("{}")
    with pytest.raises(UserError, match="cannot load model .*empty.* as a masked-LM checkpoint"):
        SpladeEncoder(str(tmp_path / "empty"))
    with pytest.raises(UserError, match="device 'tpu' is not one torch knows"):
        SpladeEncoder(str(tiny_mlm), device="tpu")
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


# --- the BEIR model interface ---------------------------------------------------------------------------------


def test_convert_to_tensor_and_show_progress_bar_as_beir_passes_them(tiny_encoder, capsys):
    import torch

    csr = tiny_encoder.encode_corpus(TEXTS)
    dense = tiny_encoder.encode_corpus(TEXTS, batch_size=4, show_progress_bar=False, convert_to_tensor=True)
    assert isinstance(dense, torch.Tensor) and dense.dtype == torch.float32 and dense.shape == csr.shape
    assert np.array_equal(dense.numpy(), csr.toarray())
    queries = tiny_encoder.encode_queries(TEXTS, batch_size=4, convert_to_tensor=False)
    assert isinstance(queries, np.ndarray) and np.array_equal(queries, tiny_encoder.encode_queries(TEXTS).toarray())
    capsys.readouterr()
    tiny_encoder.encode_queries(TEXTS, show_progress_bar=True)  # the encoder's own setting is show_progress=False
    assert "encoding queries" in capsys.readouterr().err  # beir's keyword wins for the call
    tiny_encoder.encode_queries(TEXTS)
    assert capsys.readouterr().err == ""


def test_encode_query_is_one_dense_row(tiny_encoder):
    row = tiny_encoder.encode_query("cat dog")
    assert row.shape == (tiny_encoder.vocab_size,) and row.dtype == np.float32
    assert np.array_equal(row, tiny_encoder.encode_queries(["cat dog"]).toarray()[0])


@pytest.mark.parametrize("pooling", ["max", "sum"])
def test_gpu_head_equals_the_cpu_head_on_the_cpu(tiny_mlm, pooling):
    tiled = SpladeEncoder(str(tiny_mlm), pooling=pooling, show_progress=False)
    segment = SpladeEncoder(str(tiny_mlm), pooling=pooling, head="segment", show_progress=False)
    assert tiled.head == "tiled" and segment.head == "segment"  # the CPU's is chosen by device
    a, b = tiled.encode_corpus(TEXTS * 3, batch_size=4), segment.encode_corpus(TEXTS * 3, batch_size=4)
    assert a.nnz > 0 and abs(a - b).max() <= 1e-5
    with pytest.raises(UserError, match="head must be one of"):
        SpladeEncoder(str(tiny_mlm), head="dense")


# --- numbers, threads, weights, offline ------------------------------------------------------------------------


@pytest.mark.parametrize("option", ["query_max_length", "doc_max_length"])
@pytest.mark.parametrize("value", [0, -3, True, 2.5])
def test_max_length_must_be_a_positive_integer(tiny_mlm, option, value):
    with pytest.raises(UserError) as err:
        SpladeEncoder(str(tiny_mlm), **{option: value})
    assert f"{option} must be a positive number of tokens" in str(err.value) and "\n" not in str(err.value)


def test_max_length_is_capped_by_the_model_and_records_what_ran(tiny_mlm, tiny_encoder):
    assert tiny_encoder.doc.max_positions == 64  # the fixture's max_position_embeddings
    assert tiny_encoder.config["query_max_length"] == tiny_encoder.config["doc_max_length"] == 64  # default 256 capped
    assert SpladeEncoder(str(tiny_mlm), doc_max_length=64, show_progress=False).config["doc_max_length"] == 64
    with pytest.raises(UserError, match=r"^doc_max_length 65 is above what model .* takes \(64 tokens\)$"):
        SpladeEncoder(str(tiny_mlm), doc_max_length=65)
    with pytest.raises(UserError, match=r"^query_max_length 512 is above"):
        SpladeEncoder(str(tiny_mlm), query_max_length=512)


@pytest.mark.parametrize("batch_size", [0, -1, 1.5])
def test_batch_size_must_be_positive(tiny_encoder, batch_size):
    for call in (lambda: tiny_encoder.encode_queries(TEXTS, batch_size=batch_size),
                 lambda: tiny_encoder.encode_corpus(TEXTS, batch_size=batch_size),
                 lambda: tiny_encoder.encode_texts(TEXTS, tiny_encoder.doc, batch_size)):
        with pytest.raises(UserError, match=r"^batch_size must be a positive integer"):
            call()


def test_threads_are_set_for_encoding(tiny_mlm):
    import torch

    before = torch.get_num_threads()
    try:
        enc = SpladeEncoder(str(tiny_mlm), threads=1, show_progress=False)
        assert enc.threads == 1
        torch.set_num_threads(2)
        enc.encode_queries(["cat"])
        assert torch.get_num_threads() == 1
    finally:
        torch.set_num_threads(before)
    with pytest.raises(UserError, match="threads must be a positive integer"):
        SpladeEncoder(str(tiny_mlm), threads=0)


def test_pickled_weights_are_refused_in_one_line(tmp_path, tiny_mlm):
    """A checkpoint whose only weights are a pickle torch will not load safely: one line, no advice to load it
    unsafely (transformers' own error is a long traceback suggesting weights_only=False)."""
    import argparse

    import torch
    from transformers import BertForMaskedLM

    folder = tmp_path / "pickled"
    model = BertForMaskedLM.from_pretrained(tiny_mlm)
    model.config.save_pretrained(folder)
    for f in tiny_mlm.iterdir():
        if f.name.startswith(("vocab", "tokenizer", "special")):
            (folder / f.name).write_bytes(f.read_bytes())
    torch.save({**model.state_dict(), "args": argparse.Namespace(lr=1e-5)}, folder / "pytorch_model.bin")
    with pytest.raises(UserError) as err:
        SpladeEncoder(str(folder))
    message = str(err.value)
    assert "\n" not in message and "refused for safety" in message and "safetensors" in message
    assert "argparse.Namespace" in message and "weights_only" not in message


@pytest.mark.parametrize("env,why", [({"HF_HUB_OFFLINE": "1"}, "HF_HUB_OFFLINE is set.*unset HF_HUB_OFFLINE"),
                                     ({}, "huggingface.co cannot be reached.*connect to the network")])
def test_unreachable_hub_fails_at_once_in_one_line(monkeypatch, env, why):
    import splade_beir.encode.checkpoint as checkpoint

    for var in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_ENDPOINT"):
        monkeypatch.delenv(var, raising=False)
    for var, value in env.items():
        monkeypatch.setenv(var, value)
    asked = []
    monkeypatch.setattr(checkpoint, "url_reachable", lambda url, environ: asked.append(url) or False)
    with pytest.raises(UserError) as err:
        SpladeEncoder("no-such-org/no-such-splade-model")
    message = str(err.value)
    assert "\n" not in message and "'no-such-org/no-such-splade-model'" in message and "local folder" in message
    assert re.search(why, message)
    assert asked == ([] if env else ["https://huggingface.co"])  # the offline variable needs no probe
