"""The bundled WCO data set holds what the news item and the reference say, at their precision."""

from datetime import date

import pytest

from bot.core import Kind, Precision, Status


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
