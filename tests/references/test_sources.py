"""Every shipped published figure, re-checked against the source text it was transcribed from.

- pyserini 2CR: the saved beir.yaml at the recorded commit, parsed as YAML (the reference file was written
  by a line scanner: two methods, one answer), every (row, dataset, measure), printed digits included;
- DistilSPLADE-max README: the flattened README text (its sha256 recorded), split on '|' line by line,
  every cell of every data row, with the 7-cell rows' layout confirmed by the upstream markdown copy
  and by the ensembles' FLOPS being their members' sums;
- the checkpoint map: every row it names exists, and eval_configs/splade_pp.yaml names a reference only
  where the map says a source states it.
"""

from __future__ import annotations

import hashlib
import re
from decimal import Decimal
from pathlib import Path

import pytest
import yaml

from splade_beir.config import load_config
from splade_beir.references import find_row, load_reference, shipped_references
from splade_beir.references.loader import FOLDER

REPO = Path(__file__).resolve().parents[2]
MISSING = {"???", "N/A", "-"}


def raw(name: str) -> dict:
    return yaml.safe_load((FOLDER / name).read_text(encoding="utf-8"))


def dec(x) -> Decimal | None:
    assert not isinstance(x, bool)
    return None if x is None else Decimal(str(x))


def cell_value(cell: str) -> Decimal | None:
    cell = cell.replace("**", "").strip()
    if cell in MISSING:
        return None
    assert re.fullmatch(r"\d+(\.\d+)?", cell), cell
    return Decimal(cell)


# ------------------------------------------------------------------------------------ pyserini 2CR
def test_pyserini_figures_equal_the_saved_beir_yaml():
    ref = raw("pyserini_2cr_beir.yaml")
    copy = FOLDER / ref["source"]["local_copy"]
    assert ref["source"]["commit"] in copy.name
    conditions = {c["name"]: c for c in yaml.safe_load(copy.read_text(encoding="utf-8"))["conditions"]}
    datasets, measures = list(ref["datasets"]), list(ref["measures"])
    assert len(datasets) == 29 and measures == ["nDCG@10", "R@100", "R@1000"]
    for name, meta in ref["datasets"].items():
        assert meta["key"] == name.replace("cqadupstack-", "cqadupstack/")
    checked = 0
    for row_id, row in ref["rows"].items():
        source = conditions[row["condition"]]
        assert source["command"] == row["command"]
        assert [d["dataset"] for d in source["datasets"]] == datasets == list(row["values"])
        for d in source["datasets"]:
            [scores] = d["scores"]
            assert sorted(scores) == sorted(measures)
            for m in measures:
                assert dec(row["values"][d["dataset"]][m]) == dec(scores[m]), (row_id, d["dataset"], m)
                checked += 1
    assert checked == 3 * 29 * 3


def test_pyserini_figures_keep_the_printed_digits():
    text = (FOLDER / "pyserini_2cr_beir.yaml").read_text()
    tokens = re.findall(r"(?:nDCG@10|R@100|R@1000): (\S+?)[,}]", text)
    assert len(tokens) == 3 * 29 * 3 and all(re.fullmatch(r"\d\.\d{4}", t) for t in tokens)
    src = (FOLDER / raw("pyserini_2cr_beir.yaml")["source"]["local_copy"]).read_text()
    for condition in ("bm25-flat", "bm25-multifield", "splade-pp-ed"):
        block = re.search(rf"^  - name: {condition}\n(.*?)(?=^  - name: |\Z)", src, re.M | re.S).group(1)
        assert all(re.fullmatch(r"\d\.\d{4}", t) for t in re.findall(r"(?:nDCG@10|R@100|R@1000): (\S+)", block))


# ------------------------------------------------------------------------------ DistilSPLADE README
def split_row(line: str) -> tuple[str, list[str]]:
    parts = [p.strip() for p in line.split("|")]
    return parts[0], [p for p in parts[1:] if p != ""]


def interpret(cells: list[str], columns: list) -> dict[tuple, Decimal | None]:
    """The value cells of a flattened row by (dataset, measure): 8 cells, or 7 (no BEIR cell: the 7th is
    FLOPS), or 6 (neither)."""
    values = [cell_value(c) for c in cells]
    out = {tuple(col): None for col in columns}
    if len(values) == 8:
        out.update(zip(map(tuple, columns), values))
    elif len(values) in (6, 7):
        out.update(zip(map(tuple, columns[:6]), values[:6]))
        if len(values) == 7:
            out[tuple(columns[7])] = values[6]
    else:
        raise AssertionError(f"row with {len(values)} value cells")
    return out


def norm_label(label: str) -> str:
    return re.sub(r"\s+", " ", label.replace("**", "")).strip().replace("+", " ")


