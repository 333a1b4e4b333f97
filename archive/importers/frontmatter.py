"""YAML front matter (Jekyll, Hugo) read tolerantly: real files indent with tabs."""

from __future__ import annotations

import re
from typing import Any

import yaml

from ..errors import InputError

_OPEN = re.compile(r"\A\ufeff?\s*---[ \t]*\n")
_CLOSE = re.compile(r"^(?:---|\.\.\.)[ \t]*$", re.M)


def split_front_matter(text: str, path: str) -> tuple[dict[str, Any], str]:
    """``(metadata, body)``; metadata is empty when the text has no front matter.

    Raises InputError for front matter that opens and never closes, or that no reading
    (YAML, YAML with tabs made spaces, plain ``key: value`` lines) can make sense of.
    """
    m = _OPEN.match(text)
    if not m:
        return {}, text
    close = _CLOSE.search(text, m.end())
    if not close:
        raise InputError(path, "broken front matter: the opening --- is never closed")
    block = text[m.end() : close.start()]
    body = text[close.end() :].lstrip("\n")
    meta = _parse_block(block)
    if meta is None:
        raise InputError(path, "broken front matter: not valid YAML")
    return meta, body


def _parse_block(block: str) -> dict[str, Any] | None:
    for candidate in (block, _detab(block)):
        try:
            data = yaml.safe_load(candidate)
        except yaml.YAMLError:
            continue
        if data is None:
            return {}
        if isinstance(data, dict):
            return {str(k).strip().lower(): v for k, v in data.items()}
    return _key_values(block)


def _detab(block: str) -> str:
    lines = []
    for line in block.split("\n"):
        indent = len(line) - len(line.lstrip("\t "))
        head = line[:indent].replace("\t", "  ")
        rest = re.sub(r"^([^:\s][^:]*):\t+", r"\1: ", line[indent:])
        rest = re.sub(r"^-\t+", "- ", rest)
        lines.append(head + rest)
    return "\n".join(lines)


def _key_values(block: str) -> dict[str, Any] | None:
    data: dict[str, Any] = {}
    for line in block.split("\n"):
        if not line.strip() or line.lstrip().startswith("#") or line[:1] in " \t-":
            continue
        key, sep, value = line.partition(":")
        if not sep or not re.fullmatch(r"[A-Za-z_][\w-]*", key.strip()):
            return None
        value = value.strip()
        if value[:1] in "[{" and value[-1:] not in "]}":
            return None  # an unclosed flow collection: YAML that is really broken
        data[key.strip().lower()] = value.strip("\"'")
    return data
