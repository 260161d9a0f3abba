"""The agenda page as HTML (the browser test looks at it in Chromium)."""

import re


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
    status, _, body = await site.get("/meetings/pc-74")
    html = body.decode()
    assert status == 200
    assert "<h1>Policy Commission, 74th Session</h1>" in html
    assert 'href="/meetings/pc-74.ics"' in html
    assert "webcal://" in html
    assert "How sure we are" in html
    assert "https://www.wcoomd.org/en/media/newsroom/2015/december/" in html


async def test_topic_page(site):
    status, _, body = await site.get("/topics/3d-printing")
    assert status == 200
    assert "<h1>3D printing</h1>" in body.decode()


async def test_text_from_the_data_is_escaped(site, wco):
    from dataclasses import replace

    evil = replace(wco.meetings["pc-74"], summary="<script>alert(1)</script>")
    await site.runtime.replace_agenda(replace(wco, meetings={**wco.meetings, evil.id: evil}))
    _, _, body = await site.get("/meetings/pc-74")
    assert b"<script>" not in body and b"&lt;script&gt;" in body
