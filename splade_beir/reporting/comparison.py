"""The query-level comparison of a config's rows on one dataset, as the report page embeds it.

Every row's per-query nDCG@10 is embedded for every judged query (any two rows can be compared in the
page: wins, ties, losses and means cover all queries). The drill-down (query text, each row's top 10
with titles, snippets and grades, the judged relevant documents each row missed, and SPLADE score
explanations) is embedded for the ``max_queries`` queries with the largest ``|delta|`` over the default
pairs; a SPLADE row's scores are explained for the top ``explain_top`` documents of every row and for
up to ``max_missed`` of the relevant documents it missed (the most relevant, then the best ranked,
first). See :mod:`.html` for the schema.
"""

from __future__ import annotations

import gzip
import math
from dataclasses import dataclass
from pathlib import Path

from ..data.loader import Dataset
from ..errors import UserError
from ..evaluation.result import Result
from ..evaluation.store import sha256_file
from .explain import explain_pair, expansion_terms, round_weight, top_terms
from .tokens import VocabularyTokens
from .vectors import NoVectors, ResultVectors, row_numbers

DEPTH = 10        # the top of each ranking shown
SNIPPET = 200     # characters of a document's text embedded
TERMS = 8         # contributions listed per explained pair (the others are summed)
DOC_TERMS = 10    # a document's top terms
QUERY_TERMS = 12  # a query's text terms and expansion terms, each


@dataclass
class Side:
    """One row of the tables on one dataset: its result, run file and (SPLADE) vectors or why none."""

    label: str
    name: str
    kind: str
    result: Result
    run_path: Path
    source: str                          # the result's path, for messages
    vectors: ResultVectors | None = None
    note: str | None = None              # why there is no explanation


@dataclass(frozen=True)
class Limits:
    max_queries: int = 200
    explain_top: int = 3
    max_missed: int = 5    # missed relevant documents explained per row and query
    max_listed: int = 20   # missed relevant documents listed per row and query (the count is always given)


def read_hits(path: Path, expected_sha256: str | None, judged: dict[str, set[str]],
              depth: int = DEPTH) -> dict[str, tuple[list[tuple[str, float]], dict[str, tuple[int, float]]]]:
    """For each query of ``judged``: its top ``depth`` hits and the rank and score of each of its judged
    documents that the run holds. Streams the run file (checked against its result's digest)."""
    if not path.is_file():
        raise UserError(f"{path}: run file missing")
    if expected_sha256 and sha256_file(path) != expected_sha256:
        raise UserError(f"{path}: does not belong to its result (its digest differs); evaluate again with --redo")
    out = {q: ([], {}) for q in judged}
    with gzip.open(path, "rt", encoding="utf-8") if path.suffix == ".gz" else open(path, encoding="utf-8") as f:
        for line in f:
            qid, _, doc, rank, score = line.split(maxsplit=5)[:5]
            if qid in out:
                top, found = out[qid]
                if int(rank) <= depth:
                    top.append((doc, float(score)))
                if doc in judged[qid]:
                    found[doc] = (int(rank), float(score))
    return out


def pick_queries(scores: dict[str, list], qids: list[str], pairs: list[tuple[str, str]], n: int) -> list[str]:
    """The ``n`` queries with the largest ``|a - b|`` over ``pairs`` (all when there are no pairs),
    in ``qids`` order among equals."""
    def spread(i: int) -> float:
        gaps = [abs(scores[a][i] - scores[b][i]) for a, b in pairs
                if scores[a][i] is not None and scores[b][i] is not None]
        return max(gaps, default=0.0)

    order = sorted(range(len(qids)), key=lambda i: -spread(i))
    return [qids[i] for i in sorted(order[:n])]


