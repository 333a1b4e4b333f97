"""A side-by-side view of two texts: paragraphs aligned, changed characters marked.

This is display only: what a reader needs to see the two copies next to each
other. The recorded differences (what Dedup stored) are listed beside it; the
alignment here is recomputed per view with difflib, paragraph by paragraph and
then character by character inside changed paragraphs. Leading and trailing
blocks that only one copy has (or that differ wholly) are set apart as the
header and the sign-off, the usual edits of a repost.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field

from archive.diff import simplified

CHAR_DIFF_LIMIT = 6000  # longer changed blocks are shown whole, not character by character


@dataclass
class Seg:
    text: str
    kind: str  # "eq" | "del" | "ins"


@dataclass
class Row:
    op: str  # "equal" | "replace" | "delete" | "insert"
    left: list[Seg] = field(default_factory=list)
    right: list[Seg] = field(default_factory=list)


@dataclass
class SideBySide:
    header: list[Row]
    body: list[Row]
    signoff: list[Row]
    counts: dict[str, int]

    @property
    def identical(self) -> bool:
        return not any(self.counts.values())


def _paragraphs(text: str) -> list[str]:
    return [p.strip() for p in text.split("\n") if p.strip()]


def _compared(text: str) -> str:
    """What a paragraph is compared as: NFKC and Simplified, character for character
    (so a Traditional copy is not a change), else the text itself."""
    return simplified(text) or text


def _char_row(a: str, b: str, counts: dict[str, int]) -> Row:
    row = Row("replace")
    if len(a) + len(b) > CHAR_DIFF_LIMIT:
        row.left, row.right = [Seg(a, "del")], [Seg(b, "ins")]
        counts["replace"] += 1
        return row
    sm = difflib.SequenceMatcher(None, _compared(a), _compared(b), autojunk=False)
    for tag, i1, i2, j1, j2 in sm.get_opcodes():
        if tag == "equal":
            row.left.append(Seg(a[i1:i2], "eq"))
            row.right.append(Seg(b[j1:j2], "eq"))
            continue
        counts[tag] += 1
        if i2 > i1:
            row.left.append(Seg(a[i1:i2], "del"))
        if j2 > j1:
            row.right.append(Seg(b[j1:j2], "ins"))
    return row


def _pairs(a: list[str], b: list[str]) -> list[tuple[str | None, str | None]]:
    """Pair the paragraphs of a replaced block: one to one by similarity, else alone."""
    if len(a) == len(b):
        return list(zip(a, b, strict=True))
    out: list[tuple[str | None, str | None]] = []
    j = 0
    for para in a:
        best, best_same = None, 0
        for k in range(j, len(b)):
            same = _shared(para, b[k])
            if same > best_same:
                best, best_same = k, same
        if best is None:
            out.append((para, None))
            continue
        out.extend((None, extra) for extra in b[j:best])
        out.append((para, b[best]))
        j = best + 1
    out.extend((None, extra) for extra in b[j:])
    return out


def _shared(a: str, b: str) -> int:
    """Characters two paragraphs share, or 0 unless most of the shorter one is shared.

    Pairing by the shared count (not a ratio) keeps a short line that happens to be
    contained in a long paragraph from stealing the long paragraph's real partner;
    requiring most of the shorter one lets a cut sentence still pair.
    """
    if not a or not b:
        return 0
    a, b = _compared(a), _compared(b)
    shorter = min(len(a), len(b))
    sm = difflib.SequenceMatcher(None, a, b, autojunk=False)
    if sm.quick_ratio() * (len(a) + len(b)) / 2 <= shorter / 2:
        return 0
    same = sum(block.size for block in sm.get_matching_blocks())
    return same if same > shorter / 2 else 0


def side_by_side(a_text: str, b_text: str) -> SideBySide:
    """Align ``a_text`` and ``b_text`` for display (see the module doc)."""
    a, b = _paragraphs(a_text), _paragraphs(b_text)
    counts = {"replace": 0, "insert": 0, "delete": 0}
    rows: list[Row] = []
    sm = difflib.SequenceMatcher(
        None, [_compared(p) for p in a], [_compared(p) for p in b], autojunk=False
    )
    for tag, i1, i2, j1, j2 in sm.get_opcodes():
        if tag == "equal":  # each side shown as it is (one may be Traditional)
            rows.extend(
                Row("equal", [Seg(p, "eq")], [Seg(q, "eq")])
                for p, q in zip(a[i1:i2], b[j1:j2], strict=True)
            )
        elif tag == "delete":
            counts["delete"] += i2 - i1
            rows.extend(Row("delete", [Seg(p, "del")], []) for p in a[i1:i2])
        elif tag == "insert":
            counts["insert"] += j2 - j1
            rows.extend(Row("insert", [], [Seg(p, "ins")]) for p in b[j1:j2])
        else:
            for left, right in _pairs(a[i1:i2], b[j1:j2]):
                if left is not None and right is not None:
                    rows.append(_char_row(left, right, counts))
                elif left is not None:
                    counts["delete"] += 1
                    rows.append(Row("delete", [Seg(left, "del")], []))
                else:
                    counts["insert"] += 1
                    rows.append(Row("insert", [], [Seg(right or "", "ins")]))
    equal = [i for i, r in enumerate(rows) if r.op == "equal" or _mostly_equal(r)]
    if not equal:
        return SideBySide([], rows, [], counts)
    first, last = equal[0], equal[-1]
    return SideBySide(rows[:first], rows[first : last + 1], rows[last + 1 :], counts)


def _mostly_equal(row: Row) -> bool:
    """A replaced paragraph that is still mostly the same text (a typo fixed)."""
    if row.op != "replace":
        return False
    same = sum(len(s.text) for s in row.left if s.kind == "eq")
    total = max(sum(len(s.text) for s in row.left), sum(len(s.text) for s in row.right), 1)
    return same / total >= 0.6
