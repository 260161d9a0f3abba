"""What the fake records, and how a test waits for it without sleeping.

Everything that happens is appended to one ordered list of :class:`Event` objects (``kind`` plus a
``data`` dict). :meth:`Recorder.wait_for` first scans what is already recorded, then waits on an
``asyncio.Event`` that is replaced on every new record, so a wait never misses an event and never
polls. Interaction replies (callbacks, follow-ups, edits of ``@original``) are :class:`Reply`
objects collected on the :class:`InteractionRecord` returned by ``send_command`` and friends.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

REPLY_KINDS = ("callback", "followup", "edit", "delete")


class WaitTimeout(TimeoutError):
    """Nothing matching arrived in time; the message lists the last events recorded."""


class RejectedByFake(AssertionError):
    """The bot's answer was refused (e.g. a Discord limit was exceeded) instead of accepted."""


@dataclass
class Event:
    kind: str
    time: float  # event loop time
    data: dict[str, Any]

    def __getitem__(self, key: str) -> Any:
        return self.data[key]

    def get(self, key: str, default: Any = None) -> Any:
        return self.data.get(key, default)

    def summary(self) -> str:
        brief = {k: v for k, v in self.data.items() if isinstance(v, str | int | float | bool)}
        return f"{self.time:.3f} {self.kind} {brief}"


@dataclass(frozen=True)
class UploadedFile:
    """One ``files[n]`` part of a multipart/form-data request."""

    field: str
    filename: str
    content_type: str
    data: bytes

    @property
    def text(self) -> str:
        return self.data.decode("utf-8")


@dataclass
class RequestRecord:
    """One REST request as the fake received it (``path`` is relative to ``/api/v10``)."""

    method: str
    path: str
    query: dict[str, str]
    json: Any
    files: list[UploadedFile]
    headers: dict[str, str]
    time: float
    route: str = (
        "unknown"  # the matched route template, e.g. "POST /channels/{channel_id}/messages"
    )
    status: int | None = None

    def __repr__(self) -> str:
        return f"<{self.method} {self.path} -> {self.status} at {self.time:.3f}>"


class Recorder:
    """An append-only event log that can be awaited."""

    def __init__(self) -> None:
        self.events: list[Event] = []
        self._changed = asyncio.Event()

    def record(self, kind: str, **data: Any) -> Event:
        event = Event(kind, asyncio.get_running_loop().time(), data)
        self.events.append(event)
        changed, self._changed = self._changed, asyncio.Event()
        changed.set()
        return event

    def mark(self) -> int:
        """A position to pass as ``since=``: only later events will match."""
        return len(self.events)

    def matching(self, predicate: Callable[[Event], bool], since: int = 0) -> list[Event]:
        return [e for e in self.events[since:] if predicate(e)]

    async def wait_for(
        self,
        predicate: Callable[[Event], bool],
        *,
        timeout: float = 5.0,  # noqa: ASYNC109
        since: int = 0,
    ) -> Event:
        """The first event (at or after ``since``) that matches, waiting up to ``timeout`` s."""
        cursor = since
        try:
            async with asyncio.timeout(timeout):
                while True:
                    changed = self._changed
                    for event in self.events[cursor:]:
                        if predicate(event):
                            return event
                    cursor = len(self.events)
                    await changed.wait()
        except TimeoutError:
            recent = "\n  ".join(e.summary() for e in self.events[-15:])
            raise WaitTimeout(
                f"nothing matched within {timeout}s; last events:\n  {recent}"
            ) from None


