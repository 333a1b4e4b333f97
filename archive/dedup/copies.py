"""Each copy of a cluster against its canonical copy: its labels, changes and lineage.

The labels are stored with each recorded difference (``differences.difference_row``);
a difference recorded before labels existed (``difference.labels`` is null) gets them
computed here when read, from its stored changes and the two texts, and stored by the
next dedup run that rewrites it (``fanzha dedup --rebuild`` rewrites every one).
"""

from __future__ import annotations

import copy
from collections import OrderedDict
from typing import Any, TypedDict

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..labels import label_difference
from ..models import Article, Difference, Source
from .differences import article_info
from .lineage import Copy, Evidence, lineage


class CopyLineage(TypedDict):
    """How a copy differs from its cluster's canonical copy and where it came from."""

    labels: list[str]  # what it changed against the canonical copy (``archive.labels``)
    parent: int | None  # the copy it was most likely taken from (None: the canonical)


class CopyNotes(CopyLineage):
    """What a cluster listing adds to each copy: its lineage, with the evidence."""

    parent_evidence: Evidence


def recorded(session: Session, canonical: int, members: list[int]) -> dict[int, dict[str, Any]]:
    """``{member: {"labels": [...], "changes": [...]}}`` for the members with a recorded
    difference from ``canonical`` (labels computed on read where none are stored)."""
    out: dict[int, dict[str, Any]] = {}
    unlabelled: list[Difference] = []
    for i in range(0, len(members), 500):
        rows = session.scalars(
            select(Difference).where(
                Difference.a_id == canonical, Difference.b_id.in_(members[i : i + 500])
            )
        )
        for d in rows:
            if d.labels is None:
                unlabelled.append(d)
            else:
                out[d.b_id] = {"labels": list(d.labels), "changes": d.changes}
    if unlabelled:
        info = article_info(session, [canonical, *(d.b_id for d in unlabelled)])
        for d in unlabelled:
            if canonical not in info or d.b_id not in info:
                continue
            changes = copy.deepcopy(d.changes)  # never write through the ORM object
            text_a, text_b = info[canonical]["text"], info[d.b_id]["text"]
            labels = label_difference(changes, text_a, text_b, d.meta)
            out[d.b_id] = {"labels": labels, "changes": changes}
    return out


def notes(session: Session, canonical: int | None, ids: list[int]) -> dict[int, CopyNotes]:
    """Each copy's ``labels``, ``parent`` and ``parent_evidence``, by copy id."""
    if canonical is None:
        return {i: {"labels": [], "parent": None, "parent_evidence": []} for i in ids}
    diffs = recorded(session, canonical, [i for i in ids if i != canonical])
    rows = session.execute(
        select(
            Article.id,
            Article.url,
            Article.site,
            Article.title,
            Article.text,
            Article.published_at,
            Source.name,
        )
        .outerjoin(Source, Source.id == Article.source_id)
        .where(Article.id.in_(ids))
    ).all()
    copies = [
        Copy(
            id=r.id,
            url=r.url,
            site=r.site,
            title=r.title or "",
            source=r.name,
            text=r.text or "",
            published=r.published_at,
            changes=(diffs.get(r.id) or {}).get("changes"),
        )
        for r in rows
    ]
    parents = lineage(copies, canonical)
    out: dict[int, CopyNotes] = {}
    for i in ids:
        parent, evidence = parents.get(i, (None, []))
        labels = (diffs.get(i) or {}).get("labels", [])
        out[i] = {"labels": labels, "parent": parent, "parent_evidence": evidence}
    return out


class Lineages:
    """Each cluster's lineage worked out once for many batches of articles (an export
    reads the archive 500 articles at a time, and a cluster's copies are spread over
    many batches). The last ``keep`` clusters are kept, so memory stays bounded."""

    def __init__(self, keep: int = 2048) -> None:
        self.keep = keep
        self._clusters: OrderedDict[int, dict[int, CopyLineage]] = OrderedDict()

    def of_articles(self, session: Session, ids: list[int]) -> dict[int, CopyLineage]:
        """``{article: {"labels", "parent"}}`` for the articles that are in a cluster."""
        from ..models import Cluster, Member

        clusters: dict[int, int | None] = {}
        for i in range(0, len(ids), 500):
            rows = session.execute(
                select(Member.cluster_id, Cluster.canonical_id)
                .join(Cluster, Cluster.id == Member.cluster_id)
                .where(Member.article_id.in_(ids[i : i + 500]))
            )
            clusters.update({cid: canonical for cid, canonical in rows})
        out: dict[int, CopyLineage] = {}
        for cid, canonical in clusters.items():
            known = self._clusters.get(cid)
            if known is None:
                ids_in = list(
                    session.scalars(select(Member.article_id).where(Member.cluster_id == cid))
                )
                found = notes(session, canonical, ids_in)
                known = {
                    i: {"labels": n["labels"], "parent": n["parent"]} for i, n in found.items()
                }
                self._clusters[cid] = known
                if len(self._clusters) > self.keep:
                    self._clusters.popitem(last=False)
            else:
                self._clusters.move_to_end(cid)
            out.update(known)
        return out
