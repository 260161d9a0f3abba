import random
from datetime import UTC, datetime, timedelta
from itertools import pairwise

import pytest

from bot.core import AgendaFilter, AgendaIndex, Kind, Status
from tests.conftest import MINI_DAY, NEWS_DAY


@pytest.fixture(scope="module")
def index(mini):
    return AgendaIndex(mini)


@pytest.fixture(scope="module")
def wco_index(wco):
    return AgendaIndex(wco)


def ids(page):
    return [m.id for m in page.items]


def test_upcoming_lists_ongoing_dated_then_undated(index):
    page = index.upcoming(MINI_DAY)
    assert ids(page) == [
        "tc-8",  # 2016, not over: sorted by its first possible day
        "workshop-west",  # under way in Cancún
        "tc-7",
        "cancelled-1",
        "tc-joint",  # Auckland's 5 March starts before Brussels' 4 March afternoon
        "board-12",
        "deadline",
        "summit-2016",
        "tc-next",  # TBA last
    ]


def test_past_is_most_recent_first(index):
    assert ids(index.past(datetime(2016, 4, 1, tzinfo=UTC))) == [
        "deadline",
        "tc-joint",
        "board-12",
        "cancelled-1",
        "tc-7",
        "workshop-west",
    ]


@pytest.mark.parametrize(
    ("where", "expected"),
    [
        (AgendaFilter(body="board"), ["tc-joint", "board-12", "deadline", "summit-2016"]),
        (AgendaFilter(kind=Kind.WORKSHOP), ["workshop-west", "cancelled-1"]),
        (AgendaFilter(topic="drones"), ["workshop-west", "tc-7", "board-12"]),
        (AgendaFilter(status=Status.CANCELLED), ["cancelled-1"]),
        (AgendaFilter(body="tech", kind=Kind.SESSION), ["tc-8", "tc-7", "tc-next"]),
    ],
)
def test_filters(index, where, expected):
    assert ids(index.upcoming(MINI_DAY, where)) == expected


def test_status_filter_uses_the_status_as_known_then(index):
    # tc-7 is stored as held; before it ended it was confirmed.
    confirmed = ids(index.upcoming(MINI_DAY, AgendaFilter(status=Status.CONFIRMED)))
    assert "tc-7" in confirmed


def test_paging(index):
    first = index.upcoming(MINI_DAY, size=4)
    assert (first.number, first.pages, first.total, len(first.items)) == (1, 3, 9, 4)
    last = index.upcoming(MINI_DAY, page=3, size=4)
    assert ids(last) == ["tc-next"]
    assert index.upcoming(MINI_DAY, page=99, size=4).number == 3  # clamped, never empty


def test_next_is_the_meeting_under_way(index):
    found = index.next(MINI_DAY)
    assert [m.id for m in found.ongoing] == ["workshop-west"]
    assert found.first.id == "workshop-west"
    assert [m.id for m in found.upcoming] == ["tc-7", "tc-joint"]  # cancelled skipped


def test_next_reports_undated_meetings_that_may_come_first(index):
    found = index.next(datetime(2016, 3, 1, 12, tzinfo=UTC))
    assert found.first.id == "workshop-west"
    assert [m.id for m in found.undated_before] == ["tc-8"]  # "2016" may come before it


def test_next_with_nothing_dated_leads_with_the_month_or_year_known_ones_in_order(index):
    # Regression (issue 8): with no dated meeting ahead, /next said nothing was coming.
    found = index.next(datetime(2016, 4, 1, tzinfo=UTC))
    assert [m.id for m in found.upcoming] == ["tc-8", "summit-2016"]
    assert found.first.id == "tc-8" and not found.undated_before


def test_next_lists_month_known_meetings_after_the_first_at_their_place(wco_index):
    found = wco_index.next(NEWS_DAY, "policy-commission")
    assert [m.id for m in found.upcoming] == ["pc-74", "pc-75", "pc-76"]


