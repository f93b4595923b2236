"""An exported file for the learner: in a browser (``netviz serve``: Textual's web driver) it is
sent as a download, since the file was written on the server; at a terminal it stays where it
was written, and the note says where."""

from __future__ import annotations

from pathlib import Path

from textual.app import App

from ..safe import literal


def deliver(app: App, path: str | Path) -> str:
    """Send the file at ``path`` to ``app``'s browser when it runs in one (``app.is_web``);
    returns the note to show: where the file was written, and whether it was sent."""
    path = Path(path).resolve()
    wrote = f"Wrote {literal(path)}"
    if not app.is_web:
        return wrote
    try:
        # The web driver keeps the file open and sends it in chunks as the browser asks.
        app.deliver_binary(path)
    except OSError as e:
        return f"{wrote} on the server, but could not send it: {literal(e.strerror or e)}"
    return f"{wrote} on the server; your browser downloads it as {literal(path.name)}"
