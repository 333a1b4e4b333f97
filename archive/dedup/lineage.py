"""Lineage: which copy of a cluster each copy was most likely taken from, and why.

Evidence, strongest first:

1. attribution: the copy names another copy's publisher, site or title (来源：, 转自,
   转载, 原标题, 据…报道) in its first or last lines;
2. shared edits: it carries another copy's edits of the original (the same words
   changed the same way), so it was taken from that copy, not from the original;
3. publication time: a parent is never published after its copy. Copies published
   within the same minute are "same time": neither is taken as the earlier (and never
   by text length); the other evidence decides.

Without evidence for another copy, a copy's parent is the canonical copy (the
original); the canonical copy has none. Pure: no database.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from typing import Any, Literal, TypedDict
from urllib.parse import urlparse

from ..diff import keyed

EDGE = 400  # characters at each end of a text where attributions are looked for
_ATTRIBUTION = re.compile(
    r"(?:来源|文章来源|稿件来源|转自|转载自|转载|原标题|原文标题)\s*[:：｜|]?\s*([^\n]{2,60})"
    r"|据([^\n，。；]{2,30}?)(?:报道|消息)"
)
SHARED_LABELS = frozenset({"wording", "numbers", "added", "removed", "reordered"})


class Reason(TypedDict):
    """One piece of evidence for a copy's parent."""

    type: Literal["attribution", "shared_edits", "time", "same_time", "canonical"]
    detail: str  # says it in words: the attribution phrase, how much earlier, ...


Evidence = list[Reason]


@dataclass
class Copy:
    """What lineage needs of one copy (``changes``: from the canonical copy)."""

    id: int
    url: str
    site: str | None
    title: str
    source: str | None
    text: str
    published: datetime | None
    changes: list[dict[str, Any]] | None

    @cached_property
    def minute(self) -> datetime | None:
        return self.published.replace(second=0, microsecond=0) if self.published else None

    def edits(self) -> set[tuple[int, int, str]]:
        """Its body edits of the original: where, and what it put there."""
        return {
            (c["a_start"], c["a_end"], keyed(c.get("b") or "")[0])
            for c in self.changes or []
            if c.get("label") in SHARED_LABELS
        }

    def attributions(self) -> list[str]:
        """The attributions it makes (whole matched phrases)."""
        edges = self.text[:EDGE] + "\n" + self.text[-EDGE:]
        return [m.group(0).strip() for m in _ATTRIBUTION.finditer(edges)]

    def names(self) -> list[str]:
        """What another copy's attribution may call this one."""
        out = [n for n in (self.source, self.site) if n and len(n) >= 2]
        host = urlparse(self.url).hostname or ""
        if host and "." in host:
            out.append(host.removeprefix("www."))
        if len(keyed(self.title)[0]) >= 6:
            out.append(self.title)
        return out


@dataclass
class _Facts:
    """What the evidence compares of one copy, worked out once per copy (a cluster of
    m copies compares m² pairs: keying names and phrases per pair cost seconds)."""

    names: list[str]  # the comparison keys of what others may call it
    attributions: list[tuple[str, str]]  # (phrase, its key)
    edits: set[tuple[int, int, str]]

    @classmethod
    def of(cls, c: Copy) -> _Facts:
        names = [k for k in (keyed(n)[0] for n in c.names()) if k]
        return cls(names, [(a, keyed(a)[0]) for a in c.attributions()], c.edits())


def _when(parent: Copy, child: Copy) -> Reason | None:
    if parent.minute is None or child.minute is None:
        return None
    if parent.minute == child.minute:
        return {"type": "same_time", "detail": "published within the same minute"}
    gap = child.minute - parent.minute
    days, hours = gap.days, gap.seconds // 3600
    span = f"{days} day(s)" if days else f"{hours} hour(s)" if hours else "minutes"
    return {"type": "time", "detail": f"published {span} earlier"}


def _later(y: Copy, x: Copy) -> bool:
    """Was y published after x (by whole minutes)?"""
    return y.minute is not None and x.minute is not None and y.minute > x.minute


