"""``netviz serve``: the tour (or a lesson, or a replay) in a web browser, through textual-serve.

Each browser session runs its own ``netviz tour`` (``lesson NAME``, ``replay FILE``) process,
started in this folder with the server's rights, which writes its own trace in ``traces/`` as a
tour at a terminal does. The session's command is checked here, once, before the server
starts: a bad option or file is refused in one line rather than in every browser.
"""

from __future__ import annotations

import argparse
import os
import shlex
import sys
from collections.abc import Callable
from pathlib import Path

from ..errors import NetvizError
from ..safe import literal, shown

OWN = {"--host": True, "--port": True, "--max-sessions": True, "--public": False}
"""serve's own options, and whether each takes a value; every other word is the session's."""
SESSIONS = ("tour", "lesson", "replay")  # what a browser session can run; the tour by default
MAX_PORT = 65535


def split_args(argv: list[str]) -> tuple[list[str], list[str]]:
    """``["serve", "--preset", "tuned", "--port", "8001"]`` → ``(["serve", "--port", "8001"],
    ["--preset", "tuned"])``: serve's own options, and the session's words in their order,
    wherever each is written (argparse alone would refuse the tour's options here)."""
    own, session = argv[:1], []
    words = iter(argv[1:])
    for word in words:
        if word in ("-h", "--help") or word.partition("=")[0] in OWN:
            own.append(word)
            value = next(words, None) if OWN.get(word) else None
            if value is not None:  # ``--port 8001``: the value is serve's too
                own.append(value)
        else:
            session.append(word)
    return own, session


def serve(
    host: str,
    port: int,
    public: bool,
    max_sessions: int,
    session: list[str],
    parse: Callable[[list[str]], argparse.Namespace],
) -> int:
    """Serve ``session`` (the tour's options, or ``lesson NAME``, or ``replay FILE``, checked
    with ``parse``, the command line's parser) on ``host:port`` until Ctrl+C; 0 when stopped."""
    from ..tui.web import NetvizServer, is_loopback

    if not is_loopback(host) and not public:
        raise NetvizError(
            f"--host {shown(host)} is not this machine only: anyone who can reach the port would "
            "get a session running netviz with your rights; add --public to allow that"
        )
    if not 1 <= port <= MAX_PORT:
        raise NetvizError(f"--port must be 1–{MAX_PORT}, not {port}")
    command = session_command(session, parse)
    what = literal(shlex.join(["netviz", *command]))
    traces = literal(Path("traces").resolve())
    if not is_loopback(host):
        print(
            f"netviz: warning: serving on {literal(host)}:{port} to anyone who can reach this "
            f"port: each visitor gets a session running {what} with your rights, here, and "
            f"writes files in this folder (up to {max_sessions} at once)",
            file=sys.stderr,
            flush=True,
        )
    sessions = f"{max_sessions} session{'s' if max_sessions != 1 else ''}"
    announce = (
        f"netviz serve: {what} at http://{_bracketed(literal(host))}:{port}/ (up to {sessions} "
        f"at once, each writing its trace in {traces}); Ctrl+C stops"
    )
    server = NetvizServer(
        "exec " + shlex.join([sys.executable, "-m", "netviz", *command]),  # no shell left over
        host, port, title=what, max_sessions=max_sessions, announce=announce,
    )  # fmt: skip
    try:
        server.serve()
    except OSError as e:  # the port is taken, or the address is not this machine's
        reason = os.strerror(e.errno) if e.errno else str(e)
        raise NetvizError(f"cannot listen on {literal(host)}:{port}: {reason}") from None
    return 0


def session_command(session: list[str], parse: Callable[[list[str]], argparse.Namespace]):
    """The command each browser session runs, ``["tour", …]``, ``["lesson", NAME]`` or
    ``["replay", FILE, …]``, parsed and its files checked as the command itself would, so a
    mistake is told once here rather than in every browser."""
    first = session[0] if session else "-"
    if not first.startswith("-") and first not in SESSIONS:
        raise NetvizError(f"serve runs the tour, a lesson or a replay, not '{shown(first)}'")
    command = session if first in SESSIONS else ["tour", *session]
    args = parse(command)  # a bad option: the command's own one-line usage error, exit 2
    if getattr(args, "trace", None):
        raise NetvizError(
            "--trace: each session writes its own trace in traces/ (one file for all would clash)"
        )
    _check_files(command[0], args)
    return command


def _check_files(kind: str, args: argparse.Namespace) -> None:
    """Open what the session will open (a lesson, a replayed trace, an image, saved weights):
    a NetvizError, one line, for what it could not."""
    if kind == "lesson":
        if args.name is None or args.list:
            raise NetvizError("serve lesson needs a lesson's NAME (netviz lesson --list)")
        if args.review is None:
            from ..lessons.format import find, load

            load(find(args.name))
    elif kind == "replay":
        from ..session.replay import Replay

        replay = Replay(args.file)
        try:
            replay.snapshot()
        finally:
            replay.close()
    else:
        if args.image is not None:
            from ..data.images import read_digit

            read_digit(args.image)
        if args.weights is not None:
            from ..training.weights import load_weights

            load_weights(args.weights)


def _bracketed(host: str) -> str:
    """An IPv6 address in brackets, as a URL writes it (``[::1]``); any other host as it is."""
    return f"[{host}]" if ":" in host and not host.startswith("[") else host
