"""Search snippets as (text, highlighted) pieces, so templates escape every character.

``search()`` gives each hit its snippet as plain text (``snippet_text``) with the
matches as ``[start, end)`` offsets into it (``highlights``; ``search.types.SearchHit``).
Those spans are used exactly as given: no markup is parsed and no query word guessed,
so the page marks what the search matched and nothing else.
"""

from __future__ import annotations

from collections.abc import Sequence

from search.types import SearchHit


def from_spans(text: str, spans: Sequence[Sequence[int]]) -> list[tuple[str, bool]]:
    """Pieces of ``text`` with ``spans`` (sorted, non-overlapping ``[start, end)``) marked.

    ValueError when a span does not fit the text: search cut both, so that is a bug.
    """
    out: list[tuple[str, bool]] = []
    pos = 0
    for start, end in spans:
        if not pos <= start < end <= len(text):
            raise ValueError(f"highlight [{start}, {end}) does not fit a {len(text)}-char snippet")
        if start > pos:
            out.append((text[pos:start], False))
        out.append((text[start:end], True))
        pos = end
    if pos < len(text):
        out.append((text[pos:], False))
    return out


def hit_segments(hit: SearchHit) -> list[tuple[str, bool]]:
    """The pieces of a search hit's snippet: ``snippet_text`` with ``highlights`` marked."""
    return from_spans(hit["snippet_text"], hit["highlights"])
