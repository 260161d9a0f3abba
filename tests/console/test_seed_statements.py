"""Every statement of the news item the product starts from (../shared/seed) is in the bundled
data, with a source, and the bot answers it as of the news item's day (issue 14)."""

import io

import pytest

from bot.console import Console
from bot.service import CommandRunner

WCO_ITEM = "https://www.wcoomd.org/zh-cn/media/newsroom/2015/october/topics-related-to-the-future-of-customs.aspx"
REGFOLLOWER = "https://regfollower.com/world-customs-organization-discusses-the-future-of-customs"

STATEMENTS = [
    # (the statement, what is asked, what the answer says, a source it gives)
    (
        "Chaired by Mr. Rob Van Kuik of the Netherlands",
        "/meeting PTC 209",
        "Chaired: Rob Van Kuik (Netherlands)",
        REGFOLLOWER,
    ),
    (
        "opened with remarks from Mr. Zhangzhu Gao, WCO Director of Compliance and Facilitation",
        "/who Zhangzhu Gao",
        "Opened the sessions, at his last PTC as Director.\nAs WCO Director of Compliance and "
        "Facilitation.",
        WCO_ITEM,
    ),
    (
        "South Africa's representative, Mr. M. Mathole, presented the Virtual Working Group on "
        "the Future of Customs' progress in evaluating C21",
        "/topic future of customs",
        "South Africa's representative, Mr M. Mathole, reported on the group's review of C21",
        WCO_ITEM,
    ),
    (
        "China's delegation highlighted 3D printing's implications for customs",
        "/topic 3d printing",
        "China's delegation presented a study",
        WCO_ITEM,
    ),
    (
        "The EU shared updates on its PNR agreement with Canada",
        "/topic PNR",
        "the EU reported on its draft PNR agreement with Canada",
        REGFOLLOWER,
    ),
    (
        "Korea and Japan demonstrated successful implementations of WCO standards",
        "/topic PNR",
        "Korea and Japan showed how they had put the WCO's standards into practice",
        REGFOLLOWER,
    ),
    (
        "IATA urged alignment with global standards to reduce compliance burdens",
        "/topic PNR",
        "IATA asked that national rules follow the global standards",
        REGFOLLOWER,
    ),
    (
        "The RKC Management Committee clarified flexible interpretations of de minimis",
        "/topic kyoto",
        "the Management Committee told the PTC that the Convention can be read flexibly on de "
        "minimis thresholds",
        WCO_ITEM,
    ),
    (
        "(the same, in the de minimis topic)",
        "/topic de minimis",
        "the RKC Management Committee's report to the October 2015 PTC confirmed that the "
        "Convention can be read flexibly",
        WCO_ITEM,
    ),
    (
        "U.S. Customs and Border Protection presented its Centers of Excellence and Expertise",
        "/topic ppp",
        "The US Centers of Excellence and Expertise are CBP units",
        REGFOLLOWER,
    ),
    (
        "Brazil shared trust-based collaboration models with trade associations; both "
        "underscored virtual expertise networks",
        "/topic ppp",
        "Brazil spoke of partnership models founded on trust and built with trade associations, "
        "and both stressed networks of expertise that work virtually",
        REGFOLLOWER,
    ),
    (
        "Korea's licensed broker system (handling 95% of declarations)",
        "/topic brokers",
        "Korea Customs Service described its licensed-broker system, which the news item says "
        "handles 95% of declarations",
        REGFOLLOWER,
    ),
    (
        "Delegates emphasized selective broker usage per trade agreements",
        "/topic brokers",
        "Delegates said brokers should be used selectively, as trade agreements provide",
        REGFOLLOWER,
    ),
    (
        "IFCBA's competency-based licensing model",
        "/topic brokers",
        "the IFCBA set out a licensing model based on competence",
        REGFOLLOWER,
    ),
    (
        "Haiti and Morocco presented case studies on IT leadership and digital economies",
        "/topic digital customs",
        "Haiti and Morocco spoke about IT leadership and adapting to the digital economy",
        WCO_ITEM,
    ),
    (
        "Private sector advisory group members participated as observers for the first time",
        "/topic pscg",
        "its members were admitted as official observers, a first for the Committee",
        WCO_ITEM,
    ),
    (
        "The next PTC meetings are scheduled for March 2-4, 2016, including a joint session",
        "/meeting PTC 211",
        "Wed 2 – Fri 4 Mar 2016",
        WCO_ITEM,
    ),
]


@pytest.mark.parametrize(
    ("statement", "asked", "said", "source"), STATEMENTS, ids=[s[0][:40] for s in STATEMENTS]
)
async def test_the_bot_answers_each_statement_with_a_source(
    wco_service, statement, asked, said, source
):
    reply = await Console(CommandRunner(wco_service), io.StringIO()).answer(asked)
    assert reply is not None
    text = reply.markdown()
    assert said in text, f"{statement!r}: {asked} does not say it"
    assert f"]({source})" in text, f"{statement!r}: {asked} does not give its source"
