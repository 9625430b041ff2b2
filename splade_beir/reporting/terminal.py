"""Term weights and score explanations as terminal text (what ``python -m splade_beir.inspect`` prints).

The numbers are those of the report page (:mod:`.explain`), unrounded but for display: the contributions
listed plus the "other shared terms" line sum to the score.

>>> import numpy as np, scipy.sparse as sp
>>> vocab = ["cat", "dog", "pet"]
>>> q = sp.csr_matrix(np.array([[2.0, 0, 0.5]], dtype=np.float32))
>>> print(weights_text(q, vocab, "cat"))
2 non-zero terms, weights summing to 2.5000
  term  weight  in text
  cat   2.0000  yes
  pet   0.5000
>>> d = sp.csr_matrix(np.array([[1.5, 3.0, 2.0]], dtype=np.float32))
>>> print(explanation_text(q, d, vocab, "cat", top=1, run_score=4.0))  # doctest: +NORMALIZE_WHITESPACE
score = sum of w_q * w_d over 2 shared terms = 4.000000 (run file: 4.000000)
  term          w_q       w_d   w_q*w_d   share
  cat        2.0000    1.5000    3.0000   75.0%
  + 1 other shared terms         1.0000   25.0%
  sum                            4.0000
query terms from its text: cat 2.000
query expansion terms (not in its text): pet 0.500
document's top terms: dog 3.000, pet 2.000, cat 1.500
"""

from __future__ import annotations

from typing import Sequence

import scipy.sparse as sp

from .explain import entries, explain_pair, expansion_terms, top_terms
from .tokens import VocabularyTokens


def terms_line(terms: list[tuple[str, float]]) -> str:
    return ", ".join(f"{t} {w:.3f}" for t, w in terms) or "none"


def weights_text(row: sp.spmatrix, vocabulary: Sequence[str], text: str, top: int | None = 30) -> str:
    """A vector's heaviest ``top`` terms (all when None), each marked when it is a token of ``text``."""
    own = VocabularyTokens(vocabulary).columns(text)
    weights = entries(row)
    listed = top_terms(row, vocabulary, top)
    index = {vocabulary[j]: j for j in weights}
    width = max([len(t) for t, _ in listed] + [4])
    lines = [f"{len(weights)} non-zero terms, weights summing to {sum(weights.values()):.4f}",
             f"  {'term':<{width}}  weight  in text"]
    lines += [f"  {t:<{width}}  {w:6.4f}  {'yes' if index[t] in own else ''}".rstrip() for t, w in listed]
    if top is not None and len(weights) > top:
        lines.append(f"  ... and {len(weights) - top} more (--top 0 lists all)")
    return "\n".join(lines)


def explanation_text(query: sp.spmatrix, doc: sp.spmatrix, vocabulary: Sequence[str], query_text: str,
                     top: int | None = 10, run_score: float | None = None, doc_terms: int = 10) -> str:
    """Why ``doc`` scores what it does for ``query``: the ``top`` contributions (all when None) and the
    rest summed, the query's own and expansion terms, the document's top terms."""
    x = explain_pair(query, doc, vocabulary)
    shown, n_rest, rest = x.top(len(x.terms) if top is None else top)
    width = max([len(c.term) for c in shown] + [4])
    run = f" (run file: {run_score:.6f})" if run_score is not None else ""
    lines = [f"score = sum of w_q * w_d over {len(x.terms)} shared terms = {x.score:.6f}{run}",
             f"  {'term':<{width}}  {'w_q':>8}  {'w_d':>8}  {'w_q*w_d':>8}  {'share':>6}"]
    lines += [f"  {c.term:<{width}}  {c.wq:8.4f}  {c.wd:8.4f}  {c.product:8.4f}  {100 * c.share:5.1f}%" for c in shown]
    if n_rest:
        share = 100 * rest / x.score if x.score else 0.0
        lines.append(f"  {f'+ {n_rest} other shared terms':<{width + 20}}  {rest:8.4f}  {share:5.1f}%")
    lines.append(f"  {'sum':<{width + 20}}  {sum(c.product for c in shown) + rest:8.4f}")
    own = VocabularyTokens(vocabulary).columns(query_text)
    lines += [f"query terms from its text: {terms_line(top_terms(query, vocabulary, None, columns=own))}",
              f"query expansion terms (not in its text): {terms_line(expansion_terms(query, vocabulary, own, 12))}",
              f"document's top terms: {terms_line(top_terms(doc, vocabulary, doc_terms))}"]
    return "\n".join(lines)
