"""Calendar feeds: the whole agenda, a body's, a topic's, a meeting's, and a subscriber's own.

Each feed is built once and kept until the agenda (or, for a personal feed, the subscriptions)
change; its ETag is a digest of its bytes, so a calendar application that already has it gets a
304. Personal feeds are opened by a random token of which only a digest is stored.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

from bot.core import Meeting, Reply, calendar_name, scope_labels, write_calendar
from bot.core import feed_replies as words
from bot.storage import Store

from .agenda import AgendaService
from .audience import Audience, covers
from .caller import Caller
from .changes import ChangeLog

PERSONAL_WORDS = frozenset({"me", "mine", "my", "personal", "my subscriptions"})


@dataclass(frozen=True, slots=True)
class Feed:
    content: bytes
    etag: str  # quoted, as in the header
    last_modified: datetime
    name: str
    http_date: str  # Last-Modified as HTTP writes it


class Feeds:
    """The iCalendar feeds the web site serves (whole agenda, body, topic, meeting, personal),
    each built once per change, and /calendar link and /calendar revoke."""

    def __init__(
        self,
        agenda: AgendaService,
        store: Store,
        audience: Audience,
        changes: ChangeLog,
        base_url: str | None,
        refresh: timedelta = timedelta(hours=1),
    ) -> None:
        self.agenda = agenda
        self.store = store
        self.audience = audience
        self.changes = changes
        # Where users reach the site; None when no site serves the feeds (WEB_ENABLED=false).
        self.base_url = base_url.rstrip("/") if base_url is not None else None
        self.refresh = refresh
        self._cache: dict[tuple[str, str], tuple[tuple[int, int], Feed]] = {}
        # What each feed was when it last changed (ETag, Last-Modified), as recorded in the
        # database: by this process, another one serving the same database, or before a restart.
        self._served: dict[str, tuple[str, datetime]] = {}
        # The last feed `_agreed` gave for each key: while the cache still holds that very feed
        # for the current version, `ready` gives it without a coroutine (see `ready`).
        self._agreed_feeds: dict[tuple[str, str], Feed] = {}

    async def load(self) -> None:
        """What the feeds were when the bot last ran."""
        self._served = {
            key: (etag, datetime.fromtimestamp(modified, UTC))
            for key, (etag, modified) in (await self.store.feed_states()).items()
        }
        self._agreed_feeds.clear()

    def ready(self, kind: str, ident: str = "") -> Feed | None:
        """The public feed `served` would give, when that takes neither a build nor the
        database: the feed built for the current version of the agenda, whose date was agreed
        when it was last served. None otherwise (or for an unknown feed): ask `served`.

        The site's hot path (a calendar application asking again for a feed it holds) needs no
        coroutine then. `_served` changes only in `_agreed` and `load`, which keep
        `_agreed_feeds` with it, so the feed given here is the one `served` would give."""
        key = (kind, ident)
        found = self._cache.get(key)
        if (
            found is not None
            and found[1] is self._agreed_feeds.get(key)
            and found[0] == (self.changes.generation, self.audience.version)
            and self._known(kind, ident)  # the agenda swaps before the generation moves on
        ):
            return found[1]
        return None

    async def served(self, kind: str, ident: str = "") -> Feed | None:
        """A public feed as the site serves it, its date agreed in the database (see `_agreed`)."""
        feed = self.public(kind, ident)
        return None if feed is None else await self._agreed((kind, ident), feed)

    async def _agreed(self, key: tuple[str, str], feed: Feed) -> Feed:
        """The feed with the Last-Modified every process serving this database gives its bytes:
        the first to serve a version records its date, the others take it; a new version's date
        is never earlier than the last one recorded."""
        agreed = await self._agree(key, feed)
        self._agreed_feeds[key] = agreed
        return agreed

    async def _agree(self, key: tuple[str, str], feed: Feed) -> Feed:
        name = ":".join(key)
        if self._served.get(name) == (feed.etag, feed.last_modified):
            return feed
        etag, modified = await self.store.record_feed_state(
            name, feed.etag, int(feed.last_modified.timestamp())
        )
        moment = datetime.fromtimestamp(modified, UTC)
        self._served[name] = (etag, moment)
        if etag != feed.etag or moment == feed.last_modified:
            return feed  # another process has already moved on to a newer version
        changed = replace(feed, last_modified=moment, http_date=format_datetime(moment, True))
        cached = self._cache.get(key)
        if cached is not None and cached[1] is feed:
            self._cache[key] = (cached[0], changed)
        return changed

    # -- feeds -----------------------------------------------------------------------------------

    def public(self, kind: str, ident: str = "") -> Feed | None:
        """The feed of the whole agenda ("all"), a body, a topic or a meeting; None if unknown."""
        if not self._known(kind, ident):
            return None
        return self._cached((kind, ident), lambda: self._public(kind, ident))

    def _known(self, kind: str, ident: str) -> bool:
        if kind == "all":
            return True
        agenda = self.agenda.agenda
        items = {"body": agenda.bodies, "topic": agenda.topics, "meeting": agenda.meetings}
        return ident in items.get(kind, ())

    def _public(
        self, kind: str, ident: str
    ) -> tuple[list[Meeting], str, Callable[[Meeting], Sequence[timedelta]] | None]:
        agenda = self.agenda.agenda
        if kind in ("body", "topic"):
            body, topic = (ident, None) if kind == "body" else (None, ident)
            meetings = self.agenda.index.scoped(body, topic)
            return meetings, calendar_name(agenda, scope_labels(agenda, body, topic)), None
        if kind == "meeting":
            meeting = agenda.meetings[ident]
            return [meeting], calendar_name(agenda, [meeting.title]), None
        return list(agenda.meetings.values()), calendar_name(agenda, []), None

    async def personal(self, token: str) -> Feed | None:
        """A subscriber's own feed: what their subscriptions cover, with their lead times as
        alarms. None for an unknown or revoked token (and nothing else is said)."""
        owner = await self.store.feed_owner(token)
        if owner is None:
            return None
        key = ("personal", owner)
        return await self._agreed(key, self._cached(key, lambda: self._personal(owner)))

    def _personal(
        self, owner: str
    ) -> tuple[list[Meeting], str, Callable[[Meeting], Sequence[timedelta]] | None]:
        agenda = self.agenda.agenda
        index = self.agenda.index
        audience = self.audience
        mine = audience.subscriptions_of(owner)
        leads: dict[str, set[timedelta]] = {}
        for meeting in agenda.meetings.values():
            covering = [row for row in mine if covers(row, meeting, index)]
            if covering:
                ladder = agenda.ladders.for_kind(meeting.kind)
                leads[meeting.id] = {
                    lead
                    for row in covering
                    for lead in ([timedelta(minutes=m) for m in row.leads] or ladder)
                }
        for reminder in audience.reminders():
            if reminder.owner == owner and reminder.meeting_id in agenda.meetings:
                found = leads.setdefault(reminder.meeting_id, set())
                if reminder.lead_minutes is not None:
                    found.add(timedelta(minutes=reminder.lead_minutes))
        meetings = [agenda.meetings[key] for key in leads]
        name = f"{agenda.dataset.name}: my subscriptions"
        return meetings, name, lambda m: sorted(leads.get(m.id, ()), reverse=True)

    def _cached(
        self,
        key: tuple[str, str],
        contents: Callable[
            [], tuple[list[Meeting], str, Callable[[Meeting], Sequence[timedelta]] | None]
        ],
    ) -> Feed:
        version = (self.changes.generation, self.audience.version)
        found = self._cache.get(key)
        if found is not None and found[0] == version:
            return found[1]
        meetings, name, leads = contents()
        agenda = self.agenda.agenda
        written = write_calendar(
            agenda,
            meetings,
            name=name,
            alarm_leads=leads,
            changes=self.changes.changes,
            refresh=self.refresh,
        )
        stamps = [agenda.dataset.updated]
        for meeting in written.included:
            stamps.append(meeting.updated or agenda.dataset.updated)
            change = self.changes.changes.get(meeting.id)
            if change is not None:
                stamps.append(change.at)
        etag = '"' + hashlib.sha256(written.content).hexdigest()[:32] + '"'
        modified = max(stamps).astimezone(UTC).replace(microsecond=0)
        served = self._served.get(":".join(key))
        if served is not None and served[0] == etag:
            modified = served[1]  # the same bytes as served before: the same date
        elif served is not None and modified <= served[1]:
            # The content changed with no newer date in the data (a subscription, a meeting
            # removed, maybe while the bot was stopped): Last-Modified must still move, or
            # If-Modified-Since clients keep a stale copy. It becomes the real moment of the
            # rebuild, to the second.
            clock = self.agenda.clock
            now = clock.to_real(clock.now()).replace(microsecond=0)
            modified = max(now, served[1] + timedelta(seconds=1))
        http_date = format_datetime(modified, usegmt=True)
        feed = Feed(written.content, etag, modified, name, http_date)
        self._cache[key] = (version, feed)
        return feed

    # -- /calendar link, /calendar revoke --------------------------------------------------------

    async def link(self, caller: Caller, scope: str | None = None) -> Reply:
        if self.base_url is None:
            return words.NOT_SERVED
        text = (scope or "").strip()
        if text.casefold() in PERSONAL_WORDS:
            token = await self.store.new_feed_token(caller.owner, self.agenda.clock.now())
            https, webcal = self.addresses(f"/feeds/me/{token}.ics")
            return words.personal_link(webcal, https)
        if not text or text.casefold() == "all":
            kind, ident, what = "all", "", "the whole agenda"
        else:
            found_kind, resolution = self.agenda.index.find_scope(text)
            if resolution.found is None:
                return words.unknown_scope(text[:80])
            kind, ident = found_kind, resolution.found
            what = words.scope_label(self.agenda.agenda, kind, ident)
        path = (
            f"/meetings/{ident}.ics"
            if kind == "meeting"
            else ("/feeds/agenda.ics" if kind == "all" else f"/feeds/{kind}/{ident}.ics")
        )
        https, webcal = self.addresses(path)
        return words.link(what, webcal, https)

    async def revoke(self, caller: Caller) -> Reply:
        count = await self.store.revoke_feed_tokens(caller.owner, self.agenda.clock.now())
        return words.revoked(count) if count else words.NOTHING_TO_REVOKE

    def addresses(self, path: str) -> tuple[str, str]:
        """The https (or http) and webcal addresses of a path of the site."""
        https = f"{self.base_url or ''}{path}"
        return https, "webcal://" + https.split("://", 1)[-1]
