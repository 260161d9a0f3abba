"""Running a real discord.py client against the fake, and shutting it down cleanly.

Two client settings matter in tests (``discord/client.py``, ``discord/state.py``):

- ``guild_ready_timeout`` (constructor option, default 2 s): ``on_ready`` fires that long after
  the last GUILD_CREATE. Pass ``**CLIENT_OPTIONS`` (0.05 s).
- ``Client.before_identify_hook`` sleeps 5 s before every non-initial IDENTIFY (after an
  INVALID_SESSION, say). :func:`quick_identify` replaces it with a no-op on the instance.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import discord

    from .server import FakeDiscord

CLIENT_OPTIONS: dict[str, Any] = {"guild_ready_timeout": 0.05}


async def _identify_now(shard_id: int | None, *, initial: bool = False) -> None:
    return None


def quick_identify(client: discord.Client) -> None:
    """Make ``before_identify_hook`` a no-op for this client (no 5 s wait on re-identify)."""
    client.before_identify_hook = _identify_now  # type: ignore[method-assign]


@contextlib.asynccontextmanager
async def running_client(
    fake: FakeDiscord,
    client: discord.Client,
    *,
    token: str | None = None,
    timeout: float = 10.0,  # noqa: ASYNC109
) -> AsyncIterator[discord.Client]:
    """Log ``client`` in to ``fake``, connect it, wait for ``on_ready``; close it all on exit.

    While inside, discord.py points at the fake (``Route.BASE``, ``DEFAULT_GATEWAY``).
    """
    with fake.point_discord_py_here():
        quick_identify(client)
        connect: asyncio.Task[None] | None = None
        try:
            await client.login(token if token is not None else fake.token)
            connect = asyncio.create_task(
                client.connect(reconnect=True), name="fake-discord-connect"
            )
            ready = asyncio.create_task(client.wait_until_ready())
            done, _ = await asyncio.wait(
                {ready, connect}, timeout=timeout, return_when="FIRST_COMPLETED"
            )
            if ready not in done:
                ready.cancel()
                if connect in done:
                    connect.result()  # raises what made connect() stop
                raise TimeoutError(f"the client was not ready within {timeout}s")
            yield client
        finally:
            await client.close()
            if connect is not None:
                await connect
