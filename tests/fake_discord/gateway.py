"""The gateway websocket, as discord.py 2.7 (``gateway.py`` ``DiscordWebSocket``) drives it.

The conversation:

1. The client connects to ``DiscordWebSocket.DEFAULT_GATEWAY`` (a ``yarl.URL``) with
   ``?v=10&encoding=json&compress=zlib-stream``. Compression only applies to *binary* frames:
   the fake sends text frames, which ``received_message`` parses as they are.
2. Fake -> HELLO (op 10, ``heartbeat_interval`` in ms). The client heartbeats (op 1) at once and
   then every interval from a thread; each gets a HEARTBEAT_ACK (op 11).
3. Client -> IDENTIFY (op 2; ``Client.before_identify_hook`` runs first and sleeps 5 s unless
   it is the initial identify, hence the no-op hook in tests). Fake -> READY with ``user``,
   ``guilds`` (unavailable), ``session_id``, ``resume_gateway_url`` (read unconditionally, and
   where the client goes to RESUME) and ``application`` {id, flags}; then GUILD_CREATE.
   ``ConnectionState._delay_ready`` waits ``guild_ready_timeout`` after the last GUILD_CREATE
   before dispatching ``on_ready`` (2 s by default, hence ``guild_ready_timeout=0.05`` in tests).
4. Dispatches (op 0) carry increasing ``s``. If the socket drops with a resumable close code
   (anything but 1000 and 4004/4010-4014), the client reconnects to ``resume_gateway_url`` and
   sends RESUME (op 6, ``session_id`` and last ``seq``); the fake replays what the client missed,
   then RESUMED. An unknown session answers INVALID_SESSION (op 9, ``false``).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import secrets
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aiohttp import WSMsgType, web

from .payloads import guild_payload, member_payload, user_payload

if TYPE_CHECKING:
    from .records import Recorder
    from .world import World

PRIVILEGED_INTENTS = (1 << 1) | (1 << 8) | (1 << 15)  # members, presences, message content


@dataclass
class GatewaySession:
    id: str
    intents: int
    shard: list[int] | None
    seq: int = 0
    log: list[dict[str, Any]] = field(default_factory=list)  # every dispatch frame, for RESUME


@dataclass
class Connection:
    ws: web.WebSocketResponse
    request: web.Request
    path: str
    ready: bool = False  # identified or resumed: dispatches may flow


class Gateway:
    def __init__(
        self,
        world: World,
        recorder: Recorder,
        *,
        heartbeat_interval_ms: int = 41250,
        privileged_intents: bool = True,
    ) -> None:
        self.world = world
        self.recorder = recorder
        self.heartbeat_interval_ms = heartbeat_interval_ms
        self.privileged_intents = privileged_intents
        self.resume_url = ""  # set by the server once its port is known
        self.session: GatewaySession | None = None
        self.current: Connection | None = None
        self.connections: list[Connection] = []
        self.identifies = 0
        self.resumes = 0
        # A close code to answer every IDENTIFY with (4004: a token revoked after login, which
        # REST still accepted a moment before), or None to identify normally.
        self.refuse_identify: int | None = None
        self._lock = asyncio.Lock()

    # -- the websocket handler ----------------------------------------------------------

    async def handle(self, request: web.Request) -> web.StreamResponse:
        ws = web.WebSocketResponse(max_msg_size=0)
        await ws.prepare(request)
        conn = Connection(ws, request, request.path)
        self.connections.append(conn)
        self.current = conn
        self.recorder.record("gateway_connect", path=request.path, query=dict(request.query))
        await self._send(conn, {"op": 10, "d": {"heartbeat_interval": self.heartbeat_interval_ms}})
        try:
            async for msg in ws:
                if msg.type is WSMsgType.TEXT:
                    await self._on_frame(conn, json.loads(msg.data))
        finally:
            conn.ready = False
            if self.current is conn:
                self.current = None
            self.recorder.record("gateway_disconnect", path=conn.path, close_code=ws.close_code)
        return ws

    async def _on_frame(self, conn: Connection, frame: dict[str, Any]) -> None:
        op, data = frame.get("op"), frame.get("d")
        if op == 1:
            self.recorder.record("heartbeat", seq=data)
            await self._send(conn, {"op": 11})
        elif op == 2:
            await self._identify(conn, data)
        elif op == 6:
            await self._resume(conn, data)
        elif op == 8:
            await self._members_chunk(data)
        else:
            self.recorder.record("gateway_op", op=op, payload=data)

    def _token_ok(self, token: str | None) -> bool:
        return (token or "").removeprefix("Bot ") == self.world.token

    async def _identify(self, conn: Connection, data: dict[str, Any]) -> None:
        intents = int(data.get("intents") or 0)
        if not self._token_ok(data.get("token")) or self.refuse_identify == 4004:
            self.recorder.record("identify_refused", reason="token")
            await conn.ws.close(code=4004, message=b"Authentication failed.")
            return
        if self.refuse_identify is not None:
            self.recorder.record("identify_refused", reason=str(self.refuse_identify))
            await conn.ws.close(code=self.refuse_identify, message=b"Refused by the fake.")
            return
        if intents & PRIVILEGED_INTENTS and not self.privileged_intents:
            self.recorder.record("identify_refused", reason="intents", intents=intents)
            await conn.ws.close(code=4014, message=b"Disallowed intent(s).")
            return
        async with self._lock:
            self.identifies += 1
            self.session = session = GatewaySession(
                secrets.token_hex(16), intents, data.get("shard")
            )
            conn.ready = True
            self.recorder.record("identify", session_id=session.id, intents=intents, payload=data)
            await self._dispatch_locked("READY", self._ready_payload(session))
            await self._dispatch_locked("GUILD_CREATE", guild_payload(self.world))

    def _ready_payload(self, session: GatewaySession) -> dict[str, Any]:
        bot = {**user_payload(self.world.bot), "verified": True, "mfa_enabled": False}
        ready: dict[str, Any] = {
            "v": 10,
            "user": bot,
            "guilds": [{"id": str(self.world.guild.id), "unavailable": True}],
            "session_id": session.id,
            "session_type": "normal",
            "resume_gateway_url": self.resume_url,
            "application": {"id": str(self.world.application_id), "flags": 0},
            "private_channels": [],
            "relationships": [],
            "presences": [],
            "geo_ordered_rtc_regions": [],
            "user_settings": {},
            "auth": {},
        }
        if session.shard is not None:
            ready["shard"] = session.shard
        return ready

    async def _resume(self, conn: Connection, data: dict[str, Any]) -> None:
        session = self.session
        self.recorder.record("resume_request", path=conn.path, payload=data)
        if (
            session is None
            or data.get("session_id") != session.id
            or not self._token_ok(data.get("token"))
        ):
            self.recorder.record("resume_refused", path=conn.path)
            await self._send(conn, {"op": 9, "d": False})
            return
        async with self._lock:
            last = int(data.get("seq") or 0)
            missed = [frame for frame in session.log if frame["s"] > last]
            for frame in missed:
                await self._send(conn, frame)
            conn.ready = True
            self.resumes += 1
            await self._dispatch_locked("RESUMED", {})
            self.recorder.record("resumed", path=conn.path, replayed=len(missed), seq=last)

    async def _members_chunk(self, data: dict[str, Any]) -> None:
        """REQUEST_GUILD_MEMBERS (op 8, sent when the members intent makes discord.py chunk)."""
        self.recorder.record("request_members", payload=data)
        world = self.world
        ids = [int(u) for u in data.get("user_ids") or []] or world.guild.member_ids
        members = [member_payload(world, world.users[i]) for i in ids if i in world.users]
        chunk = {
            "guild_id": str(world.guild.id),
            "members": members,
            "chunk_index": 0,
            "chunk_count": 1,
            "not_found": [],
        }
        if data.get("nonce"):
            chunk["nonce"] = data["nonce"]
        await self.dispatch("GUILD_MEMBERS_CHUNK", chunk)

    # -- sending ------------------------------------------------------------------------

    async def _send(self, conn: Connection, frame: dict[str, Any]) -> None:
        frame = {"op": frame["op"], "d": frame.get("d"), "s": frame.get("s"), "t": frame.get("t")}
        if conn.ws.closed:
            return
        # closed under our feet: a RESUME replays what was lost
        with contextlib.suppress(ConnectionResetError, RuntimeError):
            await conn.ws.send_str(json.dumps(frame))

    async def _dispatch_locked(self, event: str, data: dict[str, Any]) -> int:
        session = self.session
        if session is None:
            raise RuntimeError("no gateway session: has the client connected and identified?")
        session.seq += 1
        frame = {"op": 0, "t": event, "s": session.seq, "d": data}
        session.log.append(frame)
        conn = self.current
        sent = conn is not None and conn.ready
        if conn is not None and sent:
            await self._send(conn, frame)
        self.recorder.record("dispatch", event=event, seq=session.seq, sent=sent, payload=data)
        return session.seq

    async def dispatch(self, event: str, data: dict[str, Any]) -> int:
        """Send a DISPATCH now, or keep it for the RESUME replay if the client is away."""
        async with self._lock:
            return await self._dispatch_locked(event, data)

    # -- trouble on demand ---------------------------------------------------------------

    async def drop(self, *, code: int = 4000, reset: bool = False) -> None:
        """Close the live connection abnormally; the client should RESUME."""
        conn = self.current
        if conn is None:
            raise RuntimeError("no gateway connection to drop")
        async with self._lock:
            conn.ready = False
            self.current = None
        self.recorder.record("gateway_drop", code=code, reset=reset)
        if reset:
            transport = conn.request.transport
            if transport is not None:
                transport.abort()
        else:
            await conn.ws.close(code=code, message=b"fake drop")

    async def invalidate_session(self, *, resumable: bool = False) -> None:
        """INVALID_SESSION (op 9): the client re-identifies (or resumes if ``resumable``)."""
        conn = self.current
        if conn is None:
            raise RuntimeError("no gateway connection")
        async with self._lock:
            conn.ready = False
            if not resumable:
                self.session = None
        self.recorder.record("invalidate_session", resumable=resumable)
        await self._send(conn, {"op": 9, "d": resumable})

    async def request_reconnect(self) -> None:
        """RECONNECT (op 7): the client closes and resumes."""
        conn = self.current
        if conn is None:
            raise RuntimeError("no gateway connection")
        self.recorder.record("reconnect_requested")
        await self._send(conn, {"op": 7})

    async def close(self) -> None:
        for conn in self.connections:
            if not conn.ws.closed:
                await conn.ws.close(code=1001, message=b"fake Discord closing")
