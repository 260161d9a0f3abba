"""Delivering reminders on Discord over REST: one message per channel, DMs throttled, the
ledger's nonce on every message, failures turned into reasons people can act on."""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable

import aiohttp
import discord

from bot.core import TimeStyle
from bot.service import Message
from schedules import Attempt, Outcome, State

from .embeds import to_message
from .times import DISCORD_TIMES

log = logging.getLogger(__name__)
HISTORY_SEARCHED = 50
REASONS = {
    50007: "cannot send you direct messages (they are closed for this server's members); "
    "open them, or `/subscribe target:here`",
    50001: "the bot cannot see this channel (missing access)",
    50013: "the bot lacks a permission to post in this channel (Send Messages, Embed Links)",
    10003: "the channel was deleted",
    10013: "the user no longer exists",
}


Sleep = Callable[[float], Awaitable[None]]


class Throttle:
    """At most `rate` calls per second, spaced evenly (for direct messages)."""

    def __init__(
        self, rate: float, clock: Callable[[], float] = time.monotonic, sleep: Sleep = asyncio.sleep
    ) -> None:
        self.interval = 1.0 / rate
        self._clock = clock
        self._sleep = sleep
        self._next = 0.0
        self._lock = asyncio.Lock()

    async def wait(self) -> None:
        async with self._lock:
            now = self._clock()
            delay = self._next - now
            self._next = max(now, self._next) + self.interval
        if delay > 0:
            await self._sleep(delay)


class Window:
    """At most `limit` calls in any `per` seconds (a sliding window): Discord's global limit of
    50 requests a second holds however Discord lines up its own windows; a small margin absorbs
    the time a request takes to reach Discord."""

    def __init__(
        self,
        limit: int,
        per: float = 1.0,
        margin: float = 0.03,
        clock: Callable[[], float] = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.limit = limit
        self.per = per + margin
        self._clock = clock
        self._sleep = sleep
        self._sent: deque[float] = deque(maxlen=limit)
        self._lock = asyncio.Lock()

    async def wait(self) -> None:
        async with self._lock:
            if len(self._sent) == self.limit:
                delay = self._sent[0] + self.per - self._clock()
                if delay > 0:
                    await self._sleep(delay)
            self._sent.append(self._clock())


MENTIONS_PER_MESSAGE = 80  # 80 x "<@19 digits> " stays under Discord's 2,000 characters


def mention_batches(users: tuple[str, ...]) -> list[tuple[str, ...]]:
    """The users to mention, in messages Discord accepts; one empty batch for nobody."""
    if not users:
        return [()]
    return [users[i : i + MENTIONS_PER_MESSAGE] for i in range(0, len(users), MENTIONS_PER_MESSAGE)]


def _only(users: tuple[str, ...]) -> discord.AllowedMentions:
    """Pings for exactly these users, and for nothing else."""
    return discord.AllowedMentions(
        users=[discord.Object(id=int(user)) for user in users],
        roles=False,
        everyone=False,
        replied_user=False,
    )


def _retry_after(problem: discord.HTTPException) -> float | None:
    """The wait Discord asked for, from the Retry-After header of its last answer."""
    headers = getattr(problem.response, "headers", None) or {}
    try:
        return float(headers.get("Retry-After", ""))
    except ValueError:
        return None


class DiscordSender:
    """Sends reminders and notices over REST: a refusal (missing access, closed DMs, a deleted
    channel) fails at once with a reason people can act on; a rate limit, an outage or a lost
    connection is left to the engine to try again."""

    times: TimeStyle = DISCORD_TIMES

    def __init__(
        self, bot: discord.Client, dm_per_second: float = 2.0, requests_per_second: int = 50
    ) -> None:
        self.bot = bot
        self.dms = Throttle(dm_per_second)
        # Discord's global limit: staying inside it avoids 429s (discord.py retries those anyway).
        self.requests = Window(requests_per_second)

    async def send(self, destination: str, message: Message, attempt: Attempt) -> Outcome:
        kind, _, ident = destination.partition(":")
        try:
            if kind == "dm":
                await self.dms.wait()
                await self.requests.wait()
                channel: discord.abc.Messageable = await self.bot.create_dm(
                    discord.Object(id=int(ident))
                )
            elif kind == "channel":
                channel = self.bot.get_partial_messageable(int(ident))
            else:
                return Outcome(State.FAILED, f"no such destination on Discord: {destination}")
            ref = f"ref {message.ref[:10]}"
            if attempt.resumed:
                found = await self._already_sent(channel, ref)
                if found is not None:
                    return Outcome(State.SENT, "found after a restart", str(found.id))
            command_ids = getattr(self.bot, "command_ids", None)
            embed = to_message(message.reply, command_ids).embeds[0]
            footer = embed.footer.text
            embed.set_footer(text=f"{footer} · {ref}" if footer else ref)
            batches = mention_batches(message.mentions)
            await self.requests.wait()
            sent = await channel.send(
                content=(batches[0] and " ".join(f"<@{user}>" for user in batches[0])) or None,
                embed=embed,
                nonce=attempt.nonce,
                allowed_mentions=_only(batches[0]),
            )
            # Discord takes 2,000 characters and 100 mentions a message: the other subscribers
            # of a large channel are mentioned in short follow-ups, each with its own nonce.
            for number, batch in enumerate(batches[1:], start=1):
                await self.requests.wait()
                await channel.send(
                    content=" ".join(f"<@{user}>" for user in batch),
                    nonce=f"{attempt.nonce[:21]}+{number:03d}",
                    allowed_mentions=_only(batch),
                )
        except discord.HTTPException as problem:
            if problem.status == 429 or problem.status >= 500:
                # discord.py already waited and tried again a few times; the engine goes on.
                what = "rate limited" if problem.status == 429 else "unavailable"
                log.warning("reminder to %s: Discord %s (%s)", destination, what, problem.status)
                return Outcome(
                    State.RETRYING,
                    f"Discord was {what} ({problem.status})",
                    retry_after=_retry_after(problem),
                )
            reason = REASONS.get(
                problem.code,
                f"Discord refused it ({problem.status}: {problem.text or 'no reason given'})",
            )
            log.warning("reminder to %s failed: %s", destination, reason)
            return Outcome(State.FAILED, reason)
        except discord.RateLimited as problem:  # when max_ratelimit_timeout is set
            return Outcome(
                State.RETRYING, "Discord was rate limited", retry_after=problem.retry_after
            )
        except (aiohttp.ClientError, TimeoutError, OSError) as problem:
            log.warning("reminder to %s: Discord not reached (%r)", destination, problem)
            reason = f"Discord could not be reached ({type(problem).__name__})"
            return Outcome(State.RETRYING, reason)
        return Outcome(State.SENT, message_id=str(sent.id))

    async def _already_sent(
        self, channel: discord.abc.Messageable, ref: str
    ) -> discord.Message | None:
        """After a crash between sending and recording: is the message there already?"""
        me = self.bot.user
        try:
            async for earlier in channel.history(limit=HISTORY_SEARCHED):
                if me is not None and earlier.author.id != me.id:
                    continue
                if any(ref in (embed.footer.text or "") for embed in earlier.embeds):
                    return earlier
        except discord.HTTPException as problem:
            log.info("could not read the history to reconcile: %s", problem)
        return None
