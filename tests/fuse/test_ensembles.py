"""Ensembles: real demo runs checked against ranx, result files, skip / rebuild, cqadupstack, errors."""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path

import pytest

from splade_beir.cli import run_cli
from splade_beir.config import load_config
from splade_beir.data.loader import load_dataset
from splade_beir.data.names import CQADUPSTACK_FORUMS
from splade_beir.ensemble import main
from splade_beir.errors import UserError
from splade_beir.evaluation.api import evaluate_config
from splade_beir.evaluation.measures import evaluate_run
from splade_beir.evaluation.result import Result
from splade_beir.evaluation.store import ResultStore
from splade_beir.fuse.ensembles import ensemble_config
from splade_beir.fuse.fusion import fuse
from splade_beir.search.run import Run, ranked

REPO = Path(__file__).resolve().parents[2]
DEMO_CONFIG = REPO / "eval_configs" / "demo.yaml"


@pytest.fixture(scope="module")
def demo_results(tmp_path_factory, splade_tiny) -> Path:
    """The demo config's models evaluated for real into a temporary results folder (shared, read-only)."""
    out = tmp_path_factory.mktemp("demo") / "results"
    evaluate_config(DEMO_CONFIG, output=out, show_progress=False, cache_dir=False)
    return out


@pytest.fixture
def results(demo_results, tmp_path) -> Path:
    """A private copy of the demo results, for tests that write ensembles."""
    return Path(shutil.copytree(demo_results, tmp_path / "results"))


def member_runs(cfg, members) -> list[Run]:
    return [Run.read_trec(cfg.output / cfg.model(m).name / "demo.run.gz") for m in members]


def test_fused_rankings_equal_ranx_and_scores_differ_by_half_per_member(demo_results):
    ranx = pytest.importorskip("ranx")
    cfg = load_config(DEMO_CONFIG, output=demo_results)
    for ens in cfg.ensembles:
        runs = member_runs(cfg, ens.members)
        # ranx maps a member whose hits all tie to 0 (like a missing document); we map them to 0.0 vs -0.5.
        # The shifted-score identity holds elsewhere: such queries must not be in the sample.
        assert all(len(set(hits.values())) > 1 for run in runs for hits in run.values())
        ours = fuse(runs)
        theirs = ranx.fuse([ranx.Run(dict(r)) for r in runs], norm="min-max", method="sum").to_dict()
        assert set(ours) == set(theirs)
        shift = 0.5 * len(runs)
        for qid, hits in ours.items():
            assert set(hits) == set(theirs[qid])
            assert max(abs(s + shift - theirs[qid][d]) for d, s in hits.items()) < 1e-9
            theirs_ranked = [d for d, _ in ranked({d: round(s, 9) for d, s in theirs[qid].items()})]
            ours_ranked = [d for d, _ in ranked({d: round(s + shift, 9) for d, s in hits.items()})]
            assert list(hits) == ours_ranked == theirs_ranked


def test_ensemble_results_files(results):
    cfg = load_config(DEMO_CONFIG, output=results)
    out = ensemble_config(DEMO_CONFIG, output=results)
    assert list(out) == [e.name for e in cfg.ensembles]
    qrels = load_dataset("demo").qrels
    for ens in cfg.ensembles:
        folder = results / "ensembles" / ens.name
        result = json.loads((folder / "demo.json").read_text())
        run = Run.read_trec(folder / "demo.run.gz")
        members = [json.loads((results / cfg.model(m).name / "demo.json").read_text()) for m in ens.members]
        assert result["kind"] == "ensemble" and result["model"] == ens.name and result["dataset"] == "demo"
        assert result["run_file"] == "demo.run.gz" and result["top_k"] == cfg.top_k
        assert result["run_sha256"] == ResultStore(results).read(ens.name, "demo", ensemble=True).run_sha256
        if all(m["flops"] is not None for m in members):
            assert result["flops"] == pytest.approx(sum(m["flops"] for m in members))
            assert result["nnz_doc"] == pytest.approx(sum(m["nnz_doc"] for m in members))
        else:  # a baseline member (BM25, dense) has no FLOPS: neither has the ensemble
            assert result["flops"] is None and result["nnz_doc"] is None
        assert [(m["label"], m["weight"]) for m in result["config"]["members"]] == [
            (label, 1.0) for label in ens.members]
        fused = fuse(member_runs(cfg, ens.members), top_k=cfg.top_k)
        assert {q: list(h) for q, h in run.items()} == {q: list(h) for q, h in fused.items()}
        means, _ = evaluate_run(qrels, run)
        assert result["metrics"] == pytest.approx(means)
        assert out[ens.name]["demo"].metrics == result["metrics"]


