"""splade_beir.data.download: finding dataset folders, fetching them (beir zips, ir_datasets), offline errors."""

import builtins
import sys
from collections import namedtuple
from pathlib import Path

import pytest

from splade_beir.data.download import fetch_ir_datasets, resolve_dir, resolve_dirs, url_reachable
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


def test_resolve_dirs_offline_names_every_missing_dataset_before_downloading(tmp_path):
    from splade_beir.data.names import ALL, cqadupstack_parts

    (tmp_path / "data" / "scifact").mkdir(parents=True)
    names = [p for n in ALL for p in cqadupstack_parts(n)]
    asked = []
    with pytest.raises(UserError) as err:
        resolve_dirs(names, tmp_path / "data", reachable=lambda url: asked.append(url) or False)
    msg = str(err.value)
    assert "\n" not in msg and msg.startswith(f"13 dataset(s) missing from {tmp_path / 'data'}")
    assert "cannot be reached" in msg and len(asked) == 1  # one quick probe, no download
    for name in ALL:
        assert (f"{name} (https://" in msg) == (name != "scifact")
    assert "BEIR/datasets/cqadupstack.zip" in msg and "cqadupstack/android" not in msg  # one zip for the forums
    assert sorted(p.name for p in (tmp_path / "data").iterdir()) == ["scifact"]


def test_resolve_dirs_without_downloads_and_when_all_are_there(tmp_path):
    with pytest.raises(UserError, match=r"^2 dataset\(s\) missing .* downloading is off .*: nq \(https.*nq.zip\), "
                                        r"trec-dl-2019 \(ir_datasets 'msmarco-passage/trec-dl-2019/judged'"):
        resolve_dirs(["nq", "trec-dl-2019", "demo"], tmp_path / "none", download=False)
    assert not (tmp_path / "none").exists()
    (tmp_path / "nq").mkdir()
    found = resolve_dirs(["nq", "demo", "nq"], tmp_path, reachable=lambda url: pytest.fail("nothing to download"))
    assert list(found) == ["nq", "demo"] and found["nq"] == tmp_path / "nq"


def test_a_failed_download_leaves_nothing_behind(tmp_path):
    def half_written(url, out_dir):
        with open(f"{out_dir}/scifact.zip", "wb") as f:  # what beir's downloader leaves when it fails midway
            f.write(b"PK\x03\x04 truncated")
        raise ConnectionError("connection reset")

    with pytest.raises(UserError, match=r"download failed: ConnectionError"):
        resolve_dir("scifact", tmp_path / "new" / "data", downloader=half_written)
    assert list(tmp_path.iterdir()) == []  # the folders it made are gone too

    def works(url, out_dir):
        (Path(out_dir) / "scifact" / "qrels").mkdir(parents=True)
        (Path(out_dir) / "scifact.zip").write_bytes(b"zip")

    assert resolve_dirs(["scifact"], tmp_path / "data", downloader=works) == {"scifact": tmp_path / "data" / "scifact"}
    assert [p.name for p in (tmp_path / "data").iterdir()] == ["scifact"]  # no zip, no temporary folder


def test_url_reachable_is_quick_and_goes_through_a_proxy():
    import socket

    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    port = server.getsockname()[1]
    try:
        assert url_reachable(f"http://127.0.0.1:{port}/x", environ={})
        assert url_reachable("https://unreachable.invalid/x", environ={"HTTPS_PROXY": f"http://127.0.0.1:{port}"})
        assert not url_reachable("https://unreachable.invalid/x", environ={
            "HTTPS_PROXY": f"127.0.0.1:{port}", "NO_PROXY": "localhost,.invalid"})
    finally:
        server.close()
    assert not url_reachable(f"http://127.0.0.1:{port}/x", environ={}, timeout=0.5)


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
