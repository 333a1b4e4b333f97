"""dedup: a small table for the band keys of recent increments (merged in key order)

Revision ID: dedup_0003
Revises: dedup_0002
"""

import sqlalchemy as sa
from alembic import op

revision = "dedup_0003"
down_revision = "dedup_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "dedup_band_recent",
        sa.Column("key", sa.BigInteger(), nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["article_id"], ["article.id"], ondelete="CASCADE"),
    )
    op.create_index("ix_dedup_band_recent_key", "dedup_band_recent", ["key"])
    op.create_index("ix_dedup_band_recent_article_id", "dedup_band_recent", ["article_id"])


def downgrade() -> None:
    op.drop_index("ix_dedup_band_recent_article_id", table_name="dedup_band_recent")
    op.drop_index("ix_dedup_band_recent_key", table_name="dedup_band_recent")
    op.drop_table("dedup_band_recent")
