"""Editing the agenda (/manage) in words: what an edit would do, what it did, and refusals that
say what to write instead."""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import urlsplit

from pydantic import ValidationError

from .entries import SourceEntry
from .formatting import TimeStyle
from .histories import value_text
from .model import Agenda, Meeting, Source, Status
from .reply import Field, Reply, Tone, error, not_found

NOT_AN_EDITOR = error(
    "Only editors change the agenda",
    "Editing is given by the bot's operator (EDITOR_GUILDS, EDITOR_ROLES); `/history` shows "
    "what changed, and `/meeting` how it stands.",
)
NOTHING_TO_CHANGE = error(
    "Nothing to change",
    "Give at least one of `start`, `end`, `venue`, `timezone`, `status`, `title` or `topics`.",
)
NOTHING_TO_UNDO = not_found(
    "Nothing to undo",
    "Only changes made with `/manage` to a meeting can be undone, and this one has none. A "
    "meeting added by mistake is taken back with `/manage cancel`.",
)


def already(meeting: Meeting) -> Reply:
    return error(f"{meeting.title} is already {meeting.status.value}", "Nothing was changed.")


def source_of(url: str) -> Source | None:
    """The source an editor gave, titled by its host, if the data files would accept it."""
    try:
        entry = SourceEntry(title=urlsplit(url).netloc[:200] or "-", url=url)
    except (ValidationError, ValueError):
        return None
    return Source(entry.title, entry.url)


def source_problem(url: str) -> str:
    return (
        f"'{url[:80]}' is not a web address of at most 2,000 characters; give one starting "
        "with https://"
    )


def bad_option(name: str, problem: str) -> Reply:
    return error(f"That {name} does not work", problem)


def status_refused(meeting: Meeting, status: Status) -> Reply:
    return error(
        f"{meeting.title} cannot become {status.value}",
        f"It is {meeting.status.value}; held and cancelled are final, and a meeting is "
        "confirmed, postponed or cancelled from planned or tentative.",
    )


def change_fields(
    agenda: Agenda, before: Meeting | None, sets: dict[str, object], times: TimeStyle
) -> tuple[Field, ...]:
    """Each change as a field: 'Date', 'Wed 2 - Thu 3 Mar 2016 → Wed 9 - Thu 10 Mar 2016'."""
    fields = []
    for name, value in sets.items():
        new = value_text(agenda, name, value, times)
        if before is None:
            fields.append(Field(name.capitalize(), new))
            continue
        old = value_text(agenda, name, getattr(before, name), times)
        if old != new:
            fields.append(Field(name.capitalize(), f"{old} → {new}"))
    return tuple(fields)


def preview(title: str, what: str, fields: Sequence[Field], reason: str, stamp: str) -> Reply:
    body = f"{what} Nothing is saved until you confirm."
    if reason:
        body += f"\nWhy: {reason}"
    return Reply(
        f"Preview: {title}",
        body,
        tuple(fields),
        footer="Confirm, or leave it.",
        tone=Tone.PREVIEW,
        stamp=stamp,
    )


def stamp_of(meeting: Meeting | None) -> str:
    """The state an edit is previewed on: the meeting's revisions so far (none for an addition)."""
    return f"{meeting.id}#{len(meeting.history)}" if meeting is not None else "new"


def changed_since_preview(meeting: Meeting) -> Reply:
    return error(
        f"{meeting.title} changed since your preview",
        "Someone else changed it meanwhile, so nothing was saved. Run the command again to see "
        "what it would do now (`/history` shows the other change).",
    )


def done(title: str, what: str, fields: Sequence[Field], meeting_id: str) -> Reply:
    return Reply(
        title,
        f"{what} Followers are told; reminders and calendars follow.",
        tuple(fields),
        footer=f"`/history {meeting_id}` lists every change; `/manage undo {meeting_id}` reverts",
    )
