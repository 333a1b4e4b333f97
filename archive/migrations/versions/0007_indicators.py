"""indicator: the phone numbers, web addresses, apps, accounts and amounts a bulletin names

Revision ID: 0007_indicators
Revises: 0006_article_site

One row per (article, kind, value) with its role, written with the article's text.
The upgrade creates the table empty: ``fanzha retag`` extracts the indicators of the
articles already archived (extraction is Python, not SQL).
"""

import sqlalchemy as sa
from alembic import op

revision = "0007_indicators"
down_revision = "0006_article_site"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "indicator",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("value", sa.String(length=512), nullable=False),
        sa.Column("role", sa.String(length=10), nullable=False),
        sa.ForeignKeyConstraint(["article_id"], ["article.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("article_id", "kind", "value", name="uq_indicator_article_kind_value"),
    )
    op.create_index("ix_indicator_article_id", "indicator", ["article_id"])
    op.create_index("ix_indicator_kind_value", "indicator", ["kind", "value"])


def downgrade() -> None:
    op.drop_index("ix_indicator_kind_value", table_name="indicator")
    op.drop_index("ix_indicator_article_id", table_name="indicator")
    op.drop_table("indicator")
