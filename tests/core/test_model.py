from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.core import Kind, Meeting, Status, When

S = Status


@pytest.mark.parametrize(
    ("old", "new", "allowed"),
    [
        (S.PLANNED, S.CONFIRMED, True),
        (S.PLANNED, S.TENTATIVE, True),
        (S.TENTATIVE, S.CONFIRMED, True),
        (S.CONFIRMED, S.HELD, True),
        (S.CONFIRMED, S.POSTPONED, True),
        (S.POSTPONED, S.CONFIRMED, True),
        (S.CONFIRMED, S.CANCELLED, True),
        (S.HELD, S.HELD, True),
        (S.HELD, S.CANCELLED, False),
        (S.CANCELLED, S.CONFIRMED, False),
        (S.TENTATIVE, S.HELD, False),
        (S.POSTPONED, S.HELD, False),
    ],
)
def test_status_lifecycle(old, new, allowed):
    assert old.may_become(new) is allowed


def test_live_statuses():
    assert {s for s in Status if not s.is_live} == {S.POSTPONED, S.CANCELLED}


def _meeting(status: Status) -> Meeting:
    when = When.days(date(2016, 3, 2), date(2016, 3, 3), ZoneInfo("Europe/Brussels"))
    return Meeting("m", "M", ("ptc",), Kind.SESSION, when, status)


def test_a_held_meeting_was_confirmed_until_it_ended():
    meeting = _meeting(S.HELD)
    assert meeting.status_at(datetime(2015, 10, 23, tzinfo=UTC)) is S.CONFIRMED
    assert meeting.status_at(datetime(2016, 3, 3, 12, tzinfo=UTC)) is S.CONFIRMED
    assert meeting.status_at(datetime(2016, 3, 4, tzinfo=UTC)) is S.HELD


def test_other_statuses_do_not_depend_on_time():
    meeting = _meeting(S.CANCELLED)
    assert meeting.status_at(datetime(2015, 1, 1, tzinfo=UTC)) is S.CANCELLED


def test_kind_labels():
    assert Kind.JOINT_SESSION.label == "joint session"
