"""Interaction answers: the callback and the application's webhook (follow-ups, ``@original``).

discord.py (``interactions.py`` ``InteractionResponse``, ``webhook/async_.py``):

- ``POST /interactions/{id}/{token}/callback?with_response=1`` with ``{"type", "data"}`` (or
  multipart with it in ``payload_json``). The answer is parsed by ``InteractionCallbackResponse``
  which reads ``data["interaction"]["id"]`` unconditionally, then ``response_message_id``,
  ``response_message_loading``, ``response_message_ephemeral`` and ``resource.message``. A view
  sent with the response is stored under ``response_message_id``, so that id must be the id of
  the message a later button press refers to.
- ``followup.send`` posts ``/webhooks/{app}/{token}?wait=1``; ``edit_original_response`` patches
  ``/webhooks/{app}/{token}/messages/@original``; neither sends an Authorization header.

Discord's own rules, enforced here: one callback per interaction (a second one answers 400 code
40060), the callback within ``callback_deadline`` seconds (3 on Discord; later answers 404 code
10062), a type allowed for the interaction type, the webhook only after the callback, and the
first follow-up after a deferred "thinking" response replaces that loading message.
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any

from aiohttp import web

from .interactions import is_ephemeral
from .limits import InvalidBody, check_choices, check_modal
from .messages import LOADING
from .records import Reply
from .routing import ApiRequest, Router, error_response, is_true, json_response, no_content

if TYPE_CHECKING:
    from .records import InteractionRecord
    from .server import FakeDiscord
    from .world import StoredMessage

ALLOWED_CALLBACKS = {2: {4, 5, 9}, 3: {4, 5, 6, 7, 9}, 4: {8}, 5: {4, 5, 6, 7}}


class WebhookApi:
    def __init__(self, fake: FakeDiscord) -> None:
        self.fake = fake
        self.world = fake.world

    def register(self, router: Router) -> None:
        router.add("POST", "/interactions/{interaction_id}/{token}/callback", self.callback)
        router.add("POST", "/webhooks/{application_id}/{token}", self.followup)
        for method in ("GET", "PATCH", "DELETE"):
            router.add(
                method, "/webhooks/{application_id}/{token}/messages/{message_id}", self.message
            )

    def _reply(self, rec: InteractionRecord, req: ApiRequest, kind: str, **fields: Any) -> Reply:
        body = req.json if isinstance(req.json, dict) else {}
        data = (body.get("data") or {}) if kind == "callback" else body
        fields.setdefault("type", body.get("type") if kind == "callback" else None)
        reply = Reply(
            kind=kind, data=data, files=req.files, body=req.json, time=req.record.time, **fields
        )
        rec.replies.append(reply)
        self.fake.recorder.record(kind, interaction_id=rec.id, reply=reply, rejected=reply.rejected)
        return reply

    def _refuse(
        self, rec: InteractionRecord, req: ApiRequest, kind: str, status: int, body: dict
    ) -> web.Response:
        self._reply(rec, req, kind, status=status, error=body)
        self.fake.recorder.record("rejected", request=req.record, error=body, interaction_id=rec.id)
        return json_response(body, status)

    # -- the callback --------------------------------------------------------------------

    async def callback(self, req: ApiRequest) -> web.Response:
        rec = self.fake.interactions.get(req.int("interaction_id"))
        if rec is None or rec.token != req.params["token"]:
            return error_response(404, 10062, "Unknown interaction")
        body = req.body
        kind, data = body.get("type"), body.get("data") or {}
        deadline = self.fake.callback_deadline
        if deadline is not None and req.record.time - rec.created > deadline:
            return self._refuse(
                rec, req, "callback", 404, {"code": 10062, "message": "Unknown interaction"}
            )
        if rec.acknowledged:
            error = {"code": 40060, "message": "Interaction has already been acknowledged."}
            return self._refuse(rec, req, "callback", 400, error)
        if kind not in ALLOWED_CALLBACKS[rec.type]:
            errors = [f"type: callback type {kind} is not valid for interaction type {rec.type}"]
            return self._refuse(rec, req, "callback", 400, InvalidBody(errors).body)
        try:
            stored = self._apply_callback(rec, kind, data, req)
        except InvalidBody as exc:
            return self._refuse(rec, req, "callback", exc.status, exc.body)
        rec.acknowledged = True
        message = copy.deepcopy(stored.payload) if stored is not None and kind in (4, 7) else None
        self._reply(rec, req, "callback", message=message)
        if not is_true(req.query.get("with_response")):
            return no_content()
        answer: dict[str, Any] = {
            "interaction": {
                "id": str(rec.id),
                "type": rec.type,
                "activity_instance_id": None,
                "response_message_id": None if stored is None else str(stored.id),
                "response_message_loading": kind == 5,
                "response_message_ephemeral": stored is not None and stored.visible_to is not None,
            },
            "resource": {"type": kind},
        }
        if message is not None:
            answer["resource"]["message"] = message
        return json_response(answer)

    def _component_message(self, rec: InteractionRecord) -> StoredMessage:
        origin = rec.payload.get("message")
        stored = self.fake.messages.find(int(origin["id"])) if origin else None
        if stored is None:
            raise InvalidBody(["type: there is no message to update"])
        return stored

    def _apply_callback(
        self, rec: InteractionRecord, kind: int, data: dict[str, Any], req: ApiRequest
    ) -> StoredMessage | None:
        messages, now = self.fake.messages, req.record.time
        channel = self.world.channels[rec.channel_id]
        if kind in (4, 5):
            stored = messages.create(
                channel,
                data if kind == 4 else {"flags": data.get("flags")},
                req.files if kind == 4 else [],
                now=now,
                interaction=rec.payload,
                visible_to=rec.user_id,
                loading=kind == 5,
            )
            rec.original_message_id = stored.id
            if kind == 4:
                self._record_message("message_create", stored, req)
            return stored
        if kind in (6, 7):
            stored = self._component_message(rec)
            if kind == 7:
                messages.edit(stored, data, req.files)
                self._record_message("message_update", stored, req)
            rec.original_message_id = stored.id
            return stored
        if kind == 8:
            check_choices(data)
        elif kind == 9:
            check_modal(data)
        return None

    def _record_message(self, kind: str, stored: StoredMessage, req: ApiRequest) -> None:
        self.fake.recorder.record(
            kind, channel_id=stored.channel_id, message=stored.payload, files=req.files
        )

    # -- the webhook -----------------------------------------------------------------------

    def _interaction(self, req: ApiRequest) -> InteractionRecord | None:
        if req.int("application_id") != self.world.application_id:
            return None
        return self.fake.interactions_by_token.get(req.params["token"])

    async def followup(self, req: ApiRequest) -> web.Response:
        rec = self._interaction(req)
        if rec is None:
            return error_response(404, 10015, "Unknown Webhook")
        if not rec.acknowledged:
            return self._refuse(
                rec, req, "followup", 404, {"code": 10015, "message": "Unknown Webhook"}
            )
        data, messages = req.body, self.fake.messages
        original = messages.find(rec.original_message_id or 0)
        try:
            if original is not None and original.payload["flags"] & LOADING:
                messages.edit(original, {k: v for k, v in data.items() if k != "flags"}, req.files)
                stored, event = original, "message_update"
            else:
                channel = self.world.channels[rec.channel_id]
                stored = messages.create(
                    channel,
                    data,
                    req.files,
                    now=req.record.time,
                    interaction=rec.payload,
                    visible_to=rec.user_id if is_ephemeral(data) else None,
                )
                rec.followup_ids.append(stored.id)
                event = "message_create"
        except InvalidBody as exc:
            return self._refuse(rec, req, "followup", exc.status, exc.body)
        self._record_message(event, stored, req)
        self._reply(rec, req, "followup", message=copy.deepcopy(stored.payload))
        return json_response(stored.payload) if is_true(req.query.get("wait")) else no_content()

    async def message(self, req: ApiRequest) -> web.Response:
        rec = self._interaction(req)
        if rec is None:
            return error_response(404, 10015, "Unknown Webhook")
        method, key = req.web.method, req.params["message_id"]
        kind = {"PATCH": "edit", "DELETE": "delete"}.get(method)
        target = rec.original_message_id if key == "@original" else int(key)
        mine = {rec.original_message_id, *rec.followup_ids}
        stored = self.fake.messages.find(target or 0) if target in mine else None
        if stored is None:
            error = {"code": 10008, "message": "Unknown Message"}
            return self._refuse(rec, req, kind, 404, error) if kind else json_response(error, 404)
        if method == "GET":
            return json_response(stored.payload)
        if method == "DELETE":
            stored.deleted = True
            self.fake.recorder.record(
                "message_delete", channel_id=stored.channel_id, message_id=stored.id
            )
            self._reply(rec, req, "delete", message=copy.deepcopy(stored.payload))
            return no_content()
        try:
            self.fake.messages.edit(stored, req.body, req.files)
        except InvalidBody as exc:
            return self._refuse(rec, req, "edit", exc.status, exc.body)
        self._record_message("message_update", stored, req)
        self._reply(rec, req, "edit", message=copy.deepcopy(stored.payload))
        return json_response(stored.payload)
