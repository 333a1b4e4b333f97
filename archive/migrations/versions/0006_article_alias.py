"""article_alias: further URLs of an article (the pages of an article split over pages)

Revision ID: 0006_article_alias
Revises: dedup_0005

The crawler joins an article split over pages (``123.html``, ``123_2.html``, ...) into
one article; the URLs of its pages 2, 3, ... are kept here, so that looking the
article up by any of them finds it and later crawls do not fetch them as articles.
"""

import sqlalchemy as sa
from alembic import op

revision = "0006_article_alias"
down_revision = "dedup_0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "article_alias",
        sa.Column("url", sa.String(length=2048), nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.ForeignKeyConstraint(["article_id"], ["article.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("url"),
    )
    op.create_index("ix_article_alias_article_id", "article_alias", ["article_id"])


def downgrade() -> None:
    op.drop_index("ix_article_alias_article_id", table_name="article_alias")
    op.drop_table("article_alias")
