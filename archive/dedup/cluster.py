"""Clusters of near-duplicates: who belongs with whom, the canonical member, merges.

Only groups of two or more copies are clusters; an article without near-duplicates has
no cluster. A cluster is a star: every member matched its head (the best-ranked member)
when it joined (``Clusters.link``), so clusters never grow by chains of copies of copies. The canonical member is the earliest published (undated last); ties go to
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

from sqlalchemy import bindparam, delete, insert, select, update
from sqlalchemy.orm import Session

from ..models import Article, Cluster, Difference, Member, utcnow
from .verify import Features, Match

log = logging.getLogger(__name__)

Rank = tuple[bool, datetime | None, int, int]
# An article that matched a member of a cluster joins it if it also matches the head, or
# if this share of the shorter text is in the other (a truncated copy of a copy that
# also changed words: a little under ``verify.PARTIAL`` against the original).
HEAD_CONTAINMENT = 0.6


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
    reindex: set[int] = field(default_factory=set)
    # (canonical, member, similarity): differences to record (``differences``, which
    # replaces what the members had)
    pending: list[tuple[int, int, float]] = field(default_factory=list)


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
        ids = list(ids)
        unknown = [i for i in ids if i not in self.cluster_of]
        wanted: set[int] = set()
        for i in range(0, len(unknown), 500):
            batch = unknown[i : i + 500]
            found = dict(
                session.execute(
                    select(Member.article_id, Member.cluster_id).where(Member.article_id.in_(batch))
                ).all()
            )
            for aid in batch:
                self.cluster_of[aid] = found.get(aid)
            wanted |= set(found.values()) - set(self.groups)
        self._load(session, sorted(wanted))
        self._ranks(session, [i for i in ids if i not in self.ranks])

    def _load(self, session: Session, cids: list[int]) -> None:
        """Load clusters: their canonical member and members with their measures (a few
        statements for all of them, not a few per cluster)."""
        for i in range(0, len(cids), 500):
            batch = cids[i : i + 500]
            for cid in batch:
                self.groups[cid] = _Group(cid, set())
            for cid, canonical in session.execute(
                select(Cluster.id, Cluster.canonical_id).where(Cluster.id.in_(batch))
            ):
                self.groups[cid].canonical = canonical
            for cid, aid, sim, cont, rel in session.execute(
                select(
                    Member.cluster_id,
                    Member.article_id,
                    Member.similarity,
                    Member.containment,
                    Member.relation,
                ).where(Member.cluster_id.in_(batch))
            ):
                group = self.groups[cid]
                group.members.add(aid)
                group.measures[aid] = (sim, cont, rel)
                self.cluster_of[aid] = cid
        members = [m for cid in cids for m in self.groups[cid].members if m not in self.ranks]
        self._ranks(session, members)

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
    def link(self, session: Session, article: int, matched: Iterable[int]) -> int:
        """Put ``article`` in one cluster with the articles it matched; merge clusters it
        bridges. Returns how many existing clusters were merged away.

        A cluster is a star around its head (its best-ranked member, the canonical one
        to be), not a chain: the article joins a cluster only if it matches the head,
        an article it matched that is in no cluster joins only if it matches the head
        too, and two clusters it bridges merge only if their heads match (or are both
        parts of the article). Otherwise copies of copies drift, one edit at a time, until thousands
        of different texts sharing a warning or a template sit in one cluster.
        """
        matched = list(matched)
        keys = {self.cluster_of.get(m) for m in matched} - {None}
        groups = sorted(
            (
                g
                for g in (self.groups[k] for k in keys)  # type: ignore[index]
                if self._agree(session, article, self._head(g.members), matched)
            ),
            key=lambda g: (g.key < 0, self.ranks[self._head(g.members)]),
        )
        if groups:
            # another cluster the article bridges joins if its head matches the
            # target's, or if both heads are parts of the article (two excerpts of one
            # bulletin): merging every cluster the article matches chains them again
            lead = self._head(groups[0].members)
            groups = [groups[0]] + [
                g
                for g in groups[1:]
                if self._agree(session, self._head(g.members), lead, ())
                or self._parts_of(session, article, [self._head(g.members), lead])
            ]
        alone = [m for m in matched if self.cluster_of.get(m) is None]
        head = self._head([article, *alone, *(self._head(g.members) for g in groups)])
        if head != article:  # the singletons matched the article: do they the head?
            alone = [m for m in alone if m == head or self._agree(session, m, head, ())]
        if not groups and not alone:
            return 0
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
        for m in [article, *alone]:
            if self.cluster_of.get(m) != target.key:
                self.cluster_of[m] = target.key
                target.members.add(m)
                target.new_members.add(m)
        target.dirty = True
        return merged

    def _head(self, ids: Iterable[int]) -> int:
        return min(ids, key=lambda m: self.ranks[m])

    def _agree(self, session: Session, article: int, head: int, matched: Iterable[int]) -> bool:
        """Does ``article``, which matched a member, belong with ``head``: a match, or
        most of the shorter text in the other (HEAD_CONTAINMENT; measured unless
        ``head`` is among ``matched``)?"""
        if head == article or head in matched:
            return True
        feats = self._features(session, [article, head])
        found = self._measure(feats[article], feats[head])
        return found.is_match or found.containment >= HEAD_CONTAINMENT

    def _parts_of(self, session: Session, whole: int, parts: list[int]) -> bool:
        """Is each of ``parts`` a partial copy held by ``whole``?"""
        feats = self._features(session, [whole, *parts])
        return all(self._measure(feats[whole], feats[p]).relation == "partial" for p in parts)

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
        if group.canonical == article:  # every member is measured and diffed again
            group.canonical = None
        self.cluster_of[article] = None
        group.dirty = True
        session.execute(delete(Member).where(Member.article_id == article))
        session.execute(
            delete(Difference).where((Difference.a_id == article) | (Difference.b_id == article))
        )
        self.ranks.pop(article, None)

    # -- writing -----------------------------------------------------------------
    def finalize(self, session: Session) -> Finalized:
        """Write every changed cluster: canonical, members, measures, differences.

        Batched: one statement per kind of write for all the changed clusters.
        """
        out = Finalized()
        dirty = [g for g in self.groups.values() if g.dirty]
        if not dirty:
            return out
        absorbed = [cid for g in dirty for cid in g.absorbed]
        if absorbed:
            session.execute(delete(Member).where(Member.cluster_id.in_(absorbed)))
            session.execute(delete(Cluster).where(Cluster.id.in_(absorbed)))
        live = []
        for g in dirty:
            if len(g.members) < 2:
                self._dissolve(session, g, out)
            else:
                live.append((g, self._measure_members(session, g, out)))
        self._write_clusters(session, live, out)
        need_diff: list[tuple[_Group, int, int]] = []
        for g, canonical in live:
            changed = canonical != g.canonical
            g.canonical = canonical
            need_diff += [
                (g, canonical, m)
                for m in sorted(g.members)
                if m != canonical and (changed or m in g.new_members)
            ]
        out.pending = [(a, b, g.measures[b][0]) for g, a, b in need_diff]
        for g, _ in live:
            g.dirty = False
            g.new_members.clear()
            g.absorbed.clear()
        return out

    def _measure_members(self, session: Session, g: _Group, out: Finalized) -> int:
        """Choose the canonical member and measure every member not yet measured to it."""
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
        return canonical

    def _write_clusters(
        self, session: Session, live: list[tuple[_Group, int]], out: Finalized
    ) -> None:
        now = utcnow()
        table = Cluster.__table__
        fresh = [(g, c) for g, c in live if g.key < 0]
        if fresh:
            rows = [
                {"canonical_id": c, "size": len(g.members), "created_at": now, "updated_at": now}
                for g, c in fresh
            ]
            ids = (
                session.execute(
                    insert(table).returning(table.c.id, sort_by_parameter_order=True), rows
                )
                .scalars()
                .all()
            )
            for (g, _), cid in zip(fresh, ids, strict=True):
                del self.groups[g.key]
                g.key = cid
                self.groups[cid] = g
            out.new_clusters += len(fresh)
        fresh_ids = {id(g) for g, _ in fresh}
        old = [(g, c) for g, c in live if id(g) not in fresh_ids]
        if old:
            session.execute(
                update(table).where(table.c.id == bindparam("cid")),
                [
                    {"cid": g.key, "canonical_id": c, "size": len(g.members), "updated_at": now}
                    for g, c in old
                ],
            )
        members = sorted(m for g, _ in live for m in g.members)
        for i in range(0, len(members), 500):
            session.execute(delete(Member).where(Member.article_id.in_(members[i : i + 500])))
        rows = []
        for g, _ in live:
            for m in sorted(g.members):
                self.cluster_of[m] = g.key
                sim, cont, rel = g.measures[m]
                rows.append(
                    {
                        "article_id": m,
                        "cluster_id": g.key,
                        "similarity": sim,
                        "containment": cont,
                        "relation": rel,
                    }
                )
        if rows:
            session.execute(insert(Member.__table__), rows)

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

    def canonical_of(self, article: int) -> int | None:
        """The canonical member of an article's cluster as this run knows it (None: none)."""
        key = self.cluster_of.get(article)
        group = self.groups.get(key) if key is not None else None
        return group.canonical if group is not None else None
