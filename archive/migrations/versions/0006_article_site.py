"""article.site: the site an article was crawled from; source becomes the publisher

Revision ID: 0006_article_site
Revises: 0006_article_alias

Until now a crawled article's source was the site profile it was crawled from, and the
publisher the page names (来源：厦门日报, a dateline, a WeChat account) sat only in
``extra["publisher"]``. Researchers cite the publisher, so the source is now the
publisher and the site has a column of its own. Existing rows: a crawled article
(``extra["site"]`` set) gets ``site`` = its old source's key, and its source becomes the
publisher stored in ``extra`` when there is one (a Source row per publisher, created on
first sight); imported articles keep their source and have no site.
"""

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0006_article_site"
down_revision = "0006_article_alias"
branch_labels = None
depends_on = None

BATCH = 2000

_article = sa.table(
    "article",
    sa.column("id", sa.Integer),
    sa.column("source_id", sa.Integer),
    sa.column("site", sa.String),
    sa.column("extra", sa.JSON),
)
_source = sa.table(
    "source",
    sa.column("id", sa.Integer),
    sa.column("key", sa.String),
    sa.column("name", sa.String),
    sa.column("kind", sa.String),
)


def upgrade() -> None:
    op.add_column("article", sa.Column("site", sa.String(length=200), nullable=True))
    op.create_index("ix_article_site", "article", ["site"], unique=False)
    _backfill(op.get_bind())


def _backfill(conn: Any) -> None:
    sources = {
        row.id: row
        for row in conn.execute(
            sa.select(_source.c.id, _source.c.key, _source.c.name, _source.c.kind)
        )
    }
    by_key = {row.key: row.id for row in sources.values()}
    rows = conn.execute(
        sa.select(_article.c.id, _article.c.source_id, _article.c.extra).order_by(_article.c.id)
    ).all()
    updates: list[dict[str, Any]] = []
    for art_id, source_id, extra in rows:
        extra = extra if isinstance(extra, dict) else {}
        old = sources.get(source_id)
        if not extra.get("site") or old is None:
            continue
        new_source = source_id
        publisher = str(extra.get("publisher") or "").strip()[:200]
        if publisher and publisher not in (old.name, old.key):
            if publisher not in by_key:
                by_key[publisher] = conn.execute(
                    sa.insert(_source)
                    .values(key=publisher, name=publisher, kind=old.kind)
                    .returning(_source.c.id)
                ).scalar_one()
            new_source = by_key[publisher]
        updates.append({"b_id": art_id, "b_site": old.key, "b_source": new_source})
        if len(updates) >= BATCH:
            _write(conn, updates)
            updates = []
    if updates:
        _write(conn, updates)


def _write(conn: Any, updates: list[dict[str, Any]]) -> None:
    conn.execute(
        sa.update(_article)
        .where(_article.c.id == sa.bindparam("b_id"))
        .values(site=sa.bindparam("b_site"), source_id=sa.bindparam("b_source")),
        updates,
    )


def downgrade() -> None:
    op.drop_index("ix_article_site", table_name="article")
    # ALTER TABLE ... DROP COLUMN (SQLite >= 3.35), never a batch copy of the table:
    # recreating "article" would empty every table that cascades from it (differences,
    # members, indicators) while foreign keys are on
    op.drop_column("article", "site")
