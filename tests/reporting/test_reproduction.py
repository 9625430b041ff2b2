"""Published references in configs and tables, and ``python -m splade_beir.tables --check-references``."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from splade_beir.cli import run_cli
from splade_beir.config import load_config
from splade_beir.errors import UserError
from splade_beir.evaluation.result import Result
from splade_beir.evaluation.store import ResultStore
from splade_beir.references import load_reference
from splade_beir.reporting.reproduction import reference_cells
from splade_beir.reporting.tables import build_tables
from splade_beir.reporting.view import ConfigResults
from splade_beir.tables import main as tables_main

REFERENCE = """\
schema: splade_beir.reference/v1
source:
  id: paper
  title: A paper
  citation: "Someone. A paper. 2024. Table 2."
measures:
  NDCG@10: {measure: nDCG@10, scale: percent}
  R@1k: {measure: R@1000, scale: percent}
  FLOPS: {measure: null, scale: as printed}
datasets:
  SciFact: {key: scifact}
  avg: {key: null}
rows:
  good:
    label: The model
    citation: Table 2, row 3
    values:
      SciFact: {NDCG@10: 50.0, R@1k: 90.0}
      nfcorpus: {NDCG@10: 30.0, R@1k: null}
      avg: {NDCG@10: 40.0}
  bad:
    values:
      SciFact: {NDCG@10: 55.0, R@1k: 90.0}
"""

CONFIG = """\
name: t
datasets: scifact,nfcorpus,fiqa
output: {out}
references: [{ref}]
models:
  - {{label: A, name: model-a, checkpoint: x/a, reference: paper/good}}
  - {{label: B, name: model-b, checkpoint: x/b}}
