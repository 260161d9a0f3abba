"""The reminder commands: /subscribe, /unsubscribe, /remind, /reminders, /timezone."""

from __future__ import annotations

import re
from datetime import timedelta
from zoneinfo import ZoneInfo

from bot.core import (
    Field,
    PlainTimes,
    Reply,
    TimeStyle,
    UnknownZoneError,
    clean_input,
    normalize,
    parse_lead,
    resolve_zone,
)
from bot.core.formatting import date_long
from bot.core.reply import error, not_found
from bot.storage import Delivery, ScopeKind
from schedules import FirePoint

from .agenda import AgendaService
from .audience import CONSOLE, route_of
from .caller import Caller
from .personal import PersonalReminders
from .reminder_words import ReminderWords
from .reminders import Reminders

NEXT_SHOWN = 3
_SPLIT = re.compile(r"[,\s]+")


class _Refused(Exception):
    def __init__(self, reply: Reply) -> None:
        super().__init__(reply.title)
        self.reply = reply


class ReminderCommands:
    """/subscribe, /unsubscribe, /remind, /reminders and /timezone for every adapter."""

    def __init__(self, reminders: Reminders, default_zone: ZoneInfo) -> None:
        self.reminders = reminders
        self.default_zone = default_zone
        self.words = ReminderWords(reminders, default_zone)
        self.personal = PersonalReminders(reminders, self.words, self.zone_of)

    @property
    def _agenda(self) -> AgendaService:
        return self.reminders.agenda

    def _replan(self) -> None:
        self.reminders.replan()

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
        title = "Subscribed" if created else "Subscription updated"
        body = (
            f"You will get reminders {_how(delivery, caller)} for "
            f"{self.words.scope_text(kind, scope_id)}, {self.words.leads_text(row)}."
        )
        upcoming, waiting = self.words.next_times(row, now, times)
        fields = [Field("Next reminders", upcoming)] if upcoming else []
        if not upcoming:
            body += " Nothing it covers has a known day ahead yet; you will be told when one does."
        if waiting:
            fields.append(Field("Planned once their day is known", waiting))
        return Reply(
            title, body, tuple(fields), footer="`/reminders` lists yours; `/unsubscribe` stops."
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
        if not removed:
            return not_found(
                "No such subscription",
                "Nothing to stop there. `/reminders` lists your subscriptions.",
            )
        lines = "\n".join(f"• {self.words.scope_text(r.scope_kind, r.scope_id)}" for r in removed)
        return Reply("Unsubscribed", f"No more reminders {_how(delivery, caller)} for:\n{lines}")

    # -- /reminders ------------------------------------------------------------------------------

    async def overview(
        self, caller: Caller, show: str | None = None, times: TimeStyle | None = None
    ) -> Reply:
        if show and normalize(show) not in ("upcoming", "log", ""):
            return error(
                "Show what?",
                "Write `/reminders` for what is coming, or "
                "`/reminders log` for what was delivered.",
            )
        if show and normalize(show) == "log":
            return await self.log(caller, times)
        now = self._agenda.clock.now()
        audience = self.reminders.audience
        mine = [
            r
            for r in audience.subscriptions()
            if r.owner == caller.owner or (caller.channel_id and r.channel_id == caller.channel_id)
        ]
        fields = []
        for row in sorted(mine, key=lambda r: r.id)[:10]:
            scope = self.words.scope_text(row.scope_kind, row.scope_id)
            name = f"{scope} · {_how(row.delivery, caller)}"
            value = self.words.leads_text(row).capitalize() + "."
            upcoming, waiting = self.words.next_times(row, now, times)
            value += f"\n{upcoming}" if upcoming else "\nNothing dated ahead."
            if waiting:
                value += f"\n{waiting}"
            fields.append(Field(name[:250], value))
        style = times or self._agenda.times
        lines = self.personal.lines(caller, now, style, self.default_zone)
        if lines:
            fields.append(Field("Personal reminders", "\n".join(lines[:10])))
        if not fields:
            return not_found(
                "No reminders yet",
                "Try `/subscribe` for every meeting, "
                "`/subscribe scope:PTC` for one body, or "
                "`/remind meeting:PTC 211 when:2d before`.",
            )
        return Reply("Your reminders", f"As of {date_long(now.date())}.", tuple(fields))

    async def log(self, caller: Caller, times: TimeStyle | None = None) -> Reply:
        destinations = [route_of(caller.owner, Delivery.DM, "").key]
        if caller.channel_id:
            destinations.append(f"channel:{caller.channel_id}")
        records = await self.reminders.ledger.records(destinations, limit=15)
        if not records:
            return not_found(
                "Nothing delivered yet",
                "The log shows each reminder sent to you or this channel, late, "
                "skipped or failed, and why.",
            )
        lines = []
        style = times or self._agenda.times
        for record in records:
            # A reminder is shown at the time it was due (agenda time, as everything the bot
            # says); a notice, which has no due time, at when it was sent.
            point = FirePoint.from_id(record.fire_point)
            due = point.at if point is not None else None
            moment = due or record.finished_at
            when = style.moment(moment, None, self.default_zone) if moment else "now"
            what = self.words.describe(record.fire_point)
            state = record.state.value + (" late" if record.late else "")
            where = (
                "DM"
                if record.destination.startswith("dm:")
                else ("console" if record.destination == CONSOLE else "this channel")
            )
            line = f"• {when} · **{state}** · {what} · {where}"
            if record.attempts > 1:
                line += f" ({record.attempts} attempts)"
            if record.reason:
                line += f"\n  {record.reason}"
            lines.append(line)
        return Reply("Reminder log", "Newest first.", (Field("Deliveries", "\n".join(lines)),))

    # -- /timezone -------------------------------------------------------------------------------

    async def timezone(self, caller: Caller, zone: str, where: str | None = None) -> Reply:
        try:
            found = resolve_zone(clean_input(zone, 80))
        except UnknownZoneError as problem:
            hint = (
                f"Did you mean {', '.join(f'`{s}`' for s in problem.suggestions)}?"
                if problem.suggestions
                else "Write an IANA name such as `Europe/Brussels`."
            )
            return error(f"Unknown time zone '{clean_input(zone, 80)}'", hint)
        store = self.reminders.store
        if where and normalize(where) == "server":
            if caller.guild_id is None:
                return error("There is no server here", "In a DM, `/timezone` sets yours.")
            if not caller.can_manage:
                return error(
                    "You need Manage Server",
                    "Only managers set the server's zone; `/timezone` alone sets yours.",
                )
            await store.set_guild_timezone(caller.guild_id, found.key)
            return Reply("Server time zone set", f"The server's default zone is {found.key}.")
        await store.set_user_timezone(caller.owner, found.key)
        if caller.in_console and isinstance(self._agenda.times, PlainTimes):
            self._agenda.times.reader_zone = found
        return Reply(
            "Time zone set",
            f"Your time zone is {found.key}: times you give "
            "`/remind` are read in it, and the console shows it.",
        )

    async def zone_of(self, caller: Caller) -> ZoneInfo:
        store = self.reminders.store
        name = await store.user_timezone(caller.owner)
        if name is None and caller.guild_id is not None:
            name = await store.guild_timezone(caller.guild_id)
        return ZoneInfo(name) if name else self.default_zone

    # -- helpers ---------------------------------------------------------------------------------

    def _delivery(self, caller: Caller, target: str | None) -> Delivery:
        value = normalize(target or "me")
        if value not in ("me", "here", "channel"):
            raise _Refused(
                error(
                    f"'{clean_input(target or '', 40)}' is not a target",
                    "Use `target:me` (a direct message), `target:here` (this "
                    "channel, mentioning you) or `target:channel` (this channel).",
                )
            )
        delivery = Delivery(value)
        if delivery is Delivery.DM:
            return delivery
        if caller.in_console:
            raise _Refused(
                error("The console has no channels", "Leave `target` out: reminders print here.")
            )
        if caller.guild_id is None:
            raise _Refused(
                error(
                    f"`target:{value}` works in a server only",
                    "In a DM, reminders come to you here: leave `target` out.",
                )
            )
        if delivery is Delivery.CHANNEL and not caller.can_manage:
            raise _Refused(
                error(
                    "You need Manage Server to subscribe this channel",
                    "`target:here` gets you reminders here with a mention, "
                    "`target:me` by direct message.",
                )
            )
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
            listed = "\n".join(f"• {n}" for n in names)
            hint = f"Did you mean:\n{listed}" if names else "Try `/topics` or `/agenda`."
            raise _Refused(not_found(f"Nothing called '{clean_input(text, 80)}'", hint))
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
            raise _Refused(
                error(
                    "That lead does not work",
                    f"{problem}. For several, separate them: `lead:7d,1d,2h`.",
                )
            ) from None
    return leads


def _how(delivery: Delivery, caller: Caller) -> str:
    if caller.in_console:
        return "here in the console"
    return {
        Delivery.DM: "by direct message",
        Delivery.HERE: "in this channel, with a mention",
        Delivery.CHANNEL: "in this channel",
    }[delivery]
