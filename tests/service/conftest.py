"""A SQLite file for each test of the service."""

import pytest


@pytest.fixture
def database(tmp_path):
    return f"sqlite+aiosqlite:///{tmp_path / 'bot.sqlite3'}"
