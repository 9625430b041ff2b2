"""Acceptance on msmarco-5k: BM25's run file, renamed, is a row of a config (kind: run) with exactly the
numbers of the BM25 model it came from, in an ensemble and in the significance tests; and
``--check-references`` holds with the reference made from the BM25 result, and fails, naming the cell,
with a wrong one. Uses the committed results of eval_configs/msmarco5k.yaml (nothing is encoded)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml

from splade_beir.cli import run_cli
from splade_beir.config import load_config
from splade_beir.evaluation.api import evaluate_config
from splade_beir.fuse.ensembles import ensemble_config
from splade_beir.reporting.tables import build_tables
from splade_beir.tables import main as tables_main

REPO = Path(__file__).resolve().parents[2]
RESULTS = REPO / "results"
REFERENCE = REPO / "eval_configs" / "references" / "msmarco5k_bm25.yaml"

CONFIG = """\
name: acceptance
datasets: [{{name: {data}, relevance_level: 2}}]
output: {out}
baseline: S
references: [{ref}]
models:
  - {{label: S, name: splade-tiny, checkpoint: splade-tiny}}
  - {{label: B, name: bm25, kind: bm25, reference: msmarco5k-bm25/bm25}}
  - {{label: R, name: bm25-run, kind: run, run: "{runs}/{{dataset}}.trec.gz", reference: msmarco5k-bm25/bm25}}
ensembles:
  - members: [S, B]
  - members: [S, R]
"""


@pytest.fixture
def committed():
    needed = [RESULTS / m / f"msmarco-5k.{ext}" for m in ("bm25", "splade-tiny") for ext in ("json", "run.gz")]
    if not all(p.is_file() for p in needed):
        pytest.skip("the committed msmarco5k results are absent")
    return RESULTS


def test_the_shipped_stand_in_reference_is_the_bm25_result_rounded(committed):
    ref = yaml.safe_load(REFERENCE.read_text())
    result = json.loads((committed / "bm25" / "msmarco-5k.json").read_text())
    assert ref["source"]["run_sha256"] == result["run_sha256"]
    assert ref["rows"]["bm25"]["values"]["msmarco-5k"] == {m: round(v, 4) for m, v in result["metrics"].items()}


def test_bm25_run_file_as_a_row_ensemble_significance_and_reference_check(tmp_path, committed, msmarco_5k, capsys):
    out, runs = tmp_path / "results", tmp_path / "runs"
    for model in ("bm25", "splade-tiny"):
        shutil.copytree(committed / model, out / model)
    runs.mkdir()
    shutil.copy(committed / "bm25" / "msmarco-5k.run.gz", runs / "msmarco-5k.trec.gz")  # "another system's" run
    config = tmp_path / "acceptance.yaml"
    config.write_text(CONFIG.format(data=msmarco_5k, out=out, runs=runs, ref=REFERENCE))

    done = evaluate_config(config, show_progress=False)
    assert list(done) == ["R"]  # S and B exist: only the run is evaluated
    bm25, run = (json.loads((out / m / "msmarco-5k.json").read_text()) for m in ("bm25", "bm25-run"))
    assert run["metrics"] == bm25["metrics"] and run["per_query"] == bm25["per_query"]
    assert run["metrics"]["nDCG@10"] == pytest.approx(0.7162, abs=5e-5) and run["warnings"] == []

    fused = ensemble_config(config)
    assert fused["S+R"]["msmarco-5k"].metrics == fused["S+B"]["msmarco-5k"].metrics
    assert fused["S+R"]["msmarco-5k"].per_query == fused["S+B"]["msmarco-5k"].per_query

    tables = build_tables(load_config(config))
    tests = tables["significance"].frame.set_index(["row", "measure"])
    for measure in ("nDCG@10", "R@1k"):
        assert tests.loc[("R", measure)].drop("dataset").equals(tests.loc[("B", measure)].drop("dataset"))
        assert tests.loc[("S+R", measure)].equals(tests.loc[("S+B", measure)])
    assert list(tables["ndcg"].frame["label"]) == ["S", "B", "R", "B (published)", "R (published)"]

    assert run_cli(tables_main, ["--config", str(config), "--no-plot", "--check-references", "--tolerance",
                                 "0.005"]) == 0
    report = capsys.readouterr().out
    assert "8 cells, 8 ok, 0 differ, 0 not comparable" in report and "the reproduction holds" in report

    wrong = tmp_path / "wrong.yaml"
    wrong.write_text(REFERENCE.read_text().replace("nDCG@10: 0.7162", "nDCG@10: 0.7262"))
    config.write_text(config.read_text().replace(str(REFERENCE), str(wrong)))
    assert run_cli(tables_main, ["--config", str(config), "--no-plot", "--check-references", "--tolerance",
                                 "0.005"]) == 1
    report = capsys.readouterr().out
    assert "8 cells, 6 ok, 2 differ" in report
    assert "DIFFERS        row R vs msmarco5k-bm25/bm25: msmarco-5k nDCG@10  measured 0.7162  published 0.7262" in report
