"""Schema migrations (Alembic), applied at start and before anything touches the tables.

To write a new migration after changing a model:
    python -m bot.storage.migrate revision "what changed"
which compares the models with a scratch database at head and writes the difference as a new
file in bot/storage/migrations/versions/ for you to review.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, create_engine

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def _config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def upgrade(connection: Connection) -> None:
    """Bring the database to the newest schema (run with AsyncConnection.run_sync)."""
    command.upgrade(_config(connection), "head")


def current_heads() -> tuple[str, ...]:
    from alembic.script import ScriptDirectory

    return tuple(ScriptDirectory.from_config(_config()).get_heads())


def _revision(message: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        engine = create_engine(f"sqlite:///{folder}/scratch.db")
        with engine.begin() as connection:
            command.upgrade(_config(connection), "head")
            command.revision(_config(connection), message=message, autogenerate=True)
        engine.dispose()


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] != "revision":
        sys.exit('usage: python -m bot.storage.migrate revision "what changed"')
    _revision(sys.argv[2])
