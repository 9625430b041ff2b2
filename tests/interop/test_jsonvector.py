"""splade_beir.interop.jsonvector: JsonVectorCollection and query TSV, written and read back exactly."""

import gzip
import io
import json

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from splade_beir.errors import UserError
from splade_beir.interop.jsonvector import (Vocabulary, formatted, json_tokens, read_lines, read_vectors, write_jsonl,
                                            write_tsv)

VOCAB = ["[CLS]", "##ing", "cat", "a.b", "日本", 'quo"te', "back\\slash", "Straße"]


def written(matrix, integer, ids=None, contents=None):
    ids = ids or [f"r{i}" for i in range(matrix.shape[0])]
    f = io.StringIO()
    write_jsonl(f, ids, matrix, formatted(matrix.data, integer), json_tokens(VOCAB), contents)
    return f.getvalue()


def lines(text):
    return list(enumerate(text.splitlines(), 1))


@settings(max_examples=100, deadline=None)
@given(st.lists(st.lists(st.tuples(st.integers(0, len(VOCAB) - 1),
                                   st.floats(min_value=0, max_value=float(np.float32(1e30)), exclude_min=True,
                                             width=32)),
                         max_size=6, unique_by=lambda p: p[0]), min_size=1, max_size=5))
def test_float_weights_read_back_to_the_same_float32_in_the_same_order(rows):
    indptr = np.cumsum([0] + [len(r) for r in rows])
    indices = np.array([c for r in rows for c, _ in r], dtype=np.int32)
    data = np.array([w for r in rows for _, w in r], dtype=np.float32)
    M = sp.csr_matrix((data, indices, indptr), shape=(len(rows), len(VOCAB)))
    back = read_lines(lines(written(M, integer=False)), "x.jsonl", Vocabulary(VOCAB))
    assert not back.integer or data.size == 0 or all(float(w).is_integer() for w in data)
    assert np.array_equal(back.matrix.indices, M.indices) and np.array_equal(back.matrix.indptr, M.indptr)
    assert np.array_equal(back.matrix.data, M.data)  # bit for bit


def test_a_row_keeps_the_order_it_was_written_in():
    text = '{"id": "q", "vector": {"dog": 1, "cat": 2, "ant": 3}}\n'
    back = read_lines(lines(text), "q.jsonl", Vocabulary(["ant", "cat", "dog"]))
    assert back.matrix.indices.tolist() == [2, 1, 0] and back.matrix.data.tolist() == [1, 2, 3]


def test_integer_lines_are_anserini_json_vector_collection():
    M = sp.csr_matrix(np.array([[3, 0, 12, 0, 0, 0, 0, 1], [0] * 8], dtype=np.float32))
    text = written(M, integer=True, ids=["d1", "d2"], contents=["a text", ""])
    first, second = (json.loads(line) for line in text.splitlines())
    assert first == {"id": "d1", "contents": "a text", "vector": {"[CLS]": 3, "cat": 12, "Straße": 1}}
    assert second == {"id": "d2", "contents": "", "vector": {}}
    assert "日本" not in text and "Straße" in text  # UTF-8, not \\u escapes
    back = read_lines(lines(text), "d.jsonl")
    assert back.integer and back.ids == ["d1", "d2"] and back.vocabulary == ["[CLS]", "cat", "Straße"]


def test_tsv_repeats_tokens_and_reads_back_as_counts():
    M = sp.csr_matrix(np.array([[0, 2, 1, 0, 0, 0, 0, 0]], dtype=np.float32))
    f = io.StringIO()
    write_tsv(f, ["q 1"], M, M.data, VOCAB)
    assert f.getvalue() == "q 1\t##ing ##ing cat\n"
    back = read_lines(lines(f.getvalue()), "t.tsv", Vocabulary(VOCAB))
    assert back.ids == ["q 1"] and back.matrix.toarray().tolist() == M.toarray().tolist() and back.integer


