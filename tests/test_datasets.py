import pytest

from conftest import write_beir
from splade_beir.datasets import (ALL, BEIR_13, cqadupstack_parts, document_text, expand_names, load_folder,
                                  read_qrels, resolve_dir)
from splade_beir.errors import UserError


def test_names():
    assert len(BEIR_13) == 13 and ALL[-1] == "cqadupstack"
    assert expand_names("all") == list(ALL)
    assert expand_names("nfcorpus, scifact,nfcorpus") == ["nfcorpus", "scifact"]
    assert len(cqadupstack_parts("cqadupstack")) == 12 and cqadupstack_parts("fiqa") == ["fiqa"]
    with pytest.raises(UserError, match="unknown dataset 'nfcorpsu'.*trec-covid"):
        expand_names("nfcorpsu")


def test_document_text():
    assert document_text({"title": " T ", "text": "body "}) == "T  body"
    assert document_text({"title": "", "text": " body"}) == "body"
    assert document_text({"text": "body"}) == "body"


def test_header_and_headerless_qrels_keep_every_judgement(tmp_path):
    (tmp_path / "h.tsv").write_text("query-id\tcorpus-id\tscore\nq1\td1\t1\nq1\td2\t0\n")
    (tmp_path / "n.tsv").write_text("q1\td1\t1\nq1\td2\t0\n")
    assert read_qrels(tmp_path / "h.tsv") == read_qrels(tmp_path / "n.tsv") == {"q1": {"d1": 1, "d2": 0}}


def test_shared_headerless_qrels(msmarco_5k):
    ds = load_folder(msmarco_5k)
    assert sum(len(r) for r in ds.qrels.values()) == 4102  # beir's loader would keep 4101
    assert len(ds.queries) == 43 and len(ds.corpus) == 5000


def test_loads_judged_queries_only(small_beir):
    ds = load_folder(small_beir)
    assert set(ds.queries) == {"q1", "q2", "q3"} and ds.qrels["q1"] == {"d1": 2, "d2": 0}
    assert ds.corpus["d1"] == {"title": "cat", "text": "the cat and the dog"}


@pytest.mark.parametrize("line,message", [
    ("{not json", r"corpus.jsonl:2: not valid JSON"),
    ('{"text": "no id"}', r"corpus.jsonl:2: missing field '_id'"),
    ('{"_id": "x"}', r"corpus.jsonl:2: missing field 'text'"),
    ('{"_id": "d1", "text": "again"}', r"corpus.jsonl:2: duplicate _id 'd1'"),
])
def test_bad_corpus_lines_name_file_and_line(tmp_path, line, message):
    folder = write_beir(tmp_path / "bad", {"d1": {"text": "x"}}, {"q1": "x"}, [("q1", "d1", 1)])
    with open(folder / "corpus.jsonl", "a") as f:
        f.write(line + "\n")
    with pytest.raises(UserError, match=message):
        load_folder(folder)


@pytest.mark.parametrize("content,message", [
    ("q1\td1\n", r"test.tsv:1: expected 3 tab-separated fields"),
    ("q1\td1\t1\nq1\td1\thigh\n", r"test.tsv:2: score 'high' is not an integer"),
])
def test_bad_qrels(tmp_path, content, message):
    folder = write_beir(tmp_path / "bad", {"d1": {"text": "x"}}, {"q1": "x"}, [])
    (folder / "qrels" / "test.tsv").write_text(content)
    with pytest.raises(UserError, match=message):
        load_folder(folder)


def test_dangling_judgements_warn(tmp_path):
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


def test_offline_download_names_folder_and_url(tmp_path):
    def offline(url, out_dir):
        raise ConnectionError("no network")

    with pytest.raises(UserError) as err:
        resolve_dir("scifact", tmp_path, downloader=offline)
    msg = str(err.value)
    assert str(tmp_path / "scifact") in msg and "BEIR/datasets/scifact.zip" in msg and "\n" not in msg
