"""Exact verification of a candidate pair: similarity, containment and relation.

Both measures are computed on the sets of character shingles of the *content* of each
text: its sentences minus those the archive has learned to be boilerplate (see
``boilerplate``). A text that is nearly all boilerplate keeps its whole key, so that a
standard warning reposted alone still matches its copies; it matches another text only
when their own few sentences agree as well (``own_agree``), so short notices that share
only the warnings are never joined, directly or in a chain.

- similarity: Jaccard ``|A ∩ B| / |A ∪ B|``
- containment: ``|A ∩ B| / min(|A|, |B|)`` — how much of the shorter copy the longer
  one holds: a truncated repost has a low similarity and a containment near 1.
- relation: ``exact`` (the same words, ignoring punctuation, spacing and
  Traditional/Simplified script), ``near`` (similarity >= NEAR) or ``partial``
  (containment >= PARTIAL, the shorter copy at least MIN_PART of the longer).

In the grey zone (similarity under NEAR_SURE, but near or a possible partial copy) two
more checks keep apart bulletins written from one template — same phrasing, other
victims, sums and dates: a copy shares *whole sentences* (WHOLE_SENTENCES of the
shorter text in sentences found nearly whole) and the same *particulars* (numbers and
anonymised names such as 王某 or 李女士). Containment there also sets aside the
sentences a copy added at its start and end (a header, an editor's note, a sign-off).
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field

import numpy as np

from .shingles import segment_shingles, sentence_hashes, sentence_keys, shingle_hashes
from .signatures import signature

NEAR = 0.5
NEAR_SURE = 0.7  # from here on, similarity alone decides
PARTICULARS = 0.5  # share of the shorter copy's numbers and names the other must have
PARTIAL = 0.8
MIN_PART = 0.15  # a partial copy holds at least this share of the longer text
MIN_CONTENT = 40  # characters of non-boilerplate content needed to ignore boilerplate
MIN_SHINGLES = 8  # texts with fewer shingles are not matched at all
OWN_AGREE = 0.8  # share of a mostly-boilerplate text's own shingles the other must have
TRIM_FROM = 0.5  # below this containment, no header/sign-off trimming is tried
FOREIGN = 0.2  # a sentence with fewer of its shingles in the other text was added
SENTENCE_FOUND = 0.8  # a sentence with this share of its shingles found is shared whole
WHOLE_SENTENCES = 0.6  # a copy in the grey zone has this share of its text in whole sentences


@dataclass(slots=True)
class Features:
    """What dedup knows of one text: sentence keys and hashes, shingles, signature."""

    keys: list[str]
    hashes: list[int]
    shingles: np.ndarray
    sig: np.ndarray | None = None  # set by ``sign``
    _content: tuple[int, np.ndarray, list[bool]] | None = field(default=None, repr=False)
    _kept: list[str] | None = field(default=None, repr=False)
    # the shingles of the sentences that are not boilerplate, when there were too few
    # of them to stand alone (the content is then the whole key); None otherwise
    _own: np.ndarray | None = field(default=None, repr=False)
    # a signature computed ahead (``precompute``) and the sentences it left out
    _presig: tuple[list[bool], np.ndarray] | None = field(default=None, repr=False)

    @classmethod
    def of(cls, norm_text: str) -> Features:
        keys = sentence_keys(norm_text)
        shingles = shingle_hashes("".join(keys))
        return cls(keys, sentence_hashes(keys), shingles)

    def sign(self, boiler: Boiler) -> np.ndarray | None:
        """The MinHash signature of the content (the boilerplate known now left out):
        shared warnings then add no candidates, however many articles carry them."""
        if self.sig is None and self.matchable:
            content = self.content(boiler)
            assert self._content is not None
            if self._presig is not None and self._presig[0] == self._content[2]:
                self.sig = self._presig[1]  # computed ahead, for the same content
            else:
                self.sig = signature(content)
            self._presig = None
        return self.sig

    @property
    def matchable(self) -> bool:
        return len(self.shingles) >= MIN_SHINGLES

    @property
    def key(self) -> str:
        return "".join(self.keys)

    def content(self, boiler: Boiler) -> np.ndarray:
        """Shingles of the sentences that are not boilerplate."""
        if self._content is not None and self._content[0] == boiler.version:
            return self._content[1]
        drop = [h != 0 and boiler.is_boilerplate(h) for h in self.hashes]
        if self._content is not None and self._content[2] == drop:
            # the boilerplate changed, but not in this text: the same content
            self._content = (boiler.version, self._content[1], drop)
            return self._content[1]
        kept = [k for k, d in zip(self.keys, drop, strict=True) if not d]
        self._own = None
        if not any(drop):
            result = self.shingles
        elif sum(map(len, kept)) >= MIN_CONTENT:
            result = shingle_hashes("".join(kept))
        else:
            self._own = shingle_hashes("".join(kept))
            result, kept = self.shingles, self.keys
        self._content = (boiler.version, result, drop)
        self._kept = kept
        return result

    def own(self, boiler: Boiler) -> np.ndarray | None:
        """Shingles of the few sentences that are not boilerplate when the content had
        to keep the boilerplate (too little of its own), else None."""
        self.content(boiler)
        return self._own

    def content_sentences(self, boiler: Boiler) -> list[str]:
        self.content(boiler)
        assert self._kept is not None
        return self._kept


_versions = itertools.count(1)


class Boiler:
    """The interface verification needs of the boilerplate model.

    ``version`` changes whenever the set of boilerplate sentences does (and differs
    between instances), so cached content shingles are never stale.
    """

    def __init__(self) -> None:
        self.version = next(_versions)

    def bump(self) -> None:
        self.version = next(_versions)

    def is_boilerplate(self, phrase: int) -> bool:  # pragma: no cover - overridden
        return False


class Snapshot(Boiler):
    """A fixed set of boilerplate sentence hashes (what a worker process is told)."""

    def __init__(self, frequent: frozenset[int]) -> None:
        super().__init__()
        self.frequent = frequent

    def is_boilerplate(self, phrase: int) -> bool:
        return phrase in self.frequent


def precompute(norm_text: str, frequent: frozenset[int]) -> Features:
    """``Features.of`` with the content and its signature computed for a snapshot of
    the boilerplate (in a worker process, ahead of time).

    Both are kept under no boilerplate version (0: versions start at 1): the main
    process uses them only after checking that its own boilerplate drops the same
    sentences, and computes them again otherwise (``content``, ``sign``)."""
    f = Features.of(norm_text)
    if f.matchable:
        content = f.content(Snapshot(frequent))
        assert f._content is not None
        drop = f._content[2]
        f._content = (0, content, drop)
        f._presig = (drop, signature(content))
    return f


@dataclass(slots=True)
class Match:
    similarity: float
    containment: float
    relation: str  # exact | near | partial | none

    @property
    def is_match(self) -> bool:
        return self.relation != "none"


def overlap(a: np.ndarray, b: np.ndarray) -> int:
    if len(a) == 0 or len(b) == 0:
        return 0
    return len(np.intersect1d(a, b, assume_unique=True))


def measure(a: Features, b: Features, boiler: Boiler) -> Match:
    """Similarity, containment and relation of two texts."""
    if not (a.matchable and b.matchable):
        return Match(0.0, 0.0, "none")
    if a.key == b.key:
        return Match(1.0, 1.0, "exact")
    ca, cb = a.content(boiler), b.content(boiler)
    if not own_agree(a, b, boiler):
        return Match(0.0, 0.0, "none")
    inter = overlap(ca, cb)
    union = len(ca) + len(cb) - inter
    small, large = sorted((len(ca), len(cb)))
    sim = inter / union if union else 0.0
    cont = inter / small if small else 0.0
    ratio = small / large if large else 0.0
    if sim < NEAR_SURE and (sim >= NEAR or cont >= TRIM_FROM):
        # the grey zone: a copy shares whole sentences and the same particulars (names,
        # sums, dates); two cases written from one template share only the phrasing
        shorter, longer = (a, b) if len(ca) <= len(cb) else (b, a)
        short_sents = shorter.content_sentences(boiler)
        trimmed, whole = sentence_containment(short_sents, longer.content(boiler))
        cont = max(cont, trimmed)
        agree = particulars_agree(short_sents, longer.content_sentences(boiler))
        if whole < WHOLE_SENTENCES or not agree:
            return Match(round(sim, 4), round(cont, 4), "none")
    return Match(round(sim, 4), round(cont, 4), relation(sim, cont, ratio))


def own_agree(a: Features, b: Features, boiler: Boiler) -> bool:
    """May two texts match when one of them is mostly boilerplate?

    A short notice keeps the standard warnings in its content (it has too little of
    its own to stand alone). Two such notices then share most of their shingles
    whatever their own sentences say, and a chain of them would join a thousand
    different notices into one cluster. So their own sentences must agree too:

    - the shorter one's own sentences mostly (OWN_AGREE) in the other's;
    - a text with none of its own (a warning reposted alone) matches a text whose own
      sentences are mostly in it (the warning with a sentence reworded), never one that
      tells something more;
    - two texts with none of their own are copies only when nearly the same
      (NEAR_SURE): one holding most of the other is not enough, as every short notice
      holds most of a shorter one made of the same warnings.
    """
    own_a, own_b = a.own(boiler), b.own(boiler)
    if own_a is None and own_b is None:
        return True
    pairs = [
        (a.content(boiler) if own_a is None else own_a, a),
        (b.content(boiler) if own_b is None else own_b, b),
    ]
    (small, small_text), (large, _) = sorted(pairs, key=lambda p: len(p[0]))
    if len(large) == 0:
        inter = overlap(a.shingles, b.shingles)
        return inter >= NEAR_SURE * (len(a.shingles) + len(b.shingles) - inter)
    if len(small) == 0:
        return overlap(large, small_text.shingles) >= OWN_AGREE * len(large)
    return overlap(small, large) >= OWN_AGREE * len(small)


_PARTICULAR = re.compile(r"\d{2,}|[\u4e00-\u9fff](?:某某|某|女士|先生)")


def particulars(sentences: list[str]) -> set[str]:
    """Numbers (two digits or more) and anonymised names (王某, 李女士) of a text."""
    return set(_PARTICULAR.findall("\n".join(sentences)))


def particulars_agree(shorter: list[str], longer: list[str]) -> bool:
    """Do the shorter text's particulars mostly occur in the longer one?"""
    mine = particulars(shorter)
    if len(mine) < 3:
        return True  # too few to tell
    return len(mine & particulars(longer)) >= PARTICULARS * len(mine)


