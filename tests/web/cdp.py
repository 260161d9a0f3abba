"""A small Chrome DevTools Protocol client: headless Chromium (Debian's package) driven from the
tests over its debugging websocket, with aiohttp. Waits on browser events, never on timers."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import itertools
import json
import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp

FLAGS = [
    # As this machine's notes advise: nothing may try to reach the (closed) internet.
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--disable-extensions",
    "--remote-debugging-port=0",
]


def chromium_path() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


class Page:
    def __init__(self, socket: aiohttp.ClientWebSocketResponse, session: str) -> None:
        self._socket = socket
        self._session = session
        self._ids = itertools.count(1)
        self._pending: dict[int, asyncio.Future[dict[str, Any]]] = {}
        self._waiters: list[tuple[str, asyncio.Future[dict[str, Any]]]] = []
        self.errors: list[str] = []  # console errors, exceptions, failed loads

    async def send(self, method: str, **params: Any) -> dict[str, Any]:
        number = next(self._ids)
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._pending[number] = future
        await self._socket.send_str(
            json.dumps(
                {"id": number, "method": method, "params": params, "sessionId": self._session}
            )
        )
        return await asyncio.wait_for(future, timeout=30)

    def expect(self, event: str) -> asyncio.Future[dict[str, Any]]:
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._waiters.append((event, future))
        return future

    def _dispatch(self, message: dict[str, Any]) -> None:
        if "id" in message and message["id"] in self._pending:
            future = self._pending.pop(message["id"])
            if "error" in message:
                future.set_exception(RuntimeError(f"CDP error: {message['error']}"))
            else:
                future.set_result(message.get("result", {}))
            return
        method, params = message.get("method", ""), message.get("params", {})
        if method == "Runtime.exceptionThrown":
            self.errors.append(json.dumps(params["exceptionDetails"])[:500])
        elif method == "Runtime.consoleAPICalled" and params.get("type") == "error":
            self.errors.append(json.dumps(params.get("args"))[:500])
        elif method == "Log.entryAdded" and params["entry"].get("level") == "error":
            self.errors.append(params["entry"].get("text", "")[:500])
        elif method == "Network.loadingFailed" and not params.get("canceled"):
            self.errors.append(f"load failed: {params.get('errorText')}")
        for waited in [w for w in self._waiters if w[0] == method]:
            self._waiters.remove(waited)
            if not waited[1].done():
                waited[1].set_result(params)

    async def goto(self, url: str) -> None:
        loaded = self.expect("Page.loadEventFired")
        await self.send("Page.navigate", url=url)
        await asyncio.wait_for(loaded, timeout=30)

    async def evaluate(self, expression: str) -> Any:
        result = await self.send(
            "Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True
        )
        if "exceptionDetails" in result:
            raise RuntimeError(f"page script failed: {result['exceptionDetails']}")
        return result["result"].get("value")

    async def submit(self, script: str) -> None:
        """Run a script that leaves the page (a form submitted) and wait for the next one."""
        loaded = self.expect("Page.loadEventFired")
        await self.evaluate(script)
        await asyncio.wait_for(loaded, timeout=30)

    async def size(self, width: int, height: int, *, mobile: bool) -> None:
        await self.send(
            "Emulation.setDeviceMetricsOverride",
            width=width,
            height=height,
            deviceScaleFactor=1,
            mobile=mobile,
        )

    async def colour_scheme(self, scheme: str) -> None:
        """Emulate `prefers-color-scheme` ("dark", "light")."""
        features = [{"name": "prefers-color-scheme", "value": scheme}]
        await self.send("Emulation.setEmulatedMedia", features=features)

    async def screenshot(self, path: Path) -> Path:
        shot = await self.send("Page.captureScreenshot", format="png", captureBeyondViewport=True)
        await asyncio.to_thread(_write, path, base64.b64decode(shot["data"]))
        return path


@contextlib.asynccontextmanager
async def browser_page(profile: Path, width: int = 412, height: int = 915) -> AsyncIterator[Page]:
    """A page in a fresh headless Chromium, sized like a phone."""
    executable = chromium_path()
    assert executable is not None, "Chromium is not installed (apt-get install chromium)"
    process = await asyncio.create_subprocess_exec(
        executable,
        *FLAGS,
        f"--user-data-dir={profile}",
        "about:blank",
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        assert process.stderr is not None
        endpoint = ""
        while not endpoint:  # Chromium prints its debugging address on standard error
            line = (await asyncio.wait_for(process.stderr.readline(), timeout=30)).decode()
            if not line:
                raise RuntimeError("Chromium exited before it was ready")
            if line.startswith("DevTools listening on "):
                endpoint = line.split(" on ", 1)[1].strip()
        drain = asyncio.create_task(_drain(process.stderr))
        async with (
            aiohttp.ClientSession() as http,
            http.ws_connect(endpoint, max_msg_size=0) as socket,
        ):
            browser = Page(socket, "")
            reader = asyncio.create_task(_read(socket, {"": browser}))
            target = await _browser_call(socket, browser, "Target.createTarget", url="about:blank")
            attached = await _browser_call(
                socket, browser, "Target.attachToTarget", targetId=target["targetId"], flatten=True
            )
            page = Page(socket, attached["sessionId"])
            reader.cancel()
            reader = asyncio.create_task(_read(socket, {"": browser, attached["sessionId"]: page}))
            for domain in ("Page", "Runtime", "Log", "Network"):
                await page.send(f"{domain}.enable")
            await page.size(width, height, mobile=True)
            try:
                yield page
            finally:
                reader.cancel()
        drain.cancel()
    finally:
        if process.returncode is None:
            process.kill()
        await process.wait()


async def _browser_call(
    socket: aiohttp.ClientWebSocketResponse, browser: Page, method: str, **params: Any
) -> dict[str, Any]:
    number = next(browser._ids)
    future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
    browser._pending[number] = future
    await socket.send_str(json.dumps({"id": number, "method": method, "params": params}))
    return await asyncio.wait_for(future, timeout=30)


async def _read(socket: aiohttp.ClientWebSocketResponse, pages: dict[str, Page]) -> None:
    async for message in socket:
        if message.type != aiohttp.WSMsgType.TEXT:
            continue
        data = json.loads(message.data)
        page = pages.get(data.get("sessionId", ""))
        if page is not None:
            page._dispatch(data)


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


async def _drain(stream: asyncio.StreamReader) -> None:
    while await stream.readline():
        pass
