"""Bad input classes of the loaders: invalid UTF-8, ids that are not ids, grades out of range, degenerate
datasets. Each is a one-line UserError naming the file and line (or a warning, where the data stays usable)."""

from __future__ import annotations

import json

import pytest

from splade_beir.cli import run_cli
from splade_beir.data.loader import load_folder
from splade_beir.errors import UserError
from splade_beir.evaluate import main

CORPUS = [{"_id": "d1", "title": "t", "text": "cat dog"}, {"_id": "d2", "text": "fish river"}]
QUERIES = [{"_id": "q1", "text": "cat"}, {"_id": "q2", "text": "fish"}]
QRELS = "q1\td1\t1\nq2\td2\t1\n"


def folder(tmp_path, corpus=None, queries=None, qrels=None):
    """A BEIR folder from raw bytes (or JSON-able records) for each file."""
    root = tmp_path / "ds"
    (root / "qrels").mkdir(parents=True, exist_ok=True)
    for name, value, default in (("corpus.jsonl", corpus, CORPUS), ("queries.jsonl", queries, QUERIES)):
        value = default if value is None else value
        if not isinstance(value, bytes):
            value = "".join(json.dumps(r) + "\n" for r in value).encode()
        (root / name).write_bytes(value)
    (root / "qrels" / "test.tsv").write_bytes(QRELS.encode() if qrels is None else qrels)
    return root


def refused(tmp_path, match, **files):
    with pytest.raises(UserError, match=match) as err:
        load_folder(folder(tmp_path, **files))
    assert "\n" not in str(err.value)
    return str(err.value)


@pytest.mark.parametrize("files, where", [
    ({"corpus": b'{"_id": "d1", "text": "caf\xe9"}\n'}, r"corpus\.jsonl:1: not valid UTF-8 \(byte 0xe9 at column 27\)"),
    ({"corpus": b'{"_id": "d1", "text": "ok"}\n{"_id": "d2", "title": "\xff", "text": "x"}\n'},
     r"corpus\.jsonl:2: not valid UTF-8 \(byte 0xff"),
    ({"queries": b'{"_id": "q1", "text": "cat"}\n{"_id": "q2", "text": "\xc3"}\n'}, r"queries\.jsonl:2: not valid UTF-8"),
    ({"qrels": b"q1\td1\t1\nq2\td\x802\t1\n"}, r"test\.tsv:2: not valid UTF-8 \(byte 0x80"),
    ({"corpus": b'{"_id": "d1", "text": "\\ud800 alone"}\n'}, r"corpus\.jsonl:1: not valid UTF-8 \(the text holds a lone "
                                                              r"surrogate \\ud800"),
    ({"queries": b'{"_id": "q\\udfff", "text": "x"}\n'}, r"queries\.jsonl:1: not valid UTF-8 \(the _id holds a lone"),
    ({"corpus": b'{"_id": "d1", "title": "\\udc00", "text": "x"}\n'}, r"corpus\.jsonl:1: not valid UTF-8 \(the title holds a lone"),
])
def test_text_that_is_not_utf8_names_file_and_line(tmp_path, files, where):
    refused(tmp_path, where, **files)


def test_a_utf8_byte_order_mark_is_dropped_everywhere(tmp_path):
    bom = "\ufeff".encode()
    ds = load_folder(folder(tmp_path, corpus=bom + b'{"_id": "d1", "text": "cat dog"}\n{"_id": "d2", "text": "x"}\n',
                            queries=bom + b'{"_id": "q1", "text": "cat"}\n{"_id": "q2", "text": "x"}\n',
                            qrels=bom + QRELS.encode()))
    # a BOM on a header-less qrels file used to make its first line look like a header: q1 was lost
    assert ds.qrels == {"q1": {"d1": 1}, "q2": {"d2": 1}} and ds.doc_ids == ["d1", "d2"] and ds.warnings == []


@pytest.mark.parametrize("bad_id, message", [
    (1.5, "_id must be a string or an integer, got float 1.5"), (None, "got NoneType null"),
    (True, "got bool true"), ({"a": 1}, "got dict"), ([1], "got list"), ("", "_id is empty"),
    ("d 1", "_id 'd 1' contains whitespace"), ("d\t1", "contains whitespace"), ("d\u00a01", "contains whitespace"),
    ("d\x001", "contains a control character"),
])
def test_ids_must_be_plain_strings_or_integers(tmp_path, bad_id, message):
    for name in ("corpus", "queries"):
        records = [{"_id": "x0", "text": "a"}, {"_id": bad_id, "text": "x"}]
        text = refused(tmp_path, message.replace("(", r"\(").replace(")", r"\)").replace(".", r"\."), **{name: records})
        assert f"{name}.jsonl:2:" in text


def test_integer_ids_are_their_decimal_strings(tmp_path):
    ds = load_folder(folder(tmp_path, corpus=[{"_id": 7, "text": "a"}], queries=[{"_id": 3, "text": "a"}],
                            qrels=b"3\t7\t1\n"))
    assert ds.doc_ids == ["7"] and list(ds.queries) == ["3"] and ds.qrels == {"3": {"7": 1}}


