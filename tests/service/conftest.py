"""A SQLite file for each test of the service, and a store holding varied subscriptions."""

from datetime import UTC, datetime

import pytest

from bot.storage import Store
from tests.service.varied_subscriptions import varied_subscriptions


@pytest.fixture
def database(tmp_path):
    return f"sqlite+aiosqlite:///{tmp_path / 'bot.sqlite3'}"


@pytest.fixture
async def store(wco, database):
    """The database with 400 varied subscriptions (tests of the index read at start-up)."""
    store = await Store.open(database)
    await store.add_subscriptions(
        varied_subscriptions(wco, datetime(2015, 10, 23, 12, tzinfo=UTC), 400)
    )
    yield store
    await store.close()
