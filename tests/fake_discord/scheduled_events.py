"""Guild scheduled events: the REST routes (list, create, get, modify, delete, users) with
Discord's validation, their gateway events, and what moderators and members do with them.

Sources: https://discord.com/developers/docs/resources/guild-scheduled-event (field limits,
"entity_metadata with a location and scheduled_end_time are required for EXTERNAL events", the
status transitions SCHEDULED -> ACTIVE -> COMPLETED and SCHEDULED -> CANCELED, MANAGE_EVENTS to
create, modify or delete; the cap of 100 scheduled or active events per guild answers
30038). Completed and cancelled events leave the guild's list, as on Discord.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from aiohttp import web

from .limits import InvalidBody
from .payloads import Perm, user_payload
from .routing import ApiRequest, Router, error_response, json_response, no_content

if TYPE_CHECKING:
    from .server import FakeDiscord

SCHEDULED, ACTIVE, COMPLETED, CANCELED = 1, 2, 3, 4
EXTERNAL = 3
GUILD_ONLY = 2
CAP = 100
TRANSITIONS = {(SCHEDULED, ACTIVE), (ACTIVE, COMPLETED), (SCHEDULED, CANCELED)}
MUTABLE = (
    "name",
    "description",
    "scheduled_start_time",
    "scheduled_end_time",
    "entity_metadata",
    "entity_type",
    "privacy_level",
    "channel_id",
)


@dataclass
class FakeScheduledEvent:
    id: int
    guild_id: int
    creator_id: int
    data: dict[str, Any]
    interested: list[int] = field(default_factory=list)
    history: list[dict[str, Any]] = field(default_factory=list)  # earlier versions

    @property
    def status(self) -> int:
        return int(self.data["status"])

    def payload(self, with_user_count: bool = False) -> dict[str, Any]:
        data = {
            "id": str(self.id),
            "guild_id": str(self.guild_id),
            "creator_id": str(self.creator_id),
            "entity_id": None,
            "image": None,
            **self.data,
        }
        if with_user_count:
            data["user_count"] = len(self.interested)
        return data


class InvalidEvent(InvalidBody):
    """Discord's 50035 answer with its nested ``errors`` ({field: {"_errors": [...]}}), which
    discord.py flattens into the exception's text."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__(errors)
        nested: dict[str, Any] = {}
        for text in errors:
            name, _, message = text.partition(": ")
            entry = {"code": "BASE_TYPE_INVALID", "message": message}
            nested.setdefault(name, {"_errors": []})["_errors"].append(entry)
        self.body["errors"] = nested


def _instant(value: Any, name: str, errors: list[str]) -> datetime | None:
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(str(value))
    except ValueError:
        errors.append(f"{name}: not an ISO8601 timestamp")
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed


def check_event(data: dict[str, Any], now: datetime, *, creating: bool, moved: bool) -> None:
    """Discord's validation of a scheduled event's fields (the merged state when modifying)."""
    errors: list[str] = []
    name = data.get("name")
    if not isinstance(name, str) or not 1 <= len(name) <= 100:
        errors.append("name: must be between 1 and 100 in length")
    description = data.get("description")
    if description is not None and len(str(description)) > 1000:
        errors.append("description: must be 1000 or fewer in length")
    if data.get("privacy_level") != GUILD_ONLY:
        errors.append("privacy_level: only GUILD_ONLY (2) is allowed")
    if data.get("entity_type") != EXTERNAL:
        errors.append("entity_type: this fake supports EXTERNAL (3) events only")
    location = (data.get("entity_metadata") or {}).get("location")
    if not isinstance(location, str) or not 1 <= len(location) <= 100:
        errors.append("entity_metadata.location: required for EXTERNAL events, 1-100 characters")
    start = _instant(data.get("scheduled_start_time"), "scheduled_start_time", errors)
    end = _instant(data.get("scheduled_end_time"), "scheduled_end_time", errors)
    if start is None:
        errors.append("scheduled_start_time: required")
    if end is None:
        errors.append("scheduled_end_time: required for EXTERNAL events")
    if start is not None and end is not None and end <= start:
        errors.append("scheduled_end_time: must be after the start")
    if start is not None and (creating or moved) and start <= now:
        errors.append("scheduled_start_time: Cannot schedule event in the past")
    if errors:
        raise InvalidEvent(errors)


