"""A delegate's questions, in their own words (English and French), as of the news item's day:
what the bot answers first (issue 14). The questions it does not answer well yet are in the
issue's closing note, not here."""

import pytest

from bot.core import Hit

QUESTIONS = [
    # (how it is asked, the first hit: "meeting:<id>" or "topic:<id>")
    ("Mathole", "topic:future-of-customs"),  # named only in a confidence note
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
