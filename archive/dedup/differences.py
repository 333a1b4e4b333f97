"""Recording the differences from each cluster's canonical copy to its other members.

``finalize`` (``cluster``) says which (canonical, member) pairs need a difference; a
``DifferenceWriter`` computes them (``archive.diff``) and writes them, each replacing
whatever its member had. In one process that happens at once, in the chunk's transaction. With
worker processes (``workers``) the diffs are computed in the background while the
next chunks are processed, and written in a later transaction as they come back,
unless the pair is no longer current (the cluster got an earlier canonical copy
meanwhile: that pair was handed over again).

Nothing is lost if a run dies with diffs in flight: a member awaiting its difference
is listed in ``dedup_pending_diff`` in the transaction that hands its pair over, and
taken off it in the one that writes the difference. The next run records what a dead
run left (``record_missing``: a look-up of the listed members, not of every member);
until then ``fanzha diff`` computes it on the fly.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from ..models import Article, Cluster, DedupPendingDiff, Difference, Member, Source, utcnow
from ..times import show_published
from .workers import Diffed, DiffInput, Workers, diffs_of

Pending = list[tuple[int, int, float]]  # (canonical, member, similarity)
# pairs in flight: the pairs, their articles, their texts and the diffs being computed
_Flight = tuple[Pending, dict[int, dict[str, Any]], list[DiffInput], list[Future[Any]]]
BATCH = 2000  # pairs read, diffed and written at a time by ``record_missing``


class DifferenceWriter:
    """Computes the pending differences (in workers when there are) and writes them."""

    def __init__(self, workers: Workers, current: Callable[[int], int | None]) -> None:
        self.workers = workers
        self.current = current  # member -> its canonical copy now
        self._flying: list[_Flight] = []
        self.written = 0

    def submit(self, session: Session, pending: Pending) -> None:
        """Start the diffs of these pairs (in-process: compute and write them now)."""
        if not pending:
            return
        _list_pending(session, sorted({b for _, b, _ in pending}))
        info = article_info(session, sorted({i for a, b, _ in pending for i in (a, b)}))
        pending = [p for p in pending if p[0] in info and p[1] in info]
        texts = [
            (info[a]["text"], info[b]["text"], info[a]["meta"], info[b]["meta"])
            for a, b, _ in pending
        ]
        self._flying.append((pending, info, texts, self.workers.diffs(texts)))
        if not self.workers.parallel:
            self.drain(session)  # already computed

    def drain(self, session: Session, *, wait: bool = False) -> None:
        """Write the diffs that are back (all of them with ``wait``)."""
        still = []
        for pending, info, texts, futures in self._flying:
            if wait or all(f.done() for f in futures):
                diffed = self.workers.gather(futures, diffs_of, texts)
                self._write(session, pending, info, diffed)
            else:
                still.append((pending, info, texts, futures))
        self._flying = still

    def _write(
        self,
        session: Session,
        pending: Pending,
        info: dict[int, dict[str, Any]],
        diffed: list[Diffed],
    ) -> None:
        by_member = {  # one row a member: its difference from its canonical copy now
            b: difference_row(info[a], info[b], sim, diff)
            for (a, b, sim), diff in zip(pending, diffed, strict=True)
            if self.current(b) == a
        }
        members = sorted(by_member)
        for i in range(0, len(members), 500):  # whatever was recorded for them before
            chunk = members[i : i + 500]
            session.execute(delete(Difference).where(Difference.b_id.in_(chunk)))
        rows = list(by_member.values())
        for i in range(0, len(rows), 1000):
            session.execute(insert(Difference.__table__), rows[i : i + 1000])
        for i in range(0, len(members), 500):  # recorded: no longer pending
            chunk = members[i : i + 500]
            session.execute(delete(DedupPendingDiff).where(DedupPendingDiff.article_id.in_(chunk)))
        self.written += len(rows)

    def record_missing(self, session: Session) -> int:
        """Diff every member that lacks the difference from its canonical copy (left
        by a run that died with diffs in flight). Returns how many were recorded."""
        done = 0
        forget_stale(session)
        while found := missing(session, BATCH):
            # the stored canonical copies are current: no cluster changes any more
            writer = DifferenceWriter(self.workers, {b: a for a, b, _ in found}.get)
            writer.submit(session, found)
            writer.drain(session, wait=True)
            done += writer.written
            if not writer.written or len(found) < BATCH:
                break  # nothing more can be done (texts gone) / the last batch
        self.written += done
        return done


def missing(session: Session, limit: int | None = None) -> Pending:
    """(canonical, member, similarity) of the members awaiting their difference.

    The list is read first, then its members: a join starting from ``member`` (which a
    query planner without statistics may choose) would read every member."""
    q = select(DedupPendingDiff.article_id).order_by(DedupPendingDiff.article_id)
    listed = session.scalars(q.limit(limit) if limit else q).all()
    found: Pending = []
    for i in range(0, len(listed), 500):
        rows = session.execute(
            select(Cluster.canonical_id, Member.article_id, Member.similarity)
            .join(Cluster, Cluster.id == Member.cluster_id)
            .where(
                Member.article_id.in_(listed[i : i + 500]),
                Member.article_id != Cluster.canonical_id,
            )
        )
        found += [(a, b, sim) for a, b, sim in rows]
    return sorted(found)


def forget_stale(session: Session) -> None:
    """Take off the list the articles that are no longer a copy in a cluster (their
    cluster dissolved, or they became its canonical copy): they need no difference."""
    is_copy = (
        select(Member.article_id)
        .join(Cluster, Cluster.id == Member.cluster_id)
        .where(
            Member.article_id == DedupPendingDiff.article_id,
            Member.article_id != Cluster.canonical_id,
        )
        .exists()
    )
    session.execute(delete(DedupPendingDiff).where(~is_copy))


def _list_pending(session: Session, members: list[int]) -> None:
    """List members as awaiting their difference (once, whatever listed them before)."""
    for i in range(0, len(members), 500):
        chunk = members[i : i + 500]
        session.execute(delete(DedupPendingDiff).where(DedupPendingDiff.article_id.in_(chunk)))
        session.execute(insert(DedupPendingDiff.__table__), [{"article_id": m} for m in chunk])


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
                Article.published_precision,
            )
            .outerjoin(Source, Article.source_id == Source.id)
            .where(Article.id.in_(ids[i : i + 500]))
        )
        for aid, text, chash, title, pub, author, images, source, precision in rows:
            info[aid] = {
                "id": aid,
                "text": text or "",
                "hash": chash,
                "meta": {
                    "title": title,
                    "published": show_published(pub, precision),
                    "source": source,
                    "author": author,
                    "images": len(images or []),
                },
            }
    return info


def difference_row(
    a: dict[str, Any], b: dict[str, Any], similarity: float, diffed: Diffed
) -> dict[str, Any]:
    """A ``difference`` row from A to B, with what ``workers.diffs_of`` worked out:
    the labelled changes, the metadata changes and the copy's labels."""
    changes, meta, labels = diffed
    return {
        "a_id": a["id"],
        "b_id": b["id"],
        "a_hash": a["hash"],
        "b_hash": b["hash"],
        "similarity": similarity,
        "changes": changes,
        "meta": meta,
        "labels": labels,
        "created_at": utcnow(),
    }
