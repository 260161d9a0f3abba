"""Reading a console line into a command and its options.

`/agenda body:policy commission past:yes` sets options by name; text without a `name:` prefix
fills the command's main option (`/topic 3d printing`). Values need no quotes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rapidfuzz import fuzz, process

from bot.core import COMMANDS_BY_NAME, MAX_INPUT, CommandSpec, OptionType, clean_input


@dataclass(frozen=True, slots=True)
class Invocation:
    command: CommandSpec
    options: dict[str, str]


class ParseError(ValueError):
    """The line cannot be run; the message says what to type instead."""

    def __init__(self, title: str, hint: str) -> None:
        super().__init__(title)
        self.title = title
        self.hint = hint


def parse_line(line: str) -> Invocation | None:
    """None for a blank line; raises ParseError for one that cannot be run."""
    text = clean_input(line, MAX_INPUT * 4)
    if not text:
        return None
    if not text.startswith("/"):
        # Plain words are a search: the most likely meaning of text typed at an agenda prompt.
        return Invocation(COMMANDS_BY_NAME["search"], {"query": text})
    name, _, rest = text[1:].partition(" ")
    command = COMMANDS_BY_NAME.get(name.casefold())
    if command is None:
        shown = clean_input(name, 40)
        close = process.extractOne(
            name.casefold(), list(COMMANDS_BY_NAME), scorer=fuzz.ratio, score_cutoff=50
        )
        hint = f"Did you mean `/{close[0]}`? " if close else ""
        raise ParseError(f"Unknown command /{shown}", hint + "Type `/help` for every command.")
    if command.subcommands:
        first, _, after = rest.strip().partition(" ")
        chosen = command.subcommand(first.casefold())
        if chosen is not None:
            command, rest = chosen, after
        elif command.default is not None:
            command = command.subcommand(command.default) or command
        else:
            raise ParseError(f"/{command.name} needs one of its subcommands", command.usage)
    return Invocation(command, _options(command, rest.strip()))


def _options(command: CommandSpec, rest: str) -> dict[str, str]:
    names = [option.name for option in command.options]
    if not names:
        if rest:
            raise ParseError(f"/{command.path} takes no options", f"Type just `/{command.path}`.")
        return {}
    marker = re.compile(r"(?:^|(?<=\s))(" + "|".join(map(re.escape, names)) + r"):", re.IGNORECASE)
    found = list(marker.finditer(rest))
    options: dict[str, str] = {}
    leading = rest[: found[0].start()] if found else rest
    flags = {o.name for o in command.options if o.type is OptionType.BOOL}
    if leading.strip().casefold() in flags:
        options[leading.strip().casefold()] = "yes"  # `/agenda past` reads as past:yes
    elif leading.strip():
        if command.main is None:
            raise ParseError(
                f"/{command.path} needs its options by name",
                f"Write them as `name:value`: `{command.usage}`.",
            )
        options[command.main] = _unquote(leading)
    for position, match in enumerate(found):
        end = found[position + 1].start() if position + 1 < len(found) else len(rest)
        name = match.group(1).casefold()
        if name in options:
            raise ParseError(f"{name}: given twice", f"Give each option once: `{command.usage}`.")
        options[name] = _unquote(rest[match.end() : end])
    for option in command.options:
        if option.required and not options.get(option.name):
            example = command.examples[0] if command.examples else command.usage
            raise ParseError(
                f"/{command.path} needs {option.name}",
                f"Usage: `{command.usage}`, for example `{example}`.",
            )
    return {key: clean_input(value, MAX_INPUT) for key, value in options.items()}


def _unquote(value: str) -> str:
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        return value[1:-1].strip()
    return value
