"""Evaluation configs (``eval_configs/*.yaml``): the models, datasets and ensembles of one results table.

A config names each model by a short label (``A``, ``B``...), the folder its results go to, how to
build it, and free descriptive fields that the tables show (``init``, ``lambda_q``...)::

    name: demo                      # optional; default: the file name without .yaml
    datasets: [demo]                # a list, or a string such as "all" or "nfcorpus,scifact"; an item may
                                    # be {name: FOLDER, relevance_level: 2} (TREC DL's trec_eval -l 2)
    output: results                 # optional (default results); relative to the working directory
    data_dir: datasets              # optional (default datasets)
    top_k: 1000                     # optional (default 1000)
    models:
      - label: A
        name: splade-tiny-max       # results folder: <output>/<name>/<dataset>.json
        kind: splade                # splade (default), bm25, dense, or run (below)
        checkpoint: splade-tiny
        pooling: max                # optional build options, passed to make_retriever
        description: splade-tiny, max pooling
        reference: pyserini-2cr-beir/splade-pp-ed   # optional: published figures to show and check
      - label: R                    # a TREC run file per dataset, made by any system
        name: my-system
        kind: run
        run: runs/{dataset}.trec.gz
    ensembles:
      - members: [A, B]             # labels; name defaults to "A+B"; weights default to 1 each
    baseline: A                     # optional: the row the tables test every other row against
    references: [my_refs.yaml]      # optional: reference files beside the shipped ones (splade_beir.references)

>>> import pathlib, tempfile
>>> path = pathlib.Path(tempfile.mkdtemp()) / "mini.yaml"
>>> _ = path.write_text("datasets: demo\\nmodels:\\n  - {label: A, checkpoint: splade-tiny}\\n")
>>> cfg = load_config(path)
>>> cfg.name, cfg.datasets, cfg.models[0].name, cfg.models[0].options
('mini', ['demo'], 'splade-tiny', {})
"""

from __future__ import annotations

from .loader import load_config
from .spec import EnsembleSpec, EvalConfig, ModelSpec

__all__ = ["EnsembleSpec", "EvalConfig", "ModelSpec", "load_config"]
