"""The difference engine: two clean texts in, the changes between them out.

A pure library (no database): ``diff_texts(a, b)`` compares two readable texts
(``article.text``: paragraphs separated by newlines) and returns the changes that turn
``a`` into ``b``, each with both sides' original characters, its offsets and some
context. ``diff_meta`` compares the metadata.

How:

1. Each text is cut into sentences (at 。！？!?；; and line ends) with their offsets.
   A sentence is compared by its *key*: NFKC, Traditional -> Simplified, letters,
   digits and Chinese characters only, lower-cased. So a changed comma, a full-width
   digit or a Traditional copy is not a change; what people see is still the original.
2. Sentences are aligned first (``difflib`` over the keys): whole sentences inserted or
   deleted are changes as they stand.
3. Inside a block of changed sentences, characters are aligned (over the keys, mapped
   back to the original positions), small coincidental matches are folded into the
   edits around them (as diff-match-patch's semantic clean-up does), and a short edit
   is widened to whole numbers and to at least ``MIN_SHOWN`` characters so that it
   reads as ``019年 -> 2019年`` rather than ``"" -> "2"``. A replacement whose two
   sides have little in common (a new header where another copy had a dateline) is
   reported as a deletion and an insertion.
4. Each change gets a ``kind``: ``header`` when nothing shared comes before it,
   ``signoff`` when nothing shared comes after it, else ``body``; ``paragraphs`` when
   it adds or drops whole paragraphs; ``moved`` when the same text is deleted in one
   place and inserted in another.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Literal, TypedDict

from .normalize import _PUNCT_MAP, SENTENCE_SPAN, to_simplified, word_key

MIN_SHOWN = 4  # a short edit is widened to at least this many characters a side
MAX_WIDEN = 12  # edits longer than this are shown as they are
MAX_BLOCK = 3000  # changed blocks longer than this are not aligned character by character
CONTEXT = 12  # characters of context each side
_ALNUM = re.compile(r"[^\W_]")
_NOT_ALNUM = re.compile(r"[\W_]+")
_STOP = set("的了是在和与及或等也都就被把对从向于为以而且但并之其这那")
_BREAK_CHARS = set("。！？!?；;，,、：:\n")


@lru_cache(maxsize=65536)
def char_key(ch: str) -> str:
    """What one character counts as when comparing: '' for punctuation and spaces."""
    out = unicodedata.normalize("NFKC", ch).translate(_PUNCT_MAP)
    out = to_simplified(out).lower()
    return "".join(c for c in out if c.isalnum())


def sentence_key(text: str) -> str:
    """The key of a whole sentence: the same as joining ``char_key`` of its characters."""
    return word_key(to_simplified(unicodedata.normalize("NFKC", text)))


def keyed(text: str, offset: int = 0, simp: str | None = None) -> tuple[str, list[int]]:
    """The comparison key of ``text`` and, for each key character, its original offset.

    ``simp``: the same text already NFKC-normalised and Simplified, character for
    character (the fast path: no per-character normalisation).
    """
    chars: list[str] = []
    pos: list[int] = []
    if simp is not None and len(simp) == len(text):
        # regex scans instead of a Python test per character ([^\W_] is str.isalnum)
        pos = [offset + m.start() for m in _ALNUM.finditer(simp)]
        key = _NOT_ALNUM.sub("", simp).lower()
        if len(key) == len(pos):
            return key, pos
        pos = []
    for i, ch in enumerate(text):
        k = char_key(ch)
        if k:
            chars.append(k)
            pos.extend([offset + i] * len(k))
    return "".join(chars), pos


def simplified(text: str) -> str | None:
    """NFKC + Simplified form of a whole text when it keeps every offset, else None."""
    nfkc = text if unicodedata.is_normalized("NFKC", text) else unicodedata.normalize("NFKC", text)
    if len(nfkc) != len(text):
        return None
    return to_simplified(nfkc)


@dataclass(slots=True)
class Unit:
    """A sentence of the original text: offsets, paragraph number and key."""

    start: int
    end: int
    para: int
    key: str


@dataclass(slots=True)
class Para:
    """A paragraph (line) of the original text: offsets, its NFKC/Simplified form, key."""

    start: int
    end: int
    norm: str
    key: str


def paragraphs(text: str, simp: str | None = None) -> list[Para]:
    """The non-empty paragraphs of ``text`` (``simp``: see ``simplified``)."""
    out: list[Para] = []
    offset = 0
    for line in text.split("\n"):
        if simp is not None:
            norm = simp[offset : offset + len(line)]
        else:
            norm = to_simplified(unicodedata.normalize("NFKC", line))
        key = word_key(norm)
        if key:
            out.append(Para(offset, offset + len(line), norm, key))
        offset += len(line) + 1
    return out


def units(text: str, paras: Sequence[Para] | None = None) -> list[Unit]:
    """The sentences of ``text`` (or of some of its paragraphs) with offsets and keys."""
    out: list[Unit] = []
    for n, p in enumerate(paragraphs(text) if paras is None else paras):
        line = text[p.start : p.end]
        same_length = len(p.norm) == len(line)  # almost always: keys from the whole line
        for m in SENTENCE_SPAN.finditer(line):
            key = word_key(p.norm[m.start() : m.end()]) if same_length else sentence_key(m.group(0))
            if key:
                out.append(Unit(p.start + m.start(), p.start + m.end(), n, key))
    return out


@dataclass
class _Edit:
    """A character-level edit in key space of a block (half-open ranges)."""

    i1: int
    i2: int
    j1: int
    j2: int


class _Side:
    """One side of a changed block: its key and the original offsets of each key char."""

    def __init__(self, text: str, block: list[Unit], simp: str | None = None) -> None:
        self.text = text
        keys: list[str] = []
        pos: list[int] = []
        for u in block:
            part = simp[u.start : u.end] if simp is not None else None
            k, p = keyed(text[u.start : u.end], u.start, part)
            keys.append(k)
            pos.extend(p)
        self.key = "".join(keys)
        self.pos = pos

    def joined(self, k: int) -> bool:
        """Are key chars k and k+1 in the same clause (no break between them)?"""
        if k < 0 or k + 1 >= len(self.pos):
            return False
        between = self.text[self.pos[k] + 1 : self.pos[k + 1]]
        return not any(c in _BREAK_CHARS for c in between)

    def span(self, i1: int, i2: int, at: int) -> tuple[int, int]:
        """Original offsets of key range [i1, i2); an empty range sits at ``at``."""
        if i1 < i2:
            return self.pos[i1], self.pos[i2 - 1] + 1
        return at, at


def _clean_up(ops: list[tuple[str, int, int, int, int]]) -> list[tuple[str, int, int, int, int]]:
    """Fold equal runs no longer than the edits on both sides into those edits."""
    changed = True
    while changed:
        changed = False
        for n in range(1, len(ops) - 1):
            tag, i1, i2, _j1, _j2 = ops[n]
            if tag != "equal":
                continue
            left, right = ops[n - 1], ops[n + 1]
            if left[0] == "equal" or right[0] == "equal":
                continue
            size = i2 - i1
            lsize = max(left[2] - left[1], left[4] - left[3])
            rsize = max(right[2] - right[1], right[4] - right[3])
            if size <= lsize and size <= rsize:
                ops[n - 1 : n + 2] = [("replace", left[1], right[2], left[3], right[4])]
                changed = True
                break
    # merge adjacent edits
    merged: list[tuple[str, int, int, int, int]] = []
    for op in ops:
        if merged and op[0] != "equal" and merged[-1][0] != "equal":
            p = merged[-1]
            merged[-1] = ("replace", p[1], op[2], p[3], op[4])
        else:
            merged.append(op)
    return merged


def _is_alnum_ascii(c: str) -> bool:
    return c.isascii() and c.isalnum()


def _widen(e: _Edit, a: _Side, b: _Side, lo: tuple[int, int], hi: tuple[int, int]) -> _Edit:
    """Widen a short edit to whole numbers/words and at least MIN_SHOWN characters.

    ``lo``/``hi``: how far left/right (in A and B alike) the equal text around the edit
    goes, so the widening never eats into another edit.
    """
    la, lb = e.i2 - e.i1, e.j2 - e.j1
    if max(la, lb) > MAX_WIDEN or min(la, lb) >= MIN_SHOWN:
        return e
    left_room = min(e.i1 - lo[0], e.j1 - lo[1])
    right_room = min(hi[0] - e.i2, hi[1] - e.j2)
    left = right = 0

    def lch(n: int) -> str:  # the n-th char to the left (1-based), in A
        return a.key[e.i1 - n]

    def rch(n: int) -> str:
        return a.key[e.i2 + n - 1]

    def shown(side_len: int) -> bool:  # is that side's span non-empty now?
        return side_len + left + right > 0

    def can_left(n: int) -> bool:
        if n > left_room:
            return False
        return (
            (not shown(la) or n > 1 or a.joined(e.i1 - n))
            and (not shown(lb) or n > 1 or b.joined(e.j1 - n))
            and (n == 1 or (a.joined(e.i1 - n) and b.joined(e.j1 - n)))
        )

    def can_right(n: int) -> bool:
        if n > right_room:
            return False
        return (
            (not shown(la) or n > 1 or a.joined(e.i2 - 1))
            and (not shown(lb) or n > 1 or b.joined(e.j2 - 1))
            and (n == 1 or (a.joined(e.i2 + n - 2) and b.joined(e.j2 + n - 2)))
        )

    edge = a.key[e.i1 : e.i2] + b.key[e.j1 : e.j2]
    # whole numbers / Latin words: a digit edit takes the digits around it
    if edge and _is_alnum_ascii(edge[0]):
        while can_left(left + 1) and _is_alnum_ascii(lch(left + 1)):
            left += 1
    if edge and _is_alnum_ascii(edge[-1]):
        while can_right(right + 1) and _is_alnum_ascii(rch(right + 1)):
            right += 1
    while min(la, lb) + left + right < MIN_SHOWN:
        r_ok, l_ok = can_right(right + 1), can_left(left + 1)
        if not (r_ok or l_ok):
            break
        r_stop = r_ok and rch(right + 1) in _STOP
        l_stop = l_ok and lch(left + 1) in _STOP
        if r_ok and (not r_stop or not l_ok or l_stop):
            right += 1
            if _is_alnum_ascii(rch(right)):
                while can_right(right + 1) and _is_alnum_ascii(rch(right + 1)):
                    right += 1
        else:
            left += 1
            if _is_alnum_ascii(lch(left)):
                while can_left(left + 1) and _is_alnum_ascii(lch(left + 1)):
                    left += 1
    return _Edit(e.i1 - left, e.i2 + right, e.j1 - left, e.j2 + right)


def _dissimilar(x: str, y: str) -> bool:
    """Two sides with little in common: one text taken out and another put in."""
    if not x or not y or max(len(x), len(y)) <= 8:
        return False
    return difflib.SequenceMatcher(None, x, y, autojunk=False).ratio() < 0.3


_PAIRS = {"（": "）", "(": ")", "「": "」", "『": "』", "“": "”", "‘": "’", "【": "】", "《": "》"}


def _balance(text: str, start: int, end: int) -> tuple[int, int]:
    """Widen a span by one bracket or quote so it does not leave one unclosed."""
    if start >= end:
        return start, end
    span = text[start:end]
    for o, c in _PAIRS.items():
        if span.count(o) > span.count(c) and text[end : end + 1] == c:
            end += 1
        elif span.count(c) > span.count(o) and start > 0 and text[start - 1] == o:
            start -= 1
    return start, end


ChangeKind = Literal["header", "signoff", "body"]
EDGE_KINDS: tuple[ChangeKind, ...] = ("header", "signoff")  # before / after all shared text


class _ChangeCore(TypedDict):
    op: Literal["replace", "insert", "delete"]
    a: str  # a's characters (empty for an insertion)
    b: str  # b's characters (empty for a deletion)
    kind: ChangeKind
    a_start: int
    a_end: int
    b_start: int
    b_end: int
    before: str  # context: up to ``CONTEXT`` characters of the line before the change
    after: str  # and after it


class Change(_ChangeCore, total=False):
    """One change from text a to text b, as ``diff_texts`` gives it and Dedup records it
    (``Difference.changes``); the CLI, the web pages and ``GET /api/diff`` read it."""

    paragraphs: int  # whole paragraphs it adds or drops
    moved: bool  # the same text deleted in one place and inserted in another
    label: str  # ``archive.labels.label_changes``: what kind of edit it is


@dataclass
class _Raw:
    """A change before it is dressed for output: key ranges on both sides."""

    a_start: int
    a_end: int
    b_start: int
    b_end: int
    eq_before: int  # shared key characters seen before this change


def diff_texts(a: str, b: str) -> list[Change]:
    """The changes from text ``a`` to text ``b`` (see the module docstring).

    Paragraphs are aligned first (most of a repost's paragraphs are unchanged, and
    comparing them whole is cheap), then sentences inside the changed ones, then
    characters inside the changed sentences.
    """
    if a == b:  # an exact copy: nothing changed (no alignment needed)
        return []
    simp_a, pa = _prepared(a)
    simp_b, pb = _prepared(b)
    sm = difflib.SequenceMatcher(None, [p.key for p in pa], [p.key for p in pb], autojunk=False)
    raws: list[_Raw] = []
    equal_seen = 0
    for tag, i1, i2, j1, j2 in sm.get_opcodes():
        if tag == "equal":
            equal_seen += sum(len(p.key) for p in pa[i1:i2])
            continue
        a_at = pa[i1].start if i1 < len(pa) else len(a)
        b_at = pb[j1].start if j1 < len(pb) else len(b)
        ua, ub = units(a, pa[i1:i2]), units(b, pb[j1:j2])
        equal_seen = _sentences((a, simp_a), (b, simp_b), ua, ub, (a_at, b_at), raws, equal_seen)
    changes = [_dress(r, a, b, equal_seen) for r in raws]
    _mark_moves(changes)
    return changes


@lru_cache(maxsize=64)
def _prepared(text: str) -> tuple[str | None, tuple[Para, ...]]:
    """A text's NFKC/Simplified form and paragraphs, cached: when a cluster's new
    members are diffed, the canonical text is the same one every time."""
    simp = simplified(text)
    return simp, tuple(paragraphs(text, simp))


_Text = tuple[str, str | None]  # a text and its NFKC/Simplified form (or None)


def _sentences(
    ta: _Text,
    tb: _Text,
    ua: list[Unit],
    ub: list[Unit],
    home: tuple[int, int],
    raws: list[_Raw],
    equal_seen: int,
) -> int:
    """Sentence-level changes between two runs of changed paragraphs."""
    a_home, b_home = home
    sm = difflib.SequenceMatcher(None, [u.key for u in ua], [u.key for u in ub], autojunk=False)
    for tag, i1, i2, j1, j2 in sm.get_opcodes():
        if tag == "equal":
            equal_seen += sum(len(u.key) for u in ua[i1:i2])
            continue
        a_at = ua[i1].start if i1 < len(ua) else (ua[-1].end if ua else a_home)
        b_at = ub[j1].start if j1 < len(ub) else (ub[-1].end if ub else b_home)
        if tag != "replace":
            a_span = (ua[i1].start, ua[i2 - 1].end) if i2 > i1 else (a_at, a_at)
            b_span = (ub[j1].start, ub[j2 - 1].end) if j2 > j1 else (b_at, b_at)
            raws.append(_Raw(*a_span, *b_span, equal_seen))
            continue
        equal_seen = _block(ta, tb, ua[i1:i2], ub[j1:j2], a_at, b_at, raws, equal_seen)
    return equal_seen


def _block(
    ta: _Text,
    tb: _Text,
    ba: list[Unit],
    bb: list[Unit],
    a_at: int,
    b_at: int,
    raws: list[_Raw],
    equal_seen: int,
) -> int:
    """Character-level changes inside a block of replaced sentences."""
    sa, sb = _Side(ta[0], ba, ta[1]), _Side(tb[0], bb, tb[1])
    if len(sa.key) > MAX_BLOCK or len(sb.key) > MAX_BLOCK:
        raws.append(_Raw(ba[0].start, ba[-1].end, bb[0].start, bb[-1].end, equal_seen))
        return equal_seen
    ops = difflib.SequenceMatcher(None, sa.key, sb.key, autojunk=False).get_opcodes()
    ops = _clean_up(list(ops))
    for n, (tag, i1, i2, j1, j2) in enumerate(ops):
        if tag == "equal":
            equal_seen += i2 - i1
            continue
        prev = ops[n - 1] if n > 0 else None
        nxt = ops[n + 1] if n + 1 < len(ops) else None
        lo = (prev[1], prev[3]) if prev and prev[0] == "equal" else (i1, j1)
        hi = (nxt[2], nxt[4]) if nxt and nxt[0] == "equal" else (i2, j2)
        e = _widen(_Edit(i1, i2, j1, j2), sa, sb, lo, hi)
        at_a = sa.pos[e.i1 - 1] + 1 if e.i1 > 0 else a_at
        at_b = sb.pos[e.j1 - 1] + 1 if e.j1 > 0 else b_at
        a_span = sa.span(e.i1, e.i2, at_a)
        b_span = sb.span(e.j1, e.j2, at_b)
        if _dissimilar(sa.key[e.i1 : e.i2], sb.key[e.j1 : e.j2]):
            raws.append(_Raw(a_span[0], a_span[1], at_b, at_b, equal_seen))
            raws.append(_Raw(a_span[1], a_span[1], *b_span, equal_seen))
        else:
            raws.append(_Raw(*a_span, *b_span, equal_seen))
    return equal_seen


def _paragraphs(text: str, start: int, end: int) -> int:
    """How many whole paragraphs of ``text`` lie in [start, end)."""
    if end <= start:
        return 0
    count = 0
    offset = 0
    for line in text.split("\n"):
        p_start, p_end = offset, offset + len(line)
        if line.strip() and start <= p_start and p_end <= end:
            count += 1
        offset = p_end + 1
    return count


def _dress(r: _Raw, a: str, b: str, total_equal: int) -> Change:
    r.a_start, r.a_end = _balance(a, r.a_start, r.a_end)
    r.b_start, r.b_end = _balance(b, r.b_start, r.b_end)
    ta, tb = a[r.a_start : r.a_end], b[r.b_start : r.b_end]
    op: Literal["replace", "insert", "delete"] = (
        "replace" if ta and tb else ("delete" if ta else "insert")
    )
    kind: ChangeKind
    if r.eq_before == 0:
        kind = "header"
    elif r.eq_before >= total_equal:
        kind = "signoff"
    else:
        kind = "body"
    if ta or not tb:
        before, after = a[max(0, r.a_start - CONTEXT) : r.a_start], a[r.a_end : r.a_end + CONTEXT]
    else:
        before, after = b[max(0, r.b_start - CONTEXT) : r.b_start], b[r.b_end : r.b_end + CONTEXT]
    change: Change = {
        "op": op,
        "a": ta.strip("\n"),
        "b": tb.strip("\n"),
        "kind": kind,
        "a_start": r.a_start,
        "a_end": r.a_end,
        "b_start": r.b_start,
        "b_end": r.b_end,
        "before": before.split("\n")[-1],
        "after": after.split("\n")[0],
    }
    paras = _paragraphs(a, r.a_start, r.a_end) + _paragraphs(b, r.b_start, r.b_end)
    if paras and op != "replace":
        change["paragraphs"] = paras
    return change


def _mark_moves(changes: list[Change]) -> None:
    """Flag a deletion and an insertion of the same text (a moved passage)."""
    deleted: dict[str, Change] = {}
    for c in changes:
        if c["op"] == "delete":
            deleted.setdefault(keyed(c["a"])[0], c)
    for c in changes:
        if c["op"] != "insert":
            continue
        k = keyed(c["b"])[0]
        if len(k) >= 8 and k in deleted and "moved" not in deleted[k]:
            deleted[k]["moved"] = True
            c["moved"] = True


META_FIELDS = ("title", "published", "source", "author", "images")


class FieldChange(TypedDict):
    """One metadata field that differs: its value in a and in b."""

    a: Any
    b: Any


def diff_meta(a: Mapping[str, Any], b: Mapping[str, Any]) -> dict[str, FieldChange]:
    """The metadata fields that differ: ``{field: {"a": …, "b": …}}``."""
    out: dict[str, FieldChange] = {}
    for f in META_FIELDS:
        va, vb = a.get(f), b.get(f)
        if va != vb:
            out[f] = {"a": va, "b": vb}
    return out


def similarity(changes: Sequence[Change], a: str, b: str) -> float:
    """Share of the two texts' key characters left unchanged (a quick figure)."""
    ka, kb = keyed(a)[0], keyed(b)[0]
    total = len(ka) + len(kb)
    if not total:
        return 1.0
    changed = sum(len(keyed(c["a"])[0]) + len(keyed(c["b"])[0]) for c in changes)
    return round(max(0.0, 1 - changed / total), 4)