def compare_dataset(key: str, measure: str, level: int, sides: list[Side], pairs: list[tuple[str, str]],
                    dataset: Dataset | None, limits: Limits = Limits()) -> dict:
    """The comparison data of one dataset (schema: :mod:`.html`)."""
    per_query = {s.label: s.result.per_query for s in sides}
    order = list(dataset.queries) if dataset is not None else []
    known = set().union(*per_query.values())
    qids = [q for q in order if q in known] + sorted(known - set(order))
    scores = {label: [None if (v := pq.get(q, {}).get(measure)) is None else round(v, 4) for q in qids]
              for label, pq in per_query.items()}
    chosen = pick_queries(scores, qids, pairs, limits.max_queries)
    qrels = dataset.qrels if dataset is not None else {}
    judged = {q: set(qrels.get(q, {})) for q in chosen}
    hits = {s.label: read_hits(s.run_path, s.result.run_sha256, judged) for s in sides}
    queries = {}
    for q in chosen:
        grades = dict(qrels.get(q, {}))
        relevant = sorted((d for d, g in grades.items() if g >= level), key=lambda d: (-grades[d], d))
        entry = {"text": dataset.queries.get(q, "") if dataset is not None else "", "grades": grades,
                 "top": {}, "missed": {}}
        for s in sides:
            top, found = hits[s.label][q]
            entry["top"][s.label] = [[d, round_weight(v, 5)] for d, v in top]
            shown = {d for d, _ in top}
            missed = sorted((d for d in relevant if d not in shown),
                            key=lambda d: (-grades[d], found[d][0] if d in found else math.inf, d))
            entry["missed"][s.label] = [[d, found[d][0], round_weight(found[d][1], 5)] if d in found else [d, None, None]
                                        for d in missed[:limits.max_listed]]
            if len(missed) > limits.max_listed:
                entry.setdefault("missed_total", {})[s.label] = len(missed)
        queries[q] = entry
    comparison = {"dataset": key, "measure": measure, "relevance_level": level,
                  "rows": [{"label": s.label, "name": s.name, "kind": s.kind, "result": s.source,
                            "explain": s.vectors is not None,
                            **({"note": s.note} if s.note else {})} for s in sides],
                  "pairs": [list(p) for p in pairs], "qids": qids, "scores": scores, "queries": queries,
                  "doc_terms": {}, "docs": {}, "embedded": len(chosen),
                  "explained": {"top": limits.explain_top, "missed": limits.max_missed}}
    if len(chosen) < len(qids):
        comparison["omitted"] = (f"The drill-down holds the {len(chosen)} queries with the largest |\u0394 {measure}| "
                                 f"over the default pairs; {len(qids) - len(chosen)} of {len(qids)} are left out "
                                 "(--max-queries). Counts and means cover all of them.")
    referenced = {h[0] for e in queries.values() for hits in (*e["top"].values(), *e["missed"].values()) for h in hits}
    rows = row_numbers(dataset.doc_ids, referenced) if dataset is not None else {}
    explain_all(comparison, sides, rows, limits)
    if dataset is not None:
        add_documents(comparison, dataset, rows)
    return comparison


def explain_all(comparison: dict, sides: list[Side], rows: dict[str, int], limits: Limits) -> None:
    """Add the score explanations of each SPLADE row with vectors (in place); ``rows``: corpus row by doc id."""
    queries = comparison["queries"]
    wanted: dict[str, dict[str, list[str]]] = {}
    for s in (s for s in sides if s.vectors is not None):
        for q, entry in queries.items():
            docs = [d for hits in entry["top"].values() for d, _ in hits[:limits.explain_top]]
            docs += [d for d, *_ in entry["missed"][s.label][:limits.max_missed]]
            wanted.setdefault(s.label, {})[q] = list(dict.fromkeys(docs))
    for s in (s for s in sides if s.label in wanted):
        try:
            explain_side(comparison, s, wanted[s.label], rows)
        except NoVectors as exc:  # a chunk that fails verification: say so, explain nothing for this row
            s.vectors, s.note = None, str(exc)
            for row in comparison["rows"]:
                if row["label"] == s.label:
                    row.update(explain=False, note=str(exc))
            for entry in comparison["queries"].values():
                entry.get("explain", {}).pop(s.label, None)
            comparison["doc_terms"].pop(s.label, None)


def explain_side(comparison: dict, side: Side, wanted: dict[str, list[str]], rows: dict[str, int]) -> None:
    vectors = side.vectors
    vocab = vectors.vocabulary
    doc_vectors = vectors.docs(rows[d] for docs in wanted.values() for d in docs if d in rows)
    tokens = VocabularyTokens(vocab)
    doc_terms = comparison["doc_terms"].setdefault(side.label, {})
    for q, docs in wanted.items():
        entry = comparison["queries"][q]
        if q not in vectors.query_rows:
            continue
        query = vectors.query(q)
        own = tokens.columns(entry["text"])
        explained = {}
        for d in (d for d in docs if d in rows):
            x = explain_pair(query, doc_vectors[rows[d]], vocab)
            shown, n_rest, rest = x.top(TERMS)
            explained[d] = [round_weight(x.score, 5), [[c.term, round_weight(c.wq), round_weight(c.wd),
                                                        round_weight(c.product, 5)] for c in shown],
                            n_rest, round_weight(rest, 5)]
            if d not in doc_terms:
                doc_terms[d] = [[t, round_weight(w)] for t, w in top_terms(doc_vectors[rows[d]], vocab, DOC_TERMS)]
        entry.setdefault("explain", {})[side.label] = {
            "text": [[t, round_weight(w)] for t, w in top_terms(query, vocab, QUERY_TERMS, columns=own)],
            "expansion": [[t, round_weight(w)] for t, w in expansion_terms(query, vocab, own, QUERY_TERMS)],
            "docs": explained}


def add_documents(comparison: dict, dataset: Dataset, rows: dict[str, int]) -> None:
    """Titles and snippets of every document the drill-down names (in place)."""
    for d, row in sorted(rows.items(), key=lambda item: item[1]):
        for _, doc in dataset.corpus.records(row, row + 1):
            text = doc.get("text") or ""
            comparison["docs"][d] = [doc.get("title") or "", snippet(text)]


def snippet(text: str, limit: int = SNIPPET) -> str:
    """``text`` cut at a word boundary before ``limit`` characters, with an ellipsis when cut.

    >>> snippet("a few words here", 9)
    'a few\u2026'
    """
    return text if len(text) <= limit else text[:limit].rsplit(" ", 1)[0] + "\u2026"