def test_up_to_date_ensembles_are_kept_and_stale_ones_rebuilt(results):
    ensemble_config(DEMO_CONFIG, output=results)
    cfg = load_config(DEMO_CONFIG, output=results)
    paths = {e.name: results / "ensembles" / e.name / "demo.json" for e in cfg.ensembles}
    before = {n: p.stat().st_mtime_ns for n, p in paths.items()}
    ensemble_config(DEMO_CONFIG, output=results)
    assert {n: p.stat().st_mtime_ns for n, p in paths.items()} == before

    # Change member C's run (drop every query's last hit), as a new evaluation of C would: only the
    # ensembles with C are rebuilt.
    store = ResultStore(results)
    c_name = cfg.model("C").name
    run = store.read_run(c_name, "demo")
    store.write(store.read(c_name, "demo"), Run({q: dict(list(h.items())[:-1]) for q, h in run.items()}))
    ensemble_config(DEMO_CONFIG, output=results)
    rebuilt = {n for n, p in paths.items() if p.stat().st_mtime_ns != before[n]}
    assert rebuilt == {e.name for e in cfg.ensembles if "C" in e.members}
    ensemble_config(DEMO_CONFIG, output=results, redo=True)
    assert all(p.stat().st_mtime_ns != before[n] for n, p in paths.items())


def test_missing_member_names_the_file_and_the_command(results):
    cfg = load_config(DEMO_CONFIG, output=results)
    missing = results / cfg.model("B").name / "demo.run.gz"
    missing.unlink()
    with pytest.raises(UserError, match=rf"{missing} is missing: .* python -m splade_beir.evaluate --config "):
        ensemble_config(DEMO_CONFIG, output=results)
    assert not (results / "ensembles").exists()  # checked before anything is written


def test_cli_error_is_one_line(tmp_path, capsys):
    assert run_cli(main, ["--config", str(tmp_path / "none.yaml")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1 and "none.yaml" in err


def test_cqadupstack_is_fused_per_forum_then_averaged(tmp_path, write_beir):
    """Hand-made forums and member runs: each forum's fused nDCG@10 is known, the mean is their mean."""
    data, out = tmp_path / "data", tmp_path / "results"
    corpus = {"a": {"text": "x"}, "b": {"text": "y"}}
    config = tmp_path / "cqa.yaml"
    config.write_text(f"datasets: [cqadupstack]\ndata_dir: {data}\noutput: {out}\nmodels:\n"
                      "  - {label: A, checkpoint: m1}\n  - {label: B, checkpoint: m2}\n"
                      "ensembles:\n  - members: [A, B]\n")
    for i, forum in enumerate(CQADUPSTACK_FORUMS):
        write_beir(data / "cqadupstack" / forum, corpus, {"q": "x"}, [("q", "a", 1)])
        # Even forums: both members rank the relevant "a" first: fused a = 1, b = -1 -> nDCG@10 = 1.
        # Odd forums: A ranks b > a > c, B retrieves b > c but not a: fused b = 0.5 + 0.5 = 1,
        # a = 0 + (-0.5, missing) = -0.5, c = -0.5 - 0.5 = -1 -> a second: nDCG@10 = 1 / log2(3).
        runs = {"m1": {"q": {"a": 2.0, "b": 1.0}} if i % 2 == 0 else {"q": {"b": 2.0, "a": 1.5, "c": 1.0}},
                "m2": {"q": {"a": 5.0, "b": 1.0}} if i % 2 == 0 else {"q": {"b": 1.0, "c": 0.5}}}
        for model, run in runs.items():
            ResultStore(out).write(Result(model, f"cqadupstack/{forum}", "splade", split="test", n_docs=3,
                                          flops=1.0 + i, nnz_query=2.0, nnz_doc=None), Run(run))
    result = ensemble_config(config)["A+B"]["cqadupstack"]
    forum = json.loads((out / "ensembles" / "A+B" / "cqadupstack" / "android.json").read_text())
    assert forum["metrics"]["nDCG@10"] == 1.0 and forum["flops"] == 2.0 and forum["nnz_doc"] is None
    expected = (6 * 1.0 + 6 / math.log2(3)) / 12
    assert result.metrics["nDCG@10"] == pytest.approx(expected)
    assert result.flops == pytest.approx(2 * sum(1.0 + i for i in range(12)) / 12)
    saved = json.loads((out / "ensembles" / "A+B" / "cqadupstack.json").read_text())
    assert saved["metrics"]["nDCG@10"] == pytest.approx(expected) and len(saved["parts"]) == 12
