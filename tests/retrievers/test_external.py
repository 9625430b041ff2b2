"""The ``run`` kind: TREC run files read as rows, checked line by line, evaluated like any model."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from splade_beir.cli import run_cli
from splade_beir.config import load_config
from splade_beir.data.loader import Dataset, load_folder
from splade_beir.errors import UserError
from splade_beir.evaluate import main as evaluate_main
from splade_beir.evaluation.api import evaluate, evaluate_config
from splade_beir.retrievers.external import check_template, read_run_file, select
from splade_beir.retrievers.registry import make_retriever


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix == ".gz":
        with gzip.open(path, "wt") as f:
            f.write(text)
    else:
        path.write_text(text)
    return path


def dataset() -> Dataset:
    corpus = {d: {"title": "", "text": d} for d in ("d1", "d2", "d3", "q2")}
    return Dataset("toy", Path("."), "test", corpus, {"q1": "a", "q2": "b", "q3": "c"},
                   {"q1": {"d1": 1}, "q2": {"d2": 1}, "q3": {"d3": 1}})


@pytest.mark.parametrize("line, expected", [
    ("q1 Q0 d1 1 2.0", r"run\.trec:2: expected 6 fields \(qid Q0 docid rank score tag\), got 5"),
    ("q1 Q0 d1 first 2.0 x", r"run\.trec:2: rank 'first' is not an integer"),
    ("q1 Q0 d1 1 high x", r"run\.trec:2: score 'high' is not a finite number"),
    ("q1 Q0 d1 1 nan x", r"run\.trec:2: score 'nan' is not a finite number"),
    ("q1 Q0 d9 1 -inf x", r"run\.trec:2: score '-inf' is not a finite number"),
    ("q1 Q0 d2 2 1.0 x", r"run\.trec:2: document 'd2' is listed twice for query 'q1' \(also line 1\)"),
])
def test_a_malformed_line_is_one_error_naming_file_and_line(tmp_path, line, expected):
    path = write(tmp_path / "run.trec", f"q1 Q0 d2 1 3.0 x\n{line}\n")
    with pytest.raises(UserError, match=expected):
        read_run_file(path)


def test_unreadable_files(tmp_path):
    with pytest.raises(UserError, match=r"none\.trec: run file missing"):
        read_run_file(tmp_path / "none.trec")
    with pytest.raises(UserError, match=r"empty\.trec: no run lines"):
        read_run_file(write(tmp_path / "empty.trec", "\n\n"))
    (tmp_path / "bad.trec").write_bytes(b"q1 Q0 d1 1 1.0 x\nq1 Q0 d\xff 2 0.5 x\n")
    with pytest.raises(UserError, match=r"bad\.trec:2: not valid UTF-8"):
        read_run_file(tmp_path / "bad.trec")
    (tmp_path / "fake.trec.gz").write_bytes(b"not gzip")
    with pytest.raises(UserError, match=r"fake\.trec\.gz: cannot read"):
        read_run_file(tmp_path / "fake.trec.gz")


def test_gzip_tags_digest_and_rank_disagreements(tmp_path):
    text = "q1 Q0 d1 1 3.0 a\nq1 Q0 d2 2 4.0 a\nq2 Q0 d2 1 1.0 b\n"  # q1: rank 2 scores higher than rank 1
    file = read_run_file(write(tmp_path / "r.trec.gz", text))
    assert file.hits == {"q1": {"d1": 3.0, "d2": 4.0}, "q2": {"d2": 1.0}}
    assert (file.lines, file.tags, file.rank_disagreements) == (3, ["a", "b"], 1)
    assert file.sha256 == read_run_file(write(tmp_path / "plain.trec", text)).sha256  # of the content


def test_select_ranks_as_trec_eval_cuts_drops_own_ids_and_reports(tmp_path):
    text = ("q1 Q0 d1 1 1.0 x\nq1 Q0 d2 2 1.0 x\nq1 Q0 d3 3 0.5 x\nq1 Q0 zz 4 0.1 x\n"  # zz: not in the corpus
            "q2 Q0 q2 1 9.0 x\nq2 Q0 d2 2 1.0 x\nq9 Q0 d1 1 1.0 x\n")                  # q2 retrieves itself; q9 unknown
    run, problems = select(read_run_file(write(tmp_path / "toy.trec", text)), dataset(), top_k=2)
    assert run == {"q1": {"d2": 1.0, "d1": 1.0}, "q2": {"d2": 1.0}, "q3": {}}  # ties: document id descending
    assert list(run["q1"]) == ["d2", "d1"]
    joined = "\n".join(problems)
    for expected in ("1 query ids that are not judged queries of toy, ignored (first: ['q9'])",
                     "1 document ids not in the corpus of toy, kept at their ranks (first: ['zz'])",
                     "1 of 3 queries have no line: they score 0",
                     "1 hit whose document id is its query id dropped",
                     "1 queries have more than 2 hits: cut to the top 2"):
        assert f"toy.trec: {expected}" in joined


def test_scores_are_stored_as_run_files_store_them(tmp_path):
    text = "q1 Q0 d1 1 1.00000000001 x\nq1 Q0 d2 2 1.00000000000 x\n"  # equal at 9 significant digits
    run, problems = select(read_run_file(write(tmp_path / "toy.trec", text)), dataset(), top_k=10)
    assert run["q1"] == {"d2": 1.0, "d1": 1.0}
    assert any("1 queries change order when scores are stored with 9 significant digits" in p for p in problems)


def test_the_run_of_another_dataset_is_refused(tmp_path):
    with pytest.raises(UserError, match=r"other\.trec: none of its 1 query ids is a query of toy \(first: 'x1'\)"):
        select(read_run_file(write(tmp_path / "other.trec", "x1 Q0 d1 1 1.0 x\n")), dataset(), 10)
    with pytest.raises(UserError, match=r"docs\.trec: none of its document ids is a document of toy"):
        select(read_run_file(write(tmp_path / "docs.trec", "q1 Q0 y1 1 1.0 x\n")), dataset(), 10)


def test_templates():
    check_template("runs/{dataset}.trec.gz", 3)
    check_template("one.trec", 1)
    with pytest.raises(UserError, match=r"names one file for 2 datasets; put \{dataset\} in it"):
        check_template("one.trec", 2)
    with pytest.raises(UserError, match=r"only \{dataset\} may appear in braces"):
        check_template("runs/{name}.trec")
    with pytest.raises(UserError, match="run path 'runs/{dataset.trec'"):
        check_template("runs/{dataset.trec")
    with pytest.raises(UserError, match="a run model needs its run file"):
        make_retriever("run")


def test_one_file_is_not_read_for_two_datasets(tmp_path):
    path = write(tmp_path / "one.trec", "q1 Q0 d1 1 1.0 x\n")
    retriever = make_retriever("run", str(path))
    retriever.retrieve(dataset(), 10)
    other = dataset()
    other.name = "toy2"
    with pytest.raises(UserError, match=r"one\.trec: already read as the run of toy"):
        retriever.retrieve(other, 10)


def run_text(results: Path, name: str, dataset: str) -> list[str]:
    """A stored run file's lines without the tag (the store writes the row's name there)."""
    with gzip.open(results / name / f"{dataset}.run.gz", "rt") as f:
        return [line.rsplit(" ", 1)[0] for line in f]


def test_a_run_file_evaluates_to_the_numbers_of_the_model_that_wrote_it(tmp_path, small_beir):
    pytest.importorskip("bm25s")
    out = tmp_path / "results"
    bm25 = evaluate("bm25", [str(small_beir)], output=out, show_progress=False)["small"]
    runs = tmp_path / "runs"
    runs.mkdir()
    (runs / "small.trec.gz").write_bytes((out / "bm25" / "small.run.gz").read_bytes())  # "another system's" file
    assert run_cli(evaluate_main, ["--run", str(runs / "{dataset}.trec.gz"), "--datasets", str(small_beir),
                                   "--name", "ext", "--output", str(out), "-q"]) == 0
    ext = json.loads((out / "ext" / "small.json").read_text())
    assert (ext["metrics"], ext["per_query"]) == (bm25.metrics, bm25.per_query) and ext["kind"] == "run"
    assert ext["config"]["run_file"] == str(runs / "small.trec.gz") and len(ext["config"]["run_file_sha256"]) == 64
    assert run_text(out, "ext", "small") == run_text(out, "bm25", "small")


def test_the_cli_checks_everything_before_it_runs(tmp_path, small_beir, capsys):
    out = tmp_path / "out"
    for argv, expected in [
        (["--run", "r.trec"], "--run needs --name"),
        (["--run", "r.trec", "--name", "x", "--model", "bm25"], "--model does not apply to it"),
        (["--run", "r.trec", "--name", "x", "--datasets", f"{small_beir},demo"], "names one file for 2 datasets"),
        (["--run", str(tmp_path / "{dataset}.trec"), "--name", "x", "--datasets", f"{small_beir},demo"],
         r"small.trec: run file missing \(and 1 more\)"),
    ]:
        assert run_cli(evaluate_main, argv + ["--output", str(out)]) == 2
        assert expected.replace("\\", "") in capsys.readouterr().err
    assert not out.exists()


CONFIG = """\
datasets: [{data}]
output: {out}
models:
  - {{label: R, name: ext, kind: run, run: "{runs}/{{dataset}}.trec"}}
  - {{label: S, name: ext2, kind: run, run: "{runs}/{{dataset}}.trec"}}
