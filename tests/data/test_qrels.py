"""splade_beir.data.qrels: reading BEIR's qrels TSV files strictly, and the Qrels type."""

import pytest

from splade_beir.data.loader import load_folder
from splade_beir.data.qrels import Qrels
from splade_beir.errors import UserError


def test_header_and_headerless_qrels_keep_every_judgement(tmp_path):
    (tmp_path / "h.tsv").write_text("query-id\tcorpus-id\tscore\nq1\td1\t1\nq1\td2\t0\n")
    (tmp_path / "n.tsv").write_text("q1\td1\t1\nq1\td2\t0\n")
    assert Qrels.read_tsv(tmp_path / "h.tsv") == Qrels.read_tsv(tmp_path / "n.tsv") == {"q1": {"d1": 1, "d2": 0}}
    assert isinstance(Qrels.read_tsv(tmp_path / "n.tsv"), Qrels)


def test_trec_four_field_lines(tmp_path):
    (tmp_path / "t.tsv").write_text("q1\t0\td1\t2\nq2\t0\td3\t1\n")
    assert Qrels.read_tsv(tmp_path / "t.tsv") == {"q1": {"d1": 2}, "q2": {"d3": 1}}


def test_judgement_count_and_relevant_documents():
    qrels = Qrels({"q1": {"d1": 2, "d2": 0, "d3": 1}, "q2": {"d4": 1}})
    assert qrels.n_judgements == 4
    assert qrels.relevant("q1") == {"d1", "d3"} and qrels.relevant("q1", level=2) == {"d1"}
    assert qrels.relevant("absent") == set()


@pytest.mark.parametrize("content,message", [
    ("q1\td1\n", r"test.tsv:1: expected 3 tab-separated fields"),
    ("q1\td1\t1\nq1\td1\thigh\n", r"test.tsv:2: score 'high' is not an integer"),
])
def test_bad_qrels(tmp_path, write_beir, content, message):
    folder = write_beir(tmp_path / "bad", {"d1": {"text": "x"}}, {"q1": "x"}, [])
    (folder / "qrels" / "test.tsv").write_text(content)
    with pytest.raises(UserError, match=message):
        load_folder(folder)
    with pytest.raises(UserError, match=message):
        Qrels.read_tsv(folder / "qrels" / "test.tsv")
