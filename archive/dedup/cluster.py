"""Clusters of near-duplicates: who belongs with whom, the canonical member, merges.

Only groups of two or more copies are clusters; an article without near-duplicates has
no cluster. The canonical member is the earliest published (undated last); ties go to
the most complete copy (the longest text), then the lowest id. Every other member
carries its similarity, containment and relation to the canonical one, and the
recorded differences from the canonical one to it.

``Clusters`` keeps, for one run, the membership of the clusters the run touched (read
from the database when first needed, never all of them) and which ones changed;
``finalize`` writes the changed ones back.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session

from ..diff import diff_meta, diff_texts
from ..models import Article, Cluster, Difference, Member, Source, utcnow
from .verify import Features, Match

log = logging.getLogger(__name__)

Rank = tuple[bool, datetime | None, int, int]


def rank(published: datetime | None, length: int, article_id: int) -> Rank:
    """Sort key of the canonical choice: earliest published, then longest, then lowest id."""
    return (published is None, published, -length, article_id)


@dataclass
class _Group:
    """A cluster as the run sees it (``key`` < 0 until it has a database id)."""

    key: int
    members: set[int]
    canonical: int | None = None  # as stored
    measures: dict[int, tuple[float, float, str]] = field(default_factory=dict)
    new_members: set[int] = field(default_factory=set)
    absorbed: list[int] = field(default_factory=list)  # database ids merged into this one
    dirty: bool = False


@dataclass
class Finalized:
    new_clusters: int = 0
    differences: int = 0
    reindex: set[int] = field(default_factory=set)


class Clusters:
    """Membership of the clusters a run touches, and the writing back of changes."""

    def __init__(
        self,
        features: Callable[[Session, Iterable[int]], dict[int, Features]],
        measure: Callable[[Features, Features], Match],
    ) -> None:
        self._features = features
        self._measure = measure
        self.cluster_of: dict[int, int | None] = {}
        self.groups: dict[int, _Group] = {}
        self.ranks: dict[int, Rank] = {}
        self._next_temp = -1

    # -- reading -----------------------------------------------------------------
    def lookup(self, session: Session, ids: Iterable[int]) -> None:
        """Learn the clusters of stored articles (and load those clusters)."""
        unknown = [i for i in ids if i not in self.cluster_of]
        for i in range(0, len(unknown), 500):
            batch = unknown[i : i + 500]
            found = dict(
                session.execute(
                    select(Member.article_id, Member.cluster_id).where(Member.article_id.in_(batch))
                ).all()
            )
            for aid in batch:
                self.cluster_of[aid] = found.get(aid)
            for cid in set(found.values()) - set(self.groups):
                self._load(session, cid)
        self._ranks(session, [i for i in ids if i not in self.ranks])

    def _load(self, session: Session, cid: int) -> None:
        canonical = session.scalar(select(Cluster.canonical_id).where(Cluster.id == cid))
        group = _Group(cid, set(), canonical)
        for aid, sim, cont, rel in session.execute(
            select(Member.article_id, Member.similarity, Member.containment, Member.relation).where(
                Member.cluster_id == cid
            )
        ):
            group.members.add(aid)
            group.measures[aid] = (sim, cont, rel)
            self.cluster_of[aid] = cid
        self.groups[cid] = group
        self._ranks(session, [m for m in group.members if m not in self.ranks])

    def _ranks(self, session: Session, ids: list[int]) -> None:
        from sqlalchemy import func

        for i in range(0, len(ids), 500):
            for aid, pub, length in session.execute(
                select(Article.id, Article.published_at, func.length(Article.norm_text)).where(
                    Article.id.in_(ids[i : i + 500])
                )
            ):
                self.ranks[aid] = rank(pub, length or 0, aid)

    # -- changing ----------------------------------------------------------------
    def link(self, article: int, matched: Iterable[int]) -> int:
        """Put ``article`` in one cluster with the articles it matched; merge clusters it
        bridges. Returns how many existing clusters were merged away."""
        matched = list(matched)
        keys = {self.cluster_of.get(m) for m in matched} - {None}
        groups = sorted(
            (self.groups[k] for k in keys),  # type: ignore[index]
            key=lambda g: (g.key < 0, min(self.ranks[m] for m in g.members)),
        )
        if groups:
            target = groups[0]
        else:
            target = _Group(self._next_temp, set())
            self._next_temp -= 1
            self.groups[target.key] = target
        merged = 0
        for g in groups[1:]:
            merged += 1
            for m in g.members:
                self.cluster_of[m] = target.key
            target.members |= g.members
            target.new_members |= g.members  # their cluster changes: new diffs, reindex
            target.measures.clear()  # measured against another canonical
            if g.key > 0:
                target.absorbed.append(g.key)
            target.absorbed.extend(g.absorbed)
            del self.groups[g.key]
        for m in [article, *matched]:
            if self.cluster_of.get(m) != target.key:
                self.cluster_of[m] = target.key
                target.members.add(m)
                target.new_members.add(m)
        target.dirty = True
        return merged

    def detach(self, session: Session, article: int) -> None:
        """Take an article out of its cluster (its text changed: it is matched again)."""
        self.lookup(session, [article])
        key = self.cluster_of.get(article)
        if key is None:
            return
        group = self.groups[key]
        group.members.discard(article)
        group.new_members.discard(article)
        group.measures.pop(article, None)
        self.cluster_of[article] = None
        group.dirty = True
        session.execute(delete(Member).where(Member.article_id == article))
        session.execute(
            delete(Difference).where((Difference.a_id == article) | (Difference.b_id == article))
        )
        self.ranks.pop(article, None)

    # -- writing -----------------------------------------------------------------
    def finalize(self, session: Session) -> Finalized:
        """Write every changed cluster: canonical, members, measures, differences."""
        out = Finalized()
        dirty = [g for g in self.groups.values() if g.dirty]
        if not dirty:
            return out
        need_diff: list[tuple[_Group, int, int]] = []
        for g in dirty:
            self._settle(session, g, out, need_diff)
        self._record_differences(session, need_diff, out)
        for g in dirty:
            g.dirty = False
            g.new_members.clear()
            g.absorbed.clear()
        return out

    def _settle(self, session: Session, g: _Group, out: Finalized, need_diff: list) -> None:
        if g.absorbed:
            session.execute(delete(Member).where(Member.cluster_id.in_(g.absorbed)))
            session.execute(delete(Cluster).where(Cluster.id.in_(g.absorbed)))
        if len(g.members) < 2:
            self._dissolve(session, g, out)
            return
        canonical = min(g.members, key=lambda m: self.ranks[m])
        if canonical != g.canonical:
            g.measures.clear()
            out.reindex |= g.members
        out.reindex |= g.new_members
        todo = [m for m in g.members if m != canonical and m not in g.measures]
        if todo:
            feats = self._features(session, [canonical, *todo])
            for m in todo:
                match = self._measure(feats[canonical], feats[m])
                rel = match.relation if match.relation != "none" else "near"
                g.measures[m] = (match.similarity, match.containment, rel)
        g.measures[canonical] = (1.0, 1.0, "canonical")
        now = utcnow()
        if g.key < 0:
            row = Cluster(canonical_id=canonical, size=len(g.members), created_at=now)
            session.add(row)
            session.flush()
            del self.groups[g.key]
            g.key = row.id
            self.groups[g.key] = g
            out.new_clusters += 1
        else:
            session.execute(
                update(Cluster)
                .where(Cluster.id == g.key)
                .values(canonical_id=canonical, size=len(g.members), updated_at=now)
            )
        for m in g.members:
            self.cluster_of[m] = g.key
        ids = sorted(g.members)
        session.execute(delete(Member).where(Member.article_id.in_(ids)))
        session.execute(
            insert(Member),
            [
                {
                    "article_id": m,
                    "cluster_id": g.key,
                    "similarity": g.measures[m][0],
                    "containment": g.measures[m][1],
                    "relation": g.measures[m][2],
                }
                for m in ids
            ],
        )
        changed_canonical = canonical != g.canonical
        g.canonical = canonical
        for m in ids:
            if m != canonical and (changed_canonical or m in g.new_members):
                need_diff.append((g, canonical, m))

    def _dissolve(self, session: Session, g: _Group, out: Finalized) -> None:
        """A cluster left with one member is no cluster."""
        for m in g.members:
            self.cluster_of[m] = None
            out.reindex.add(m)
        if g.members:
            ids = list(g.members)
            session.execute(delete(Member).where(Member.article_id.in_(ids)))
            session.execute(delete(Difference).where(Difference.b_id.in_(ids)))
        if g.key > 0:
            session.execute(delete(Cluster).where(Cluster.id == g.key))
        del self.groups[g.key]

    def _record_differences(self, session: Session, need: list, out: Finalized) -> None:
        """Diff canonical -> member for each new pair, and store it."""
        if not need:
            return
        ids = sorted({i for _, a, b in need for i in (a, b)})
        info = article_info(session, ids)
        members = [b for _, _, b in need]
        for i in range(0, len(members), 500):
            session.execute(delete(Difference).where(Difference.b_id.in_(members[i : i + 500])))
        rows = []
        for g, a, b in need:
            if a not in info or b not in info:
                continue
            rows.append(difference_row(info[a], info[b], g.measures[b][0]))
        for i in range(0, len(rows), 1000):
            session.execute(insert(Difference), rows[i : i + 1000])
        out.differences += len(rows)


def article_info(session: Session, ids: list[int]) -> dict[int, dict[str, Any]]:
    """What a diff needs of each article: text, hash and the metadata compared."""
    info: dict[int, dict[str, Any]] = {}
    for i in range(0, len(ids), 500):
        rows = session.execute(
            select(
                Article.id,
                Article.text,
                Article.content_hash,
                Article.title,
                Article.published_at,
                Article.author,
                Article.image_urls,
                Source.name,
            )
            .outerjoin(Source, Article.source_id == Source.id)
            .where(Article.id.in_(ids[i : i + 500]))
        )
        for aid, text, chash, title, pub, author, images, source in rows:
            info[aid] = {
                "id": aid,
                "text": text or "",
                "hash": chash,
                "meta": {
                    "title": title,
                    "published": pub.isoformat() if pub else None,
                    "source": source,
                    "author": author,
                    "images": len(images or []),
                },
            }
    return info


def difference_row(a: dict[str, Any], b: dict[str, Any], similarity: float) -> dict[str, Any]:
    return {
        "a_id": a["id"],
        "b_id": b["id"],
        "a_hash": a["hash"],
        "b_hash": b["hash"],
        "similarity": similarity,
        "changes": diff_texts(a["text"], b["text"]),
        "meta": diff_meta(a["meta"], b["meta"]),
        "created_at": utcnow(),
    }