def test_gzip_files_and_a_shared_vocabulary(tmp_path):
    with gzip.open(tmp_path / "c.jsonl.gz", "wt") as f:
        f.write('{"id": 7, "vector": {"x": 1.5}}\n\n{"id": "8", "vector": {"y": 2}}\n')
    (tmp_path / "q.tsv").write_text("q1\ty x y\n")
    vocabulary = Vocabulary()
    docs = read_vectors([tmp_path / "c.jsonl.gz"], vocabulary)
    queries = read_vectors([tmp_path / "q.tsv"], vocabulary)
    assert docs.ids == ["7", "8"] and not docs.integer and docs.matrix.shape == (2, 2)
    assert queries.matrix.toarray().tolist() == [[1.0, 2.0]] and docs.widened(2).shape == (2, 2)


@pytest.mark.parametrize("line, message", [
    ("{not json", "not valid JSON"),
    ("[1, 2]", "expected a JSON object"),
    ('{"vector": {}}', "missing field 'id'"),
    ('{"id": "a"}', "missing field 'vector'"),
    ('{"id": true, "vector": {}}', "'id' must be"),
    ('{"id": "", "vector": {}}', "'id' must be"),
    ('{"id": "a", "vector": [1]}', "'vector' must be an object"),
    ('{"id": "a", "vector": {"t": "3"}}', "must be a number"),
    ('{"id": "a", "vector": {"t": true}}', "must be a number"),
    ('{"id": "a", "vector": {"t": -1}}', "finite and not negative"),
    ('{"id": "a", "vector": {"t": NaN}}', "finite and not negative"),
    ('{"id": "a", "vector": {"t": Infinity}}', "finite and not negative"),
    ('{"id": "a", "vector": {"t": 1e39}}', "above the float32 range"),
    ('{"id": "a", "vector": {"t": 16777217}}', "above 2\\*\\*24"),
    ('{"id": "a", "vector": {"": 1}}', "an empty token"),
    ('{"id": "a", "vector": {"t": 1, "t": 2}}', "key 't' appears twice"),
])
def test_every_malformed_line_names_its_file_and_line(line, message):
    text = '{"id": "ok", "vector": {"t": 1}}\n' + line + "\n"
    with pytest.raises(UserError, match=f"^docs.jsonl:2: .*{message}") as err:
        read_lines(lines(text), "docs.jsonl")
    assert "\n" not in str(err.value)


def test_duplicate_ids_and_bad_tsv_lines(tmp_path):
    with pytest.raises(UserError, match=r"^d.jsonl:3: duplicate id 'a' \(also at d.jsonl:1\)"):
        read_lines(lines('{"id": "a", "vector": {}}\n{"id": "b", "vector": {}}\n{"id": "a", "vector": {}}'),
                   "d.jsonl")
    with pytest.raises(UserError, match=r"^q.tsv:2: expected 'id<TAB>tokens'"):
        read_lines(lines("q1\tx\nno tab here"), "q.tsv")
    (tmp_path / "bad.jsonl").write_bytes(b'{"id": "a", "vector": {}}\n{"id": "\xff"}\n')
    with pytest.raises(UserError, match=r"bad.jsonl:2: not valid UTF-8"):
        read_vectors([tmp_path / "bad.jsonl"])
    with pytest.raises(UserError, match=r"missing.jsonl: vector file missing"):
        read_vectors([tmp_path / "missing.jsonl"])
    (tmp_path / "broken.jsonl.gz").write_bytes(b"not gzip at all")
    with pytest.raises(UserError, match=r"broken.jsonl.gz: unreadable"):
        read_vectors([tmp_path / "broken.jsonl.gz"])


def test_zero_weights_are_left_out():
    back = read_lines(lines('{"id": "a", "vector": {"t": 0, "u": 0.0, "v": 2}}'), "d.jsonl")
    assert back.vocabulary == ["v"] and back.matrix.nnz == 1 and back.integer
