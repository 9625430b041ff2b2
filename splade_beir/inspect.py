"""``python -m splade_beir.inspect``: SPLADE term weights of one text, and the explanation of one score.

    python -m splade_beir.inspect --model splade-tiny "what is a sparse retriever"       # a free text
    python -m splade_beir.inspect --doc-id d01 --dataset demo                             # a document
    python -m splade_beir.inspect --explain q01 d01 --result results/splade-tiny-max/demo.json

For dataset ids the vectors are those a result kept in the corpus cache (``--result``, else the first SPLADE
result under ``--output`` on that dataset, of ``--model`` when given), so the numbers are exactly those of
its run file and of the HTML report; without them the texts are encoded with the model (``--model``, or
the result's checkpoint and options), and the output says so.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .cli import Parser, positive_int, run_cli
from .errors import UserError


def build_parser() -> argparse.ArgumentParser:
    p = Parser(prog="python -m splade_beir.inspect",
               description="SPLADE term weights of a text, a query or a document, and why a document scores "
                           "what it does for a query.")
    p.add_argument("text", nargs="?", help="a free text whose term weights to show (needs --model)")
    p.add_argument("--model", help="checkpoint that encodes texts (free text; or dataset ids without cached vectors)")
    p.add_argument("--as", dest="tower", choices=("query", "doc"), default="query",
                   help="encode the free text as a query (default) or a document")
    p.add_argument("--doc-id", metavar="ID", help="a document of --dataset")
    p.add_argument("--query-id", metavar="ID", help="a query of --dataset")
    p.add_argument("--explain", nargs=2, metavar=("QUERY_ID", "DOC_ID"), help="explain this pair's score")
    p.add_argument("--dataset", help="dataset name or folder (default: the --result's)")
    p.add_argument("--data-dir", default="datasets", help="where datasets live (default: %(default)s)")
    p.add_argument("--result", metavar="JSON", help="a SPLADE result whose cached vectors to use "
                                                    "(results/<name>/<dataset>.json)")
    p.add_argument("--output", default="results", help="results root searched for a result with cached vectors "
                                                       "when --result is not given (default: %(default)s)")
    p.add_argument("--cache-dir", help="the corpus cache (default: $XDG_CACHE_HOME/splade_beir or ~/.cache/splade_beir)")
    p.add_argument("--top", type=int, default=None, metavar="N",
                   help="terms listed (default: 30 weights, 10 contributions; 0: all)")
    for flag, kind in (("--pooling", str), ("--query-max-length", positive_int), ("--doc-max-length", positive_int),
                       ("--dtype", str), ("--device", str)):
        p.add_argument(flag, type=kind, help="encoder option when texts are encoded (default: the result's, "
                                             "else the evaluation defaults)")
    return p


def encoder_for(args, result=None):
    """A SpladeEncoder for ``--model``, else for the checkpoint and options ``result`` recorded."""
    from .encode.encoder import SpladeEncoder

    recorded = dict(result.config) if result is not None and result.kind == "splade" else {}
    model = args.model or recorded.get("model")
    if not model:
        raise UserError("no vectors to read and no model to encode with: give --model (or --result of a SPLADE run)")
    options = {k: recorded[k] for k in ("query_model", "pooling", "query_max_length", "doc_max_length", "dtype")
               if recorded.get(k) is not None and not args.model}
    options.update({k: v for k in ("pooling", "query_max_length", "doc_max_length", "dtype", "device")
                    if (v := getattr(args, k)) is not None})
    print(f"encoding with {model} ({', '.join(f'{k}={v}' for k, v in options.items()) or 'default options'})")
    return SpladeEncoder(model, show_progress=False, **options)


def vectors_for(args, dataset, result=None):
    """``(result path, result, ResultVectors)`` of ``--result`` (``result``: it, as read), else of the first
    SPLADE result found under ``--output`` (of ``--model`` when given); ``(path, result, None)`` when there
    are none."""
    from .encode.cache import CorpusCache
    from .reporting.vectors import NoVectors, find_vectors, open_vectors

    cache = CorpusCache(args.cache_dir)
    if result is not None:
        try:
            return Path(args.result), result, open_vectors(result, dataset, cache, args.result)
        except NoVectors as exc:
            print(f"note: {exc}")
            return Path(args.result), result, None
    found = find_vectors(args.output, dataset, cache, args.model)
    if found is None:
        print(f"note: no SPLADE result{' of ' + args.model if args.model else ''} on {dataset.name} under "
              f"{args.output}/ has its vectors in {cache.root}")
    return found or (None, None, None)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if sum(map(bool, (args.text, args.doc_id, args.query_id, args.explain))) != 1:
        raise UserError("give exactly one of: a text, --doc-id, --query-id, --explain QUERY_ID DOC_ID")
    n_terms = None if args.top == 0 else args.top
    from .reporting.terminal import explanation_text, weights_text

    if args.text:
        encoder = encoder_for(args)
        row = (encoder.encode_queries if args.tower == "query" else encoder.encode_corpus)([args.text])
        print(f"{args.text!r} as a {args.tower}:")
        print(weights_text(row[0], encoder.vocabulary(), args.text, 30 if args.top is None else n_terms))
        return 0
    from .data.loader import document_text
    from .evaluation.store import read_result
    from .reporting.comparison import read_hits
    from .reporting.report import open_dataset
    from .reporting.vectors import row_numbers

    recorded = read_result(args.result) if args.result else None
    name = args.dataset or (recorded.data or recorded.dataset if recorded else None)
    if not name:
        raise UserError("give --dataset (or --result)")
    dataset = open_dataset(name, args.data_dir, recorded.split if recorded else None)
    qid, doc_id = args.explain or (args.query_id, args.doc_id)
    if qid is not None and qid not in dataset.queries:
        raise UserError(f"query {qid!r} is not a judged query of {dataset.path}")
    rows = row_numbers(dataset.doc_ids, [doc_id]) if doc_id is not None else {}
    if doc_id is not None and doc_id not in rows:
        raise UserError(f"document {doc_id!r} is not in {dataset.path}")
    path, result, vectors = vectors_for(args, dataset, recorded)
    query_text = dataset.queries[qid] if qid else ""
    doc = next(d for _, d in dataset.corpus.records(rows[doc_id], rows[doc_id] + 1)) if doc_id else None
    if vectors is not None:
        print(f"vectors: {path} (cache entries {result.vectors['queries']}, {result.vectors['corpus']})")
        vocabulary = vectors.vocabulary
        q_row = vectors.query(qid) if qid else None
        d_row = vectors.docs([rows[doc_id]])[rows[doc_id]] if doc_id else None
    else:
        encoder = encoder_for(args, result)
        vocabulary = encoder.vocabulary()
        q_row = encoder.encode_queries([query_text])[0] if qid else None
        d_row = encoder.encode_corpus([document_text(doc)])[0] if doc_id else None
    if qid:
        print(f"query {qid}: {query_text}")
    if doc_id:
        grade = dataset.qrels.get(qid, {}).get(doc_id) if qid else None
        print(f"document {doc_id}: {doc['title'] or '(no title)'}" + (f" (grade {grade})" if grade is not None else ""))
    if not args.explain:
        row, text = (q_row, query_text) if qid else (d_row, document_text(doc))
        print(weights_text(row, vocabulary, text, 30 if args.top is None else n_terms))
        return 0
    run_score = None
    if vectors is not None and result.run_file:
        found = read_hits(path.parent / result.run_file, result.run_sha256, {qid: {doc_id}})[qid][1].get(doc_id)
        print(f"run file: rank {found[0]}, score {found[1]:.6f}" if found else f"run file: not in its top {result.top_k}")
        run_score = found[1] if found else None
    print(explanation_text(q_row, d_row, vocabulary, query_text, 10 if args.top is None else n_terms, run_score))
    return 0


if __name__ == "__main__":
    sys.exit(run_cli(main))
