"""Shared fixtures: the bundled agenda, a small fixture agenda, fixed clocks and services."""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from bot.core import Agenda, FixedClock, Revision
from bot.core.revisions import view_at, with_revisions
from bot.service import BUNDLED_DATA, AgendaService, load_agenda

settings.register_profile(
    "ci", deadline=None, suppress_health_check=[HealthCheck.too_slow], max_examples=150
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

FIXTURES = Path(__file__).parent / "fixtures"
MINI_DATA = FIXTURES / "mini"
# The day of the WCO news item: the bundled agenda as it was.
NEWS_DAY = datetime(2015, 10, 23, 12, 0, tzinfo=UTC)
MINI_DAY = datetime(2016, 3, 1, 12, 0, tzinfo=UTC)


@pytest.fixture(scope="session")
def wco() -> Agenda:
    return load_agenda(BUNDLED_DATA)


@pytest.fixture(scope="session")
def wco_as_announced(wco: Agenda) -> Agenda:
    """The bundled agenda as known on the news item's day."""
    return view_at(wco, NEWS_DAY)


def revised(agenda: Agenda, meeting_id: str, known: datetime = NEWS_DAY, **sets: object) -> Agenda:
    """`agenda` with one more revision of a meeting, known at `known`, setting `sets` (the
    way a data-file edit, an editor or a followed calendar changes it)."""
    changed, problems = with_revisions(agenda, {meeting_id: [Revision(known, sets)]})
    assert not problems, problems
    return changed


@pytest.fixture(scope="session")
def mini() -> Agenda:
    return load_agenda(MINI_DATA)


@pytest.fixture
def wco_service(wco: Agenda) -> AgendaService:
    return AgendaService(wco, FixedClock(NEWS_DAY))


@pytest.fixture
def mini_service(mini: Agenda) -> AgendaService:
    return AgendaService(mini, FixedClock(MINI_DAY))


@pytest.fixture
def data_dir(tmp_path: Path) -> Callable[..., Path]:
    """Write a data directory: a copy of the mini agenda with files replaced or added."""

    def make(**files: str) -> Path:
        target = tmp_path / "data"
        target.mkdir(exist_ok=True)
        for source in MINI_DATA.glob("*.toml"):
            (target / source.name).write_text(source.read_text(encoding="utf-8"), "utf-8")
        for name, text in files.items():
            path = target / f"{name}.toml"
            if text is None:
                path.unlink()
            else:
                path.write_text(text, encoding="utf-8")
        return target

    return make
