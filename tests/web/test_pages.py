"""The agenda page as HTML (the browser test looks at it in Chromium)."""

import re

from bot.service import Caller
from tests.conftest import revised
from tests.web.conftest import open_site


async def test_the_agenda_page_lists_what_is_upcoming_as_of_the_clock(site, wco):
    status, headers, body = await site.get("/")
    assert status == 200
    assert headers["Content-Type"] == "text/html; charset=utf-8"
    assert "default-src 'none'" in headers["Content-Security-Policy"]
    html = body.decode()
    upcoming = html.split('id="upcoming"')[1].split('id="past"')[0]
    titles = re.findall(r'class="title" href="/meetings/([a-z0-9-]+)"', upcoming)
    assert titles[0] == "rtfw-wca-2015"
    assert "ptc-209-210" not in titles  # held before 23 October 2015
    assert "date TBA" in upcoming
    assert '<html lang="en">' in html and "<h1>" in html
    assert "http" not in re.sub(r'href="[^"]*"', "", html.split("<body>")[0])  # no external asset


async def test_meeting_page_shows_sources_and_subscribe_links(site):
    status, _, body = await site.get("/meetings/ptc-211-212")
    html = body.decode()
    assert status == 200
    assert "<h1>Permanent Technical Committee, 211th/212th Sessions</h1>" in html
    assert 'href="/meetings/ptc-211-212.ics"' in html
    assert "webcal://" in html
    assert "How sure we are" in html
    assert "https://www.wcoomd.org/zh-cn/media/newsroom/2015/october/" in html


async def test_pages_show_how_many_go_only_from_servers_that_share_the_count(site):
    run = site.runtime.runner.run
    for server, member in (("1", "discord:10"), ("1", "discord:11"), ("2", "discord:12")):
        noted = await run("attending", {"meeting": "PTC 211"}, Caller(member, guild_id=server))
        assert noted.title == "Noted"
    _, _, body = await site.get("/meetings/ptc-211-212")
    assert "Going" not in body.decode()  # no server asked for the count yet
    manager = Caller("discord:10", guild_id="1", can_manage=True)
    shared = await run("events going-count", {"state": "on"}, manager)
    assert shared.title == "/events going-count: on"
    _, _, body = await site.get("/meetings/ptc-211-212")
    assert "<dt>Going</dt><dd>2 (members of servers that share the count)</dd>" in body.decode()
    _, _, body = await site.get("/")
    assert "· 2 going" in body.decode()
    meeting = await run("meeting", {"meeting": "PTC 211"}, manager)
    assert meeting.fields[-1].name == "Going"
    assert meeting.fields[-1].value == "2 from this server (`/attendees ptc-211-212` lists who)"
    elsewhere = await run("meeting", {"meeting": "PTC 211"}, Caller("discord:12", guild_id="2"))
    assert elsewhere.fields[-1].name != "Going"


async def test_meeting_page_shows_only_what_was_known_then(site):
    """On the news item's day, PC 74 had neither date nor place: no calendar file, no
    December source, no outcome."""
    status, _, body = await site.get("/meetings/pc-74")
    html = body.decode()
    assert status == 200
    assert "<h1>Policy Commission, 74th Session</h1>" in html
    assert "pc-74.ics" not in html and "date TBA" in html
    assert "2015/december" not in html and "Outcome" not in html and "Punta Cana" not in html


async def test_meeting_page_after_the_meeting_shows_its_outcome_and_history(wco, tmp_path):
    from datetime import UTC, datetime

    from bot.core import FixedClock

    site = await open_site(wco, tmp_path, FixedClock(datetime(2016, 4, 1, tzinfo=UTC)))
    try:
        _, _, body = await site.get("/meetings/ptc-211-212")
    finally:
        await site.http.close()
        await site.runtime.stop()
    html = body.decode()
    assert "<h2>Outcome</h2>" in html and "Globally Networked Customs Handbook" in html
    history = html.split("<h2>History</h2>")[1]
    assert '<time datetime="2016-03-07">7 March 2016</time>' in history
    assert '<time datetime="2015-10-23">23 October 2015</time>' in history