class ScheduledEventsApi:
    def __init__(self, fake: FakeDiscord) -> None:
        self.fake = fake
        self.world = fake.world
        self.events: dict[int, FakeScheduledEvent] = fake.world.scheduled_events

    def register(self, router: Router) -> None:
        base = "/guilds/{guild_id}/scheduled-events"
        router.add("GET", base, self.list_events)
        router.add("POST", base, self.create)
        router.add("GET", base + "/{event_id}", self.get)
        router.add("PATCH", base + "/{event_id}", self.modify)
        router.add("DELETE", base + "/{event_id}", self.delete)
        router.add("GET", base + "/{event_id}/users", self.users)

    # -- state ------------------------------------------------------------------------------

    def listed(self) -> list[FakeScheduledEvent]:
        """The guild's list: scheduled and active events."""
        return [e for e in self.events.values() if e.status in (SCHEDULED, ACTIVE)]

    async def _dispatch(self, kind: str, event: FakeScheduledEvent) -> None:
        self.fake.recorder.record(f"scheduled_event_{kind}", event=event.payload())
        await self.fake.gateway.dispatch(f"GUILD_SCHEDULED_EVENT_{kind.upper()}", event.payload())

    # -- routes -----------------------------------------------------------------------------

    def _refused(self, req: ApiRequest, manage: bool) -> web.Response | None:
        if req.int("guild_id") != self.world.guild.id:
            return error_response(404, 10004, "Unknown Guild")
        bot = self.world.bot
        if manage and not self.world.base_permissions(bot) & Perm.MANAGE_EVENTS:
            return error_response(403, 50013, "Missing Permissions")
        return None

    def _event(self, req: ApiRequest) -> FakeScheduledEvent | web.Response:
        event = self.events.get(req.int("event_id"))
        if event is None or event.guild_id != req.int("guild_id"):
            return error_response(404, 10070, "Unknown Guild Scheduled Event")
        return event

    async def list_events(self, req: ApiRequest) -> web.Response:
        refused = self._refused(req, manage=False)
        counted = req.query.get("with_user_count") in ("1", "true", "True")
        return refused or json_response([e.payload(counted) for e in self.listed()])

    async def get(self, req: ApiRequest) -> web.Response:
        refused = self._refused(req, manage=False)
        event = self._event(req)
        if refused or isinstance(event, web.Response):
            return refused or event  # type: ignore[return-value]
        return json_response(event.payload(req.query.get("with_user_count") in ("1", "true")))

    async def create(self, req: ApiRequest) -> web.Response:
        refused = self._refused(req, manage=True)
        if refused:
            return refused
        data = {k: v for k, v in req.body.items() if k in MUTABLE}
        check_event(data, self.world.now(), creating=True, moved=False)
        if len(self.listed()) >= CAP:
            return error_response(
                400, 30038, "Maximum number of uncompleted guild scheduled events reached (100)"
            )
        event = FakeScheduledEvent(
            self.world.snowflakes.next(),
            self.world.guild.id,
            self.world.bot.id,
            {**data, "status": SCHEDULED, "description": data.get("description")},
        )
        self.events[event.id] = event
        await self._dispatch("create", event)
        return json_response(event.payload())

    async def modify(self, req: ApiRequest) -> web.Response:
        refused = self._refused(req, manage=True)
        event = self._event(req)
        if refused or isinstance(event, web.Response):
            return refused or event  # type: ignore[return-value]
        changes = {k: v for k, v in req.body.items() if k in (*MUTABLE, "status")}
        status = changes.pop("status", None)
        if event.status in (COMPLETED, CANCELED):
            raise InvalidEvent(["status: a completed or cancelled event cannot be changed"])
        merged = {**event.data, **changes}
        moved = (
            changes.get("scheduled_start_time", merged["scheduled_start_time"])
            != (event.data["scheduled_start_time"])
        )
        check_event(merged, self.world.now(), creating=False, moved=moved)
        if status is not None and int(status) != event.status:
            if (event.status, int(status)) not in TRANSITIONS:
                raise InvalidEvent([f"status: cannot go from {event.status} to {status}"])
            merged["status"] = int(status)
        event.history.append(dict(event.data))
        event.data = merged
        await self._dispatch("update", event)
        return json_response(event.payload())

    async def delete(self, req: ApiRequest) -> web.Response:
        refused = self._refused(req, manage=True)
        event = self._event(req)
        if refused or isinstance(event, web.Response):
            return refused or event  # type: ignore[return-value]
        del self.events[event.id]
        await self._dispatch("delete", event)
        return no_content()

    async def users(self, req: ApiRequest) -> web.Response:
        refused = self._refused(req, manage=False)
        event = self._event(req)
        if refused or isinstance(event, web.Response):
            return refused or event  # type: ignore[return-value]
        limit = min(100, int(req.query.get("limit", 100)))
        after = int(req.query.get("after", 0))
        users = sorted(u for u in event.interested if u > after)[:limit]
        return json_response(
            [
                {
                    "guild_scheduled_event_id": str(event.id),
                    "user": user_payload(self.world.users[u]),
                }
                for u in users
            ]
        )

    # -- what people do ---------------------------------------------------------------------------

    async def delete_by_hand(self, event_id: int) -> None:
        """A moderator deletes the event in Discord's client."""
        event = self.events.pop(event_id)
        await self._dispatch("delete", event)

    async def press_interested(self, event_id: int, user_id: int, pressed: bool = True) -> None:
        """A member presses Interested on the event (or takes it back)."""
        event = self.events[event_id]
        if pressed and user_id not in event.interested:
            event.interested.append(user_id)
        elif not pressed and user_id in event.interested:
            event.interested.remove(user_id)
        else:
            return
        kind = "USER_ADD" if pressed else "USER_REMOVE"
        data = {
            "guild_scheduled_event_id": str(event.id),
            "user_id": str(user_id),
            "guild_id": str(event.guild_id),
        }
        self.fake.recorder.record(f"scheduled_event_{kind.lower()}", **data)
        await self.fake.gateway.dispatch(f"GUILD_SCHEDULED_EVENT_{kind}", data)
