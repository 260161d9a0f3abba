"""Neutral replies: what the bot says, once, for every adapter to show its own way."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from .model import Source


class Tone(StrEnum):
    INFO = "info"
    NOT_FOUND = "not found"  # shown only to the asker (ephemeral in Discord)
    ERROR = "error"  # likewise; says what to type instead
    PREVIEW = "preview"  # what an edit would do, shown to its editor to confirm


@dataclass(frozen=True, slots=True)
class Field:
    name: str
    value: str


@dataclass(frozen=True, slots=True)
class Attachment:
    filename: str
    content: bytes
    media_type: str


@dataclass(frozen=True, slots=True)
class Paging:
    number: int
    pages: int
    total: int
    command: str  # the command that shows this list, without its page option

    def command_for(self, number: int) -> str:
        return f"{self.command} page:{number}"


@dataclass(frozen=True, slots=True, weakref_slot=True)
class Reply:
    """What the bot says, adapter-neutral: a title, Markdown body and fields, a tone (errors and
    "nothing found" are shown only to the asker), paging, an attachment; and for the preview of
    an edit, the state it was made on (`stamp`), which its confirmation passes back so that only
    what was shown is saved."""

    title: str
    body: str = ""
    fields: tuple[Field, ...] = ()
    footer: str = ""
    tone: Tone = Tone.INFO
    paging: Paging | None = None
    attachment: Attachment | None = None
    stamp: str = ""

    @property
    def is_error(self) -> bool:
        return self.tone is not Tone.INFO

    def markdown(self) -> str:
        """The whole reply as Markdown text (the console prints this)."""
        parts = [f"**{self.title}**"]
        if self.body:
            parts.append(self.body)
        parts.extend(f"**{field.name}**\n{field.value}" for field in self.fields)
        if self.paging is not None and self.paging.pages > 1:
            paging = self.paging
            hint = f"Page {paging.number} of {paging.pages} ({paging.total} in all)"
            if paging.number < paging.pages:
                hint += f"; next: `{paging.command_for(paging.number + 1)}`"
            parts.append(hint)
        if self.footer:
            parts.append(f"_{self.footer}_")
        return "\n\n".join(parts)


def error(title: str, body: str) -> Reply:
    return Reply(title=title, body=body, tone=Tone.ERROR)


def not_found(title: str, body: str) -> Reply:
    return Reply(title=title, body=body, tone=Tone.NOT_FOUND)


NOT_RUNNING = error(
    "Reminders and calendar feeds are not running here",
    "Start the bot (`python -m bot`) for them, or try again in a minute if it is starting; "
    "`/calendar file` gives a calendar meanwhile.",
)


def sources_text(sources: Iterable[Source]) -> str:
    lines = []
    for source in sources:
        line = f"• [{source.title}]({source.url})"
        if source.verified is not None:
            line += f" (verified {source.verified.isoformat()})"
        lines.append(line)
    return "\n".join(lines)
