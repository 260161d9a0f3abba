"""The security headers on every answer but a 304: sent by a request class of the site's own
where aiohttp sends `on_response_prepare`, or by that signal on an aiohttp without what the
class relies on."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Callable

from aiohttp import web
from aiohttp.abc import AbstractStreamWriter
from aiohttp.http_parser import RawRequestMessage
from aiohttp.streams import StreamReader
from aiohttp.web_protocol import RequestHandler
from multidict import CIMultiDict, CIMultiDictProxy

from .guard import SECURITY_HEADERS


class SecuredRequest(web.Request):
    """A request whose every answer but a 304 gets the security headers as it is sent, the
    router's and aiohttp's own (405, 417) included. This is where aiohttp sends
    `on_response_prepare`; a receiver there costs two coroutines more per answer (the signal's
    and the receiver's) on the site's hot path, the 304. The site registers none: they would
    not be sent (`WebServer` refuses an app that has some)."""

    async def _prepare_hook(self, response: web.StreamResponse) -> None:
        if response.status != 304 and self._match_info is not None:
            response.headers.update(_SECURITY)


# A multidict keeps its keys' case-folded forms: updating from one folds nothing again (half
# the cost of updating from a dict).
_SECURITY = CIMultiDictProxy(CIMultiDict(SECURITY_HEADERS))


def requests_can_be_secured(app: web.Application) -> bool:
    """Whether this aiohttp has what SecuredRequest relies on: its request's prepare hook, and
    an application that makes requests of a class it is given, for a server that asks its
    `request_factory` (aiohttp's insides, which another version may change)."""
    hook = getattr(web.Request, "_prepare_hook", None)
    make = getattr(app, "_make_request", None)
    return (
        inspect.iscoroutinefunction(hook)
        and make is not None
        and "_cls" in inspect.signature(make).parameters
        and "request_factory" in inspect.signature(web.Server).parameters
    )


def secured_factory(app: web.Application) -> Callable[..., web.Request]:
    make = app._make_request

    def request_factory(
        message: RawRequestMessage,
        payload: StreamReader,
        protocol: RequestHandler,
        writer: AbstractStreamWriter,
        task: asyncio.Task[None],
    ) -> web.Request:
        # Not functools.partial: with a keyword bound, it copies a dict on every request.
        return make(message, payload, protocol, writer, task, _cls=SecuredRequest)

    return request_factory


async def secure(request: web.Request, response: web.StreamResponse) -> None:
    if response.status != 304:
        response.headers.update(_SECURITY)
