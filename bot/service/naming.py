"""What an editor names in a command, read against the agenda: a body, a kind or a status, and
topics. Each gives the value, or the reply that says what to write instead."""

from __future__ import annotations

import re
from enum import Enum
from typing import TypeVar

from bot.core import MAX_INPUT, Reply, clean_input, normalize
from bot.core import managing as words

from .agenda import AgendaService

_SPLIT = re.compile(r"\s*[,;]\s*")
E = TypeVar("E", bound=Enum)


def body_named(agenda: AgendaService, text: str) -> str | Reply:
    resolution = agenda.index.find_body(clean_input(text, MAX_INPUT))
    if resolution.found is None:
        return words.bad_option("body", f"No body is called '{text[:80]}'.")
    return resolution.found


def topics_named(agenda: AgendaService, text: str) -> tuple[str, ...] | Reply:
    """Topics separated by commas (or semicolons), each once."""
    found = []
    for name in _SPLIT.split(clean_input(text, MAX_INPUT)):
        if not name:
            continue
        resolution = agenda.index.find_topic(name)
        if resolution.found is None:
            return words.bad_option("topic", f"No topic is called '{name[:80]}'.")
        found.append(resolution.found)
    return tuple(dict.fromkeys(found))


def choice(enum: type[E], text: str, name: str) -> E | Reply:
    key = normalize(text).replace(" ", "-")
    for member in enum:
        if member.value == key:
            return member
    choices = ", ".join(str(member.value) for member in enum)
    return words.bad_option(name, f"Use one of: {choices}.")
