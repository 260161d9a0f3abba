"""The database: migrations match the models; the agenda cache is right or not used."""

import pickle

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine

from bot.service import load_library
from bot.storage import Store
from bot.storage.migrate import current_heads
from bot.storage.models import metadata as bot_metadata
from schedules import metadata as ledger_metadata
from tests.conftest import MINI_DATA


async def test_migrations_create_exactly_the_models(tmp_path):
    store = await Store.open(f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite3'}")
    await store.close()
    engine = create_engine(f"sqlite:///{tmp_path / 'db.sqlite3'}")
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert context.get_current_revision() in current_heads()
        differences = compare_metadata(context, [bot_metadata, ledger_metadata])
    engine.dispose()
    assert differences == []


async def test_opening_twice_migrates_once_and_keeps_the_data(tmp_path):
    from datetime import UTC, datetime

    from bot.storage import Delivery, ScopeKind

    url = f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite3'}"
    store = await Store.open(url)
    await store.subscribe("console", Delivery.DM, ScopeKind.ALL, "", [], datetime.now(UTC))
    await store.close()
    again = await Store.open(url)
    assert len(await again.subscriptions()) == 1
    await again.close()


def test_the_cache_is_used_when_nothing_changed(tmp_path, data_dir):
    directory = data_dir()
    cache = tmp_path / "cache"
    first = load_library(directory, cache)
    files = list(cache.glob("agenda-*.pickle"))
    assert len(files) == 1
    second = load_library(directory, cache)
    assert second.agenda == first.agenda
    assert list(cache.glob("agenda-*.pickle")) == files


def test_a_changed_file_means_a_fresh_load(tmp_path, data_dir):
    directory = data_dir()
    cache = tmp_path / "cache"
    load_library(directory, cache)
    meetings = directory / "meetings.toml"
    meetings.write_text(meetings.read_text().replace("Forum Summit 2016", "Forum Summit"))
    reloaded = load_library(directory, cache)
    assert reloaded.agenda.meetings["summit-2016"].title == "Forum Summit"
    assert len(list(cache.glob("agenda-*.pickle"))) == 1  # the old one was removed


def test_a_broken_cache_file_is_ignored(tmp_path, data_dir):
    directory = data_dir()
    cache = tmp_path / "cache"
    load_library(directory, cache)
    for path in cache.glob("agenda-*.pickle"):
        path.write_bytes(b"not a pickle")
    assert load_library(directory, cache).agenda.dataset.name == "Test Forum agenda"
    with next(cache.glob("agenda-*.pickle")).open("rb") as stream:
        assert pickle.load(stream).agenda.dataset.name == "Test Forum agenda"  # rewritten


def test_a_broken_data_set_is_never_cached(tmp_path, data_dir):
    from bot.core import DataSetError

    directory = data_dir(extra="[[meeting]]\nid = 'x'\n")
    with pytest.raises(DataSetError):
        load_library(directory, tmp_path / "cache")
    assert not (tmp_path / "cache").exists()


def test_mini_data_loads_through_the_cache_path_too():
    assert load_library(MINI_DATA).agenda.dataset.uid_domain == "test-forum.invalid"
