"""A neutral Reply as Discord embeds, always within Discord's limits."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

import discord

from bot.core import Reply, Tone

TITLE_LIMIT = 256
DESCRIPTION_LIMIT = 4096
FIELD_NAME_LIMIT = 256
FIELD_VALUE_LIMIT = 1024
FIELD_COUNT_LIMIT = 25
FOOTER_LIMIT = 2048
TOTAL_LIMIT = 6000  # all embeds of one message together
CONTENT_LIMIT = 2000
COLOURS = {
    Tone.INFO: 0x1F6FB2,
    Tone.NOT_FOUND: 0xE67E22,
    Tone.ERROR: 0xC0392B,
    Tone.PREVIEW: 0x7F8C8D,
}
_SLASHED = re.compile(r"/([^\s`/]+)(?=[ `])")  # any name Discord allows
SHORTENED = "Shortened to fit in Discord; the console (`python -m bot`) shows it whole."


@dataclass(frozen=True)
class Message:
    """What to send: embeds (and a plain-text fallback when there are none)."""

    embeds: tuple[discord.Embed, ...]
    ephemeral: bool


def cut(text: str, limit: int) -> str:
    """At most `limit` characters, cut at a line or a word, with an ellipsis when cut."""
    if len(text) <= limit:
        return text
    head = text[: limit - 1]
    for separator in ("\n", " "):
        if separator in head[limit // 2 :]:
            head = head[: head.rindex(separator)]
            break
    return head.rstrip() + "…"


def split_value(value: str, limit: int = FIELD_VALUE_LIMIT) -> list[str]:
    """A long field value as several chunks, split between lines where it can be."""
    # Nearly every value fits: the line-by-line pass would give it back whole (it drops only
    # empty lines at the start), so it is spared for each field of each answer.
    if len(value) <= limit and not value.startswith("\n"):
        return [value if value.strip() else "\u200b"]
    return _split_lines(value, limit)


def _split_lines(value: str, limit: int) -> list[str]:
    """Lines packed into chunks of at most `limit`, as `_split_each_line` packs them. A list
    of meetings (/topic's, often over the limit) has no empty line and none over the limit:
    each chunk then ends at the last line break within the limit, found by `rfind` rather
    than by adding the lines one at a time (a tenth of a /topic's time in the bot)."""
    if "\n\n" in value or value.startswith("\n") or value.endswith("\n"):
        return _split_each_line(value, limit)  # empty lines: dropped or kept, as it says
    chunks: list[str] = []
    rest = value
    while len(rest) > limit:
        end = rest.rfind("\n", 0, limit + 1)
        if end <= 0:  # a line over the limit: cut into pieces
            return _split_each_line(value, limit)
        chunks.append(rest[:end])
        rest = rest[end + 1 :]
    chunks.append(rest)
    return [chunk if chunk.strip() else "\u200b" for chunk in chunks]


def _split_each_line(value: str, limit: int) -> list[str]:
    chunks: list[str] = []
    current = ""
    for line in value.split("\n"):
        pieces = [line[i : i + limit] for i in range(0, len(line), limit)] or [""]
        for piece in pieces:
            candidate = f"{current}\n{piece}" if current else piece
            if len(candidate) <= limit:
                current = candidate
            else:
                chunks.append(current)
                current = piece
    chunks.append(current)
    # Discord refuses an empty field value.
    return [chunk if chunk.strip() else "\u200b" for chunk in chunks]


def link_commands(text: str, command_ids: Mapping[str, int]) -> str:
    """`/meeting ptc-211-212` becomes a clickable command mention followed by its argument."""
    # Most texts hint at no command: skip them, and the commands a text does not name (the
    # result is the same). The names after a slash are found in one scan rather than one search
    # per command; a replacement brings a backtick before a name only if a slash was before it.
    if "`/" not in text:
        return text
    named = set(_SLASHED.findall(text))
    # In the order of the ids, as a replacement can make another name's hint; a text naming
    # one command (most do) looks it up rather than going through every command.
    ordered = named if len(named) == 1 else [name for name in command_ids if name in named]
    for name in ordered:
        command_id = command_ids.get(name)
        if command_id is None or f"`/{name}" not in text:
            continue
        text = text.replace(f"`/{name} ", f"</{name}:{command_id}> `")
        text = text.replace(f"`/{name}`", f"</{name}:{command_id}>")
    return text


def to_message(reply: Reply, command_ids: Mapping[str, int] | None = None) -> Message:
    """One embed: title, description, fields (long values continue in further fields), footer.

    Anything past 25 fields or 6,000 characters is left out with a note saying so. With the
    command ids Discord gave at sync, command hints become clickable mentions.
    """
    ids = command_ids or {}
    embed = discord.Embed(
        title=cut(reply.title, TITLE_LIMIT),
        description=cut(link_commands(reply.body, ids), DESCRIPTION_LIMIT) or None,
        colour=COLOURS[reply.tone],
    )
    footer = reply.footer
    if reply.paging is not None and reply.paging.pages > 1:
        page = f"Page {reply.paging.number} of {reply.paging.pages}"
        footer = f"{page} · {footer}" if footer else page
    budget = TOTAL_LIMIT - len(embed.title or "") - len(embed.description or "")
    budget -= len(footer) + len(SHORTENED) + 10
    shortened = False
    # Counted here: `embed.fields` builds a proxy for every field at each call.
    added = 0
    for field in reply.fields:
        for index, chunk in enumerate(split_value(link_commands(field.value, ids))):
            name = cut(field.name if index == 0 else f"{field.name} (continued)", FIELD_NAME_LIMIT)
            if added >= FIELD_COUNT_LIMIT - 1 or len(name) + len(chunk) > budget:
                shortened = True
                break
            embed.add_field(name=name, value=chunk, inline=False)
            added += 1
            budget -= len(name) + len(chunk)
        if shortened:
            break
    if shortened:
        footer = f"{footer} · {SHORTENED}" if footer else SHORTENED
    if footer:
        embed.set_footer(text=cut(footer, FOOTER_LIMIT))
    return Message((embed,), reply.is_error)
