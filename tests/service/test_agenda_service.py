"""The service's replies: exact text where the words matter, tone where the kind matters."""

from datetime import UTC, datetime

import icalendar
import pytest

from bot.core import Completion, FixedClock, Tone
from bot.service import AgendaService, CommandRunner


def test_next_reply_text(mini_service):
    reply = mini_service.next_meeting()
    assert reply.title == "Under way: Regional workshop, Americas"
    assert reply.fields[0].value == (
        "Mon 29 Feb – Tue 1 Mar 2016 · Cancún, Mexico · confirmed · under way, day 2 of 2\n"
        "`/meeting workshop-west`"
    )
    assert reply.fields[1].name == "After that"
    assert reply.footer == "As of 1 March 2016"


def test_next_shows_a_meeting_known_only_by_its_month(wco):
    # Regression (issue 8): /next RKC Management Committee said nothing was coming although its
    # 15th meeting was known as November 2016 (announced on 1 November 2016).
    service = AgendaService(wco, FixedClock(datetime(2016, 11, 5, tzinfo=UTC)))
    reply = service.next_meeting("RKC Management Committee")
    assert reply.tone is Tone.INFO
    assert reply.title.endswith(": Revised Kyoto Convention Management Committee, 15th Meeting")
    assert reply.fields[0].value == (
        "November 2016 (days not yet known) · confirmed\n`/meeting rkc-mc-15`"
    )


def test_meeting_reply_shows_venue_time_and_reader_time(mini_service):
    reply = mini_service.meeting("board 12")
    assert reply.title == "Board of Directors, 12th Meeting"
    when = reply.fields[0]
    assert when.name == "When"
    assert when.value == (
        "Fri 4 Mar 2016, 14:00–17:30 CET (Brussels time); Fri 4 Mar 2016, 13:00–16:30 UTC your "
        "time (in 3 days)\nVenue time zone: Europe/Brussels"
    )
    assert reply.footer == "id board-12 · revision 2 · updated 2016-02-01"


def test_undated_meetings_say_so(mini_service):
    assert mini_service.meeting("tc-next").fields[0].value.startswith("date TBA")
    assert (
        mini_service.meeting("summit 2016")
        .fields[0]
        .value.startswith("November 2016 (days not yet known)")
    )
    assert (
        mini_service.meeting("tc-8")
        .fields[0]
        .value.startswith("2016 (month and day not yet known)")
    )


def test_unknown_meeting_is_not_found_with_what_to_type(mini_service):
    reply = mini_service.meeting("xyzzy plugh")
    assert reply.tone is Tone.NOT_FOUND
    assert reply.title == "No meeting matches 'xyzzy plugh'"
    assert "`/search xyzzy plugh`" in reply.body


def test_close_names_are_suggested(wco_service):
    reply = wco_service.topic("customs")
    assert reply.tone is Tone.NOT_FOUND
    assert reply.body.startswith("Did you mean:\n• ")
    assert "`/topic " in reply.body


@pytest.mark.parametrize(
    ("call", "title"),
    [
        (lambda s: s.agenda_list(kind="seminar"), "That filter does not work"),
        (lambda s: s.agenda_list(status="finished"), "That filter does not work"),
        (lambda s: s.agenda_list(body="zzzz"), "No body matches 'zzzz'"),
        (lambda s: s.agenda_list(topic="zzzz"), "No topic matches 'zzzz'"),
        (lambda s: s.next_meeting(body="zzzz"), "No body matches 'zzzz'"),
        (lambda s: s.calendar(body="zzzz"), "No body matches 'zzzz'"),
        (lambda s: s.meeting("   "), "Which meeting?"),
        (lambda s: s.topic(""), "Which topic?"),
        (lambda s: s.search("?!"), "What should I look for?"),
        (lambda s: s.help("frobnicate"), "There is no /frobnicate command"),
    ],
)
def test_bad_input_is_answered_with_what_to_do(mini_service, call, title):
    reply = call(mini_service)
    assert reply.is_error
    assert reply.title == title
    assert "`" in reply.body  # names a command or value to type instead


def test_kind_filter_is_tolerant_of_spaces(mini_service):
    reply = mini_service.agenda_list(kind="joint session")
    assert [f.name for f in reply.fields] == ["Joint Board and Technical Committee session"]


def test_body_all_means_no_filter(mini_service):
    assert mini_service.agenda_list(body="all").title == "Upcoming meetings"


def test_agenda_paging_names_the_next_command(wco_service):
    reply = wco_service.agenda_list(body="ptc", past=True)
    assert reply.paging is not None
    assert reply.paging.command == "/agenda body:ptc past:yes"


