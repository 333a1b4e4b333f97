"""Database models: the data outline of docs/contracts.md as typed SQLAlchemy 2.x classes.

Every datetime is stored in UTC and read back time-zone aware (``UTCDateTime``),
so SQLite and PostgreSQL give the same answers. Schema changes go through the
Alembic migrations in ``archive/migrations``; never ``create_all`` in production.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


class UTCDateTime(TypeDecorator[datetime]):
    """A datetime stored as naive UTC and returned as an aware UTC datetime."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: give it a time zone")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UTCDateTime(),
        dict[str, Any]: JSON(),
        list[str]: JSON(),
        list[Any]: JSON(),
    }


class Source(Base):
    """A site or publisher. ``key`` is the site-profile key, or the publisher's name."""

    __tablename__ = "source"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    domain: Mapped[str | None] = mapped_column(String(255))
    kind: Mapped[str | None] = mapped_column(String(20))  # police | news | wechat | blog

    articles: Mapped[list[Article]] = relationship(back_populates="source")


class Article(Base):
    """One copy of a bulletin as found at one URL (its current version)."""

    __tablename__ = "article"

    id: Mapped[int] = mapped_column(primary_key=True)
    url: Mapped[str] = mapped_column(String(2048), unique=True)
    # the publisher the page names (来源, dateline, WeChat account), else the site's name
    source_id: Mapped[int | None] = mapped_column(ForeignKey("source.id"), index=True)
    # the site profile key it was crawled from (None for imported files)
    site: Mapped[str | None] = mapped_column(String(200), index=True)
    title: Mapped[str] = mapped_column(Text, default="")
    author: Mapped[str | None] = mapped_column(String(200))
    published_at: Mapped[datetime | None] = mapped_column(index=True)
    # "datetime", "date", or "inferred-year" (month/day given, year taken from context)
    published_precision: Mapped[str | None] = mapped_column(String(20))
    fetched_at: Mapped[datetime] = mapped_column(default=utcnow)
    text: Mapped[str] = mapped_column(Text, default="")  # main text, paragraphs by "\n"
    norm_text: Mapped[str] = mapped_column(Text, default="")  # what dedup and search see
    content_hash: Mapped[str] = mapped_column(String(64), index=True)
    raw_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    raw_ref: Mapped[str | None] = mapped_column(String(1024))  # raw:<sha> | warc:<file>#<offset>
    fraud_types: Mapped[list[str]] = mapped_column(default=list)
    image_urls: Mapped[list[str]] = mapped_column(default=list)
    extra: Mapped[dict[str, Any]] = mapped_column(default=dict)
    version_count: Mapped[int] = mapped_column(Integer, default=1)
    changed_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Work queues for the incremental stages: set when content or cluster changes.
    needs_dedup: Mapped[bool] = mapped_column(Boolean, default=True, index=True)
    needs_index: Mapped[bool] = mapped_column(Boolean, default=True, index=True)

    source: Mapped[Source | None] = relationship(back_populates="articles")
    versions: Mapped[list[Version]] = relationship(
        back_populates="article", order_by="Version.id", cascade="all, delete-orphan"
    )
    membership: Mapped[Member | None] = relationship(
        back_populates="article", foreign_keys="Member.article_id", uselist=False
    )


class Version(Base):
    """An earlier content of an article's URL, kept when the content changed."""

    __tablename__ = "version"

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(
        ForeignKey("article.id", ondelete="CASCADE"), index=True
    )
    title: Mapped[str] = mapped_column(Text, default="")
    text: Mapped[str] = mapped_column(Text, default="")
    content_hash: Mapped[str] = mapped_column(String(64))
    raw_ref: Mapped[str | None] = mapped_column(String(1024))
    fetched_at: Mapped[datetime]
    replaced_at: Mapped[datetime] = mapped_column(default=utcnow)
    diff_to_next: Mapped[list[Any]] = mapped_column(default=list)

    article: Mapped[Article] = relationship(back_populates="versions")


class Cluster(Base):
    """A group of near-identical copies of one story."""

    __tablename__ = "cluster"

    id: Mapped[int] = mapped_column(primary_key=True)
    canonical_id: Mapped[int | None] = mapped_column(
        ForeignKey("article.id", ondelete="SET NULL"), index=True
    )
    size: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    members: Mapped[list[Member]] = relationship(
        back_populates="cluster", cascade="all, delete-orphan"
    )
    canonical: Mapped[Article | None] = relationship(foreign_keys=[canonical_id])


