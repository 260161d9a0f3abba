"""Subscriptions in words: every reply of /subscribe, /unsubscribe, /reminders (and its log) and
/timezone, written once for every adapter. The service finds the facts; this says them."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from .formatting import PlainTimes, TimeStyle, date_long, when_text
from .model import Agenda, Kind, Meeting, Status
from .reply import Field, Reply, error, not_found
from .when import format_lead

NEXT_SHOWN = 3  # fire times, and meetings waiting for a date, listed per subscription
FOOTER = "`/reminders` lists yours; `/unsubscribe` stops."
# How a subscription's reminders come, by its target (Delivery's values).
_HOW = {
    "me": "by direct message",
    "here": "in this channel, with a mention",
    "channel": "in this channel",
}


def how(target: str, in_console: bool) -> str:
    return "here in the console" if in_console else _HOW[target]


def scope_text(agenda: Agenda, kind: str, scope_id: str) -> str:
    """What a subscription covers: 'every meeting of the Permanent Technical Committee (PTC)'."""
    if kind == "body" and scope_id in agenda.bodies:
        return f"every meeting of the {agenda.bodies[scope_id].label}"
    if kind == "topic" and scope_id in agenda.topics:
        return f"meetings on {agenda.topics[scope_id].name}"
    if kind == "meeting" and scope_id in agenda.meetings:
        return agenda.meetings[scope_id].title
    if kind == "all":
        return "every meeting"
    return f"{kind} {scope_id} (no longer on the agenda)"


def leads_text(agenda: Agenda, leads: Sequence[timedelta], kinds: Iterable[Kind]) -> str:
    """'7d and 1d before', or the ladder of each kind of meeting covered."""
    if leads:
        return " and ".join(format_lead(lead) for lead in leads) + " before"
    ladder = "; ".join(
        f"{kind.label}s {', '.join(format_lead(x) for x in agenda.ladders.for_kind(kind))}"
        for kind in sorted(set(kinds), key=lambda kind: kind.value)
    )
    return f"as the reminder ladder says ({ladder})" if ladder else "as the ladder says"


@dataclass(frozen=True, slots=True)
class FireTime:
    """One coming reminder of a subscription."""

    due: datetime
    meeting: Meeting
    lead: timedelta


def fire_times_text(found: Sequence[FireTime], times: TimeStyle, zone: ZoneInfo) -> str:
    return "\n".join(
        f"{times.moment(f.due, None, zone)}: {format_lead(f.lead)} before {f.meeting.title}"
        for f in found[:NEXT_SHOWN]
    )


def waiting_text(meetings: Sequence[Meeting], shown: int = NEXT_SHOWN) -> str:
    """'Waiting for a date: A (2016, month and day not yet known) and 2 more.'; '' for none."""
    if not meetings:
        return ""
    names = [f"{m.title} ({_rough_when(m)})" for m in meetings[:shown]]
    more = len(meetings) - shown
    text = ", ".join(names) + (f" and {more} more" if more > 0 else "")
    return f"Waiting for a date: {text}."


def _rough_when(meeting: Meeting) -> str:
    if meeting.status is Status.POSTPONED:
        return "postponed"
    return when_text(meeting.when, PlainTimes()).replace(" (", ", ").rstrip(")")


# -- /subscribe, /unsubscribe ------------------------------------------------------------------


def subscribed_reply(
    created: bool, how_text: str, scope: str, leads: str, upcoming: str, waiting: str
) -> Reply:
    body = f"You will get reminders {how_text} for {scope}, {leads}."
    fields = [Field("Next reminders", upcoming)] if upcoming else []
    if not upcoming:
        body += " Nothing it covers has a known day ahead yet; you will be told when one does."
    if waiting:
        fields.append(Field("Planned once their day is known", waiting))
    title = "Subscribed" if created else "Subscription updated"
    return Reply(title, body, tuple(fields), footer=FOOTER)


def unsubscribed_reply(how_text: str, scopes: Sequence[str]) -> Reply:
    if not scopes:
        return not_found(
            "No such subscription", "Nothing to stop there. `/reminders` lists your subscriptions."
        )
    lines = "\n".join(f"• {scope}" for scope in scopes)
    return Reply("Unsubscribed", f"No more reminders {how_text} for:\n{lines}")


def not_a_target(text: str) -> Reply:
    return error(
        f"'{text}' is not a target",
        "Use `target:me` (a direct message), `target:here` (this "
        "channel, mentioning you) or `target:channel` (this channel).",
    )


CONSOLE_HAS_NO_CHANNELS = error(
    "The console has no channels", "Leave `target` out: reminders print here."
)
NEEDS_MANAGE_SERVER_FOR_CHANNEL = error(
    "You need Manage Server to subscribe this channel",
    "`target:here` gets you reminders here with a mention, `target:me` by direct message.",
)


def server_only(target: str) -> Reply:
    return error(
        f"`target:{target}` works in a server only",
        "In a DM, reminders come to you here: leave `target` out.",
    )


def bad_lead(problem: str) -> Reply:
    return error(
        "That lead does not work", f"{problem}. For several, separate them: `lead:7d,1d,2h`."
    )


def nothing_called(text: str, names: Sequence[str]) -> Reply:
    listed = "\n".join(f"• {n}" for n in names)
    hint = f"Did you mean:\n{listed}" if names else "Try `/topics` or `/agenda`."
    return not_found(f"Nothing called '{text}'", hint)


# -- /reminders ------------------------------------------------------------------------------

SHOW_WHAT = error(
    "Show what?",
    "Write `/reminders` for what is coming, or `/reminders log` for what was delivered.",
)
NO_REMINDERS = not_found(
    "No reminders yet",
    "Try `/subscribe` for every meeting, `/subscribe scope:PTC` for one body, or "
    "`/remind meeting:PTC 211 when:2d before`.",
)
NOTHING_DELIVERED = not_found(
    "Nothing delivered yet",
    "The log shows each reminder sent to you or this channel, late, skipped or failed, and why.",
)


def subscription_field(scope: str, how_text: str, leads: str, upcoming: str, waiting: str) -> Field:
    value = leads.capitalize() + "."
    value += f"\n{upcoming}" if upcoming else "\nNothing dated ahead."
    if waiting:
        value += f"\n{waiting}"
    return Field(f"{scope} · {how_text}"[:250], value)


def overview_reply(now: datetime, fields: Sequence[Field], personal: Sequence[str]) -> Reply:
    shown = list(fields)
    if personal:
        shown.append(Field("Personal reminders", "\n".join(personal[:10])))
    if not shown:
        return NO_REMINDERS
    return Reply("Your reminders", f"As of {date_long(now.date())}.", tuple(shown))


@dataclass(frozen=True, slots=True)
class LogEntry:
    """One delivery of the ledger, as the log shows it."""

    when: str
    state: str
    late: bool
    what: str
    where: str
    attempts: int
    reason: str | None


def log_reply(entries: Sequence[LogEntry]) -> Reply:
    if not entries:
        return NOTHING_DELIVERED
    lines = []
    for entry in entries:
        state = entry.state + (" late" if entry.late else "")
        line = f"• {entry.when} · **{state}** · {entry.what} · {entry.where}"
        if entry.attempts > 1:
            line += f" ({entry.attempts} attempts)"
        if entry.reason:
            line += f"\n  {entry.reason}"
        lines.append(line)
    return Reply("Reminder log", "Newest first.", (Field("Deliveries", "\n".join(lines)),))


def notice_text(change: str, title: str) -> str:
    return f"notice ({change}): {title}"


def personal_text(title: str) -> str:
    return f"personal reminder: {title}"


def lead_text(lead: timedelta | None, title: str) -> str:
    return f"{format_lead(lead) if lead is not None else '?'} before {title}"


# -- /timezone -------------------------------------------------------------------------------

NO_SERVER_HERE = error("There is no server here", "In a DM, `/timezone` sets yours.")
NEEDS_MANAGE_SERVER_FOR_ZONE = error(
    "You need Manage Server", "Only managers set the server's zone; `/timezone` alone sets yours."
)


def unknown_zone(text: str, suggestions: Sequence[str]) -> Reply:
    hint = (
        f"Did you mean {', '.join(f'`{s}`' for s in suggestions)}?"
        if suggestions
        else "Write an IANA name such as `Europe/Brussels`."
    )
    return error(f"Unknown time zone '{text}'", hint)


def server_zone_set(zone: str) -> Reply:
    return Reply("Server time zone set", f"The server's default zone is {zone}.")


def zone_set(zone: str) -> Reply:
    return Reply(
        "Time zone set",
        f"Your time zone is {zone}: times you give `/remind` are read in it, and the console "
        "shows it.",
    )
