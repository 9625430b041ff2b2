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


# --- issue 7: in-domain names, the TREC DL relevance level, ir_datasets --------------------------------

def test_in_domain_names_and_relevance_levels():
    from splade_beir.datasets import default_split, relevance_level

    assert expand_names("msmarco,trec-dl-2019,trec-dl-2020") == ["msmarco", "trec-dl-2019", "trec-dl-2020"]
    assert [default_split(n) for n in ("msmarco", "trec-dl-2019", "trec-dl-2020")] == ["dev", "test", "test"]
    assert [relevance_level(n) for n in ("msmarco", "trec-dl-2019", "trec-dl-2020", "scifact")] == [1, 2, 2, 1]
    assert relevance_level("/some/where/msmarco-5k", {"msmarco-5k": 2}) == 2
    assert relevance_level("/some/where/msmarco-5k", {"other": 2}) == 1
    with pytest.raises(UserError, match="relevance level of scifact: expected a positive integer, got 0"):
        relevance_level("scifact", 0)


def test_loaded_folders_carry_their_relevance_level(tmp_path, msmarco_5k):
    folder = write_beir(tmp_path / "trec-dl-2019", {"d1": {"text": "x"}}, {"q1": "x"}, [("q1", "d1", 2)])
    assert load_folder(folder, name="trec-dl-2019").relevance_level == 2
    assert load_folder(folder, name="elsewhere").relevance_level == 1
    assert load_folder(msmarco_5k, relevance_level=2).relevance_level == 2


class FakeIrDatasets:
    """Stands in for ``ir_datasets.load(id)``: the same iterators and record fields."""

    def __init__(self):
        from collections import namedtuple

        self.Doc = namedtuple("GenericDoc", "doc_id text")
        self.Query = namedtuple("GenericQuery", "query_id text")
        self.Qrel = namedtuple("TrecQrel", "query_id doc_id relevance iteration")
        self.loaded: list[str] = []

    def __call__(self, irds_id):
        self.loaded.append(irds_id)
        return self

    def docs_iter(self):
        return iter([self.Doc("0", "the presence of communication"), self.Doc("1", "caf\u00e9 \u201cquoted\u201d")])

    def queries_iter(self):
        return iter([self.Query("19335", "anthropological definition of environment")])

    def qrels_iter(self):
        return iter([self.Qrel("19335", "0", 3, "Q0"), self.Qrel("19335", "1", 1, "Q0")])


def test_fetch_ir_datasets_writes_a_beir_folder_and_shares_the_corpus(tmp_path):
    from splade_beir.datasets import fetch_ir_datasets

    fake = FakeIrDatasets()
    f19 = fetch_ir_datasets("trec-dl-2019", tmp_path, loader=fake)
    f20 = fetch_ir_datasets("trec-dl-2020", tmp_path, loader=fake)
    assert fake.loaded == ["msmarco-passage/trec-dl-2019/judged", "msmarco-passage/trec-dl-2020/judged"]
    ds = load_folder(f19, "test", name="trec-dl-2019")
    assert ds.corpus["1"] == {"title": "", "text": "caf\u00e9 \u201cquoted\u201d"} and ds.qrels == {"19335": {"0": 3, "1": 1}}
    assert ds.relevance_level == 2 and ds.queries == {"19335": "anthropological definition of environment"}
    assert (f20 / "corpus.jsonl").read_bytes() == (tmp_path / "msmarco-passage" / "corpus.jsonl").read_bytes()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["msmarco-passage", "trec-dl-2019", "trec-dl-2020"]


def test_trec_dl_offline_or_without_the_extra_is_one_line(tmp_path, monkeypatch):
    import builtins
    import sys

    with pytest.raises(UserError) as exc:
        resolve_dir("trec-dl-2020", tmp_path, download=False)
    message = str(exc.value)
    assert "\n" not in message and str(tmp_path / "trec-dl-2020") in message
    assert "[irds]" in message and "msmarco-passage/trec-dl-2020/judged" in message

    real_import = builtins.__import__

    def no_ir_datasets(name, *args, **kwargs):
        if name == "ir_datasets":
            raise ImportError("no ir_datasets")
        return real_import(name, *args, **kwargs)

    monkeypatch.delitem(sys.modules, "ir_datasets", raising=False)
    monkeypatch.setattr(builtins, "__import__", no_ir_datasets)
    with pytest.raises(UserError, match=r"not found in .*trec-dl-2019; install the \[irds\] extra"):
        resolve_dir("trec-dl-2019", tmp_path)
    monkeypatch.undo()

    class Offline:
        @staticmethod
        def load(irds_id):
            raise ConnectionError("Name or service not known\nmore detail")

    monkeypatch.setitem(sys.modules, "ir_datasets", Offline)
    with pytest.raises(UserError, match=r"ir_datasets failed: ConnectionError: Name or service not known\)$"):
        resolve_dir("trec-dl-2019", tmp_path)
    assert list(tmp_path.iterdir()) == []  # nothing half-written
