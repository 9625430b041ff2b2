"""LaTeX tables: escaping, bold best values, marks and their legend, transposition, the files written beside
the Markdown, and a real pdflatex run over a config's tables (skipped without pdflatex)."""

from __future__ import annotations

import shutil
import subprocess

import pandas as pd
import pytest

from splade_beir.config import load_config
from splade_beir.reporting.latex import render_latex, standalone_document
from splade_beir.reporting.render import Table
from splade_beir.reporting.tables import build_tables, write_tables
from splade_beir.reporting.view import ConfigResults

NASTY = "a_b & 50% #1 $x {y} ~z ^w \\ end"


def table(name: str = "ndcg", **overrides) -> Table:
    frame = pd.DataFrame({"label": ["A", NASTY, "C"], "nf_corpus": [33.41, 33.44, 31.0],
                          "scifact": [70.0, None, 69.96], "FLOPS (x)": [1.5, 0.9, None]})
    base = dict(name=name, frame=frame, formats={"nf_corpus": ".1f", "scifact": ".1f", "FLOPS (x)": ".2f"},
                caption="From `results/`; `-` = no result.", marks={(1, "scifact"): "\u2020", (2, "nf_corpus"): "\u2020"},
                legend="\u2020: p < 0.05.")
    return Table(**{**base, **overrides})


def body(tex: str) -> list[list[str]]:
    """The cells of the rows between \\midrule and \\bottomrule."""
    rows = tex.split("\\midrule\n")[1].split("\\bottomrule")[0].strip().splitlines()
    return [[c.strip() for c in r.removesuffix("\\\\").split(" & ")] for r in rows]


def test_booktabs_escaping_bold_best_and_marks():
    tex = render_latex(table())
    assert "\\toprule" in tex and "\\midrule" in tex and "\\bottomrule" in tex and "\\begin{tabular}{lrrr}" in tex
    assert ("\\caption{\\textbf{nDCG@10 per dataset.} From \\texttt{results/\\allowbreak{}}; -- = no result. $^{\\dagger}$: "
            "p < 0.05.}") in tex
    assert "\\label{tab:ndcg}" in tex and "nf\\_corpus" in tex
    rows = body(tex)
    assert rows[1][0] == ("a\\_b \\& 50\\% \\#1 \\$x \\{y\\} \\textasciitilde{}z \\textasciicircum{}w "
                          "\\textbackslash{} end")
    # the best printed value is bold (33.41 and 33.44 both print 33.4), FLOPS never; marks as superscripts
    assert [r[1] for r in rows] == ["\\textbf{33.4}", "\\textbf{33.4}", "31.0$^{\\dagger}$"]
    assert [r[2] for r in rows] == ["\\textbf{70.0}", "--$^{\\dagger}$", "\\textbf{70.0}"]
    assert [r[3] for r in rows] == ["1.50", "0.90", "--"]


def test_signed_differences():
    from splade_beir.reporting.latex import number

    assert [number(v, "+.2f") for v in (0.123, -0.5, 0.0)] == ["+0.12", "$-$0.50", "+0.00"]


def test_costs_and_unranked_tables_have_no_bold():
    assert "\\textbf{" not in body(render_latex(table(name="flops")))[0][1]
    assert all("\\textbf" not in cell for row in body(render_latex(table(name="significance"))) for cell in row)


def test_transposed_puts_datasets_as_rows():
    tex = render_latex(table(), transpose=True)
    assert "\\begin{tabular}{lrrr}" in tex and "\\label{tab:ndcg-transposed}" in tex
    head = tex.split("\\toprule\n")[1].split(" \\\\")[0]
    assert head.split(" & ")[1:] == ["A", body(render_latex(table()))[1][0], "C"]
    rows = body(tex)
    assert [r[0] for r in rows] == ["nf\\_corpus", "scifact", "FLOPS (x)"]
    assert rows[1] == ["scifact", "\\textbf{70.0}", "--$^{\\dagger}$", "\\textbf{70.0}"]


def test_marks_need_a_legend_and_wide_tables_fit_the_line():
    with pytest.raises(ValueError, match="no legend"):
        render_latex(table(legend=""))
    wide = pd.DataFrame({"label": ["A"], **{f"d{i}": [float(i)] for i in range(9)}})
    assert "\\resizebox{\\linewidth}{!}{%" in render_latex(Table("ndcg", wide, {f"d{i}": ".1f" for i in range(9)}))
    assert "\\resizebox" not in render_latex(table())


def test_written_beside_markdown_and_csv(report_demo):
    config, _ = report_demo
    results = ConfigResults(load_config(config))
    tables = build_tables(results)
    folder = write_tables(results, tables)
    for name in tables:
        assert (folder / f"{name}.tex").read_text() == render_latex(tables[name])
        assert (folder / f"{name}.md").is_file() and (folder / f"{name}.csv").is_file()
    assert (folder / "ndcg_transposed.tex").read_text() == render_latex(tables["ndcg"], transpose=True)
    assert any(t.marks for t in tables.values())  # the demo's C differs significantly from A
    assert "$^{\\dagger}$" in (folder / "seed.tex").read_text()


@pytest.mark.skipif(not shutil.which("pdflatex"), reason="needs pdflatex: apt-get install -y texlive-latex-base "
                    "texlive-latex-recommended")
def test_a_configs_tables_compile_with_pdflatex(report_demo, tmp_path, artifacts):
    config, _ = report_demo
    tables = build_tables(ConfigResults(load_config(config)))
    assert "significance" in tables  # the config has a baseline: daggers and their legend
    rendered = [render_latex(t) for t in tables.values()] + [render_latex(tables["ndcg"], transpose=True),
                                                             render_latex(table())]
    (tmp_path / "tables.tex").write_text(standalone_document(rendered), encoding="utf-8")
    run = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "tables.tex"], cwd=tmp_path,
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout[-3000:]
    log = (tmp_path / "tables.log").read_text(errors="replace")
    assert "Overfull \\hbox" not in log and "Missing character" not in log
    pdf = artifacts / "report_demo_tables.pdf"
    shutil.copy(tmp_path / "tables.pdf", pdf)
    assert pdf.stat().st_size > 1000
    print(f"PDF: {pdf}")
    if shutil.which("pdftoppm"):  # page 1 as a picture, to look at
        subprocess.run(["pdftoppm", "-png", "-r", "110", "-f", "1", "-l", "1", "-singlefile", str(pdf),
                        str(artifacts / "report_demo_tables")], check=True, timeout=60)
        print(f"page 1: {artifacts / 'report_demo_tables.png'}")
