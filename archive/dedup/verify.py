"""Exact verification of a candidate pair: similarity, containment and relation.

Both measures are computed on the sets of character shingles of the *content* of each
text: its sentences minus those the archive has learned to be boilerplate (see
``boilerplate``). A text that is nearly all boilerplate keeps its whole key, so that a
standard warning reposted alone still matches its copies.

- similarity: Jaccard ``|A ∩ B| / |A ∪ B|``
- containment: ``|A ∩ B| / min(|A|, |B|)`` — how much of the shorter copy the longer
  one holds: a truncated repost has a low similarity and a containment near 1.
- relation: ``exact`` (the same words, ignoring punctuation, spacing and
  Traditional/Simplified script), ``near`` (similarity >= NEAR) or ``partial``
  (containment >= PARTIAL, the shorter copy at least MIN_PART of the longer).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .shingles import sentence_hashes, sentence_keys, shingle_hashes
from .signatures import signature

NEAR = 0.5
PARTIAL = 0.8
MIN_PART = 0.15  # a partial copy holds at least this share of the longer text
MIN_CONTENT = 40  # characters of non-boilerplate content needed to ignore boilerplate
MIN_SHINGLES = 8  # texts with fewer shingles are not matched at all


@dataclass(slots=True)
class Features:
    """What dedup knows of one text: sentence keys and hashes, shingles, signature."""

    keys: list[str]
    hashes: list[int]
    shingles: np.ndarray
    sig: np.ndarray | None
    _content: tuple[int, np.ndarray] | None = field(default=None, repr=False)

    @classmethod
    def of(cls, norm_text: str) -> Features:
        keys = sentence_keys(norm_text)
        shingles = shingle_hashes("".join(keys))
        return cls(keys, sentence_hashes(keys), shingles, signature(shingles))

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
        if not any(drop):
            result = self.shingles
        else:
            kept = "".join(k for k, d in zip(self.keys, drop, strict=True) if not d)
            result = shingle_hashes(kept) if len(kept) >= MIN_CONTENT else self.shingles
        self._content = (boiler.version, result)
        return result


class Boiler:
    """The interface verification needs of the boilerplate model."""

    version: int = 0

    def is_boilerplate(self, phrase: int) -> bool:  # pragma: no cover - overridden
        return False


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
    inter = overlap(ca, cb)
    union = len(ca) + len(cb) - inter
    small, large = sorted((len(ca), len(cb)))
    sim = inter / union if union else 0.0
    cont = inter / small if small else 0.0
    return Match(round(sim, 4), round(cont, 4), relation(sim, cont, small / large if large else 0))


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
    return est_sim >= 0.2 or estimate_containment(est_sim, na, nb) >= 0.5
