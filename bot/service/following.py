"""Followed calendars: /follow, /unfollow, /following, a one-off import, and the reading of
each followed calendar every FEED_POLL_MINUTES, whose changes become the agenda's revisions.

Only the process that sends the reminders reads the calendars (one reading of a calendar at a
time); any process may follow or unfollow one, which the database carries to the reader."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
from collections.abc import Awaitable, Callable, Collection, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.core import Body, FeedSpec, Kind, Origin, Reply, Source, slug
from bot.core import following as words
from bot.core import managing as edit_words
from bot.core.codec import sets_to_data, sources_to_data
from bot.core.importing import (
    CalendarError,
    ImportedCalendar,
    Planned,
    Window,
    calendar_host,
    first_sets,
    owned_by,
    plan,
    read_calendar,
)
from bot.storage import FeedRow, FollowedFeeds, NewRevision

from .agenda import AgendaService
from .caller import Caller
from .fetching import CalendarFetcher, FetchError, Stopping
from .naming import body_named, choice, topics_named
from .waiting import any_set

log = logging.getLogger(__name__)
BACKOFF_LIMIT = timedelta(hours=24)
AT_ONCE = 4  # calendars read at the same time


@dataclass(frozen=True, slots=True)
class FollowSettings:
    every: timedelta = timedelta(minutes=60)
    timeout: float = 20.0  # seconds for one whole fetch
    max_bytes: int = 5_000_000
    window: Window = field(default_factory=Window)
    jitter: float = 0.1  # each next reading moves by up to this share of `every`


class Follower:
    """Reads followed calendars into the agenda: each difference between two readings is a
    revision with the calendar as its source; `store` saves revisions and reads them into the
    agenda (the editor's, one write at a time), and `applied(quiet)` tells followers (not of
    the meetings in `quiet`)."""

    def __init__(
        self,
        agenda: AgendaService,
        feeds: FollowedFeeds,
        store: Callable[[Sequence[NewRevision]], Awaitable[None]],
        applied: Callable[[Collection[str]], Awaitable[None]],
        leading: Callable[[], bool],
        zone: ZoneInfo,
        settings: FollowSettings | None = None,
    ) -> None:
        self.agenda = agenda
        self.feeds = feeds
        self.store = store
        self.applied = applied
        self.leading = leading
        self.zone = zone  # days and floating times of a calendar that names no zone
        self.settings = settings or FollowSettings()
        self._locks: dict[str, asyncio.Lock] = {}
        self._wake = asyncio.Event()
        self._stop = asyncio.Event()
        self.fetcher = CalendarFetcher(self.settings.timeout, self.settings.max_bytes)

    # -- the bodies calendars brought ------------------------------------------------------------

    async def load(self) -> None:
        """Give the agenda the bodies made for followed calendars."""
        self.agenda.set_bodies(feed_bodies(await self.feeds.all()))

    # -- the commands ----------------------------------------------------------------------------

    async def follow(
        self,
        caller: Caller,
        url: str,
        body: str | None = None,
        kind: str | None = None,
        topics: str | None = None,
    ) -> Reply:
        if not caller.can_edit:
            return edit_words.NOT_AN_EDITOR
        address = words.feed_address(url)
        if address is None:
            return words.bad_address(url)
        body_id = body_named(self.agenda, body) if body else ""
        if isinstance(body_id, Reply):
            return body_id
        chosen = choice(Kind, kind, "kind") if kind else Kind.SESSION
        if isinstance(chosen, Reply):
            return chosen
        topic_ids = topics_named(self.agenda, topics) if topics else ()
        if isinstance(topic_ids, Reply):
            return topic_ids
        row, new = await self.feeds.follow(
            address,
            body_id,
            chosen.value,
            json.dumps(list(topic_ids)),
            caller.owner,
            self._real_now(),
        )
        if not new:
            return words.already_following(self._state(row))
        every = f"every {_span(self.settings.every)}"
        if not self.leading():
            return words.followed(address, None, every)
        outcome = await self.read(row)
        if outcome is None or isinstance(outcome, str):
            return words.followed_unread(address, outcome or "it was not read", every)
        return words.followed(address, outcome, every)

    async def follow_listed(self, specs: Sequence[FeedSpec]) -> None:
        """Follow the calendars the data files list (`[[feed]]`) and are not yet followed;
        one followed before stays as it is, and one an editor unfollowed stays unfollowed.
        Taking one out of the files does not unfollow it (`/unfollow` does)."""
        for spec in specs:
            topics = json.dumps(list(spec.topics))
            now = self._real_now()
            _, new = await self.feeds.follow(
                spec.url, spec.body or "", spec.kind.value, topics, "data", now, again=False
            )
            if new:
                log.info("following %s, as the data files list it", spec.url)
                self.wake()

    async def unfollow(self, caller: Caller, url: str) -> Reply:
        if not caller.can_edit:
            return edit_words.NOT_AN_EDITOR
        address = words.feed_address(url)
        if address is None:
            return words.bad_address(url)
        row = await self.feeds.unfollow(address)
        if row is None:
            return words.not_following(address)
        kept = owned_by(self.agenda.everything.meetings.values(), _by(row))
        return words.unfollowed(address, len(kept))

    async def following(self) -> Reply:
        rows = [row for row in await self.feeds.all() if row.active]
        now = datetime.fromtimestamp(self._real_now(), UTC)
        return words.following([self._state(row) for row in rows], now)

    async def import_file(
        self, content: bytes, name: str, body: str | None, dry_run: bool
    ) -> Reply:
        """`python -m bot import FILE.ics`: the events added or changed once, by the operator;
        nothing is taken as removed."""
        named = body_named(self.agenda, body) if body else None
        if isinstance(named, Reply):
            return named
        try:
            calendar = read_calendar(
                content, self.agenda.clock.now(), self.zone, self.settings.window
            )
        except CalendarError as problem:
            return words.unreadable(name, str(problem))
        # An import is known by the calendar's own name (else the file's): importing it again
        # changes the same meetings.
        address = f"import:{calendar.name or name}"
        kept = await self.feeds.find(address)
        made: dict[str, Body] = {}
        body_id = (
            named or (kept.made_id if kept else "") or self._made_body(calendar.name or name, made)
        )
        first = first_sets(body_id, Kind.SESSION, ())
        planned = plan(self.agenda.everything.meetings, calendar, address, "import", first, None)
        reading = words.Reading.of(
            calendar.name or name, len(calendar.events), planned, calendar.unreadable
        )
        if dry_run:
            return words.import_preview(reading, planned)
        if made:
            await self.feeds.keep_import(address, body_id, made[body_id].name, self._real_now())
            await self.load()
        await self.store(self._revisions(planned, address, calendar.name or name, "import"))
        await self.applied(())
        return words.imported(reading)

    # -- reading ---------------------------------------------------------------------------------

    async def run(self) -> None:
        """Read each calendar when it is due, while this process sends the reminders."""
        while not self._stop.is_set():
            wait = 60.0
            if self.leading():
                try:
                    wait = await self.read_due()
                except Exception:
                    log.exception("reading the followed calendars failed")
            self._wake.clear()
            await any_set(self._stop, self._wake, seconds=wait)

    async def read_due(self) -> float:
        """Read the calendars that are due; seconds until the next one is (at most a minute)."""
        rows = [row for row in await self.feeds.all() if row.active]
        now = self._real_now()
        await self.read_many([row for row in rows if row.next_fetch <= now], when_due=True)
        later = [row.next_fetch for row in rows if row.next_fetch > now]
        return float(min([60, *(t - now for t in later)]))

    async def read(self, row: FeedRow, when_due: bool = False) -> words.Reading | str | None:
        (result,) = await self.read_many([row], when_due)
        return result

    async def read_many(
        self, rows: Sequence[FeedRow], when_due: bool = False
    ) -> list[words.Reading | str | None]:
        """Fetch and read each calendar (AT_ONCE at a time, parsing off the event loop), then
        apply what changed in all of them together: one write, one rebuild of the agenda.
        For each: what the reading did; the problem, as text, if it failed (recorded, and the
        calendar tried again later: the last good reading stays); None if `when_due` and
        another reading made it not due any more, or the bot is stopping."""
        async with contextlib.AsyncExitStack() as held:
            for url in sorted({row.url for row in rows}):  # one reading of a calendar at a time
                await held.enter_async_context(self._locks.setdefault(url, asyncio.Lock()))
            limit = asyncio.Semaphore(AT_ONCE)

            async def get(row: FeedRow) -> tuple[FeedRow, _Outcome]:
                async with limit:
                    try:
                        return await self._get(row, when_due)
                    except Exception:  # one calendar's surprise must not stop the others
                        log.exception("reading the followed calendar %s failed", row.url)
                        return row, await self._failed(row, "it could not be read (see the log)")

            return await self._apply(await asyncio.gather(*(get(row) for row in rows)))

    async def _get(self, row: FeedRow, when_due: bool) -> tuple[FeedRow, _Outcome]:
        row = await self.feeds.get(row.id) or row  # as the reading before this one left it
        now = self._real_now()
        if self._stop.is_set() or (when_due and (not row.active or row.next_fetch > now)):
            return row, None
        try:
            fetched = await self.fetcher.fetch(row.url, row.etag, row.last_modified)
        except Stopping:
            return row, None
        except FetchError as problem:
            return row, await self._failed(row, str(problem))
        if fetched is None:  # 304: nothing changed
            await self.feeds.record(
                row.id, fetched=now, next_fetch=self._next(now, 0), error="", failures=0
            )
            return row, words.Reading(row.name or calendar_host(row.url), row.events, 0, 0, 0)
        try:
            calendar = await asyncio.to_thread(
                read_calendar,
                fetched.content,
                self.agenda.clock.now(),
                self.zone,
                self.settings.window,
            )
        except CalendarError as problem:
            return row, await self._failed(row, str(problem))
        done = {
            "name": calendar.name,
            "etag": fetched.etag,
            "last_modified": fetched.last_modified,
            "fetched": now,
            "next_fetch": self._next(now, 0),
            "events": len(calendar.events),
            "error": "",
            "failures": 0,
        }
        return row, _Read(calendar, done)

    async def _apply(
        self, got: Sequence[tuple[FeedRow, _Outcome]]
    ) -> list[words.Reading | str | None]:
        everything = self.agenda.everything.meetings
        now = self.agenda.clock.now()
        removable = (now, now + self.settings.window.ahead)
        made: dict[str, Body] = {}
        results: list[words.Reading | str | None] = []
        revisions: list[NewRevision] = []
        quiet: set[str] = set()
        done: list[tuple[FeedRow, dict[str, object]]] = []
        for row, outcome in got:
            if not isinstance(outcome, _Read):
                results.append(outcome)
                continue
            calendar = outcome.calendar
            name = calendar.name or calendar_host(row.url)
            body_id = row.body_id or row.made_id
            if not body_id:  # made once, from the calendar's name, and kept with the row
                body_id = self._made_body(name, made)
                await self.feeds.record(row.id, made_id=body_id, made_name=made[body_id].name)
            first = first_sets(body_id, Kind(row.kind), tuple(json.loads(row.topics)))
            by = _by(row)
            planned = plan(everything, calendar, row.url, by, first, removable)
            revisions += self._revisions(planned, row.url, name, by)
            if row.fetched is None:  # the first reading brings its events without a notice each
                quiet |= {p.meeting_id for p in planned if p.change == "added"}
            done.append((row, outcome.done))
            reading = words.Reading.of(name, len(calendar.events), planned, calendar.unreadable)
            results.append(reading)
        if made:
            await self.load()
        try:
            if revisions:
                await self.store(revisions)
                await self.applied(quiet)
        except Exception:  # nothing of these readings is recorded: each is read again later
            log.exception("the changes of the followed calendars could not be saved")
            problem = "its changes could not be saved (see the log)"
            failed = {row.id: await self._failed(row, problem) for row, _ in done}
            return [
                failed.get(row.id, result) for (row, _), result in zip(got, results, strict=True)
            ]
        for row, fields in done:  # after the revisions: a failed write is read again
            await self.feeds.record(row.id, **fields)
        return results

    def _revisions(
        self, planned: Sequence[Planned], url: str, name: str, by: str
    ) -> list[NewRevision]:
        known = int(self.agenda.clock.now().timestamp())
        origin = Origin.FEED.value
        rows = []
        for item in planned:
            sources = [Source(name[:200], url)] if url.startswith("http") else []
            own = edit_words.source_of(item.url) if item.url else None
            if own is not None and own.url != url:
                sources.append(own)
            data = json.dumps(sets_to_data(item.sets))
            cited = json.dumps(sources_to_data(tuple(sources)))
            rows.append((item.meeting_id, known, data, cited, by, item.why, origin))
        return rows

    async def _failed(self, row: FeedRow, problem: str) -> str:
        failures = row.failures + 1
        log.warning("the followed calendar %s could not be read: %s", row.url, problem)
        now = self._real_now()
        await self.feeds.record(
            row.id, error=problem[:500], failures=failures, next_fetch=self._next(now, failures)
        )
        return problem

    # -- helpers ---------------------------------------------------------------------------------

    def _made_body(self, name: str, made: dict[str, Body]) -> str:
        """A body for a calendar followed without one, named after it (X-WR-CALNAME, else its
        host), put in `made`; never one that exists already (a calendar called "Board" does
        not take over our own Board)."""
        base = slug(name, 70) or "calendar"
        taken = self.agenda.everything.bodies.keys() | made.keys()
        body = base
        number = 1
        while body in taken:
            number += 1
            body = f"{base}-{number}"
        made[body] = Body(body, name[:200], external=True)
        return body

    def _state(self, row: FeedRow) -> words.FeedState:
        body_id = row.body_id or row.made_id
        body = self.agenda.everything.body_label(body_id) if body_id else "(its own, once read)"
        return words.FeedState(
            url=row.url,
            name=row.name or calendar_host(row.url),
            body=body,
            fetched=datetime.fromtimestamp(row.fetched, UTC) if row.fetched else None,
            next_fetch=datetime.fromtimestamp(row.next_fetch, UTC) if row.active else None,
            events=row.events,
            error=row.error,
            failures=row.failures,
        )

    def _real_now(self) -> int:
        clock = self.agenda.clock
        return int(clock.to_real(clock.now()).timestamp())

    def _next(self, now: int, failures: int) -> int:
        every = self.settings.every.total_seconds()
        wait = min(every * 2**failures, BACKOFF_LIMIT.total_seconds())
        return now + int(wait * (1 + random.uniform(-1, 1) * self.settings.jitter))  # noqa: S311

    def wake(self) -> None:
        self._wake.set()

    def stop(self) -> None:
        """Read no more (a reading under way finishes); then `close`."""
        self._stop.set()
        self.fetcher.stop()

    async def close(self) -> None:
        await self.fetcher.close()


@dataclass(frozen=True, slots=True)
class _Read:
    calendar: ImportedCalendar
    done: dict[str, object]  # how the fetch went, recorded once its revisions are saved


_Outcome = words.Reading | str | _Read | None


def feed_bodies(rows: Sequence[FeedRow]) -> dict[str, Body]:
    """The bodies made for calendars followed (or imported) without one."""
    return {
        row.made_id: Body(row.made_id, row.made_name, external=True) for row in rows if row.made_id
    }


def feed_specs(rows: Sequence[FeedRow]) -> list[FeedSpec]:
    """The calendars followed now, as the data files would list them (`[[feed]]`)."""
    return [
        FeedSpec(
            row.url,
            row.body_id or row.made_id or None,
            Kind(row.kind),
            tuple(json.loads(row.topics)),
        )
        for row in rows
        if row.active
    ]


def _by(row: FeedRow) -> str:
    """Who the revisions of a followed calendar are by: the calendar itself."""
    return f"feed:{row.id}"


def _span(every: timedelta) -> str:
    minutes = max(1, int(every.total_seconds() // 60))
    if minutes % 60:
        return f"{minutes} minute{'s' if minutes != 1 else ''}"
    hours = minutes // 60
    return "hour" if hours == 1 else f"{hours} hours"
