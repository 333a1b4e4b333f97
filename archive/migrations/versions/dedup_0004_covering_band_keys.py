"""dedup: band key indexes on (key, article_id), covering the candidate look-up

Revision ID: dedup_0004
Revises: dedup_0003

The look-up of a chunk's band keys reads (key, article_id) pairs. With an index on
``key`` alone, each match costs a second B-tree search in the table for its
``article_id``; with both columns in the index, the index alone answers.
"""

from alembic import op

revision = "dedup_0004"
down_revision = "dedup_0003"
branch_labels = None
depends_on = None

TABLES = ("dedup_band", "dedup_band_recent")


def upgrade() -> None:
    for table in TABLES:
        op.drop_index(f"ix_{table}_key", table_name=table, if_exists=True)
        op.create_index(f"ix_{table}_key", table, ["key", "article_id"])


def downgrade() -> None:
    for table in TABLES:
        op.drop_index(f"ix_{table}_key", table_name=table, if_exists=True)
        op.create_index(f"ix_{table}_key", table, ["key"])
