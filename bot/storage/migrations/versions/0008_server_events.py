"""servers' scheduled events: mirror settings, mirrored events, interest and attendance

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 16:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "event_mirrors",
        sa.Column("guild_id", sa.String(length=30), nullable=False),
        sa.Column("mirror", sa.Boolean(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("bodies", sa.Text(), nullable=False),
        sa.Column("channel_id", sa.String(length=30), nullable=False),
        sa.Column("interested", sa.Boolean(), nullable=False),
        sa.Column("going_count", sa.Boolean(), nullable=False),
        sa.Column("problem", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("guild_id", name=op.f("pk_event_mirrors")),
    )
    op.create_table(
        "mirrored_events",
        sa.Column("guild_id", sa.String(length=30), nullable=False),
        sa.Column("meeting_id", sa.String(length=80), nullable=False),
        sa.Column("event_id", sa.String(length=30), nullable=False),
        sa.Column("dismissed", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("guild_id", "meeting_id", name=op.f("pk_mirrored_events")),
    )
    op.create_index("ix_mirrored_events_event", "mirrored_events", ["guild_id", "event_id"])
    op.create_table(
        "event_interest",
        sa.Column("guild_id", sa.String(length=30), nullable=False),
        sa.Column("meeting_id", sa.String(length=80), nullable=False),
        sa.Column("user_id", sa.String(length=30), nullable=False),
        sa.Column("event_id", sa.String(length=30), nullable=False),
        sa.Column("subscribed", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint(
            "guild_id", "meeting_id", "user_id", name=op.f("pk_event_interest")
        ),
    )
    counters = sa.table("counters", sa.column("name", sa.String), sa.column("value", sa.BigInteger))
    op.bulk_insert(counters, [{"name": "mirrors", "value": 0}])
    op.create_table(
        "attendance",
        sa.Column("guild_id", sa.String(length=30), nullable=False),
        sa.Column("meeting_id", sa.String(length=80), nullable=False),
        sa.Column("owner", sa.String(length=40), nullable=False),
        sa.Column("answer", sa.String(length=8), nullable=False),
        sa.Column("updated", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("guild_id", "meeting_id", "owner", name=op.f("pk_attendance")),
    )


def downgrade() -> None:
    op.execute("DELETE FROM counters WHERE name = 'mirrors'")
    op.drop_table("attendance")
    op.drop_table("event_interest")
    op.drop_index("ix_mirrored_events_event", table_name="mirrored_events")
    op.drop_table("mirrored_events")
    op.drop_table("event_mirrors")
