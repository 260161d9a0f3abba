"""What changed, in words: a meeting's history (/history), the agenda's recent changes
(/changes), and the line a calendar event carries about its latest change."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from .formatting import PlainTimes, TimeStyle, date_long, when_text
from .model import Agenda, Meeting, Origin, Revision, Source
from .queries import Page
from .reply import Field, Paging, Reply, not_found
from .revisions import changes_of
from .when import When

_NAMES = {
    "title": "title",
    "when": "date",
    "venue": "venue",
    "status": "status",
    "topics": "topics",
    "summary": "summary",
    "outcome": "outcome",
    "confidence": "how sure",
    "kind": "kind",
    "bodies": "bodies",
    "sessions": "sessions",
    "aliases": "other names",
}
_LONG = ("summary", "outcome", "confidence")  # said to change, not quoted


def value_text(agenda: Agenda, name: str, value: Any, times: TimeStyle) -> str:
    if value is None or value == "" or value == ():
        return "none"
    if isinstance(value, When):
        return when_text(value, times)
    if name == "topics":
        return ", ".join(agenda.topics[t].name if t in agenda.topics else t for t in value)
    if name == "bodies":
        return ", ".join(agenda.body_label(b) for b in value)
    if isinstance(value, tuple):
        return ", ".join(str(v) for v in value)
    return str(getattr(value, "value", value))


def change_lines(
    agenda: Agenda, history: Sequence[Revision], index: int, times: TimeStyle
) -> list[str]:
    """What revision `index` changed: 'date: Wed 2 - Fri 4 Mar 2016 → Wed 2 - Thu 3 Mar 2016'."""
    lines = []
    for name, (before, after) in changes_of(history, index).items():
        label = _NAMES.get(name, name)
        if index == 0:
            continue  # the announcement itself: said once, below
        if name in _LONG:
            lines.append(f"{label}: {'reported' if before in (None, '') else 'rewritten'}")
            continue
        old = value_text(agenda, name, before, times)
        new = value_text(agenda, name, after, times)
        lines.append(f"{label}: {old} → {new}")
    return lines


@dataclass(frozen=True, slots=True)
class Entry:
    """One revision as people read it: when it became known, what it changed, why, from
    where, and who made it (an editor) or where it came from (a followed calendar)."""

    known: datetime
    changes: tuple[str, ...]
    why: str
    source: Source | None
    by: str  # "" unless an editor's

    @property
    def from_a_feed(self) -> bool:
        return self.by == FROM_A_FEED


FROM_A_FEED = "a followed calendar"


def entries(agenda: Agenda, meeting: Meeting, times: TimeStyle) -> list[Entry]:
    """The meeting's revisions known so far, newest first."""
    history = meeting.history
    found = []
    for index in reversed(range(len(history))):
        revision = history[index]
        lines = change_lines(agenda, history, index, times)
        if index == 0:
            lines = ["announced"]
        elif not lines:
            lines = ["nothing that shows (sources or names)"]
        by = ""
        if revision.origin is Origin.EDITOR:
            by = _who(revision.by)
        elif revision.origin is Origin.FEED:
            by = FROM_A_FEED
        source = revision.sources[0] if revision.sources else None
        found.append(Entry(revision.known, tuple(lines), revision.why, source, by))
    return found


def entry_text(entry: Entry) -> str:
    text = "\n".join(f"• {line}" for line in entry.changes)
    if entry.why:
        text += f"\nWhy: {entry.why}"
    if entry.source is not None:
        text += f"\nSource: [{entry.source.title}]({entry.source.url})"
    if entry.from_a_feed:
        text += "\nFrom a followed calendar"
    elif entry.by:
        text += f"\nEdited by {entry.by}"
    return text


def history_reply(
    agenda: Agenda, meeting: Meeting, page: int, times: TimeStyle, now: datetime
) -> Reply:
    """Every revision known now, newest first."""
    found = entries(agenda, meeting, times)
    fields = [Field(date_long(e.known.date()), entry_text(e)) for e in found]
    shown = Page.of(fields, page, 5)
    return Reply(
        title=f"History: {meeting.title}",
        body=f"{len(found)} revision{'s' if len(found) != 1 else ''} known as of "
        f"{date_long(now.date())}, newest first.",
        fields=shown.items,
        paging=Paging(shown.number, shown.pages, shown.total, f"/history {meeting.id}"),
        footer=f"`/meeting {meeting.id}` shows it as it stands",
    )


def changes_reply(
    agenda: Agenda,
    changed: Sequence[tuple[Meeting, int]],
    since: datetime,
    now: datetime,
    page: int,
    times: TimeStyle,
) -> Reply:
    """Revisions known between `since` and now, newest first: (meeting, index in its history)."""
    if not changed:
        return not_found(
            f"Nothing changed since {date_long(since.date())}",
            "Ask for a longer span: `/changes since:2016-01-01` or `/changes since:90d`.",
        )
    fields = []
    for meeting, index in changed:
        entry = entries(agenda, meeting, times)[len(meeting.history) - 1 - index]
        fields.append(
            Field(
                f"{meeting.title} · {date_long(entry.known.date())}",
                entry_text(entry) + f"\n`/history {meeting.id}`",
            )
        )
    shown = Page.of(fields, page, 5)
    return Reply(
        title=f"Changes since {date_long(since.date())}",
        body=f"{len(fields)} change{'s' if len(fields) != 1 else ''} to the agenda, newest first, "
        f"as of {date_long(now.date())}.",
        fields=shown.items,
        paging=Paging(
            shown.number, shown.pages, shown.total, f"/changes since:{since.date().isoformat()}"
        ),
    )


def latest_change_text(agenda: Agenda, meeting: Meeting) -> str:
    """For a calendar event: 'Changed on 7 March 2016: date: ... → ...'; '' if never changed."""
    history = meeting.history
    if len(history) < 2:
        return ""
    lines = change_lines(agenda, history, len(history) - 1, PlainTimes())
    if not lines:
        return ""
    return f"Changed on {date_long(history[-1].known.date())}: " + "; ".join(lines) + "."


def _who(owner: str) -> str:
    if owner.startswith("discord:"):
        return f"<@{owner.removeprefix('discord:')}>"
    return owner or "an editor"
