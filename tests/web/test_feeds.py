"""Calendar feeds over HTTP, read back with icalendar and checked against the model."""

import gzip
import hashlib
from dataclasses import replace
from datetime import timedelta
from email.utils import parsedate_to_datetime

import icalendar
import pytest

from bot.core import FixedClock, Status, When
from bot.core.revisions import MeetingRecord, view_at
from bot.service import CONSOLE_CALLER
from tests.conftest import revised
from tests.web.conftest import open_site


def events(body: bytes) -> dict[str, icalendar.Event]:
    return {
        str(e["UID"]).split("@")[0]: e for e in icalendar.Calendar.from_ical(body).walk("VEVENT")
    }


async def test_the_whole_agenda_feed(site, wco, wco_as_announced):
    status, headers, body = await site.get("/feeds/agenda.ics")
    assert status == 200
    assert headers["Content-Type"] == "text/calendar; charset=utf-8"
    calendar = icalendar.Calendar.from_ical(body)
    assert str(calendar["X-WR-CALNAME"]) == wco.dataset.name
    assert calendar["REFRESH-INTERVAL"].to_ical() == b"PT1H"
    assert str(calendar["X-PUBLISHED-TTL"]) == "PT1H"
    dated = {m.id for m in wco_as_announced.meetings.values() if m.when.precision.has_day}
    assert set(events(body)) == dated
    assert "ptc-213-214" not in dated  # announced after the clock's day
    assert headers["ETag"] == '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
    assert headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/feeds/body/ptc.ics", {"ptc-207-208", "ptc-209-210", "ptc-211-212", "ptc-ec-joint-2016"}),
        ("/feeds/topic/3d-printing.ics", {"ptc-209-210"}),
        ("/meetings/ptc-211-212.ics", {"ptc-211-212"}),
    ],
)
async def test_scoped_feeds(site, path, expected):
    status, _, body = await site.get(path)
    assert status == 200
    assert set(events(body)) == expected


@pytest.mark.parametrize(
    "path",
    [
        "/feeds/body/nobody.ics",
        "/feeds/topic/x.ics",
        "/meetings/none.ics",
        "/feeds/me/AAAAAAAAAAAAAAAA.ics",
        "/feeds/../etc/passwd",
        "/nothing",
    ],
)
async def test_unknown_addresses_are_404_with_no_hint(site, path):
    status, _, body = await site.get(path)
    assert status == 404
    assert b"There is nothing at this address." in body


async def test_conditional_requests_get_304(site):
    _, headers, _ = await site.get("/feeds/body/ptc.ics")
    status, again, body = await site.get(
        "/feeds/body/ptc.ics", headers={"If-None-Match": headers["ETag"]}
    )
    assert (status, body) == (304, b"")
    assert again["ETag"] == headers["ETag"]
    status, _, body = await site.get(
        "/feeds/body/ptc.ics", headers={"If-Modified-Since": headers["Last-Modified"]}
    )
    assert (status, body) == (304, b"")
    status, _, _ = await site.get("/feeds/body/ptc.ics", headers={"If-None-Match": '"other"'})
    assert status == 200


async def test_head_answers_headers_only(site):
    async with site.http.head(site.base + "/feeds/agenda.ics") as response:
        assert response.status == 200
        assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
        assert await response.read() == b""


async def test_a_moved_meeting_keeps_its_uid_and_gets_a_higher_sequence(site, wco):
    _, headers, body = await site.get("/feeds/body/ptc.ics")
    before = events(body)["ptc-211-212"]
    when = wco.meetings["ptc-211-212"].when
    moved = When.days(
        when.first_day + timedelta(days=1), when.last_day + timedelta(days=1), when.zone
    )
    await site.runtime.replace_agenda(revised(wco, "ptc-211-212", when=moved))
    status, _, after_body = await site.get(
        "/feeds/body/ptc.ics", headers={"If-None-Match": headers["ETag"]}
    )
    assert status == 200
    after = events(after_body)["ptc-211-212"]
    assert after["UID"] == before["UID"]
    assert int(after["SEQUENCE"]) == int(before["SEQUENCE"]) + 1
    assert after["DTSTART"].dt == before["DTSTART"].dt + timedelta(days=1)
    assert after["LAST-MODIFIED"].dt > before["LAST-MODIFIED"].dt


