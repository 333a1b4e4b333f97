"""Pairwise evaluation of clusters against labels (used by the eval test and bench).

A pair of articles is *predicted* when both are in one cluster and *true* when both
carry the same story label; precision, recall and F1 are over pairs.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from itertools import combinations
from pathlib import Path
from typing import Any

from sqlalchemy import select

from ..db import Archive
from ..document import Document
from ..models import Member
from ..store import store_document


@dataclass
class Scores:
    precision: float
    recall: float
    f1: float
    true_pairs: int
    predicted_pairs: int
    correct_pairs: int
    false_pairs: list[tuple[int, int]] = field(default_factory=list)
    missed_pairs: list[tuple[int, int]] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "precision": round(self.precision, 4),
            "recall": round(self.recall, 4),
            "f1": round(self.f1, 4),
            "true_pairs": self.true_pairs,
            "predicted_pairs": self.predicted_pairs,
            "correct_pairs": self.correct_pairs,
        }


def _pairs(groups: Iterable[list[int]]) -> set[tuple[int, int]]:
    return {(a, b) for g in groups for a, b in combinations(sorted(g), 2)}


def pairwise(predicted: dict[int, int | None], labels: dict[int, Any]) -> Scores:
    """Scores of a clustering (article -> cluster or None) against labels (article -> story)."""
    by_cluster: dict[int, list[int]] = defaultdict(list)
    for aid, cid in predicted.items():
        if cid is not None:
            by_cluster[cid].append(aid)
    by_story: dict[Any, list[int]] = defaultdict(list)
    for aid, story in labels.items():
        by_story[story].append(aid)
    pred, true = _pairs(by_cluster.values()), _pairs(by_story.values())
    correct = len(pred & true)
    p = correct / len(pred) if pred else 1.0
    r = correct / len(true) if true else 1.0
    f1 = 2 * p * r / (p + r) if p + r else 0.0
    return Scores(p, r, f1, len(true), len(pred), correct, sorted(pred - true), sorted(true - pred))


def load_labelled(path: Path) -> list[dict[str, Any]]:
    """The labelled set: one JSON object a line (url, title, text, story, source, …)."""
    with open(path, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def store_labelled(archive: Archive, rows: list[dict[str, Any]]) -> dict[int, Any]:
    """Store labelled articles; returns article id -> story label."""
    labels: dict[int, Any] = {}
    with archive.session() as s:
        for row in rows:
            doc = Document(
                url=row["url"],
                title=row["title"],
                text=row["text"],
                author=row.get("author"),
                source_name=row.get("source"),
                published_at=datetime.fromisoformat(row["published"]),
                published_precision="datetime",
                images=[f"img{i}.jpg" for i in range(int(row.get("images") or 0))],
                extra={"story": row["story"]},
            )
            labels[store_document(s, doc).article.id] = row["story"]
    return labels


def clustering(archive: Archive, ids: Iterable[int]) -> dict[int, int | None]:
    with archive.session() as s:
        found = dict(s.execute(select(Member.article_id, Member.cluster_id)).all())
    return {aid: found.get(aid) for aid in ids}