def walk_components(components: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """Every component, depth first, through rows, containers, sections and labels."""
    for component in components or []:
        yield component
        yield from walk_components(component.get("components", []))
        for key in ("accessory", "component"):
            if isinstance(component.get(key), dict):
                yield from walk_components([component[key]])


@dataclass
class Reply:
    """One answer of the bot to an interaction.

    ``kind`` is "callback" (``POST /interactions/{id}/{token}/callback``), "followup"
    (``POST /webhooks/{app}/{token}``), "edit" (``PATCH .../messages/@original`` or a follow-up)
    or "delete". ``type`` is the callback type (4 message, 5 deferred, 6 deferred update,
    7 update, 8 autocomplete, 9 modal), ``None`` for the others. ``data`` is the message data the
    bot sent; ``message`` the resulting stored message payload, if any.
    """

    kind: str
    type: int | None
    data: dict[str, Any]
    files: list[UploadedFile]
    body: Any
    time: float
    message: dict[str, Any] | None = None
    status: int = 200
    error: dict[str, Any] | None = None  # the Discord error JSON when the fake refused it

    @property
    def rejected(self) -> bool:
        return self.error is not None

    @property
    def content(self) -> str | None:
        return self.data.get("content")

    @property
    def embeds(self) -> list[dict[str, Any]]:
        return self.data.get("embeds") or []

    @property
    def flags(self) -> int:
        return int(self.data.get("flags") or 0)

    @property
    def ephemeral(self) -> bool:
        return bool(self.flags & 64)

    @property
    def components(self) -> list[dict[str, Any]]:
        return self.data.get("components") or []

    @property
    def attachments(self) -> list[dict[str, Any]]:
        return self.data.get("attachments") or []

    @property
    def choices(self) -> list[dict[str, Any]]:
        """Autocomplete (type 8) choices."""
        return self.data.get("choices") or []

    def custom_ids(self) -> list[str]:
        return [c["custom_id"] for c in walk_components(self.components) if "custom_id" in c]

    def file(self, filename: str) -> UploadedFile:
        for uploaded in self.files:
            if uploaded.filename == filename:
                return uploaded
        raise KeyError(f"no uploaded file {filename!r}; got {[f.filename for f in self.files]}")


@dataclass
class InteractionRecord:
    """An interaction the fake sent to the bot, and everything the bot answered to it."""

    id: int
    token: str
    type: int  # 2 command, 3 component, 4 autocomplete, 5 modal submit
    payload: dict[str, Any]  # the INTERACTION_CREATE "d"
    user_id: int
    channel_id: int
    guild_id: int | None
    created: float
    recorder: Recorder = field(repr=False)
    # The recorder's events before this one was sent: no reply to it among them. Waiting for a
    # reply scanned every event of the run, so a long run (a bench) slowed down as it went.
    since: int = 0
    replies: list[Reply] = field(default_factory=list)
    original_message_id: int | None = None
    followup_ids: list[int] = field(default_factory=list)
    acknowledged: bool = False
    message_lookup: Callable[[int], dict[str, Any] | None] = field(
        repr=False, default=lambda _: None
    )

    @property
    def callbacks(self) -> list[Reply]:
        return [r for r in self.replies if r.kind == "callback"]

    @property
    def followups(self) -> list[Reply]:
        return [r for r in self.replies if r.kind == "followup"]

    @property
    def edits(self) -> list[Reply]:
        return [r for r in self.replies if r.kind == "edit"]

    @property
    def message(self) -> dict[str, Any] | None:
        """The current payload of the original response message (after edits), if any."""
        if self.original_message_id is None:
            return None
        return self.message_lookup(self.original_message_id)

    async def wait_for(self, predicate: Callable[[Reply], bool], *, timeout: float = 5.0) -> Reply:  # noqa: ASYNC109
        """The first reply (of any kind, accepted or rejected) that matches ``predicate``."""

        def matches(event: Event) -> bool:
            return (
                event.kind in REPLY_KINDS
                and event.data["interaction_id"] == self.id
                and predicate(event.data["reply"])
            )

        event = await self.recorder.wait_for(matches, timeout=timeout, since=self.since)
        return event.data["reply"]

    async def _nth(self, kind: str, index: int, timeout: float) -> Reply:  # noqa: ASYNC109
        seen: list[Reply] = []

        def count(reply: Reply) -> bool:
            if reply.kind == kind:
                seen.append(reply)
            return len(seen) > index

        reply = await self.wait_for(count, timeout=timeout)
        if reply.rejected:
            raise RejectedByFake(f"{kind} #{index} was refused with {reply.status}: {reply.error}")
        return reply

    async def response(self, timeout: float = 5.0) -> Reply:  # noqa: ASYNC109
        """The interaction callback (the first one); raises :class:`RejectedByFake` if refused."""
        return await self._nth("callback", 0, timeout)

    async def followup(self, index: int = 0, timeout: float = 5.0) -> Reply:  # noqa: ASYNC109
        """The ``index``-th follow-up message (``interaction.followup.send``)."""
        return await self._nth("followup", index, timeout)

    async def edit(self, index: int = 0, timeout: float = 5.0) -> Reply:  # noqa: ASYNC109
        """The ``index``-th edit (``edit_original_response`` or editing a follow-up)."""
        return await self._nth("edit", index, timeout)
