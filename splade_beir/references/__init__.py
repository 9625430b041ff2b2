"""Published reference figures as data: one YAML file per source, with its provenance and citation.

Shipped sources (``<source id>``: file)::

    pyserini-2cr-beir        pyserini_2cr_beir.yaml        pyserini's two-click reproductions on BEIR at one
                                                           commit: bm25-flat, bm25-multifield, splade-pp-ed
    distilsplade-max-readme  distilsplade_max_readme.yaml  every row of NAVER's DistilSPLADE-max training README
    checkpoints.yaml         which public checkpoints a source ties to which row (and which it does not)
    sources/                 the source texts the figures were transcribed from (re-checked by the tests)

A config row names one as ``reference: <source id>/<row id>``; a config may add its own files with
``references: [path.yaml]``. The schema (``splade_beir.reference/v1``)::

    schema: splade_beir.reference/v1
    source: {id, title, url | repository + path + commit, citation, ...provenance...}
    measures:   # the source's measure names
      MRR@10: {measure: RR@10, scale: percent}      # measure: the ir_measures name (default: the key);
      FLOPS: {measure: null, scale: as printed}     # null: kept, never compared
    datasets:   # optional: source dataset name -> {key: splade_beir dataset key, or null}
      msmarco-dev: {key: msmarco}
    rows:
      <row id>: {label, citation, values: {<dataset>: {<measure>: number or null}}}

>>> from splade_beir.references import shipped_references
>>> sorted(shipped_references())
['distilsplade-max-readme', 'pyserini-2cr-beir']
"""

from __future__ import annotations

from .loader import Reference, ReferenceRow, find_references, find_row, load_reference, shipped_references

__all__ = ["Reference", "ReferenceRow", "find_references", "find_row", "load_reference", "shipped_references"]
