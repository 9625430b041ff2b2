"""Why a SPLADE score is what it is: the arithmetic of one query-document pair, from their sparse vectors.

A SPLADE score is the dot product ``sum_j w_q(j) * w_d(j)`` over the vocabulary entries ``j`` that both
vectors hold, so each shared term contributes ``w_q * w_d`` and its share of the score is that product
over the sum. Rows are 1 x V scipy CSR rows (a row of a query or corpus matrix); ``vocabulary`` gives
the token string of each column. Products are exact in float64 (two float32 weights), so the terms sum
to the search's float32 score up to float32 rounding.

>>> import numpy as np, scipy.sparse as sp
>>> vocab = ["cat", "dog", "fish", "pet"]
>>> q = sp.csr_matrix(np.array([[2.0, 0, 0, 0.5]], dtype=np.float32))
>>> d = sp.csr_matrix(np.array([[1.5, 3.0, 0, 2.0]], dtype=np.float32))
>>> x = explain_pair(q, d, vocab)
>>> x.score, [(c.term, c.product, round(c.share, 3)) for c in x.terms]
(4.0, [('cat', 3.0, 0.75), ('pet', 1.0, 0.25)])
>>> top_terms(d, vocab, 2), expansion_terms(q, vocab, text_columns={0})
([('dog', 3.0), ('pet', 2.0)], [('pet', 0.5)])
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import scipy.sparse as sp


@dataclass(frozen=True)
class Contribution:
    """One shared vocabulary entry of a pair: its weights and their product."""

    term: str
    column: int
    wq: float
    wd: float
    share: float  # product / score (0 when the score is 0)

    @property
    def product(self) -> float:
        return self.wq * self.wd


@dataclass(frozen=True)
class Explanation:
    """Every shared term of a pair, largest contribution first; ``score`` is their sum."""

    score: float
    terms: list[Contribution]

    def top(self, n: int) -> tuple[list[Contribution], int, float]:
        """The ``n`` largest contributions, and how many others there are and what they add up to."""
        rest = self.terms[n:]
        return self.terms[:n], len(rest), float(sum(c.product for c in rest))


def entries(row: sp.spmatrix) -> dict[int, float]:
    """``{column: weight}`` of a 1 x V sparse row (explicit zeros dropped)."""
    row = sp.csr_matrix(row)
    if row.shape[0] != 1:
        raise ValueError(f"expected one row, got a {row.shape[0]} x {row.shape[1]} matrix")
    return {int(j): float(w) for j, w in zip(row.indices, row.data) if w != 0}


def explain_pair(query: sp.spmatrix, doc: sp.spmatrix, vocabulary: Sequence[str]) -> Explanation:
    """The contributions of every term a query row and a document row share (ties: by column)."""
    q, d = entries(query), entries(doc)
    shared = sorted(q.keys() & d.keys(), key=lambda j: (-q[j] * d[j], j))
    score = float(sum(q[j] * d[j] for j in shared))
    terms = [Contribution(vocabulary[j], j, q[j], d[j], q[j] * d[j] / score if score else 0.0) for j in shared]
    return Explanation(score, terms)


def top_terms(row: sp.spmatrix, vocabulary: Sequence[str], n: int | None = None,
              columns: set[int] | None = None) -> list[tuple[str, float]]:
    """The ``n`` heaviest terms of a row (all when ``n`` is None), optionally only those in ``columns``."""
    weights = entries(row)
    kept = [j for j in weights if columns is None or j in columns]
    order = sorted(kept, key=lambda j: (-weights[j], j))[:n]
    return [(vocabulary[j], weights[j]) for j in order]


def expansion_terms(query: sp.spmatrix, vocabulary: Sequence[str], text_columns: set[int],
                    n: int | None = None) -> list[tuple[str, float]]:
    """The query's terms that are not tokens of its text (``text_columns``), heaviest first: what the
    model added."""
    weights = entries(query)
    return top_terms(query, vocabulary, n, columns=set(weights) - set(text_columns))


def round_weight(value: float, digits: int = 4) -> float:
    """A weight rounded for display and embedding (``digits`` after the point).

    >>> import numpy as np
    >>> round_weight(1.234567), round_weight(np.float32(0.1))
    (1.2346, 0.1)
    """
    return round(float(value), digits)
