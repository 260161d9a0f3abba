"""The shape of each entry of the data files, checked field by field (pydantic)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, datetime
from typing import Annotated, Any
from urllib.parse import urlsplit

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    NonNegativeInt,
    PositiveInt,
    StringConstraints,
    field_validator,
)

from .lookup import did_you_mean
from .model import Kind, Origin, Status
from .text import whole_number
from .when import year_problem

SLUG_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
Slug = Annotated[str, StringConstraints(pattern=SLUG_PATTERN, max_length=80)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
LongText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=4000)]

_DATE_FIELDS = ("verified", "as_of", "updated", "known", "start", "end", "announced")


class Entry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    # Every field that may hold a date, in any entry (a validator on "*" ran on every field).
    @field_validator(*_DATE_FIELDS, mode="after", check_fields=False)
    @classmethod
    def _within_the_years(cls, value: object) -> object:
        """Every date of every entry falls within the years the time code can work with."""
        if isinstance(value, date):  # datetimes too
            problem = year_problem(value)
            if problem is not None:
                raise ValueError(problem)
        return value


# http(s), a host of letters, digits, dots and hyphens, a port, then printable ASCII: what
# every source in practice is, and a subset of what _web_address accepts.
_PLAIN_WEB_ADDRESS = re.compile(r"https?://[A-Za-z0-9.-]+(?::[0-9]+)?(?:[/?#][!-~]*)?\Z")


class SourceEntry(Entry):
    title: Text
    url: Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)]
    verified: date | None = None

    @field_validator("url")
    @classmethod
    def _web_address(cls, value: str) -> str:
        if _PLAIN_WEB_ADDRESS.match(value):  # what urlsplit below accepts, read in C
            return value
        parts = urlsplit(value)
        if (
            parts.scheme not in ("http", "https")
            or not parts.netloc
            or any(c in value for c in " \n")
        ):
            raise ValueError("must be an http(s) address without spaces")
        return value


class DatasetEntry(Entry):
    name: Text
    organisation: Text
    description: LongText = ""
    as_of: date | None = None
    updated: AwareDatetime
    uid_domain: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9.-]+$", max_length=200)]


class BodyEntry(Entry):
    id: Slug
    name: Text
    acronym: Text | None = None
    aliases: list[Text] = Field(default_factory=list)
    parent: Slug | None = None
    external: bool = False
    summary: LongText = ""
    sources: list[SourceEntry] = Field(default_factory=list)


class HistoryEntry(Entry):
    """A later revision of a meeting: when it became known, only what it changed, where from."""

    known: date | AwareDatetime
    title: Text | None = None
    kind: Kind | None = None
    sessions: list[PositiveInt] | None = None
    start: date | datetime | str | int | None = None
    end: date | datetime | str | int | None = None
    timezone: Text | None = None
    venue: Text | None = None
    status: Status | None = None
    topics: list[Slug] | None = None
    aliases: list[Text] | None = None
    summary: LongText | None = None
    confidence: LongText | None = None
    outcome: LongText | None = None
    sources: list[SourceEntry] = Field(default_factory=list)
    note: LongText = ""
    by: Annotated[str, StringConstraints(max_length=40)] = ""  # an editor: "discord:<id>"
    origin: Origin = Origin.DATA


class MeetingEntry(Entry):
    id: Slug
    title: Text
    bodies: Annotated[list[Slug], Field(min_length=1)]
    kind: Kind
    sessions: list[PositiveInt] = Field(default_factory=list)
    start: date | datetime | str | int | None = None
    end: date | datetime | str | int | None = None
    timezone: Text
    venue: Text | None = None
    status: Status
    topics: list[Slug] = Field(default_factory=list)
    aliases: list[Text] = Field(default_factory=list)
    summary: LongText = ""
    confidence: LongText = ""
    outcome: LongText = ""
    announced: date | AwareDatetime | None = None
    revision: NonNegativeInt = 0
    updated: AwareDatetime | None = None
    sources: list[SourceEntry] = Field(default_factory=list)
    # Who announced it, for a meeting an editor or a followed calendar added (export-data).
    note: LongText = ""
    by: Annotated[str, StringConstraints(max_length=40)] = ""
    origin: Origin = Origin.DATA
    history: list[HistoryEntry] = Field(default_factory=list)


class FeedEntry(Entry):
    """A calendar the agenda follows (as `/follow` does), listed in the data files."""

    url: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]
    body: Slug | None = None
    kind: Kind = Kind.SESSION
    topics: list[Slug] = Field(default_factory=list)


class TopicEntry(Entry):
    id: Slug
    name: Text
    summary: Annotated[LongText, StringConstraints(min_length=1)]
    aliases: list[Text] = Field(default_factory=list)
    keywords: list[Text] = Field(default_factory=list)
    involved: list[Text] = Field(default_factory=list)
    bodies: list[Slug] = Field(default_factory=list)
    meetings: list[Slug] = Field(default_factory=list)
    confidence: LongText = ""
    updated: AwareDatetime | None = None
    sources: list[SourceEntry] = Field(default_factory=list)


class RoleEntry(Entry):
    """What a person did at a meeting: `did` reads before the meeting's title ("chaired")."""

    did: Text
    meeting: Slug
    topic: Slug | None = None
    what: LongText = ""
    position: Text | None = None
    known: date | AwareDatetime | None = None  # when it became public; the meeting's end if not
    confidence: LongText = ""
    sources: list[SourceEntry] = Field(default_factory=list)


class PersonEntry(Entry):
    id: Slug
    name: Text
    aliases: list[Text] = Field(default_factory=list)
    country: Text | None = None
    delegation: bool = False
    summary: LongText = ""
    sources: list[SourceEntry] = Field(default_factory=list)
    roles: Annotated[list[RoleEntry], Field(min_length=1)]


def explain(detail: Mapping[str, Any], model: type[BaseModel]) -> tuple[str, str]:
    location = [str(part) for part in detail.get("loc", ())]
    field = location[0] if location else ""
    for part in location[1:]:
        index = whole_number(part)
        field += f"[{index + 1}]" if index is not None else f".{part}"
    kind = detail.get("type", "")
    if kind == "extra_forbidden":
        inner = location
        if len(inner) > 2 and inner[0] == "history":  # history[n].field
            model, inner = HistoryEntry, inner[2:]
        elif len(inner) > 2 and inner[0] == "roles":  # roles[n].field
            model, inner = RoleEntry, inner[2:]
        known = list(model.model_fields)
        if len(inner) > 1 and inner[0] == "sources":
            known = list(SourceEntry.model_fields)
        return field, f"unknown field{did_you_mean(location[-1], known)}"
    if kind == "missing":
        return field, "missing; this field is required"
    if kind == "enum":
        expected = detail.get("ctx", {}).get("expected", "")
        return field, f"must be one of {expected}"
    if kind == "string_pattern_mismatch" and location and location[-1] in ("id", "parent"):
        return field, "must be a slug: lower-case letters, digits and single hyphens (ptc-211-212)"
    if kind == "string_pattern_mismatch":
        return field, "contains characters that are not allowed here"
    if kind == "timezone_aware":
        return field, "needs an offset, e.g. 2016-03-07T12:00:00Z"
    if kind == "value_error" and "error" in detail.get("ctx", {}):
        return field, str(detail["ctx"]["error"])
    message = str(detail.get("msg", "is not valid"))
    return field, message[0].lower() + message[1:]
