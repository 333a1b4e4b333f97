"""article (published_at, fraud_types): the statistics page reads an index, not the table

Revision ID: 0009_stats_index
Revises: 0008_difference_labels

The fraud types per year are counted over every article; without this index SQLite
reads the whole article table (its texts) to do it: 5 s at 1,000,000 articles. SQLite
only (``archive.models``): PostgreSQL's ``json`` type has no B-tree ordering.
"""

from alembic import op

revision = "0009_stats_index"
down_revision = "0008_difference_labels"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.create_index("ix_article_published_types", "article", ["published_at", "fraud_types"])


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.drop_index("ix_article_published_types", table_name="article")
