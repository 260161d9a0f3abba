"""A delegate's questions, in their own words (English and French), as of the news item's day:
what the bot answers first (issue 14)."""

import pytest

from bot.core import Hit

QUESTIONS = [
    # (how it is asked, the first hit: "meeting:<id>", "topic:<id>" or "person:<id>")
    ("Mathole", "person:m-mathole"),
    ("M. Mathole", "person:m-mathole"),  # the name the 2015 sources give
    ("OMD", "meeting:council-125-126"),
    ("Organisation mondiale des douanes", "meeting:council-125-126"),
    ("OMC conférence ministérielle", "meeting:wto-mc10"),
    ("Convention de Kyoto révisée", "topic:rkc"),
    ("convention de kyoto revisee", "topic:rkc"),  # accents folded
    ("opérateur économique agréé", "topic:aeo"),
    ("accord sur la facilitation des échanges", "topic:tfa"),
    ("impression 3D", "topic:3d-printing"),
    ("douane numérique", "topic:digital-customs"),
    ("commissionnaires en douane", "topic:customs-brokers"),
    ("Commission de politique générale", "meeting:pc-74"),
    ("3d printng", "topic:3d-printing"),  # a typo
    ("de minimis flexible", "topic:de-minimis"),
    ("RKC management committee de minimis", "topic:rkc"),  # it is in both topics
    ("kyoto de minimis", "topic:rkc"),
    ("IATA global standards", "person:iata"),
    ("API PNR Korea Japan", "topic:api-pnr"),
    ("EU Canada PNR", "topic:api-pnr"),
    ("selective use of brokers trade agreements", "topic:customs-brokers"),
    ("Korea licensed brokers 95%", "person:korea-customs-service"),
    ("IFCBA", "person:ifcba"),
    ("Brazil trade associations", "person:brazil-delegation"),
    ("Centers of Excellence and Expertise", "topic:public-private-partnership"),
    ("virtual expertise networks", "topic:public-private-partnership"),
    ("South Africa C21", "person:m-mathole"),
    ("coordinated border management", "topic:future-of-customs"),
    ("Haiti Morocco IT leadership", "topic:digital-customs"),
    ("Achieving Excellence in Customs", "topic:performance-measurement"),
    ("performance measurement without rankings", "topic:performance-measurement"),
    ("trade facilitation committees", "topic:tfa"),
    ("Van Kuik", "person:rob-van-kuik"),
    ("Gaozhang Zhu", "person:gaozhang-zhu"),  # the WCO's own spelling
    ("Zhangzhu Gao", "person:gaozhang-zhu"),  # the news item's
    ("Chinese delegation", "person:china-delegation"),
    ("joint session enforcement committee", "meeting:ptc-ec-joint-2016"),
    ("Mercator workshop Lome", "meeting:rtfw-wca-2015"),
    ("WTO ministerial Nairobi", "meeting:wto-mc10"),
    ("AEO conference", "meeting:aeo-global-3"),
]


def first_hit(wco_service, query: str) -> str:
    result = wco_service.library().search.search(query)
    assert result.hits, f"nothing found for {query!r}"
    hit: Hit = result.hits[0]
    return f"{hit.kind}:{hit.id}"


@pytest.mark.parametrize(("asked", "expected"), QUESTIONS, ids=[q for q, _ in QUESTIONS])
def test_the_first_hit(wco_service, asked, expected):
    assert first_hit(wco_service, asked) == expected


@pytest.mark.parametrize(
    "asked", ["Comité technique permanent", "comite technique permanent", "CTP"]
)
def test_french_names_are_names_not_typos(wco_service, asked):
    # Regression (issue 14): "comite" was corrected to "come".
    result = wco_service.library().search.search(asked)
    assert result.corrected == {}
    first = wco_service.agenda.meetings[result.hits[0].id]
    assert "ptc" in first.bodies


def test_one_shared_word_is_not_a_match(wco_service):
    # Regression (issue 14): "/meeting Pacific Customs Forum" answered with the WCO Council,
    # which shares the word "Customs" with it.
    reply = wco_service.meeting("Pacific Customs Forum")
    assert reply.title == "No meeting matches 'Pacific Customs Forum'"
    assert "`/search Pacific Customs Forum`" in reply.body
    assert wco_service.meeting("Commission de politique générale").title == (
        "Policy Commission, 74th Session"
    )
    assert wco_service.meeting("the council").title == "WCO Council, 125th/126th Sessions"


