"""dedup: the members whose difference is still to be recorded

Revision ID: dedup_0005
Revises: dedup_0004

Differences computed in worker processes are written after their chunk's transaction.
A member awaiting one is listed in ``dedup_pending_diff`` (written with its
membership, deleted with its difference), so that the next run finds what a dead run
left without joining every member with the differences. The upgrade lists the members
an archive lacks a difference for now.
"""

import sqlalchemy as sa
from alembic import op

revision = "dedup_0005"
down_revision = "dedup_0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "dedup_pending_diff",
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["article_id"], ["article.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("article_id"),
    )
    op.execute(
        "INSERT INTO dedup_pending_diff (article_id) "
        "SELECT m.article_id FROM member m JOIN cluster c ON c.id = m.cluster_id "
        "LEFT JOIN difference d ON d.b_id = m.article_id AND d.a_id = c.canonical_id "
        "WHERE m.article_id != c.canonical_id AND d.id IS NULL"
    )


def downgrade() -> None:
    op.drop_table("dedup_pending_diff")
