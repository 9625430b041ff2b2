"""One folder, two models: a result made by another checkpoint or other options is never silently replaced."""

from __future__ import annotations

import json
import shutil

import pytest

from splade_beir.cli import run_cli
from splade_beir.errors import UserError
from splade_beir.evaluate import main
from splade_beir.evaluation.api import evaluate, evaluate_config
from splade_beir.evaluation.provenance import check_overwrite, difference, same_checkpoint, settings_fingerprint
from splade_beir.evaluation.result import Result


def test_difference_and_fingerprint_ignore_where_it_ran(tmp_path):
    base = {"kind": "splade", "model": "m", "pooling": "max", "device": "cpu", "batch_size": 32}
    assert difference(base, {**base, "device": "cuda", "batch_size": 8}) is None
    assert difference(base, {**base, "pooling": "sum"}) == "pooling ('max' where this run has 'sum')"
    assert settings_fingerprint(base) == settings_fingerprint({**base, "device": "cuda"})
    assert settings_fingerprint(base) != settings_fingerprint(base, weights="w")
    (tmp_path / "ckpt").mkdir()
    assert same_checkpoint(str(tmp_path / "ckpt"), str(tmp_path / "." / "ckpt"))
    assert not same_checkpoint("exp1/checkpoint", "exp2/checkpoint")


def test_check_overwrite(tmp_path):
    old = Result("checkpoint", "d", "splade", config={"model": "exp1/checkpoint"}, fingerprint="f1")
    check_overwrite(None, {"model": "x"}, "f", tmp_path)  # nothing there
    check_overwrite(old, {"model": "exp1/checkpoint"}, "f1", tmp_path)  # the same model again
    with pytest.raises(UserError, match=r"holds a result of another model or other options: model \('exp1/checkpoint'"
                                        r" where this run has 'exp2/checkpoint'\); keep both with --name NEW_NAME, or "
                                        r"replace it with --redo"):
        check_overwrite(old, {"model": "exp2/checkpoint"}, "f2", tmp_path)
    with pytest.raises(UserError, match="model weights"):  # same name, same options, other weights
        check_overwrite(old, {"model": "exp1/checkpoint"}, "f2", tmp_path)
    check_overwrite(old, {"model": "exp2/checkpoint"}, "f2", tmp_path, redo=True)


def two_checkpoints(tiny_mlm, tmp_path):
    """``exp1/checkpoint`` and ``exp2/checkpoint``: the same last name, other weights."""
    import torch
    from transformers import AutoModelForMaskedLM

    first, second = tmp_path / "exp1" / "checkpoint", tmp_path / "exp2" / "checkpoint"
    shutil.copytree(tiny_mlm, first)
    shutil.copytree(tiny_mlm, second)
    model = AutoModelForMaskedLM.from_pretrained(second)
    with torch.no_grad():
        model.get_output_embeddings().bias.add_(0.3)
    model.save_pretrained(second)
    return first, second


def test_two_checkpoints_with_one_name_do_not_replace_each_other(tiny_mlm, small_beir, tmp_path, capsys):
    first, second = two_checkpoints(tiny_mlm, tmp_path)
    capsys.readouterr()  # what building the checkpoints printed
    common = ["--datasets", str(small_beir), "--output", str(tmp_path / "out"), "--no-cache", "-q"]
    assert run_cli(main, ["--model", str(first), *common]) == 0
    saved = (tmp_path / "out" / "checkpoint" / "small.json").read_text()
    assert json.loads(saved)["fingerprint"]
    assert run_cli(main, ["--model", str(second), *common]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "checkpoint/small.json holds a result of another model" in err
    assert (tmp_path / "out" / "checkpoint" / "small.json").read_text() == saved  # untouched
    assert run_cli(main, ["--model", str(first), *common]) == 0  # the same model again: fine
    assert run_cli(main, ["--model", str(second), *common, "--name", "checkpoint-2"]) == 0  # both kept
    assert run_cli(main, ["--model", str(second), *common, "--redo"]) == 0  # replaced on request
    assert json.loads((tmp_path / "out" / "checkpoint" / "small.json").read_text())["config"]["model"] == str(second)


def test_same_checkpoint_other_weights_is_caught_by_the_fingerprint(tiny_mlm, small_beir, tmp_path):
    first, second = two_checkpoints(tiny_mlm, tmp_path)
    out = tmp_path / "out"
    evaluate(str(first), [str(small_beir)], output=out, cache_dir=False, show_progress=False)
    shutil.rmtree(first)
    shutil.copytree(second, first)  # the folder was retrained in place
    with pytest.raises(UserError, match="model weights"):
        evaluate(str(first), [str(small_beir)], output=out, cache_dir=False, show_progress=False)


def test_a_config_never_skips_another_models_result_as_done(tiny_mlm, small_beir, tmp_path):
    first, second = two_checkpoints(tiny_mlm, tmp_path)
    out = tmp_path / "out"
    evaluate(str(first), [str(small_beir)], output=out, name="a", cache_dir=False, show_progress=False)
    config = tmp_path / "cfg.yaml"
    config.write_text(json.dumps({"datasets": [str(small_beir)], "output": str(out),
                                  "models": [{"label": "A", "name": "a", "checkpoint": str(second)}]}))
    with pytest.raises(UserError, match=r"a/small\.json holds a result of another model"):
        evaluate_config(config, show_progress=False, cache_dir=False)
    assert set(evaluate_config(config, redo=True, show_progress=False, cache_dir=False)) == {"A"}
