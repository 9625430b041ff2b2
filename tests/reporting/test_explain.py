"""Score explanations: the arithmetic on hand-computed examples, and the text tokens behind expansion terms."""

from __future__ import annotations

import json

import numpy as np
import pytest
import scipy.sparse as sp

from splade_beir.reporting.explain import entries, explain_pair, expansion_terms, round_weight, top_terms
from splade_beir.reporting.tokens import VocabularyTokens, text_columns, wordpiece, words

VOCAB = ["[UNK]", "cat", "dog", "pet", "food", "##s", "fish"]


def row(weights: dict[str, float]) -> sp.csr_matrix:
    dense = np.zeros((1, len(VOCAB)), dtype=np.float32)
    for term, w in weights.items():
        dense[0, VOCAB.index(term)] = w
    return sp.csr_matrix(dense)


def test_contributions_shares_and_rest_by_hand():
    # q = cat 2, pet 0.5, food 1.25; d = cat 1.5, dog 3, pet 2, food 0.4
    # shared: cat 2*1.5 = 3, pet 0.5*2 = 1, food 1.25*0.4 = 0.5; score 4.5
    x = explain_pair(row({"cat": 2.0, "pet": 0.5, "food": 1.25}), row({"cat": 1.5, "dog": 3.0, "pet": 2.0, "food": 0.4}),
                     VOCAB)
    assert x.score == pytest.approx(4.5)
    assert [(c.term, c.wq, c.wd) for c in x.terms] == [("cat", 2.0, 1.5), ("pet", 0.5, 2.0), ("food", 1.25,
                                                                                              pytest.approx(0.4))]
    assert [c.product for c in x.terms] == pytest.approx([3.0, 1.0, 0.5])
    assert [c.share for c in x.terms] == pytest.approx([3 / 4.5, 1 / 4.5, 0.5 / 4.5])
    shown, n_rest, rest = x.top(1)
    assert [c.term for c in shown] == ["cat"] and n_rest == 2 and rest == pytest.approx(1.5)
    assert sum(c.product for c in shown) + rest == pytest.approx(x.score)


def test_no_shared_term_scores_zero_and_equal_products_keep_column_order():
    assert explain_pair(row({"cat": 1.0}), row({"dog": 2.0}), VOCAB).score == 0.0
    x = explain_pair(row({"dog": 1.0, "cat": 2.0}), row({"dog": 2.0, "cat": 1.0}), VOCAB)
    assert [c.term for c in x.terms] == ["cat", "dog"]  # both 2.0: column order


def test_top_terms_expansion_and_entries():
    q = row({"cat": 2.0, "pet": 0.5, "food": 1.25, "fish": 0.1})
    assert top_terms(q, VOCAB, 2) == [("cat", 2.0), ("food", 1.25)]
    assert expansion_terms(q, VOCAB, text_columns={VOCAB.index("cat")}) == [("food", 1.25), ("pet", 0.5),
                                                                             ("fish", pytest.approx(0.1))]
    assert entries(q) == {1: 2.0, 3: 0.5, 4: 1.25, 6: pytest.approx(0.1)}
    with pytest.raises(ValueError, match="one row"):
        entries(sp.csr_matrix(np.ones((2, 3))))
    assert round_weight(0.123456789) == 0.1235


def test_float32_products_sum_exactly():
    rng = np.random.default_rng(0)
    q = sp.random(1, 500, density=0.1, format="csr", dtype=np.float32, random_state=rng)
    d = sp.random(1, 500, density=0.3, format="csr", dtype=np.float32, random_state=rng)
    x = explain_pair(q, d, [str(i) for i in range(500)])
    assert x.score == pytest.approx(float((q @ d.T).toarray()[0, 0]), rel=1e-6)


def test_wordpiece_by_hand():
    vocab = ["[UNK]", "what", "is", "sp", "##lad", "##e", "?", "cafe", "-", "au", "x", "##²", "東"]
    assert wordpiece("What is SPLADE?", vocab) == ["what", "is", "sp", "##lad", "##e", "?"]
    assert wordpiece("Café-au x² 東zz", vocab) == ["cafe", "-", "au", "x", "##²", "東", "[UNK]"]
    assert words("a\u00a0b\u200bc\tD.") == ["a", "bc", "d", "."]
    assert text_columns("what is it", vocab) == {0, 1, 2}  # "it" is [UNK], a token of the text too
    assert VocabularyTokens(["cat", "dog"]).columns("Cat, dog!") == {0, 1}  # not WordPiece: word by word


def test_wordpiece_matches_the_checkpoint_tokenizer(splade_tiny, msmarco_5k_or_demo_texts):
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(splade_tiny)
    vocab = [t for t, _ in sorted(tokenizer.get_vocab().items(), key=lambda item: item[1])]
    tokens = VocabularyTokens(vocab)
    texts = msmarco_5k_or_demo_texts + ["Naïve café-au-lait 3.5% x² 東京 \u200b zero\u00a0width ½ ﬁ İstanbul straße"]
    assert [tokens.tokens(t) for t in texts] == [tokenizer.tokenize(t) for t in texts]


@pytest.fixture
def msmarco_5k_or_demo_texts() -> list[str]:
    """The demo queries and documents, and msmarco-5k's queries and first 500 passages when present."""
    from pathlib import Path

    import splade_beir.data.names as names

    files = [names.DEMO_DIR / "queries.jsonl", names.DEMO_DIR / "corpus.jsonl"]
    shared = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "msmarco-5k"
    files += [shared / "queries.jsonl", shared / "corpus.jsonl"] if shared.is_dir() else []
    texts = []
    for path in files:
        with open(path, encoding="utf-8") as f:
            texts += [json.loads(line)["text"] for _, line in zip(range(500), f)]
    return texts
