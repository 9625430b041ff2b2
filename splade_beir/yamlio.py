"""YAML the user hands us (configs, reference files): parsed safely, with the line of every key kept.

>>> data, lines = parse_yaml("c.yaml", "a: 1\\nb: [x, y]\\n", "config")
>>> data, lines[("b", 1)]
({'a': 1, 'b': ['x', 'y']}, 2)
>>> parse_yaml("c.yaml", "a: &x 1\\nb: *x\\n", "config")
Traceback (most recent call last):
...
splade_beir.errors.UserError: c.yaml:1: YAML anchors and aliases (&name, *name) are not allowed in a config; write the values out
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from .errors import UserError


def parse_yaml(path: str | Path, text: str, what: str) -> tuple[Any, dict[tuple, int]]:
    """``yaml.safe_load`` of ``text`` and the line of every key (:func:`key_lines`). Anchors and aliases
    (``&a`` / ``*a``) are refused before anything is built from them: a few hundred bytes of nested aliases
    expand to gigabytes (the "billion laughs"), and a ``what`` (config, reference file) never needs them."""
    try:
        for event in yaml.parse(text, Loader=yaml.SafeLoader):
            if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None) is not None:
                raise UserError(f"{path}:{event.start_mark.line + 1}: YAML anchors and aliases (&name, *name) are "
                                f"not allowed in a {what}; write the values out")
        return yaml.safe_load(text), key_lines(yaml.compose(text, Loader=yaml.SafeLoader))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark is not None else str(path)
        raise UserError(f"{where}: not valid YAML ({getattr(exc, 'problem', None) or exc})") from None
    except RecursionError:
        raise UserError(f"{path}: not a {what}: nested too deeply") from None


def key_lines(node, prefix: tuple = ()) -> dict[tuple, int]:
    """1-based line of every mapping key and list item of a composed YAML node, by its path
    (``("models", 2, "label")``): what errors naming a file's line look up."""
    lines: dict[tuple, int] = {}
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            here = prefix + (key.value,)
            lines[here] = key.start_mark.line + 1
            lines.update(key_lines(value, here))
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            lines[prefix + (i,)] = item.start_mark.line + 1
            lines.update(key_lines(item, prefix + (i,)))
    return lines
