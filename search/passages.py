"""Archived articles that contain a passage's sentences: candidates for an editor's check.

Dedup finds candidates through MinHash bands, which need the two texts to be alike as
a whole (Jaccard similarity of about 0.3 or more). A pasted paragraph or a repost
that kept only the first third of a bulletin is too small a part of the original for
that, although every sentence of it is in the original. The full-text index answers
exactly that question: a few of the passage's longest sentences that are not
boilerplate, each as a query of its runs as phrases, give the articles that contain
them; dedup then measures each one (``archive.dedup.queries.check_text``).
"""

from __future__ import annotations

import logging
import re

from archive import Archive
from archive.dedup.boilerplate import Boilerplate
from archive.dedup.shingles import phrase_hash
from archive.normalize import SENTENCE_BREAKS, normalize, to_simplified, word_key

from .analysis import fold
from .errors import SearchError
from .results import search

log = logging.getLogger(__name__)

SENTENCES = 4  # the passage's longest sentences asked about
PER_SENTENCE = 20  # articles kept per sentence (the best-scoring)
MIN_KEY = 12  # characters of a sentence's key: shorter ones say too little
_RUNS = re.compile(r"[\u4e00-\u9fff]{2,}|[a-z0-9]+")


def passage_candidates(
    archive: Archive, text: str, *, sentences: int = SENTENCES, per_sentence: int = PER_SENTENCE
) -> list[int]:
    """Ids of archived articles containing one of the passage's distinctive sentences
    (best first, each once). Empty when there is no usable search index: the check
    then relies on dedup's own candidates."""
    found: dict[int, None] = {}
    for query in passage_queries(archive, text, sentences=sentences):
        try:
            hits = search(archive, query, all_copies=True, facets=False, limit=per_sentence)
        except SearchError as exc:  # no index yet, or one being rebuilt
            log.info("check: no full-text candidates (%s)", exc)
            return list(found)
        found.update((int(h["id"]), None) for h in hits["hits"])
    return list(found)


def passage_queries(archive: Archive, text: str, *, sentences: int = SENTENCES) -> list[str]:
    """The full-text queries ``passage_candidates`` asks: one for each of the passage's
    longest ``sentences`` sentences that are not boilerplate in this archive, each run
    between punctuation a phrase of its own (as the index has them)."""
    with archive.session() as s:
        boiler = Boilerplate.load(s)
    chosen: dict[str, str] = {}  # sentence key -> the query of its runs
    for sentence in SENTENCE_BREAKS.split(normalize(text)):  # as dedup cuts them
        key = word_key(to_simplified(sentence))
        if len(key) >= MIN_KEY and not boiler.is_boilerplate(phrase_hash(key)):
            chosen[key] = " ".join(f'"{run}"' for run in _RUNS.findall(fold(sentence)))
    return [chosen[k] for k in sorted(chosen, key=lambda k: (-len(k), k))[:sentences]]