async def test_a_meeting_moved_in_place_in_a_data_file_gets_a_higher_sequence(site, wco):
    """No revision says so (its announcement was edited): the bot's own count raises it."""
    _, _, body = await site.get("/feeds/body/ptc.ics")
    before = events(body)["ptc-211-212"]
    record = wco.records["ptc-211-212"]
    first, *later = record.revisions
    when = first.sets["when"]
    moved = When.days(
        when.first_day + timedelta(days=1), when.last_day + timedelta(days=1), when.zone
    )
    edited = MeetingRecord.of(
        record.id, [replace(first, sets={**first.sets, "when": moved}), *later]
    )
    await site.runtime.replace_agenda(
        view_at(replace(wco, records={**wco.records, record.id: edited}), None)
    )
    _, _, body = await site.get("/feeds/body/ptc.ics")
    after = events(body)["ptc-211-212"]
    assert int(after["SEQUENCE"]) == int(before["SEQUENCE"]) + 1
    assert after["DTSTART"].dt == before["DTSTART"].dt + timedelta(days=1)


async def test_a_cancelled_meeting_stays_in_the_feed_as_cancelled(site, wco):
    await site.runtime.replace_agenda(revised(wco, "ptc-211-212", status=Status.CANCELLED))
    _, _, body = await site.get("/feeds/agenda.ics")
    cancelled = events(body)["ptc-211-212"]
    assert str(cancelled["STATUS"]) == "CANCELLED"
    assert not cancelled.walk("VALARM")


async def test_feeds_are_built_once_until_the_agenda_changes(site, monkeypatch):
    from bot.service import feeds as module

    calls = []
    real = module.write_calendar
    monkeypatch.setattr(module, "write_calendar", lambda *a, **k: calls.append(1) or real(*a, **k))
    for _ in range(3):
        await site.get("/feeds/agenda.ics")
    assert len(calls) == 1


async def test_a_personal_feed_has_my_meetings_with_my_leads_as_alarms(site):
    commands = site.runtime.runner.reminders
    await commands.subscribe(CONSOLE_CALLER, "PTC", lead="7d,2h")
    link = await site.runtime.runner.run("calendar link", {"scope": "me"})
    assert link.title == "Your personal calendar feed"
    https = next(line for line in link.body.splitlines() if line.startswith("http://"))
    webcal = next(line for line in link.body.splitlines() if line.startswith("webcal://"))
    assert webcal == "webcal://" + https.removeprefix("http://")
    path = https.removeprefix(site.base)
    status, headers, body = await site.get(path)
    assert status == 200 and headers["Cache-Control"].startswith("private")
    found = events(body)
    assert "ptc-211-212" in found and "pc-74" not in found
    triggers = sorted(a["TRIGGER"].dt for a in found["ptc-211-212"].walk("VALARM"))
    assert triggers == [-timedelta(days=7), -timedelta(hours=2)]
    revoked = await site.runtime.runner.run("calendar revoke", {})
    assert revoked.title == "Personal feed turned off"
    status, _, body = await site.get(path)
    assert status == 404 and b"There is nothing at this address." in body


async def test_tokens_are_random_stored_hashed_and_compared_in_constant_time(site, monkeypatch):
    import hmac

    from sqlalchemy import select

    from bot.storage.models import FeedToken

    store = site.runtime.store
    first = await store.new_feed_token("console", site.runtime.agenda.clock.now())
    second = await store.new_feed_token("console", site.runtime.agenda.clock.now())
    assert first != second and len(first) >= 32  # 24 random bytes, base64
    async with store.engine.connect() as connection:
        stored = [row[0] for row in await connection.execute(select(FeedToken.digest))]
    assert hashlib.sha256(first.encode()).hexdigest() in stored
    assert first not in stored and second not in stored
    compared = []
    real = hmac.compare_digest
    monkeypatch.setattr(hmac, "compare_digest", lambda a, b: compared.append(1) or real(a, b))
    assert await store.feed_owner(first) == "console"
    assert compared


async def test_only_get_and_head(site):
    async with site.http.post(site.base + "/feeds/agenda.ics", data=b"") as response:
        assert response.status == 405
        assert set(response.headers["Allow"].split(",")) == {"GET", "HEAD"}


