"""counters raised by every write of subscriptions, reminders and settings, and of revisions

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01 11:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    counters = op.create_table(
        "counters",
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_counters")),
    )
    op.bulk_insert(counters, [{"name": "audience", "value": 0}, {"name": "agenda", "value": 0}])


def downgrade() -> None:
    op.drop_table("counters")
