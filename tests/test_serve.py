"""``netviz serve``: the tour in a browser through textual-serve. A real server runs in a
subprocess on a free loopback port, in a folder of the test's own (where its sessions write their
traces and exports); every test stops it, also on failure, and checks that no session's process
is left behind. A headless Chromium drives one served tour (skipped where it is absent)."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import pytest
from aiohttp import ClientSession, WSMsgType, WSServerHandshakeError  # textual-serve's own
from browser import browse, needs_chromium
from helpers import refused

from netviz.commands.cli import build_parser
from netviz.commands.serve import session_command, split_args
from netviz.trace import TraceReader
from netviz.tui.deliver import deliver
from netviz.tui.web import is_loopback

ROOT = Path(__file__).parents[1]
EXAMPLE_TRACE = ROOT / "traces" / "example.nvtrace"
FIRST, NEXT = "e0/x0/fwd/L1/Z", "e0/x0/fwd/L1/A"  # the tour opens on Z1 = W1·x + b1; A1 = σ(Z1)
WAIT = 60.0  # seconds at most for a server or a session to come up (2 shared cores, cold caches)


# --- the command line: serve's own options, the session's command, the host ----------------


SPLITS = [
    (["serve"], ["serve"], []),
    (["serve", "--port", "8001", "--preset", "tuned"], ["serve", "--port", "8001"],
     ["--preset", "tuned"]),
    (["serve", "--seed", "3", "--public", "--host=0.0.0.0"], ["serve", "--public",
     "--host=0.0.0.0"], ["--seed", "3"]),
    (["serve", "lesson", "digit", "--max-sessions", "2"], ["serve", "--max-sessions", "2"],
     ["lesson", "digit"]),
    (["serve", "replay", "run.nvtrace", "--goto", "e3", "-h"], ["serve", "-h"],
     ["replay", "run.nvtrace", "--goto", "e3"]),
]  # fmt: skip


@pytest.mark.parametrize(("argv", "own", "session"), SPLITS, ids=[" ".join(a) for a, *_ in SPLITS])
def test_serves_own_options_are_split_from_the_sessions_words(argv, own, session):
    assert split_args(argv) == (own, session)


COMMANDS = [
    ([], ["tour"]),
    (["--preset", "tuned", "--seed", "3"], ["tour", "--preset", "tuned", "--seed", "3"]),
    (["tour", "--goto", "17"], ["tour", "--goto", "17"]),
    (["lesson", "digit"], ["lesson", "digit"]),
    (["replay", str(EXAMPLE_TRACE)], ["replay", str(EXAMPLE_TRACE)]),
]


@pytest.mark.parametrize(
    ("session", "command"), COMMANDS, ids=[" ".join(s) or "-" for s, _ in COMMANDS]
)
def test_a_session_runs_the_tour_a_lesson_or_a_replay(session, command):
    assert session_command(session, build_parser().parse_args) == command


@pytest.mark.parametrize(
    ("host", "loopback"),
    [("127.0.0.1", True), ("127.8.0.1", True), ("localhost", True), ("::1", True),
     ("[::1]", True), ("0.0.0.0", False), ("::", False), ("192.168.1.5", False),
     ("example.org", False), ("", False)],
)  # fmt: skip
def test_only_this_machines_addresses_count_as_loopback(host, loopback):
    assert is_loopback(host) is loopback


REFUSED = [
    (["serve", "--host", "0.0.0.0"], "add --public"),
    (["serve", "--host", "192.168.1.5", "--port", "9"], "anyone who can reach the port"),
    (["serve", "--port", "70000"], "--port must be 1–65535"),
    (["serve", "--max-sessions", "0"], "--max-sessions: must be 1 or more"),
    (["serve", "train"], "serve runs the tour, a lesson or a replay, not 'train'"),
    (["serve", "--preset", "fancy"], "invalid choice: 'fancy'"),
    (["serve", "--trace", "shared.nvtrace"], "each session writes its own trace"),
    (["serve", "lesson"], "serve lesson needs a lesson's NAME"),
    (["serve", "lesson", "no-such-lesson"], "no such lesson"),
    (["serve", "replay", "no/such.nvtrace"], "no/such.nvtrace"),
    (["serve", "--image", "no/such.png"], "no/such.png"),
]


@pytest.mark.parametrize(("argv", "message"), REFUSED, ids=[" ".join(a) for a, _ in REFUSED])
def test_a_bad_serve_is_refused_in_one_line_before_it_listens(capsys, argv, message):
    out, _ = refused(capsys, argv, message)
    assert out == ""  # nothing was served: it would have said where


def test_a_non_loopback_host_without_public_is_refused_by_the_real_command(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "netviz", "serve", "--host", "0.0.0.0", "--port", str(free_port())],
        cwd=tmp_path, capture_output=True, text=True, timeout=WAIT,
    )  # fmt: skip
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "--public" in done.stderr, done.stderr
    assert done.stdout == ""


def test_public_warns_that_anyone_who_reaches_the_port_gets_a_session(tmp_path):
    """The warning comes before the server listens; the port is held here, so it then fails
    to listen (one line, status 2) and nothing is opened to the network by this test."""
    with socket.socket() as held:
        held.bind(("0.0.0.0", 0))
        held.listen()
        port = held.getsockname()[1]
        done = subprocess.run(
            [sys.executable, "-m", "netviz", "serve", "--host", "0.0.0.0", "--public",
             "--port", str(port)],
            cwd=tmp_path, capture_output=True, text=True, timeout=WAIT,
        )  # fmt: skip
    warning, refusal = done.stderr.splitlines()
    assert warning.startswith("netviz: warning: serving on 0.0.0.0")
    assert "anyone who can reach this port" in warning and "your rights" in warning
    assert refusal.startswith(f"netviz: error: cannot listen on 0.0.0.0:{port}")
    assert done.returncode == 2


# --- a served tour, over textual-serve's websocket ----------------------------------------


def test_serve_answers_200_and_two_sessions_write_two_traces(tmp_path):
    with served(tmp_path) as url:
        status, page, _ = get(url)
        assert status == 200
        assert f'data-session-websocket-url="ws://127.0.0.1:{url.port}/ws"' in page
        status, _, _ = get(url, headers={"Host": f"attacker.example:{url.port}"})
        assert status == 403  # a DNS name pointed at 127.0.0.1 does not reach a loopback server
        status, _, _ = get(url, headers={"Host": f'127.0.0.1:{url.port}"><x'})
        assert status == 400  # a mangled Host header is the request's fault, not the server's

        async def two_sessions(client):
            first = await open_session(client, url)
            await screen_shows(first, FIRST)
            await until(lambda: len(traces(tmp_path)) == 1)  # its trace exists before the next
            second = await open_session(client, url)
            await screen_shows(second, FIRST)
            await until(lambda: len(traces(tmp_path)) == 2)
            foreign = {"Origin": "http://attacker.example"}
            with pytest.raises(WSServerHandshakeError) as refused:
                await client.ws_connect(f"{url}ws", headers=foreign)
            assert refused.value.status == 403  # a page elsewhere cannot open a session
            await first.close()
            await second.close()

        with_client(two_sessions)
    assert len(traces(tmp_path)) == 2


def test_sessions_opened_together_each_write_their_own_trace(tmp_path):
    """A class opening the page at once: three sessions in the same second, three traces
    (named by the second they start in, so they must not take one another's name)."""
    with served(tmp_path) as url:

        async def together(client):
            sessions = await asyncio.gather(*(open_session(client, url) for _ in range(3)))
            await asyncio.gather(*(screen_shows(s, FIRST) for s in sessions))
            for session in sessions:
                await session.close()

        with_client(together)
    assert len(traces(tmp_path)) == 3


def test_sessions_quit_when_their_server_is_killed(tmp_path):
    """kill -9 leaves the server no time to end its sessions: each sees within a second or two
    that its server is gone, and quits as q does, its trace closed cleanly."""
    with served(tmp_path) as url:

        async def then_kill_the_server(client):
            session = await open_session(client, url)
            await screen_shows(session, FIRST)
            await until(lambda: len(traces(tmp_path)) == 1)
            url.server.kill()
            url.server.wait()

        with_client(then_kill_the_server)
        started = time.monotonic()
        assert wait_for_exit(tmp_path) == []  # on its own: none was left to kill
        assert time.monotonic() - started < 10
    [trace] = traces(tmp_path)
    assert not Path(f"{trace}-wal").exists()  # its WAL folded back in: closed, not abandoned
    with TraceReader(trace) as reader:
        assert reader.counts()["steps"] >= 1


def test_a_full_server_answers_503_with_a_page_saying_so(tmp_path):
    with served(tmp_path, "--max-sessions", "1") as url:

        async def over_the_cap(client):
            first = await open_session(client, url)
            status, page, headers = get(url)
            assert status == 503
            said = " ".join(page.split())
            assert "server is full" in said and "try again later" in said
            assert headers["Content-Type"].startswith("text/html")
            with pytest.raises(WSServerHandshakeError) as refused:
                await client.ws_connect(f"{url}ws")
            assert refused.value.status == 503
            await screen_shows(first, FIRST)  # the first session is unaffected
            await first.close()
            await until(lambda: get(url)[0] == 200)  # its place is free again once it ended

        with_client(over_the_cap)


def test_x_in_a_served_tour_reaches_the_browser_as_a_download(tmp_path):
    """``x`` writes the PNG on the server, as at a terminal, and Textual's deliver API offers
    it to the browser: textual-serve announces a download key and serves the same bytes."""
    with served(tmp_path) as url:

        async def export(client):
            session = await open_session(client, url)
            await screen_shows(session, FIRST)
            await session.send_str(json.dumps(["stdin", "x"]))
            key = await delivery_key(session)
            async with client.get(f"{url}download/{key}") as response:
                assert response.status == 200
                assert "attachment" in response.headers["Content-Disposition"]
                body = await response.read()
            await session.close()
            return body

        body = with_client(export)
    written = sorted(tmp_path.glob("*.png"))
    assert len(written) == 1, written
    assert body[:8] == b"\x89PNG\r\n\x1a\n" and body == written[0].read_bytes()


# --- in a real browser ------------------------------------------------------------------

TERMINAL_HOOK = """
Object.defineProperty(Object.prototype, "terminal", {
  configurable: true,
  set(value) {
    Object.defineProperty(this, "terminal", {value, writable: true, configurable: true});
    window.netvizTerminal = value;
  },
});
"""  # textual-serve's page keeps its xterm.js Terminal in ``this.terminal``: kept here too
SCREEN = """(() => {
  const t = window.netvizTerminal;
  if (!t) return "";
  const rows = [];
  for (let y = 0; y < t.rows; y++) rows.push(t.buffer.active.getLine(y).translateToString(true));
  return rows.join("\\n");
})()"""  # xterm.js draws on a canvas: its text is read from the terminal's buffer


@needs_chromium
def test_the_served_tour_answers_keys_in_a_browser(tmp_path):
    shot = tmp_path / "served-tour.png"
    with served(tmp_path) as url:

        async def visit(page):
            await page.send("Page.enable")
            await page.send("Page.addScriptToEvaluateOnNewDocument", source=TERMINAL_HOOK)
            await page.open(str(url))
            await page.wait_for(f"{SCREEN}.includes({json.dumps(FIRST)})", timeout=WAIT)
            screen = await page.evaluate(SCREEN)
            assert "inspector" in screen and "Z1 = W1" in screen
            await page.evaluate("window.netvizTerminal.focus()")
            await page.press("s")
            await page.wait_for(f"{SCREEN}.includes({json.dumps(NEXT)})", timeout=WAIT)
            assert "A1 = σ(Z1" in await page.evaluate(SCREEN)
            await page.screenshot(shot)

        browse(visit, 1280, 800)
    assert len(traces(tmp_path)) == 1
    assert_drawn(shot)


def assert_drawn(path: Path) -> None:
    """The screenshot shows a painted terminal: the tour's panels in many colours, not the
    blank page textual-serve shows before the first byte."""
    from PIL import Image

    with Image.open(path) as image:
        assert image.size == (1280, 800)
        colours = image.convert("RGB").getcolors(maxcolors=1 << 16)
    assert colours is None or len(colours) > 50, len(colours)


# --- deliver: the export action's part ------------------------------------------------------


class FakeApp:
    """What :func:`deliver` asks of the app: where it runs, and Textual's deliver_binary."""

    def __init__(self, is_web: bool) -> None:
        self.is_web, self.delivered = is_web, []

    def deliver_binary(self, path, **options):
        self.delivered.append(Path(path))
        return "key"


def test_deliver_in_a_terminal_says_where_the_file_is_and_sends_nothing(tmp_path):
    app, path = FakeApp(is_web=False), tmp_path / "card.png"
    path.write_bytes(b"png")
    assert deliver(app, path) == f"Wrote {path.resolve()}"
    assert app.delivered == []


def test_deliver_under_the_web_driver_sends_the_file_to_the_browser(tmp_path):
    app, path = FakeApp(is_web=True), tmp_path / "card.png"
    path.write_bytes(b"png")
    note = deliver(app, path)
    assert app.delivered == [path.resolve()]
    assert str(path.resolve()) in note and "your browser downloads it as card.png" in note


# --- helpers -------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Url(str):
    """A served base URL (``http://127.0.0.1:PORT/``) that knows its port and its server's
    process."""

    port: int
    server: subprocess.Popen


@contextmanager
def served(folder: Path, *options: str):
    """``netviz serve`` on a free loopback port with ``folder`` as its working folder; yields
    its URL. Always stopped (SIGTERM: it closes its sessions), and no process is left in
    ``folder`` afterwards (each session's ran there)."""
    port = free_port()
    command = [sys.executable, "-m", "netviz", "serve", "--port", str(port), *options]
    log = folder / "serve.log"
    with log.open("wb") as out:
        server = subprocess.Popen(command, cwd=folder, stdout=out, stderr=subprocess.STDOUT)
    url = Url(f"http://127.0.0.1:{port}/")
    url.port, url.server = port, server
    try:
        end = time.monotonic() + WAIT
        while get(url)[0] != 200:
            assert server.poll() is None, log.read_text()
            assert time.monotonic() < end, f"no answer in {WAIT:g} s: {log.read_text()}"
            time.sleep(0.1)
        yield url
    finally:
        server.terminate()
        try:
            server.wait(timeout=WAIT)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        left = wait_for_exit(folder)
    assert left == [], f"processes left running in {folder}: {left}"  # after a passing test


def processes_in(folder: Path) -> list[int]:
    """The ids of the processes working in ``folder`` (from /proc; none where there is none)."""
    if not Path("/proc/self/cwd").exists():
        return []
    found = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and (entry / "cwd").resolve() == folder.resolve():
                found.append(int(entry.name))
        except OSError:  # gone meanwhile, or not ours to look at
            continue
    return found


def wait_for_exit(folder: Path) -> list[int]:
    """Wait until no process works in ``folder``; any still there after WAIT are killed (and
    returned, for the test to fail on)."""
    end = time.monotonic() + WAIT
    while (left := processes_in(folder)) and time.monotonic() < end:
        time.sleep(0.1)
    for pid in left:
        try:
            os.kill(pid, 9)
        except OSError:
            pass
    return left


def get(url: str, headers: dict[str, str] | None = None) -> tuple[int, str, dict[str, str]]:
    """(status, text, headers) of a GET; status 0 when nothing answers."""
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read().decode(), dict(response.headers)
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode(), dict(error.headers)
    except OSError:
        return 0, "", {}


def traces(folder: Path) -> list[Path]:
    return sorted((folder / "traces").glob("*.nvtrace"))


def with_client(visit):
    """Run ``visit(client)`` with an aiohttp client; its result."""

    async def run():
        async with ClientSession() as client:
            return await visit(client)

    return asyncio.run(run())


async def open_session(client, url: str):
    """A session, as textual-serve's page opens one: a websocket at /ws with the terminal's
    size."""
    return await client.ws_connect(f"{url}ws?width=120&height=40")


async def screen_shows(session, text: str) -> None:
    """Read the session's terminal output until ``text`` has been drawn."""
    drawn = b""
    async with asyncio.timeout(WAIT):
        while text.encode() not in drawn:
            message = await session.receive()
            assert message.type in (WSMsgType.BINARY, WSMsgType.TEXT), message
            if message.type == WSMsgType.BINARY:
                drawn += message.data


async def delivery_key(session) -> str:
    """The key textual-serve sends the page when the app delivers a file."""
    async with asyncio.timeout(WAIT):
        while True:
            message = await session.receive()
            assert message.type in (WSMsgType.BINARY, WSMsgType.TEXT), message
            if message.type == WSMsgType.TEXT:
                kind, *rest = json.loads(message.data)
                if kind == "deliver_file_start":
                    return rest[0]


async def until(condition) -> None:
    async with asyncio.timeout(WAIT):
        while not condition():
            await asyncio.sleep(0.1)
