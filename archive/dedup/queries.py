"""Read-only questions for the CLI and the web UI: clusters, one cluster, a diff, a check.

The shapes are docs/contracts.md's (``dups``, ``diff``, ``check``), with a few more fields.
"""

from __future__ import annotations

import copy
from collections import Counter
from collections.abc import Callable
from typing import TypedDict

from sqlalchemy import func, select, union_all
from sqlalchemy.orm import Session

from ..db import Archive
from ..diff import Change, FieldChange, diff_meta, diff_texts
from ..errors import ArchiveError, InputError, NotFound
from ..labels import label_difference, substantive, summary
from ..models import (
    Article,
    Cluster,
    DedupBand,
    DedupBandRecent,
    Difference,
    Member,
    Signature,
    Source,
)
from ..normalize import normalize
from ..times import offset_column, published_of
from .boilerplate import Boilerplate
from .candidates import best
from .copies import CopyNotes, notes
from .differences import article_info
from .lineage import Evidence
from .signatures import band_keys, estimate, from_bytes
from .verify import Features, measure, worth_verifying


class ClusterMember(TypedDict):
    """One copy in a cluster listing (``fanzha dups``, ``GET /api/clusters``)."""

    id: int
    url: str
    title: str
    similarity: float | None  # to the canonical copy
    relation: str | None  # canonical | exact | near | partial
    published: str | None
    labels: list[str]  # ``copies.CopyNotes``: what it changed against the canonical copy
    parent: int | None
    parent_evidence: Evidence


class ClusterMemberDetail(ClusterMember):
    """One copy of one cluster (``fanzha dups --cluster``, ``GET /api/clusters/{id}``)."""

    published_precision: str | None
    source: str | None
    containment: float | None


class _ClusterCore(TypedDict):
    id: int
    canonical: int | None
    size: int | None
    summary: str  # e.g. "2 copies changed wording, 1 truncated"
    substantive: bool  # some copy changed wording, numbers, added, removed or truncated


class ClusterSummary(_ClusterCore):
    """A cluster in the listing: members canonical first, then by publication."""

    members: list[ClusterMember]


class ClusterDetail(_ClusterCore):
    """One cluster: members in published order, with source and containment."""

    members: list[ClusterMemberDetail]


CHANGED = ("substance", "form")  # the ``changed`` filter of ``list_clusters``
SCAN = 200  # clusters read at a time when filtering by what their copies changed


def list_clusters(
    session: Session, *, limit: int = 50, offset: int = 0, changed: str | None = None
) -> list[ClusterSummary]:
    """Clusters, largest first: ``[{"id","canonical","size","members":[…]}]``.

    ``changed``: only the clusters whose copies changed substance (wording, numbers,
    added, removed, truncated), or only form (header, sign-off, layout, script,
    metadata, order). Filtering reads the clusters in order until it has the page.
    """
    if limit < 1 or offset < 0:
        raise ArchiveError(f"limit must be >= 1 and offset >= 0 (got {limit}, {offset})")
    if changed is None:
        return _clusters(session, limit=limit, offset=offset)
    if changed not in CHANGED:
        raise InputError("changed", f"must be one of {', '.join(CHANGED)} (got {changed!r})")
    want = changed == "substance"
    found: list[ClusterSummary] = []
    start = 0
    while len(found) < offset + limit:
        batch = _clusters(session, limit=SCAN, offset=start)
        found += [
            c
            for c in batch
            if c["substantive"] == want and (want or any(m["labels"] for m in c["members"]))
        ]
        if len(batch) < SCAN:
            break
        start += SCAN
    return found[offset : offset + limit]


def _clusters(session: Session, *, limit: int, offset: int) -> list[ClusterSummary]:
    clusters = session.execute(
        select(Cluster.id, Cluster.canonical_id, Cluster.size)
        .order_by(Cluster.size.desc(), Cluster.id)
        .limit(limit)
        .offset(offset)
    ).all()
    if not clusters:
        return []
    ids = [c.id for c in clusters]
    rows = session.execute(
        select(
            Member.cluster_id,
            Member.relation,
            Member.similarity,
            Article.id,
            Article.url,
            Article.title,
            Article.published_at,
            Article.published_precision,
            offset_column(),
        )
        .join(Article, Article.id == Member.article_id)
        .where(Member.cluster_id.in_(ids))
    ).all()
    canonical_of = {c.id: c.canonical_id for c in clusters}
    ids_of: dict[int, list[int]] = {cid: [] for cid in ids}
    for r in rows:
        ids_of[r.cluster_id].append(r.id)
    noted: dict[int, CopyNotes] = {}
    for cid, in_cluster in ids_of.items():
        noted.update(notes(session, canonical_of[cid], in_cluster))
    members: dict[int, list[ClusterMember]] = {cid: [] for cid in ids}
    for r in sorted(rows, key=lambda r: (r[1] != "canonical", r[6] is None, r[6] or 0, r[3])):
        members[r.cluster_id].append(
            {
                "id": r.id,
                "url": r.url,
                "title": r.title,
                "similarity": r.similarity,
                "relation": r.relation,
                "published": published_of(r),
                **noted[r.id],
            }
        )
    return [
        {
            "id": c.id,
            "canonical": c.canonical_id,
            "size": c.size,
            "members": members[c.id],
            "summary": summary(m["labels"] for m in members[c.id]),
            "substantive": any(substantive(m["labels"]) for m in members[c.id]),
        }
        for c in clusters
    ]


