"""A real browser for the tests: headless Chromium (Debian's ``chromium`` package) driven over
the DevTools protocol with aiohttp's websocket client (aiohttp comes with textual-serve).

    from browser import needs_chromium, browse

    @needs_chromium
    def test_page(tmp_path):
        async def visit(page):
            await page.open(f"file://{path}")
            await page.press("ArrowRight")
            assert "Z1 = W1·x + b1" in await page.text()
            await page.screenshot(tmp_path / "page.png")
        browse(visit)

Tests that need it skip, saying why, where Chromium is not installed. No network is needed:
Chromium is started with its network features off, and a ``file://`` page loads nothing else.
"""

from __future__ import annotations

import asyncio
import base64
import shutil
import subprocess
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

CHROMIUM = next((p for p in map(shutil.which, ("chromium", "chromium-browser")) if p), None)
needs_chromium = pytest.mark.skipif(
    CHROMIUM is None,
    reason="headless Chromium is not installed (apt-get install chromium): browser tests skipped",
)
START_TIMEOUT = 30.0  # seconds for Chromium to start and say where its DevTools listen
KEYS = {  # DevTools key events: (key, code, Windows key code)
    "ArrowRight": ("ArrowRight", "ArrowRight", 39),
    "ArrowLeft": ("ArrowLeft", "ArrowLeft", 37),
    "ArrowUp": ("ArrowUp", "ArrowUp", 38),
    "ArrowDown": ("ArrowDown", "ArrowDown", 40),
    "Enter": ("Enter", "Enter", 13),
    "Escape": ("Escape", "Escape", 27),
    "Home": ("Home", "Home", 36),
    "End": ("End", "End", 35),
    " ": (" ", "Space", 32),
}


class Page:
    """One tab of a headless Chromium, driven by DevTools commands."""

    def __init__(self, socket) -> None:
        self._socket, self._next = socket, 0

    async def send(self, method: str, **params) -> dict:
        """A DevTools command's result (events arriving meanwhile are skipped)."""
        self._next += 1
        ident = self._next
        await self._socket.send_json({"id": ident, "method": method, "params": params})
        while True:
            message = await self._socket.receive_json()
            if message.get("id") == ident:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})

    async def open(self, url: str, settle: float = 0.3) -> None:
        """Load ``url`` and wait until its document is complete (then ``settle`` seconds)."""
        await self.send("Page.enable")
        await self.send("Page.navigate", url=url)
        await self.wait_for("document.readyState === 'complete'")
        await asyncio.sleep(settle)

    async def evaluate(self, expression: str):
        """The value of a JavaScript expression in the page (awaited if it is a promise)."""
        result = await self.send(
            "Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True
        )
        if "exceptionDetails" in result:
            raise RuntimeError(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    async def wait_for(self, expression: str, timeout: float = 20.0) -> None:
        """Wait until a JavaScript expression is true; TimeoutError says which."""
        end = time.monotonic() + timeout
        while not await self.evaluate(expression):
            if time.monotonic() > end:
                raise TimeoutError(f"waited {timeout:g} s for {expression}")
            await asyncio.sleep(0.1)

    async def text(self) -> str:
        """What the page shows as text (``document.body.innerText``)."""
        return await self.evaluate("document.body.innerText")

    async def press(self, key: str, settle: float = 0.15) -> None:
        """Press and release a key: one of :data:`KEYS`, or a single character."""
        name, code, number = KEYS.get(key, (key, f"Key{key.upper()}", ord(key.upper()[0])))
        text = key if len(key) == 1 else ""
        for kind in ("keyDown", "keyUp"):
            event = {"type": kind, "key": name, "code": code, "windowsVirtualKeyCode": number}
            if kind == "keyDown" and text:
                event["text"] = text
            await self.send("Input.dispatchKeyEvent", **event)
        await asyncio.sleep(settle)

    async def size(self, width: int, height: int, mobile: bool = False) -> None:
        """Set the viewport: a phone is about 390 × 844 with ``mobile``."""
        await self.send(
            "Emulation.setDeviceMetricsOverride",
            width=width, height=height, deviceScaleFactor=1, mobile=mobile,
        )  # fmt: skip

    async def screenshot(self, path: str | Path) -> Path:
        """A PNG of the viewport, written to ``path``."""
        shot = await self.send("Page.captureScreenshot", format="png")
        path = Path(path)
        path.write_bytes(base64.b64decode(shot["data"]))
        return path

    async def pdf(self, path: str | Path) -> Path:
        """The page printed to PDF (as the browser's print would), written to ``path``."""
        printed = await self.send("Page.printToPDF")
        path = Path(path)
        path.write_bytes(base64.b64decode(printed["data"]))
        return path


def browse(visit: Callable[[Page], Awaitable[None]], width: int = 1280, height: int = 900) -> None:
    """Start headless Chromium, run ``visit(page)`` on a fresh tab, then stop Chromium."""
    asyncio.run(_browse(visit, width, height))


async def _browse(visit, width: int, height: int) -> None:
    import aiohttp

    profile = tempfile.mkdtemp(prefix="netviz-chromium-")
    command = [
        CHROMIUM, "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
        "--disable-extensions", "--disable-background-networking", "--disable-sync",
        "--no-default-browser-check", "--remote-debugging-port=0", f"--user-data-dir={profile}",
        f"--window-size={width},{height}", "about:blank",
    ]  # fmt: skip
    chromium = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        port = await _devtools_port(Path(profile), chromium)
        async with aiohttp.ClientSession() as client:
            async with client.get(f"http://127.0.0.1:{port}/json/list") as listed:
                tabs = [t for t in await listed.json() if t.get("type") == "page"]
            async with client.ws_connect(tabs[0]["webSocketDebuggerUrl"], max_msg_size=0) as ws:
                page = Page(ws)
                await page.size(width, height)
                await visit(page)
    finally:
        chromium.terminate()
        try:
            chromium.wait(timeout=10)
        except subprocess.TimeoutExpired:
            chromium.kill()
        shutil.rmtree(profile, ignore_errors=True)


async def _devtools_port(profile: Path, chromium: subprocess.Popen) -> int:
    """The port Chromium chose, from the DevToolsActivePort file it writes in its profile."""
    end = time.monotonic() + START_TIMEOUT
    marker = profile / "DevToolsActivePort"
    while time.monotonic() < end:
        if chromium.poll() is not None:
            raise RuntimeError(f"chromium exited with status {chromium.returncode}")
        if marker.exists() and marker.read_text().strip():
            return int(marker.read_text().split()[0])
        await asyncio.sleep(0.05)
    raise TimeoutError(f"chromium did not start within {START_TIMEOUT:g} s")
