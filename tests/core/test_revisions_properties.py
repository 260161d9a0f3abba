"""Properties of revisions: whatever edits are made, the data files written back load as the same
agenda; and the agenda as known at any instant shows nothing known later."""

import json
import tomllib
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core import (
    AgendaFilter,
    AgendaIndex,
    Kind,
    Origin,
    Revision,
    Source,
    Status,
    When,
    build_agenda,
)
from bot.core.chronicle import state_problem
from bot.core.codec import sets_to_data, shape_problem, sources_to_data
from bot.core.data_out import data_files
from bot.core.revisions import view_at, with_revisions
from bot.core.versions import VersionTable
from tests.conftest import MINI_DATA
from tests.service.test_editing import same_agenda

MEETINGS = ["board-12", "tc-7", "tc-joint", "summit-2016", "tc-8", "tc-next", "deadline"]
ADDED = "added-by-an-editor"  # its first edit adds it, as /manage add does
ADDED_FIRST = {
    "title": "Added meeting",
    "bodies": ("board",),
    "kind": Kind.WORKSHOP,
    "when": When.tba(ZoneInfo("UTC")),
    "venue": "",
    "status": Status.PLANNED,
    "topics": (),
    "sessions": (),
    "aliases": (),
    "summary": "",
    "confidence": "",
    "outcome": "",
}
START = datetime(2016, 2, 1, 10, tzinfo=UTC)  # after every meeting of the mini set was known


def mini():
    return build_agenda(
        {p.name: tomllib.loads(p.read_text(encoding="utf-8")) for p in MINI_DATA.glob("*.toml")}
    )


whens = st.one_of(
    st.dates(date(2016, 1, 1), date(2017, 12, 31)).map(
        lambda day: When.days(day, day + timedelta(days=1), ZoneInfo("Europe/Brussels"))
    ),
    st.integers(2016, 2018).map(lambda year: When.year(year, ZoneInfo("Asia/Tokyo"))),
    st.tuples(st.integers(2016, 2018), st.integers(1, 12)).map(
        lambda ym: When.month(ym[0], ym[1], ZoneInfo("Africa/Lome"))
    ),
    st.just(When.tba(ZoneInfo("UTC"))),
)
# What editors type, as the commands keep it: printable, spaces collapsed (clean_input).
texts = st.text(
    st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1, max_size=30
).map(lambda text: " ".join(text.split()) or "x")
sets = st.one_of(
    whens.map(lambda w: {"when": w}),
    st.sampled_from([Status.POSTPONED, Status.CONFIRMED, Status.TENTATIVE]).map(
        lambda s: {"status": s}
    ),
    texts.map(lambda t: {"venue": t}),
    texts.map(lambda t: {"title": t}),
    texts.map(lambda t: {"outcome": t}),
    st.just({"topics": ("drones",)}),
    st.just({"topics": ()}),  # a list emptied
    st.just({"outcome": ""}),  # a text emptied
)
edits = st.lists(
    st.tuples(st.sampled_from([*MEETINGS, ADDED]), sets, st.integers(0, 400 * 24), texts),
    max_size=12,
)


def revisions_of(generated):
    """The revisions the rules let through: those leaving a meeting in a state the rules refuse
    (a held meeting without a date; an outcome known before the meeting ended) are left out,
    as the editor's commands and `check` refuse them."""
    added: dict[str, list[Revision]] = {}
    states = {m.id: (m.when, m.status, m.outcome) for m in mini().meetings.values()}
    in_order = sorted(enumerate(generated), key=lambda item: item[1][2])  # as they are folded
    for number, (meeting_id, values, hours, why) in in_order:
        known = START + timedelta(hours=hours)
        if meeting_id not in states:  # the first edit adds it
            values = {**ADDED_FIRST, **values}
        when, status, outcome = states.get(meeting_id, (None, None, None))
        when, status = values.get("when", when), values.get("status", status)
        outcome = values.get("outcome", outcome)
        if state_problem(when, status) is not None or (outcome and not when.has_ended(known)):
            continue
        states[meeting_id] = (when, status, outcome)
        added.setdefault(meeting_id, []).append(
            Revision(
                known=known,
                sets=values,
                sources=(Source("Minutes", f"https://example.org/{number}"),),
                by="discord:5",
                why=why,
                origin=Origin.EDITOR,
                ident=f"db:{number}",
            )
        )
    return added


@settings(max_examples=60)
@given(generated=edits)
def test_any_edits_written_back_as_data_files_load_as_the_same_agenda(generated):
    agenda, problems = with_revisions(mini(), revisions_of(generated))
    assert problems == []
    written = {name: tomllib.loads(text) for name, text in data_files(agenda).items()}
    assert same_agenda(build_agenda(written), agenda)


@settings(max_examples=60)
@given(generated=edits, hours=st.integers(-24 * 60, 24 * 500))
def test_the_agenda_at_an_instant_shows_nothing_known_later(generated, hours):
    agenda, _ = with_revisions(mini(), revisions_of(generated))
    instant = START + timedelta(hours=hours)
    seen = view_at(agenda, instant)
    for meeting in seen.meetings.values():
        assert all(revision.known <= instant for revision in meeting.history)
        assert meeting.updated is None or meeting.updated <= instant
    announced = {i for i, r in agenda.records.items() if r.first_known <= instant}
    assert set(seen.meetings) == announced


filters = st.builds(
    AgendaFilter,
    body=st.sampled_from([None, "board", "tech"]),
    kind=st.sampled_from([None, Kind.SESSION, Kind.WORKSHOP]),
    topic=st.sampled_from([None, "open-data", "drones"]),
    status=st.sampled_from([None, Status.CONFIRMED, Status.HELD, Status.POSTPONED]),
)


@settings(max_examples=80)
@given(
    generated=edits,
    hours=st.integers(-24 * 60, 24 * 500),
    where=filters,
    past=st.booleans(),
    page=st.integers(1, 3),
)
def test_lists_from_every_version_are_those_of_the_agenda_known_then(
    generated, hours, where, past, page
):
    agenda, _ = with_revisions(mini(), revisions_of(generated))
    instant = START + timedelta(hours=hours)
    table = VersionTable(agenda.records, {t.id: set(t.listed) for t in agenda.topics.values()})
    index = AgendaIndex(view_at(agenda, instant))
    listed = (table.past if past else table.upcoming)(instant, where, page, 3)
    expected = (index.past if past else index.upcoming)(instant, where, page, 3)
    assert listed == expected


@settings(max_examples=60)
@given(generated=edits)
def test_every_revision_the_bot_stores_is_shaped_as_a_stored_one_must_be(generated, wco):
    # The check on revisions read back from the database (a row changed outside the bot is
    # refused) must pass every revision the bot itself writes: editors' and the data files'.
    agenda, _ = with_revisions(mini(), revisions_of(generated))
    records = [*agenda.records.values(), *wco.records.values()]
    for revision in (revision for record in records for revision in record.revisions):
        stored = json.loads(json.dumps(sets_to_data(revision.sets)))
        sources = json.loads(json.dumps(sources_to_data(revision.sources)))
        assert shape_problem(stored, sources) is None, revision
