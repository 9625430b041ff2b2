"""Tables from hand-made result files: values, averages, dashes for missing cells, files, CLI."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from splade_beir.cli import run_cli
from splade_beir.config import load_config
from splade_beir.data.names import BEIR_13
from splade_beir.evaluation.measures import Measure
from splade_beir.evaluation.result import Result
from splade_beir.evaluation.store import ResultStore
from splade_beir.reporting.columns import average_columns
from splade_beir.reporting.figure import plot_points
from splade_beir.reporting.plot import Point
from splade_beir.reporting.tables import build_tables
from splade_beir.reporting.view import ConfigResults
from splade_beir.tables import main


def put(root: Path, name: str, dataset: str, ndcg: float | None, flops: float | None = None,
        nnz_query: float | None = None, nnz_doc: float | None = None) -> None:
    ResultStore(root).write(Result(name, dataset, "splade", metrics={"nDCG@10": ndcg}, flops=flops,
                                   nnz_query=nnz_query, nnz_doc=nnz_doc))


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
    assert set(build_tables(load_config(config(tmp_path, "[scifact]")))) == {"seed", "ndcg", "flops"}


def test_cli_writes_markdown_and_csv_and_updates_a_readme(tmp_path, capsys):
    out = tmp_path / "results"
    put(out, "model-a", "scifact", 0.655)
    path = config(tmp_path, "[scifact]")
    readme = tmp_path / "README.md"
    readme.write_text("intro\n<!-- splade-beir:table ndcg -->\n<!-- /splade-beir:table -->\n"
                      "<!-- splade-beir:table flops -->\nold\n<!-- /splade-beir:table -->\n"
                      "<!-- splade-beir:table seed -->\n<!-- /splade-beir:table -->\n")
    assert run_cli(main, ["--config", str(path), "--update-readme", str(readme), "--no-plot"]) == 0
    folder = out / "tables" / "t"
    assert sorted(p.name for p in folder.iterdir()) == [
        "flops.csv", "flops.md", "flops.tex", "ndcg.csv", "ndcg.md", "ndcg.tex", "ndcg_transposed.tex", "seed.csv",
        "seed.md", "seed.tex"]
    ndcg_md = (folder / "ndcg.md").read_text()
    assert cells(ndcg_md, "A")[-1] == "65.5" and cells(ndcg_md, "B")[-1] == "-"
    assert ndcg_md.strip() in readme.read_text() and "old" not in readme.read_text()
    first = readme.read_text()
    assert run_cli(main, ["--config", str(path), "--update-readme", str(readme), "--no-plot"]) == 0
    assert readme.read_text() == first
    assert "already up to date" in capsys.readouterr().out


def test_cli_missing_marker_is_an_error(tmp_path, capsys):
    path = config(tmp_path, "[scifact]")
    readme = tmp_path / "README.md"
    readme.write_text("no markers\n")
    assert run_cli(main, ["--config", str(path), "--update-readme", str(readme)]) == 2
    assert "splade-beir:table seed" in capsys.readouterr().err and readme.read_text() == "no markers\n"



# --- issue 7: the seed layout (MS MARCO, TREC DL, BEIR, FLOPS), significance marks, the plot ----------

NAMES = {"ndcg": "nDCG", "recall": "R", "mrr": "RR"}


def measure_name(key: str, level: int) -> str:
    """``recall_1000`` at level 2 -> ``R(rel=2)@1000``."""
    name, cutoff = key.rsplit("_", 1)
    return str(Measure(NAMES[name], int(cutoff)).at(level))


def put_result(root: Path, name: str, dataset: str, flops: float | None = None, level: int = 1,
               per_query: dict | None = None, **metrics: float) -> None:
    """A result with any metrics (``recall_1000=...`` for R@1000, at ``level``) and optional per-query scores
    (given as ``{qid: {"ndcg_10": v, ...}}``)."""
    pq = {q: {measure_name(k, level): v for k, v in s.items()} for q, s in (per_query or {}).items()}
    ResultStore(root).write(Result(name, dataset, "splade", flops=flops, per_query=pq,
                                   metrics={measure_name(k, level): v for k, v in metrics.items()}))


def in_domain_config(tmp_path: Path, extra: str = "") -> Path:
    sample = tmp_path / "msmarco-5k"  # a local folder that follows the TREC DL convention
    sample.mkdir(exist_ok=True)
    path = tmp_path / "seed.yaml"
    path.write_text(f"name: seed\noutput: {tmp_path / 'results'}\n"
                    f"datasets: [msmarco, trec-dl-2019, trec-dl-2020, scifact, nfcorpus, "
                    f"{{name: {sample}, relevance_level: 2}}]\nmodels:\n"
                    "  - {label: A, name: model-a, checkpoint: x/a}\n"
                    "  - {label: B, name: model-b, checkpoint: x/b}\n"
                    "ensembles:\n  - members: [A, B]\n" + extra)
    return path


def test_seed_layout_columns_values_and_dashes(tmp_path):
    out = tmp_path / "results"
    put_result(out, "model-a", "msmarco", flops=1.25, level=1, mrr_10=0.381, recall_1000=0.982, ndcg_10=0.45)
    put_result(out, "model-a", "trec-dl-2019", flops=1.5, level=2, ndcg_10=0.731, recall_1000=0.874)
    put_result(out, "model-a", "scifact", flops=2.0, ndcg_10=0.70)
    put_result(out, "model-a", "nfcorpus", flops=3.0, ndcg_10=0.35)
    put_result(out, "model-a", "msmarco-5k", flops=9.0, level=2, ndcg_10=0.80, recall_1000=0.97)
    # B: evaluated on TREC DL 2019 at the wrong level (its R@1k must not be shown), and on one BEIR set
    put_result(out, "model-b", "trec-dl-2019", flops=0.7, level=1, ndcg_10=0.70, recall_1000=0.90)
    put_result(out, "model-b", "scifact", ndcg_10=0.60)
    put_result(out / "ensembles", "A+B", "msmarco", flops=2.0, mrr_10=0.39, recall_1000=0.985)
    cfg = load_config(in_domain_config(tmp_path))
    assert cfg.relevance_levels == {"msmarco-5k": 2}
    results = ConfigResults(cfg)
    seed = build_tables(results)["seed"]
    assert list(seed.frame.columns) == [  # TREC-2020: no row has a result, so no column
        "label", "model", "MS MARCO MRR@10", "MS MARCO R@1k", "TREC-2019 nDCG@10", "TREC-2019 R@1k",
        "msmarco-5k nDCG@10", "msmarco-5k R@1k", "nDCG@10 avg (2 datasets)", "FLOPS (msmarco)"]
    md = seed.markdown()
    assert cells(md, "A")[1:] == ["model-a", "38.1", "98.2", "73.1", "87.4", "80.0", "97.0", "52.5", "1.25"]
    assert cells(md, "B")[1:] == ["model-b", "-", "-", "70.0", "-", "-", "-", "-", "-"]
    assert cells(md, "A+B")[1:] == ["ensemble of A B", "39.0", "98.5", "-", "-", "-", "-", "-", "2.00"]
    assert "R@1k on TREC-2019, msmarco-5k counts grades >= 2 as relevant (trec_eval -l 2)" in md
    assert len(results.warnings) == 1 and "model-b/trec-dl-2019.json: has R@1000 where trec-dl-2019 uses " \
        "R(rel=2)@1000" in results.warnings[0]
    points, x_label, y_label = plot_points(results, seed)  # BEIR quality against MS MARCO FLOPS
    assert (x_label, y_label) == ("FLOPS (msmarco), log scale", "nDCG@10 avg (2 datasets) x 100")
    assert points == [Point("A", pytest.approx(52.5), 1.25), Point("B", None, None),
                      Point("A+B", None, 2.0, "ensemble")]
    ndcg = build_tables(cfg)["ndcg"].frame  # in-domain sets have nDCG columns but stay out of the average
    assert list(ndcg.columns)[-7:] == ["msmarco", "trec-dl-2019", "trec-dl-2020", "scifact", "nfcorpus",
                                       "msmarco-5k", "avg (2 datasets)"]
    assert ndcg.iloc[0]["avg (2 datasets)"] == pytest.approx(52.5)


def test_seed_layout_on_beir13_and_a_single_dataset(tmp_path):
    out = tmp_path / "results"
    for d in BEIR_13:
        put_result(out, "model-a", d, flops=1.0 + BEIR_13.index(d), ndcg_10=0.5)
    seed = build_tables(load_config(config(tmp_path, "all")))["seed"]
    assert list(seed.frame.columns) == ["label", "model", "BEIR-13 nDCG@10", "FLOPS (BEIR-13 avg)"]
    assert cells(seed.markdown(), "A")[2:] == ["50.0", "7.00"]  # FLOPS: the mean of 1..13
    single = build_tables(load_config(config(tmp_path, "[scifact]")))["seed"]
    assert list(single.frame.columns) == ["label", "model", "scifact nDCG@10", "FLOPS (scifact)"]


def pq(values: list[float], measure: str = "ndcg_10", **more: list[float]) -> dict:
    return {f"q{i}": {measure: v, **{m: more[m][i] for m in more}} for i, v in enumerate(values)}


BASE = [0.2, 0.5, 0.3, 0.6, 0.4, 0.1]
BETTER = [0.5, 0.7, 0.6, 0.8, 0.7, 0.3]     # +.3 +.2 +.3 +.2 +.3 +.2: clearly better
NOISY = [0.3, 0.4, 0.2, 0.9, 0.4, 0.1]      # +.1 -.1 -.1 +.3 0 0: no real difference


def significance_results(tmp_path: Path) -> Path:
    from scipy import stats

    out = tmp_path / "results"
    put_result(out, "model-a", "trec-dl-2019", level=2, ndcg_10=sum(BASE) / 6,
               recall_1000=0.5, per_query=pq(BASE, recall_1000=BASE))
    put_result(out, "model-a", "scifact", ndcg_10=sum(BASE) / 6, per_query=pq(BASE))
    put_result(out, "model-b", "trec-dl-2019", level=2, ndcg_10=sum(BETTER) / 6,
               recall_1000=0.6, per_query=pq(BETTER, recall_1000=NOISY))
    put_result(out, "model-b", "scifact", ndcg_10=sum(NOISY) / 6, per_query=pq(NOISY))
    put_result(out / "ensembles", "A+B", "scifact", ndcg_10=sum(BETTER) / 6, per_query=pq(BETTER))
    assert stats.ttest_rel(BETTER, BASE).pvalue * 2 < 0.05 and stats.ttest_rel(NOISY, BASE).pvalue > 0.05
    path = tmp_path / "sig.yaml"
    path.write_text(f"name: sig\noutput: {out}\ndatasets: [trec-dl-2019, scifact]\nbaseline: A\nmodels:\n"
                    "  - {label: A, name: model-a, checkpoint: x/a}\n  - {label: B, name: model-b, checkpoint: x/b}\n"
                    "ensembles:\n  - members: [A, B]\n")
    return path


def test_significance_marks_match_scipy_with_holm(tmp_path):
    from scipy import stats

    from splade_beir.reporting.significance import holm

    tables = build_tables(load_config(significance_results(tmp_path)))
    tests = tables["significance"].frame
    b = tests[(tests.row == "B") & (tests.measure == "nDCG@10")].set_index("dataset")
    raw = [stats.ttest_rel(BETTER, BASE).pvalue, stats.ttest_rel(NOISY, BASE).pvalue]
    assert list(b["p"]) == pytest.approx(raw) and list(b["p (Holm)"]) == pytest.approx(holm(raw))
    assert list(b["tests in family"]) == [2, 2] and list(b["significant"]) == ["yes", "no"]
    assert b.loc["trec-dl-2019", "t"] == pytest.approx(stats.ttest_rel(BETTER, BASE).statistic)
    r1k = tests[(tests.row == "B") & (tests.measure == "R@1k")]
    assert len(r1k) == 1 and r1k.iloc[0]["tests in family"] == 1 and r1k.iloc[0]["significant"] == "no"
    seed = tables["seed"].markdown()
    assert cells(seed, "B")[2:4] == ["60.0\u2020", "60.0"]  # nDCG marked, R@1k not
    assert cells(seed, "A")[2] == "35.0" and "\u2020: significantly different from the baseline row A" in seed
    assert cells(tables["ndcg"].markdown(), "B")[2:] == ["60.0\u2020", "38.3"]
    assert cells(tables["ensembles"].markdown(), "A+B")[2:4] == ["-", "60.0\u2020"]  # one test: no correction
    assert tables["ndcg"].csv().splitlines()[2].startswith("B,model-b,60.0")  # CSV keeps plain numbers


def test_baseline_from_the_command_line_and_unknown_baselines(tmp_path, capsys):
    path = significance_results(tmp_path)
    assert run_cli(main, ["--config", str(path), "--baseline", "A+B", "--no-plot"]) == 0
    out = capsys.readouterr().out
    assert "significantly different from the baseline row A+B" in out
    folder = tmp_path / "results" / "tables" / "sig"
    assert (folder / "significance.csv").is_file()
    assert run_cli(main, ["--config", str(path), "--baseline", "Z", "--no-plot"]) == 2
    assert "baseline 'Z' is neither a model label nor an ensemble name (rows: A, B, A+B)" in capsys.readouterr().err
    path.write_text(path.read_text().replace("baseline: A", "baseline: Q"))
    assert run_cli(main, ["--config", str(path), "--no-plot"]) == 2
    assert "sig.yaml:4: baseline: 'Q' is neither a model label" in capsys.readouterr().err
    path.write_text(path.read_text().replace("baseline: Q\n", ""))
    assert run_cli(main, ["--config", str(path), "--no-plot"]) == 0
    assert not (folder / "significance.csv").exists()  # no baseline now: the old tests are gone
    assert "\u2020" not in (folder / "seed.md").read_text()


def test_readme_gets_the_seed_table_and_the_plot(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    out = tmp_path / "results"
    put_result(out, "model-a", "scifact", flops=1.5, ndcg_10=0.655)
    put_result(out, "model-b", "scifact", ndcg_10=0.60)  # a row without FLOPS: a reference line
    path = config(tmp_path, "[scifact]")
    docs = tmp_path / "docs"
    docs.mkdir()
    readme = docs / "README.md"
    readme.write_text("".join(f"<!-- splade-beir:table {n} -->\n<!-- /splade-beir:table -->\n"
                              for n in ("seed", "ndcg", "flops", "plot")))
    assert run_cli(main, ["--config", str(path), "--update-readme", str(readme)]) == 0
    text = readme.read_text()
    assert "![t: FLOPS (scifact), log scale against scifact nDCG@10 x 100](../results/tables/t/flops_quality.png)" \
        in text
    assert "B is a horizontal line at its quality" in text and "[SVG](../results/tables/t/flops_quality.svg)" \
        in text
    assert (out / "tables" / "t" / "flops_quality.png").stat().st_size > 10_000
    assert run_cli(main, ["--config", str(path), "--update-readme", str(readme)]) == 0
    assert readme.read_text() == text and "already up to date" in capsys.readouterr().out


def test_without_matplotlib_the_tables_still_work(tmp_path, capsys, monkeypatch):
    import splade_beir.lazy

    monkeypatch.setattr(splade_beir.lazy, "is_installed", lambda module: module != "matplotlib")
    put_result(tmp_path / "results", "model-a", "scifact", flops=1.5, ndcg_10=0.655)
    assert run_cli(main, ["--config", str(config(tmp_path, "[scifact]"))]) == 0
    assert "plot skipped: it needs matplotlib (pip install 'splade-beir[plot]')" in capsys.readouterr().out
    assert not (tmp_path / "results" / "tables" / "t" / "flops_quality.png").exists()


@pytest.mark.parametrize("entry, expected", [
    ("{name: scifact, relevance_level: 0}", r"seed\.yaml:4: datasets\[0\]\.relevance_level: expected a positive"),
    ("{relevance_level: 2}", r"seed\.yaml:4: datasets\[0\]: missing key 'name'"),
    ("{name: scifact, level: 2}", r"datasets\[0\]\.level: unknown key 'level'"),
    ("{name: nope, relevance_level: 2}", r"datasets\[0\]\.name: unknown dataset 'nope'"),
])
def test_dataset_entries_in_configs_are_checked(tmp_path, entry, expected):
    from splade_beir.errors import UserError

    path = tmp_path / "seed.yaml"
    path.write_text(f"name: seed\noutput: out\ndatasets:\n  - {entry}\nmodels:\n  - {{label: A, checkpoint: x}}\n")
    with pytest.raises(UserError, match=expected):
        load_config(path)
