"""The bundled WCO data set holds what the news item and the reference say, at their precision."""

from datetime import UTC, date, datetime, timedelta

import pytest

from bot.core import Kind, Precision, Status
from bot.core.revisions import epochs, view_at
from tests.conftest import NEWS_DAY


@pytest.mark.parametrize(
    ("meeting_id", "first", "last", "zone"),
    [
        ("ptc-209-210", date(2015, 10, 14), date(2015, 10, 16), "Europe/Brussels"),
        ("rtfw-ams-2015", date(2015, 10, 20), date(2015, 10, 22), "America/Bogota"),
        ("rtfw-wca-2015", date(2015, 11, 17), date(2015, 11, 19), "Africa/Lome"),
        ("pc-74", date(2015, 12, 8), date(2015, 12, 10), "America/Santo_Domingo"),
        ("wto-mc10", date(2015, 12, 15), date(2015, 12, 19), "Africa/Nairobi"),
        ("ec-35", date(2016, 2, 29), date(2016, 3, 3), "Europe/Brussels"),
        ("ptc-211-212", date(2016, 3, 2), date(2016, 3, 3), "Europe/Brussels"),
        ("ptc-ec-joint-2016", date(2016, 3, 4), date(2016, 3, 4), "Europe/Brussels"),
        ("aeo-global-3", date(2016, 5, 11), date(2016, 5, 13), "America/Cancun"),
        ("council-127-128", date(2016, 7, 14), date(2016, 7, 16), "Europe/Brussels"),
        ("tfa-eif", date(2017, 2, 22), date(2017, 2, 22), "Europe/Zurich"),
    ],
)
def test_forward_agenda_dates(wco, meeting_id, first, last, zone):
    when = wco.meetings[meeting_id].when
    assert (when.first_day, when.last_day, when.zone.key) == (first, last, zone)
    assert when.precision is Precision.DAY


def test_every_precision_is_exercised(wco):
    precisions = {m.when.precision for m in wco.meetings.values()}
    assert {Precision.DAY, Precision.MONTH, Precision.YEAR, Precision.TBA} <= precisions


def test_the_joint_session_belongs_to_both_committees(wco):
    joint = wco.meetings["ptc-ec-joint-2016"]
    assert joint.kind is Kind.JOINT_SESSION
    assert len(joint.bodies) == 2 and "ptc" in joint.bodies


def test_every_meeting_has_a_source_and_inferred_facts_say_so(wco):
    for meeting in wco.meetings.values():
        assert meeting.sources, meeting.id
    for inferred in ("pc-74", "aeo-global-3", "ptc-211-212"):
        assert wco.meetings[inferred].confidence, inferred


def test_undated_meetings_have_no_invented_day(wco):
    for meeting in wco.meetings.values():
        if meeting.when.precision is Precision.TBA:
            assert meeting.status is not Status.HELD


def test_news_item_subjects_are_topics(wco, wco_service):
    for subject in [
        "Future of Customs",
        "C21",
        "public-private partnership",
        "AEC",
        "performance measurement",
        "customs brokers",
        "digital customs",
        "3D printing",
        "API/PNR",
        "RKC",
        "de minimis",
        "TFA",
        "Mercator",
        "AEO",
    ]:
        assert wco_service.index.find_topic(subject).found, subject
    for topic in wco.topics.values():
        assert topic.summary and topic.sources, topic.id


def test_the_policy_committee_is_the_policy_commission(wco_service):
    assert wco_service.index.find_body("Policy Committee").found == "policy-commission"


# What became known when: the bundled meetings are dated by their sources, so the agenda seen on
# the news item's day holds what the item and the earlier context announced, and nothing later.
NEWS_ITEM = datetime(2015, 10, 23, tzinfo=UTC)  # the start of the day, as `--as-of 2015-10-23`
AFTER_THE_PTC = datetime(2016, 3, 10, tzinfo=UTC)


@pytest.mark.parametrize("instant", [NEWS_ITEM, NEWS_DAY])
def test_nothing_announced_after_the_news_item_is_known_on_its_day(wco, instant):
    seen = view_at(wco, instant)
    for later in ("tfa-eif", "ptc-213-214", "council-127-128", "ec-35", "pc-75", "pc-76"):
        assert later not in seen.meetings, later
    for meeting in seen.meetings.values():
        assert meeting.history[0].known <= instant, meeting.id
    news_item = {"ptc-211-212", "ptc-ec-joint-2016", "pc-74", "aeo-global-3", "rtfw-wca-2015"}
    context = {"aeo-global-1", "pc-72", "ptc-207-208", "rtfw-eur-2015", "council-125-126"}
    assert news_item | context | {"ptc-209-210"} <= set(seen.meetings)
    for held in context | {"ptc-209-210"}:
        assert seen.meetings[held].status_at(instant) is Status.HELD, held