DATED_QUESTIONS = [
    # The period named is a filter, the other words rank within it (as of 23 October 2015).
    ("what's on in March 2016", "ptc-ec-joint-2016"),
    ("réunions mars 2016", "ptc-ec-joint-2016"),
    ("December", "wto-mc10"),  # the next December
    ("PTC in 2016", "ptc-211-212"),
    ("workshop May 2015", "rtfw-eur-2015"),
]


@pytest.mark.parametrize(
    ("asked", "expected"), DATED_QUESTIONS, ids=[q for q, _ in DATED_QUESTIONS]
)
def test_dates_in_a_question_are_dates(wco_service, asked, expected):
    reply = wco_service.search(asked)
    assert reply.fields, reply.markdown()
    assert reply.fields[0].value.endswith(f"`/meeting {expected}`")
    assert reply.body.startswith("Meetings in ")


def test_a_period_with_nothing_in_it_says_which_period(wco_service):
    reply = wco_service.search("PTC next month")
    assert reply.title == "Nothing found for 'PTC next month'"
    assert reply.body.startswith("Meetings in next month (November 2015).")


def test_a_year_without_meetings_is_just_words(wco_service):
    # "1999": the year the Kyoto Convention was revised, and of no meeting in the agenda.
    reply = wco_service.search("kyoto 1999")
    assert not reply.body.startswith("Meetings in ")
    assert reply.fields[0].name == "Topic: Revised Kyoto Convention (RKC)"


PEOPLE_QUESTIONS = [
    # "who ..." puts people first, within the period the question names if it names one.
    ("who chaired the PTC in October 2015", "Person: Rob Van Kuik (Netherlands)"),
    ("who opened the PTC in October 2015", "Person: Gaozhang Zhu"),
    ("who presented 3D printing", "Delegation: China's delegation"),
    ("who presented C21", "Person: M. Mathole (South Africa)"),
    ("who spoke about PNR with Canada", "Delegation: European Union"),
    ("Who presented licensed brokers", "Delegation: Korea Customs Service"),
]


@pytest.mark.parametrize(
    ("asked", "expected"), PEOPLE_QUESTIONS, ids=[q for q, _ in PEOPLE_QUESTIONS]
)
def test_who_questions_answer_with_people(wco_service, asked, expected):
    reply = wco_service.search(asked)
    assert reply.title == f"Search: {asked}"
    assert reply.fields[0].name == expected, reply.markdown()


def test_a_person_hit_shows_the_role_the_words_ask_about(wco_service):
    reply = wco_service.search("Korea licensed brokers 95%")
    assert reply.fields[0].value == (
        "Permanent Technical Committee, 209th/210th Sessions (Wed 14 – Fri 16 Oct 2015): "
        "presented its licensed-broker system, which handles 95% of declarations.\n"
        "`/who korea-customs-service`"
    )


@pytest.mark.parametrize("asked", ["next PTC", "prochaine réunion du CTP", "upcoming PTC"])
def test_next_means_the_soonest_still_to_come(wco_service, asked):
    # Regression (issue 14): "next PTC" put the API/PNR committee's undated "next meeting" first.
    reply = wco_service.search(asked)
    assert reply.body.startswith("Meetings still to come. "), reply.body
    assert reply.body.endswith("in date order.")
    assert reply.fields[0].value.endswith("`/meeting ptc-211-212`")


def test_next_with_nothing_coming_says_so(wco_service):
    # Regression (review of issue 14): "next Council" fell back to searching the word "next"
    # and showed the Council that had met, best first.
    reply = wco_service.search("next Council")  # the 2015 Council has met; 2016's is not known
    assert reply.title == "Nothing found for 'next Council'"
    assert reply.body.startswith("Meetings still to come. Try fewer or other words")


def test_next_finds_every_meeting_coming_not_only_the_first_hits(wco_service):
    # Regression (review of issue 14): the hits were cut at the number of meetings, with
    # topics and people among them, and PC 74 and MC10 went missing from "next WCO".
    reply = wco_service.search("next WCO")
    shown = [f.value.rsplit("`/meeting ", 1)[1].rstrip("`") for f in reply.fields]
    assert {"pc-74", "wto-mc10"} <= set(shown)


def test_next_week_with_nothing_in_it_is_still_next_week(wco_service):
    # Regression (review of issue 14): an empty "next week" became the words "next week".
    reply = wco_service.search("next week")
    assert reply.title == "Nothing found for 'next week'"
    assert reply.body.startswith("Meetings in next week (from Mon 26 Oct 2015).")
