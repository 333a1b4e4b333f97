"""Side-by-side views of bounded size, for the check page.

The check page shows its best matches next to the checked text; an archived copy can
be far longer than what was checked (a round-up page holding the checked bulletin),
and every paragraph of it would be printed. ``capped`` keeps a view readable and
its page small: a long run of paragraphs that only one side has keeps its first and
last few, a paragraph is cut at ``SEG_CHARS`` characters, and the whole view stops at
``VIEW_CHARS``; each cut is replaced by a note saying how much was left out.
"""

from __future__ import annotations

from .sidebyside import Row, Seg, SideBySide

RUN_MAX = 6  # one-sided rows in a run kept whole
RUN_KEEP = 2  # rows kept at each end of a longer run
SEG_CHARS = 2000
VIEW_CHARS = 40_000


def _chars(row: Row) -> int:
    return sum(len(s.text) for s in row.left) + sum(len(s.text) for s in row.right)


def _note(text: str, left: bool = True) -> Row:
    seg = [Seg(text, "note")]
    return Row("omitted", seg if left else [], [] if left else seg)


def _collapse_runs(rows: list[Row]) -> list[Row]:
    out: list[Row] = []
    i = 0
    while i < len(rows):
        j = i
        while j < len(rows) and rows[j].op == rows[i].op and rows[i].op in ("delete", "insert"):
            j += 1
        if j - i > RUN_MAX:
            middle = rows[i + RUN_KEEP : j - RUN_KEEP]
            side = "the archived copy" if rows[i].op == "delete" else "the checked text"
            out += rows[i : i + RUN_KEEP]
            out.append(
                _note(
                    f"… {len(middle)} paragraphs ({sum(map(_chars, middle))} characters) "
                    f"only in {side}, not shown …",
                    left=rows[i].op == "delete",
                )
            )
            out += rows[j - RUN_KEEP : j]
            i = j
        else:
            out.append(rows[i])
            i += 1
    return out


def _clip(segs: list[Seg]) -> list[Seg]:
    out = []
    for s in segs:
        if len(s.text) > SEG_CHARS:
            cut = len(s.text) - SEG_CHARS
            out += [
                Seg(s.text[:SEG_CHARS], s.kind),
                Seg(f" … ({cut} characters not shown)", "note"),
            ]
        else:
            out.append(s)
    return out


def _cap(rows: list[Row], budget: list[int]) -> list[Row]:
    out: list[Row] = []
    rows = _collapse_runs(rows)
    for n, row in enumerate(rows):
        if budget[0] <= 0:
            rest = rows[n:]
            out.append(
                _note(f"… {len(rest)} more rows ({sum(map(_chars, rest))} characters) not shown …")
            )
            break
        row = Row(row.op, _clip(row.left), _clip(row.right))
        budget[0] -= _chars(row)
        out.append(row)
    return out


def capped(view: SideBySide) -> SideBySide:
    """``view`` with long one-sided runs, long paragraphs and its total size cut (noted)."""
    budget = [VIEW_CHARS]
    header = _cap(view.header, budget)
    body = _cap(view.body, budget)
    signoff = _cap(view.signoff, budget)
    return SideBySide(header, body, signoff, dict(view.counts))
