import copy
import pickle
from dataclasses import dataclass, fields
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.core import Kind, Meeting, Source, Status, When
from bot.core.model import Revision
from bot.core.pickling import quick_unpickling
from bot.core.revisions import MeetingRecord


def _meeting() -> Meeting:
    when = When.exact(datetime(2016, 3, 2, 9, 30), None, ZoneInfo("Europe/Brussels"))
    source = Source("Notice", "https://example.org/n", date(2016, 2, 1))
    revision = Revision(datetime(2016, 1, 1, tzinfo=UTC), {"title": "M"}, (source,))
    return Meeting(
        "m",
        "M",
        ("ptc",),
        Kind.SESSION,
        when,
        Status.CONFIRMED,
        sources=(source,),
        history=(revision,),
    )


def test_the_agenda_s_objects_read_back_from_a_pickle_as_they_were():
    meeting = _meeting()
    record = MeetingRecord("m", meeting.history, (meeting,))
    for value in (meeting, meeting.when, meeting.sources[0], meeting.history[0], record):
        again = pickle.loads(pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))
        assert again == value
        assert [getattr(again, f.name) for f in fields(again)] == [
            getattr(value, f.name) for f in fields(value)
        ]
        assert copy.copy(value) == value


def test_what_is_pickled_is_what_dataclasses_pickle():
    meeting = _meeting()
    state = meeting.__getstate__()  # type: ignore[attr-defined]
    assert state == [getattr(meeting, f.name) for f in fields(meeting)]


def test_only_a_dataclass_with_slots_is_accepted():
    @dataclass(frozen=True)
    class Plain:
        value: int

    with pytest.raises(TypeError, match="not a slot"):
        quick_unpickling(Plain)


@quick_unpickling
@dataclass(frozen=True, slots=True)
class _Base:
    first: int
    second: str = "b"


@dataclass(frozen=True)
class _Extended(_Base):
    third: tuple[int, ...] = ()


def test_a_subclass_with_fields_of_its_own_reads_back_every_field():
    # Regression (review): the base's quick __setstate__, inherited, set only the base's
    # slots; dataclasses' own, which it replaced, sets every field of the object's class.
    value = _Extended(1, "x", (2, 3))
    for again in (pickle.loads(pickle.dumps(value)), copy.copy(value), copy.deepcopy(value)):
        assert again == value
        assert again.third == (2, 3)
    assert pickle.loads(pickle.dumps(_Base(4))) == _Base(4)
