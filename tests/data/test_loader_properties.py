"""Property: whatever bytes the three files of a BEIR folder hold, loading gives a dataset or a one-line
UserError naming a file, never another exception (hypothesis generates the files)."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from splade_beir.data.loader import load_folder
from splade_beir.errors import UserError

FILES = ("corpus.jsonl", "queries.jsonl", "qrels/test.tsv")
json_values = st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
                           lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner,
                                                                                       max_size=3), max_leaves=6)
ids = st.one_of(st.text(max_size=6), st.integers(-3, 10**20), st.sampled_from(["d1", "q1", "1", "", " "]), json_values)
records = st.fixed_dictionaries({"_id": ids, "text": st.one_of(st.text(max_size=12), json_values)},
                                optional={"title": st.one_of(st.text(max_size=6), st.none(), json_values)})
jsonl = st.lists(st.one_of(records, records, json_values), max_size=4).map(
    lambda rs: "".join(json.dumps(r) + "\n" for r in rs).encode())  # mostly records, some other JSON values
tsv_field = st.one_of(st.sampled_from(["q1", "d1", "1", "-1", "2147483648", "x y", "", "score"]), st.text(max_size=5))
tsv = st.lists(st.lists(tsv_field, min_size=1, max_size=5).map("\t".join), max_size=4).map(
    lambda rows: "\n".join(rows).encode("utf-8", "surrogatepass"))
raw = st.binary(max_size=64)
mutations = st.sampled_from([b"", b"\xff", b"\xef\xbb\xbf", b"\\ud800", b"\n", b"\t", b"\x00", b"{", b"\r\n"])


def check(files: dict[str, bytes]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "qrels").mkdir()
        for name, data in files.items():
            (root / name).write_bytes(data)
        try:
            ds = load_folder(root)
        except UserError as exc:
            message = str(exc)
            assert "\n" not in message, message
            assert any(name.split("/")[-1] in message for name in FILES) or "does not exist" in message, message
            return
        assert ds.queries and ds.qrels and len(ds.corpus) > 0  # a dataset is never degenerate
        assert set(ds.queries) == set(ds.qrels)
        assert all(isinstance(t, str) for t in ds.texts())
        assert all(isinstance(d, str) and d and not any(c.isspace() for c in d) for d in ds.doc_ids)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(corpus=st.one_of(jsonl, raw), queries=st.one_of(jsonl, raw), qrels=st.one_of(tsv, raw))
def test_any_files_give_a_dataset_or_a_user_error(corpus, queries, qrels):
    check({"corpus.jsonl": corpus, "queries.jsonl": queries, "qrels/test.tsv": qrels})


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(which=st.sampled_from(FILES), at=st.integers(0, 200), insert=mutations)
def test_a_valid_dataset_with_one_bad_byte_sequence(which, at, insert):
    good = {"corpus.jsonl": b'{"_id": "d1", "title": "t", "text": "cat"}\n{"_id": 2, "text": "dog"}\n',
            "queries.jsonl": b'{"_id": "q1", "text": "cat"}\n{"_id": "q2", "text": "dog"}\n',
            "qrels/test.tsv": b"query-id\tcorpus-id\tscore\nq1\td1\t1\nq2\t2\t2\n"}
    data = good[which]
    good[which] = data[:at % (len(data) + 1)] + insert + data[at % (len(data) + 1):]
    check(good)
