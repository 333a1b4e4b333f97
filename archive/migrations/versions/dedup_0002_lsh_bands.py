"""dedup: persisted LSH bands and learned boilerplate sentences

Revision ID: dedup_0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "dedup_0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "dedup_band",
        sa.Column("key", sa.BigInteger(), nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["article_id"], ["article.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("key", "article_id"),
    )
    op.create_index("ix_dedup_band_article_id", "dedup_band", ["article_id"])
    op.create_table(
        "dedup_phrase",
        sa.Column("hash", sa.BigInteger(), nullable=False),
        sa.Column("df", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("hash"),
    )
    op.create_index("ix_dedup_phrase_df", "dedup_phrase", ["df"])


def downgrade() -> None:
    op.drop_index("ix_dedup_phrase_df", table_name="dedup_phrase")
    op.drop_table("dedup_phrase")
    op.drop_index("ix_dedup_band_article_id", table_name="dedup_band")
    op.drop_table("dedup_band")
