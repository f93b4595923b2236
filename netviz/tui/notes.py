"""Sentences the app says in a notification: why a step key did not move, what fired."""

from __future__ import annotations

from ..session.snapshot import Snapshot


def edge_note(snapshot: Snapshot, delta: int) -> str:
    """Why ``s`` (``delta`` 1) or ``S`` (−1) did not move from ``snapshot``: the end or the
    start of the example's pass (or of the timeline), and the keys that go on from there."""
    first, last = snapshot.cursor == 0, snapshot.cursor == snapshot.timeline_length - 1
    if delta < 0:
        if first:
            return "The first step of the timeline: nothing was computed before it."
        return "The first op of this example's pass: [ goes to the previous example, ← back."
    if snapshot.kind == "epoch" or last:
        if not snapshot.live:
            return "The end of the recording: nothing was recorded after this step."
        if snapshot.kind == "epoch":
            return "The last step so far: e runs another epoch, ] opens an example."
    where = f"The end of example {snapshot.example}'s pass"
    if snapshot.live:
        return f"{where}: ] opens the next example, e runs an epoch."
    return f"{where}: ] goes to the next recorded pass, → on along the timeline."


def hit_note(snapshot: Snapshot) -> str:
    """What fired at the cursor's epoch, and where."""
    reasons = "; ".join(f"{h.condition}: {h.reason}" for h in snapshot.hits)
    return f"Breakpoint hit at {snapshot.address}: {reasons}"
