"""The benches measure what they say: their set-ups hold what they time."""

from bench.fanout import AS_OF, DUE, LEAD, MEETING
from bot.core import FixedClock
from bot.service import BUNDLED_DATA, AgendaService, load_agenda


def test_the_fan_out_bench_fans_out_a_meeting_on_the_agenda_at_its_date():
    # Regression: the bench lived at a date before its meeting was announced, so the agenda it
    # saw did not hold the meeting, the fan-out had no destinations, and it printed 0.00 s.
    service = AgendaService(load_agenda(BUNDLED_DATA), FixedClock(AS_OF))
    meeting = service.agenda.meetings[MEETING]
    assert meeting.when.start_utc - LEAD == DUE > AS_OF
    assert LEAD in service.agenda.ladders.for_kind(meeting.kind)