def count_clusters(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Cluster)) or 0


def cluster_detail(session: Session, cluster_id: int) -> ClusterDetail:
    """One cluster, members in published order with source and containment."""
    cluster = session.get(Cluster, cluster_id)
    if cluster is None:
        raise NotFound(f"no cluster with id {cluster_id}")
    rows = session.execute(
        select(
            Member,
            Article.url,
            Article.title,
            Article.published_at,
            Source.name,
            Article.published_precision,
            offset_column(),
        )
        .join(Article, Article.id == Member.article_id)
        .outerjoin(Source, Source.id == Article.source_id)
        .where(Member.cluster_id == cluster_id)
    ).all()
    rows.sort(key=lambda r: (r[3] is None, r[3] or 0, r[0].article_id))
    noted = notes(session, cluster.canonical_id, [r.Member.article_id for r in rows])
    members: list[ClusterMemberDetail] = [
        {
            "id": r.Member.article_id,
            "url": r.url,
            "title": r.title,
            "published": published_of(r),
            "published_precision": r.published_precision,
            "source": r.name,
            "similarity": r.Member.similarity,
            "containment": r.Member.containment,
            "relation": r.Member.relation,
            **noted[r.Member.article_id],
        }
        for r in rows
    ]
    return {
        "id": cluster.id,
        "canonical": cluster.canonical_id,
        "size": cluster.size,
        "members": members,
        "summary": summary(m["labels"] for m in members),
        "substantive": any(substantive(m["labels"]) for m in members),
    }


class DiffSide(TypedDict):
    """One of the two articles of a diff."""

    id: int
    url: str
    title: str
    source: str | None
    published: str | None
    published_precision: str | None


class _ArticleDiffCore(TypedDict):
    a: DiffSide
    b: DiffSide
    similarity: float | None
    changes: list[Change]
    labels: list[str]
    metadata: dict[str, FieldChange]  # {field: {"a": …, "b": …}} for fields that differ
    recorded: bool  # read from the difference Dedup recorded (else computed now)


class ArticleDiff(_ArticleDiffCore, total=False):
    """``diff_articles``: what changed from article a to b (``fanzha diff``, ``/api/diff``)."""

    containment: float | None  # these two only when computed now (``recorded`` false)
    relation: str | None


def _summary(session: Session, article: Article) -> DiffSide:
    return {
        "id": article.id,
        "url": article.url,
        "title": article.title,
        "source": article.source.name if article.source else None,
        "published": published_of(article),
        "published_precision": article.published_precision,
    }


_FLIP = {"insert": "delete", "delete": "insert", "replace": "replace"}


def flip_changes(changes: list[Change]) -> list[Change]:
    """The changes from b to a, given those from a to b."""
    out: list[Change] = []
    for c in changes:
        f = c.copy()
        f["op"] = _FLIP[c["op"]]
        f["a"], f["b"] = c["b"], c["a"]
        f["a_start"], f["a_end"] = c["b_start"], c["b_end"]
        f["b_start"], f["b_end"] = c["a_start"], c["a_end"]
        out.append(f)
    return out


def diff_articles(session: Session, a_id: int, b_id: int) -> ArticleDiff:
    """The changes from article ``a_id`` to ``b_id``: the recorded ones when current."""
    a, b = session.get(Article, a_id), session.get(Article, b_id)
    for ref, art in ((a_id, a), (b_id, b)):
        if art is None:
            raise NotFound(f"no article with id {ref}")
    assert a is not None and b is not None
    side_a, side_b = _summary(session, a), _summary(session, b)
    stored = session.scalar(
        select(Difference).where(
            ((Difference.a_id == a_id) & (Difference.b_id == b_id))
            | ((Difference.a_id == b_id) & (Difference.b_id == a_id))
        )
    )
    if stored is not None and {stored.a_hash, stored.b_hash} == {a.content_hash, b.content_hash}:
        forward = stored.a_id == a_id
        changes = stored.changes if forward else flip_changes(stored.changes)
        meta = (
            stored.meta
            if forward
            else {k: {"a": v["b"], "b": v["a"]} for k, v in stored.meta.items()}
        )
        meta = _shown_published(meta, a, b)
        if forward and stored.labels is not None:
            labels = list(stored.labels)
        else:  # recorded before labels, or asked the other way round: label this way
            changes = copy.deepcopy(changes)
            labels = label_difference(changes, a.text or "", b.text or "", meta)
        return {
            "a": side_a,
            "b": side_b,
            "similarity": stored.similarity,
            "changes": changes,
            "labels": labels,
            "metadata": meta,
            "recorded": True,
        }
    info = article_info(session, [a_id, b_id])
    match = measure(Features.of(a.norm_text), Features.of(b.norm_text), Boilerplate.load(session))
    changes = diff_texts(info[a_id]["text"], info[b_id]["text"])
    meta = _shown_published(diff_meta(info[a_id]["meta"], info[b_id]["meta"]), a, b)
    return {
        "a": side_a,
        "b": side_b,
        "similarity": match.similarity,
        "containment": match.containment,
        "relation": match.relation,
        "changes": changes,
        "labels": label_difference(changes, info[a_id]["text"], info[b_id]["text"], meta),
        "metadata": meta,
        "recorded": False,
    }


