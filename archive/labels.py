"""Change labels: what kind of edit each change is, and what a copy's edits add up to.

One vocabulary (``LABELS``) for a single change (``label_change``) and for a whole copy
against its original (``label_difference``, the set of its changes' labels plus what
only the two whole texts show: a Traditional copy, other paragraphing, other metadata).

``SUBSTANCE`` labels change what a copy says; ``FORM`` labels only how it is dressed.
Pure functions over ``archive.diff`` changes: no database.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from .diff import EDGE_KINDS, Change, keyed, paragraphs, units
from .normalize import SENTENCE_MARK, to_simplified

LABELS = (
    "header",
    "signoff",
    "wording",
    "numbers",
    "truncated",
    "added",
    "removed",
    "script",
    "reordered",
    "layout",
    "metadata",
)
SUBSTANCE = frozenset({"wording", "numbers", "added", "removed", "truncated"})
FORM = frozenset({"header", "signoff", "layout", "script"})
META_LABELLED = ("title", "published", "source")  # the fields `metadata` is about

TRUNCATED_MIN = 50  # key characters: a removed header/sign-off this long is lost content
MOVED_MIN = 15  # key characters: shorter deletions/insertions are not taken as moved
MOVED_RATIO = 0.6  # a deletion and an insertion this alike are one passage moved
_NOTE = re.compile(r"编者按|编者的话|编按[:：]|小编(提醒|说|按)|^\W?按[:：]", re.MULTILINE)
_NUMERALS = set("0123456789〇零一二三四五六七八九十百千万亿两")
_DIGITS = set("0123456789")


def _core(a: str, b: str) -> tuple[str, str]:
    """The keys of two sides without their common beginning and end."""
    ka, kb = keyed(a)[0], keyed(b)[0]
    start = 0
    while start < min(len(ka), len(kb)) and ka[start] == kb[start]:
        start += 1
    end = 0
    while end < min(len(ka), len(kb)) - start and ka[-1 - end] == kb[-1 - end]:
        end += 1
    return ka[start : len(ka) - end], kb[start : len(kb) - end]


def _is_numbers(a: str, b: str) -> bool:
    """A replacement that changes a number, an amount or a date."""
    ca, cb = _core(a, b)
    core = ca + cb
    if not core:
        return False
    if any(c in _DIGITS for c in core):
        return True
    return all(c in _NUMERALS for c in core)  # 三 -> 五, not 一次 -> 多次


def _is_lost_content(removed: str, kind: str) -> bool:
    """A removed header or sign-off that is part of the story, not its dress: long,
    with whole sentences (a header of account lines, a 来源/编辑 block has none)."""
    key = keyed(removed)[0]
    longest = max((len(keyed(s)[0]) for s in SENTENCE_MARK.split(removed)), default=0)
    if kind == "header":
        return len(key) >= 3 * TRUNCATED_MIN and longest >= 30
    return len(key) >= TRUNCATED_MIN and longest >= 20


def label_change(change: Change) -> str:
    """The label of one change (from the original ``a`` to the copy ``b``)."""
    if change.get("moved"):
        return "reordered"
    op, kind = change["op"], change.get("kind", "body")
    if op != "delete" and _NOTE.search(change.get("b") or ""):
        return "added"  # an editor's note, wherever it sits
    if kind in EDGE_KINDS:
        if op == "delete" and _is_lost_content(change["a"], kind):
            return "truncated"
        return str(kind)
    if op == "insert":
        return "added"
    if op == "delete":
        return "removed"
    return "numbers" if _is_numbers(change["a"], change["b"]) else "wording"


def _mark_similar_moves(changes: Sequence[Change]) -> None:
    """A deleted passage inserted elsewhere with small edits: both are ``reordered``."""
    deleted = [c for c in changes if c["op"] == "delete" and not c.get("moved")]
    inserted = [c for c in changes if c["op"] == "insert" and not c.get("moved")]
    used: set[int] = set()
    for d in deleted:
        kd = keyed(d["a"])[0]
        if len(kd) < MOVED_MIN:
            continue
        for i, c in enumerate(inserted):
            ki = keyed(c["b"])[0]
            if i in used or len(ki) < MOVED_MIN:
                continue
            if difflib.SequenceMatcher(None, kd, ki, autojunk=False).ratio() >= MOVED_RATIO:
                d["label"] = c["label"] = "reordered"
                used.add(i)
                break


def label_changes(changes: Sequence[Change]) -> list[Change]:
    """Give each change its ``label`` (in place; returned for convenience)."""
    for c in changes:
        c["label"] = label_change(c)
    _mark_similar_moves(changes)
    return list(changes)


def _traditional_share(text: str) -> float:
    """Share of a text's Chinese characters that Simplification changes."""
    han = [c for c in text if "\u4e00" <= c <= "\u9fff"]
    if not han:
        return 0.0
    joined = "".join(han)
    simp = to_simplified(joined)
    return sum(x != y for x, y in zip(joined, simp, strict=False)) / len(han)


