"""Editing the agenda (/manage) in words: what an edit would do, what it did, and refusals that
say what to write instead."""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import urlsplit

from .formatting import TimeStyle
from .histories import value_text
from .model import Agenda, Meeting, Status
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
    "Nothing to undo", "Only edits made with `/manage` can be undone; this meeting has none."
)


def source_problem(url: str) -> str | None:
    """Why a source address will not do, or None."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc or any(c in url for c in " \n"):
        return f"'{url[:80]}' is not a web address; give one starting with https://"
    return None


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


def preview(title: str, what: str, fields: Sequence[Field], reason: str) -> Reply:
    body = f"{what} Nothing is saved until you confirm."
    if reason:
        body += f"\nWhy: {reason}"
    return Reply(
        f"Preview: {title}", body, tuple(fields), footer="Confirm, or leave it.", tone=Tone.PREVIEW
    )


def done(title: str, what: str, fields: Sequence[Field], meeting_id: str) -> Reply:
    return Reply(
        title,
        f"{what} Followers are told; reminders and calendars follow.",
        tuple(fields),
        footer=f"`/history {meeting_id}` lists every change; `/manage undo {meeting_id}` reverts",
    )
