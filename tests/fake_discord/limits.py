"""Discord's documented limits, checked the way Discord checks them: a breach answers
``400 {"code": 50035, "message": "Invalid Form Body", "errors": ...}`` (or 50006 for an empty
message), so a bot that builds an oversize embed fails its end-to-end test like it would fail
in production, instead of passing against a lenient fake.

Sources: https://discord.com/developers/docs/resources/message#create-message,
https://discord.com/developers/docs/resources/message#embed-object-embed-limits,
https://discord.com/developers/docs/interactions/message-components,
https://discord.com/developers/docs/interactions/application-commands.
"""

from __future__ import annotations

import re
from typing import Any

from .records import walk_components

CONTENT_MAX = 2000
EMBEDS_MAX = 10
EMBED_TOTAL_MAX = 6000
EMBED_FIELDS_MAX = 25
ROWS_MAX = 5
CHOICES_MAX = 25
OPTIONS_MAX = 25
COMMANDS_MAX = 100
EMBED_TEXT_LIMITS = {"title": 256, "description": 4096}
NAME_RE = re.compile(r"^[-_'\w]{1,32}$")


class InvalidBody(Exception):
    """A Discord error answer: ``status`` and the JSON ``body``."""

    def __init__(self, errors: list[str], *, code: int = 50035, status: int = 400) -> None:
        message = "Invalid Form Body" if code == 50035 else errors[0]
        super().__init__("; ".join(errors))
        self.status = status
        self.body: dict[str, Any] = {"code": code, "message": message, "errors": errors}


def embed_errors(embed: dict[str, Any], where: str) -> tuple[list[str], int]:
    """The limit breaches of one embed, and its character count toward the 6000 total."""
    errors: list[str] = []
    total = 0
    for key, limit in EMBED_TEXT_LIMITS.items():
        text = embed.get(key) or ""
        total += len(text)
        if len(text) > limit:
            errors.append(f"{where}.{key}: must be {limit} or fewer in length ({len(text)})")
    fields = embed.get("fields") or []
    if len(fields) > EMBED_FIELDS_MAX:
        errors.append(f"{where}.fields: must be {EMBED_FIELDS_MAX} or fewer ({len(fields)})")
    for i, field in enumerate(fields):
        name, value = field.get("name") or "", field.get("value") or ""
        total += len(name) + len(value)
        if not name or len(name) > 256:
            errors.append(f"{where}.fields.{i}.name: must be 1 to 256 long ({len(name)})")
        if not value or len(value) > 1024:
            errors.append(f"{where}.fields.{i}.value: must be 1 to 1024 long ({len(value)})")
    footer = (embed.get("footer") or {}).get("text") or ""
    author = (embed.get("author") or {}).get("name") or ""
    total += len(footer) + len(author)
    if len(footer) > 2048:
        errors.append(f"{where}.footer.text: must be 2048 or fewer in length")
    if len(author) > 256:
        errors.append(f"{where}.author.name: must be 256 or fewer in length")
    return errors, total


def component_errors(components: list[dict[str, Any]]) -> list[str]:
    errors: list[str] = []
    top = components or []
    if len(top) > ROWS_MAX and all(c.get("type") == 1 for c in top):
        errors.append(f"components: must be {ROWS_MAX} or fewer in length ({len(top)})")
    for row in top:
        if row.get("type") == 1 and len(row.get("components") or []) > 5:
            errors.append("components.row: must be 5 or fewer in length")
    seen: set[str] = set()
    for component in walk_components(top):
        custom_id = component.get("custom_id")
        if custom_id is not None:
            if not 1 <= len(custom_id) <= 100:
                errors.append(f"custom_id {custom_id!r}: must be 1 to 100 long")
            if custom_id in seen:
                errors.append(f"custom_id {custom_id!r}: component custom id cannot be duplicated")
            seen.add(custom_id)
        if component.get("type") == 2 and len(component.get("label") or "") > 80:
            errors.append("button.label: must be 80 or fewer in length")
    return errors


