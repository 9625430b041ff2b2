"""Tables from hand-made result files: values, averages, dashes for missing cells, files, CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from splade_beir.cli import run_cli
from splade_beir.config import load_config
from splade_beir.datasets import BEIR_13
from splade_beir.tables import average_columns, build_tables, main


def put(root: Path, name: str, dataset: str, ndcg: float | None, flops: float | None = None,
        nnz_query: float | None = None, nnz_doc: float | None = None) -> None:
    path = root / name / f"{dataset}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"model": name, "dataset": dataset, "metrics": {"ndcg@10": ndcg},
                                "flops": flops, "nnz_query": nnz_query, "nnz_doc": nnz_doc}))


def cells(markdown: str, first: str) -> list[str]:
    """The cells of the Markdown table row whose first cell is ``first``."""
    for line in markdown.splitlines():
        row = [c.strip() for c in line.split(" | ")]
        if line.startswith("|") and row[0].lstrip("| ") == first:
            return [row[0].lstrip("| ")] + row[1:-1] + [row[-1].rstrip(" |")]
    raise AssertionError(f"no row {first!r} in\n{markdown}")


def config(tmp_path: Path, datasets: str, ensembles: str = "") -> Path:
    path = tmp_path / "t.yaml"
    path.write_text(f"name: t\ndatasets: {datasets}\noutput: {tmp_path / 'results'}\nmodels:\n"
                    "  - {label: A, name: model-a, checkpoint: x/a, init: bert, lambda_q: 0.01}\n"
                    "  - {label: B, name: model-b, checkpoint: x/b, description: 'second | model'}\n"
                    + ensembles)
    return path


def test_beir13_average_only_over_complete_rows(tmp_path):
    out = tmp_path / "results"
    for j, d in enumerate(BEIR_13):  # A: 0.30, 0.31, ..., 0.42 -> mean 0.36
        put(out, "model-a", d, 0.30 + 0.01 * j, flops=1.5, nnz_query=20, nnz_doc=100)
        if d != "scifact":
            put(out, "model-b", d, 0.5)
    put(out, "model-a", "cqadupstack", 0.40)
    tables = build_tables(load_config(config(tmp_path, "all")))
    frame = tables["ndcg"].frame
    assert list(frame.columns) == ["label", "model", "description", "init", "lambda_q", *BEIR_13,
                                   "BEIR-13 avg", "cqadupstack", "BEIR-13 + cqadupstack avg"]
    a, b = frame.iloc[0], frame.iloc[1]
    assert a["BEIR-13 avg"] == pytest.approx(36.0)
    assert a["BEIR-13 + cqadupstack avg"] == pytest.approx((13 * 36.0 + 40.0) / 14)  # 36.29 -> 36.3
    assert pd.isna(b["BEIR-13 avg"]) and pd.isna(b["scifact"]) and b["nfcorpus"] == pytest.approx(50.0)
    md = tables["ndcg"].markdown()
    assert cells(md, "A")[-3:] == ["36.0", "40.0", "36.3"]
    row_b = cells(md, "B")
    assert row_b[-3:] == ["-", "-", "-"] and "0.0" not in row_b and row_b[2] == "second \\| model"
    csv_b = tables["ndcg"].csv().splitlines()[2]
    assert csv_b.endswith(",,,") and ",50.0," in csv_b  # empty, never 0

    flops = tables["flops"].frame
    assert len(flops) == 2 * 14 and list(flops.columns) == ["label", "model", "dataset", "FLOPS", "nnz query",
                                                            "nnz doc"]
    row = flops[(flops.label == "A") & (flops.dataset == "nfcorpus")].iloc[0]
    assert (row["FLOPS"], row["nnz query"], row["nnz doc"]) == (1.5, 20, 100)
    assert cells(tables["flops"].markdown(), "B")[2:] == ["trec-covid", "-", "-", "-"]


def test_partial_configs_say_what_they_average():
    assert average_columns(["scifact", "nfcorpus", "msmarco"]) == [("avg (2 datasets)", ["scifact", "nfcorpus"])]
    assert average_columns(["demo"]) == []
    assert average_columns(["scifact", "cqadupstack"]) == [
        ("avg (1 dataset + cqadupstack)", ["scifact", "cqadupstack"])]
    assert average_columns(list(BEIR_13[:12])) == [("avg (12 datasets)", list(BEIR_13[:12]))]


def test_ensemble_table(tmp_path):
    out = tmp_path / "results"
    for name, (s, f) in {"A+B": (0.6, 3.0), "heavy": (0.7, 4.0)}.items():
        put(out / "ensembles", name, "scifact", s, flops=f)
    put(out / "ensembles", "heavy", "nfcorpus", 0.3, flops=2.0)
    path = config(tmp_path, "[scifact, nfcorpus]",
                  "ensembles:\n  - members: [A, B]\n  - {name: heavy, members: [B, A], weights: [2, 1]}\n")
    table = build_tables(load_config(path))["ensembles"]
    assert list(table.frame.columns) == ["ensemble", "members", "weights", "scifact", "nfcorpus",
                                         "avg (2 datasets)", "FLOPS (avg (2 datasets))"]
    rows = table.frame.to_dict("records")
    assert rows[0]["members"] == "A B" and rows[1]["members"] == "B A" and rows[1]["weights"] == "2 1"
    assert pd.isna(rows[0]["nfcorpus"]) and pd.isna(rows[0]["avg (2 datasets)"])
    assert rows[1]["avg (2 datasets)"] == pytest.approx(50.0) and rows[1]["FLOPS (avg (2 datasets))"] == 3.0
    assert cells(table.markdown(), "A+B")[2:] == ["1 1", "60.0", "-", "-", "-"]  # FLOPS avg needs both
    assert cells(table.markdown(), "heavy")[2:] == ["2 1", "70.0", "30.0", "50.0", "3.00"]


def test_no_ensembles_no_table(tmp_path):
    assert set(build_tables(load_config(config(tmp_path, "[scifact]")))) == {"ndcg", "flops"}


def test_cli_writes_markdown_and_csv_and_updates_a_readme(tmp_path, capsys):
    out = tmp_path / "results"
    put(out, "model-a", "scifact", 0.655)
    path = config(tmp_path, "[scifact]")
    readme = tmp_path / "README.md"
    readme.write_text("intro\n<!-- splade-beir:table ndcg -->\n<!-- /splade-beir:table -->\n"
                      "<!-- splade-beir:table flops -->\nold\n<!-- /splade-beir:table -->\n")
    assert run_cli(main, ["--config", str(path), "--update-readme", str(readme)]) == 0
    folder = out / "tables" / "t"
    assert sorted(p.name for p in folder.iterdir()) == ["flops.csv", "flops.md", "ndcg.csv", "ndcg.md"]
    ndcg_md = (folder / "ndcg.md").read_text()
    assert cells(ndcg_md, "A")[-1] == "65.5" and cells(ndcg_md, "B")[-1] == "-"
    assert ndcg_md.strip() in readme.read_text() and "old" not in readme.read_text()
    first = readme.read_text()
    assert run_cli(main, ["--config", str(path), "--update-readme", str(readme)]) == 0
    assert readme.read_text() == first
    assert "already up to date" in capsys.readouterr().out


def test_cli_missing_marker_is_an_error(tmp_path, capsys):
    path = config(tmp_path, "[scifact]")
    readme = tmp_path / "README.md"
    readme.write_text("no markers\n")
    assert run_cli(main, ["--config", str(path), "--update-readme", str(readme)]) == 2
    assert "splade-beir:table ndcg" in capsys.readouterr().err and readme.read_text() == "no markers\n"
