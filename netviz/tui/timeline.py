"""The timeline bar: the cursor's address and position, the run's settings, training progress."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.reactive import reactive
from textual.widget import Widget

from ..snapshot import Snapshot


def track(cursor: int, length: int, width: int) -> str:
    """The timeline as a line ``width`` long with ● where the cursor is."""
    if width <= 0:
        return ""
    at = round(cursor / (length - 1) * (width - 1)) if length > 1 else 0
    return "━" * at + "●" + "─" * (width - 1 - at)


class Where(Widget):
    """One line: the address, step k/n and epochs, the timeline track, the worker's progress."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "where--address",
        "where--track",
        "where--progress",
        "where--hit",
    }

    snapshot: reactive[Snapshot | None] = reactive(None, always_update=True)
    """The state to show."""
    progress: reactive[str] = reactive("")
    """What the epoch worker is doing, empty when idle."""

    def render(self) -> Text:
        snapshot = self.snapshot
        if snapshot is None:
            return Text()
        text = Text(no_wrap=True, end="")
        text.append(snapshot.address, self.get_component_rich_style("where--address"))
        text.append(f"  step {snapshot.cursor + 1}/{snapshot.timeline_length}")
        text.append(f" · epoch {snapshot.epoch}  ")
        if snapshot.hits:
            fired = ", ".join(h.condition for h in snapshot.hits)
            text.append(f"● hit: {fired}", self.get_component_rich_style("where--hit"))
            text.append("  ")
        progress = f"  {self.progress}" if self.progress else ""
        room = self.content_region.width - text.cell_len - len(progress)
        line = track(snapshot.cursor, snapshot.timeline_length, room)
        text.append(line, self.get_component_rich_style("where--track"))
        text.append(progress, self.get_component_rich_style("where--progress"))
        return text


class RunInfo(Widget):
    """The run's settings: α, preset, layout, seed and the trace file (names shown literally)."""

    snapshot: reactive[Snapshot | None] = reactive(None, always_update=True)
    """The state to show."""

    def render(self) -> Text:
        s = self.snapshot
        if s is None:
            return Text()
        head = f"α {s.alpha:g} · preset {s.preset} · {s.layout} · seed {s.seed} · trace "
        trace = s.trace or "(not recorded)"
        room = self.content_region.width - len(head)
        if len(trace) > room > 1:  # keep the file name: cut the folders, from the left
            trace = "…" + trace[len(trace) - room + 1 :]
        return Text(head + trace, no_wrap=True, overflow="ellipsis", end="")


class Timeline(Widget):
    """Where the cursor is and what run this is, below the regions."""

    snapshot: reactive[Snapshot | None] = reactive(None, always_update=True, repaint=False)
    """The state to show; set by the app."""
    progress: reactive[str] = reactive("", repaint=False)
    """What the epoch worker is doing, empty when idle; set by the app."""

    def compose(self) -> ComposeResult:
        yield Where().data_bind(Timeline.snapshot, Timeline.progress)
        yield RunInfo().data_bind(Timeline.snapshot)
