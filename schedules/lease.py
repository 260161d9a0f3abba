"""Which process fires a database's reminders: the one holding the lease.

The lease is one row of the ledger, taken by compare-and-set and renewed every third of its
length. A standby tries to take it as often; it gets it when the lease runs out, or at once when
its holder ran on this machine and its process no longer exists (killed, crashed).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import socket
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

from .ledger import Ledger

log = logging.getLogger(__name__)
LEASE = timedelta(seconds=30)  # real time


class Lease:
    """This process's claim to fire the reminders: take it, keep it, wait for it, give it up."""

    def __init__(self, ledger: Ledger, length: timedelta = LEASE) -> None:
        self.ledger = ledger
        self.length = length
        self.every = length.total_seconds() / 3  # renewals, and a standby's tries
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"
        self.held = False
        self._task: asyncio.Task[None] | None = None

    async def take(self) -> bool:
        """Take the lease, or renew it if it is ours: False while another live process has it."""
        self.held = await self.ledger.take_lead(
            self.owner, datetime.now(UTC), self.length, holder_gone
        )
        return self.held

    def keep(
        self, on_beat: Callable[[], Awaitable[None]], on_lost: Callable[[], Awaitable[None]]
    ) -> None:
        """Renew it every `every` seconds (then `on_beat`); if another process took it in the
        meantime (ours ran out while the database was away), `on_lost`."""
        self._task = asyncio.create_task(self._keep(on_beat, on_lost))

    def wait_for(self, on_taken: Callable[[], Awaitable[None]]) -> None:
        """Try to take it every `every` seconds; once taken, `on_taken` (if that fails, the
        lease is let go and tried again)."""
        self._task = asyncio.create_task(self._wait(on_taken))

    async def stop_renewing(self) -> None:
        task, self._task = self._task, None
        if task is not None and task is not asyncio.current_task():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def give_up(self) -> None:
        if self.held:
            self.held = False
            await self.ledger.give_up_lead(self.owner)

    async def _keep(
        self, on_beat: Callable[[], Awaitable[None]], on_lost: Callable[[], Awaitable[None]]
    ) -> None:
        while True:
            await asyncio.sleep(self.every)
            try:
                if not await self.take():
                    await on_lost()
                    return
                await on_beat()
            except Exception:
                log.exception("could not renew the reminder lease")

    async def _wait(self, on_taken: Callable[[], Awaitable[None]]) -> None:
        while True:
            await asyncio.sleep(self.every)
            try:
                if not await self.take():
                    continue
                await on_taken()
                return
            except Exception:
                log.exception("could not take over the reminders; trying again")
                self.held = False


def holder_gone(holder: str) -> bool:
    """A lease holder on this machine whose process no longer exists (killed, crashed) is gone
    at once; elsewhere, its lease must run out."""
    host, _, rest = holder.partition(":")
    pid = rest.partition(":")[0]
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False
