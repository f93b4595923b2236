"""The debugger's keys of the tour: breakpoints, watches, go to, the next misclassified
example, the gradient check, and which pixels move the guess. A mixin of the app, so app.py
holds the stepping and the layout."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..session.snapshot import Snapshot
from .notes import hit_note
from .palette import ask_breakpoint, ask_goto, ask_watch
from .screens import BreakpointsScreen, GradCheckScreen, WatchesScreen
from .timeline import epochs_from

if TYPE_CHECKING:
    from ..session.history import History


class DebuggerKeys:
    """The actions of the debugger's keys (b B w W c C : m v i), for :class:`NetvizApp`."""

    session: History
    pixel_gradient: bool

    def action_breakpoints(self, add: bool) -> None:
        if add:
            ask_breakpoint(self)
        else:
            self.push_screen(BreakpointsScreen(self.session), lambda _: self._refresh())

    def action_watches(self, add: bool) -> None:
        if add:
            ask_watch(self)
        else:
            self.push_screen(WatchesScreen(self.session), lambda _: self._refresh())

    def action_hit(self, forward: bool) -> None:
        """``c``: continue until a breakpoint fires; ``C``: back to the previous hit."""
        if forward and not self.session.live:
            self.seek_breakpoint()
            return
        if forward:
            self.continue_to_breakpoint()
            return
        before = self.session.snapshot().cursor
        if not self.show_move(self.session.previous_hit):
            return
        if self.snapshot.cursor == before:
            if any(bp.enabled for bp in self.session.breakpoints):
                said = "No breakpoint holds before this step."
            else:
                said = "No hits yet: no breakpoints are on (b adds one)."
            self.notify(said, severity="warning")
            return
        self.notify(hit_note(self.snapshot), markup=False)

    def seek_breakpoint(self) -> None:
        """``c`` in a replay: the next recorded step where a condition holds."""
        if not any(bp.enabled for bp in self.session.breakpoints):
            self.notify("No breakpoints are on: b adds one, B lists them.", severity="warning")
            return

        def seek() -> Snapshot:
            self.session.next_hit()
            return self.session.snapshot()

        before = self.session.snapshot().cursor
        if not self.show_move(seek):
            return
        if self.snapshot.cursor == before:
            self.notify("No breakpoint fires after this step in the recording.")
            return
        self.notify(hit_note(self.snapshot), title="breakpoint", severity="warning", markup=False)

    def action_input_gradient(self) -> None:
        """``i``: which pixels move the guess, over the digit; ``i`` again: the digit."""
        self.pixel_gradient = not self.pixel_gradient
        self.screen.set_class(self.pixel_gradient, "-digit")
        if self.pixel_gradient and self.snapshot is not None and self.snapshot.kind != "op":
            self.notify("On an epoch step the digit is a watched example's: step into a pass "
                        "to see which of its pixels move the guess.", markup=False)  # fmt: skip
        self.snapshot = self.snapshot

    def action_goto(self) -> None:
        ask_goto(self)

    def action_misclassified(self) -> None:
        """``m``: open the next example the network gets wrong, and say what it got wrong."""
        before = self.session.snapshot().example
        self.snapshot = s = self.session.next_misclassified()
        if s.example == before:
            self.notify("No other misclassified example at these weights.")
            return
        self.notify(
            f"Example {s.example}: label {s.label}, predicted {self.session.predicted()} "
            f"(at the weights after {epochs_from(s, s.weights_epoch)}).",
            title="misclassified",
            markup=False,
        )

    def action_verify(self) -> None:
        """A gradient check of the current op's layer (≤ 40 ms: W1 samples 40 entries)."""
        from ..errors import NetvizError

        snapshot = self.session.snapshot()
        try:
            checks = self.session.check_gradients()  # the session picks the op's layer
        except (ValueError, NetvizError) as e:
            self.notify(str(e), severity="warning", markup=False)
            return
        layer = checks[0].name.lstrip("Wb") if checks else "?"
        self.push_screen(GradCheckScreen(checks, f"layer {layer} · {snapshot.address}"))
