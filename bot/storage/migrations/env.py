"""Alembic environment: migrations run on a connection the bot hands over (see migrate.py)."""

from alembic import context

from bot.storage.models import metadata as bot_metadata
from schedules.ledger import metadata as ledger_metadata

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=[bot_metadata, ledger_metadata],
    render_as_batch=True,  # SQLite alters tables by copying them
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