"""


def setup(tmp_path: Path, row: str = "good") -> Path:
    ref = tmp_path / "paper.yaml"
    ref.write_text(REFERENCE)
    out = tmp_path / "results"
    store = ResultStore(out)
    for d, ndcg, recall in (("scifact", 0.503, 0.9049), ("nfcorpus", 0.31, 0.5)):  # fiqa: not evaluated
        store.write(Result("model-a", d, "splade", metrics={"nDCG@10": ndcg, "R@100": 0.5, "R@1000": recall}))
        store.write(Result("model-b", d, "splade", metrics={"nDCG@10": 0.2}))
    path = tmp_path / "t.yaml"
    path.write_text(CONFIG.format(out=out, ref=ref).replace("paper/good", f"paper/{row}"))
    return path


def test_cells_statuses_and_notes(tmp_path):
    cells = {(c.dataset, c.measure): c for c in reference_cells(ConfigResults(load_config(setup(tmp_path))))}
    assert set(cells) == {("scifact", "nDCG@10"), ("scifact", "R@1000"), ("nfcorpus", "nDCG@10"),
                          ("nfcorpus", "R@1000"), ("fiqa", "-")}
    scifact = cells["scifact", "nDCG@10"]
    assert (scifact.measured, scifact.published, scifact.status(0.005)) == (0.503, 0.5, "ok")
    assert scifact.difference == pytest.approx(0.003) and scifact.status(0.002) == "differs"
    assert cells["scifact", "R@1000"].status(0.005) == "ok"  # 0.0049 off
    assert cells["nfcorpus", "nDCG@10"].status(0.005) == "differs"  # 0.31 vs 0.30
    assert cells["nfcorpus", "nDCG@10"].status(0.01) == "ok"  # exactly the tolerance: holds (no float noise)
    assert (cells["nfcorpus", "R@1000"].status(), cells["nfcorpus", "R@1000"].note) == (
        "not comparable", "the source prints no figure")
    assert (cells["fiqa", "-"].status(), cells["fiqa", "-"].note) == ("not comparable", "paper has no figure for fiqa")


def tables_of(tmp_path: Path, old: str, new: str) -> dict:
    path = setup(tmp_path)
    path.write_text(path.read_text().replace(old, new))
    return build_tables(load_config(path))


def test_tables_show_published_rows_and_the_references_table(tmp_path):
    tables = build_tables(load_config(setup(tmp_path)))
    ndcg = tables["ndcg"].frame
    assert list(ndcg["label"]) == ["A", "B", "A (published)"]
    published = ndcg.iloc[2]
    assert (published["model"], published["scifact"], published["nfcorpus"]) == ("paper/good", 50.0, 30.0)
    assert pd.isna(published["avg (3 datasets)"])  # fiqa is not published: no average
    assert "`<label> (published)`" in tables["ndcg"].caption
    # the seed table's one quality column averages all 3 datasets, and fiqa is not published: no row there
    assert list(tables["seed"].frame["label"]) == ["A", "B"]
    two = tables_of(tmp_path, "datasets: scifact,nfcorpus,fiqa", "datasets: scifact,nfcorpus")
    assert list(two["seed"].frame["label"]) == ["A", "B", "A (published)"]
    assert two["seed"].frame.iloc[2]["nDCG@10 avg (2 datasets)"] == pytest.approx(40.0)
    refs = tables["references"]
    assert list(refs.frame.columns) == ["label", "reference", "dataset", "measure", "measured", "published",
                                        "difference", "status", "note"]
    md = refs.markdown()
    assert "| A       | paper/good  | scifact   | nDCG@10   |      50.30 |       50.00 |        +0.30 | ok" in md
    assert "tolerance of 0.005 on the 0-1 scale (0.5 points here)" in md


def test_check_references_exit_codes_and_listing(tmp_path, capsys):
    good = setup(tmp_path)
    assert run_cli(tables_main, ["--config", str(good), "--no-plot", "--check-references", "--tolerance", "0.011"]) == 0
    out = capsys.readouterr().out
    assert "reference check, tolerance 0.011 (0-1 scale): 5 cells, 3 ok, 0 differ, 2 not comparable" in out
    assert "NOT COMPARABLE row A vs paper/good: fiqa -" in out and "the reproduction holds: 3 cells within 0.011" in out
    assert run_cli(tables_main, ["--config", str(good), "--no-plot", "--check-references", "--tolerance", "0.005"]) == 1
    out = capsys.readouterr().out
    assert ("DIFFERS        row A vs paper/good: nfcorpus nDCG@10  measured 0.3100  published 0.3000  "
            "difference 0.0100") in out
    assert "the reproduction does NOT hold: 1 cells differ by more than 0.005" in out
    wrong = setup(tmp_path, row="bad")  # a deliberately wrong reference: 55.0 published, 50.3 measured
    assert run_cli(tables_main, ["--config", str(wrong), "--no-plot", "--check-references", "--tolerance", "0.011"]) == 1
    assert "DIFFERS        row A vs paper/bad: scifact nDCG@10  measured 0.5030  published 0.5500" in capsys.readouterr().out
    assert run_cli(tables_main, ["--config", str(wrong), "--no-plot"]) == 0  # without the flag: tables only


def test_check_references_needs_a_reference_and_a_sane_tolerance(tmp_path, capsys):
    path = setup(tmp_path)
    path.write_text(path.read_text().replace(", reference: paper/good", ""))
    assert run_cli(tables_main, ["--config", str(path), "--check-references"]) == 2
    assert "no model names a 'reference: <source>/<row>'" in capsys.readouterr().err
    assert run_cli(tables_main, ["--config", str(path), "--tolerance", "5"]) == 2
    assert "--tolerance must be from 0 to 1" in capsys.readouterr().err


@pytest.mark.parametrize("old, new, expected", [
    ("paper/good", "paper/goood", r"t\.yaml:6: models\[0\]\.reference: unknown reference 'paper/goood' "
                                  r"\(rows of paper: good, bad\)"),
    ("paper/good", "papr/good", r"t\.yaml:6: models\[0\]\.reference: unknown reference 'papr/good': no source "
                                r"'papr' \(known: distilsplade-max-readme, paper, pyserini-2cr-beir"),
    ("paper/good", "pyserini-2cr-beir/splade-pp-ed", None),
    ("references: [", "references: [nope.yaml, ", r"t\.yaml:4: references\[0\]: reference file 'nope.yaml' not found"),
])
def test_references_are_checked_when_the_config_loads(tmp_path, old, new, expected):
    path = setup(tmp_path)
    path.write_text(path.read_text().replace(old, new, 1))
    if expected is None:
        assert load_config(path).models[0].reference == new
    else:
        with pytest.raises(UserError, match=expected):
            load_config(path)


@pytest.mark.parametrize("old, new, expected", [
    ("schema: splade_beir.reference/v1", "schema: v2", r"paper\.yaml:1: schema: expected schema: splade_beir"),
    ('  citation: "Someone. A paper. 2024. Table 2."\n', "", r"paper\.yaml:2: source: missing 'citation'"),
    ("  id: paper", "  id: a/b", r"paper\.yaml:3: source\.id: expected a source id without '/'"),
    ("{NDCG@10: 55.0,", "{NDCG@5: 55.0,", r"paper\.yaml:23: rows\.bad\.values\.SciFact: measure 'NDCG@5' is not "
                                           "declared"),
    ("{NDCG@10: 55.0,", "{NDCG@10: 155.0,", r"paper\.yaml:23: .*NDCG@10: expected a number from 0 to 100 or null"),
    ("{NDCG@10: 55.0,", "{NDCG@10: yes,", r"expected a number from 0 to 100 or null, got True"),
    ("measure: R@1000", "measure: Recall@1000", r"paper\.yaml:8: measures\.R@1k\.measure: not a measure name"),
    ("R@1000, scale: percent", "R@1000, scale: permille", r"paper\.yaml:8: measures\.R@1k\.scale: expected scale"),
    ("rows:", "rows: [", r"paper\.yaml:\d+: not valid YAML"),
])
def test_reference_files_name_file_and_line(tmp_path, old, new, expected):
    assert old in REFERENCE
    path = tmp_path / "paper.yaml"
    path.write_text(REFERENCE.replace(old, new, 1))
    with pytest.raises(UserError, match=expected):
        load_reference(path)


def test_a_source_id_defined_twice_is_refused(tmp_path):
    path = setup(tmp_path)
    (tmp_path / "paper.yaml").write_text(REFERENCE.replace("id: paper", "id: pyserini-2cr-beir"))
    with pytest.raises(UserError, match=r"paper\.yaml: source id 'pyserini-2cr-beir' is already defined by .*"
                                        r"pyserini_2cr_beir\.yaml"):
        load_config(path)


def test_shipped_references_convert_scales_levels_and_cqadupstack(tmp_path):
    out = tmp_path / "results"
    store = ResultStore(out)
    store.write(Result("m", "cqadupstack", "splade", metrics={"nDCG@10": 0.3338, "R@100": 0.6521, "R@1000": 0.8408}))
    store.write(Result("m", "trec-dl-2019", "splade", metrics={"nDCG@10": 0.73, "R(rel=2)@1000": 0.865,
                                                               "RR(rel=2)@10": 0.9}))
    path = tmp_path / "c.yaml"
    path.write_text(f"datasets: cqadupstack,trec-dl-2019\noutput: {out}\nmodels:\n"
                    "  - {label: P, name: m, checkpoint: x, reference: pyserini-2cr-beir/splade-pp-ed}\n"
                    "  - {label: D, name: m2, checkpoint: y, reference: distilsplade-max-readme/results.distilsplade-v2}\n")
    store.write(Result("m2", "trec-dl-2019", "splade", metrics={"nDCG@10": 0.73, "R(rel=2)@1000": 0.865}))
    cells = {(c.label, c.dataset, c.measure): c for c in reference_cells(ConfigResults(load_config(path)))}
    cqa = cells["P", "cqadupstack", "nDCG@10"]
    assert cqa.published == pytest.approx(0.333783, abs=1e-6) and cqa.note == "mean of the 12 published cqadupstack forums"
    assert cqa.status() == "ok" and cells["P", "trec-dl-2019", "-"].status() == "not comparable"
    dl = cells["D", "trec-dl-2019", "R(rel=2)@1000"]
    assert (dl.published, dl.status()) == (pytest.approx(0.865), "ok")
    assert dl.note == "published as R@1000 (relevance level not stated), compared with R(rel=2)@1000"
    assert cells["D", "trec-dl-2019", "nDCG@10"].published == pytest.approx(0.729)
    assert ("D", "trec-dl-2019", "RR(rel=2)@10") not in cells  # the README has no MRR for TREC DL
