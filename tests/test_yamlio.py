"""splade_beir.yamlio: user YAML (configs, reference files) parsed safely, each key's line kept."""

import pytest

from splade_beir.errors import UserError
from splade_beir.references.loader import load_reference
from splade_beir.yamlio import parse_yaml

LAUGHS = "a: &a [x, x]\nb: &b [*a, *a]\nc: &c [*b, *b]\nd: [*c, *c]\n"


@pytest.mark.parametrize("text, line", [(LAUGHS, 1), ("x: 1\ny: &keep {k: 1}\n", 2), ("x: [1, 2]\ny: *nowhere\n", 2)])
def test_anchors_and_aliases_are_refused_before_they_expand(text, line):
    with pytest.raises(UserError, match=rf"^f\.yaml:{line}: YAML anchors and aliases .* not allowed in a thing"):
        parse_yaml("f.yaml", text, "thing")


def test_a_reference_file_refuses_them_too(tmp_path):
    """Reference files come from the user as configs do (``references:`` in a config)."""
    path = tmp_path / "ref.yaml"
    path.write_text("schema: splade_beir.reference/v1\nsource: &s {id: x}\nrows: *s\n", encoding="utf-8")
    with pytest.raises(UserError, match=r"ref\.yaml:2: YAML anchors .* not allowed in a reference file"):
        load_reference(path)


def test_lines_of_keys_and_items_and_bad_yaml():
    data, lines = parse_yaml("f.yaml", "models:\n  - label: A\n  - label: B\n", "config")
    assert data == {"models": [{"label": "A"}, {"label": "B"}]}
    assert lines[("models",)] == 1 and lines[("models", 1)] == 3 and lines[("models", 1, "label")] == 3
    with pytest.raises(UserError, match=r"^f\.yaml:2: not valid YAML"):
        parse_yaml("f.yaml", "a: 1\n b: [\n", "config")