def test_no_outcome_is_known_before_its_meeting_ended(wco):
    # Every instant at which the bundled agenda changes, and the news item's day.
    for instant in [NEWS_ITEM, NEWS_DAY, AFTER_THE_PTC, *epochs(wco)]:
        for meeting in view_at(wco, instant).meetings.values():
            if meeting.outcome:
                assert meeting.when.has_ended(instant), (meeting.id, instant)
                assert meeting.status is Status.HELD, (meeting.id, instant)


def test_the_news_item_gave_the_ptc_2_to_4_march_and_the_rest_by_year_or_not_at_all(wco):
    seen = view_at(wco, NEWS_ITEM).meetings
    ptc = seen["ptc-211-212"]
    assert (ptc.when.first_day, ptc.when.last_day) == (date(2016, 3, 2), date(2016, 3, 4))
    assert ptc.status is Status.CONFIRMED and not ptc.outcome
    assert seen["aeo-global-3"].when.precision is Precision.YEAR
    assert seen["aeo-global-3"].venue == ""
    assert seen["pc-74"].when.precision is Precision.TBA
    assert "Punta Cana" not in seen["pc-74"].venue + " ".join(seen["pc-74"].aliases)
    assert not seen["pc-74"].outcome


def test_after_it_met_the_ptc_is_held_on_its_real_days_with_an_outcome(wco):
    ptc = view_at(wco, AFTER_THE_PTC).meetings["ptc-211-212"]
    assert (ptc.when.first_day, ptc.when.last_day) == (date(2016, 3, 2), date(2016, 3, 3))
    assert ptc.status_at(AFTER_THE_PTC) is Status.HELD
    assert "Globally Networked Customs Handbook" in ptc.outcome_at(AFTER_THE_PTC)
    assert len(ptc.history) == 2


def test_people_are_known_only_once_their_roles_were_reported(wco):
    # The October 2015 PTC's report came out on 23 October: its chair is unknown the day before.
    assert view_at(wco, NEWS_ITEM - timedelta(seconds=1)).people == {}
    on_the_day = view_at(wco, NEWS_ITEM).people
    assert [r.meeting for r in on_the_day["rob-van-kuik"].roles] == ["ptc-209-210"]
    assert "ana-hinojosa" not in on_the_day and "amina-mohamed" not in on_the_day
    # Amina Mohamed's chair of MC10 is known from its end, midnight in Nairobi (UTC+3).
    mc10_ended = datetime(2015, 12, 19, 21, 0, tzinfo=UTC)
    assert mc10_ended in epochs(wco)
    assert "amina-mohamed" not in view_at(wco, mc10_ended - timedelta(seconds=1)).people
    assert "amina-mohamed" in view_at(wco, mc10_ended).people
    later = view_at(wco, AFTER_THE_PTC).people
    assert "ana-hinojosa" in later and len(later["rob-van-kuik"].roles) == 1


def test_a_person_s_summary_says_nothing_known_only_later(wco):
    for person in wco.people.values():
        first = min(role.known or wco.meetings[role.meeting].when.end_utc for role in person.roles)
        for year in range(first.year + 1, 2030):
            assert str(year) not in person.summary, (person.id, year)


def test_every_role_has_a_source(wco):
    for person in wco.people.values():
        for role in person.roles:
            assert role.sources, (person.id, role.meeting)


def test_no_bundled_source_claims_a_check_that_was_not_made(wco):
    # Issue 14: the data set stamped every source "verified" on one day. No source of the
    # bundled set has been checked since its references were gathered, so none says verified.
    sources = [s for m in wco.meetings.values() for s in m.sources]
    sources += [s for t in wco.topics.values() for s in t.sources]
    sources += [s for b in wco.bodies.values() for s in b.sources]
    sources += [s for p in wco.people.values() for r in p.roles for s in (*p.sources, *r.sources)]
    assert sources and all(s.verified is None for s in sources)
