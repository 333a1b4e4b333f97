"""Label accuracy on the labelled dedup set (tests/data/dedup_eval/articles.jsonl).

Each repost there has a ``kind`` naming the edits it was made with (``header+edit+
truncate``…); each is compared with its story's original as dedup does, and the labels
found are scored per label against the kinds, mapped to the vocabulary (``KIND_LABEL``).
Used by the accuracy test and ``bench/labels.py``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .diff import diff_texts
from .labels import LABELS, label_difference

KIND_LABEL = {
    "header": "header",
    "dateline": "header",  # a dateline line put on top ("中国网5月11日讯")
    "signoff": "signoff",
    "edit": "wording",  # characters dropped or words swapped
    "truncate": "truncated",
    "note": "added",  # an editor's note
    "traditional": "script",
    "reorder": "reordered",
    "merge": "layout",  # paragraphs joined
}
# labels a kind may also bring that the set does not name (not counted as wrong):
# a 'tail' repost swaps its closing paragraphs for others; an edit may hit a digit;
# a truncation drops the sign-off with the rest
TOLERATED = {
    "tail": {"added", "removed", "wording", "signoff", "header"},
    "edit": {"numbers"},
    "truncate": {"removed", "signoff"},
}


@dataclass
class LabelScores:
    """Per label: true positives, false positives, false negatives over the reposts."""

    tp: Counter[str] = field(default_factory=Counter)
    fp: Counter[str] = field(default_factory=Counter)
    fn: Counter[str] = field(default_factory=Counter)
    reposts: int = 0

    def precision(self, label: str) -> float:
        found = self.tp[label] + self.fp[label]
        return self.tp[label] / found if found else 1.0

    def recall(self, label: str) -> float:
        true = self.tp[label] + self.fn[label]
        return self.tp[label] / true if true else 1.0

    def measured(self) -> list[str]:
        return [lb for lb in LABELS if self.tp[lb] + self.fp[lb] + self.fn[lb]]


def expected(kind: str) -> tuple[set[str], set[str]]:
    """(labels a repost of this kind must get, labels it may get besides)."""
    kinds = kind.split("+")
    tolerated: set[str] = set()
    for k in kinds:
        tolerated |= TOLERATED.get(k, set())
    return {KIND_LABEL[k] for k in kinds if k in KIND_LABEL}, tolerated


def score_labels(rows: Iterable[Mapping[str, Any]]) -> LabelScores:
    """Label every repost against its story's original and score the labels."""
    rows = list(rows)
    originals = {r["story"]: r for r in rows if r["kind"] == "original"}
    scores = LabelScores()
    for r in rows:
        if r["kind"] == "original" or r["story"] not in originals:
            continue
        o = originals[r["story"]]
        changes = diff_texts(o["text"], r["text"])
        # only the text is scored: the set's reposts all differ in date and source
        got = set(label_difference(changes, o["text"], r["text"], {}))
        want, tolerated = expected(r["kind"])
        scores.reposts += 1
        for label in want | got:
            if label in want and label in got:
                scores.tp[label] += 1
            elif label in want:
                scores.fn[label] += 1
            elif label not in tolerated:
                scores.fp[label] += 1
    return scores