async def test_topic_page(site):
    status, _, body = await site.get("/topics/3d-printing")
    assert status == 200
    html = body.decode()
    assert "<h1>3D printing</h1>" in html
    assert (
        "<li><strong>China&#39;s delegation</strong>: presented a study of what 3D printing means "
        'for Customs: intellectual property, safety, and what counts as goods (<a href="/meetings/'
        'ptc-209-210">Permanent Technical Committee, 209th/210th Sessions</a>)</li>'
    ) in html


async def test_meeting_page_says_who_chaired_opened_and_presented(site):
    status, _, body = await site.get("/meetings/ptc-209-210")
    html = body.decode()
    assert status == 200 and "<h2>People</h2>" in html
    assert (
        "<li><strong>Rob Van Kuik (Netherlands)</strong>: chaired the sessions, newly elected "
        "Chair of the Committee</li>"
    ) in html
    assert '<strong>IATA</strong> <span class="muted">(delegation)</span>: urged' in html
    # The March 2016 PTC's opener is reported after the page's day (23 October 2015).
    _, _, later = await site.get("/meetings/ptc-211-212")
    assert "<h2>People</h2>" not in later.decode()


async def test_text_from_the_data_is_escaped(site, wco):
    await site.runtime.replace_agenda(revised(wco, "pc-74", summary="<script>alert(1)</script>"))
    _, _, body = await site.get("/meetings/pc-74")
    assert b"<script>" not in body and b"&lt;script&gt;" in body


async def test_the_page_calls_utc_utc_not_your_time(mini_site):
    # Regression (issue 15): the page said "13:00-16:30 UTC your time" to every reader, though
    # without a script the server cannot know a reader's zone.
    _, _, body = await mini_site.get("/meetings/board-12")
    html = body.decode()
    assert "Fri 4 Mar 2016, 14:00–17:30 CET (Brussels time); Fri 4 Mar 2016, 13:00–16:30 UTC" in (
        html
    )
    assert "your time" not in html


async def test_the_calendar_file_of_an_undated_meeting_is_a_404_that_offers_its_bodys_feed(site):
    # Regression (issue 15): it answered 200 with an empty VCALENDAR.
    status, headers, body = await site.get("/meetings/pc-74.ics")
    html = body.decode()
    assert status == 404 and headers["Content-Type"] == "text/html; charset=utf-8"
    assert "<h1>Date not known yet</h1>" in html
    assert "has no day yet (date TBA)" in html
    assert 'href="webcal://' in html and "/feeds/body/policy-commission.ics" in html
    dated, _, _ = await site.get("/meetings/ptc-211-212.ics")
    assert dated == 200


async def test_the_agenda_filters_by_body_kind_topic_and_words(site):
    _, _, body = await site.get("/?body=ptc&kind=session")
    html = body.decode()
    upcoming = html.split('id="upcoming"')[1].split('id="past"')[0]
    assert re.findall(r'class="title" href="/meetings/([a-z0-9-]+)"', upcoming) == ["ptc-211-212"]
    assert '<option value="ptc" selected>' in html and 'href="/">Show everything</a>' in html
    _, _, body = await site.get("/?q=mercator+programme")
    upcoming = body.decode().split('id="upcoming"')[1].split('id="past"')[0]
    assert "rtfw-wca-2015" in upcoming and "ptc-211-212" not in upcoming  # as /search finds
    _, _, body = await site.get("/?body=nobody&kind=party")
    html = body.decode()
    assert "No body has the id &#39;nobody&#39;." in html
    assert "&#39;party&#39; is not a kind of meeting." in html


async def test_the_zone_chosen_is_shown_and_remembered_in_a_cookie(mini_site):
    site = mini_site
    _, headers, body = await site.get("/meetings/board-12?tz=America/New_York")
    assert 'tz="America/New_York"' in headers["Set-Cookie"]
    assert "Max-Age=31536000" in headers["Set-Cookie"]
    assert "08:00–11:30 EST (New York time)" in body.decode()
    remembered = {"Cookie": "tz=America/New_York"}
    _, headers, body = await site.get("/meetings/board-12", headers=remembered)
    assert "Set-Cookie" not in headers and "(New York time)" in body.decode()
    _, headers, body = await site.get("/meetings/board-12?tz=Mars/Olympus", headers=remembered)
    html = body.decode()
    assert "&#39;Mars/Olympus&#39; is not a time zone" in html
    assert "(New York time)" in html  # the zone remembered stays
    _, headers, _ = await site.get("/?tz=UTC", headers=remembered)
    assert 'tz=""' in headers["Set-Cookie"] and "Max-Age=0" in headers["Set-Cookie"]


