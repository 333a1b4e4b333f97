"""Tag the archive again: fraud types and indicators of every article, from its text.

Run after the taxonomy (``archive/extract/fraud_types.toml``) or the indicator rules
change, and once on an archive made before indicators were kept. An article whose
tags or indicators change is flagged for the search index (``needs_index``), so the
next ``fanzha index`` (or nightly) shows them; nothing else about it changes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import select

from .db import Archive
from .extract.relevance import classify, load_model
from .indicators import record
from .models import Article

BATCH = 500


@dataclass
class RetagReport:
    articles: int = 0
    types_changed: int = 0
    indicators_changed: int = 0

    def as_json(self) -> dict[str, int]:
        return {
            "articles": self.articles,
            "types_changed": self.types_changed,
            "indicators_changed": self.indicators_changed,
        }


def retag(
    archive: Archive,
    *,
    batch: int = BATCH,
    progress: Callable[[int, int], None] | None = None,
) -> RetagReport:
    """Recompute every article's fraud types and indicators, one transaction a batch
    (an interrupted run keeps the batches it finished; running it again is harmless)."""
    report = RetagReport()
    model = load_model()
    with archive.session() as s:
        ids = list(s.scalars(select(Article.id).order_by(Article.id)))
    for start in range(0, len(ids), batch):
        with archive.session() as s:
            rows = s.scalars(select(Article).where(Article.id.in_(ids[start : start + batch])))
            for article in rows:
                types = classify(article.title, article.text, model=model).fraud_types
                changed = False
                if list(article.fraud_types or []) != types:
                    article.fraud_types = types
                    report.types_changed += 1
                    changed = True
                if record(s, article):
                    report.indicators_changed += 1
                    changed = True
                if changed:
                    article.needs_index = True
                report.articles += 1
        if progress:
            progress(report.articles, len(ids))
    return report