async def test_requests_with_a_body_are_refused(site):
    async with site.http.get(site.base + "/feeds/agenda.ics", data=b"x" * 10) as response:
        assert response.status == 413


async def test_clients_are_rate_limited(wco, tmp_path):
    from bot.web import Limits

    limited = await open_site(wco, tmp_path, limits=Limits(per_second=1, burst=3))
    try:
        statuses = [(await limited.get("/feeds/agenda.ics"))[0] for _ in range(5)]
        assert statuses[:3] == [200, 200, 200]
        assert statuses[3] == 429
        _, headers, _ = await limited.get("/feeds/agenda.ics")
        assert int(headers["Retry-After"]) >= 1
    finally:
        await limited.http.close()
        await limited.runtime.stop()


def test_the_rate_limit_refills_and_forgets_old_clients():
    from bot.web import ClientBuckets, Limits

    now = [0.0]
    buckets = ClientBuckets(Limits(per_second=2, burst=2), size=2, clock=lambda: now[0])
    assert [buckets.allow("a") for _ in range(3)] == [0, 0, 0.5]
    now[0] += 0.5
    assert buckets.allow("a") == 0
    buckets.allow("b")
    buckets.allow("c")  # "a" is forgotten: at most `size` clients are remembered
    assert buckets.allow("a") == 0


async def test_a_port_in_use_is_reported_and_the_bot_goes_on(site, caplog):
    import socket

    from bot.settings import Settings
    from bot.web import listen

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        settings = Settings(_env_file=None, web_port=taken.getsockname()[1])
        assert listen(settings) is None
    assert "the web server could not listen on 127.0.0.1:" in caplog.text


async def test_a_personal_feed_changed_by_a_subscription_is_modified_since(site):
    # Regression (review, 2026-11-26): Last-Modified did not move with the subscriptions.
    commands = site.runtime.runner.reminders
    await commands.subscribe(CONSOLE_CALLER, "PTC")
    link = await site.runtime.runner.run("calendar link", {"scope": "me"})
    path = next(x for x in link.body.splitlines() if x.startswith("http://")).removeprefix(
        site.base
    )
    _, headers, _ = await site.get(path)
    await commands.subscribe(CONSOLE_CALLER, "tfa")
    status, _, body = await site.get(path, headers={"If-Modified-Since": headers["Last-Modified"]})
    assert status == 200 and b"wto-mc10@" in body


def test_clients_are_told_apart_behind_a_proxy_and_grouped_by_ipv6_prefix():
    # Regression (review, 2026-11-26): behind a proxy everyone shared one limit; IPv6 users
    # could step around it.
    from aiohttp.test_utils import make_mocked_request

    from bot.web.app import client_key

    def key(remote, forwarded=None, proxy=False):
        headers = {"X-Forwarded-For": forwarded} if forwarded else {}
        request = make_mocked_request("GET", "/", headers=headers)
        request = request.clone(remote=remote)
        return client_key(request, proxy)

    assert key("10.0.0.1", "203.0.113.9", proxy=True) == "203.0.113.9"
    assert key("10.0.0.1", "198.51.100.1, 203.0.113.9", proxy=True) == "203.0.113.9"
    assert key("10.0.0.1", "203.0.113.9") == "10.0.0.1"  # not trusted unless configured
    assert key("2001:db8:1:2::5") == key("2001:db8:1:2:ffff::9") == "2001:db8:1:2::/64"
    assert key("::ffff:192.0.2.7") == "192.0.2.7"


async def test_last_modified_never_goes_backwards_after_a_restart(wco, tmp_path):
    # Regression (issue 15): a meeting removed from the data while the bot was stopped left the
    # feed's Last-Modified where it was, so If-Modified-Since clients got 304 and kept it.
    site = await open_site(wco, tmp_path)
    try:
        _, first, body = await site.get("/feeds/body/ptc.ics")
        assert b"ptc-211-212@" in body
        unchanged = await site.get("/feeds/body/wto.ics")
    finally:
        await site.http.close()
        await site.runtime.stop()
    gone = "ptc-211-212"
    without = replace(
        wco,
        meetings={k: v for k, v in wco.meetings.items() if k != gone},
        records={k: v for k, v in wco.records.items() if k != gone},
    )
    site = await open_site(without, tmp_path)
    try:
        since = {"If-Modified-Since": first["Last-Modified"]}
        status, again, body = await site.get("/feeds/body/ptc.ics", headers=since)
        assert status == 200 and b"ptc-211-212@" not in body
        assert again["ETag"] != first["ETag"]
        assert parsedate_to_datetime(again["Last-Modified"]) > parsedate_to_datetime(
            first["Last-Modified"]
        )
        # A feed whose bytes did not change keeps its date, and its 304, across the restart.
        _, same, _ = await site.get("/feeds/body/wto.ics")
        assert (same["ETag"], same["Last-Modified"]) == (
            unchanged[1]["ETag"],
            unchanged[1]["Last-Modified"],
        )
    finally:
        await site.http.close()
        await site.runtime.stop()