class Member(Base):
    """An article's place in a cluster, measured against the canonical member."""

    __tablename__ = "member"

    article_id: Mapped[int] = mapped_column(
        ForeignKey("article.id", ondelete="CASCADE"), primary_key=True
    )
    cluster_id: Mapped[int] = mapped_column(
        ForeignKey("cluster.id", ondelete="CASCADE"), index=True
    )
    similarity: Mapped[float] = mapped_column(Float, default=1.0)
    containment: Mapped[float] = mapped_column(Float, default=1.0)
    relation: Mapped[str] = mapped_column(String(20))  # canonical | exact | near | partial

    cluster: Mapped[Cluster] = relationship(back_populates="members")
    article: Mapped[Article] = relationship(back_populates="membership", foreign_keys=[article_id])


class Signature(Base):
    """A persisted dedup signature (e.g. MinHash bytes) of an article's current text."""

    __tablename__ = "signature"

    article_id: Mapped[int] = mapped_column(
        ForeignKey("article.id", ondelete="CASCADE"), primary_key=True
    )
    content_hash: Mapped[str] = mapped_column(String(64))
    data: Mapped[bytes] = mapped_column(LargeBinary)
    extra: Mapped[dict[str, Any]] = mapped_column(default=dict)


class Difference(Base):
    """Recorded changes from article ``a_id`` (usually the canonical) to ``b_id``."""

    __tablename__ = "difference"
    __table_args__ = (UniqueConstraint("a_id", "b_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    a_id: Mapped[int] = mapped_column(ForeignKey("article.id", ondelete="CASCADE"), index=True)
    b_id: Mapped[int] = mapped_column(ForeignKey("article.id", ondelete="CASCADE"), index=True)
    a_hash: Mapped[str] = mapped_column(String(64))
    b_hash: Mapped[str] = mapped_column(String(64))
    similarity: Mapped[float] = mapped_column(Float)
    changes: Mapped[list[Any]] = mapped_column(default=list)
    meta: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # the copy's change labels (archive.labels); None in rows recorded before them
    labels: Mapped[list[str] | None] = mapped_column(JSON, nullable=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class DedupBand(Base):
    """One LSH band key of an article's signature: articles sharing a key are candidates.

    The table has no primary key (a bulk run drops its indexes and builds them again);
    (key, article_id) identifies a row for the ORM.
    """

    __tablename__ = "dedup_band"
    # (key, article_id): the candidate look-up reads both from the index alone
    __table_args__ = (Index("ix_dedup_band_key", "key", "article_id"),)

    key: Mapped[int] = mapped_column(BigInteger)
    article_id: Mapped[int] = mapped_column(
        ForeignKey("article.id", ondelete="CASCADE"), index=True
    )
    __mapper_args__: ClassVar[dict[str, Any]] = {"primary_key": [key, article_id]}


class DedupBandRecent(Base):
    """Band keys of the articles added since the last merge into ``dedup_band``.

    An increment inserts here, into a small B-tree, instead of at random places all
    over the archive's large key index (which rewrites a page a key); once it holds
    ``candidates.MERGE_ROWS`` rows it is merged into ``dedup_band`` in key order.
    """

    __tablename__ = "dedup_band_recent"
    # (key, article_id): the candidate look-up reads both from the index alone
    __table_args__ = (Index("ix_dedup_band_recent_key", "key", "article_id"),)

    key: Mapped[int] = mapped_column(BigInteger)
    article_id: Mapped[int] = mapped_column(
        ForeignKey("article.id", ondelete="CASCADE"), index=True
    )
    __mapper_args__: ClassVar[dict[str, Any]] = {"primary_key": [key, article_id]}


class DedupPendingDiff(Base):
    """A member whose difference from its canonical copy is still to be recorded.

    Written with the membership, deleted with the difference (``dedup.differences``):
    a run that dies with diffs in flight leaves these rows, and the next run records
    what they name without looking at every member of the archive.
    """

    __tablename__ = "dedup_pending_diff"

    article_id: Mapped[int] = mapped_column(
        ForeignKey("article.id", ondelete="CASCADE"), primary_key=True
    )


class DedupPhrase(Base):
    """A sentence hash and in how many different stories it occurs (boilerplate when many)."""

    __tablename__ = "dedup_phrase"

    hash: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    df: Mapped[int] = mapped_column(Integer, default=0, index=True)


class CrawlRun(Base):
    """One run of ``fanzha crawl`` or ``fanzha nightly``, with its figures."""

    __tablename__ = "crawl_run"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20), default="crawl")  # crawl | nightly
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]
    status: Mapped[str] = mapped_column(String(20), default="running")
    sites: Mapped[list[str]] = mapped_column(default=list)
    pages: Mapped[int] = mapped_column(Integer, default=0)
    new: Mapped[int] = mapped_column(Integer, default=0)
    updated: Mapped[int] = mapped_column(Integer, default=0)
    unchanged: Mapped[int] = mapped_column(Integer, default=0)
    error_count: Mapped[int] = mapped_column(Integer, default=0)
    figures: Mapped[dict[str, Any]] = mapped_column(default=dict)  # per site and per stage
    pid: Mapped[int | None] = mapped_column(Integer)
    log_path: Mapped[str | None] = mapped_column(String(1024))

    errors: Mapped[list[CrawlError]] = relationship(
        back_populates="run", cascade="all, delete-orphan", order_by="CrawlError.id"
    )