async def test_a_body_has_its_page_with_its_meetings_and_feed(site):
    status, _, body = await site.get("/bodies/ptc")
    html = body.decode()
    assert status == 200
    assert "<h1>Permanent Technical Committee (PTC)</h1>" in html
    assert "/feeds/body/ptc.ics" in html and 'href="webcal://' in html
    assert 'href="/meetings/ptc-211-212"' in html.split("<h2>Held</h2>")[0]
    assert 'href="/meetings/ptc-209-210"' in html.split("<h2>Held</h2>")[1]
    _, _, body = await site.get("/meetings/ptc-211-212")
    assert 'href="/bodies/ptc"' in body.decode()
    missing, _, _ = await site.get("/bodies/nothing-here")
    assert missing == 404


async def test_a_dated_meeting_offers_google_calendar_and_an_undated_one_does_not(site):
    _, _, body = await site.get("/meetings/ptc-211-212")
    link = re.search(r'href="(https://calendar\.google\.com/[^"]+)"', body.decode())
    assert link is not None
    address = link.group(1).replace("&amp;", "&")
    assert "action=TEMPLATE" in address and "dates=20160302%2F20160305" in address
    assert "text=Permanent%20Technical%20Committee%2C%20211th%2F212th%20Sessions" in address
    _, _, body = await site.get("/meetings/pc-74")
    assert "calendar.google.com" not in body.decode()


async def test_past_meetings_are_paged(wco, tmp_path):
    from bot.web import pages

    site = await open_site(wco, tmp_path)
    original, pages.PAST_SHOWN = pages.PAST_SHOWN, 2
    try:
        _, _, body = await site.get("/")
        html = body.decode()
        assert "Page 1 of " in html and 'href="/?past=2#past">Older</a>' in html
        _, _, body = await site.get("/?past=2")
        assert 'href="/?past=1#past">Newer</a>' in body.decode()
        # Past the last page: the last one, with links from there (regression, review).
        _, _, body = await site.get("/?past=50")
        html = body.decode()
        last = int(re.search(r"Page (\d+) of (\d+)", html).group(2))
        assert f"Page {last} of {last}" in html and f'href="/?past={last - 1}#past"' in html
    finally:
        pages.PAST_SHOWN = original
        await site.http.close()
        await site.runtime.stop()


async def test_odd_zones_and_words_are_answered_sensibly(site):
    # Regression (review): "localtime" was taken for a zone (the server's own); a bad zone
    # dropped the remembered one; words with nothing to look for showed nothing, unsaid.
    remembered = {"Cookie": "tz=America/New_York"}
    _, headers, body = await site.get("/?tz=localtime", headers=remembered)
    html = body.decode()
    assert "Set-Cookie" not in headers and "&#39;localtime&#39; is not a time zone" in html
    assert "America/New_York (your choice" in html and headers["Vary"] == "Cookie"
    _, headers, body = await site.get("/?tz=Europe/Brussels")
    assert 'tz="Europe/Brussels"' in headers["Set-Cookie"]
    _, _, body = await site.get("/?q=!!&kind=session")
    html = body.decode()
    assert "Those words have nothing to look for" in html
    _, _, body = await site.get("/?kind=milestone")
    assert "Nothing in the past matches the filter." in body.decode()


def test_google_gives_a_meeting_known_by_its_start_the_data_sets_length(mini):
    # Regression (review): it got no length at all, though its calendar file has an hour.
    from dataclasses import replace
    from datetime import datetime, timedelta
    from zoneinfo import ZoneInfo

    from bot.core import When
    from bot.web.reader import google_link

    start = When.exact(datetime(2016, 3, 4, 14), None, ZoneInfo("Europe/Brussels"))
    meeting = replace(mini.meetings["board-12"], when=start)
    link = google_link(meeting, None, timedelta(hours=1))
    assert "dates=20160304T130000Z%2F20160304T140000Z" in link