async def test_feeds_are_gzipped_for_clients_that_take_it_with_their_own_etag(site):
    _, plain, body = await site.get("/feeds/body/ptc.ics")
    async with site.http.get(
        site.base + "/feeds/body/ptc.ics",
        headers={"Accept-Encoding": "gzip"},
        auto_decompress=False,
    ) as response:
        zipped = await response.read()
        headers = response.headers
    assert headers["Content-Encoding"] == "gzip" and headers["Vary"] == "Accept-Encoding"
    assert gzip.decompress(zipped) == body
    assert headers["ETag"] == plain["ETag"][:-1] + '-gzip"' != plain["ETag"]
    status, _, _ = await site.get(
        "/feeds/body/ptc.ics",
        headers={"If-None-Match": headers["ETag"], "Accept-Encoding": "gzip"},
    )
    assert status == 304
    refused = {"Accept-Encoding": "gzip;q=0, identity"}
    _, headers, _ = await site.get("/feeds/body/ptc.ics", headers=refused)
    assert "Content-Encoding" not in headers and headers["ETag"] == plain["ETag"]


@pytest.mark.parametrize(
    ("header", "expected"),
    [("gzip", True), ("deflate, gzip;q=0.5", True), ("gzip;q=0", False), ("br", False),
     ("*", True), ("", False), ("gzip;q=abc", True)],
)  # fmt: skip
def test_accept_encoding(header, expected):
    from bot.web.answers import accepts_gzip

    assert accepts_gzip(header) is expected


class AheadClock(FixedClock):
    """A second process whose real clock runs half a minute ahead of the first's."""

    def to_real(self, instant):
        return super().to_real(instant) + timedelta(seconds=30)


async def test_two_processes_give_the_same_bytes_the_same_date(wco, tmp_path):
    # Regression (review): each process dated a new version from its own memory, so one ETag
    # had two Last-Modified dates and a client holding the later one got a stale 304.
    from tests.conftest import NEWS_DAY

    first = await open_site(wco, tmp_path, FixedClock(NEWS_DAY))
    second = await open_site(wco, tmp_path, AheadClock(NEWS_DAY))
    path = "/feeds/body/ptc.ics"
    try:
        for site in (first, second):
            await site.get(path)
        gone = "ptc-211-212"
        without = replace(
            wco,
            meetings={k: v for k, v in wco.meetings.items() if k != gone},
            records={k: v for k, v in wco.records.items() if k != gone},
        )
        for site in (first, second):
            await site.runtime.replace_agenda(without)
        _, one, _ = await first.get(path)
        _, other, _ = await second.get(path)
        assert one["ETag"] == other["ETag"]
        assert one["Last-Modified"] == other["Last-Modified"]
    finally:
        for site in (second, first):
            await site.http.close()
            await site.runtime.stop()


async def test_a_304_is_only_for_the_representation_the_client_holds(site):
    # Regression (review): the gzip tag matched an uncompressed request, and an explicit gzip
    # lost to an earlier `*;q=0`.
    from bot.web.answers import accepts_gzip

    _, plain, _ = await site.get("/feeds/body/ptc.ics")
    zipped_tag = plain["ETag"][:-1] + '-gzip"'
    status, headers, _ = await site.get(
        "/feeds/body/ptc.ics", headers={"If-None-Match": zipped_tag}
    )
    assert status == 200 and headers["ETag"] == plain["ETag"]
    assert accepts_gzip("*;q=0, gzip") and accepts_gzip("x-gzip;q=0, gzip")
    assert not accepts_gzip("gzip;q=0, *")
