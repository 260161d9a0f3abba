"""The reminder commands: /subscribe, /unsubscribe, /remind, /reminders, /timezone."""

from __future__ import annotations

import logging
import re
from datetime import timedelta
from zoneinfo import ZoneInfo

from bot.core import (
    PlainTimes,
    Reply,
    TimeStyle,
    UnknownZoneError,
    clean_input,
    normalize,
    parse_lead,
    resolve_zone,
    saved_zone,
)
from bot.core import subscribing as words
from bot.storage import Delivery, ScopeKind
from schedules import FirePoint, ReminderEngine

from .agenda import AgendaService
from .audience import CONSOLE, route_of
from .caller import Caller
from .personal import PersonalReminders
from .reminder_words import ReminderWords
from .reminders import Reminders

log = logging.getLogger(__name__)

_SPLIT = re.compile(r"[,\s]+")


class _Refused(Exception):
    def __init__(self, reply: Reply) -> None:
        super().__init__(reply.title)
        self.reply = reply


class ReminderCommands:
    """/subscribe, /unsubscribe, /remind, /reminders and /timezone for every adapter."""

    def __init__(
        self, reminders: Reminders, engine: ReminderEngine, default_zone: ZoneInfo
    ) -> None:
        self.reminders = reminders
        self.engine = engine
        self.default_zone = default_zone
        self.words = ReminderWords(reminders, default_zone)
        self.personal = PersonalReminders(reminders, engine, self.words, self.zone_of)
        self._unknown_zones_said: set[tuple[str, str]] = set()  # (whose, name): said once each

    @property
    def _agenda(self) -> AgendaService:
        return self.reminders.agenda

    def _replan(self) -> None:
        self.engine.replan_if_firing()

    # -- /subscribe, /unsubscribe ----------------------------------------------------------------

    async def subscribe(
        self,
        caller: Caller,
        scope: str | None = None,
        lead: str | None = None,
        target: str | None = None,
        times: TimeStyle | None = None,
    ) -> Reply:
        try:
            delivery = self._delivery(caller, target)
            kind, scope_id = self._scope(scope)
            leads = _leads(lead)
        except _Refused as refused:
            return refused.reply
        now = self._agenda.clock.now()
        row, created = await self.reminders.store.subscribe(
            caller.owner,
            delivery,
            kind,
            scope_id,
            [int(x.total_seconds() // 60) for x in leads],
            now,
            caller.guild_id,
            caller.channel_id or "" if delivery is not Delivery.DM else "",
        )
        self.reminders.audience.add_subscription(row)  # replaces the row if it was there
        self._replan()
        upcoming, waiting = self.words.next_times(row, now, times)
        return words.subscribed_reply(
            created,
            _how(delivery, caller),
            self.words.scope_text(kind, scope_id),
            self.words.leads_text(row),
            upcoming,
            waiting,
        )

    async def unsubscribe(
        self, caller: Caller, scope: str | None = None, target: str | None = None
    ) -> Reply:
        try:
            delivery = self._delivery(caller, target)
            kind, scope_id = (None, None) if _is_all(scope) else self._scope(scope)
        except _Refused as refused:
            return refused.reply
        owner = None if delivery is Delivery.CHANNEL else caller.owner
        channel = caller.channel_id or "" if delivery is not Delivery.DM else ""
        removed = await self.reminders.store.unsubscribe(delivery, kind, scope_id, owner, channel)
        for row in removed:
            self.reminders.audience.remove_subscription(row)
        self._replan()
        scopes = [self.words.scope_text(r.scope_kind, r.scope_id) for r in removed]
        return words.unsubscribed_reply(_how(delivery, caller), scopes)

    async def subscribe_member(self, owner: str, guild_id: str, meeting_id: str) -> bool:
        """A member's reminders of one meeting by direct message, with the usual leads, unless
        they have them already; whether this made the subscription."""
        if self.reminders.audience.has_subscription(owner, (ScopeKind.MEETING, meeting_id)):
            return False
        row, created = await self.reminders.store.subscribe(
            owner,
            Delivery.DM,
            ScopeKind.MEETING,
            meeting_id,
            [],
            self._agenda.clock.now(),
            guild_id,
        )
        self.reminders.audience.add_subscription(row)
        self._replan()
        return created

    async def unsubscribe_member(self, owner: str, meeting_id: str) -> None:
        removed = await self.reminders.store.unsubscribe(
            Delivery.DM, ScopeKind.MEETING, meeting_id, owner
        )
        for row in removed:
            self.reminders.audience.remove_subscription(row)
        self._replan()

    # -- /reminders ------------------------------------------------------------------------------

    async def overview(
        self, caller: Caller, show: str | None = None, times: TimeStyle | None = None
    ) -> Reply:
        if show and normalize(show) not in ("upcoming", "log", ""):
            return words.SHOW_WHAT
        if show and normalize(show) == "log":
            return await self.log(caller, times)
        now = self._agenda.clock.now()
        mine = self.reminders.audience.subscriptions_of(caller.owner, caller.channel_id or "")
        fields = []
        for row in sorted(mine, key=lambda r: r.id)[:10]:
            upcoming, waiting = self.words.next_times(row, now, times)
            fields.append(
                words.subscription_field(
                    self.words.scope_text(row.scope_kind, row.scope_id),
                    _how(row.delivery, caller),
                    self.words.leads_text(row),
                    upcoming,
                    waiting,
                )
            )
        style = times or self._agenda.times
        personal = self.personal.lines(caller, now, style, self.default_zone)
        return words.overview_reply(now, fields, personal)

    async def log(self, caller: Caller, times: TimeStyle | None = None) -> Reply:
        destinations = [route_of(caller.owner, Delivery.DM, "").key]
        if caller.channel_id:
            destinations.append(f"channel:{caller.channel_id}")
        records = await self.reminders.ledger.records(destinations, limit=15)
        style = times or self._agenda.times
        entries = []
        for record in records:
            # A reminder is shown at the time it was due (agenda time, as everything the bot
            # says); a notice, which has no due time, at when it was sent.
            point = FirePoint.from_id(record.fire_point)
            moment = point.at if point is not None else record.finished_at
            where = (
                "DM"
                if record.destination.startswith("dm:")
                else ("console" if record.destination == CONSOLE else "this channel")
            )
            entries.append(
                words.LogEntry(
                    style.moment(moment, None, self.default_zone) if moment else "now",
                    record.state.value,
                    record.late,
                    self.words.describe(record.fire_point),
                    where,
                    record.attempts,
                    record.reason,
                )
            )
        return words.log_reply(entries)

    # -- /timezone -------------------------------------------------------------------------------

    async def timezone(self, caller: Caller, zone: str, where: str | None = None) -> Reply:
        try:
            found = resolve_zone(clean_input(zone, 80))
        except UnknownZoneError as problem:
            return words.unknown_zone(clean_input(zone, 80), problem.suggestions)
        store = self.reminders.store
        if where and normalize(where) == "server":
            if caller.guild_id is None:
                return words.NO_SERVER_HERE
            if not caller.can_manage:
                return words.NEEDS_MANAGE_SERVER_FOR_ZONE
            await store.set_guild_timezone(caller.guild_id, found.key)
            return words.server_zone_set(found.key)
        await store.set_user_timezone(caller.owner, found.key)
        if caller.in_console and isinstance(self._agenda.times, PlainTimes):
            self._agenda.times.reader_zone = found
        return words.zone_set(found.key)

    async def zone_of(self, caller: Caller) -> ZoneInfo:
        """The caller's zone, else their server's, else the default. A saved name this
        machine's time zone database lacks is passed over, with a warning in the log."""
        store = self.reminders.store
        zone = self._known(await store.user_timezone(caller.owner), caller.owner)
        if zone is None and caller.guild_id is not None:
            guild = caller.guild_id
            zone = self._known(await store.guild_timezone(guild), f"server {guild}")
        return zone or self.default_zone

    # -- helpers ---------------------------------------------------------------------------------

    def _known(self, name: str | None, whose: str) -> ZoneInfo | None:
        """The saved zone, or None; an unknown name is logged once, not at every command."""
        zone = saved_zone(name)
        if zone is None and name and (whose, name) not in self._unknown_zones_said:
            self._unknown_zones_said.add((whose, name))
            log.warning(
                "the time zone saved for %s, %r, is not in this machine's time zone database "
                "(update the tzdata package); using the next one known",
                whose,
                name,
            )
        return zone

    def _delivery(self, caller: Caller, target: str | None) -> Delivery:
        value = normalize(target or "me")
        if value not in ("me", "here", "channel"):
            raise _Refused(words.not_a_target(clean_input(target or "", 40)))
        delivery = Delivery(value)
        if delivery is Delivery.DM:
            return delivery
        if caller.in_console:
            raise _Refused(words.CONSOLE_HAS_NO_CHANNELS)
        if caller.guild_id is None:
            raise _Refused(words.server_only(value))
        if delivery is Delivery.CHANNEL and not caller.can_manage:
            raise _Refused(words.NEEDS_MANAGE_SERVER_FOR_CHANNEL)
        return delivery

    def _scope(self, text: str | None) -> tuple[ScopeKind, str]:
        if _is_all(text):
            return ScopeKind.ALL, ""
        assert text is not None
        kind, resolution = self._agenda.index.find_scope(clean_input(text, 200))
        if resolution.found is None:
            names = [
                self.words.scope_text(ScopeKind(k), i)
                for k, i in (s.split(":", 1) for s in resolution.suggestions)
            ]
            raise _Refused(words.nothing_called(clean_input(text, 80), names))
        return ScopeKind(kind), resolution.found


def _is_all(text: str | None) -> bool:
    return text is None or normalize(text) in ("", "all", "everything")


def _leads(text: str | None) -> list[timedelta]:
    if text is None or not text.strip():
        return []
    leads = []
    for part in _SPLIT.split(text.strip()):
        if not part:
            continue
        try:
            leads.append(parse_lead(part))
        except ValueError as problem:
            raise _Refused(words.bad_lead(str(problem))) from None
    return leads


def _how(delivery: Delivery, caller: Caller) -> str:
    return words.how(delivery.value, caller.in_console)
