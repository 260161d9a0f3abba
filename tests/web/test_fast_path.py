"""The feeds' fast path: a feed built for the current agenda and agreed in the database is given
without a coroutine (`Feeds.ready`). It must answer byte for byte what the path through
`Feeds.served` answers, happy or not, and keep every guarantee (rate limit, private feeds)."""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import replace

from bot.service import CONSOLE_CALLER
from bot.web import Limits
from tests.web.conftest import open_site


async def answer(port: int, path: str, headers: dict[str, str], method: str = "GET") -> bytes:
    """The raw answer (status line, headers in their order, body), the Date line left out."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        lines = [f"{method} {path} HTTP/1.1", "Host: x", "Connection: close"]
        lines += [f"{name}: {value}" for name, value in headers.items()]
        writer.write(("\r\n".join(lines) + "\r\n\r\n").encode())
        raw = await asyncio.wait_for(reader.read(), 10)
    finally:
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()
    head, _, body = raw.partition(b"\r\n\r\n")
    kept = [line for line in head.split(b"\r\n") if not line.lower().startswith(b"date:")]
    return b"\r\n".join(kept) + b"\r\n\r\n" + body


async def both_ways(site, monkeypatch, requests) -> tuple[list[bytes], list[bytes]]:
    """Each request answered by the fast path, then by the path through `Feeds.served`."""
    port = site.server.port
    for path, headers, method in requests:  # build and agree every feed first
        await answer(port, path, headers, method)
    fast = [await answer(port, path, headers, method) for path, headers, method in requests]
    with monkeypatch.context() as patch:
        patch.setattr(site.feeds, "ready", lambda kind, ident="": None)
        slow = [await answer(port, path, headers, method) for path, headers, method in requests]
    return fast, slow


async def test_the_fast_path_answers_what_the_database_path_answers(site, monkeypatch):
    _, plain, _ = await site.get("/feeds/agenda.ics")
    tag, date = plain["ETag"], plain["Last-Modified"]
    zipped_tag = tag[:-1] + '-gzip"'
    await site.runtime.runner.reminders.subscribe(CONSOLE_CALLER, "PTC")
    link = await site.runtime.runner.run("calendar link", {"scope": "me"})
    mine = next(line for line in link.body.splitlines() if line.startswith("http://"))
    mine = mine.removeprefix(site.base)
    gzip = {"Accept-Encoding": "gzip"}
    identity = {"Accept-Encoding": "identity"}
    requests = [
        ("/feeds/agenda.ics", {**gzip, "If-None-Match": zipped_tag}, "GET"),  # the hot path
        ("/feeds/agenda.ics", {**identity, "If-None-Match": tag}, "GET"),
        ("/feeds/agenda.ics", {**identity, "If-None-Match": zipped_tag}, "GET"),  # not held
        ("/feeds/agenda.ics", {**gzip, "If-None-Match": f'"other", W/{zipped_tag}'}, "GET"),
        ("/feeds/agenda.ics", {**gzip, "If-None-Match": "*"}, "GET"),
        ("/feeds/agenda.ics", {**gzip, "If-None-Match": 'not a tag, ",,'}, "GET"),  # bad
        ("/feeds/agenda.ics", {**gzip, "If-None-Match": ""}, "GET"),
        ("/feeds/agenda.ics", {**gzip}, "GET"),
        ("/feeds/agenda.ics", {**identity}, "GET"),
        ("/feeds/agenda.ics", {**gzip, "If-None-Match": zipped_tag}, "HEAD"),
        ("/feeds/agenda.ics", {**gzip}, "HEAD"),
        ("/feeds/agenda.ics", {**identity, "If-Modified-Since": date}, "GET"),
        ("/feeds/agenda.ics", {**identity, "If-Modified-Since": "not a date"}, "GET"),
        ("/feeds/agenda.ics", {**gzip, "Accept-Encoding": "gzip;q=0, *"}, "GET"),
        ("/feeds/agenda.ics", {**gzip, "Content-Length": "3"}, "GET"),  # a body: 413
        ("/feeds/body/ptc.ics", {**gzip}, "GET"),
        ("/feeds/topic/3d-printing.ics", {**identity}, "GET"),
        ("/meetings/ptc-211-212.ics", {**identity}, "GET"),
        ("/feeds/body/nobody.ics", {**gzip, "If-None-Match": zipped_tag}, "GET"),  # unknown
        ("/meetings/none.ics", {**identity}, "GET"),
        ("/feeds/me/AAAAAAAAAAAAAAAA.ics", {**identity}, "GET"),  # private, no such token
        (mine, {**identity}, "GET"),
        ("/feeds/agenda.ics", {**gzip, "If-None-Match": zipped_tag}, "POST"),  # the router's
    ]
    fast, slow = await both_ways(site, monkeypatch, requests)
    for (path, headers, method), one, other in zip(requests, fast, slow, strict=True):
        assert one == other, (method, path, headers)
    assert fast[0].startswith(b"HTTP/1.1 304 Not Modified\r\n")
    assert fast[2].startswith(b"HTTP/1.1 200 OK\r\n")
    assert fast[5].startswith(b"HTTP/1.1 200 OK\r\n")
    assert b" 413 " in fast[14].split(b"\r\n")[0]
    assert b" 404 " in fast[18].split(b"\r\n")[0] and b" 404 " in fast[20].split(b"\r\n")[0]
    assert b"X-Content-Type-Options: nosniff" in fast[2] and b"nosniff" not in fast[0]


async def test_the_fast_path_is_taken_and_left_when_the_agenda_changes(site, monkeypatch):
    feeds = site.feeds
    assert feeds.ready("all") is None  # nothing built yet
    served = []
    real = feeds.served
    monkeypatch.setattr(feeds, "served", lambda *a: served.append(a) or real(*a))
    _, first, _ = await site.get("/feeds/agenda.ics")
    await site.get("/feeds/agenda.ics", headers={"If-None-Match": first["ETag"]})
    await site.get("/feeds/body/ptc.ics")
    await site.get("/feeds/body/ptc.ics")
    assert served == [("all",), ("body", "ptc")]
    assert feeds.ready("all") is await real("all")
    assert feeds.ready("body", "nobody") is None
    gone = "ptc-211-212"
    agenda = site.runtime.agenda.agenda
    without = replace(
        agenda,
        meetings={k: v for k, v in agenda.meetings.items() if k != gone},
        records={k: v for k, v in agenda.records.items() if k != gone},
    )
    await site.runtime.replace_agenda(without)
    assert feeds.ready("all") is None  # a new version is built and agreed through the database
    status, again, _ = await site.get("/feeds/agenda.ics", headers={"If-None-Match": first["ETag"]})
    assert status == 200 and again["ETag"] != first["ETag"]
    assert served[-1] == ("all",) and feeds.ready("all") is not None
    await feeds.load()  # what another process recorded meanwhile is read again: ask the database
    assert feeds.ready("all") is None


async def test_the_fast_path_is_rate_limited_like_any_request(wco, tmp_path):
    limited = await open_site(wco, tmp_path, limits=Limits(per_second=0.01, burst=3))
    try:
        _, headers, _ = await limited.get("/feeds/agenda.ics")
        held = {"If-None-Match": headers["ETag"]}
        statuses = [(await limited.get("/feeds/agenda.ics", headers=held))[0] for _ in range(3)]
        assert statuses == [304, 304, 429]
        status, refused, body = await limited.get("/feeds/agenda.ics", headers=held)
        assert status == 429 and int(refused["Retry-After"]) >= 1
        assert body == b"Too many requests; slow down.\n"
        assert refused["X-Content-Type-Options"] == "nosniff"
    finally:
        await limited.http.close()
        await limited.runtime.stop()


async def test_a_feed_removed_from_the_agenda_is_not_served_before_followers_are_told(site):
    # Regression (review): the agenda is swapped before the announcement bumps the feeds'
    # generation; meanwhile the fast path served a removed meeting's calendar, 200 where the
    # path through the database said 404.
    gone = "ptc-211-212"
    assert (await site.get(f"/meetings/{gone}.ics"))[0] == 200
    assert site.feeds.ready("meeting", gone) is not None
    agenda = site.runtime.agenda.agenda
    without = replace(
        agenda,
        meetings={k: v for k, v in agenda.meetings.items() if k != gone},
        records={k: v for k, v in agenda.records.items() if k != gone},
    )
    site.runtime.agenda.replace_agenda(without)  # swapped; followers not told yet
    assert site.feeds.ready("meeting", gone) is None
    assert (await site.get(f"/meetings/{gone}.ics"))[0] == 404
