"""A faster exact phrase query for the bigram fields.

Whoosh's ``Phrase`` checks positions through its general span machinery
(``SpanNear2``), several Python calls per posting. A bigram phrase only needs: the
documents holding every term (an intersection of the term posting lists, which skips),
then one set intersection of their positions shifted by each term's offset. The
result is the same set of documents and the same scores (the sum of the terms'
scores, as Whoosh's phrase gives).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from whoosh import matching
from whoosh import query as wq
from whoosh.matching import IntersectionMatcher, WrappingMatcher


class PhraseMatcher(WrappingMatcher):
    """Wraps the intersection of the terms' matchers; stops only where they line up."""

    def __init__(self, child: Any, leaves: list[tuple[Any, int]], boost: float = 1.0) -> None:
        super().__init__(child, boost)
        self.leaves = leaves  # (term matcher, offset in the phrase)
        self._find()

    def _lined_up(self) -> bool:
        cand: set[int] | None = None
        for m, off in self.leaves:
            shifted = {p - off for p in m.value_as("positions")}
            cand = shifted if cand is None else cand & shifted
            if not cand:
                return False
        return True

    def _find(self) -> None:
        child = self.child
        while child.is_active() and not self._lined_up():
            child.next()

    def copy(self) -> PhraseMatcher:
        raise NotImplementedError("PhraseMatcher cannot be copied")

    def replace(self, minquality: float = 0) -> Any:
        return self if self.is_active() else matching.NullMatcher()

    def all_ids(self) -> Iterator[int]:
        while self.is_active():
            yield self.id()
            self.next()

    def next(self) -> bool:
        self.child.next()
        self._find()
        return False

    def skip_to(self, id: int) -> bool:
        self.child.skip_to(id)
        self._find()
        return False

    def supports_block_quality(self) -> bool:
        return False

    def skip_to_quality(self, minquality: float) -> int:
        return 0

    def spans(self) -> list[Any]:
        return []


class BigramPhrase(wq.Phrase):
    """``Phrase(fieldname, words)`` with ``PhraseMatcher`` (words at consecutive positions)."""

    def matcher(self, searcher: Any, context: Any = None) -> Any:
        fieldname = self.fieldname
        if fieldname not in searcher.schema:
            return matching.NullMatcher()
        field = searcher.schema[fieldname]
        reader = searcher.reader()
        leaves = []
        for offset, word in enumerate(self.words):
            if (fieldname, field.to_bytes(word)) not in reader:
                return matching.NullMatcher()
            leaves.append((reader.doc_frequency(fieldname, word), offset, word))
        leaves.sort()  # the rarest term first: the intersection skips the most
        ms = [(wq.Term(fieldname, w).matcher(searcher, context), off) for _, off, w in leaves]
        child = ms[0][0]
        for m, _ in ms[1:]:
            child = IntersectionMatcher(child, m)
        if not child.is_active():
            return matching.NullMatcher()
        return PhraseMatcher(child, ms, boost=self.boost)
