"""difference.labels: the change labels of a copy against its canonical copy

Revision ID: 0008_difference_labels
Revises: 0007_indicators

Nullable: differences recorded before labels existed get theirs computed when they
are read (``archive.dedup.queries``), and stored by the next dedup run that rewrites
them (``fanzha dedup --rebuild`` rewrites all).
"""

import sqlalchemy as sa
from alembic import op

revision = "0008_difference_labels"
down_revision = "0007_indicators"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("difference") as batch:
        batch.add_column(sa.Column("labels", sa.JSON(), nullable=True))


def downgrade() -> None:
    op.drop_column("difference", "labels")  # ALTER TABLE DROP COLUMN, no table copy
