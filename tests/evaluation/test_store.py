"""splade_beir.evaluation.store: where results live, and a result + run file written as one unit."""

import errno
import json
import os
import re
import subprocess
from pathlib import Path

import pytest

import splade_beir.evaluation.store as store_module
from splade_beir.atomic import commit
from splade_beir.errors import UserError
from splade_beir.evaluation.result import Result
from splade_beir.evaluation.store import ResultStore, finish_commits, read_result, safe_join, sha256_file
from splade_beir.search.run import Run


def result(dataset="small", score=0.5, model="tiny") -> Result:
    return Result(model, dataset, "splade", metrics={"nDCG@10": score}, per_query={"q1": {"nDCG@10": score}})


def listing(folder):
    return sorted(os.listdir(folder))


def test_paths(tmp_path):
    store = ResultStore(tmp_path)
    assert store.paths("tiny", "scifact") == (tmp_path / "tiny" / "scifact.json", tmp_path / "tiny" / "scifact.run.gz")
    assert store.paths("tiny", "cqadupstack/android")[0] == tmp_path / "tiny" / "cqadupstack" / "android.json"
    assert store.paths("mix", "scifact", ensemble=True)[1] == tmp_path / "ensembles" / "mix" / "scifact.run.gz"
    assert store.folder("mix", ensemble=True) == tmp_path / "ensembles" / "mix"
    assert store.tables_folder("demo") == tmp_path / "tables" / "demo"
    for bad in ("../x", "/etc", "a/../../b", "a/.."):
        with pytest.raises(UserError, match="would write outside"):
            store.paths(bad, "scifact")
    with pytest.raises(UserError, match="would write outside"):
        safe_join(tmp_path, "tiny", "..", "..")


def test_write_the_result_and_run_pair(tmp_path):
    store = ResultStore(tmp_path)
    run = Run({"q1": {"d1": 2.0, "d2": 1.0}, "q2": {}})
    path = store.write(result(), run)
    json_path, run_path = store.paths("tiny", "small")
    assert path == json_path and listing(tmp_path / "tiny") == ["small.json", "small.run.gz"]
    stored = read_result(json_path)
    assert stored.run_file == "small.run.gz" and stored.run_sha256 == sha256_file(run_path)
    assert stored.metrics == {"nDCG@10": 0.5}
    assert ResultStore(tmp_path).read("tiny", "small") == stored  # a fresh store reads it from disk
    assert ResultStore(tmp_path).read_run("tiny", "small") == {"q1": {"d1": 2.0, "d2": 1.0}}
    assert Run.read_trec(run_path).ranked("q1")[0] == ("d1", 2.0)
    assert store.is_complete("tiny", "small") and not store.is_complete("tiny", "other")
    assert store.read("tiny", "other") is None


def test_a_mean_over_parts_has_no_run_and_is_complete(tmp_path):
    store = ResultStore(tmp_path)
    mean = Result.mean("tiny", "cqadupstack", [result("cqadupstack/android"), result("cqadupstack/english")])
    store.write(mean)
    assert listing(tmp_path / "tiny") == ["cqadupstack.json"] and ResultStore(tmp_path).is_complete("tiny", "cqadupstack")


def test_read_run_checks_the_digest(tmp_path):
    store = ResultStore(tmp_path)
    store.write(result(), Run({"q1": {"d1": 2.0}}))
    run_path = store.paths("tiny", "small")[1]
    Run({"q1": {"d9": 2.0}}).write_trec(run_path)  # a run file from elsewhere
    fresh = ResultStore(tmp_path)
    with pytest.raises(UserError, match=r"small.run.gz: does not belong to small.json"):
        fresh.read_run("tiny", "small")
    assert not fresh.is_complete("tiny", "small")
    run_path.unlink()
    with pytest.raises(UserError, match=r"small.run.gz: run file missing \(its result small.json exists\)"):
        fresh.read_run("tiny", "small")
    with pytest.raises(UserError, match="absent.json: results file missing"):
        fresh.read_run("tiny", "absent")


def test_a_leftover_journal_is_completed_by_the_next_access(tmp_path, monkeypatch):
    store = ResultStore(tmp_path)
    store.write(result(score=0.25), Run({"q1": {"old": 1.0}}))
    real, calls = finish_commits, []

    def killed_after_the_commit_point(folder):
        calls.append(folder)
        if len(calls) == 2:  # the second call renames the pair: the process dies first
            raise KeyboardInterrupt
        real(folder)

    monkeypatch.setattr(store_module, "finish_commits", killed_after_the_commit_point)
    with pytest.raises(KeyboardInterrupt):
        store.write(result(score=0.75), Run({"q1": {"new": 1.0}}))
    monkeypatch.undo()
    left = listing(tmp_path / "tiny")
    assert ".small.json.commit" in left and len(left) == 5  # the old pair, two temporary files, the journal
    assert read_result(tmp_path / "tiny" / "small.json").metrics == {"nDCG@10": 0.25}  # not completed yet

    fresh = ResultStore(tmp_path)
    assert fresh.read("tiny", "small").metrics == {"nDCG@10": 0.75}  # the next access completes the pair
    assert fresh.read_run("tiny", "small") == {"q1": {"new": 1.0}}
    assert listing(tmp_path / "tiny") == ["small.json", "small.run.gz"]


