"""YAML front matter (Jekyll, Hugo) read tolerantly but within limits.

Real files indent with tabs, so a block YAML refuses is read again with tabs made
spaces, then as plain ``key: value`` lines. Hostile front matter is refused with a
one-line reason rather than read: a block over ``MAX_BLOCK_CHARS``, aliases that
expand beyond ``MAX_EXPANDED_CHARS`` (a 567-byte "billion laughs" block would expand
to gigabytes), nesting deeper than Python can follow, impossible dates (``2022-13-45``).
"""

from __future__ import annotations

import re
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from ..errors import InputError
from ..scrub import one_line

#: longest front matter block read (characters between the ``---`` fences)
MAX_BLOCK_CHARS = 64_000
#: most characters the block's scalars may add up to once aliases are expanded
MAX_EXPANDED_CHARS = 100_000

_OPEN = re.compile(r"\A\ufeff?\s*---[ \t]*\n")
_CLOSE = re.compile(r"^(?:---|\.\.\.)[ \t]*$", re.M)


class FrontMatterRefused(ValueError):
    """Front matter that is valid YAML but is not read (too large, impossible value)."""


class _Loader(yaml.SafeLoader):
    """``SafeLoader`` that checks the expanded size of the node graph before building it."""

    def construct_document(self, node: Node) -> Any:
        size = _expanded_chars(node, {}, set())
        if size > MAX_EXPANDED_CHARS:
            raise FrontMatterRefused(
                f"it expands to more than {MAX_EXPANDED_CHARS:,} characters (YAML aliases?)"
            )
        return super().construct_document(node)

    def construct_yaml_timestamp(self, node: ScalarNode) -> Any:  # type: ignore[override]
        try:
            return super().construct_yaml_timestamp(node)
        except (ValueError, OverflowError) as exc:
            raise FrontMatterRefused(f"impossible date {node.value!r} ({exc})") from None


_Loader.add_constructor("tag:yaml.org,2002:timestamp", _Loader.construct_yaml_timestamp)


def _expanded_chars(node: Node, memo: dict[int, int], open_: set[int]) -> int:
    """Characters of every scalar reachable from ``node``, aliases counted each time.

    Memoised per node, so a graph that expands to 10^9 nodes is measured in a few steps.
    """
    key = id(node)
    if key in memo:
        return memo[key]
    if key in open_:
        raise FrontMatterRefused("an alias refers to itself")
    open_.add(key)
    if isinstance(node, ScalarNode):
        size = len(node.value) + 1
    elif isinstance(node, SequenceNode):
        size = 1 + sum(_expanded_chars(child, memo, open_) for child in node.value)
    elif isinstance(node, MappingNode):
        size = 1 + sum(
            _expanded_chars(k, memo, open_) + _expanded_chars(v, memo, open_) for k, v in node.value
        )
    else:  # pragma: no cover - every YAML node is one of the three
        size = 1
    open_.discard(key)
    memo[key] = size = min(size, MAX_EXPANDED_CHARS + 1)
    return size


def split_front_matter(text: str, path: str) -> tuple[dict[str, Any], str]:
    """``(metadata, body)``; metadata is empty when the text has no front matter.

    Raises InputError for front matter that opens and never closes, that is refused
    (see the module's limits), or that no reading (YAML, YAML with tabs made spaces,
    plain ``key: value`` lines) can make sense of.
    """
    m = _OPEN.match(text)
    if not m:
        return {}, text
    close = _CLOSE.search(text, m.end())
    if not close:
        raise InputError(path, "broken front matter: the opening --- is never closed")
    block = text[m.end() : close.start()]
    if len(block) > MAX_BLOCK_CHARS:
        raise InputError(path, f"front matter refused: longer than {MAX_BLOCK_CHARS:,} characters")
    body = text[close.end() :].lstrip("\n")
    try:
        meta = _parse_block(block)
    except FrontMatterRefused as exc:
        raise InputError(path, f"front matter refused: {exc}") from None
    if meta is None:
        raise InputError(path, "broken front matter: not valid YAML")
    return meta, body


def _parse_block(block: str) -> dict[str, Any] | None:
    for candidate in (block, _detab(block)):
        try:
            data = yaml.load(candidate, Loader=_Loader)  # a SafeLoader
        except yaml.YAMLError:
            continue
        except RecursionError:
            raise FrontMatterRefused("nested too deeply") from None
        except FrontMatterRefused:
            raise
        except ValueError as exc:  # e.g. an integer of more digits than Python converts
            raise FrontMatterRefused(one_line(exc)) from None
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
