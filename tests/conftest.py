"""Shared fixtures: a tiny random masked-LM checkpoint, small BEIR folders, the shared msmarco-5k data."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

SHARED_MSMARCO = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "msmarco-5k"
WORDS = ("the a of sparse dense retrieval vector query document model token cat dog fish bird tree river "
         "mountain city music science history water fire energy light sound computer network data").split()


@pytest.fixture(scope="session")
def tiny_mlm(tmp_path_factory) -> Path:
    """A randomly initialised BertForMaskedLM with a generated 40-word vocabulary, saved to a folder."""
    import torch
    from transformers import BertConfig, BertForMaskedLM, BertTokenizerFast

    folder = tmp_path_factory.mktemp("tiny-mlm")
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *WORDS]
    (folder / "vocab.txt").write_text("\n".join(vocab) + "\n")
    tokenizer = BertTokenizerFast(vocab_file=str(folder / "vocab.txt"))
    torch.manual_seed(0)
    config = BertConfig(vocab_size=len(vocab), hidden_size=16, num_hidden_layers=2, num_attention_heads=2,
                        intermediate_size=32, max_position_embeddings=64)
    model = BertForMaskedLM(config).eval()
    with torch.no_grad():  # random heads are centred on 0; a positive bias gives non-trivial ReLU output
        model.get_output_embeddings().bias.normal_(0.5, 0.5)
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


def write_beir(folder: Path, corpus: dict, queries: dict, qrels: list[tuple[str, str, int]],
               header: bool = True, split: str = "test") -> Path:
    """Write a BEIR-format folder from Python objects."""
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / "corpus.jsonl", "w") as f:
        for _id, doc in corpus.items():
            f.write(json.dumps({"_id": _id, **doc}) + "\n")
    with open(folder / "queries.jsonl", "w") as f:
        for _id, text in queries.items():
            f.write(json.dumps({"_id": _id, "text": text}) + "\n")
    (folder / "qrels").mkdir(exist_ok=True)
    lines = (["query-id\tcorpus-id\tscore"] if header else []) + [f"{q}\t{d}\t{r}" for q, d, r in qrels]
    (folder / "qrels" / f"{split}.tsv").write_text("\n".join(lines) + "\n")
    return folder


def random_beir(folder: Path, n_docs: int, n_queries: int, words_per_doc: int, seed: int) -> Path:
    """A BEIR folder of random texts over the tiny model's vocabulary, one judgement per query."""
    import random

    rng = random.Random(seed)
    corpus = {f"d{i}": {"title": "", "text": " ".join(rng.choices(WORDS, k=words_per_doc))} for i in range(n_docs)}
    queries = {f"q{i}": " ".join(rng.choices(WORDS, k=3)) for i in range(n_queries)}
    qrels = [(f"q{i}", f"d{rng.randrange(n_docs)}", 1) for i in range(n_queries)]
    return write_beir(folder, corpus, queries, qrels)


@pytest.fixture
def small_beir(tmp_path) -> Path:
    """Five documents in the tiny model's vocabulary, three judged queries (one id equals a doc id)."""
    corpus = {
        "d1": {"title": "cat", "text": "the cat and the dog"},
        "d2": {"title": "", "text": "fish in the river"},
        "d3": {"title": "music", "text": "sound and light"},
        "d4": {"title": "", "text": "computer network data"},
        "q3": {"title": "tree", "text": "a tree on the mountain"},
    }
    queries = {"q1": "cat dog", "q2": "river fish water", "q3": "tree mountain", "q4": "unjudged query"}
    qrels = [("q1", "d1", 2), ("q1", "d2", 0), ("q2", "d2", 1), ("q3", "d4", 1)]
    return write_beir(tmp_path / "small", corpus, queries, qrels)


@pytest.fixture(scope="session")
def msmarco_5k() -> Path:
    if not (SHARED_MSMARCO / "corpus.jsonl").is_file():
        pytest.skip(f"{SHARED_MSMARCO} is absent")
    return SHARED_MSMARCO


@pytest.fixture(scope="session")
def splade_tiny() -> str:
    pytest.importorskip("cognition", reason="splade-tiny needs the [demo] extra")
    from splade_beir.models import resolve_checkpoint

    return resolve_checkpoint("splade-tiny")


@pytest.fixture(scope="session")
def msmarco_5k_tiny(splade_tiny, msmarco_5k, tmp_path_factory) -> Path:
    """splade-tiny evaluated once per session on msmarco-5k through the CLI, with the TREC DL convention
    (--relevance-level 2); returns the folder holding msmarco-5k.json and msmarco-5k.run.gz."""
    from splade_beir.cli import run_cli
    from splade_beir.evaluate import main

    out = tmp_path_factory.mktemp("msmarco-5k-results")
    assert run_cli(main, ["--model", "splade-tiny", "--datasets", str(msmarco_5k), "--relevance-level", "2",
                          "--output", str(out), "--name", "tiny", "--no-cache", "-q"]) == 0
    return out / "tiny"