def test_a_journal_with_one_rename_done_is_completed(tmp_path, monkeypatch):
    store = ResultStore(tmp_path)
    store.write(result(score=0.25), Run({"q1": {"old": 1.0}}))
    monkeypatch.setattr(store_module, "finish_commits", lambda folder: None)  # killed before any rename
    store.write(result(score=0.75), Run({"q1": {"new": 1.0}}))
    monkeypatch.undo()
    journal = tmp_path / "tiny" / ".small.json.commit"
    renames = json.loads(journal.read_text())
    assert [final for _, final in renames] == ["small.run.gz", "small.json"]
    commit(tmp_path / "tiny" / renames[0][0], tmp_path / "tiny" / "small.run.gz")  # killed after the first
    finish_commits(tmp_path / "tiny")
    assert listing(tmp_path / "tiny") == ["small.json", "small.run.gz"]
    fresh = ResultStore(tmp_path)
    assert fresh.read("tiny", "small").metrics == {"nDCG@10": 0.75}
    assert fresh.read_run("tiny", "small") == {"q1": {"new": 1.0}}


def test_a_failure_before_the_journal_leaves_the_previous_pair(tmp_path, monkeypatch):
    store = ResultStore(tmp_path)
    store.write(result(score=0.25), Run({"q1": {"old": 1.0}}))
    before = {name: (tmp_path / "tiny" / name).read_bytes() for name in listing(tmp_path / "tiny")}
    calls = []

    def full_disk_on_the_json(fd):  # the run file is synced, then the disk is full
        calls.append(fd)
        if len(calls) == 2:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "fsync", full_disk_on_the_json)
    with pytest.raises(UserError, match=r"cannot write .*small.json: No space left on device"):
        store.write(result(score=0.75), Run({"q1": {"new": 1.0}}))
    monkeypatch.undo()

    def interrupted(self, f, tag="splade_beir"):
        raise KeyboardInterrupt

    monkeypatch.setattr(Run, "write_lines", interrupted)
    with pytest.raises(KeyboardInterrupt):
        store.write(result(score=0.75), Run({"q1": {"new": 1.0}}))
    monkeypatch.undo()
    assert {name: (tmp_path / "tiny" / name).read_bytes() for name in listing(tmp_path / "tiny")} == before
    fresh = ResultStore(tmp_path)
    assert fresh.read("tiny", "small").metrics == {"nDCG@10": 0.25}
    assert fresh.read_run("tiny", "small") == {"q1": {"old": 1.0}}


def test_unreadable_results_are_one_line_errors(tmp_path):
    (tmp_path / "tiny").mkdir()
    (tmp_path / "tiny" / "bad.json").write_text("{")
    with pytest.raises(UserError, match=r"bad.json:1: not valid JSON"):
        ResultStore(tmp_path).read("tiny", "bad")
    with pytest.raises(UserError, match="absent.json: results file missing"):
        read_result(tmp_path / "tiny" / "absent.json")


REPO = Path(__file__).resolve().parents[2]


def committed(folder: str) -> list[Path]:
    """The files of ``folder`` that git tracks (results/ is git-ignored: only what was added with -f)."""
    try:
        out = subprocess.run(["git", "ls-files", "-z", folder], cwd=REPO, capture_output=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("not a git checkout")
    return [REPO / p for p in out.decode().split("\0") if p]


def test_the_committed_results_are_whole_pairs_that_name_no_machine_path():
    files = committed("results")
    results = [p for p in files if p.suffix == ".json" and p.relative_to(REPO / "results").parts[0] != "tables"]
    assert len(results) >= 10
    store = ResultStore(REPO / "results")
    for path in results:
        parts = path.relative_to(REPO / "results").with_suffix("").parts
        ensemble = parts[0] == "ensembles"
        name, dataset = parts[1 if ensemble else 0], "/".join(parts[2 if ensemble else 1:])
        found = store.read(name, dataset, ensemble)
        assert found is not None, path
        if found.run_file:
            assert len(store.read_run(name, dataset, ensemble)) > 0, path  # the digest matches its run file
    for path in files:
        if path.suffix in (".json", ".html", ".csv", ".tex"):
            text = path.read_text(encoding="utf-8")
            assert not re.search(r'":\s*"(/|[A-Za-z]:\\)', text), path  # no string value is an absolute path
            assert str(REPO) not in text and str(Path.home()) not in text, path
