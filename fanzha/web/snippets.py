"""Search snippets as (text, highlighted) pieces, so templates escape every character.

A hit may carry its snippet as plain text with ``[start, end)`` highlight spans
(``snippet_text`` + ``highlights``: used first, exactly), or as text with highlight
tags (``<b>``, ``<strong>``, ``<em>``, ``<mark>``, with a class): only those tags
are recognised, everything else is text, shown escaped. Where a snippet carries
no highlight at all, the query's words are marked here instead.
"""

from __future__ import annotations

import html
import re
from typing import Any

_TAG = re.compile(r"</?(?:b|strong|em|mark)(?:\s+class=\"[^\"<>]*\")?\s*>", re.I)
_WORDS = re.compile(r'(?:[\w-]+:)?"([^"]+)"|([^\s"()]+)')
_OPERATORS = {"AND", "OR", "NOT", "ANDNOT", "ANDMAYBE"}


def query_terms(query: str) -> list[str]:
    """The words and phrases of a query (operators and field names left out)."""
    terms: list[str] = []
    for phrase, word in _WORDS.findall(query or ""):
        term = phrase or word
        if not phrase and ":" in term:
            term = term.split(":", 1)[1]
        term = term.strip("*?+-")
        if term and term not in _OPERATORS:
            terms.append(term)
    return sorted(set(terms), key=lambda t: (-len(t), t))


def _mark_terms(text: str, terms: list[str]) -> list[tuple[str, bool]]:
    if not terms or not text:
        return [(text, False)] if text else []
    pattern = re.compile("|".join(re.escape(t) for t in terms), re.I)
    out: list[tuple[str, bool]] = []
    pos = 0
    for m in pattern.finditer(text):
        if m.start() > pos:
            out.append((text[pos : m.start()], False))
        out.append((m.group(0), True))
        pos = m.end()
    if pos < len(text):
        out.append((text[pos:], False))
    return out


def segments(snippet: str | None, query: str = "") -> list[tuple[str, bool]]:
    """Split ``snippet`` into (text, is_highlight) pieces; plain text, never markup."""
    snippet = snippet or ""
    pieces: list[tuple[str, bool]] = []
    depth, pos, tagged = 0, 0, False
    for m in _TAG.finditer(snippet):
        if m.start() > pos:
            pieces.append((html.unescape(snippet[pos : m.start()]), depth > 0))
        tagged = True
        depth = max(depth - 1, 0) if m.group(0).startswith("</") else depth + 1
        pos = m.end()
    if pos < len(snippet):
        rest = snippet[pos:]
        pieces.append((html.unescape(rest) if tagged else rest, depth > 0))
    if tagged:
        return [p for p in pieces if p[0]]
    return _mark_terms(snippet, query_terms(query))


def from_spans(text: str, spans: list[Any]) -> list[tuple[str, bool]] | None:
    """Pieces of ``text`` with ``spans`` marked; None when the spans do not fit the text."""
    out: list[tuple[str, bool]] = []
    pos = 0
    try:
        for start, end in sorted((int(a), int(b)) for a, b in spans):
            if start < pos or end > len(text) or start >= end:
                return None
            if start > pos:
                out.append((text[pos:start], False))
            out.append((text[start:end], True))
            pos = end
    except (TypeError, ValueError):
        return None
    if pos < len(text):
        out.append((text[pos:], False))
    return out


def hit_segments(hit: dict[str, Any], query: str = "") -> list[tuple[str, bool]]:
    """The pieces of a search hit's snippet (see the module doc for the forms read)."""
    text, spans = hit.get("snippet_text"), hit.get("highlights")
    if isinstance(text, str) and isinstance(spans, list):
        pieces = from_spans(text, spans)
        if pieces is not None:
            return pieces if spans else _mark_terms(text, query_terms(query))
    return segments(hit.get("snippet"), query)
