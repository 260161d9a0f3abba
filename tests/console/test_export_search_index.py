"""`python -m bot export` writes a calendar: it has no use for the search index."""

import bot.core.library as library_module
from bot.cli import main
from tests.conftest import MINI_DATA


def test_export_builds_no_search_index(tmp_path, monkeypatch):
    def refuse(agenda):
        raise AssertionError("export built the search index")

    monkeypatch.setattr(library_module, "SearchIndex", refuse)
    monkeypatch.setenv("AGENDA_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("DISCORD_TOKEN", "")
    target = tmp_path / "agenda.ics"
    assert main(["export", "--data", str(MINI_DATA), "--out", str(target)]) == 0
    assert target.read_bytes().startswith(b"BEGIN:VCALENDAR\r\n")
