"""Answering an interaction with a Reply: embeds, ephemeral errors, files, pages."""

from __future__ import annotations

import asyncio
import io
import logging
import weakref
from collections.abc import Awaitable, Callable

import discord

from bot.core import Reply

from .embeds import Message, to_message

log = logging.getLogger(__name__)
PAGE_TIMEOUT = 180.0
STRANGER = "Only the person who asked can turn these pages; run the command yourself to browse."
RESTARTED = (
    "These buttons were made before the bot restarted and no longer work; "
    "run the command again for new ones."
)


async def answer(interaction: discord.Interaction, reply: Reply, private: bool = False) -> None:
    """Send `reply` as the interaction's response: only to the asker when it is an error, a
    "nothing found", or `private` (answers about one's own reminders)."""
    message = _message(interaction, reply)
    options: dict[str, object] = {
        "embeds": list(message.embeds),
        "ephemeral": message.ephemeral or private,
        "allowed_mentions": discord.AllowedMentions.none(),
    }
    if reply.attachment is not None:
        limit = interaction.filesize_limit
        if len(reply.attachment.content) > limit:
            await interaction.response.send_message(
                f"The calendar is {len(reply.attachment.content):,} bytes, more than the "
                f"{limit:,} this server accepts. Ask for less: `/calendar body:…` or `topic:…`.",
                ephemeral=True,
            )
            return
        options["file"] = discord.File(
            io.BytesIO(reply.attachment.content), filename=reply.attachment.filename
        )
    await interaction.response.send_message(**options)  # type: ignore[call-overload]


async def answer_after(
    interaction: discord.Interaction, work: Awaitable[Reply], private: bool = True
) -> None:
    """For commands that write to the database: acknowledge at once (Discord allows three
    seconds), then send the reply when the work is done."""
    await interaction.response.defer(ephemeral=private, thinking=True)
    reply = await work
    message = _message(interaction, reply)
    await interaction.followup.send(
        embeds=list(message.embeds),
        ephemeral=private or message.ephemeral,
        allowed_mentions=discord.AllowedMentions.none(),
    )


async def send_private(
    interaction: discord.Interaction,
    reply: Reply,
    view: discord.ui.View | None = None,
    *,
    edit: bool = False,
) -> None:
    """After a private acknowledgement: the reply (with buttons), or, pressed on those buttons,
    the same message edited into the reply (buttons gone)."""
    embeds = list(_message(interaction, reply).embeds)
    if edit:
        await interaction.edit_original_response(embeds=embeds, view=view)
        return
    none = discord.AllowedMentions.none()
    if view is None:
        await interaction.followup.send(embeds=embeds, ephemeral=True, allowed_mentions=none)
    else:
        await interaction.followup.send(
            embeds=embeds, view=view, ephemeral=True, allowed_mentions=none
        )


class _Made(weakref.ref[Reply]):
    """A reply's embeds, made with these command ids, kept for as long as the reply lives.

    A reply the service keeps (`Renderer`: /next, a topic asked again) is the same object at
    each asking, and its embeds are made once; they go when the service lets the reply go,
    not before. (The last 64 kept apart from the replies were pushed out by the next 64
    answers: a topic asked again had its embeds made again.) It does not keep the reply alive.
    An agenda keeps 1,024 answers at most (`render.RENDERINGS_KEPT`), and the service nine
    agendas at most (the one with every revision, and `AgendaService.VIEWS_KEPT` views at past
    instants, whose answers live until the view goes): a thousand topics' embeds take 6 MB."""

    __slots__ = ("ids", "key", "message")
    key: int
    ids: object
    message: Message


def _forget(made: weakref.ref[Reply]) -> None:
    """The reply is gone, and its id may become another's: its embeds go with it."""
    assert isinstance(made, _Made)
    if _MADE.get(made.key) is made:
        del _MADE[made.key]


_MADE: dict[int, _Made] = {}


def _message(interaction: discord.Interaction, reply: Reply) -> Message:
    ids = getattr(interaction.client, "command_ids", None)
    made = _MADE.get(id(reply))
    if made is not None and made.ids is ids and made() is reply:
        return made.message
    message = to_message(reply, ids)
    if reply.attachment is not None:
        # A calendar file (megabytes for a large agenda), written anew at each asking: never
        # answered again as this object, so not kept.
        return message
    made = _Made(reply, _forget)
    made.key, made.ids, made.message = id(reply), ids, message
    _MADE[made.key] = made
    return message


Page = Callable[[int], Awaitable[Reply]]


