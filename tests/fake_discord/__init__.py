"""An in-process fake Discord (REST under ``/api/v10`` and the gateway) for end-to-end tests
that drive a real discord.py 2.7 client, without the network and without sleeps.

Usage::

    async with FakeDiscord() as fake:
        intents = discord.Intents.default()
        bot = commands.Bot(commands.when_mentioned, intents=intents, **CLIENT_OPTIONS)
        async with running_client(fake, bot):
            await bot.tree.sync(guild=discord.Object(fake.guild_id))
            ping = await fake.send_command("ping", user="asker")
            reply = await ping.response(timeout=5)
            assert reply.type == 4 and reply.content == "pong" and reply.ephemeral

Everything the client does is recorded in ``fake.events`` / ``fake.requests``; wait on it with
``await fake.wait_for(predicate_or_kind, timeout=...)``.
"""

from .commands import ImpossibleInteraction
from .faults import Injection, RateLimitRule
from .harness import CLIENT_OPTIONS, quick_identify, running_client
from .payloads import Perm
from .records import (
    Event,
    InteractionRecord,
    RejectedByFake,
    Reply,
    RequestRecord,
    UploadedFile,
    WaitTimeout,
)
from .server import FakeDiscord
from .world import CHANNEL_IDS, GUILD_ID, USER_IDS, FakeChannel, FakeUser

__all__ = [
    "CHANNEL_IDS",
    "CLIENT_OPTIONS",
    "GUILD_ID",
    "USER_IDS",
    "Event",
    "FakeChannel",
    "FakeDiscord",
    "FakeUser",
    "ImpossibleInteraction",
    "Injection",
    "InteractionRecord",
    "Perm",
    "RateLimitRule",
    "RejectedByFake",
    "Reply",
    "RequestRecord",
    "UploadedFile",
    "WaitTimeout",
    "quick_identify",
    "running_client",
]