def test_readme_figures_equal_the_source_text_cell_by_cell():
    ref = raw("distilsplade_max_readme.yaml")
    text = (FOLDER / ref["source"]["local_text"]).read_bytes()
    assert hashlib.sha256(text).hexdigest() == ref["source"]["local_text_sha256"]
    lines, columns, covered, checked = text.decode("utf-8").split("\n"), ref["columns"], set(), 0
    for row_id, row in ref["rows"].items():
        label, cells = split_row(lines[row["line"] - 1])
        assert (label, cells) == (row["model"], row["cells"]), row_id
        for (dataset, measure), value in interpret(cells, columns).items():
            assert dec(row["values"][dataset][measure]) == value, (row_id, dataset, measure)
            checked += 1
        assert sum(len(v) for v in row["values"].values()) == len(columns)
        covered.add(row["line"])
        header = next(split_row(lines[i])[0] for i in range(row["line"] - 2, -1, -1)
                      if "|" in lines[i] and not split_row(lines[i])[1] and not set(split_row(lines[i])[0]) <= set("-"))
        assert header == row["section"], row_id
    data_lines = {i for i, line in enumerate(lines, 1)
                  if "|" in line and any(re.fullmatch(r"\d+(\.\d+)?", c) for c in split_row(line)[1])}
    assert covered == data_lines and len(covered) == len(ref["rows"]) == 30  # every data row, once
    assert checked == 30 * 8


def test_readme_layout_is_confirmed_by_the_upstream_markdown_and_the_ensemble_flops():
    ref = raw("distilsplade_max_readme.yaml")
    tables: list[list] = []
    in_table = False
    for line in (FOLDER / ref["source"]["upstream"]["local_copy"]).read_text(encoding="utf-8").splitlines():
        if not line.startswith("|"):
            in_table = False
            continue
        if not in_table:
            tables.append([])
            in_table = True
        label, *values = [c.strip() for c in line.strip().strip("|").split("|")]
        if set(label) <= set("-:") or label in ("", "Model") or all(v == "" for v in values):
            continue  # the rule line, the header lines, the section lines
        assert len(values) == 8, line
        tables[-1].append((norm_label(label), [None if v == "" else cell_value(v) for v in values]))
    assert len(tables) == 2
    for name, table in zip(("results", "full"), tables):
        rows = [r for r in ref["rows"].values() if r["table"] == name]
        assert [label for label, _ in table] == [norm_label(r["model"]) for r in rows]
        for row, (_, values) in zip(rows, table):
            for (dataset, measure), value in zip(ref["columns"], values):
                assert dec(row["values"][dataset][measure]) == value, (row["model"], dataset, measure)
    by_letter = {r["letter"]: r for r in ref["rows"].values() if r.get("letter")}
    for row in (r for r in ref["rows"].values() if "members" in r):
        members = sum(dec(by_letter[x]["values"]["model"]["FLOPS"]) for x in row["members"])
        assert members == dec(row["values"]["model"]["FLOPS"]), row["model"]


def test_loaded_values_are_the_transcribed_ones_as_fractions():
    refs = shipped_references()
    row = refs["distilsplade-max-readme"].rows["results.distilsplade-v2"]
    assert row.values["msmarco"] == {"RR@10": pytest.approx(0.368), "R@1000": pytest.approx(0.979)}
    assert row.values["trec-dl-2019"]["nDCG@10"] == pytest.approx(0.729) and "beir" not in row.values
    bert = refs["distilsplade-max-readme"].rows["results.bert-msmarco-bert-base-dot-v5"]
    assert bert.values["msmarco"]["R@1000"] is None  # "???": no figure, never 0
    pp = refs["pyserini-2cr-beir"].rows["splade-pp-ed"]
    assert pp.values["cqadupstack/android"]["R@1000"] == 0.9064 and pp.values["trec-covid"]["nDCG@10"] == 0.7274
    assert load_reference(FOLDER / "pyserini_2cr_beir.yaml") is refs["pyserini-2cr-beir"]  # cached


# ------------------------------------------------------------------------------------ checkpoints
def test_the_checkpoint_map_names_existing_rows_and_the_splade_pp_config_follows_it():
    refs = shipped_references()
    entries = raw("checkpoints.yaml")["checkpoints"]
    for name, entry in entries.items():
        assert entry["status"] in ("stated", "not_stated", "no_row")
        assert bool(entry.get("rows")) == (entry["status"] == "stated"), name
        for spec in entry.get("rows", []) + entry.get("name_level_guess", []):
            find_row(spec, refs)
    stated = {name: entry["rows"] for name, entry in entries.items() if entry["status"] == "stated"}
    cfg = load_config(REPO / "eval_configs" / "splade_pp.yaml")
    for model in cfg.models:
        assert (model.reference is not None) == (model.checkpoint in stated), model.label
        if model.reference:
            assert model.reference in stated[model.checkpoint]
    assert [m.label for m in cfg.models if m.reference] == ["D"]