def test_next_for_a_body(index):
    found = index.next(datetime(2016, 3, 4, 12, tzinfo=UTC), "board")
    assert found.first.id == "tc-joint"  # under way: it is already 5 March in Auckland
    assert found.ongoing


def test_next_after_everything_is_empty(index):
    found = index.next(datetime(2030, 1, 1, tzinfo=UTC))
    assert found.first is None and not found.undated_before


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("PTC 211", "ptc-211-212"),
        ("ptc 212", "ptc-211-212"),
        ("211th PTC", "ptc-211-212"),
        ("ptc-211-212", "ptc-211-212"),
        ("Permanent Technical Committee 211", "ptc-211-212"),
        ("policy committee", "pc-74"),
        ("Policy Commission", "pc-74"),
        ("AEO conference", "aeo-global-3"),
        ("global aeo conferense", "aeo-global-3"),
        ("Punta Cana", "pc-74"),
        ("nairobi ministerial", "wto-mc10"),
        ("MC10", "wto-mc10"),
        ("bogota workshop", "rtfw-ams-2015"),
        ("Lomé", "rtfw-wca-2015"),
        ("joint session", "ptc-ec-joint-2016"),
    ],
)
def test_find_meeting_as_people_type_it(wco_index, query, expected):
    assert wco_index.find_meeting(query, NEWS_DAY).found == expected


def test_a_body_name_means_its_next_meeting_or_else_its_latest(wco_index):
    assert wco_index.find_meeting("PTC", NEWS_DAY).found == "ptc-211-212"
    later = datetime(2030, 1, 1, tzinfo=UTC)
    assert wco_index.find_meeting("PTC", later).found == "ptc-213-214"


def test_no_meeting_match_gives_suggestions_or_nothing(wco_index):
    assert wco_index.find_meeting("xyzzy", NEWS_DAY).found is None
    vague = wco_index.find_meeting("comittee", NEWS_DAY)
    assert vague.found is None or vague.suggestions


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("3d printing", "3d-printing"),
        ("3d printng", "3d-printing"),
        ("additive manufacturing", "3d-printing"),
        ("PNR", "api-pnr"),
        ("passenger data", "api-pnr"),
        ("kyoto", "rkc"),
        ("Revised Kyoto Convention", "rkc"),
        ("de minimis", "de-minimis"),
        ("C21", "future-of-customs"),
        ("future of custom", "future-of-customs"),
        ("mercator", "mercator"),
        ("AEC", "performance-measurement"),
        ("brokers", "customs-brokers"),
        ("digital customs", "digital-customs"),
        ("TFA", "tfa"),
        ("AEO", "aeo"),
    ],
)
def test_find_topic_forgives_aliases_and_typos(wco_index, query, expected):
    assert wco_index.find_topic(query).found == expected


@pytest.mark.parametrize("query", ["", "   ", "zzzzzz", "!!!"])
def test_find_topic_without_a_match(wco_index, query):
    assert wco_index.find_topic(query).found is None


@pytest.mark.parametrize("agenda", ["wco", "mini"])
def test_next_kept_between_starts_and_ends_is_what_the_meetings_give_at_any_instant(
    agenda, request
):
    # Issue 16: /next's answer is kept from one start or end of a meeting to the next. At
    # those instants, just before and after them, and between them, in an order that goes
    # back and forth, it is what walking the meetings around that instant finds.
    index = AgendaIndex(request.getfixturevalue(agenda))
    timelines = [index._timeline, *index._body_timelines.values()]
    microsecond = timedelta(microseconds=1)
    for timeline in timelines:
        instants = timeline._instants()
        asked = [at + step for at in instants for step in (-microsecond, timedelta(0), microsecond)]
        asked += [a + (b - a) / 2 for a, b in pairwise(instants)]
        random.Random(16).shuffle(asked)  # back and forth
        for count in (3, 1):
            for at in asked:
                assert timeline.around(at, count) == timeline._around(at, count), (at, count)