def _evidence(x: _Facts, y: _Facts) -> tuple[int, Evidence]:
    """How strongly the evidence says x was taken from y (0: no evidence)."""
    score = 0
    found: Evidence = []
    theirs = [k for k in y.names if k not in x.names]
    for phrase, key in x.attributions:
        if any(k in key for k in theirs):
            score += 100
            found.append({"type": "attribution", "detail": phrase})
            break
    ex, ey = x.edits, y.edits
    shared = ex & ey
    if ey and len(shared) >= max(1, 0.8 * len(ey)):
        score += len(shared)
        found.append(
            {
                "type": "shared_edits",
                "detail": f"carries {len(shared)} of its edits of the original",
            }
        )
    return score, found


def lineage(copies: list[Copy], canonical: int) -> dict[int, tuple[int | None, Evidence]]:
    """``{copy: (parent id or None, evidence)}`` for every copy of one cluster."""
    by_id = {c.id: c for c in copies}
    out: dict[int, tuple[int | None, Evidence]] = {canonical: (None, [])}
    parent_of: dict[int, int] = {}

    def descends(y: int, x: int) -> bool:  # is y x itself or below x (a cycle if chosen)?
        seen = set()
        while y not in seen:
            if y == x:
                return True
            seen.add(y)
            if y not in parent_of:
                return False
            y = parent_of[y]
        return False

    ordered = sorted(copies, key=lambda c: (c.minute is None, c.minute or datetime.min, c.id))
    place = {c.id: i for i, c in enumerate(ordered)}
    facts = {c.id: _Facts.of(c) for c in copies}
    suspects = _Suspects(facts)
    for x in ordered:
        if x.id == canonical:
            continue
        best: tuple[int, Copy, Evidence] | None = None
        for yid in sorted(suspects.of(x.id), key=place.__getitem__):
            y = by_id[yid]
            if _later(y, x) or descends(y.id, x.id):
                continue
            score, found = _evidence(facts[x.id], facts[y.id])
            if score and (best is None or score > best[0]):
                best = (score, y, found)
        if best is None:
            parent = by_id.get(canonical)
            evidence: Evidence = [
                {"type": "canonical", "detail": "the original (no other copy named or followed)"}
            ]
        else:
            _, parent, evidence = best
        if parent is None:
            out[x.id] = (None, [])
            continue
        when = _when(parent, x)
        out[x.id] = (parent.id, [*evidence, *([when] if when else [])])
        parent_of[x.id] = parent.id
    return out


class _Suspects:
    """The copies that may hold evidence about a copy: those its attributions name
    and those sharing one of its edits (every other copy scores 0 in ``_evidence``).
    Looked up, not compared pair by pair: a cluster of thousands of copies would
    otherwise cost millions of comparisons (minutes for a cluster page)."""

    def __init__(self, facts: dict[int, _Facts]) -> None:
        self.facts = facts
        self.by_name: dict[str, set[int]] = {}
        self.by_edit: dict[tuple[int, int, str], list[int]] = {}
        for cid, f in facts.items():
            for name in f.names:
                self.by_name.setdefault(name, set()).add(cid)
            for edit in f.edits:
                self.by_edit.setdefault(edit, []).append(cid)
        self.lengths = sorted({len(name) for name in self.by_name})

    def of(self, cid: int) -> set[int]:
        f = self.facts[cid]
        found: set[int] = set()
        for _, key in f.attributions:  # every name that is a part of the phrase
            for n in self.lengths:
                for i in range(len(key) - n + 1):
                    ids = self.by_name.get(key[i : i + n])
                    if ids:
                        found |= ids
        for edit in f.edits:
            found.update(self.by_edit[edit])
        found.discard(cid)
        return found


def tree(members: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The members as a forest: each ``{"id", …, "children": [...]}`` under its parent."""
    nodes = {m["id"]: {**m, "children": []} for m in members}
    roots = []
    for m in members:
        parent = m.get("parent")
        if parent in nodes and parent != m["id"]:
            nodes[parent]["children"].append(nodes[m["id"]])
        else:
            roots.append(nodes[m["id"]])
    return roots
