"""People as data (issue 14): who chaired, opened or presented what, in /meeting, /topic, /who
and autocomplete, as of the news item's day."""

import pytest

from bot.core import Completion


def field(reply, name):
    return next(f.value for f in reply.fields if f.name == name)


def test_the_meeting_says_who_chaired_opened_and_presented(wco_service):
    reply = wco_service.meeting("PTC 209")
    assert field(reply, "People") == (
        "Chaired: Rob Van Kuik (Netherlands)\n"
        "Opened: Gaozhang Zhu, WCO Director of Compliance and Facilitation\n"
        "Presented: Matome Mathole (South Africa), Brazil's Receita Federal, China's delegation, "
        "Haiti's delegation, IFCBA, Japan Customs, Korea Customs Service, Morocco's delegation, "
        "US Customs and Border Protection\n"
        "Reported: European Union\n"
        "Urged: IATA\n"
        "`/who <name>` tells what each did."
    )


def test_a_meeting_without_people_has_no_people_field(wco_service):
    assert "People" not in [f.name for f in wco_service.meeting("PTC 211").fields]


def test_the_topic_says_who_spoke_to_it(wco_service):
    reply = wco_service.topic("3d printing")
    assert field(reply, "People") == (
        "China's delegation: presented a study of what 3D printing means for Customs: "
        "intellectual property, safety, and what counts as goods (Permanent Technical "
        "Committee, 209th/210th Sessions; `/who china-delegation`)"
    )


def test_who_shows_each_role_with_its_meeting_and_sources(wco_service):
    reply = wco_service.who("Zhangzhu Gao")
    assert reply.title == "Person: Gaozhang Zhu"
    assert [f.name for f in reply.fields] == [
        "Also written",
        "Permanent Technical Committee, 209th/210th Sessions (Wed 14 – Fri 16 Oct 2015)",
        "Sources",
    ]
    assert reply.fields[1].value == (
        "Opened the sessions, at his last PTC as Director.\n"
        "As WCO Director of Compliance and Facilitation.\n"
        "Not verified: The news item and the WCO give his name in different orders; which one "
        "he uses was not checked.\n"
        "`/meeting ptc-209-210`"
    )
    assert reply.footer == "id gaozhang-zhu"


def test_who_lists_a_delegation_s_roles_and_each_source_once(wco_service):
    reply = wco_service.who("Korea")
    assert reply.title == "Delegation: Korea Customs Service"
    sources = field(reply, "Sources")
    assert sources.count("regfollower.com") == 1


@pytest.mark.parametrize("typed", ["Van Kiuk", "van kuik", "Netherlands", "rob-van-kuik"])
def test_who_forgives_typos_and_knows_countries(wco_service, typed):
    assert wco_service.who(typed).title == "Person: Rob Van Kuik (Netherlands)"


@pytest.mark.parametrize(
    ("typed", "title"),
    [
        ("", "Who?"),
        ("xyzzy", "No person matches 'xyzzy'"),
        ("Ana Hinojosa", "No person matches 'Ana Hinojosa'"),  # she opens the PTC in 2016
    ],
)
def test_who_says_what_to_type_instead(wco_service, typed, title):
    reply = wco_service.who(typed)
    assert reply.title == title and reply.is_error


def test_people_are_completed_by_name(wco_service):
    assert wco_service.complete(Completion.PERSON, "zhang")[0] == ("Gaozhang Zhu", "gaozhang-zhu")
    assert ("Rob Van Kuik (Netherlands)", "rob-van-kuik") in wco_service.complete(
        Completion.PERSON, ""
    )
