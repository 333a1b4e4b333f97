"""Chinese text analysis for the index: folding, bigram terms, run keys, jieba words.

Why bigrams: Chinese has no spaces, and a word segmenter (jieba) splits the same
string differently in different contexts, so a query segmented one way misses the
articles segmented another way (measured: recall 0.44 for 2-4 character queries).
Overlapping character bigrams never miss: a run of Chinese characters ``c0 c1 … cn``
becomes the terms ``c0c1 c1c2 … c(n-1)cn``, plus the last character alone (so every
character starts exactly one term: a one-character query is a prefix query). A query
run becomes the phrase of its bigrams, which matches exactly the texts that contain
the run verbatim. Think of one position per character (and per Latin/digit word):
that keeps phrases from reaching across punctuation, since two bigrams from different
runs never sit at adjacent positions with the shared middle character. The index
stores no positions, though: the run keys below answer the same question.

Folding, the same on both sides: NFKC (the archive's ``normalize``), Traditional to
Simplified one character at a time (OpenCC ``t2s``; character by character so that any
substring of a text folds to a substring of the folded text, which phrase-level
conversion does not promise), lower case: ``archive.normalize.fold``, re-exported here. Latin letters and digits form words of
their own (``96110``, ``app``).

This module must stay importable (``search.analysis``): Whoosh pickles the schema,
analyzers included, into the index.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from functools import lru_cache
from operator import add
from typing import Any

from whoosh.analysis import Token, Tokenizer
from whoosh.fields import TEXT
from whoosh.formats import Format, tokens

from archive.normalize import fold, normalize

CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"
# A run of Chinese characters, or a run of other letters/digits (Latin, digits, kana…).
RUNS = re.compile(f"(?P<c>[{CJK}]+)|(?P<w>[^\\W_{CJK}]+)")
CJK_RE = re.compile(f"[{CJK}]")
CJK_RUN2 = re.compile(f"[{CJK}]{{2,}}")


def fold_query(text: str) -> str:
    """The full folding for user input: NFKC and punctuation (the archive's), then ``fold``."""
    return fold(normalize(text))


def term_counts(text: str) -> dict[str, int]:
    """The bigram field's terms of a folded text, each with its frequency.

    The fast path for indexing: no Token objects, and a run's bigrams are made and
    counted in C (``map(add, run, run[1:])`` into ``Counter.update``: 1.7x the plain
    loop). Terms come in text order, as the tokenizer yields them.
    """
    counts: Counter[str] = Counter()
    update = counts.update
    for m in RUNS.finditer(text):
        run = m.group()
        if m.lastgroup == "c":
            update(map(add, run, run[1:]))
            counts[run[-1]] += 1
        else:
            counts[run] += 1
    return counts


def iter_terms(text: str) -> Iterator[tuple[str, int, int, int]]:
    """``(term, position, start_char, end_char)`` for a folded text, in order."""
    pos = 0
    for m in RUNS.finditer(text):
        run, start = m.group(), m.start()
        if m.lastgroup == "c":
            n = len(run)
            for i in range(n - 1):
                yield run[i : i + 2], pos + i, start + i, start + i + 2
            yield run[-1], pos + n - 1, start + n - 1, start + n
            pos += n
        else:
            yield run, pos, start, m.end()
            pos += 1


# -- phrases without positions -------------------------------------------------------
#
# The index keeps no positions (see ``BigramCounts``): a phrase's candidates are the
# documents holding all its terms, and each candidate is then checked against its
# *run key*: the runs of its folded text (Chinese runs, Latin/digit words) joined by
# SEP, with SEP at both ends. A phrase is a substring of that key exactly when its
# terms sit at consecutive positions in the positional scheme above: a Chinese run of
# the phrase that comes first may be the end of a longer run, one that comes last the
# start of one, one in the middle is a whole run; a Latin word is always whole.

SEP = "\x01"


def run_key(folded: str) -> str:
    """The run key of a folded text: its runs joined by ``SEP``, ``SEP`` at both ends."""
    runs = [m.group() for m in RUNS.finditer(folded)]
    return SEP + SEP.join(runs) + SEP if runs else ""


def phrase_needle(terms: list[str]) -> str:
    """The substring of a run key that matches exactly where ``terms`` (bigram-field
    terms, as the query builder makes them: bigrams of a run overlapping, a single
    character closing a run) stand at consecutive positions."""
    segments: list[tuple[str, bool]] = []  # (text, closed on the right)
    run = ""
    for t in terms:
        if CJK_RE.match(t):
            if len(t) == 2:
                run = run + t[1] if run else t
            else:  # a single character: the run ends here
                segments.append((run or t, True))
                run = ""
        else:
            if run:
                segments.append((run, True))
                run = ""
            segments.append((t, True))
    if run:
        segments.append((run, False))
    if not segments:
        return ""
    first_is_word = not CJK_RE.match(segments[0][0])
    lead = SEP if first_is_word else ""
    tail = SEP if segments[-1][1] else ""
    return lead + SEP.join(text for text, _ in segments) + tail


class BigramTokenizer(Tokenizer):
    """Whoosh tokenizer over the same terms as ``term_counts`` (folds its input)."""

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self)

    def __hash__(self) -> int:
        return hash(type(self))

    def __call__(  # type: ignore[override]
        self,
        value: str,
        positions: bool = False,
        chars: bool = False,
        keeporiginal: bool = False,
        removestops: bool = True,
        start_pos: int = 0,
        start_char: int = 0,
        tokenize: bool = True,
        mode: str = "",
        **kwargs: Any,
    ) -> Iterator[Token]:
        t = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        if not tokenize:
            t.original = t.text = fold(value)
            t.boost = 1.0
            if positions:
                t.pos = start_pos
            if chars:
                t.startchar, t.endchar = start_char, start_char + len(value)
            yield t
            return
        for term, pos, sc, ec in iter_terms(fold(value)):
            t.text = term
            t.boost = 1.0
            if keeporiginal:
                t.original = term
            t.stopped = False
            if positions:
                t.pos = start_pos + pos
            if chars:
                t.startchar, t.endchar = start_char + sc, start_char + ec
            yield t


