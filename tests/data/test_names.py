"""splade_beir.data.names: dataset names, cqadupstack's forums, splits and relevance levels."""

import pytest

from splade_beir.data.names import (ALL, BEIR_13, cqadupstack_parts, dataset_key, default_split, expand_names,
                                    relevance_level)
from splade_beir.errors import UserError


def test_names():
    assert len(BEIR_13) == 13 and ALL[-1] == "cqadupstack"
    assert expand_names("all") == list(ALL)
    assert expand_names("nfcorpus, scifact,nfcorpus") == ["nfcorpus", "scifact"]
    assert len(cqadupstack_parts("cqadupstack")) == 12 and cqadupstack_parts("fiqa") == ["fiqa"]
    with pytest.raises(UserError, match="unknown dataset 'nfcorpsu'.*trec-covid"):
        expand_names("nfcorpsu")


def test_local_folders_are_names_keyed_by_their_last_part(tmp_path):
    (tmp_path / "my-set").mkdir()
    assert expand_names(f"{tmp_path / 'my-set'},scifact") == [str(tmp_path / "my-set"), "scifact"]
    assert dataset_key(str(tmp_path / "my-set")) == "my-set"
    assert dataset_key("cqadupstack/android") == "cqadupstack/android"


def test_in_domain_names_and_relevance_levels():
    assert expand_names("msmarco,trec-dl-2019,trec-dl-2020") == ["msmarco", "trec-dl-2019", "trec-dl-2020"]
    assert [default_split(n) for n in ("msmarco", "trec-dl-2019", "trec-dl-2020")] == ["dev", "test", "test"]
    assert [relevance_level(n) for n in ("msmarco", "trec-dl-2019", "trec-dl-2020", "scifact")] == [1, 2, 2, 1]
    assert relevance_level("/some/where/msmarco-5k", {"msmarco-5k": 2}) == 2
    assert relevance_level("/some/where/msmarco-5k", {"other": 2}) == 1
    with pytest.raises(UserError, match="relevance level of scifact: expected a positive integer, got 0"):
        relevance_level("scifact", 0)


@pytest.mark.parametrize("spec", ["", ",", " , ,", "  "])
def test_a_spec_that_names_no_dataset_is_an_error(spec):
    with pytest.raises(UserError, match="no dataset named"):
        expand_names(spec)
