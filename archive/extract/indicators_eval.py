"""Precision and recall of indicator extraction on a hand-labelled set.

The set is JSON lines of ``{"text": ..., "indicators": [[kind, value, role], ...]}``
(``tests/data/indicators/bulletins.jsonl``). An extracted indicator is right when its
kind and value are labelled; role is scored apart (``role_accuracy``), except for
amounts, where the row ``loss`` scores the amounts labelled ``loss`` as a kind of their own.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

Triple = tuple[str, str, str]


@dataclass
class Tally:
    """True and false positives and false negatives, with precision and recall (1.0
    where nothing was expected or given). The fraud-type scores count with it too."""

    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0


@dataclass
class Score(Tally):
    misses: list[str] = field(default_factory=list)
    wrong: list[str] = field(default_factory=list)


def load_labelled(path: Path) -> list[dict]:
    with open(path, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def _keyed(triples: Iterable[Triple]) -> set[tuple[str, str]]:
    out = set()
    for kind, value, role in triples:
        out.add((kind, value))
        if kind == "amount" and role == "loss":
            out.add(("loss", value))
    return out


def score(
    rows: list[dict], extract: Callable[[str], Iterable[Triple]], kinds: Iterable[str]
) -> tuple[dict[str, Score], float]:
    """Per-kind scores (plus ``loss``) and the share of right (kind, value) with the right role."""
    scores = {k: Score() for k in kinds}
    roles_right = roles_all = 0
    for row in rows:
        truth_triples = [tuple(t) for t in row["indicators"]]
        got_triples = list(extract(row["text"]))
        truth, got = _keyed(truth_triples), _keyed(got_triples)
        for kind, sc in scores.items():
            t = {v for k, v in truth if k == kind}
            g = {v for k, v in got if k == kind}
            sc.tp += len(t & g)
            sc.fp += len(g - t)
            sc.fn += len(t - g)
            sc.wrong += [f"#{row.get('id')} {kind}:{v}" for v in sorted(g - t)]
            sc.misses += [f"#{row.get('id')} {kind}:{v}" for v in sorted(t - g)]
        roles = {(k, v): r for k, v, r in truth_triples}
        for k, v, r in got_triples:
            if (k, v) in roles:
                roles_all += 1
                roles_right += roles[(k, v)] == r
    return scores, (roles_right / roles_all if roles_all else 1.0)
