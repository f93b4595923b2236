"""The tour in a browser (``netviz serve``): a textual-serve server for netviz, with a cap on
sessions. Here, with the app, as the one other place that serves Textual.

textual-serve's model: the page at ``/`` opens a websocket at ``/ws``, and each websocket runs
the server's command in a process of its own (Textual's web driver on the other end of its
pipes), stopped when the websocket closes. So a session is a websocket, and the cap counts
the ``/ws`` handlers running: past ``max_sessions`` both the page and the websocket get a short
"full" page with HTTP 503.

A server on a loopback address answers only to requests that name a loopback host (a web page
elsewhere cannot reach it through a DNS name that points at 127.0.0.1), and every server
refuses a websocket opened by a page from another origin (a browser sends the page's origin;
websockets are not covered by the same-origin rule otherwise).
"""

from __future__ import annotations

import asyncio
import ipaddress
import os
from urllib.parse import urlsplit

import aiohttp_jinja2
from aiohttp import WSCloseCode, web
from textual_serve.app_service import AppService
from textual_serve.server import Server, to_int

from . import SERVER_PID

RETRY_AFTER = 60  # seconds a full server asks a browser to wait (the page says "a minute")
FULL_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>netviz: the server is full</title>
<style>body {{ font: 18px/1.5 system-ui, sans-serif; max-width: 34em; margin: 4em auto;
padding: 0 1em; }}</style>
</head>
<body>
<h1>The server is full</h1>
<p>Every netviz session this server runs at once ({sessions}) is in use. Please try again
later: in a minute or two, when someone has closed theirs, reload this page.</p>
</body>
</html>
"""


def is_loopback(host: str) -> bool:
    """Whether ``host`` names this machine only: ``localhost``, or an address in 127.0.0.0/8
    or ``::1`` (brackets allowed). Any other name is taken as reachable from elsewhere: it may
    resolve to anything."""
    host = host.strip().removeprefix("[").removesuffix("]")
    if host.lower().rstrip(".") == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def full_page(sessions: int) -> web.Response:
    """HTTP 503 with a page saying the server is full and to try later."""
    return web.Response(
        status=503,
        text=FULL_PAGE.format(sessions=sessions),
        content_type="text/html",
        headers={"Retry-After": str(RETRY_AFTER)},
    )


ENDING = 30.0  # seconds a session's process may take to end once it closed its output


class SessionService(AppService):
    """textual-serve's AppService (one session's process), which also closes the browser's
    websocket when the process ends on its own (a session that failed to start, its error in
    the server's log, shows "Session ended" rather than a blank page), and waits for the
    process to end before the session does."""

    async def run(self) -> None:
        await super().run()  # until the process closes its output
        await self.remote_close()
        if self._process is not None:  # and has ended, its trace closed; one hung is killed,
            try:  # or it would hold its place under the cap for ever
                await asyncio.wait_for(self._process.wait(), ENDING)
            except TimeoutError:
                self._process.kill()
                await self._process.wait()


class NetvizServer(Server):
    """textual-serve's Server, running ``command`` for each browser session, at most
    ``max_sessions`` at once. ``announce``: the line printed once it listens."""

    def __init__(
        self, command: str, host: str, port: int, title: str, max_sessions: int, announce: str
    ) -> None:
        super().__init__(command, host=host, port=port, title=title)
        # Each session's process (forked from here, so its parent) quits when this one is gone:
        # a server killed with SIGKILL cannot stop its sessions itself.
        os.environ[SERVER_PID] = str(os.getpid())
        self.max_sessions = max_sessions
        self.announce = announce
        self.sessions: set[web.WebSocketResponse] = set()  # one open websocket per session

    @property
    def full(self) -> bool:
        """Whether a new session would pass the cap."""
        return len(self.sessions) >= self.max_sessions

    async def _make_app(self) -> web.Application:
        app = await super()._make_app()
        app.middlewares.append(self._guard)
        return app

    @web.middleware
    async def _guard(self, request: web.Request, handler) -> web.StreamResponse:
        """Refuse a loopback server's requests for other hosts, and cross-origin websockets;
        a Host header that names no host at all is a bad request (400, not a server error)."""
        try:
            host = request.url.host or ""
        except ValueError:
            raise web.HTTPBadRequest(text="the Host header names no host\n") from None
        if is_loopback(self.host) and not is_loopback(host):
            raise web.HTTPForbidden(text="this netviz server answers on this machine only\n")
        origin = request.headers.get("Origin")
        if request.path == "/ws" and origin and urlsplit(origin).netloc != request.host:
            raise web.HTTPForbidden(text="a session opens only from this server's own page\n")
        return await handler(request)

    @aiohttp_jinja2.template("app_index.html")
    async def handle_index(self, request: web.Request):
        """textual-serve's page, with the websocket and static addresses of the host the
        browser asked for (textual-serve's own use ``--host``: 0.0.0.0 reaches no browser);
        the full page instead when no session is free."""
        if self.full:
            return full_page(self.max_sessions)
        base = f"{request.scheme}://{request.host}"
        socket = ("wss" if request.scheme == "https" else "ws") + base.removeprefix("http")
        router = request.app.router
        return {
            "font_size": to_int(request.query.get("fontsize", "16"), 16),
            "app_websocket_url": f"{socket}{router['websocket'].url_for()}",
            "config": {"static": {"url": f"{base}{router['static'].url_for(filename='/')}"}},
            "application": {"name": self.title},
        }

    async def handle_websocket(self, request: web.Request) -> web.StreamResponse:
        """One session (textual-serve's handler, with :class:`SessionService`): its process
        runs while the websocket is open, counted against the cap from the handshake until
        the process has ended."""
        if self.full:
            return full_page(self.max_sessions)
        websocket = web.WebSocketResponse(heartbeat=15)
        self.sessions.add(websocket)
        service = None
        try:
            await websocket.prepare(request)
            service = SessionService(
                self.command,
                write_bytes=websocket.send_bytes,
                write_str=websocket.send_str,
                close=websocket.close,
                download_manager=self.download_manager,
                debug=self.debug,
            )
            width = to_int(request.query.get("width", "80"), 80)
            height = to_int(request.query.get("height", "24"), 24)
            await service.start(width, height)
            await self._process_messages(websocket, service)
        except asyncio.CancelledError:
            await websocket.close()
        finally:
            if service is not None:
                await service.stop()  # asks the app to quit, and waits until it has
            self.sessions.discard(websocket)
        return websocket

    async def on_startup(self, app: web.Application) -> None:
        print(self.announce, flush=True)

    async def on_shutdown(self, app: web.Application) -> None:
        """Close every session's websocket as the server stops (aiohttp would otherwise wait
        up to a minute for them): each handler then stops its process."""
        for websocket in list(self.sessions):
            await websocket.close(code=WSCloseCode.GOING_AWAY, message=b"the server stopped")
