"""splade_beir.data.download: finding dataset folders, fetching them (beir zips, ir_datasets), offline errors."""

import builtins
import sys
from collections import namedtuple

import pytest

from splade_beir.data.download import fetch_ir_datasets, resolve_dir
from splade_beir.data.loader import load_folder
from splade_beir.errors import UserError


def test_existing_folders_and_the_demo(tmp_path):
    (tmp_path / "scifact").mkdir()
    assert resolve_dir("scifact", tmp_path) == tmp_path / "scifact"
    assert resolve_dir(str(tmp_path / "scifact"), "elsewhere") == tmp_path / "scifact"
    assert (resolve_dir("demo", tmp_path) / "corpus.jsonl").is_file()


def test_offline_download_names_folder_and_url(tmp_path):
    def offline(url, out_dir):
        raise ConnectionError("no network")

    with pytest.raises(UserError) as err:
        resolve_dir("scifact", tmp_path, downloader=offline)
    msg = str(err.value)
    assert str(tmp_path / "scifact") in msg and "BEIR/datasets/scifact.zip" in msg and "\n" not in msg


def test_no_download_is_the_same_one_line_error(tmp_path):
    with pytest.raises(UserError) as err:
        resolve_dir("scifact", tmp_path, download=False)
    msg = str(err.value)
    assert str(tmp_path / "scifact") in msg and "BEIR/datasets/scifact.zip" in msg and "\n" not in msg


class FakeIrDatasets:
    """Stands in for ``ir_datasets.load(id)``: the same iterators and record fields."""

    def __init__(self):
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
