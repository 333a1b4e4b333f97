"""Snippets cut from the readable text with the query's matches marked.

The index sees the normalised, folded text; a reader sees ``article.text``. Matching is
done on a folded view of the readable text (NFKC, Traditional to Simplified, lower
case, whitespace dropped) that remembers where each folded character came from, so
the marks land on the readable text exactly: ``一證通查`` in the query marks
``一证通查`` in the text, ``ａｐｐ`` marks ``APP``.

``snippet`` marks each match with 【】 (plain text, no HTML); ``spans`` gives the
same matches as ``[start, end)`` offsets into ``text`` (the unmarked snippet), for
callers that do their own marking (Rich on the terminal, ``<mark>`` on the web).
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from .analysis import RUNS, fold

OPEN, CLOSE = "【", "】"


@dataclass
class Snippet:
    text: str
    spans: list[tuple[int, int]]

    @property
    def marked(self) -> str:
        out, last = [], 0
        for a, b in self.spans:
            out.append(self.text[last:a])
            out.append(f"{OPEN}{self.text[a:b]}{CLOSE}")
            last = b
        out.append(self.text[last:])
        return "".join(out)


def _folded_view(text: str) -> tuple[str, list[int]]:
    """The folded text and, for each of its characters, the index it came from."""
    chars: list[str] = []
    where: list[int] = []
    for i, ch in enumerate(text):
        if ch.isspace():
            continue
        f = fold(unicodedata.normalize("NFKC", ch)) if ord(ch) > 127 else ch.lower()
        for c in f:
            if not c.isspace():
                chars.append(c)
                where.append(i)
    return "".join(chars), where


def needles(texts: list[str]) -> list[str]:
    """What to look for: each Chinese run and each Latin/digit word of the query texts."""
    out: set[str] = set()
    for t in texts:
        for m in RUNS.finditer(fold(unicodedata.normalize("NFKC", t))):
            out.add(m.group())
    return sorted(out, key=len, reverse=True)


def find_spans(text: str, texts: list[str]) -> list[tuple[int, int]]:
    """Merged ``[start, end)`` spans of ``text`` where the query texts occur."""
    wanted = needles(texts)
    if not wanted or not text:
        return []
    view, where = _folded_view(text)
    spans: list[tuple[int, int]] = []
    for n in wanted:
        start = view.find(n)
        while start != -1:
            end = start + len(n)
            spans.append((where[start], where[end - 1] + 1))
            start = view.find(n, start + 1)
    spans.sort()
    merged: list[tuple[int, int]] = []
    for a, b in spans:
        if merged and a <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(b, merged[-1][1]))
        else:
            merged.append((a, b))
    return merged


def snippet(text: str, texts: list[str], width: int = 120) -> Snippet:
    """A window of about ``width`` characters of ``text`` around the most matches."""
    text = text or ""
    spans = find_spans(text, texts)
    if not spans:
        cut = text[:width].replace("\n", " ")
        return Snippet(cut + ("…" if len(text) > width else ""), [])
    # the window start (a match start) that covers the most matches
    best, best_n = spans[0][0], 0
    j = 0
    for i, (a, _) in enumerate(spans):
        while j < len(spans) and spans[j][1] <= a + width:
            j += 1
        if j - i > best_n:
            best, best_n = a, j - i
    start = max(0, best - width // 4)
    nl = text.rfind("\n", start, best)
    if nl != -1:
        start = nl + 1
    end = min(len(text), start + width)
    while end < len(text) and any(a < end < b for a, b in spans):
        end += 1
    window = text[start:end]
    prefix = "…" if start > 0 else ""
    suffix = "…" if end < len(text) else ""
    shift = len(prefix) - start
    inside = [(a + shift, b + shift) for a, b in spans if a >= start and b <= end]
    return Snippet(prefix + window.replace("\n", " ") + suffix, inside)
