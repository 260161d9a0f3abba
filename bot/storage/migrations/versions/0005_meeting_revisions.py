"""revisions of the agenda made by editors and followed calendars

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 15:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "meeting_revisions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("meeting_id", sa.String(length=80), nullable=False),
        sa.Column("known", sa.BigInteger(), nullable=False),
        sa.Column("sets", sa.Text(), nullable=False),
        sa.Column("sources", sa.Text(), nullable=False),
        sa.Column("by", sa.String(length=40), nullable=False),
        sa.Column("why", sa.Text(), nullable=False),
        sa.Column("origin", sa.String(length=10), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meeting_revisions")),
    )
    with op.batch_alter_table("meeting_revisions", schema=None) as batch_op:
        batch_op.create_index("ix_meeting_revisions_meeting", ["meeting_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("meeting_revisions", schema=None) as batch_op:
        batch_op.drop_index("ix_meeting_revisions_meeting")
    op.drop_table("meeting_revisions")