async def answer_paged(interaction: discord.Interaction, page: Page) -> None:
    """Send page 1 of a list with buttons that only the asker can press."""
    reply = await page(1)
    if reply.paging is None or reply.paging.pages <= 1 or reply.is_error:
        await answer(interaction, reply)
        return
    view = Pager(interaction.user.id, page, reply.paging.pages, interaction.client)
    await interaction.response.send_message(
        embeds=list(_message(interaction, reply).embeds),
        view=view,
        allowed_mentions=discord.AllowedMentions.none(),
    )
    # The buttons are disabled through the interaction (its token edits the answer, with no
    # request to fetch the message first). Keeping it rather than the message parsed from the
    # callback's answer leaves a third fewer objects alive per paged answer while its buttons
    # live, and so fewer and shorter collections of the garbage collector.
    view.message = _Original(interaction)
    view.start_timer()


_TIMING_OUT: set[asyncio.Task[None]] = set()


class _Original:
    """The answer to an interaction, as the page buttons edit it once they time out."""

    __slots__ = ("interaction",)

    def __init__(self, interaction: discord.Interaction) -> None:
        self.interaction = interaction

    async def edit(self, *, view: discord.ui.View) -> None:
        await self.interaction.edit_original_response(view=view)


class Pager(discord.ui.View):
    """Previous / next buttons over a paged Reply; they stop working (disabled) after a while:
    PAGE_TIMEOUT after the answer, or after the asker's last press.

    The time is kept here rather than by discord.py's view timeout, which runs a task per view
    asleep for those minutes: every paged answer paid for one (its view cost 118 us rather than
    51 us, measured alone), where one timer of the event loop does the same."""

    def __init__(
        self, owner_id: int, page: Page, pages: int, client: discord.Client | None = None
    ) -> None:
        super().__init__(timeout=None)
        self.lifetime = PAGE_TIMEOUT
        self.expires = 0.0  # on the event loop's clock, once the answer is sent
        self.owner_id = owner_id
        self.client = client
        self.page = page
        self.pages = pages
        self.number = 1
        self.message: _Original | None = None
        self._sync_buttons()

    def _sync_buttons(self) -> None:
        self.previous.disabled = self.number <= 1
        self.next.disabled = self.number >= self.pages

    def start_timer(self) -> None:
        loop = asyncio.get_running_loop()
        self.expires = loop.time() + self.lifetime
        loop.call_at(self.expires, self._expire)

    def _expire(self) -> None:
        if self.is_finished():
            return
        loop = asyncio.get_running_loop()
        if loop.time() < self.expires:  # pressed since: later
            loop.call_at(self.expires, self._expire)
            return
        self.stop()  # no more presses dispatched to it
        task = loop.create_task(self.on_timeout())
        _TIMING_OUT.add(task)  # the loop keeps a weak reference only
        task.add_done_callback(_TIMING_OUT.discard)

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        if interaction.user.id == self.owner_id:
            self.expires = asyncio.get_running_loop().time() + self.lifetime
            return True
        await interaction.response.send_message(STRANGER, ephemeral=True)
        return False

    async def _show(self, interaction: discord.Interaction, number: int) -> None:
        reply = await self.page(number)
        if reply.paging is not None:
            self.pages = reply.paging.pages
            self.number = reply.paging.number
        self._sync_buttons()
        await interaction.response.edit_message(
            embeds=list(_message(interaction, reply).embeds), view=self
        )
        # A press's answer is the paged message itself; its token is the freshest. A token
        # lasts 15 minutes, and each press keeps the buttons alive longer: from the press, and
        # again from its answer, as discord.py's timeout counted.
        self.message = _Original(interaction)
        self.expires = asyncio.get_running_loop().time() + self.lifetime

    @discord.ui.button(label="Previous", style=discord.ButtonStyle.secondary, custom_id="previous")
    async def previous(self, interaction: discord.Interaction, _: discord.ui.Button[Pager]) -> None:
        await self._show(interaction, self.number - 1)

    @discord.ui.button(label="Next", style=discord.ButtonStyle.primary, custom_id="next")
    async def next(self, interaction: discord.Interaction, _: discord.ui.Button[Pager]) -> None:
        await self._show(interaction, self.number + 1)

    async def on_timeout(self) -> None:
        for item in self.children:
            if isinstance(item, discord.ui.Button):
                item.disabled = True
        if self.client is not None and self.client.is_closed():
            return  # the bot is stopping, its HTTP session closing: the buttons die with it
        if self.message is not None:
            try:
                await self.message.edit(view=self)
            except discord.HTTPException as problem:
                # The message may have been deleted; the buttons die with it.
                log.info("could not disable page buttons: %s", problem)


def made_before_this_run(interaction: discord.Interaction, first_seen: int) -> bool:
    """Whether a button was pressed on a message older than the first interaction this process
    saw: its buttons belong to an earlier run. No view outlives its process (none is added
    with `add_view` at start-up: a Pager, which keeps its own time, only looks persistent to
    discord.py), and every message this process sends answers an interaction it received, so
    it is newer than that one (snowflakes grow on Discord's clock, not ours)."""
    message = interaction.message
    return (
        interaction.type is discord.InteractionType.component
        and message is not None
        and message.id < first_seen
    )
