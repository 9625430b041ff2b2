"""The folder an export writes and an import reads: one folder per dataset.

::

    <folder>/<dataset>/corpus/part-00000.jsonl   JsonVectorCollection, the documents in corpus order
                                                 (Anserini: -collection JsonVectorCollection -input .../corpus)
    <folder>/<dataset>/queries.jsonl             the queries, same layout (pyserini, Seismic, this toolkit)
    <folder>/<dataset>/queries.tsv               qid<TAB>tokens repeated (Anserini -topicReader TsvString);
                                                 integer exports only
    <folder>/<dataset>/export.json               the manifest: model, dataset, quantization and its error

An import takes ``<folder>`` (a dataset's files are under ``<folder>/<dataset>/``, else in ``<folder>``
itself), a pattern with ``{dataset}`` or ``{dataset_dashed}``, or explicit ``corpus`` / ``queries`` paths or
glob patterns (such as pyserini's downloads: ``corpus/*.jsonl.gz`` and ``topics.*.tsv.gz``). ``.gz``
variants are found too.

>>> corpus_name(0), corpus_name(3, gzip=True)
('part-00000.jsonl', 'part-00003.jsonl.gz')
"""

from __future__ import annotations

import glob
import json
from pathlib import Path

from ..errors import UserError

CORPUS = "corpus"
QUERIES_JSONL = "queries.jsonl"
QUERIES_TSV = "queries.tsv"
MANIFEST = "export.json"
SCHEMA = "splade_beir.vectors/v1"
VECTOR_SUFFIXES = (".jsonl", ".jsonl.gz", ".json", ".json.gz")


def corpus_name(part: int, gzip: bool = False) -> str:
    return f"part-{part:05d}.jsonl" + (".gz" if gzip else "")


def fill(pattern: str | Path, dataset: str) -> str:
    """``pattern`` with ``{dataset}`` (``cqadupstack/android``) and ``{dataset_dashed}``
    (``cqadupstack-android``, pyserini's file names) filled in.

    >>> fill("topics.beir-v1.0.0-{dataset_dashed}.test.tsv.gz", "cqadupstack/android")
    'topics.beir-v1.0.0-cqadupstack-android.test.tsv.gz'
    """
    return str(pattern).replace("{dataset}", dataset).replace("{dataset_dashed}", dataset.replace("/", "-"))


def is_pattern(text: str | Path) -> bool:
    return "{dataset}" in str(text) or "{dataset_dashed}" in str(text)


def dataset_folder(folder: str | Path, dataset: str) -> Path:
    """Where ``dataset``'s files are: ``folder`` with ``{dataset}`` filled in, else ``folder/<dataset>``
    when that exists, else ``folder`` itself."""
    if is_pattern(folder):
        return Path(fill(folder, dataset))
    nested = Path(folder) / dataset
    return nested if nested.is_dir() else Path(folder)


def expand(pattern: str | Path, dataset: str, what: str) -> list[Path]:
    """The files a path or glob pattern (``{dataset}`` filled in) names, sorted; a folder means its
    vector files. None found is an error naming the pattern."""
    text = fill(pattern, dataset)
    if Path(text).is_dir():
        found = sorted(p for p in Path(text).iterdir() if p.is_file() and p.name.endswith(VECTOR_SUFFIXES))
    else:
        found = sorted(Path(p) for p in glob.glob(text) if Path(p).is_file())
    if not found:
        raise UserError(f"{text}: no {what} vector files there")
    return found


def find_corpus(folder: Path, dataset: str, pattern: str | None = None) -> list[Path]:
    """The corpus files of ``dataset``: ``pattern`` when given, else ``corpus/`` or ``corpus.jsonl[.gz]``."""
    if pattern:
        return expand(pattern, dataset, "corpus")
    if (folder / CORPUS).is_dir():
        return expand(folder / CORPUS, dataset, "corpus")
    for name in ("corpus.jsonl", "corpus.jsonl.gz"):
        if (folder / name).is_file():
            return [folder / name]
    raise UserError(f"{folder}: no corpus vectors ({CORPUS}/*.jsonl or corpus.jsonl); name them with the "
                    "'corpus' option")


def find_queries(folder: Path, dataset: str, pattern: str | None = None) -> list[Path]:
    """The query files of ``dataset``: ``pattern`` when given, else ``queries.jsonl[.gz]`` (exact), else
    ``queries.tsv[.gz]``."""
    if pattern:
        return expand(pattern, dataset, "query")
    for name in (QUERIES_JSONL, QUERIES_JSONL + ".gz", QUERIES_TSV, QUERIES_TSV + ".gz"):
        if (folder / name).is_file():
            return [folder / name]
    raise UserError(f"{folder}: no query vectors ({QUERIES_JSONL} or {QUERIES_TSV}); name them with the "
                    "'queries' option")


def read_manifest(folder: Path) -> dict | None:
    """The export manifest beside the files, when there is a readable one."""
    try:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return manifest if isinstance(manifest, dict) and manifest.get("schema") == SCHEMA else None