def sentence_containment(sentences: list[str], other: np.ndarray) -> tuple[float, float]:
    """How a shorter text lies in a longer one (``other``: its shingles), by sentence.

    Returns ``(trimmed, whole)``. ``trimmed``: the containment once the sentences the
    shorter text added at its start and end (a header, an editor's note, a sign-off:
    under FOREIGN of their shingles found) are set aside. ``whole``: the share of the
    shorter text (in that region, by characters) in sentences found nearly whole
    (SENTENCE_FOUND of their shingles) — a copy shares whole sentences, two bulletins
    written from one template share phrases with different names and sums.
    """
    vals, seg = segment_shingles(sentences)  # every sentence's shingles, one pass
    if len(other):  # ``other`` is sorted and unique: one binary search a shingle
        at = np.minimum(np.searchsorted(other, vals), len(other) - 1)
        inside = other[at] == vals
    else:
        inside = np.zeros(len(vals), dtype=bool)
    sizes = np.bincount(seg, minlength=len(sentences)).tolist()
    founds = np.bincount(seg[inside], minlength=len(sentences)).tolist()
    hits = list(zip(founds, sizes, strict=True))
    added = [n == 0 or f < FOREIGN * n for f, n in hits]
    if all(added):
        return 0.0, 0.0
    first = added.index(False)
    last = len(added) - 1 - added[::-1].index(False)
    region = hits[first : last + 1]
    total = sum(n for _, n in region)
    if total < MIN_CONTENT:
        return 0.0, 0.0
    found = sum(f for f, _ in region)
    whole = sum(n for f, n in region if n and f >= SENTENCE_FOUND * n)
    return found / total, whole / total


