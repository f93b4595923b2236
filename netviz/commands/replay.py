"""``netviz replay``: the walkthrough app over a saved trace, read-only."""

from __future__ import annotations


def replay(path: str, goto: str | None = None) -> int:
    """Open the trace (a file that is not one is refused here, before the app starts), run the
    app over it, and close it."""
    from ..errors import NetvizError
    from ..session.replay import Replay

    session = Replay(path)
    try:
        session.snapshot()  # the first step is readable (a damaged one is refused here)
        if goto:
            try:
                session.goto(goto)
            except ValueError as e:
                raise NetvizError(f"{path}: --goto {e}") from None
        from ..tui.app import run_tour

        return run_tour(session)
    finally:
        session.close()
