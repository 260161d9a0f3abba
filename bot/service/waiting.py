"""Waiting for whichever comes first: one of several events, or a time-out."""

from __future__ import annotations

import asyncio


async def any_set(*events: asyncio.Event, seconds: float | None = None) -> None:
    """Returns once one of `events` is set, or after `seconds` (None: no limit)."""
    waiters = [asyncio.ensure_future(event.wait()) for event in events]
    try:
        await asyncio.wait(waiters, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in waiters:
            waiter.cancel()