@pytest.mark.parametrize("qrels, message", [
    (b"q 1\td1\t1\n", r"test\.tsv:1: query-id 'q 1' contains whitespace"),
    (b"q1\td1\t1\nq2\td 2\t1\n", r"test\.tsv:2: corpus-id 'd 2' contains whitespace"),
    (b"q1\t\t1\n", r"test\.tsv:1: corpus-id is empty"),
])
def test_qrels_ids_are_checked_too(tmp_path, qrels, message):
    refused(tmp_path, message, qrels=qrels)


@pytest.mark.parametrize("grade", ["2147483648", "-2147483649", "99999999999999999999", "-9223372036854775809"])
def test_grades_outside_32_bits_are_refused(tmp_path, grade):
    # pytrec_eval keeps grades in int32: 2^31 scored every query 0, below -2^31 corrupted its memory
    refused(tmp_path, rf"test\.tsv:2: score {int(grade)} is outside the 32-bit range", qrels=f"q1\td1\t1\nq2\td2\t{grade}\n".encode())


@pytest.mark.parametrize("grade", ["1.5", "1.0", "2e0", "-0.5", ".5", "\u0661", "1_0", "inf", "nan", "one"])
@pytest.mark.parametrize("line", [1, 2])
def test_grades_that_are_not_whole_numbers_are_refused_even_on_the_first_line(tmp_path, grade, line):
    """A first line whose score is a number is a judgement, not a header: "1.5" there was once dropped silently.
    Python's int() takes Arabic-Indic digits and underscores; trec_eval and beir do not."""
    lines = ["q1\td1\t1", "q2\td2\t1"]
    lines[line - 1] = lines[line - 1][:-1] + grade
    if line == 1 and grade == "one":  # no number at all: the header
        assert load_folder(folder(tmp_path, qrels="\n".join(lines).encode())).qrels == {"q2": {"d2": 1}}
        return
    refused(tmp_path, rf"test\.tsv:{line}: score '{grade}' is not an integer", qrels="\n".join(lines).encode())


def test_signed_grades_are_kept(tmp_path):
    ds = load_folder(folder(tmp_path, qrels=b"q1\td1\t+2\nq2\td2\t-1\n"))
    assert ds.qrels == {"q1": {"d1": 2}, "q2": {"d2": -1}}


def test_grades_at_the_32_bit_limits_are_kept(tmp_path):
    ds = load_folder(folder(tmp_path, qrels=b"q1\td1\t2147483647\nq2\td2\t-2147483648\n"))
    assert ds.qrels == {"q1": {"d1": 2147483647}, "q2": {"d2": -2147483648}}


def test_a_pair_judged_twice_with_other_grades_warns_naming_both_lines(tmp_path):
    ds = load_folder(folder(tmp_path, qrels=b"q1\td1\t1\nq2\td2\t1\nq1\td1\t2\nq2\td2\t1\n"))
    assert ds.qrels["q1"]["d1"] == 2  # the documented rule: the last judgement counts
    assert ds.warnings == [f"{tmp_path}/ds/qrels/test.tsv:3: (q1, d1) judged 2 here and 1 on line 1; the last "
                           "judgement counts"]  # the same grade twice (q2, d2) is no news


@pytest.mark.parametrize("files, message", [
    ({"corpus": b""}, r"corpus\.jsonl: no documents"),
    ({"corpus": b"\n  \n"}, r"corpus\.jsonl: no documents"),
    ({"qrels": b""}, r"test\.tsv: no query of .*queries\.jsonl has a judgement here"),
    ({"qrels": b"query-id\tcorpus-id\tscore\n"}, r"no query of .* has a judgement"),
    ({"qrels": b"q9\td1\t1\n"}, r"no query of .* has a judgement"),
    ({"queries": b""}, r"no query of .* has a judgement"),
])
def test_degenerate_datasets_are_errors_not_zeros(tmp_path, files, message):
    refused(tmp_path, message, **files)


@pytest.mark.parametrize("files, message", [
    ({"corpus": [{"_id": "d1", "text": "a"}, {"_id": "d2", "text": "b"}, {"_id": "d1", "text": "c"}]},
     r"corpus\.jsonl:3: duplicate _id 'd1' \(also line 1\)"),
    ({"corpus": b'{"_id": "d1", "text": "a"}\n\n{"_id": 1, "text": "b"}\n{"_id": "1", "text": "c"}\n'},
     r"corpus\.jsonl:4: duplicate _id '1' \(also line 3\)"),
    ({"queries": [{"_id": "q1", "text": "a"}, {"_id": "q1", "text": "b"}]}, r"queries\.jsonl:2: duplicate _id 'q1' "
                                                                             r"\(also line 1\)"),
])
def test_duplicate_ids_name_both_lines(tmp_path, files, message):
    refused(tmp_path, message, **files)


def test_the_cli_says_one_line_exits_2_and_writes_nothing(tmp_path, capsys):
    data = folder(tmp_path, qrels=b"q1\td1\t1\nq2\td2\t4294967296\n")
    code = run_cli(main, ["--model", "bm25", "--datasets", str(data), "--output", str(tmp_path / "out"), "-q"])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "test.tsv:2: score 4294967296 is outside" in err
    assert not (tmp_path / "out").exists()