def is_script_change(a: str, b: str) -> bool:
    """One text is Traditional and the other is not (a script conversion)."""
    sa, sb = _traditional_share(a), _traditional_share(b)
    return abs(sa - sb) >= 0.03


def _holds(merged: str, others: Sequence[str]) -> int:
    """How many of ``others`` (10 key characters or more) ``merged`` mostly contains."""
    count = 0
    for q in others:
        if len(q) < 10:
            continue
        m = difflib.SequenceMatcher(None, q, merged, autojunk=False)
        if sum(b.size for b in m.get_matching_blocks()) >= 0.8 * len(q):
            count += 1
    return count


def is_layout_change(a: str, b: str) -> bool:
    """Shared sentences are paragraphed differently (lines joined or split)."""
    pa, pb = paragraphs(a), paragraphs(b)
    ka, kb = [p.key for p in pa], [p.key for p in pb]
    blocks = difflib.SequenceMatcher(None, ka, kb, autojunk=False).get_opcodes()
    for tag, i1, i2, j1, j2 in blocks:  # n paragraphs in one, m != n of the same in the other
        if tag == "replace" and i2 - i1 != j2 - j1:
            few, many = (ka[i1:i2], kb[j1:j2]) if i2 - i1 < j2 - j1 else (kb[j1:j2], ka[i1:i2])
            if any(_holds(p, many) >= 2 for p in few):
                return True
    ua, ub = units(a, pa), units(b, pb)
    sm = difflib.SequenceMatcher(None, [u.key for u in ua], [u.key for u in ub], autojunk=False)
    for block in sm.get_matching_blocks():
        for k in range(1, block.size):
            x, y = block.a + k, block.b + k
            if (ua[x].para != ua[x - 1].para) != (ub[y].para != ub[y - 1].para):
                return True
    return False


def _meta_changed(change: Any) -> bool:
    """A metadata field that differs in more than script or punctuation."""
    if not isinstance(change, Mapping):
        return False
    a, b = change.get("a"), change.get("b")
    if isinstance(a, str) and isinstance(b, str):
        return keyed(a)[0] != keyed(b)[0]
    return a != b


def order(labels: Iterable[str]) -> list[str]:
    """Labels once each, in the vocabulary's order."""
    found = set(labels)
    return [label for label in LABELS if label in found]


def label_difference(
    changes: Sequence[Change],
    a_text: str,
    b_text: str,
    meta: Mapping[str, Any] | None = None,
) -> list[str]:
    """The labels of a copy ``b`` against ``a``; labels ``changes`` in place too."""
    found = {c["label"] for c in label_changes(changes)}
    for c in changes:  # a header or sign-off that also carries an editor's note
        if c["label"] == "added" and c.get("kind") in EDGE_KINDS:
            rest = [line for line in c["b"].split("\n") if not _NOTE.search(line)]
            if keyed("".join(rest))[0]:
                found.add(c["kind"])
    if is_script_change(a_text, b_text):
        found.add("script")
    if a_text != b_text and is_layout_change(a_text, b_text):
        found.add("layout")
    if meta and any(_meta_changed(meta.get(f)) for f in META_LABELLED):
        found.add("metadata")
    return order(found)


def substantive(labels: Iterable[str]) -> bool:
    """Did the copy change what the text says (not only its dress)?"""
    return bool(SUBSTANCE.intersection(labels))


def summary(labels_of_copies: Iterable[Iterable[str]]) -> str:
    """One line: '2 copies changed wording, 1 truncated' (most common first)."""
    counts: dict[str, int] = {}
    for labels in labels_of_copies:
        for label in set(labels):
            counts[label] = counts.get(label, 0) + 1
    if not counts:
        return "no copy changed"
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1], LABELS.index(kv[0])))
    parts = []
    for n, (label, count) in enumerate(ranked):
        verb = "" if label in ("truncated", "added", "removed", "reordered") else "changed "
        noun = f"{count} cop{'y' if count == 1 else 'ies'} " if n == 0 else f"{count} "
        parts.append(f"{noun}{verb}{label}")
    return ", ".join(parts)
