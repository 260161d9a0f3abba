"""Free text never breaks the bot: whatever is typed, the answer is a reply, never an exception."""

import asyncio
from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.console import Console, parse_line
from bot.console.parser import ParseError
from bot.core import (
    COMMANDS,
    Completion,
    DataSetError,
    Reply,
    build_agenda,
    parse_as_of,
    parse_lead,
)
from bot.core.calendar import fold
from bot.service import CommandRunner

NAMES = [c.name for c in COMMANDS]
OPTION_NAMES = sorted({o.name for c in COMMANDS for o in c.options})
words = st.sampled_from(
    [
        "ptc",
        "PTC 211",
        "3d",
        "printng",
        "kyoto",
        "past:yes",
        "page:0",
        "page:99999999",
        "body:",
        "kind:joint session",
        "status:held",
        "alarms:maybe",
        "/",
        ":",
        '"',
        "é",
        "\x00",
        "policy committee",
        "211th",
        "TBA",
        "2016-13",
        "'",
        "\\",
        "\n",
        "*",
        "`",
    ]
)
free_text = st.text(max_size=300)
lines = st.one_of(
    free_text,
    st.builds(lambda n, rest: f"/{n} {rest}", st.sampled_from(NAMES), free_text),
    st.builds(
        lambda n, parts: f"/{n} " + " ".join(parts),
        st.sampled_from(NAMES),
        st.lists(
            st.one_of(
                words, st.builds(lambda o, v: f"{o}:{v}", st.sampled_from(OPTION_NAMES), free_text)
            ),
            max_size=6,
        ),
    ),
)


@pytest.fixture(scope="module")
def console(wco):
    import io

    from bot.core import FixedClock
    from bot.service import AgendaService
    from tests.conftest import NEWS_DAY

    return Console(CommandRunner(AgendaService(wco, FixedClock(NEWS_DAY))), io.StringIO())


@given(line=lines)
def test_every_line_gets_a_reply(console, line):
    reply = asyncio.run(console.answer(line))
    assert reply is None or isinstance(reply, Reply)
    if reply is not None:
        assert reply.title
        reply.markdown()
        assert "Sorry, that went wrong" not in reply.title


@given(line=lines)
def test_parsing_either_works_or_explains(line):
    try:
        parse_line(line)
    except ParseError as problem:
        assert problem.title and problem.hint


@given(
    name=st.sampled_from(NAMES),
    options=st.dictionaries(st.sampled_from(OPTION_NAMES), st.one_of(free_text, words), max_size=5),
)
def test_execute_with_any_option_values(wco_service_module, name, options):
    reply = asyncio.run(CommandRunner(wco_service_module).run(name, options))
    assert isinstance(reply, Reply) and reply.title


@given(what=st.sampled_from(list(Completion)), typed=free_text)
def test_autocomplete_with_any_text(wco_service_module, what, typed):
    choices = wco_service_module.complete(what, typed)
    assert len(choices) <= 25
    assert all(0 < len(label) <= 100 for label, _ in choices)


@given(st.text(max_size=40))
def test_lead_times_parse_or_explain(text):
    try:
        lead = parse_lead(text)
    except ValueError as problem:
        assert "lead time" in str(problem)
    else:
        assert timedelta(0) < lead <= timedelta(days=366)


@given(st.text(max_size=40))
def test_as_of_parses_or_explains(text):
    try:
        instant = parse_as_of(text)
    except ValueError as problem:
        assert "YYYY-MM-DD" in str(problem)
    else:
        assert instant.utcoffset() == timedelta(0)


@given(st.text(max_size=400))
def test_folding_round_trips(text):
    line = text.replace("\r", "").replace("\n", "")
    folded = fold(line)
    assert folded.replace("\r\n ", "") == line
    assert all(len(part.encode("utf-8")) <= 75 for part in folded.split("\r\n"))


toml_values = st.one_of(
    st.none(),
    st.text(max_size=30),
    st.integers(-5, 3000),
    st.booleans(),
    st.dates(),  # every date: the ones out of range are explained, never an OverflowError
    st.datetimes(),
    st.lists(st.text(max_size=10), max_size=3),
)
meeting_fields = [
    "id",
    "title",
    "bodies",
    "kind",
    "sessions",
    "start",
    "end",
    "timezone",
    "venue",
    "status",
    "topics",
    "revision",
    "updated",
    "sources",
    "zzz",
]


@given(
    entries=st.lists(
        st.dictionaries(st.sampled_from(meeting_fields), toml_values, max_size=10), max_size=4
    )
)
def test_any_meeting_entries_load_or_are_explained(entries):
    documents = {
        "a.toml": {
            "dataset": {
                "name": "n",
                "organisation": "o",
                "uid_domain": "x.invalid",
                "updated": "2016-01-01T00:00:00Z",
            },
            "meeting": [{k: v for k, v in e.items() if v is not None} for e in entries],
        },
    }
    try:
        build_agenda(documents)
    except DataSetError as problem:
        assert problem.problems
        assert all(p.file == "a.toml" and p.message for p in problem.problems)


@pytest.fixture(scope="module")
def wco_service_module(wco):
    from bot.core import FixedClock
    from bot.service import AgendaService
    from tests.conftest import NEWS_DAY

    return AgendaService(wco, FixedClock(NEWS_DAY))


@given(
    st.text(max_size=60),
    st.sampled_from(
        ["UTC", "Europe/Brussels", "America/Cancun", "Pacific/Auckland", "America/Santiago"]
    ),
)
def test_remind_times_parse_or_explain(text, zone):
    from zoneinfo import ZoneInfo

    from bot.core.reminding import parse_remind_when

    try:
        when = parse_remind_when(text, ZoneInfo(zone))
    except ValueError as problem:
        assert str(problem)
    else:
        assert (when.lead is None) != (when.at is None)
        if when.at is not None:
            assert when.at.utcoffset() == timedelta(0)
