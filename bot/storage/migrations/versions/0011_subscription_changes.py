"""a log of the ids of changed subscriptions, written by the triggers that draw the table's key

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02 08:40:00

With the key alone (0010), one change since the index was saved meant reading every row. The
triggers now also log, in the transaction of the change, the ids the change touched (an
UPDATE: the old id and, if it moved, the new) and the key drawn for it, so that start-up can
read the saved index and only the rows the log names after the point the index was saved at.
The log's entry at that point, with the key the index was saved under, proves that this
database went through the saved state (a restored backup or another database has another
random key at that place); its last entry carries the table's current key.

The same three triggers (0010's names) draw the key and log: one trigger per event, so the
key logged is the one drawn (SQLite does not say in which order two triggers of an event run).
Each also drops the entries more than KEEP behind the newest: the log stays bounded whoever
writes and however long the bot runs (start-up reads every row when the index is further
behind than that, as it would anyway). The table exists on every database, to match the
models; only SQLite writes it.
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

KEEP = 100_000  # entries; a few MB
_EVENTS = ("INSERT", "UPDATE", "DELETE")
_DRAW = "UPDATE counters SET value = random() WHERE name = 'subscriptions_key';"
_LOG = (
    "INSERT INTO subscription_changes (subscription_id, key) "
    "SELECT {}, value FROM counters WHERE name = 'subscriptions_key'{};"
)
_BOUND = (
    "DELETE FROM subscription_changes "  # noqa: S608 (constants)
    f"WHERE seq <= (SELECT max(seq) FROM subscription_changes) - {KEEP};"
)
_LOGGED = {
    "INSERT": _LOG.format("NEW.id", ""),
    "UPDATE": _LOG.format("OLD.id", "") + _LOG.format("NEW.id", " AND NEW.id IS NOT OLD.id"),
    "DELETE": _LOG.format("OLD.id", ""),
}


def _name(event: str) -> str:
    return f"subscriptions_key_on_{event.lower()}"


def upgrade() -> None:
    op.create_table(
        "subscription_changes",
        sa.Column("seq", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("subscription_id", sa.Integer(), nullable=True),
        sa.Column("key", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_subscription_changes")),
        sqlite_autoincrement=True,  # a seq is never given twice, even after the log is pruned
    )
    if op.get_bind().dialect.name != "sqlite":
        return
    for event in _EVENTS:
        op.execute(f"DROP TRIGGER IF EXISTS {_name(event)}")
        op.execute(
            f"CREATE TRIGGER {_name(event)} AFTER {event} ON subscriptions BEGIN "
            f"{_DRAW} {_LOGGED[event]} {_BOUND} END"
        )
    # A first entry with a new key: the log's last entry carries the key from the start.
    op.execute(_DRAW)
    op.execute(_LOG.format("NULL", ""))


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for event in _EVENTS:  # as 0010 made them
            op.execute(f"DROP TRIGGER IF EXISTS {_name(event)}")
            op.execute(
                f"CREATE TRIGGER {_name(event)} AFTER {event} ON subscriptions BEGIN {_DRAW} END"
            )
    op.drop_table("subscription_changes")
