"""every instant as whole epoch seconds (UTC): personal reminders and deliveries converted

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 13:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

# (table, old DateTime column, new epoch-seconds column, nullable)
CONVERSIONS = [
    ("personal_reminders", "at", "at_seconds", True),
    ("personal_reminders", "created_at", "created", False),
    ("deliveries", "claimed_at", "claimed", False),
    ("deliveries", "finished_at", "finished", True),
]


def _epoch(column: sa.ColumnClause[sa.DateTime]) -> sa.ColumnElement[int]:
    """A stored DateTime as epoch seconds: SQLite keeps it as UTC text, PostgreSQL as
    timestamptz."""
    if op.get_bind().dialect.name == "sqlite":
        return sa.cast(sa.func.strftime("%s", column), sa.BigInteger)
    return sa.cast(sa.extract("epoch", column), sa.BigInteger)


def upgrade() -> None:
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.drop_index("ix_deliveries_finished")
    for table in ("personal_reminders", "deliveries"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            for name, _, new, _ in CONVERSIONS:
                if name == table:
                    batch_op.add_column(sa.Column(new, sa.BigInteger(), nullable=True))
        for name, old, new, _ in CONVERSIONS:
            if name == table:
                rows = sa.table(table, sa.column(old, sa.DateTime()), sa.column(new))
                op.execute(sa.update(rows).values({new: _epoch(rows.c[old])}))
        with op.batch_alter_table(table, schema=None) as batch_op:
            for name, old, new, nullable in CONVERSIONS:
                if name != table:
                    continue
                batch_op.drop_column(old)
                if new == "at_seconds":
                    batch_op.alter_column(new, new_column_name="at", existing_type=sa.BigInteger())
                elif not nullable:
                    batch_op.alter_column(new, existing_type=sa.BigInteger(), nullable=False)
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.create_index("ix_deliveries_finished", ["finished"], unique=False)


def downgrade() -> None:
    raise NotImplementedError("instants are not converted back to DateTime columns")
