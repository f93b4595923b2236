"""``netviz tour``: the terminal walkthrough, over a live session that records a trace."""

from __future__ import annotations

from ..safe import literal
from ..training.recording import RecordOptions
from ..training.run import RunSpec


def tour(
    spec: RunSpec, trace: str | None, record: RecordOptions | None, goto: str | None = None
) -> int:
    """Build the session (bad data or options fail here, before the app starts), run the app,
    then finish the trace and say where it is."""
    from ..errors import NetvizError
    from ..session.live import Session

    session = Session(spec, trace=trace, record=record)
    try:
        if goto:
            try:
                session.goto(goto)
            except ValueError as e:
                raise NetvizError(f"--goto {e}") from None
        from ..tui.app import run_tour

        status = run_tour(session)
    finally:  # also when --goto was refused: the trace is closed cleanly either way
        session.close()
    for path in session.traces:  # a reset starts a new trace
        print(f"trace: {literal(path)}")
    return status
