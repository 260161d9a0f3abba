"""a random key for the subscriptions table, drawn anew by triggers at every change of a row

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 04:00:00

Start-up may read the index of subscriptions from a snapshot file instead of the rows; the
snapshot is used only if it was made under the key the table has now. Triggers (not the bot's
code) draw the key, in the transaction of the change, so that any writer changes it: the bot,
`python -m bot ask`, or someone editing the file with the sqlite3 shell. A random key rather
than a count: a restored backup, or another database, carries a key no snapshot of other
content was made under. SQLite only, as are the snapshots (PostgreSQL reads the rows).
"""

from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

_TRIGGERS = {
    f"subscriptions_key_on_{event.lower()}": event for event in ("INSERT", "UPDATE", "DELETE")
}


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    op.execute("INSERT INTO counters (name, value) VALUES ('subscriptions_key', random())")
    for name, event in _TRIGGERS.items():
        op.execute(
            f"CREATE TRIGGER {name} AFTER {event} ON subscriptions BEGIN "  # noqa: S608 (constants)
            "UPDATE counters SET value = random() WHERE name = 'subscriptions_key'; END"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for name in _TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {name}")
    op.execute("DELETE FROM counters WHERE name = 'subscriptions_key'")