class CrawlError(Base):
    """One URL (or stage) that failed during a run."""

    __tablename__ = "crawl_error"

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("crawl_run.id", ondelete="CASCADE"), index=True)
    site: Mapped[str | None] = mapped_column(String(200))
    url: Mapped[str | None] = mapped_column(String(2048))
    status: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(default=utcnow)

    run: Mapped[CrawlRun] = relationship(back_populates="errors")


class ArticleAlias(Base):
    """Another URL of an article: page 2, 3, ... of an article split over pages.

    Looking an article up by such a URL finds it, and the crawler does not fetch it as
    an article of its own."""

    __tablename__ = "article_alias"

    url: Mapped[str] = mapped_column(String(2048), primary_key=True)
    article_id: Mapped[int] = mapped_column(
        ForeignKey("article.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(20), default="page")


class Indicator(Base):
    """Something a bulletin names: a phone number, web address, app, QQ or WeChat id,
    bank account or amount of money, with its role (archive/extract/indicators.py).

    Written with the article's text (replaced when the text changes), so each kind of
    import and the crawler give the same rows; ``fanzha retag`` fills an older archive.
    """

    __tablename__ = "indicator"
    __table_args__ = (
        UniqueConstraint("article_id", "kind", "value", name="uq_indicator_article_kind_value"),
        Index("ix_indicator_kind_value", "kind", "value"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(
        ForeignKey("article.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(20))
    value: Mapped[str] = mapped_column(String(512))
    role: Mapped[str] = mapped_column(String(10))


class SeenUrl(Base):
    """A URL the crawler fetched that is not an article (so it need not judge it again)."""

    __tablename__ = "seen_url"

    url: Mapped[str] = mapped_column(String(2048), primary_key=True)
    site: Mapped[str | None] = mapped_column(String(200))
    verdict: Mapped[str] = mapped_column(String(20))  # list | irrelevant | error | article
    seen_at: Mapped[datetime] = mapped_column(default=utcnow)


class JobLock(Base):
    """A named lock row, so two writers never run at once (SQLite and PostgreSQL alike)."""

    __tablename__ = "job_lock"

    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    holder: Mapped[str] = mapped_column(String(200))  # host:pid
    pid: Mapped[int] = mapped_column(Integer)
    host: Mapped[str] = mapped_column(String(200))
    acquired_at: Mapped[datetime] = mapped_column(default=utcnow)
    heartbeat_at: Mapped[datetime] = mapped_column(default=utcnow)


Index("ix_article_source_published", Article.source_id, Article.published_at)
# The statistics page's fraud types by year read this index, not the article table (its
# texts): at a million articles, seconds less. SQLite only: PostgreSQL's ``json`` has no
# B-tree order (migration 0009).
Index("ix_article_published_types", Article.published_at, Article.fraud_types).ddl_if(
    dialect="sqlite"
)