class BigramCounts(Format):
    """Term frequencies only, no value bytes: a posting is a document and a weight.

    Whoosh's ``Positions`` pickles each posting's positions into its block, and
    reading a common bigram's postings then means unpickling tens of thousands of
    position lists; here the block holds only ids and weights. Phrases are checked
    against the run key instead (``phrase_needle``).
    """

    posting_size = 0
    __inittypes__ = dict(field_boost=float)  # noqa: RUF012 (Whoosh's own convention)

    def __init__(self, field_boost: float = 1.0, **options: Any) -> None:
        self.field_boost = field_boost
        self.options = options

    def word_values(self, value: Any, analyzer: Any, **kwargs: Any) -> Iterator[Any]:
        fb = self.field_boost
        freqs: dict[str, int] = {}
        for t in tokens(value, analyzer, kwargs):
            freqs[t.text] = freqs.get(t.text, 0) + 1
        return ((w, n, n * fb, b"") for w, n in freqs.items())

    def encode(self, value: Any) -> bytes:
        return b""

    def combine(self, vs: Any) -> bytes:
        return b""


class BigramField(TEXT):
    """A text field of character bigrams: frequencies only, with a fast ``index``.

    ``index`` skips Whoosh's per-token pipeline: it folds the text once and counts
    each term in a dict, giving the same postings as the analyzer (which queries and
    highlighting use). The run keys that phrases are checked against live in columns
    of their own (``search.schema``).
    """

    def __init__(self, field_boost: float = 1.0, stored: bool = False) -> None:
        super().__init__(
            analyzer=BigramTokenizer(), phrase=False, stored=stored, field_boost=field_boost
        )
        self.format = BigramCounts(field_boost=field_boost)

    def index(self, value: Any, **kwargs: Any) -> Iterator[tuple[bytes, int, float, bytes]]:
        if not isinstance(value, str):
            yield from super().index(value, **kwargs)
            return
        fb = self.format.field_boost
        for term, n in term_counts(fold(value)).items():
            yield term.encode("utf-8"), n, n * fb, b""


@lru_cache(maxsize=1)
def _jieba() -> Any:
    import logging

    import jieba

    jieba.setLogLevel(logging.WARNING)
    jieba.initialize()
    return jieba


def words(text: str) -> list[str]:
    """jieba words (precise mode, no HMM) of a folded text: Chinese words of 2+ characters.

    Single characters are left to the bigram field; Latin words are there too.
    """
    out = []
    cut = _jieba().lcut
    for run in CJK_RUN2.findall(text):
        out.extend(w for w in cut(run, HMM=False) if len(w) > 1)
    return out


__all__ = [
    "SEP",
    "BigramCounts",
    "BigramField",
    "BigramTokenizer",
    "fold",
    "fold_query",
    "iter_terms",
    "phrase_needle",
    "run_key",
    "term_counts",
    "words",
]
