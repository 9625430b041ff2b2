"""PISA (https://github.com/pisa-engine/pisa) through pyterrier-pisa, on integer impacts: an exact
dot-product engine to check the exact search against (the ``[engines]`` extra).

The calls that make PISA score ``sum_t weight(q, t) * impact(d, t)`` exactly (pyterrier-pisa 0.4.9):
``PisaIndex(path, stemmer="none", stops="none")``, ``toks_indexer(scale=1.0)`` (impacts stored as given;
the default 100 would multiply them) and ``quantized(toks_scale=1.0)`` (the ``quantized`` scorer returns
the stored impact; the query weight counts as that many repeats of the term). What it does not do:

- its query side lower-cases ASCII letters while its indexer keeps tokens verbatim, so ``[CLS]`` or a
  cased wordpiece could never match: :func:`pisa_token` escapes ``^`` as ``^^``, ``A``-``Z`` as ``^a``...
  and line breaks as ``^{0a}`` on both sides (an injective map; other characters are kept);
- scores are float32: exact while every score is at most 2**24 (checked, see
  :func:`~splade_beir.interop.quantize.score_bound`); float weights are truncated, so they are refused;
- documents with no query term are not returned, and ties are ordered by PISA's internal document id.

>>> pisa_token("[CLS]"), pisa_token("##ing"), pisa_token("a^b")
('[^c^l^s]', '##ing', 'a^^b')
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Iterator

import numpy as np

from ...errors import UserError
from ...lazy import optional_import
from ..jsonvector import SparseVectors

logger = logging.getLogger("splade_beir")


def pisa_token(token: str) -> str:
    """``token`` in a form PISA neither lower-cases nor splits (an injective map)."""
    out = []
    for c in token:
        if c == "^":
            out.append("^^")
        elif "A" <= c <= "Z":
            out.append("^" + c.lower())
        elif c in "\n\r":
            out.append("^{%02x}" % ord(c))
        else:
            out.append(c)
    return "".join(out)


def version() -> str:
    """The installed pyterrier-pisa version."""
    from importlib import metadata

    return metadata.version("pyterrier-pisa")


def require_integers(vectors: SparseVectors, what: str) -> None:
    if not vectors.integer:
        raise UserError(f"{', '.join(vectors.files[:1])}: PISA indexes integer impacts; these {what} have float "
                        "weights (export with --quantization 100 or pyserini)")
    if any("\n" in i or "\r" in i for i in vectors.ids):
        raise UserError(f"{', '.join(vectors.files[:1])}: an id with a line break cannot be a PISA docno")


@contextlib.contextmanager
def silenced(quiet: bool = True) -> Iterator[None]:
    """PISA's C++ progress lines (written straight to the process's stderr) and pyterrier-pisa's logging
    go to a temporary file, shown only if indexing fails (``SPLADE_BEIR_LOG=DEBUG`` shows them all)."""
    if not quiet:
        yield
        return
    sys.stdout.flush()
    sys.stderr.flush()
    saved = [os.dup(1), os.dup(2)]
    with tempfile.TemporaryFile() as sink:
        os.dup2(sink.fileno(), 1)
        os.dup2(sink.fileno(), 2)
        try:
            yield
        except BaseException:
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            sink.seek(0)
            sys.stderr.write(sink.read()[-4000:].decode("utf-8", "replace"))
            raise
        finally:
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            for fd in saved:
                os.close(fd)


class PisaEngine:
    """A PISA index of integer document vectors in ``path``, searched with query vectors."""

    def __init__(self, path: str | Path, threads: int = 1):
        self.path, self.threads = Path(path), threads
        self.pisa = optional_import("pyterrier_pisa", "engines", "the PISA engine")
        self.quiet = logger.getEffectiveLevel() > logging.DEBUG

    def index(self, docs: SparseVectors) -> "PisaEngine":
        """Index ``docs`` (replacing whatever ``path`` held)."""
        require_integers(docs, "documents")
        if self.path.exists():
            shutil.rmtree(self.path)
        tokens = [pisa_token(t) for t in docs.vocabulary]
        M = docs.matrix

        def records():
            for row, doc_id in enumerate(docs.ids):
                a, b = M.indptr[row], M.indptr[row + 1]
                toks = {tokens[c]: int(w) for c, w in zip(M.indices[a:b].tolist(), M.data[a:b].tolist())}
                yield {"docno": doc_id, "toks": toks}

        index = self.pisa.PisaIndex(str(self.path), stemmer="none", stops="none", threads=self.threads)
        with silenced(self.quiet):
            index.toks_indexer(text_field="toks", mode="overwrite", scale=1.0).index(records())
        return self

    def search(self, queries: SparseVectors, k: int, algorithm: str = "block_max_wand") -> dict[str, list]:
        """``{query id: [(doc id, score), ...]}``, the top ``k`` by PISA (``algorithm``: ``block_max_wand``,
        ``maxscore``, ``ranked_or``...); a query with no indexed term has no hits."""
        import pandas as pd

        require_integers(queries, "queries")
        index = self.pisa.PisaIndex(str(self.path), stemmer="none", stops="none", threads=self.threads)
        with silenced(self.quiet):  # the first search of an index compresses it
            retriever = index.quantized(num_results=k, toks_scale=1.0, query_algorithm=algorithm)
        tokens = [pisa_token(t) for t in queries.vocabulary]
        M = queries.matrix
        qids = [str(i) for i in range(len(queries.ids))]  # positions: any id survives the round trip
        toks = [{tokens[c]: float(w) for c, w in zip(M.indices[M.indptr[r]:M.indptr[r + 1]].tolist(),
                                                      M.data[M.indptr[r]:M.indptr[r + 1]].tolist())}
                for r in range(len(qids))]
        keep = [i for i, t in enumerate(toks) if t]  # PISA cannot take an empty query
        out: dict[str, list] = {q: [] for q in queries.ids}
        if keep:
            frame = pd.DataFrame({"qid": [qids[i] for i in keep], "query_toks": [toks[i] for i in keep]})
            found = retriever(frame)
            found = found.sort_values(["qid", "rank"], key=lambda c: c.astype(np.int64), kind="stable")
            for qid, docno, score in zip(found["qid"], found["docno"], found["score"].astype(np.float64)):
                out[queries.ids[int(qid)]].append((docno, float(score)))
        return out
