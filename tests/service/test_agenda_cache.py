"""The cache of a validated data set: used when nothing changed, never when anything did."""

import pickle

import pytest

import bot.core.library as library_module
from bot.service import load_library
from tests.conftest import MINI_DATA


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


def test_a_cache_others_can_write_to_is_not_trusted(tmp_path, data_dir):
    # Regression (review, 2026-11-26): a pickle in a shared folder could run someone's code.
    directory = data_dir()
    cache = tmp_path / "cache"
    load_library(directory, cache)
    planted = next(cache.glob("agenda-*.pickle"))
    planted.write_bytes(pickle.dumps("not a library"))
    cache.chmod(0o777)
    assert load_library(directory, cache).agenda.dataset.name == "Test Forum agenda"
    assert pickle.loads(planted.read_bytes()) == "not a library"  # neither used nor rewritten


def test_caches_of_other_data_directories_are_kept(tmp_path, data_dir):
    from tests.conftest import MINI_DATA

    cache = tmp_path / "cache"
    load_library(MINI_DATA, cache)
    load_library(data_dir(), cache)
    assert len(list(cache.glob("agenda-*.pickle"))) == 2


def test_a_library_cached_without_search_gets_it_at_the_next_load_that_searches(
    tmp_path, data_dir, monkeypatch
):
    directory = data_dir()
    cache = tmp_path / "cache"
    assert not load_library(directory, cache, searched=False).has_search
    searching = load_library(directory, cache)
    assert searching.has_search
    assert searching.search.search("drones").hits
    # Cached again with its index: the load after that builds none.
    monkeypatch.setattr(library_module, "SearchIndex", _refuse)
    assert load_library(directory, cache).has_search


def test_an_export_load_builds_no_search_index(tmp_path, data_dir, monkeypatch):
    monkeypatch.setattr(library_module, "SearchIndex", _refuse)
    assert not load_library(data_dir(), None, searched=False).has_search
    assert not load_library(data_dir(), tmp_path / "cache", searched=False).has_search


def _refuse(agenda):
    raise AssertionError("the search index was built")