def check_message(
    data: dict[str, Any], *, files: int = 0, existing: dict[str, Any] | None = None
) -> None:
    """Raise :class:`InvalidBody` if a message create/edit breaks a limit or ends up empty."""
    merged = {**(existing or {}), **{k: v for k, v in data.items() if v is not None}}
    errors: list[str] = []
    content = data.get("content") or ""
    if len(content) > CONTENT_MAX:
        errors.append(f"content: must be {CONTENT_MAX} or fewer in length ({len(content)})")
    embeds = data.get("embeds") or []
    if len(embeds) > EMBEDS_MAX:
        errors.append(f"embeds: must be {EMBEDS_MAX} or fewer in length")
    total = 0
    for i, embed in enumerate(embeds):
        embed_breaches, characters = embed_errors(embed, f"embeds.{i}")
        errors += embed_breaches
        total += characters
    if total > EMBED_TOTAL_MAX:
        errors.append(
            f"embeds: the sum of all embed text must be {EMBED_TOTAL_MAX} or fewer ({total})"
        )
    errors += component_errors(data.get("components") or [])
    if errors:
        raise InvalidBody(errors)
    empty = not (
        merged.get("content")
        or merged.get("embeds")
        or merged.get("components")
        or merged.get("attachments")
        or merged.get("sticker_ids")
        or merged.get("poll")
        or files
    )
    if empty:
        raise InvalidBody(["Cannot send an empty message"], code=50006)


def check_choices(data: dict[str, Any]) -> None:
    choices = data.get("choices")
    errors: list[str] = []
    if choices is None:
        errors.append("choices: this field is required")
    elif len(choices) > CHOICES_MAX:
        errors.append(f"choices: must be {CHOICES_MAX} or fewer in length ({len(choices)})")
    for i, choice in enumerate(choices or []):
        if not 1 <= len(choice.get("name") or "") <= 100:
            errors.append(f"choices.{i}.name: must be 1 to 100 long")
        value = choice.get("value")
        if isinstance(value, str) and len(value) > 100:
            errors.append(f"choices.{i}.value: must be 100 or fewer in length")
    if errors:
        raise InvalidBody(errors)


def check_modal(data: dict[str, Any]) -> None:
    errors = []
    if not 1 <= len(data.get("title") or "") <= 45:
        errors.append("title: must be 1 to 45 long")
    if not data.get("custom_id"):
        errors.append("custom_id: this field is required")
    if not 1 <= len(data.get("components") or []) <= 5:
        errors.append("components: must be 1 to 5 long")
    if errors:
        raise InvalidBody(errors)


def _option_errors(options: list[dict[str, Any]], where: str) -> list[str]:
    errors: list[str] = []
    if len(options) > OPTIONS_MAX:
        errors.append(f"{where}.options: must be {OPTIONS_MAX} or fewer in length")
    names: set[str] = set()
    optional_seen = False
    for i, option in enumerate(options):
        here = f"{where}.options.{i}"
        name = option.get("name") or ""
        if not NAME_RE.match(name) or name != name.lower():
            errors.append(f"{here}.name: {name!r} is not a valid command option name")
        if name in names:
            errors.append(f"{here}.name: duplicate option name {name!r}")
        names.add(name)
        if not 1 <= len(option.get("description") or "") <= 100:
            errors.append(f"{here}.description: must be 1 to 100 long")
        if option.get("type") in (1, 2):
            errors += _option_errors(option.get("options") or [], here)
            continue
        if option.get("required"):
            if optional_seen:
                errors.append(
                    f"{here}: required options must be placed before non-required options"
                )
        else:
            optional_seen = True
        choices = option.get("choices") or []
        if len(choices) > CHOICES_MAX:
            errors.append(f"{here}.choices: must be {CHOICES_MAX} or fewer in length")
        if choices and option.get("autocomplete"):
            errors.append(f"{here}: autocomplete cannot be set with choices")
    return errors


def check_commands(commands: list[dict[str, Any]]) -> None:
    """Validate a bulk overwrite (``PUT .../commands``) like Discord does."""
    errors: list[str] = []
    if len(commands) > COMMANDS_MAX:
        errors.append(f"must be {COMMANDS_MAX} or fewer in length")
    seen: set[tuple[str, int]] = set()
    for i, command in enumerate(commands):
        name, kind = command.get("name") or "", int(command.get("type") or 1)
        if (name, kind) in seen:
            errors.append(f"{i}.name: application command names must be unique")
        seen.add((name, kind))
        if kind == 1:
            if not NAME_RE.match(name) or name != name.lower():
                errors.append(f"{i}.name: {name!r} is not a valid slash command name")
            if not 1 <= len(command.get("description") or "") <= 100:
                errors.append(f"{i}.description: must be 1 to 100 long")
            errors += _option_errors(command.get("options") or [], str(i))
    if errors:
        raise InvalidBody(errors)
