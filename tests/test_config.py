"""Config loading, validation messages, and evaluation of a config with skip / redo."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from splade_beir.config import load_config
from splade_beir.data.names import ALL
from splade_beir.errors import UserError
from splade_beir.evaluation.api import evaluate_config

REPO = Path(__file__).resolve().parents[1]

GOOD = """\
name: mini
datasets: [demo]
top_k: 50
models:
  - label: A
    name: tiny-a
    checkpoint: splade-tiny
    pooling: sum
    doc_max_length: 64
    init: bert-tiny
    lambda_q: 0.01
  - label: B
    kind: bm25
    options: {k1: 0.9, b: 0.4}
ensembles:
  - members: [A, B]
  - name: weighted
    members: A B
    weights: [2, 1]
"""


def write(tmp_path: Path, text: str, name: str = "cfg.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_good_config(tmp_path):
    cfg = load_config(write(tmp_path, GOOD))
    assert cfg.name == "mini" and cfg.datasets == ["demo"] and cfg.top_k == 50
    assert cfg.output == Path("results") and cfg.data_dir == Path("datasets")
    a, b = cfg.models
    assert (a.label, a.name, a.kind, a.checkpoint) == ("A", "tiny-a", "splade", "splade-tiny")
    assert a.options == {"pooling": "sum", "doc_max_length": 64}
    assert a.info == {"init": "bert-tiny", "lambda_q": 0.01}
    assert (b.name, b.kind, b.checkpoint, b.options) == ("bm25", "bm25", "bm25", {"k1": 0.9, "b": 0.4})
    assert [(e.name, e.members, e.weights) for e in cfg.ensembles] == [
        ("A+B", ("A", "B"), (1.0, 1.0)), ("weighted", ("A", "B"), (2.0, 1.0))]


def test_datasets_all_and_output_override(tmp_path):
    cfg = load_config(write(tmp_path, GOOD.replace("[demo]", "all")), output=tmp_path / "out")
    assert cfg.datasets == list(ALL) and cfg.output == tmp_path / "out"


def test_shipped_configs_load():
    demo = load_config(REPO / "eval_configs" / "demo.yaml")
    assert demo.datasets == ["demo"] and len(demo.models) >= 3 and demo.ensembles
    pp = load_config(REPO / "eval_configs" / "splade_pp.yaml")
    assert pp.datasets == list(ALL)
    assert {"naver/splade_v2_max", "naver/splade_v2_distil", "naver/splade-cocondenser-ensembledistil",
            "naver/splade-cocondenser-selfdistil"} <= {m.checkpoint for m in pp.models}


@pytest.mark.parametrize("old, new, expected", [
    ("top_k: 50", "top_k: 50\nmodel: x", r"cfg\.yaml:4: model: unknown key 'model'"),
    ("    pooling: sum", "    poling: sum", r"cfg\.yaml:8: models\[0\]\.poling: unknown key 'poling'"),
    ("  - label: B\n    kind: bm25", "  - kind: bm25", r"cfg\.yaml:12: models\[1\]: missing key 'label'"),
    ("  - label: B\n", "  - label: A\n", r"cfg\.yaml:12: models\[1\]\.label: duplicate label 'A'"),
    ("members: [A, B]", "members: [A, Z]", r"cfg\.yaml:\d+: ensembles\[0\]\.members\[1\]: no model has label 'Z'"),
    ("weights: [2, 1]", "weights: [2]", r"ensembles\[1\]\.weights: expected a list of 2 weights"),
    ("weights: [2, 1]", "weights: [2, -1]", r"ensembles\[1\]\.weights\[1\]: expected a positive number"),
    ("name: tiny-a", "name: ../escape", r"models\[0\]\.name: '\.\./escape' is not a plain folder name"),
    ("name: tiny-a", "name: bm25", r"models\[1\]\.name: results folder 'bm25' is also used by model 'A'"),
    ("name: tiny-a", "name: ensembles", r"'ensembles' is reserved"),
    ("name: weighted", "name: A+B", r"ensembles\[1\]\.name: duplicate ensemble name 'A\+B'"),
    ("    kind: bm25", "    kind: colbert", r"models\[1\]\.kind: unknown kind 'colbert'"),
    ("    doc_max_length: 64", "    doc_max_length: -1", r"doc_max_length: expected a positive integer"),
    ("[demo]", "[no-such-dataset]", r"datasets: unknown dataset 'no-such-dataset'"),
    ("    checkpoint: splade-tiny\n", "", r"models\[0\]: missing key 'checkpoint'"),
    ("models:", "modelz:", r"unknown key 'modelz'"),
    ("top_k: 50", "top_k: [50", r"cfg\.yaml:\d+: not valid YAML"),
])
def test_bad_configs_name_the_file_line_and_key(tmp_path, old, new, expected):
    assert old in GOOD
    with pytest.raises(UserError, match=expected):
        load_config(write(tmp_path, GOOD.replace(old, new, 1)))


def test_missing_or_empty_file(tmp_path):
    with pytest.raises(UserError, match="nope.yaml: config file not found"):
        load_config(tmp_path / "nope.yaml")
    with pytest.raises(UserError, match="empty.yaml: the config is empty"):
        load_config(write(tmp_path, "", "empty.yaml"))


def small_config(tmp_path: Path, dataset: Path, checkpoint: Path) -> Path:
    return write(tmp_path, json.dumps({  # JSON is YAML
        "name": "small", "datasets": [str(dataset)], "output": str(tmp_path / "results"), "top_k": 10,
        "models": [{"label": "A", "name": "a", "checkpoint": str(checkpoint), "batch_size": 4},
                   {"label": "B", "name": "b", "checkpoint": str(checkpoint), "pooling": "sum"}],
    }))


def test_evaluate_config_skips_existing_results_and_redoes_on_request(tmp_path, small_beir, tiny_mlm,
                                                                      monkeypatch, caplog):
    path = small_config(tmp_path, small_beir, tiny_mlm)
    done = evaluate_config(path, show_progress=False, cache_dir=False)
    assert set(done) == {"A", "B"}
    result_a = tmp_path / "results" / "a" / "small.json"
    assert json.loads(result_a.read_text())["config"]["batch_size"] == 4
    assert json.loads((tmp_path / "results" / "b" / "small.json").read_text())["config"]["pooling"] == "sum"

    import splade_beir.evaluation.api as api

    def no_model(*args, **kwargs):
        raise AssertionError("a model was loaded although nothing was left to evaluate")

    monkeypatch.setattr(api, "make_retriever", no_model)
    before = result_a.stat().st_mtime_ns
    with caplog.at_level(logging.INFO, logger="splade_beir"):
        assert evaluate_config(path, show_progress=False, cache_dir=False) == {}
    assert sum("skipped" in r.getMessage() for r in caplog.records) == 2
    assert result_a.stat().st_mtime_ns == before
    monkeypatch.undo()

    (tmp_path / "results" / "b" / "small.json").unlink()
    built = []
    real = api.make_retriever
    monkeypatch.setattr(api, "make_retriever", lambda *a, **k: built.append(a) or real(*a, **k))
    assert set(evaluate_config(path, show_progress=False, cache_dir=False)) == {"B"}  # only B had work: only B is built
    assert len(built) == 1
    assert set(evaluate_config(path, redo=True, show_progress=False, cache_dir=False)) == {"A", "B"}


def test_evaluate_cli_with_config_fails_cleanly_on_a_bad_config(tmp_path, capsys):
    from splade_beir.cli import run_cli
    from splade_beir.evaluate import main

    path = write(tmp_path, GOOD.replace("label: B", "label: A"))
    assert run_cli(main, ["--config", str(path)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "cfg.yaml:12" in err and "duplicate label" in err


def test_options_must_apply_to_the_kind(tmp_path):
    with pytest.raises(UserError, match=r"cfg\.yaml:14: models\[1\]\.pooling: option 'pooling' does not "
                                        r"apply to a bm25 model"):
        load_config(write(tmp_path, GOOD.replace("    kind: bm25\n", "    kind: bm25\n    pooling: max\n")))
    with pytest.raises(UserError, match=r"cfg\.yaml:14: models\[1\]\.options\.k2: option 'k2' does not apply"):
        load_config(write(tmp_path, GOOD.replace("{k1: 0.9, b: 0.4}", "{k2: 0.9}")))
    with pytest.raises(UserError, match=r"cfg\.yaml:8: models\[0\]\.pooling: option 'pooling' does not apply to a "
                                        r"dense model"):
        load_config(write(tmp_path, GOOD.replace("    checkpoint: splade-tiny", "    kind: dense")))


@pytest.mark.parametrize("text", [
    "datasets: &d [demo]\nmodels:\n  - {label: A, checkpoint: splade-tiny}\n",          # an anchor alone
    "a: &a [1]\ndatasets: *a\nmodels:\n  - {label: A, checkpoint: splade-tiny}\n",         # an alias
    'a: &a ["x","x","x","x","x","x","x","x","x"]\n' + "".join(                               # billion laughs
        f"{p}: &{p} [*{q},*{q},*{q},*{q},*{q},*{q},*{q},*{q},*{q}]\n" for p, q in zip("bcdefghi", "abcdefgh")),
])
def test_yaml_anchors_and_aliases_are_refused_before_they_expand(tmp_path, text):
    # refused while parsing events, before anything is built: the 342-byte bomb once took 85 s and 2 GB
    with pytest.raises(UserError, match=r"cfg\.yaml:1: YAML anchors and aliases .* are not allowed"):
        load_config(write(tmp_path, text))


@pytest.mark.parametrize("raw, where", [
    (b"name: caf\xe9\n", r"cfg\.yaml:1: not valid UTF-8 \(byte 0xe9 at column 10\)"),
    (b"name: ok\ndatasets: [demo]\nmodels: [\xff]\n", r"cfg\.yaml:3: not valid UTF-8 \(byte 0xff"),
])
def test_a_config_that_is_not_utf8_names_its_line(tmp_path, raw, where):
    path = tmp_path / "cfg.yaml"
    path.write_bytes(raw)
    with pytest.raises(UserError, match=where):
        load_config(path)


def test_deeply_nested_yaml_is_a_one_line_error(tmp_path):
    with pytest.raises(UserError) as err:
        load_config(write(tmp_path, "datasets: " + "[" * 5000 + "]" * 5000 + "\n"))
    assert "\n" not in str(err.value) and "cfg.yaml" in str(err.value)
