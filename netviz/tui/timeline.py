"""The timeline bar: the cursor's address and position, the run's settings, training progress."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.message import Message
from textual.reactive import reactive
from textual.widget import Widget

from ..session.snapshot import STOPPED, Snapshot


def track(cursor: int, length: int, width: int) -> str:
    """The timeline as a line ``width`` long with ● where the cursor is."""
    if width <= 0:
        return ""
    at = round(cursor / (length - 1) * (width - 1)) if length > 1 else 0
    return "━" * at + "●" + "─" * (width - 1 - at)


def epochs(n: int) -> str:
    return f"{n} epoch" if n == 1 else f"{n} epochs"


def epochs_from(snapshot: Snapshot, n: int) -> str:
    """``3 epochs``, or ``3 epochs from w.npz`` in a run begun from saved weights."""
    start = f" from {Path(snapshot.weights_from).name}" if snapshot.weights_from else ""
    return epochs(n) + start


def weights_text(snapshot: Snapshot) -> str:
    """Which weights the step shown was computed at, and, when the network has moved on since
    (or, in a replay, the trace goes further), how far: ``weights after 0 epochs · network
    trained 1 epoch``. An epoch step goes from the weights after k−1 epochs to those after k.
    A run begun from saved weights counts its own epochs from them: ``weights after 0 epochs
    from w.npz`` are the saved ones, not a new network's."""
    at = snapshot.weights_epoch
    if snapshot.kind == "epoch":
        text, newest = f"weights after {at} → {epochs_from(snapshot, at + 1)}", at + 1
    else:
        text, newest = f"weights after {epochs_from(snapshot, at)}", at
    if snapshot.epoch != newest:
        further = "network trained" if snapshot.live else "trace recorded"
        text += f" · {further} {epochs(snapshot.epoch)}"
    return text


class Where(Widget):
    """One line: the address, step k/n, the weights it was computed at, the timeline track,
    the worker's progress."""

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
        text.append(f" · {weights_text(snapshot)}  ")
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
        mode = "" if s.live else "replay (read-only) · "
        recipe = f"preset {s.preset}{s.start_words} · {s.layout} · seed {s.seed}"
        head = f"{mode}α {s.alpha:g} · {recipe} · trace "
        trace = s.trace or "(not recorded)"
        # its disk filled: the steps after it are not recorded
        stopped = f" {STOPPED}" if s.trace_failure else ""
        room = self.content_region.width - len(head) - len(stopped)
        if len(trace) > room > 1:  # keep the file name: cut the folders, from the left
            trace = "…" + trace[len(trace) - room + 1 :]
        return Text(head + trace + stopped, no_wrap=True, overflow="ellipsis", end="")


def cursor_epoch(address: str) -> int:
    """The epoch an address belongs to: ``e12`` and ``e12/x3/fwd/L1/Z`` are both in 12."""
    return int(address.split("/")[0][1:])


class Scrubber(Widget):
    """A replay's epochs as a bar: where the cursor's epoch is; a click or a drag seeks."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {"scrubber--label", "scrubber--bar"}

    snapshot: reactive[Snapshot | None] = reactive(None, always_update=True)
    """The state to show."""

    class Seek(Message):
        """The learner clicked or dragged to epoch ``epoch``."""

        def __init__(self, epoch: int) -> None:
            super().__init__()
            self.epoch = epoch

    def _label(self, snapshot: Snapshot) -> str:
        return f"epoch {cursor_epoch(snapshot.address)} of {snapshot.epoch}  "

    def render(self) -> Text:
        s = self.snapshot
        if s is None:
            return Text()
        label = self._label(s)
        text = Text(no_wrap=True, end="")
        text.append(label, self.get_component_rich_style("scrubber--label"))
        room = self.content_region.width - len(label)
        bar = track(cursor_epoch(s.address), s.epoch + 1, room) if s.epoch else "no epochs"
        text.append(bar, self.get_component_rich_style("scrubber--bar"))
        return text

    def _epoch_at(self, x: int) -> int | None:
        s = self.snapshot
        if s is None or not s.epoch:
            return None
        start = len(self._label(s))
        room = self.content_region.width - start
        if room <= 1:
            return None
        share = min(max((x - start) / (room - 1), 0.0), 1.0)
        return max(1, round(share * s.epoch))

    def _seek(self, x: int) -> None:
        epoch = self._epoch_at(x)
        if epoch is not None:
            self.post_message(self.Seek(epoch))

    def on_mouse_down(self, event: events.MouseDown) -> None:
        self.capture_mouse()
        self._seek(event.x)

    def on_mouse_move(self, event: events.MouseMove) -> None:
        if self.app.mouse_captured is self:
            self._seek(event.x)

    def on_mouse_up(self, event: events.MouseUp) -> None:
        self.release_mouse()


class Timeline(Widget):
    """Where the cursor is and what run this is, below the regions."""

    snapshot: reactive[Snapshot | None] = reactive(None, always_update=True, repaint=False)
    """The state to show; set by the app."""
    progress: reactive[str] = reactive("", repaint=False)
    """What the epoch worker is doing, empty when idle; set by the app."""

    def compose(self) -> ComposeResult:
        yield Where().data_bind(Timeline.snapshot, Timeline.progress)
        yield Scrubber().data_bind(Timeline.snapshot)
        yield RunInfo().data_bind(Timeline.snapshot)
