"""Request parsing, route matching and Discord-style JSON answers.

``discord.http.json_or_text`` parses a body as JSON only if the ``Content-Type`` header is
*exactly* ``application/json``; aiohttp's ``web.json_response`` would add ``; charset=utf-8`` and
discord.py would then hand the bot a ``str``. Hence :func:`json_response`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import BodyPartReader, hdrs, web

from .payloads import JSON
from .records import RequestRecord, UploadedFile


def json_response(
    data: Any, status: int = 200, headers: dict[str, str] | None = None
) -> web.Response:
    body = json.dumps(data).encode()
    return web.Response(body=body, status=status, headers={**(headers or {}), "Content-Type": JSON})


def error_response(status: int, code: int, message: str, **extra: Any) -> web.Response:
    return json_response({"code": code, "message": message, **extra}, status)


def no_content() -> web.Response:
    return web.Response(status=204)


async def parse_body(request: web.Request) -> tuple[Any, list[UploadedFile]]:
    """JSON, or multipart/form-data with ``payload_json`` and ``files[n]`` parts."""
    files: list[UploadedFile] = []
    if request.content_type == "multipart/form-data":
        payload: Any = None
        reader = await request.multipart()
        async for part in reader:
            if not isinstance(part, BodyPartReader):  # nested multiparts are not used by Discord
                continue
            data = bytes(await part.read(decode=False))
            if part.name == "payload_json":
                payload = json.loads(data)
            elif part.filename is not None:
                content_type = part.headers.get(hdrs.CONTENT_TYPE, "application/octet-stream")
                files.append(UploadedFile(part.name or "", part.filename, content_type, data))
        return payload, files
    raw = await request.read()
    if not raw:
        return None, files
    try:
        return json.loads(raw), files
    except ValueError:
        return raw.decode("utf-8", "replace"), files


def is_true(value: str | None) -> bool:
    return (value or "").lower() in ("1", "true")


@dataclass
class ApiRequest:
    """What a route handler gets: the parsed request and the route parameters."""

    web: web.Request
    record: RequestRecord
    params: dict[str, str]

    @property
    def json(self) -> Any:
        return self.record.json

    @property
    def body(self) -> dict[str, Any]:
        return self.record.json if isinstance(self.record.json, dict) else {}

    @property
    def files(self) -> list[UploadedFile]:
        return self.record.files

    @property
    def query(self) -> dict[str, str]:
        return self.record.query

    def int(self, name: str) -> int:
        return int(self.params[name])


Handler = Callable[[ApiRequest], Awaitable[web.StreamResponse]]


class Router:
    """``(method, "/channels/{channel_id}/messages")`` templates, matched in insertion order."""

    def __init__(self) -> None:
        self.routes: list[tuple[str, str, re.Pattern[str], Handler]] = []

    def add(self, method: str, template: str, handler: Handler) -> None:
        regex = re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", template)
        self.routes.append((method, template, re.compile(f"^{regex}$"), handler))

    def match(self, method: str, path: str) -> tuple[str, Handler, dict[str, str]] | None:
        for route_method, template, regex, handler in self.routes:
            if route_method != method:
                continue
            found = regex.match(path)
            if found:
                return template, handler, found.groupdict()
        return None
