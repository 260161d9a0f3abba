"""what each feed last was and since when, so that Last-Modified never goes backwards

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 16:30:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "feed_states",
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("etag", sa.String(length=80), nullable=False),
        sa.Column("modified", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_feed_states")),
    )


def downgrade() -> None:
    op.drop_table("feed_states")
