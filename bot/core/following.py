"""Following other organisations' calendars, in words: /follow, /unfollow, /following and
`python -m bot import`, and refusals that say what to write instead."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit, urlunsplit

from .formatting import humanize
from .importing import Planned
from .reply import Field, Reply, error, not_found

URL_LIMIT = 2000
LISTED = 20  # planned changes shown by an import preview


@dataclass(frozen=True, slots=True)
class FeedState:
    """A followed calendar as /following shows it (instants are real ones, aware)."""

    url: str
    name: str  # the calendar's own name once read, else its host
    body: str  # the body's label
    fetched: datetime | None
    next_fetch: datetime | None
    events: int
    error: str
    failures: int


@dataclass(frozen=True, slots=True)
class Reading:
    """What one reading of a calendar did."""

    name: str
    events: int
    added: int
    changed: int
    removed: int
    unreadable: int = 0

    @classmethod
    def of(cls, name: str, events: int, planned: Sequence[Planned], unreadable: int) -> Reading:
        counts = {change: sum(p.change == change for p in planned) for change in _CHANGES}
        return cls(name, events, counts["added"], counts["changed"], counts["removed"], unreadable)

    def text(self) -> str:
        said = (
            f"{self.events} events read: {self.added} added, {self.changed} changed, "
            f"{self.removed} removed."
        )
        if self.unreadable:
            said += f" {self.unreadable} left out (no start, or a date out of range)."
        return said


_CHANGES = ("added", "changed", "removed")


def feed_address(text: str) -> str | None:
    """A calendar's address as it is fetched: http(s), webcal read as https; None if it is
    not one: longer than URL_LIMIT, with a user name or password (/following shows addresses
    to everyone), or a host or port no request could use."""
    address = text.strip()
    if len(address) > URL_LIMIT or any(ch.isspace() or not ch.isprintable() for ch in address):
        return None
    try:
        parts = urlsplit(address)
        host, _ = parts.hostname, parts.port  # each raises ValueError on "[::1", ":99999"
        if host is not None:
            host.encode("idna")  # "exa..mple" raises UnicodeError, a ValueError
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme == "webcal":
        scheme = "https"
    if scheme not in ("http", "https") or not host or "@" in parts.netloc:
        return None
    return urlunsplit((scheme, parts.netloc, parts.path or "/", parts.query, ""))


def bad_address(text: str) -> Reply:
    return error(
        "That calendar address does not work",
        f"'{text.strip()[:80]}' is not a calendar's web address; give one starting with "
        "https://, http:// or webcal://, without a user name or password (at most 2,000 "
        "characters).",
    )


def not_following(url: str) -> Reply:
    return not_found(
        "Not following that calendar",
        f"No calendar is followed at {url[:200]}; `/following` lists those that are.",
    )


def followed(url: str, reading: Reading | None, every: str) -> Reply:
    if reading is None:
        body = (
            f"Following {url}. The bot that sends the reminders reads it within a minute, "
            f"then {every}; `/following` shows how it went."
        )
    else:
        body = f"Following {reading.name} ({url}). {reading.text()} It is read again {every}."
    return Reply("Following a calendar", body)


def followed_unread(url: str, problem: str, every: str) -> Reply:
    return Reply(
        "Following a calendar",
        f"Following {url}, but it could not be read yet: {problem}. It is tried again {every}, "
        "later after each failure; `/following` shows how it goes.",
    )


def already_following(state: FeedState) -> Reply:
    return error(
        "Already following that calendar",
        f"{state.name} ({state.url}) is followed already; `/following` shows how it goes.",
    )


def unfollowed(url: str, meetings: int) -> Reply:
    return Reply(
        "No longer following",
        f"{url} is no longer read. Its {meetings} meetings stay on the agenda as last read "
        "(editors may change or cancel them); `/follow` it again to resume.",
    )


def following(states: Sequence[FeedState], now: datetime) -> Reply:
    if not states:
        return not_found(
            "No calendar is followed",
            "Editors follow one with `/follow <address>`; its meetings then join the agenda.",
        )
    fields = tuple(Field(f"{s.name} · {s.body}", _state_text(s, now)) for s in states)
    noun = "calendar" if len(states) == 1 else "calendars"
    return Reply("Followed calendars", f"{len(states)} {noun} followed.", fields[:25])


def _state_text(state: FeedState, now: datetime) -> str:
    lines = [state.url]
    if state.fetched is None:
        lines.append("Not read yet.")
    else:
        ago = now - state.fetched
        said = "just now" if ago < timedelta(minutes=1) else humanize(-ago)
        lines.append(f"Last read {said}; {state.events} events.")
    if state.next_fetch is not None:
        lines.append(f"Next reading {humanize(max(state.next_fetch, now) - now)}.")
    if state.error:
        tries = f" ({state.failures} times in a row)" if state.failures > 1 else ""
        lines.append(f"Last error{tries}: {state.error}; the last good reading is kept.")
    return "\n".join(lines)


def unreadable(url: str, problem: str) -> Reply:
    return error("That calendar could not be read", f"{url[:200]}: {problem}.")


def import_preview(reading: Reading, planned: Sequence[Planned]) -> Reply:
    lines = [f"• {p.change}: {p.title} (`{p.meeting_id}`)" for p in planned[:LISTED]]
    if len(planned) > LISTED:
        lines.append(f"… and {len(planned) - LISTED} more.")
    body = f"{reading.text()} Nothing was saved (a dry run)."
    return Reply(f"Import from {reading.name}: a preview", body, (Field("Would", _lines(lines)),))


def imported(reading: Reading) -> Reply:
    return Reply(
        f"Imported from {reading.name}",
        f"{reading.text()} Followers are told; reminders and calendars follow.",
    )


def _lines(lines: list[str]) -> str:
    return "\n".join(lines) or "Nothing: the agenda already holds these events as they are."
