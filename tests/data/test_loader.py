"""splade_beir.data.loader: the strict BEIR folder loader."""

import pytest

from splade_beir.data.loader import document_text, load_dataset, load_folder
from splade_beir.data.qrels import Qrels
from splade_beir.errors import UserError


def test_document_text():
    assert document_text({"title": " T ", "text": "body "}) == "T  body"
    assert document_text({"title": "", "text": " body"}) == "body"
    assert document_text({"text": "body"}) == "body"


def test_shared_headerless_qrels(msmarco_5k):
    ds = load_folder(msmarco_5k)
    assert sum(len(r) for r in ds.qrels.values()) == 4102  # beir's loader would keep 4101
    assert ds.qrels.n_judgements == 4102
    assert len(ds.queries) == 43 and len(ds.corpus) == 5000


def test_loads_judged_queries_only(small_beir):
    ds = load_folder(small_beir)
    assert set(ds.queries) == {"q1", "q2", "q3"} and ds.qrels["q1"] == {"d1": 2, "d2": 0}
    assert ds.corpus["d1"] == {"title": "cat", "text": "the cat and the dog"}
    assert isinstance(ds.qrels, Qrels) and ds.doc_ids == ["d1", "d2", "d3", "d4", "q3"]
    assert ds.texts()[0] == "cat the cat and the dog"


def test_without_corpus_reads_queries_and_judgements_only(small_beir):
    ds = load_folder(small_beir, with_corpus=False)
    assert ds.corpus == {} and set(ds.queries) == {"q1", "q2", "q3"} and ds.qrels.n_judgements == 4
    assert ds.warnings == []  # judged documents are not checked against a corpus that was not read


def test_demo_ships_with_the_package():
    ds = load_dataset("demo")
    assert ds.name == "demo" and len(ds.queries) == 20 and len(ds.corpus) > 0


@pytest.mark.parametrize("line,message", [
    ("{not json", r"corpus.jsonl:2: not valid JSON"),
    ('{"text": "no id"}', r"corpus.jsonl:2: missing field '_id'"),
    ('{"_id": "x"}', r"corpus.jsonl:2: missing field 'text'"),
    ('{"_id": "d1", "text": "again"}', r"corpus.jsonl:2: duplicate _id 'd1'"),
])
def test_bad_corpus_lines_name_file_and_line(tmp_path, write_beir, line, message):
    folder = write_beir(tmp_path / "bad", {"d1": {"text": "x"}}, {"q1": "x"}, [("q1", "d1", 1)])
    with open(folder / "corpus.jsonl", "a") as f:
        f.write(line + "\n")
    with pytest.raises(UserError, match=message):
        load_folder(folder)


def test_dangling_judgements_warn(tmp_path, write_beir):
    folder = write_beir(tmp_path / "d", {"d1": {"text": "x"}}, {"q1": "x"},
                        [("q1", "d1", 1), ("q1", "gone", 1), ("q9", "d1", 1)])
    ds = load_folder(folder)
    assert set(ds.queries) == {"q1"}
    assert any("1 judged queries" in w for w in ds.warnings) and any("1 judged documents" in w for w in ds.warnings)


def test_missing_files(tmp_path):
    with pytest.raises(UserError, match="does not exist"):
        load_folder(tmp_path / "absent")
    (tmp_path / "empty").mkdir()
    with pytest.raises(UserError, match="corpus.jsonl: file missing"):
        load_folder(tmp_path / "empty")


def test_loaded_folders_carry_their_relevance_level(tmp_path, write_beir, msmarco_5k):
    folder = write_beir(tmp_path / "trec-dl-2019", {"d1": {"text": "x"}}, {"q1": "x"}, [("q1", "d1", 2)])
    assert load_folder(folder, name="trec-dl-2019").relevance_level == 2
    assert load_folder(folder, name="elsewhere").relevance_level == 1
    assert load_folder(msmarco_5k, relevance_level=2).relevance_level == 2
