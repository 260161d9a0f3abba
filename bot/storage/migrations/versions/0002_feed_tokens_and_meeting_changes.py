"""personal feed tokens, observed meeting changes

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26 10:13:33.153084
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "feed_tokens",
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("owner", sa.String(length=40), nullable=False),
        sa.Column("created", sa.BigInteger(), nullable=False),
        sa.Column("revoked", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("digest", name=op.f("pk_feed_tokens")),
    )
    with op.batch_alter_table("feed_tokens", schema=None) as batch_op:
        batch_op.create_index("ix_feed_tokens_owner", ["owner"], unique=False)

    with op.batch_alter_table("meeting_snapshots", schema=None) as batch_op:
        batch_op.add_column(sa.Column("changes", sa.Integer(), server_default="0", nullable=False))
        batch_op.add_column(sa.Column("changed", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("meeting_snapshots", schema=None) as batch_op:
        batch_op.drop_column("changed")
        batch_op.drop_column("changes")

    with op.batch_alter_table("feed_tokens", schema=None) as batch_op:
        batch_op.drop_index("ix_feed_tokens_owner")

    op.drop_table("feed_tokens")
