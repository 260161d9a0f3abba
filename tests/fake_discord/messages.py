"""Creating and editing messages, with attachments served back from the fake's CDN.

A message create or edit carries JSON, or multipart/form-data with a ``payload_json`` part and
``files[n]`` parts (discord.py ``http.py`` ``handle_message_parameters``, and
``interaction_message_response_params`` in ``webhook/async_.py`` where ``payload_json`` is the
whole callback ``{"type", "data"}``). ``attachments[i].id`` is the index ``n`` of a new file or
the snowflake of an attachment to keep.
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any

from .limits import InvalidBody, check_message
from .payloads import attachment_payload, iso_now, user_payload
from .world import StoredMessage

if TYPE_CHECKING:
    from .records import UploadedFile
    from .world import FakeChannel, World

ATTACHMENT_SIZE_LIMIT = 10 * 1024 * 1024  # bots without boosts, since 2024
EPHEMERAL, LOADING = 64, 128
MESSAGE_FIELDS = ("content", "embeds", "components", "flags", "tts", "allowed_mentions", "poll")


class CDN:
    """Attachment bytes, served at ``{base}/attachments/{id}/{filename}``."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.base = ""  # set once the server knows its port
        self.files: dict[int, tuple[str, bytes, str]] = {}

    def store(self, filename: str, data: bytes, content_type: str, **extra: Any) -> dict[str, Any]:
        attachment_id = self.world.snowflakes.next()
        self.files[attachment_id] = (filename, data, content_type)
        url = f"{self.base}/attachments/{attachment_id}/{filename}"
        return attachment_payload(attachment_id, filename, len(data), content_type, url, **extra)


class Messages:
    def __init__(self, world: World, cdn: CDN) -> None:
        self.world = world
        self.cdn = cdn

    def _attachments(
        self,
        data: dict[str, Any],
        files: list[UploadedFile],
        kept: list[dict[str, Any]],
    ) -> list[dict[str, Any]]:
        """Resolve ``data["attachments"]`` (indexes of new files, ids of kept ones)."""
        if sum(len(f.data) for f in files) > ATTACHMENT_SIZE_LIMIT:
            raise InvalidBody(["Request entity too large"], code=40005, status=413)
        by_index = {}
        for uploaded in files:
            index = uploaded.field.removeprefix("files[").removesuffix("]")
            by_index[index] = uploaded
        old = {a["id"]: a for a in kept}
        listed = data.get("attachments")
        if listed is None:  # nothing said: keep what was there, add the new files
            listed = [*({"id": a["id"]} for a in kept), *({"id": i} for i in by_index)]
        result = []
        for entry in listed:
            key = str(entry.get("id"))
            if key in by_index:
                uploaded = by_index.pop(key)
                extra = {k: entry[k] for k in ("description", "title") if entry.get(k)}
                filename = entry.get("filename") or uploaded.filename
                result.append(
                    self.cdn.store(filename, uploaded.data, uploaded.content_type, **extra)
                )
            elif key in old:
                result.append(old[key])
            else:
                raise InvalidBody([f"attachments: unknown attachment or file {key!r}"])
        return result

    def create(
        self,
        channel: FakeChannel,
        data: dict[str, Any],
        files: list[UploadedFile],
        *,
        now: float,
        interaction: dict[str, Any] | None = None,
        visible_to: int | None = None,
        nonce: str | None = None,
        loading: bool = False,
    ) -> StoredMessage:
        """Validate and store a message the bot sends (to a channel or as an interaction)."""
        if not loading:
            check_message(data, files=len(files))
        world = self.world
        flags = int(data.get("flags") or 0) | (LOADING if loading else 0)
        payload: dict[str, Any] = {
            "id": str(world.snowflakes.next()),
            "type": 0,
            "channel_id": str(channel.id),
            "author": user_payload(world.bot),
            "content": data.get("content") or "",
            "timestamp": iso_now(),
            "edited_timestamp": None,
            "tts": bool(data.get("tts")),
            "mention_everyone": False,
            "mentions": [],
            "mention_roles": [],
            "attachments": self._attachments(data, files, []),
            "embeds": data.get("embeds") or [],
            "components": data.get("components") or [],
            "pinned": False,
            "flags": flags,
        }
        if channel.guild_id is not None:
            payload["guild_id"] = str(channel.guild_id)
        if nonce is not None:
            payload["nonce"] = nonce
        if data.get("poll"):
            payload["poll"] = data["poll"]
        if interaction is not None:  # a response or follow-up: sent through the app's webhook
            payload["type"] = 20 if interaction["type"] == 2 else 19
            payload["webhook_id"] = str(world.application_id)
            payload["application_id"] = str(world.application_id)
            payload["interaction_metadata"] = {
                "id": interaction["id"],
                "type": interaction["type"],
                "user": interaction.get("member", {}).get("user") or interaction.get("user"),
                "authorizing_integration_owners": interaction["authorizing_integration_owners"],
            }
        stored = StoredMessage(
            payload,
            channel.id,
            now,
            interaction_id=int(interaction["id"]) if interaction else None,
            visible_to=visible_to if flags & EPHEMERAL else None,
            nonce=nonce,
        )
        world.messages[stored.id] = stored
        return stored

    def edit(self, stored: StoredMessage, data: dict[str, Any], files: list[UploadedFile]) -> None:
        """Apply an edit: given fields replace the old ones, the loading flag goes away."""
        current = stored.payload
        check_message(
            data, files=len(files), existing=None if current["flags"] & LOADING else current
        )
        stored.history.append(copy.deepcopy(current))
        for key in MESSAGE_FIELDS:
            if key in data and key != "flags":
                current[key] = (
                    data[key] if data[key] is not None else ([] if key != "content" else "")
                )
        if "attachments" in data or files:
            current["attachments"] = self._attachments(data, files, current["attachments"])
        flags = current["flags"] & ~LOADING
        if "flags" in data and data["flags"] is not None:
            flags = (flags & EPHEMERAL) | int(data["flags"])  # ephemeral cannot be toggled
        current["flags"] = flags
        current["edited_timestamp"] = iso_now()

    def find(self, message_id: int) -> StoredMessage | None:
        stored = self.world.messages.get(message_id)
        return None if stored is None or stored.deleted else stored