def test_nothing_upcoming_points_to_as_of(wco):
    from datetime import UTC, datetime

    from bot.core import FixedClock
    from bot.service import AgendaService

    service = AgendaService(wco, FixedClock(datetime(2026, 11, 26, tzinfo=UTC)))
    reply = service.next_meeting()
    assert reply.tone is Tone.NOT_FOUND
    assert "`--as-of 2015-10-23`" in reply.body
    assert "Not yet dated:" not in reply.body or "TBA" not in reply.body


def test_calendar_reply_attaches_a_parseable_file_and_lists_what_was_left_out(mini_service):
    reply = mini_service.calendar(body="tech", alarms=True)
    assert reply.attachment.filename == "agenda-tech.ics"
    assert reply.attachment.media_type == "text/calendar; charset=utf-8"
    calendar = icalendar.Calendar.from_ical(reply.attachment.content)
    assert {str(e["UID"]).split("@")[0] for e in calendar.walk("VEVENT")} == {
        "tc-7",
        "tc-joint",
        "workshop-west",
        "cancelled-1",
    }
    assert "Left out, no day known yet: Technical Committee, 8th Session, Technical " in reply.body
    assert str(calendar["X-WR-CALNAME"]) == "Test Forum agenda: TC"


def test_calendar_topic_filter(mini_service):
    calendar = icalendar.Calendar.from_ical(
        mini_service.calendar(topic="drones").attachment.content
    )
    assert {str(e["UID"]).split("@")[0] for e in calendar.walk("VEVENT")} == {
        "workshop-west",
        "tc-7",
        "board-12",
    }


def test_search_reply_reports_corrections(wco_service):
    reply = wco_service.search("3d printng")
    assert reply.body.startswith("Searched 'printing' for 'printng'.")
    assert reply.fields[0].name == "Topic: 3D printing"


@pytest.mark.parametrize(
    ("options", "title"),
    [
        ({"page": "two"}, "That option does not work"),
        ({"page": "0"}, "That option does not work"),
        ({"past": "maybe"}, "That option does not work"),
    ],
)
async def test_execute_validates_text_options(mini_service, options, title):
    reply = await CommandRunner(mini_service).run("agenda", options)
    assert reply.title == title
    assert "page:2" in reply.body or "past:yes" in reply.body


async def test_execute_runs_every_command(mini_service):
    from bot.core import COMMANDS

    for command in COMMANDS:
        options = {o.name: "x" for o in command.options if o.required}
        reply = await CommandRunner(mini_service).run(command.name, options)
        assert reply.title


@pytest.mark.parametrize(
    ("what", "typed", "first"),
    [
        (Completion.TOPIC, "3d", "3d-printing"),
        (Completion.TOPIC, "pnr", "api-pnr"),
        (Completion.BODY, "policy comm", "policy-commission"),
        (Completion.MEETING, "ptc 211", "ptc-211-212"),
        (Completion.COMMAND, "to", "topics"),
    ],
)
def test_autocomplete(wco_service, what, typed, first):
    choices = wco_service.complete(what, typed)
    assert 0 < len(choices) <= 25
    assert first in [value for _, value in choices]
    assert all(len(label) <= 100 for label, _ in choices)


def test_autocomplete_with_nothing_typed_offers_upcoming_meetings(wco_service):
    choices = wco_service.complete(Completion.MEETING, "")
    # Bogotá's workshop ended on 22 October, local time: Lomé's is next.
    assert choices[0][1] == "rtfw-wca-2015"
    assert len(choices) <= 25


def test_no_stored_revisions_keep_the_agenda_loaded_with_its_search_index(wco):
    # Issue 16, start-up: with no edit in the database, reading them rebuilt the agenda's
    # indexes (0.4 s at 10,000 meetings) and dropped the search index read from the cache.
    from dataclasses import replace

    from bot.core import Library

    library = Library.build(wco)
    service = AgendaService(library, FixedClock(datetime(2100, 1, 1, tzinfo=UTC)))
    service.set_revisions({})
    assert service.library() is library
    assert service.library().has_search
    first = wco.records["ptc-211-212"].revisions[0]
    retitled = replace(first, sets={**first.sets, "title": "Retitled"})
    service.set_revisions({"ptc-211-212": [retitled]})  # some: built with them
    assert service.agenda.meetings["ptc-211-212"].title == "Retitled"
    service.set_revisions({})  # none again: built without them
    assert service.library() is not library
    assert service.agenda == wco