def _shown_published(
    meta: dict[str, FieldChange], a: Article, b: Article
) -> dict[str, FieldChange]:
    """``meta`` with a changed published time as ``archive.times`` shows it (a recorded
    difference may hold it in another form); dropped when the two show alike."""
    if "published" not in meta:
        return meta
    meta = dict(meta)
    shown: FieldChange = {"a": published_of(a), "b": published_of(b)}
    if shown["a"] == shown["b"]:
        del meta["published"]
    else:
        meta["published"] = shown
    return meta


def candidates_for(
    session: Session, f: Features, boiler: Boilerplate, limit: int = 64
) -> list[int]:
    """Stored articles sharing LSH bands with a text, filtered by estimated similarity."""
    sig = f.sign(boiler)
    if sig is None:
        return []
    keys = band_keys(sig).tolist()
    counts: Counter[int] = Counter(
        session.scalars(
            union_all(
                select(DedupBand.article_id).where(DedupBand.key.in_(keys)),
                select(DedupBandRecent.article_id).where(DedupBandRecent.key.in_(keys)),
            )
        )
    )
    ids = best(counts, limit)
    if not ids:
        return []
    sigs = session.execute(
        select(Signature.article_id, Signature.data, Signature.extra).where(
            Signature.article_id.in_(ids)
        )
    ).all()
    n = len(f.content(boiler))
    return [
        aid
        for aid, data, extra in sigs
        if worth_verifying(estimate(sig, from_bytes(data)), n, int((extra or {}).get("n", 0)))
    ]


class CheckMatch(TypedDict):
    """An archived near-duplicate of a checked text."""

    id: int
    url: str
    title: str
    similarity: float
    containment: float
    relation: str | None  # exact | near | partial
    cluster: int | None


class CheckDiff(TypedDict):
    """What changed from the best match (``a``, an article id) to the checked text."""

    a: int
    changes: list[Change]
    metadata: dict[str, FieldChange]


class _CheckCore(TypedDict):
    matches: list[CheckMatch]  # best first


class CheckResult(_CheckCore, total=False):
    """``check_text``: the near-duplicates of a text, and its diff to the best one."""

    diff: CheckDiff  # only when something matched


def check_text(
    archive: Archive,
    text: str,
    title: str | None = None,
    *,
    also: Callable[[Archive, str], list[int]] | None = None,
) -> CheckResult:
    """Near-duplicates already archived of a text that is not stored (an editor's check).

    ``also``: more candidates, from another index (``search.passages``: articles that
    contain the text's sentences, which finds the original of a short excerpt that the
    LSH bands miss); every candidate is measured the same way."""
    if not text or not text.strip():
        raise InputError("text", "is empty")
    f = Features.of(normalize(text))
    if not f.matchable:
        raise InputError("text", "is too short to compare (a few words at least)")
    with archive.session() as s:
        boiler = Boilerplate.load(s)
        ids = candidates_for(s, f, boiler)
        if also is not None:
            ids = list(dict.fromkeys([*ids, *also(archive, text)]))
        rows = s.execute(
            select(Article.id, Article.url, Article.title, Article.norm_text, Member.cluster_id)
            .outerjoin(Member, Member.article_id == Article.id)
            .where(Article.id.in_(ids))
        ).all()
        matches: list[CheckMatch] = []
        for aid, url, atitle, norm, cid in rows:
            m = measure(f, Features.of(norm or ""), boiler)
            if m.is_match:
                matches.append(
                    {
                        "id": aid,
                        "url": url,
                        "title": atitle,
                        "similarity": m.similarity,
                        "containment": m.containment,
                        "relation": m.relation,
                        "cluster": cid,
                    }
                )
        matches.sort(key=lambda m: (-m["similarity"], -m["containment"], m["id"]))
        result: CheckResult = {"matches": matches}
        if matches:
            best_id = matches[0]["id"]
            info = article_info(s, [best_id])[best_id]
            result["diff"] = {
                "a": best_id,
                "changes": diff_texts(info["text"], text),
                "metadata": diff_meta(info["meta"], {**info["meta"], "title": title})
                if title
                else {},
            }
    return result