ensembles:
  - members: [R, S]
"""


def test_run_rows_in_a_config(tmp_path, small_beir):
    write(tmp_path / "runs" / "small.trec", "q1 Q0 d1 1 2.0 x\nq1 Q0 d2 2 1.0 x\nq2 Q0 d2 1 1.0 x\n")
    path = write(tmp_path / "c.yaml", CONFIG.format(data=small_beir, out=tmp_path / "res", runs=tmp_path / "runs"))
    cfg = load_config(path)
    assert (cfg.models[0].kind, cfg.models[0].checkpoint) == ("run", f"{tmp_path}/runs/{{dataset}}.trec")
    done = evaluate_config(path, show_progress=False)
    assert done["R"]["small"].metrics == done["S"]["small"].metrics
    assert done["R"]["small"].per_query["q1"]["nDCG@10"] == 1.0 and done["R"]["small"].per_query["q3"]["R@100"] == 0.0
    from splade_beir.fuse.ensembles import ensemble_config

    fused = ensemble_config(path)["R+S"]["small"]
    assert fused.metrics == done["R"]["small"].metrics


@pytest.mark.parametrize("old, new, expected", [
    ('run: "', 'checkpoint: x, run: "', r"c\.yaml:4: models\[0\]\.checkpoint: a run model reads its run files"),
    ('R, name: ext, kind: run, run: "{runs}/{{dataset}}.trec"', "R, name: ext, kind: run",
     r"c\.yaml:4: models\[0\]: missing key 'run'"),
    ("R, name: ext, kind: run", "R, kind: run", r"models\[0\]: missing key 'name' \(the results folder"),
    ("/{{dataset}}.trec\"}}\n  - {{label: S", "/one.trec\"}}\n  - {{label: S",
     r"models\[0\]\.run: run path .* names one file for 12 datasets"),
    ("kind: run, run", "kind: bm25, run", r"models\[0\]\.run: 'run' applies to kind: run"),
])
def test_run_rows_are_checked_at_load(tmp_path, old, new, expected):
    text = CONFIG.replace(old, new, 1) if old in CONFIG else pytest.fail(old)
    path = write(tmp_path / "c.yaml", text.format(data="cqadupstack", out=tmp_path, runs=tmp_path))
    with pytest.raises(UserError, match=expected):
        load_config(path)


def test_load_folder_dataset_feeds_the_run_kind(tmp_path, small_beir):
    """A real loaded dataset (FileCorpus): unknown documents are found by scanning its ids."""
    data = load_folder(small_beir, "test", name="small")
    run, problems = select(read_run_file(write(tmp_path / "s.trec", "q1 Q0 nope 1 1.0 x\nq1 Q0 d1 2 0.5 x\n")),
                           data, 10)
    assert run["q1"] == {"nope": 1.0, "d1": 0.5} and any("1 document ids not in the corpus" in p for p in problems)
