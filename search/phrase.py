"""A faster exact phrase query for the bigram fields.

Whoosh's ``Phrase`` needs positions in the postings, which the bigram fields do not
keep (``search.analysis.BigramCounts``). A bigram phrase here is: the documents
holding every term (an intersection of the term posting lists, which skips), each
checked by one substring test of its run key (``search.analysis.phrase_needle``).
The scores are the sum of the terms' scores, as Whoosh's phrase gives. This is the
path Whoosh's own evaluation takes; ``search.array_eval`` does the same with arrays.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from whoosh import matching
from whoosh import query as wq

from .analysis import phrase_needle
from .schema import KEY_COLUMNS


class PhraseMatcher(matching.Matcher):
    """A k-way intersection of the terms' matchers that stops only where the phrase
    occurs (``needle`` in the document's run key, read from ``keys``, the segment's key
    column).

    ``leaves``: the term matchers, rarest first (it leads). The score is the sum of the
    terms' scores; the block quality the sum of theirs, which bounds every phrase score
    in the block, so Whoosh's top-N collector can skip whole blocks unchecked.
    """

    def __init__(self, leaves: list[Any], keys: Any, needle: bytes, boost: float = 1.0) -> None:
        self.ms = leaves
        self.keys = keys
        self.needle = needle
        self.boost = boost
        self._active = all(m.is_active() for m in self.ms)
        self._sync()

    # -- moving ----------------------------------------------------------------------

    def _align(self) -> None:
        """Bring every term to the same document, at or after the lead's."""
        ms = self.ms
        target = ms[0].id()
        while True:
            for m in ms:
                if m.id() < target:
                    m.skip_to(target)
                    if not m.is_active():
                        self._active = False
                        return
                if m.id() > target:
                    target = m.id()
                    break
            else:
                return

    def _lined_up(self) -> bool:
        return self.needle in self.keys[self.ms[0].id()]

    def _sync(self) -> None:
        lead = self.ms[0]
        while self._active:
            self._align()
            if not self._active or self._lined_up():
                return
            lead.next()
            if not lead.is_active():
                self._active = False

    def is_active(self) -> bool:
        return self._active

    def id(self) -> int:
        return self.ms[0].id()

    def next(self) -> bool:
        if not self._active:
            raise matching.ReadTooFar
        self.ms[0].next()
        self._active = self.ms[0].is_active()
        self._sync()
        return True  # block boundaries are the terms' own: let the collector check

    def skip_to(self, id: int) -> bool:
        if not self._active:
            raise matching.ReadTooFar
        for m in self.ms:
            if m.is_active() and m.id() < id:
                m.skip_to(id)
            if not m.is_active():
                self._active = False
                return True
        self._sync()
        return True

    def all_ids(self) -> Iterator[int]:
        while self._active:
            yield self.id()
            self.next()

    def copy(self) -> PhraseMatcher:
        raise NotImplementedError("PhraseMatcher cannot be copied")

    def replace(self, minquality: float = 0) -> Any:
        return self if self._active else matching.NullMatcher()

    def supports(self, astype: str) -> bool:
        return False

    def spans(self) -> list[Any]:
        return []

    # -- scoring ---------------------------------------------------------------------

    def weight(self) -> float:
        return sum(m.weight() for m in self.ms) * self.boost

    def score(self) -> float:
        return sum(m.score() for m in self.ms) * self.boost

    def supports_block_quality(self) -> bool:
        return all(m.supports_block_quality() for m in self.ms)

    def max_quality(self) -> float:
        return sum(m.max_quality() for m in self.ms) * self.boost

    def block_quality(self) -> float:
        return sum(m.block_quality() for m in self.ms) * self.boost

    def skip_to_quality(self, minquality: float) -> int:
        """Skip blocks whose summed quality cannot reach ``minquality``."""
        need = minquality / self.boost
        skipped = 0
        while self._active:
            qs = [m.block_quality() for m in self.ms]
            total = sum(qs)
            if total >= need:
                break
            i = qs.index(min(qs))
            m = self.ms[i]
            sk = m.skip_to_quality(need - (total - qs[i]))
            skipped += sk
            if not sk and m.is_active():
                m.next()
            if not m.is_active():
                self._active = False
                break
            self._sync()
        return skipped


class BigramPhrase(wq.Phrase):
    """``Phrase(fieldname, words)`` with ``PhraseMatcher`` (words at consecutive positions)."""

    def matcher(self, searcher: Any, context: Any = None) -> Any:
        fieldname = self.fieldname
        if fieldname not in searcher.schema:
            return matching.NullMatcher()
        field = searcher.schema[fieldname]
        reader = searcher.reader()
        column = KEY_COLUMNS.get(fieldname)
        if column is None or not reader.has_column(column):
            return matching.NullMatcher()
        leaves = []
        for word in self.words:
            if (fieldname, field.to_bytes(word)) not in reader:
                return matching.NullMatcher()
            leaves.append((reader.doc_frequency(fieldname, word), word))
        leaves.sort()  # the rarest term first: the intersection skips the most
        ms = [wq.Term(fieldname, w).matcher(searcher, context) for _, w in leaves]
        needle = phrase_needle(list(self.words)).encode("utf-8")
        m = PhraseMatcher(ms, reader.column_reader(column), needle, boost=self.boost)
        return m if m.is_active() else matching.NullMatcher()
