"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-26 09:37:44.087143
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "guild_settings",
        sa.Column("guild_id", sa.String(length=30), nullable=False),
        sa.Column("timezone", sa.String(length=60), nullable=True),
        sa.PrimaryKeyConstraint("guild_id", name=op.f("pk_guild_settings")),
    )
    op.create_table(
        "meeting_snapshots",
        sa.Column("meeting_id", sa.String(length=80), nullable=False),
        sa.Column("fingerprint", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("meeting_id", name=op.f("pk_meeting_snapshots")),
    )
    op.create_table(
        "personal_reminders",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("owner", sa.String(length=40), nullable=False),
        sa.Column("meeting_id", sa.String(length=80), nullable=False),
        sa.Column("lead_minutes", sa.Integer(), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_personal_reminders")),
    )
    with op.batch_alter_table("personal_reminders", schema=None) as batch_op:
        batch_op.create_index("ix_personal_reminders_owner", ["owner"], unique=False)

    op.create_table(
        "subscriptions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("owner", sa.String(length=40), nullable=False),
        sa.Column("delivery", sa.String(length=10), nullable=False),
        sa.Column("guild_id", sa.String(length=30), nullable=True),
        sa.Column("channel_id", sa.String(length=30), nullable=False),
        sa.Column("scope_kind", sa.String(length=10), nullable=False),
        sa.Column("scope_id", sa.String(length=80), nullable=False),
        sa.Column("leads", sa.String(length=100), nullable=True),
        sa.Column("created", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subscriptions")),
        sa.UniqueConstraint(
            "owner",
            "delivery",
            "channel_id",
            "scope_kind",
            "scope_id",
            name="uq_subscriptions_what",
        ),
    )
    with op.batch_alter_table("subscriptions", schema=None) as batch_op:
        batch_op.create_index("ix_subscriptions_channel", ["channel_id"], unique=False)
        batch_op.create_index("ix_subscriptions_owner", ["owner"], unique=False)

    op.create_table(
        "user_settings",
        sa.Column("owner", sa.String(length=40), nullable=False),
        sa.Column("timezone", sa.String(length=60), nullable=True),
        sa.PrimaryKeyConstraint("owner", name=op.f("pk_user_settings")),
    )
    op.create_table(
        "deliveries",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("fire_point", sa.String(length=200), nullable=False),
        sa.Column("destination", sa.String(length=100), nullable=False),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("nonce", sa.String(length=25), nullable=False),
        sa.Column("late", sa.Boolean(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("message_id", sa.String(length=30), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("fire_point", "destination", name="uq_delivery"),
    )
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.create_index("ix_deliveries_finished", ["finished_at"], unique=False)

    op.create_table(
        "engine_state",
        sa.Column("key", sa.String(length=50), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )


def downgrade() -> None:
    op.drop_table("engine_state")
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.drop_index("ix_deliveries_finished")

    op.drop_table("deliveries")
    op.drop_table("user_settings")
    with op.batch_alter_table("subscriptions", schema=None) as batch_op:
        batch_op.drop_index("ix_subscriptions_owner")
        batch_op.drop_index("ix_subscriptions_channel")

    op.drop_table("subscriptions")
    with op.batch_alter_table("personal_reminders", schema=None) as batch_op:
        batch_op.drop_index("ix_personal_reminders_owner")

    op.drop_table("personal_reminders")
    op.drop_table("meeting_snapshots")
    op.drop_table("guild_settings")