def relation(sim: float, cont: float, ratio: float) -> str:
    if sim >= NEAR:
        return "near"
    if cont >= PARTIAL and ratio >= MIN_PART:
        return "partial"
    return "none"


def estimate_containment(sim: float, na: int, nb: int) -> float:
    """Containment implied by an estimated Jaccard and the two set sizes."""
    small = min(na, nb)
    if small == 0:
        return 0.0
    return min(1.0, sim * (na + nb) / (1 + sim) / small)


def worth_verifying(est_sim: float, na: int, nb: int) -> bool:
    """The cheap filter before exact verification, generous on purpose (recall)."""
    return est_sim >= 0.3 or estimate_containment(est_sim, na, nb) >= 0.6


def estimate_containment_many(sim: np.ndarray, na: np.ndarray, nb: np.ndarray) -> np.ndarray:
    """``estimate_containment`` of many pairs at once (the same arithmetic, in numpy)."""
    small = np.minimum(na, nb).astype(np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        cont = np.minimum(1.0, sim * (na + nb) / (1 + sim) / small)
    return np.where(small == 0, 0.0, cont)


def worth_verifying_many(sim: np.ndarray, na: np.ndarray, nb: np.ndarray) -> np.ndarray:
    """``worth_verifying`` of many pairs at once."""
    return (sim >= 0.3) | (estimate_containment_many(sim, na, nb) >= 0.6)
